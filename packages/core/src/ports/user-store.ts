import type { TaskEither } from 'fp-ts/lib/TaskEither.js'
import type { TokenHash, UserId } from '../model/ids.js'
import type { UserRecord } from '../model/user.js'
import type { StoreError } from './errors.js'

/**
 * Users, their credentials and lockout counters, read by every step. Every change to a user's
 * credential state goes through `StepStore.commit`, together with the step that causes it.
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
}
