import type { TaskEither } from 'fp-ts/lib/TaskEither.js'
import type { IssuedToken, TransactionContext, TransactionEvent, TransactionRecord } from '../codecs/transaction-record.js'
import type { FactorRecord } from '../model/factor.js'
import type { EpochMs, FactorId, TokenHash, UserId, Version } from '../model/ids.js'
import type { LockoutPolicy } from '../model/policy.js'
import type { UserRecord } from '../model/user.js'
import type { StoreError } from './errors.js'

/**
 * A reservation of one verification attempt, taken atomically BEFORE a password (or, later, a
 * factor) is verified, so that N parallel guesses cannot all be verified against the counter as it
 * was before any of them was recorded. A lease expires on its own (a crashed process holds no
 * reservation for ever); settling it after that still counts the outcome.
 */
export interface AttemptLease {
  /** Random, unique per attempt. */
  readonly id: string
  /** When the lease lapses if it was neither settled nor released (epoch ms). */
  readonly until: EpochMs
}

/** The user as stored right after the reservation, and the live leases taken before this one. */
export interface AttemptTicket {
  readonly user: UserRecord
  /** The user's factors, as stored (read in the same operation). */
  readonly factors: ReadonlyArray<FactorRecord>
  /** Live leases of other attempts taken before this one (expired leases are not counted). */
  readonly ahead: number
}

/** A lease's place while it waits: the user's counters and the live leases still ahead of it. */
export interface AttemptStatus {
  readonly failedAttempts: number
  readonly lockedAt: EpochMs | null
  readonly credentialEpoch: number
  /** Live leases ahead of this one; null when this lease is gone (settled, released or lapsed). */
  readonly ahead: number | null
}

/**
 * How a step settles the attempt it reserved. `failure` counts it (`nextLockoutState`) and always
 * applies; a failure that locks the account also moves the credential epoch and revokes the user's
 * unredeemed session tokens; `success` resets the counter and is a GUARD: the whole write is refused
 * (`locked`) when the account is locked at `StepWrite.now`; `release` only gives the lease back.
 */
export type AttemptOutcome =
  | { readonly type: 'failure'; readonly lockout: LockoutPolicy }
  | { readonly type: 'success'; readonly lockout: LockoutPolicy }
  | { readonly type: 'release' }

/** A change to the user's credential state, written together with the step that causes it. */
export type UserChange =
  /** The old hash joins the history (trimmed to `historyCount - 1`); PASSWORD_EXPIRED becomes ACTIVE. */
  | { readonly type: 'setPassword'; readonly passwordHash: string; readonly changedAt: EpochMs; readonly historyCount: number }
  /** STAGED or PROVISIONED becomes ACTIVE; the activation token and its claim are cleared. */
  | { readonly type: 'activate' }
  /** Locks the account at `at` (an administrator's lock: the counter is kept). */
  | { readonly type: 'lock'; readonly at: EpochMs }
  /** Clears the lock and the failure counter; LOCKED_OUT becomes ACTIVE. */
  | { readonly type: 'unlock' }
  /** ACTIVE, PASSWORD_EXPIRED, LOCKED_OUT or RECOVERY becomes SUSPENDED. */
  | { readonly type: 'suspend' }
  /** SUSPENDED becomes ACTIVE. */
  | { readonly type: 'unsuspend' }
  /** Any status becomes DEPROVISIONED; the activation token is cleared. */
  | { readonly type: 'deactivate' }
  /** ACTIVE becomes PASSWORD_EXPIRED. */
  | { readonly type: 'expirePassword' }

