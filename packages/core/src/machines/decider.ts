import { CAUSES, failure, type AuthnFailure } from '../errors/catalogue.js'
import type { MachineState } from '../model/status.js'

/** What one event does to a transaction: the next snapshot, the effects to run, and any failure. */
export interface DecisionOf<S, F> {
  readonly snapshot: S
  readonly state: MachineState
  readonly effects: ReadonlyArray<F>
  readonly failure: AuthnFailure | null
  /** Whether anything was changed that must be saved (state or context). */
  readonly changed: boolean
}

/** An action xstate's pure `transition()` collected (none is run). */
export interface ExecutedAction {
  readonly type: string
  readonly params?: unknown
}

/** The parts of an xstate snapshot a decider reads. */
interface SnapshotView {
  readonly value: unknown
  readonly status: string
  readonly context: { readonly expiresAt: number }
}

/**
 * The pure decider over one machine, the same for every flow (authentication, recovery): effects
 * and the failure read from the actions a transition collected; a finished or expired transaction
 * accepts nothing (401 E0000011); the precheck by event type; replay of a log.
 */
export const createDecider = <S extends SnapshotView, E extends { readonly type: string; readonly now: number }, F>(machine: {
  /** xstate's public, pure `transition()` on the machine. */
  readonly step: (snapshot: S, event: E) => [S, ReadonlyArray<ExecutedAction>]
  /** The event types the state `value` handles itself. */
  readonly ownEvents: (value: string) => ReadonlyArray<string>
  /** The action names that are effects for the shell. */
  readonly effectTypes: ReadonlyArray<string>
}) => {
  const toDecision = (prev: S | null, next: S, actions: ReadonlyArray<ExecutedAction>): DecisionOf<S, F> => {
    const effects: F[] = []
    let fail: AuthnFailure | null = null
    for (const a of actions) {
      if (a.type === 'fail') fail = a.params as AuthnFailure
      else if (machine.effectTypes.includes(a.type)) effects.push({ type: a.type, params: a.params } as F)
    }
    return {
      snapshot: next,
      state: next.value as MachineState,
      effects,
      failure: fail,
      changed: prev === null || prev.value !== next.value || prev.context !== next.context,
    }
  }

  /** The first event, from a start snapshot: everything it does is a change. */
  const first = (start: S, event: E): DecisionOf<S, F> => {
    const [next, actions] = machine.step(start, event)
    return toDecision(null, next, actions)
  }

  /** Applies one event; a finished or expired transaction accepts nothing: 401 E0000011 and no change. */
  const decide = (snapshot: S, event: E): DecisionOf<S, F> => {
    if (snapshot.status !== 'active' || event.now >= snapshot.context.expiresAt)
      return { snapshot, state: snapshot.value as MachineState, effects: [], failure: failure('E0000011'), changed: false }
    const [next, actions] = machine.step(snapshot, event)
    return toDecision(snapshot, next, actions)
  }

  /** The failure `decide` answers before looking at an event's facts, or null when the state takes events of `type`. */
  const precheck = (snapshot: S, type: E['type'], now: number): AuthnFailure | null => {
    if (snapshot.status !== 'active' || now >= snapshot.context.expiresAt) return failure('E0000011')
    return machine.ownEvents(String(snapshot.value)).includes(type) ? null : failure('E0000079', [CAUSES.notAllowedInState])
  }

  /** Every decision of a log, from the transaction's start snapshot (for audit). */
  const replay = (start: S, events: ReadonlyArray<E>): ReadonlyArray<DecisionOf<S, F>> => {
    const out: DecisionOf<S, F>[] = []
    let current = start
    for (const e of events) {
      const d = out.length === 0 ? first(current, e) : decide(current, e)
      out.push(d)
      current = d.snapshot
    }
    return out
  }

  return { first, decide, precheck, replay }
}
