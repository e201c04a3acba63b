import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { initialTransition, transition } from 'xstate'
import { CAUSES, authnMachine, decide, decideStart, initialContext, precheck, requiredEnrollmentMissing, restoreAuthn, startAuthn, type AuthnEvent, type AuthnSnapshot } from '../src/index.js'
import {
  FINISHED_STATES,
  LIVE_STATES,
  MINUTE,
  arbContext,
  arbEventBetween,
  arbInput,
  arbRun,
  arbStep,
  type Step,
} from './arbitraries.js'
import { drive, outcomeOf, plain, snapshotOf, viaTransition } from './helpers.js'

const live = (s: AuthnSnapshot, now: number) => s.status === 'active' && now < s.context.expiresAt

describe('decide, over xstate public transition(), matches transition() called directly', () => {
  test.prop([arbInput])('startAuthn gives the snapshot of initialTransition', (input) => {
    const [reference, actions] = initialTransition(authnMachine, input)
    const s = startAuthn(input)
    expect(actions).toEqual([])
    expect({ value: s.value, status: s.status, context: s.context }).toEqual({
      value: reference.value,
      status: reference.status,
      context: reference.context,
    })
    // decideStart builds the same snapshot without the initial microstep.
    const restored = restoreAuthn('UNAUTHENTICATED', initialContext(input))
    expect({ value: restored.value, status: restored.status, context: restored.context }).toEqual({
      value: reference.value,
      status: reference.status,
      context: reference.context,
    })
  })

  test.prop([arbRun], { numRuns: 300 })('same state, context and actions along arbitrary runs', ({ input, events }) => {
    let ours = startAuthn(input)
    let theirs = startAuthn(input)
    events.forEach((e, i) => {
      const reference = viaTransition(theirs, e)
      const d = i === 0 ? decideStart(input, e) : decide(ours, e)
      if (i === 0 || live(ours, e.now)) {
        expect(outcomeOf(d, reference)).toEqual(reference)
        theirs = transition(authnMachine, theirs, e)[0]
      }
      ours = d.snapshot
    })
  })

  test.prop([arbStep], { numRuns: 1000 })('same outcome from any restored state and context', ({ state, context, event }) => {
    const s = snapshotOf(state, context)
    fc.pre(live(s, event.now))
    const reference = viaTransition(s, event)
    expect(outcomeOf(decide(s, event), reference)).toEqual(reference)
  })

  test.prop([arbStep], { numRuns: 300 })('decide leaves its input snapshot unchanged', ({ state, context, event }) => {
    const s = snapshotOf(state, context)
    const before = structuredClone({ value: s.value, status: s.status, context: s.context })
    decide(s, event)
    expect({ value: s.value, status: s.status, context: s.context }).toEqual(before)
  })
})

describe('determinism', () => {
  test.prop([arbRun], { numRuns: 200 })('the same input and events give deep-equal decisions', ({ input, events }) => {
    const a = drive(input, events).map(plain)
    const b = drive(structuredClone(input), structuredClone(events)).map(plain)
    expect(b).toEqual(a)
  })

  test.prop([arbStep, arbStep])('an unrelated decision in between changes nothing', (x, y) => {
    const first = plain(decide(snapshotOf(x.state, x.context), x.event))
    decide(snapshotOf(y.state, y.context), y.event)
    expect(plain(decide(snapshotOf(x.state, x.context), x.event))).toEqual(first)
  })
})

describe('a finished or expired transaction accepts nothing', () => {
  test.prop([
    fc.constantFrom(...FINISHED_STATES),
    arbContext.chain((c) => arbEventBetween(c.expiresAt - 10 * MINUTE, c.expiresAt + MINUTE).map((e) => [c, e] as const)),
  ])('finished states answer E0000011, changed: false', (state, [context, event]) => {
    const s = snapshotOf(state, context)
    expect(s.status).toBe('done')
    const d = decide(s, event)
    expect(d.failure).toEqual({ code: 'E0000011', causes: [] })
    expect(d.changed).toBe(false)
    expect(d.effects).toEqual([])
    expect(d.snapshot).toBe(s)
    expect(precheck(s, event.type, event.now)).toEqual({ code: 'E0000011', causes: [] })
  })

  test.prop([
    fc.constantFrom('UNAUTHENTICATED' as const, ...LIVE_STATES),
    arbContext.chain((c) => arbEventBetween(c.expiresAt, c.expiresAt + 30 * 24 * 60 * MINUTE).map((e) => [c, e] as const)),
  ])('now >= expiresAt answers E0000011, changed: false, in every state', (state, [context, event]) => {
    const s = snapshotOf(state, context)
    const d = decide(s, event)
    expect(d.failure).toEqual({ code: 'E0000011', causes: [] })
    expect(d.changed).toBe(false)
    expect(d.effects).toEqual([])
    expect(d.state).toBe(state)
    expect(precheck(s, event.type, event.now)).toEqual({ code: 'E0000011', causes: [] })
  })
})