/** A change to one of the user's factors, written together with the step that causes it. */
export type FactorChange =
  /** A new factor; replaces any PENDING_ACTIVATION factor of the same type and provider of the user. */
  | { readonly type: 'enroll'; readonly record: FactorRecord }
  /** PENDING_ACTIVATION becomes ACTIVE. */
  | { readonly type: 'activate'; readonly factorId: FactorId }
  /**
   * A one-time position was used (TOTP time step, HOTP counter): a GUARD, refused
   * (`factorReplayed`) unless `counter` exceeds the factor's `lastCounter`, which it then becomes.
   */
  | { readonly type: 'use'; readonly factorId: FactorId; readonly counter: number }
  /**
   * The factor's profile and sealed secret are replaced: a registration completed at activation
   * (WebAuthn, U2F: the credential's id and public key replace the enrollment's pending challenge).
   */
  | { readonly type: 'update'; readonly factorId: FactorId; readonly profile: Readonly<Record<string, unknown>>; readonly secret: string }

export type TransactionWrite =
  /** A new transaction at version 1 with its first log entry (see `TransactionStore.create`). */
  | { readonly kind: 'create'; readonly record: TransactionRecord; readonly event: TransactionEvent; readonly start: TransactionContext }
  /** Compare-and-set on `expected` with the log append (see `TransactionStore.save`). */
  | { readonly kind: 'save'; readonly record: TransactionRecord; readonly expected: Version; readonly event: TransactionEvent }

/**
 * Everything one step writes: its transaction, the attempt it settles, its user's credential
 * changes, the credential epoch and the one-time tokens. Applied ATOMICALLY: after a crash at any
 * point either all of it is visible or none of it.
 */
export interface StepWrite {
  readonly now: EpochMs
  readonly userId: UserId
  /**
   * The credential epoch the step was decided under: the write is refused (`epoch`) when the
   * user's epoch differs. Null: no check (administrators' lifecycle operations).
   */
  readonly expectedEpoch: number | null
  /** Settles a reserved attempt (`leaseId` null: no lease was taken, e.g. an activation token). */
  readonly attempt: { readonly leaseId: string | null; readonly outcome: AttemptOutcome } | null
  readonly transaction: TransactionWrite | null
  /**
   * Claims the user's activation token for the transaction created here: refused
   * (`activationClaimed`) while another live transaction of the same credential epoch holds it.
   * The claim is set before `userChanges` apply (an `activate` in the same write clears it).
   */
  readonly claimActivation: boolean
  readonly userChanges: ReadonlyArray<UserChange>
  /**
   * Moves the credential epoch by one: every other live transaction of the user is dead from now
   * on. The transaction written here must carry the new epoch (`expectedEpoch + 1`).
   */
  readonly moveEpoch: boolean
  /** Revokes the user's unredeemed session tokens (before `issue` is stored). */
  readonly revokeSessionTokens: boolean
  /** A one-time token to store (a session token on SUCCESS). */
  readonly issue: IssuedToken | null
  /** Changes to the user's factors (checked before anything is written, applied in order). */
  readonly factorChanges: ReadonlyArray<FactorChange>
  /** Remembers a device for the user until `until` (replacing an earlier entry for the same hash). */
  readonly rememberDevice: { readonly hash: TokenHash; readonly until: EpochMs } | null
}

/** The user's credential state after a write. */
export interface CredentialState {
  readonly status: UserRecord['status']
  readonly failedAttempts: number
  readonly lockedAt: EpochMs | null
  readonly credentialEpoch: number
}

export type StepRefusal = 'locked' | 'epoch' | 'activationClaimed' | 'factorReplayed'

/** A transaction as a step loads it: the record, its user's factors, and the attempt reserved. */
export interface LoadedStep {
  readonly record: TransactionRecord
  readonly factors: ReadonlyArray<FactorRecord>
  /** Present when a lease was asked for: the user's counters and the live leases ahead of it. */
  readonly attempt: { readonly failedAttempts: number; readonly lockedAt: EpochMs | null; readonly ahead: number } | null
}

/**
 * `Applied`: everything was written. `Refused`: nothing was written but the lease's release; the
 * state says why (a lock set meanwhile, a moved epoch, a claimed activation token).
 */
export type StepOutcome =
  | { readonly _tag: 'Applied'; readonly user: CredentialState }
  | { readonly _tag: 'Refused'; readonly reason: StepRefusal; readonly user: CredentialState }

