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

const copy = <A>(a: A): unknown => JSON.parse(JSON.stringify(a)) as unknown
const loginKey = (login: string) => login.normalize('NFC').toLowerCase()

export interface MemoryUserInternals {
  readonly rawUser: (id: UserId) => unknown
  readonly putRawUser: (id: UserId, raw: unknown) => void
}

/** A per-instance in-memory UserStore. Every update is a synchronous read-modify-write, so it is atomic. */
export const createMemoryUserStore = (): UserStore & MemoryUserInternals => {
  const byId = new Map<string, unknown>()
  const idByLogin = new Map<string, string>()
  const idByActivation = new Map<string, string>()

  const read = (id: string): E.Either<StoreError, UserRecord> => {
    const raw = byId.get(id)
    return raw === undefined ? E.left(notFound) : decodeStored(UserRecord)(raw)
  }
  const write = (u: UserRecord): UserRecord => {
    byId.set(u.id, copy(UserRecord.encode(u)))
    for (const [k, v] of idByActivation) if (v === u.id) idByActivation.delete(k)
    if (u.activationTokenHash !== null) idByActivation.set(u.activationTokenHash, u.id)
    return u
  }
  const update = (id: UserId, f: (u: UserRecord) => UserRecord) =>
    TE.fromIOEither(() => pipe(read(id), E.map((u) => write(f(u)))))

  return {
    create: (user) =>
      TE.fromIOEither(() => {
        if (byId.has(user.id) || idByLogin.has(loginKey(user.profile.login))) return E.left(conflict('user'))
        idByLogin.set(loginKey(user.profile.login), user.id)
        return E.right(write(user))
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
    rawUser: (id) => byId.get(id),
    putRawUser: (id, raw) => {
      byId.set(id, raw)
    },
  }
}
