import * as t from 'io-ts'
import { AuthnContext } from '../machines/authn-context.js'
import { AuthnEvent } from '../model/events.js'
import { TokenHash, TransactionId, UserId, Version } from '../model/ids.js'
import { MachineState } from '../model/status.js'

/** A stored authentication transaction. The snapshot is `{ state, context }`, never xstate's internals. */
export const TransactionRecord = t.exact(
  t.type({
    schemaVersion: t.literal(1),
    id: TransactionId,
    kind: t.literal('authn'),
    stateTokenHash: TokenHash,
    version: Version,
    state: MachineState,
    context: AuthnContext,
    createdAt: t.number,
    /** The user's credential epoch this transaction lives under; it is dead once the user's moves. */
    credentialEpoch: t.number,
    /** The state token's current expiry (mirrors `context.expiresAt`); loads after it find nothing. */
    expiresAt: t.number,
  }),
  'TransactionRecord',
)
export type TransactionRecord = t.TypeOf<typeof TransactionRecord>

/**
 * One entry of a transaction's append-only log: the event that produced `version`. The first entry
 * (version 1) also holds the context the transaction started from, so that replaying the log
 * through the core reproduces every recorded state; later entries hold null there.
 */
export const LogEntry = t.exact(
  t.type({ transactionId: TransactionId, version: Version, event: AuthnEvent, start: t.union([AuthnContext, t.null]) }),
  'LogEntry',
)
export type LogEntry = t.TypeOf<typeof LogEntry>

/** A one-time bearer token (session or recovery), stored by its hash only. */
export const IssuedToken = t.exact(
  t.type({
    schemaVersion: t.literal(1),
    hash: TokenHash,
    kind: t.keyof({ session: null, recovery: null }),
    userId: UserId,
    transactionId: TransactionId,
    expiresAt: t.number,
  }),
  'IssuedToken',
)
export type IssuedToken = t.TypeOf<typeof IssuedToken>
