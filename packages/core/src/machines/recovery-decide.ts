import { initialTransition, transition, type SnapshotFrom } from 'xstate'
import type { AuthnFailure } from '../errors/catalogue.js'
import type { RecoveryEvent } from '../model/recovery-events.js'
import type { MachineState } from '../model/status.js'
import { initialRecoveryContext, type RecoveryContext, type RecoveryInput } from './recovery-context.js'
import { RECOVERY_EFFECT_TYPES, recoveryMachine, type RecoveryEffect } from './recovery-machine.js'
import { createDecider, type DecisionOf, type ExecutedAction } from './decider.js'

export type RecoverySnapshot = SnapshotFrom<typeof recoveryMachine>

/** What one event does to a recovery transaction (as `Decision` for authentication). */
export type RecoveryDecision = DecisionOf<RecoverySnapshot, RecoveryEffect>

const recovery = createDecider<RecoverySnapshot, RecoveryEvent, RecoveryEffect>({
  step: (snapshot, event) => transition(recoveryMachine, snapshot, event) as [RecoverySnapshot, ReadonlyArray<ExecutedAction>],
  ownEvents: (value) => recoveryMachine.getStateNodeById(`recovery.${value}`).ownEvents,
  effectTypes: RECOVERY_EFFECT_TYPES,
})

/** Pure: the snapshot of a new recovery transaction (xstate's public `initialTransition`). */
export const startRecovery = (input: RecoveryInput): RecoverySnapshot => initialTransition(recoveryMachine, input)[0]

/** Rebuilds a full snapshot from the stored `{ state, context }`. */
export const restoreRecovery = (state: MachineState, context: RecoveryContext): RecoverySnapshot =>
  recoveryMachine.resolveState({ value: state, context })

/** Pure: the first event of a recovery transaction (a code sent, or a recovery token redeemed). */
export const decideRecoveryStart = (input: RecoveryInput, event: RecoveryEvent): RecoveryDecision =>
  recovery.first(restoreRecovery('UNAUTHENTICATED', initialRecoveryContext(input)), event)

/** Pure: applies one event. A finished or expired recovery accepts nothing: 401 E0000011, no change. */
export const decideRecovery = (snapshot: RecoverySnapshot, event: RecoveryEvent): RecoveryDecision => recovery.decide(snapshot, event)

/** Pure: the failure `decideRecovery` answers before looking at an event's facts, or null when the state takes events of `type`. */
export const precheckRecovery = (snapshot: RecoverySnapshot, type: RecoveryEvent['type'], now: number): AuthnFailure | null =>
  recovery.precheck(snapshot, type, now)

/** Replays a recovery transaction's log from the context it started with: every decision, for audit. */
export const replayRecovery = (initial: RecoveryContext, events: ReadonlyArray<RecoveryEvent>): ReadonlyArray<RecoveryDecision> =>
  recovery.replay(restoreRecovery('UNAUTHENTICATED', initial), events)
