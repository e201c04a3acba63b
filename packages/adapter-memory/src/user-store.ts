import * as E from 'fp-ts/lib/Either.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { pipe } from 'fp-ts/lib/function.js'
import { UserRecord, conflict, notFound, type StoreError, type UserId, type UserStore } from '@authn-machine/core'
import { decodeStored } from './decode.js'

const loginKey = (login: string) => login.normalize('NFC').toLowerCase()

export interface MemoryUserInternals {
  /** The stored user as plain JSON. */
  readonly rawUser: (id: UserId) => unknown
  /** Replaces a stored user with any value; the next read decodes it (and finds it `Corrupt`). */
  readonly putRawUser: (id: UserId, raw: unknown) => void
  /** Forgets every user. */
  readonly clear: () => void
  /** For the StepStore of the same memory: reads and writes inside its synchronous commits. */
  readonly internal: {
    readonly read: (id: string) => E.Either<StoreError, UserRecord>
    readonly idByLogin: (login: string) => string | undefined
    readonly write: (u: UserRecord, before: UserRecord | null) => UserRecord
    /** Attempt leases per user id, oldest first. */
    readonly leases: Map<string, Array<{ readonly id: string; readonly until: number }>>
  }
}

/** A user that came through the typed API (an immutable value, kept as given), or a raw value decoded on read. */
type Slot = { readonly value: UserRecord } | { readonly raw: unknown }

/**
 * A per-instance in-memory UserStore. Credential changes go through the StepStore of
 * `createMemoryStores`, whose commits are synchronous read-modify-writes, hence atomic.
 */
export const createMemoryUserStore = (): UserStore & MemoryUserInternals => {
  const byId = new Map<string, Slot>()
  const idByLogin = new Map<string, string>()
  const idByActivation = new Map<string, string>()

  const read = (id: string): E.Either<StoreError, UserRecord> => {
    const slot = byId.get(id)
    if (slot === undefined) return E.left(notFound)
    return 'value' in slot ? E.right(slot.value) : decodeStored(UserRecord)(slot.raw)
  }
  const write = (u: UserRecord, before: UserRecord | null): UserRecord => {
    byId.set(u.id, { value: u })
    if (before?.activationTokenHash != null && before.activationTokenHash !== u.activationTokenHash)
      idByActivation.delete(before.activationTokenHash)
    if (u.activationTokenHash !== null) idByActivation.set(u.activationTokenHash, u.id)
    return u
  }
  const leases = new Map<string, Array<{ readonly id: string; readonly until: number }>>()

  return {
    create: (user) =>
      TE.fromIOEither(() => {
        if (byId.has(user.id) || idByLogin.has(loginKey(user.profile.login))) return E.left(conflict('user'))
        idByLogin.set(loginKey(user.profile.login), user.id)
        return E.right(write(user, null))
      }),
    findByLogin: (login) =>
      TE.fromIOEither(() => {
        const id = idByLogin.get(loginKey(login))
        return id === undefined ? E.left(notFound) : read(id)
      }),
    findById: (id) => TE.fromIOEither(() => read(id)),
    findByActivationToken: (hash) =>
      TE.fromIOEither(() => {
        const id = idByActivation.get(hash)
        return id === undefined
          ? E.left(notFound)
          : pipe(
              read(id),
              E.chain((u) => (u.status === 'STAGED' || u.status === 'PROVISIONED' ? E.right(u) : E.left(notFound))),
            )
      }),
    // Synchronous read-compare-write, so atomic against every commit of the StepStore (also
    // synchronous): of a password change and a rehash of the hash it replaces, the first wins.
    rehashPassword: (id, expected, replacement) =>
      TE.fromIOEither(() => {
        const found = read(id)
        if (E.isLeft(found)) return found
        const u = found.right
        if (u.credentials.passwordHash !== expected) return E.right(false)
        write({ ...u, credentials: { ...u.credentials, passwordHash: replacement } }, u)
        return E.right(true)
      }),
    clear: () => {
      leases.clear()
      byId.clear()
      idByLogin.clear()
      idByActivation.clear()
    },
    rawUser: (id) => {
      const slot = byId.get(id)
      return slot === undefined ? undefined : 'value' in slot ? (JSON.parse(JSON.stringify(UserRecord.encode(slot.value))) as unknown) : slot.raw
    },
    putRawUser: (id, raw) => {
      byId.set(id, { raw })
    },
    internal: { read, idByLogin: (login) => idByLogin.get(loginKey(login)), write, leases },
  }
}
