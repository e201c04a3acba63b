import * as t from 'io-ts'
import { AuthnContext } from '../machines/authn-context.js'
import { RecoveryContext } from '../machines/recovery-context.js'
import { AuthnEvent } from '../model/events.js'
import { TokenHash, TransactionId, UserId, Version } from '../model/ids.js'
import { RecoveryEvent } from '../model/recovery-events.js'
import { MachineState } from '../model/status.js'

/** The fields every stored transaction has, whatever its flow. */
const recordProps = {
  schemaVersion: t.literal(1),
  id: TransactionId,
  stateTokenHash: TokenHash,
  version: Version,
  state: MachineState,
  createdAt: t.number,
  /** The user's credential epoch this transaction lives under; it is dead once the user's moves. */
  credentialEpoch: t.number,
  /** The state token's current expiry (mirrors `context.expiresAt`); loads after it find nothing. */
  expiresAt: t.number,
}

/** A stored authentication transaction. The snapshot is `{ state, context }`, never xstate's internals. */
export const AuthnRecord = t.exact(t.type({ ...recordProps, kind: t.literal('authn'), context: AuthnContext }), 'AuthnRecord')
export type AuthnRecord = t.TypeOf<typeof AuthnRecord>

/**
 * A stored recovery transaction (docs/adr/0012-recovery.md). `context.userId` is null for a decoy:
 * a public recovery of an unknown user, stored and answered like a real one.
 */
export const RecoveryRecord = t.exact(t.type({ ...recordProps, kind: t.literal('recovery'), context: RecoveryContext }), 'RecoveryRecord')
export type RecoveryRecord = t.TypeOf<typeof RecoveryRecord>

/** A stored transaction of any flow, told apart by `kind`. */
export const TransactionRecord = t.union([AuthnRecord, RecoveryRecord], 'TransactionRecord')
export type TransactionRecord = t.TypeOf<typeof TransactionRecord>

/** An event of any flow, as the log stores it. */
export const TransactionEvent = t.union([AuthnEvent, RecoveryEvent], 'TransactionEvent')
export type TransactionEvent = t.TypeOf<typeof TransactionEvent>

/** The context a transaction of any flow started from. */
export const TransactionContext = t.union([AuthnContext, RecoveryContext], 'TransactionContext')
export type TransactionContext = t.TypeOf<typeof TransactionContext>

/**
 * One entry of a transaction's append-only log: the event that produced `version`. The first entry
 * (version 1) also holds the context the transaction started from, so that replaying the log
 * through the core reproduces every recorded state; later entries hold null there. `state` is the
 * state the entry left the transaction in, recorded beside the event so that a replay can say at
 * which entry it first disagrees (`auditReplay`); entries written before it was recorded have none.
 */
export const LogEntry = t.exact(
  t.intersection([
    t.type({ transactionId: TransactionId, version: Version, event: TransactionEvent, start: t.union([TransactionContext, t.null]) }),
    t.partial({ state: t.string }),
  ]),
  'LogEntry',
)
export type LogEntry = t.TypeOf<typeof LogEntry>

/**
 * A one-time bearer token, stored by its hash only: a session token (SUCCESS), the token of a
 * step-up SUCCESS's `original` link (`stepup`, docs/adr/0028-step-up.md), or a recovery
 * token (an email link, a trusted caller's issuance) whose `kind` says what it recovers and whose
 * `transactionId` is the id the recovery transaction it opens will have.
 */
export const IssuedToken = t.exact(
  t.type({
    schemaVersion: t.literal(1),
    hash: TokenHash,
    kind: t.keyof({ session: null, recovery: null, unlock: null, stepup: null }),
    userId: UserId,
    transactionId: TransactionId,
    expiresAt: t.number,
  }),
  'IssuedToken',
)
export type IssuedToken = t.TypeOf<typeof IssuedToken>
