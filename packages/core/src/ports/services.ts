import type { TaskEither } from 'fp-ts/lib/TaskEither.js'
import type { EpochMs, TransactionId, UserId } from '../model/ids.js'

/** `HasherBusy`: the hashing queue is full (answered 429 E0000047); `HasherFailed`: anything else. */
export type HasherError = { readonly _tag: 'HasherFailed'; readonly cause: unknown } | { readonly _tag: 'HasherBusy' }

/** Password hashing (argon2id by default). `verify` answers false for a malformed hash; it never throws. */
export interface Hasher {
  readonly hash: (plain: string) => TaskEither<HasherError, string>
  readonly verify: (hash: string, plain: string) => TaskEither<HasherError, boolean>
}

/** Milliseconds since the epoch. The only source of time for the shell. */
export interface Clock {
  readonly now: () => EpochMs
}

/** Cryptographically strong random bytes. */
export interface Random {
  readonly bytes: (n: number) => Uint8Array
}

export interface AuditEntry {
  readonly at: EpochMs
  readonly transactionId: TransactionId | null
  readonly userId: UserId | null
  /** What happened: an operation's outcome (`primaryAuth.SUCCESS`, `changePassword.E0000080`) or an effect. */
  readonly what: string
}

/** Receives one entry per operation outcome and per effect (session revocation requests included). */
export interface AuditSink {
  readonly record: (entry: AuditEntry) => TaskEither<never, void>
}
