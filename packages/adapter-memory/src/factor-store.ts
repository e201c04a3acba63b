import * as E from 'fp-ts/lib/Either.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { conflict, notFound, type FactorRecord, type FactorStore, type StoreError } from '@authn-machine/core'

export interface MemoryFactorInternals {
  /** Forgets every factor. */
  readonly clear: () => void
  /** For the StepStore of the same memory: reads and writes inside its synchronous commits. */
  readonly internal: {
    readonly byUser: (userId: string) => ReadonlyArray<FactorRecord>
    readonly get: (id: string) => FactorRecord | undefined
    readonly put: (record: FactorRecord) => void
    readonly remove: (id: string) => void
  }
}

/**
 * A per-instance in-memory FactorStore: one entry per factor, indexed by user. `userExists`
 * (given by `createMemoryStores`) makes `create` refuse factors of unknown users, as a foreign key would.
 */
export const createMemoryFactorStore = (userExists: (userId: string) => boolean = () => true): FactorStore & MemoryFactorInternals => {
  const byId = new Map<string, FactorRecord>()
  const idsByUser = new Map<string, string[]>()
  const byUser = (userId: string): ReadonlyArray<FactorRecord> =>
    (idsByUser.get(userId) ?? []).flatMap((id) => {
      const f = byId.get(id)
      return f === undefined ? [] : [f]
    })
  const put = (record: FactorRecord) => {
    if (!byId.has(record.id)) idsByUser.set(record.userId, [...(idsByUser.get(record.userId) ?? []), record.id])
    byId.set(record.id, record)
  }
  const remove = (id: string) => {
    const f = byId.get(id)
    if (f === undefined) return
    byId.delete(id)
    idsByUser.set(f.userId, (idsByUser.get(f.userId) ?? []).filter((x) => x !== id))
  }
  return {
    listByUser: (userId) => TE.right(byUser(userId)),
    create: (record) =>
      TE.fromIOEither((): E.Either<StoreError, FactorRecord> => {
        if (byId.has(record.id)) return E.left(conflict('factor'))
        if (!userExists(record.userId)) return E.left(notFound)
        put(record)
        return E.right(record)
      }),
    clear: () => {
      byId.clear()
      idsByUser.clear()
    },
    internal: { byUser, get: (id) => byId.get(id), put, remove },
  }
}
