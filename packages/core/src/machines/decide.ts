import { initialTransition, transition, type SnapshotFrom } from 'xstate'
import type { AuthnFailure } from '../errors/catalogue.js'
import type { AuthnEvent } from '../model/events.js'
import type { MachineState } from '../model/status.js'
import { initialContext, type AuthnContext, type AuthnInput } from './authn-context.js'
import { authnMachine, EFFECT_TYPES, type AuthnEffect } from './authn-machine.js'
import { createDecider, type DecisionOf, type ExecutedAction } from './decider.js'

export type AuthnSnapshot = SnapshotFrom<typeof authnMachine>

/** What one event does to an authentication transaction. */
export type Decision = DecisionOf<AuthnSnapshot, AuthnEffect>

const authn = createDecider<AuthnSnapshot, AuthnEvent, AuthnEffect>({
  // xstate's public, pure `transition()`: the next snapshot and the actions it collected (none run).
  step: (snapshot, event) => transition(authnMachine, snapshot, event) as [AuthnSnapshot, ReadonlyArray<ExecutedAction>],
  ownEvents: (value) => authnMachine.getStateNodeById(`authn.${value}`).ownEvents,
  effectTypes: EFFECT_TYPES,
})

/** Pure: the snapshot of a new transaction (xstate's public `initialTransition`). */
export const startAuthn = (input: AuthnInput): AuthnSnapshot => initialTransition(authnMachine, input)[0]

/**
 * Pure: applies one event. A finished (SUCCESS, LOCKED_OUT, CANCELLED, FAILED) or expired
 * transaction accepts nothing: 401 E0000011 and no change.
 */
export const decide = (snapshot: AuthnSnapshot, event: AuthnEvent): Decision => authn.decide(snapshot, event)

/** Pure: the first event of a transaction (its primary authentication), from its start snapshot. */
export const decideStart = (input: AuthnInput, event: AuthnEvent): Decision =>
  // The same snapshot as `startAuthn(input)` (a test checks it), built without an initial microstep.
  authn.first(restoreAuthn('UNAUTHENTICATED', initialContext(input)), event)

/** Rebuilds a full snapshot from the stored `{ state, context }`. */
export const restoreAuthn = (state: MachineState, context: AuthnContext): AuthnSnapshot =>
  authnMachine.resolveState({ value: state, context })

/**
 * Replays a transaction's log through the core, from the context it started with: every
 * intermediate decision, for audit. The first event is the primary authentication.
 */
export const replayAuthn = (initial: AuthnContext, events: ReadonlyArray<AuthnEvent>): ReadonlyArray<Decision> =>
  authn.replay(restoreAuthn('UNAUTHENTICATED', initial), events)

/**
 * Pure: the failure `decide` would answer before looking at an event's facts, or null when the
 * state accepts events of `type`. Lets the shell refuse early, before costly work such as hashing.
 */
export const precheck = (snapshot: AuthnSnapshot, type: AuthnEvent['type'], now: number): AuthnFailure | null => authn.precheck(snapshot, type, now)
