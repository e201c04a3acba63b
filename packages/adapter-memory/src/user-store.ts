import * as E from 'fp-ts/lib/Either.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { pipe } from 'fp-ts/lib/function.js'
import {
  UserRecord,
  conflict,
  nextLockoutState,
  notFound,
  type StoreError,
  type UserId,
  type UserStore,
} from '@authn-machine/core'
import { decodeStored } from './decode.js'

const loginKey = (login: string) => login.normalize('NFC').toLowerCase()

export interface MemoryUserInternals {
  /** The stored user as plain JSON. */
  readonly rawUser: (id: UserId) => unknown
  /** Replaces a stored user with any value; the next read decodes it (and finds it `Corrupt`). */
  readonly putRawUser: (id: UserId, raw: unknown) => void
  /** Forgets every user. */
  readonly clear: () => void
}

/** A user that came through the typed API (an immutable value, kept as given), or a raw value decoded on read. */
type Slot = { readonly value: UserRecord } | { readonly raw: unknown }

/** A per-instance in-memory UserStore. Every update is a synchronous read-modify-write, so it is atomic. */
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
  const update = (id: UserId, f: (u: UserRecord) => UserRecord) =>
    TE.fromIOEither(() => pipe(read(id), E.map((u) => write(f(u), u))))

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
    recordFailedAttempt: (id, policy, now) =>
      pipe(
        update(id, (u) => ({ ...u, ...nextLockoutState(u, policy, now) })),
        TE.map((u) => ({ failedAttempts: u.failedAttempts, lockedAt: u.lockedAt })),
      ),
    resetFailedAttempts: (id) =>
      pipe(
        update(id, (u) => ({ ...u, failedAttempts: 0, lockedAt: null, status: u.status === 'LOCKED_OUT' ? 'ACTIVE' : u.status })),
        TE.map(() => ({ failedAttempts: 0, lockedAt: null })),
      ),
    setPassword: (id, p) =>
      update(id, (u) => {
        const status = u.status === 'PASSWORD_EXPIRED' ? 'ACTIVE' : u.status
        // Applying the same change twice (same hash, same time) is a no-op: effects are idempotent.
        if (u.credentials.passwordHash === p.passwordHash && u.credentials.passwordChangedAt === p.changedAt) return { ...u, status }
        const keep = Math.max(0, p.historyCount - 1)
        const history = u.credentials.passwordHash === null ? u.credentials.passwordHistory : [u.credentials.passwordHash, ...u.credentials.passwordHistory]
        return {
          ...u,
          status,
          credentials: {
            ...u.credentials,
            passwordHash: p.passwordHash,
            passwordChangedAt: p.changedAt,
            passwordHistory: history.slice(0, keep),
          },
        }
      }),
    activate: (id) =>
      update(id, (u) => ({
        ...u,
        status: u.status === 'STAGED' || u.status === 'PROVISIONED' ? 'ACTIVE' : u.status,
        activationTokenHash: null,
      })),
    clear: () => {
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
  }
}
