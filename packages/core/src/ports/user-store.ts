import type { TaskEither } from 'fp-ts/lib/TaskEither.js'
import type { TokenHash, UserId } from '../model/ids.js'
import type { UserRecord } from '../model/user.js'
import type { StoreError } from './errors.js'

/**
 * Users, their credentials and lockout counters, read by every step. Every change to a user's
 * credential state goes through `StepStore.commit`, together with the step that causes it; a
 * rehash (`rehashPassword`) is not one: the same password, stored with other parameters.
 */
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
   * Replaces the user's password hash by `replacement` only if it is still `expected` (a
   * compare-and-set in one atomic operation), and answers whether it did: false when another
   * hash is stored (a password change or another rehash came first; then nothing is written) or
   * none. Nothing else moves: not the history, `passwordChangedAt`, the status, the counters, the
   * lock, the credential epoch (live transactions go on) or the session tokens.
   * `replacement` must be a hash of the password that verified against `expected`
   * (docs/adr/0015-password-rehash.md). `NotFound` when no user has that id.
   */
  readonly rehashPassword: (id: UserId, expected: string, replacement: string) => TaskEither<StoreError, boolean>
}
