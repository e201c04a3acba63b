import { initialTransition, transition, type SnapshotFrom } from 'xstate'
import { CAUSES, failure, type AuthnFailure } from '../errors/catalogue.js'
import type { RecoveryEvent } from '../model/recovery-events.js'
import type { MachineState } from '../model/status.js'
import { initialRecoveryContext, type RecoveryContext, type RecoveryInput } from './recovery-context.js'
import { RECOVERY_EFFECT_TYPES, recoveryMachine, type RecoveryEffect } from './recovery-machine.js'

export type RecoverySnapshot = SnapshotFrom<typeof recoveryMachine>

/** What one event does to a recovery transaction (as `Decision` for authentication). */
export interface RecoveryDecision {
  readonly snapshot: RecoverySnapshot
  readonly state: MachineState
  readonly effects: ReadonlyArray<RecoveryEffect>
  readonly failure: AuthnFailure | null
  readonly changed: boolean
}

interface ExecutedAction {
  readonly type: string
  readonly params?: unknown
}

const toDecision = (prev: RecoverySnapshot | null, next: RecoverySnapshot, actions: ReadonlyArray<ExecutedAction>): RecoveryDecision => {
  const effects: RecoveryEffect[] = []
  let fail: AuthnFailure | null = null
  for (const a of actions) {
    if (a.type === 'fail') fail = a.params as AuthnFailure
    else if ((RECOVERY_EFFECT_TYPES as ReadonlyArray<string>).includes(a.type)) effects.push({ type: a.type, params: a.params } as RecoveryEffect)
  }
  return {
    snapshot: next,
    state: next.value as MachineState,
    effects,
    failure: fail,
    changed: prev === null || prev.value !== next.value || prev.context !== next.context,
  }
}

const step = (snapshot: RecoverySnapshot, event: RecoveryEvent): [RecoverySnapshot, ReadonlyArray<ExecutedAction>] =>
  transition(recoveryMachine, snapshot, event) as [RecoverySnapshot, ReadonlyArray<ExecutedAction>]

/** Pure: the snapshot of a new recovery transaction (xstate's public `initialTransition`). */
export const startRecovery = (input: RecoveryInput): RecoverySnapshot => initialTransition(recoveryMachine, input)[0]

/** Rebuilds a full snapshot from the stored `{ state, context }`. */
export const restoreRecovery = (state: MachineState, context: RecoveryContext): RecoverySnapshot =>
  recoveryMachine.resolveState({ value: state, context })

/** Pure: the first event of a recovery transaction (a code sent, or a recovery token redeemed). */
export const decideRecoveryStart = (input: RecoveryInput, event: RecoveryEvent): RecoveryDecision => {
  const [next, actions] = step(restoreRecovery('UNAUTHENTICATED', initialRecoveryContext(input)), event)
  return toDecision(null, next, actions)
}

/** Pure: applies one event. A finished or expired recovery accepts nothing: 401 E0000011, no change. */
export const decideRecovery = (snapshot: RecoverySnapshot, event: RecoveryEvent): RecoveryDecision => {
  if (snapshot.status !== 'active' || event.now >= snapshot.context.expiresAt)
    return { snapshot, state: snapshot.value as MachineState, effects: [], failure: failure('E0000011'), changed: false }
  const [next, actions] = step(snapshot, event)
  return toDecision(snapshot, next, actions)
}

/** Pure: the failure `decideRecovery` answers before looking at an event's facts, or null when the state takes events of `type`. */
export const precheckRecovery = (snapshot: RecoverySnapshot, type: RecoveryEvent['type'], now: number): AuthnFailure | null => {
  if (snapshot.status !== 'active' || now >= snapshot.context.expiresAt) return failure('E0000011')
  const node = recoveryMachine.getStateNodeById(`recovery.${String(snapshot.value)}`)
  return node.ownEvents.includes(type) ? null : failure('E0000079', [CAUSES.notAllowedInState])
}

/** Replays a recovery transaction's log from the context it started with: every decision, for audit. */
export const replayRecovery = (initial: RecoveryContext, events: ReadonlyArray<RecoveryEvent>): ReadonlyArray<RecoveryDecision> => {
  const out: RecoveryDecision[] = []
  let current = restoreRecovery('UNAUTHENTICATED', initial)
  for (const e of events) {
    let d: RecoveryDecision
    if (out.length === 0) {
      const [next, actions] = step(current, e)
      d = toDecision(null, next, actions)
    } else d = decideRecovery(current, e)
    out.push(d)
    current = d.snapshot
  }
  return out
}
