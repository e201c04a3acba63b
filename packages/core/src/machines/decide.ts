import { initialTransition, transition, type SnapshotFrom } from 'xstate'
import { CAUSES, failure, type AuthnFailure } from '../errors/catalogue.js'
import type { AuthnEvent } from '../model/events.js'
import type { MachineState } from '../model/status.js'
import { initialContext, type AuthnContext, type AuthnInput } from './authn-context.js'
import { authnMachine, EFFECT_TYPES, type AuthnEffect } from './authn-machine.js'

export type AuthnSnapshot = SnapshotFrom<typeof authnMachine>

/** What one event does to a transaction: the next snapshot, the effects to run, and any failure. */
export interface Decision {
  readonly snapshot: AuthnSnapshot
  readonly state: MachineState
  readonly effects: ReadonlyArray<AuthnEffect>
  readonly failure: AuthnFailure | null
  /** Whether anything was changed that must be saved (state or context). */
  readonly changed: boolean
}

interface ExecutedAction {
  readonly type: string
  readonly params?: unknown
}

const toDecision = (prev: AuthnSnapshot | null, next: AuthnSnapshot, actions: ReadonlyArray<ExecutedAction>): Decision => {
  const effects: AuthnEffect[] = []
  let fail: AuthnFailure | null = null
  for (const a of actions) {
    if (a.type === 'fail') fail = a.params as AuthnFailure
    else if ((EFFECT_TYPES as ReadonlyArray<string>).includes(a.type)) effects.push({ type: a.type, params: a.params } as AuthnEffect)
  }
  return {
    snapshot: next,
    state: next.value as MachineState,
    effects,
    failure: fail,
    changed: prev === null || prev.value !== next.value || prev.context !== next.context,
  }
}

/** Pure: the snapshot of a new transaction (xstate's public `initialTransition`). */
export const startAuthn = (input: AuthnInput): AuthnSnapshot => initialTransition(authnMachine, input)[0]

/** xstate's public, pure `transition()`: the next snapshot and the actions it collected (none run). */
const step = (snapshot: AuthnSnapshot, event: AuthnEvent): [AuthnSnapshot, ReadonlyArray<ExecutedAction>] =>
  transition(authnMachine, snapshot, event) as [AuthnSnapshot, ReadonlyArray<ExecutedAction>]

const invalidToken = (snapshot: AuthnSnapshot): Decision => ({
  snapshot,
  state: snapshot.value as MachineState,
  effects: [],
  failure: failure('E0000011'),
  changed: false,
})

/**
 * Pure: applies one event. A finished (SUCCESS, LOCKED_OUT, CANCELLED, FAILED) or expired
 * transaction accepts nothing: 401 E0000011 and no change.
 */
export const decide = (snapshot: AuthnSnapshot, event: AuthnEvent): Decision => {
  if (snapshot.status !== 'active' || event.now >= snapshot.context.expiresAt) return invalidToken(snapshot)
  const [next, actions] = step(snapshot, event)
  return toDecision(snapshot, next, actions)
}

/** Pure: the first event of a transaction (its primary authentication), from its start snapshot. */
export const decideStart = (input: AuthnInput, event: AuthnEvent): Decision => {
  // The same snapshot as `startAuthn(input)` (a test checks it), built without an initial microstep.
  const start = restoreAuthn('UNAUTHENTICATED', initialContext(input))
  const [next, actions] = step(start, event)
  return toDecision(null, next, actions)
}

/** Rebuilds a full snapshot from the stored `{ state, context }`. */
export const restoreAuthn = (state: MachineState, context: AuthnContext): AuthnSnapshot =>
  authnMachine.resolveState({ value: state, context })

/**
 * Replays a transaction's log through the core, from the context it started with: every
 * intermediate decision, for audit. The first event is the primary authentication.
 */
export const replayAuthn = (initial: AuthnContext, events: ReadonlyArray<AuthnEvent>): ReadonlyArray<Decision> => {
  const out: Decision[] = []
  let current = restoreAuthn('UNAUTHENTICATED', initial)
  for (const e of events) {
    let d: Decision
    if (out.length === 0) {
      const [next, actions] = step(current, e)
      d = toDecision(null, next, actions)
    } else d = decide(current, e)
    out.push(d)
    current = d.snapshot
  }
  return out
}

/**
 * Pure: the failure `decide` would answer before looking at an event's facts, or null when the
 * state accepts events of `type`. Lets the shell refuse early, before costly work such as hashing.
 */
export const precheck = (snapshot: AuthnSnapshot, type: AuthnEvent['type'], now: number): AuthnFailure | null => {
  if (snapshot.status !== 'active' || now >= snapshot.context.expiresAt) return failure('E0000011')
  const node = authnMachine.getStateNodeById(`authn.${String(snapshot.value)}`)
  return node.ownEvents.includes(type) ? null : failure('E0000079', [CAUSES.notAllowedInState])
}
