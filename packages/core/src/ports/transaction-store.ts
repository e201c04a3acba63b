import type { TaskEither } from 'fp-ts/lib/TaskEither.js'
import type { IssuedToken, LogEntry, TransactionContext, TransactionEvent, TransactionRecord } from '../codecs/transaction-record.js'
import type { EpochMs, TokenHash, TransactionId, Version } from '../model/ids.js'
import type { StoreError } from './errors.js'

/** Persists transactions, their append-only logs, and one-time tokens. Implemented by every adapter. */
export interface TransactionStore {
  /**
   * Stores a new transaction at version 1 with its first log entry (`event`, and `start`: the
   * context before that event). `Conflict` if the id or token hash exists.
   */
  readonly create: (record: TransactionRecord, event: TransactionEvent, start: TransactionContext) => TaskEither<StoreError, TransactionRecord>
  /**
   * The transaction whose state token hashes to `hash`. `NotFound` when unknown, expired at `now`,
   * or dead because its user's credential epoch moved (a user that does not exist moves nothing).
   */
  readonly load: (hash: TokenHash, now: EpochMs) => TaskEither<StoreError, TransactionRecord>
  /**
   * Compare-and-set: stores `record` (whose `version` must be `expected + 1`) and appends `event` to
   * the log, only if the stored version is still `expected`. `VersionConflict` otherwise: of N
   * concurrent saves on one version exactly one succeeds.
   */
  readonly save: (record: TransactionRecord, expected: Version, event: TransactionEvent) => TaskEither<StoreError, TransactionRecord>
  /** The log of a transaction, oldest first. Empty for an unknown id. */
  readonly readLog: (id: TransactionId) => TaskEither<StoreError, ReadonlyArray<LogEntry>>
  /** Stores a one-time token. `Conflict` if the hash exists. */
  readonly issueToken: (token: IssuedToken) => TaskEither<StoreError, IssuedToken>
  /**
   * Redeems a one-time token of `kind` (or of any of several kinds). `NotFound` when unknown, of another kind or expired at `now`;
   * `AlreadyConsumed` when redeemed before. Of concurrent consumes exactly one succeeds.
   */
  readonly consumeToken: (
    hash: TokenHash,
    kind: IssuedToken['kind'] | ReadonlyArray<IssuedToken['kind']>,
    now: EpochMs,
  ) => TaskEither<StoreError, IssuedToken>
}
