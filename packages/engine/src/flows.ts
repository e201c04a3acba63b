import {
  AuthnEvent,
  CAUSES,
  failure,
  RecoveryEvent,
  decide,
  decideRecovery,
  precheck,
  precheckRecovery,
  renderRecovery,
  renderTransaction,
  restoreAuthn,
  restoreRecovery,
  type AuthnEffect,
  type AuthnFailure,
  type AuthnRecord,
  type Decision,
  type EpochMs,
  type MachineState,
  type RecoveryDecision,
  type RecoveryEffect,
  type RecoveryRecord,
  type ResponseSecrets,
  type TransactionContext,
  type TransactionEvent,
  type TransactionJson,
  type TransactionRecord,
  type UserId,
} from '@authn-machine/core'

/** Every effect a flow's decision may ask the shell for; `effectsWrite` turns them into the step's write. */
export type FlowEffect = AuthnEffect | RecoveryEffect

/**
 * One decision of any flow, as the pipeline handles it: what to write (state, context, effects),
 * the failure to answer, and how to render the result. The pipeline never looks inside a flow's
 * snapshot; the flow that made the decision renders it.
 */
export interface StepDecision {
  readonly kind: TransactionRecord['kind']
  readonly state: MachineState
  readonly context: TransactionContext
  readonly effects: ReadonlyArray<FlowEffect>
  readonly failure: AuthnFailure | null
  readonly changed: boolean
  readonly render: (secrets: ResponseSecrets, baseUrl: string, now: EpochMs) => TransactionJson
}

/** A stored transaction bound to its flow: what the pipeline asks of it on one step. */
export interface BoundFlow {
  readonly kind: TransactionRecord['kind']
  /** The transaction's user, or null for a decoy recovery (docs/adr/0012-recovery.md). */
  readonly userId: UserId | null
  /** Refuses an event type before any costly fact is gathered (hashing, a factor verification). */
  readonly precheck: (type: TransactionEvent['type'], now: EpochMs) => AuthnFailure | null
  /** Decides one event; an event of another flow is refused as not allowed in this state. */
  readonly decide: (event: TransactionEvent) => StepDecision | AuthnFailure
}

/** An authentication decision as the pipeline handles it. */
export const authnDecision = (d: Decision): StepDecision => ({
  kind: 'authn',
  state: d.state,
  context: d.snapshot.context,
  effects: d.effects,
  failure: d.failure,
  changed: d.changed,
  render: (secrets, baseUrl, now) => renderTransaction(d.state, d.snapshot.context, secrets, baseUrl, now),
})

/** A recovery decision as the pipeline handles it. */
export const recoveryDecision = (d: RecoveryDecision): StepDecision => ({
  kind: 'recovery',
  state: d.state,
  context: d.snapshot.context,
  effects: d.effects,
  failure: d.failure,
  changed: d.changed,
  render: (secrets, baseUrl, now) => renderRecovery(d.state, d.snapshot.context, secrets, baseUrl, now),
})

const notAllowed = (): AuthnFailure => failure('E0000079', [CAUSES.notAllowedInState])

/** The authentication transaction (spec §3, §10.1–10.2). */
const bindAuthn = (record: AuthnRecord): BoundFlow => {
  const snapshot = restoreAuthn(record.state, record.context)
  return {
    kind: 'authn',
    userId: record.context.userId,
    precheck: (type, now) => precheck(snapshot, type as AuthnEvent['type'], now),
    decide: (event) => (AuthnEvent.is(event) ? authnDecision(decide(snapshot, event)) : notAllowed()),
  }
}

/** The recovery transaction (spec §4.12–4.18, §10.3; docs/adr/0012-recovery.md). */
const bindRecovery = (record: RecoveryRecord): BoundFlow => {
  const snapshot = restoreRecovery(record.state, record.context)
  return {
    kind: 'recovery',
    userId: record.context.userId,
    precheck: (type, now) => precheckRecovery(snapshot, type as RecoveryEvent['type'], now),
    decide: (event) => (RecoveryEvent.is(event) ? recoveryDecision(decideRecovery(snapshot, event)) : notAllowed()),
  }
}

/**
 * The flow of a stored transaction, by its `kind`. The pipeline (load by state-token hash → bind
 * the flow → precheck → gather facts → decide → commit → render) is written once for every flow.
 */
export const flowOf = (record: TransactionRecord): BoundFlow => (record.kind === 'authn' ? bindAuthn(record) : bindRecovery(record))