/**
 * The unit of work behind every step (docs/adr/0008-credential-state.md). Implemented by every
 * adapter over the same storage as its TransactionStore and UserStore.
 */
export interface StepStore {
  /**
   * Finds the user by login (case-insensitive, as `UserStore.findByLogin`) and, in the same atomic
   * operation, takes `lease` on it after dropping lapsed leases. `NotFound` for an unknown login:
   * nothing is reserved on any user, but the lease is taken, in the same way, on the login's decoy
   * (`decoyOf(login)`: a user-shaped record that no other method reads or answers), so that an
   * unknown login costs the store what a known one costs (docs/adr/0011-indistinguishable-users.md).
   */
  readonly reserveAttempt: (login: string, lease: AttemptLease, now: EpochMs) => TaskEither<StoreError, AttemptTicket>
  /**
   * For a login `reserveAttempt` answered `NotFound`: settles the lease `leaseId` on the login's
   * decoy as `commit` settles a failed attempt on a user (`settleAttempt` under `lockout`, the lease
   * given back), so that an unknown login costs what a known one's wrong password costs. Changes no
   * user and no transaction. Never `NotFound`; a lease the decoy does not hold is simply not there.
   */
  readonly settleUnknown: (login: string, leaseId: string, lockout: LockoutPolicy, now: EpochMs) => TaskEither<StoreError, void>
  /**
   * The transaction whose state token hashes to `hash`, as `TransactionStore.load` answers it
   * (NotFound when unknown, expired or dead by a moved credential epoch), with its user's factors;
   * and, with `lease`, an attempt reserved on its user in the same atomic operation (a factor
   * verification is reserved before it is checked, as a password is).
   */
  readonly load: (hash: TokenHash, now: EpochMs, lease: AttemptLease | null) => TaskEither<StoreError, LoadedStep>
  /** Where a lease stands while it waits for the attempts ahead of it. `NotFound` for an unknown user. */
  readonly attemptStatus: (userId: UserId, leaseId: string, now: EpochMs) => TaskEither<StoreError, AttemptStatus>
  /**
   * Applies a step's whole write atomically. `VersionConflict` / `Conflict` / `NotFound` as the
   * TransactionStore answers them (then nothing is written, not even the lease's release).
   */
  readonly commit: (write: StepWrite) => TaskEither<StoreError, StepOutcome>
  /**
   * The write of a transaction that has no user (a decoy recovery of an unknown login,
   * docs/adr/0012-recovery.md): its `transaction` only, checked and applied as `commit` applies it,
   * under the lock of the decoy `decoyOf(key)` where a real step takes its user's, so that it costs
   * what a real one costs. Nothing else of the write may be set (an attempt, user or factor
   * changes, a token, a device): such a write is refused as `Conflict` ('decoy') before anything is
   * written. Answers as `commit` does (`Applied` with the decoy's counters).
   */
  readonly commitDecoy: (key: string, write: StepWrite) => TaskEither<StoreError, StepOutcome>
}

/** Whether a write is only a transaction's (what `commitDecoy` accepts). */
export const isTransactionOnly = (w: StepWrite): boolean =>
  w.attempt === null &&
  !w.claimActivation &&
  w.userChanges.length === 0 &&
  !w.moveEpoch &&
  !w.revokeSessionTokens &&
  w.issue === null &&
  w.factorChanges.length === 0 &&
  w.rememberDevice === null

/** A write of `userId` at `now` that changes nothing: spread it and set what the step writes. */
export const emptyStepWrite = (userId: UserId, now: EpochMs): StepWrite => ({
  now,
  userId,
  expectedEpoch: null,
  attempt: null,
  transaction: null,
  claimActivation: false,
  userChanges: [],
  moveEpoch: false,
  revokeSessionTokens: false,
  issue: null,
  factorChanges: [],
  rememberDevice: null,
})
