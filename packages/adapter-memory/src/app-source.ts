import * as E from 'fp-ts/lib/Either.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { App, decodeStored, notFound, type AppSource, type StoreError } from '@authn-machine/core'

export interface MemoryAppInternals {
  /** Forgets every app. */
  readonly clear: () => void
}

/** Ids compared character by character (UTF-16 code units), as PostgreSQL's "C" collation does for them. */
const byId = (a: App, b: App): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

/**
 * A per-instance in-memory AppSource, starting with `initial` (a later app replaces an earlier one
 * of the same id). It keeps its own copy of every app it is given, so a caller changing its object
 * later changes nothing stored. An app the `App` codec refuses is `Corrupt` and is not stored.
 */
export const createMemoryAppSource = (initial: ReadonlyArray<App> = []): AppSource & MemoryAppInternals => {
  const apps = new Map<string, App>()
  const store = (app: App): E.Either<StoreError, App> => {
    const checked = decodeStored(App)(app)
    if (E.isLeft(checked)) return checked
    const copy = structuredClone(app)
    apps.set(copy.id, copy)
    return E.right(copy)
  }
  for (const app of initial) {
    const stored = store(app)
    if (E.isLeft(stored)) throw new Error(`createMemoryAppSource: ${stored.left._tag === 'Corrupt' ? stored.left.details.join('; ') : 'invalid app'}`)
  }
  return {
    find: (id) => TE.fromIOEither((): E.Either<StoreError, App> => {
      const app = apps.get(id)
      return app === undefined ? E.left(notFound) : E.right(app)
    }),
    list: () => TE.fromIO(() => [...apps.values()].sort(byId)),
    put: (app) => TE.fromIOEither(() => store(app)),
    remove: (id) => TE.fromIOEither((): E.Either<StoreError, void> => (apps.delete(id) ? E.right(undefined) : E.left(notFound))),
    clear: () => apps.clear(),
  }
}
