import { transition } from 'xstate'
import {
  DEFAULT_POLICIES,
  EFFECT_TYPES,
  authnMachine,
  blankUser,
  decide,
  decideStart,
  restoreAuthn,
  type AuthnEvent,
  type AuthnInput,
  type AuthnSnapshot,
  type Decision,
  type MachineState,
} from '../src/index.js'
import { DAY, MINUTE, T0 } from './arbitraries.js'

/**
 * A plain start: an ACTIVE user whose password changed a day before T0, default policies, no
 * options, 5-minute sliding state token capped at 60 minutes. Tests override what they look at.
 */
export const inputWith = (o: Partial<AuthnInput> = {}): AuthnInput => ({
  user: {
    ...blankUser('00ub0oNGTSWTBKOLGLNR'),
    profile: { login: 'dade.murphy@example.com', firstName: 'Dade', lastName: 'Murphy' },
    credentials: { passwordHash: 'plain:x', passwordChangedAt: T0 - DAY, passwordHistory: [], recoveryQuestion: null },
  },
  flow: 'PASSWORD',
  policy: DEFAULT_POLICIES,
  options: { warnBeforePasswordExpired: false, multiOptionalFactorEnroll: false },
  relayState: null,
  now: T0,
  lifetimeMs: 5 * MINUTE,
  maxLifetimeMs: 60 * MINUTE,
  sessionLifetimeMs: 5 * MINUTE,
  lockedOut: false,
  factors: [],
  deviceRemembered: false,
  deviceTokenHash: null,
  ...o,
})

/** The default policies with another lockout policy. */
export const withLockout = (lockout: AuthnInput['policy']['password']['lockout']): AuthnInput['policy'] => ({
  ...DEFAULT_POLICIES,
  password: { ...DEFAULT_POLICIES.password, lockout },
})

/** What a step produced, in a form that `toEqual` compares meaningfully. */
export interface Outcome {
  readonly state: MachineState
  readonly status: AuthnSnapshot['status']
  readonly context: AuthnSnapshot['context']
  readonly actions: ReadonlyArray<{ readonly type: string; readonly params: unknown }>
}

const isKnownAction = (type: string): boolean => type === 'fail' || (EFFECT_TYPES as ReadonlyArray<string>).includes(type)

/** xstate's public, allocation-per-call `transition()`: the reference for `decide`. */
export const viaTransition = (snapshot: AuthnSnapshot, event: AuthnEvent): Outcome => {
  const [next, actions] = transition(authnMachine, snapshot, event)
  return {
    state: next.value as MachineState,
    status: next.status,
    context: next.context,
    actions: actions.map((a) => ({ type: a.type, params: a.params as unknown })),
  }
}

/** The outcome of a decision, its effects and failure put back into xstate's action order. */
export const outcomeOf = (d: Decision, reference: Outcome): Outcome => {
  const effects = [...d.effects]
  const actions = reference.actions.map((a) => {
    if (!isKnownAction(a.type)) return { type: `unexpected:${a.type}`, params: a.params }
    if (a.type === 'fail') return { type: 'fail', params: d.failure as unknown }
    const e = effects.shift()
    return e === undefined ? { type: 'missing', params: null } : { type: e.type as string, params: e.params as unknown }
  })
  for (const e of effects) actions.push({ type: `extra:${e.type}`, params: e.params })
  return { state: d.state, status: d.snapshot.status, context: d.snapshot.context, actions }
}

/** A decision without its snapshot object (whose internals are not data). */
export const plain = (d: Decision) => ({
  state: d.state,
  status: d.snapshot.status,
  context: d.snapshot.context,
  effects: d.effects,
  failure: d.failure,
  changed: d.changed,
})

/** Drives a run event by event, the way the engine does: `decideStart` then `decide`. */
export const drive = (input: AuthnInput, events: ReadonlyArray<AuthnEvent>): ReadonlyArray<Decision> => {
  const out: Decision[] = []
  for (const e of events) {
    const prev = out[out.length - 1]
    out.push(prev === undefined ? decideStart(input, e) : decide(prev.snapshot, e))
  }
  return out
}

export const snapshotOf = (state: MachineState, context: AuthnSnapshot['context']): AuthnSnapshot =>
  restoreAuthn(state, context)
