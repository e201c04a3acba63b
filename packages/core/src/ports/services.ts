import type { TaskEither } from 'fp-ts/lib/TaskEither.js'
import type { EpochMs, TransactionId, UserId } from '../model/ids.js'

/** `HasherBusy`: the hashing queue is full (answered 429 E0000047); `HasherFailed`: anything else. */
export type HasherError = { readonly _tag: 'HasherFailed'; readonly cause: unknown } | { readonly _tag: 'HasherBusy' }

/** Password hashing (argon2id by default). `verify` answers false for a malformed hash; it never throws. */
export interface Hasher {
  readonly hash: (plain: string) => TaskEither<HasherError, string>
  readonly verify: (hash: string, plain: string) => TaskEither<HasherError, boolean>
  /**
   * Whether `hash`, which has JUST verified a password, should be replaced by `hash(password)`:
   * true when it was not made with this hasher's current algorithm and parameters (ASVS V11.2.2;
   * docs/adr/0015-password-rehash.md). The engine asks only about a hash that verified, so true for
   * a hash the hasher cannot read is safe (a hasher that verifies a legacy scheme migrates it so)
   * and can never lock anybody out. Synchronous and cheap (it reads the hash, it does not compute
   * one), never throws. Optional, unlike the rule for ports: a hasher that cannot tell (a test
   * double, a remote service) leaves it out and nothing is ever rehashed.
   */
  readonly needsRehash?: (hash: string) => boolean
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
