import type { TaskEither } from 'fp-ts/lib/TaskEither.js'
import type { FactorRecord } from '../model/factor.js'
import type { UserId } from '../model/ids.js'
import type { StoreError } from './errors.js'

/**
 * Users' enrolled factors, one row each. Reads only, and the seeding of new rows: every change a
 * step makes (enroll, activate, a one-time counter used) goes through `StepStore.commit`.
 */
export interface FactorStore {
  /** The user's factors, oldest first (none for an unknown user). */
  readonly listByUser: (userId: UserId) => TaskEither<StoreError, ReadonlyArray<FactorRecord>>
  /** Adds a factor (seeding, administrators). `Conflict` when the id exists; `NotFound` for an unknown user. */
  readonly create: (record: FactorRecord) => TaskEither<StoreError, FactorRecord>
}