const handles = (s: AuthnSnapshot, type: string): boolean =>
  (authnMachine.getStateNodeById(`authn.${String(s.value)}`).ownEvents as ReadonlyArray<string>).includes(type)

/**
 * Refusals that depend on the event's content, not its type (so `precheck`, which sees only the
 * type, lets them through): an answer or a resend for another factor than the one the state awaits, and a skip
 * of an enrollment that is still REQUIRED.
 */
const refusedByContent = (s: AuthnSnapshot, e: AuthnEvent): boolean => {
  const c = s.context
  if (e.type === 'factor.activate') return e.factorId !== c.activating?.id
  if (e.type === 'factor.verify') return c.challenge !== null && e.factorId !== c.challenge
  // A resend of another factor's code than the one the state awaits (or of none).
  if (e.type === 'factor.challenge')
    return s.value === 'MFA_ENROLL_ACTIVATE' ? e.factorId !== c.activating?.id : e.resend && e.factorId !== c.challenge
  // A poll of, or a third party's response for, another factor than the one being activated or challenged (Duo).
  if (e.type === 'factor.nonce' && s.value === 'MFA_ENROLL_ACTIVATE') return e.factorId !== c.activating?.id
  if (e.type === 'factor.deny') return s.value === 'MFA_ENROLL_ACTIVATE' || e.factorId !== c.challenge || c.nonce?.factorId !== e.factorId
  if (e.type === 'factor.confirm')
    return s.value === 'MFA_ENROLL_ACTIVATE' ? e.factorId !== c.activating?.id : e.factorId !== c.challenge || c.nonce?.factorId !== e.factorId
  if (e.type === 'transaction.skip' && s.value === 'MFA_ENROLL') return requiredEnrollmentMissing(c)
  return false
}

describe('strict state enforcement (spec §3, §10: anything else is 403 E0000079)', () => {
  test.prop([arbStep], { numRuns: 1000 })('an event the state does not handle answers E0000079, changed: false', ({ state, context, event }) => {
    const s = snapshotOf(state, context)
    fc.pre(live(s, event.now) && !handles(s, event.type))
    const d = decide(s, event)
    expect(d.failure).toEqual({ code: 'E0000079', causes: [CAUSES.notAllowedInState] })
    expect(d.changed).toBe(false)
    expect(d.effects).toEqual([])
    expect(d.snapshot.context).toBe(s.context)
    expect(d.state).toBe(state)
  })

  test.prop([arbStep], { numRuns: 1000 })('an event the state handles never answers E0000079 or E0000011', ({ state, context, event }) => {
    const s = snapshotOf(state, context)
    fc.pre(live(s, event.now) && handles(s, event.type) && !refusedByContent(s, event))
    const d = decide(s, event)
    expect(d.failure?.code).not.toBe('E0000079')
    expect(d.failure?.code).not.toBe('E0000011')
    // A send inside its family's resend throttle is refused with its 429 and writes nothing.
    expect(d.changed).toBe(!['E0000109', 'E0000118', 'E0000133'].includes(d.failure?.code ?? ''))
  })

  test.prop([arbStep], { numRuns: 1000 })('precheck agrees with decide about E0000011 and E0000079', ({ state, context, event }: Step) => {
    const s = snapshotOf(state, context)
    const early = precheck(s, event.type, event.now)
    const d = decide(s, event)
    fc.pre(!(live(s, event.now) && handles(s, event.type) && refusedByContent(s, event)))
    const refused = d.failure !== null && (d.failure.code === 'E0000011' || d.failure.code === 'E0000079')
    expect(early === null).toBe(!refused)
    if (early !== null) expect(d.failure).toEqual(early)
  })
})

describe('sliding expiry (spec §3.1: every request extends the state token)', () => {
  test.prop([arbStep], { numRuns: 1000 })(
    'every accepted event that leaves the transaction live sets expiresAt = min(now + lifetimeMs, absoluteExpiresAt)',
    ({ state, context, event }) => {
      const s = snapshotOf(state, context)
      fc.pre(live(s, event.now))
      const d = decide(s, event)
      // Refusals write nothing: an invalid token, a wrong state, a failed sign-in, a resend inside its throttle.
      const accepted = d.failure === null || !['E0000011', 'E0000079', 'E0000004', 'E0000109', 'E0000118', 'E0000133'].includes(d.failure.code)
      if (accepted && d.snapshot.status === 'active') expect(d.snapshot.context.expiresAt).toBe(Math.min(event.now + context.lifetimeMs, context.absoluteExpiresAt))
      if (!accepted) expect(d.snapshot.context.expiresAt).toBe(context.expiresAt)
    },
  )
})
