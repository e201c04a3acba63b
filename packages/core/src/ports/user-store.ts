import type { TaskEither } from 'fp-ts/lib/TaskEither.js'
import type { EpochMs, TokenHash, UserId } from '../model/ids.js'
import type { LockoutPolicy } from '../model/policy.js'
import type { UserRecord } from '../model/user.js'
import type { StoreError } from './errors.js'

export interface LockoutState {
  readonly failedAttempts: number
  readonly lockedAt: EpochMs | null
}

export interface NewPassword {
  readonly passwordHash: string
  readonly changedAt: EpochMs
  /** The policy's history count: the old current hash joins the history, trimmed to `historyCount - 1`. */
  readonly historyCount: number
}

/** Users, their credentials and lockout counters. Implemented by every adapter. */
export interface UserStore {
  /** Adds a user. `Conflict` when the id or the login (compared case-insensitively) exists. */
  readonly create: (user: UserRecord) => TaskEither<StoreError, UserRecord>
  /** Case-insensitive. `NotFound` when no user has that login. */
  readonly findByLogin: (login: string) => TaskEither<StoreError, UserRecord>
  /** `NotFound` when no user has that id. */
  readonly findById: (id: UserId) => TaskEither<StoreError, UserRecord>
  /** The STAGED or PROVISIONED user whose activation token hashes to `hash`; `NotFound` otherwise. */
  readonly findByActivationToken: (hash: TokenHash) => TaskEither<StoreError, UserRecord>
  /**
   * Guarded increment, atomic per user: applies {@link nextLockoutState} to the stored counters,
   * so N concurrent failures lock the account at exactly `maxAttempts`. `NotFound` for an unknown id.
   */
  readonly recordFailedAttempt: (id: UserId, policy: LockoutPolicy, now: EpochMs) => TaskEither<StoreError, LockoutState>
  /** Clears the failure counter and any lock. */
  readonly resetFailedAttempts: (id: UserId) => TaskEither<StoreError, LockoutState>
  /**
   * Replaces the password; the old hash joins the history; PASSWORD_EXPIRED becomes ACTIVE.
   * Idempotent: applying the same `{ passwordHash, changedAt }` again changes nothing.
   */
  readonly setPassword: (id: UserId, password: NewPassword) => TaskEither<StoreError, UserRecord>
  /** STAGED or PROVISIONED becomes ACTIVE and the activation token is cleared. Idempotent. */
  readonly activate: (id: UserId) => TaskEither<StoreError, UserRecord>
}
