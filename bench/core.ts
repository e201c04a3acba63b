/**
 * Core step cost: `decide` (the reused inert actor scope), xstate's public `transition()` (a fresh
 * actor scope per call) and a hand-written `switch` reducer doing the same work, measured in the same
 * run on the same events. Goal of the issue: ≤ 10 µs per core step.
 */
import { performance } from 'node:perf_hooks'
import { isDeepStrictEqual } from 'node:util'
import { transition } from 'xstate'
import {
  DEFAULT_POLICIES,
  asTokenHash,
  authnMachine,
  blankUser,
  decide,
  decideStart,
  evaluationFacts,
  nextStep,
  type AuthnContext,
  type AuthnEffect,
  type AuthnEvent,
  type AuthnInput,
  type AuthnSnapshot,
  type MachineState,
} from '@authn-machine/core'
import { median } from './stats.js'
import type { BenchLine } from './types.js'

const DAY = 86_400_000
const T0 = 1_700_000_000_000

/** A user inside the warn window who asked to be warned: primary authentication lands in PASSWORD_WARN. */
const INPUT: AuthnInput = {
  user: {
    ...blankUser('00ub0oNGTSWTBKOLGLNR'),
    profile: { login: 'dade.murphy@example.com', firstName: 'Dade', lastName: 'Murphy' },
    credentials: { passwordHash: 'plain:x', passwordChangedAt: T0 - 25 * DAY, passwordHistory: [], recoveryQuestion: null },
  },
  factors: [],
  deviceRemembered: false,
  deviceTokenHash: null,
  flow: 'PASSWORD',
  policy: {
    ...DEFAULT_POLICIES,
    password: { ...DEFAULT_POLICIES.password, age: { ...DEFAULT_POLICIES.password.age, maxAgeDays: 30, expireWarnDays: 7 } },
  },
  options: { warnBeforePasswordExpired: true, multiOptionalFactorEnroll: false },
  relayState: null,
  now: T0,
  lifetimeMs: 5 * 60_000,
  maxLifetimeMs: 60 * 60_000,
  sessionLifetimeMs: 5 * 60_000,
  lockedOut: false,
}

const sessionTokenHash = asTokenHash('S'.repeat(43))

interface Step {
  readonly state: MachineState
  readonly context: AuthnContext
  readonly effects: ReadonlyArray<AuthnEffect>
}

/**
 * The hand-written baseline: a plain `switch` over state and event for the transitions measured here,
 * with the same context updates and effects as the machine (and the same evaluation order).
 */
const reduce = (state: MachineState, c: AuthnContext, e: AuthnEvent): Step => {
  if (state === 'PASSWORD_WARN') {
    switch (e.type) {
      case 'transaction.read':
        return { state, context: { ...c, expiresAt: Math.min(e.now + c.lifetimeMs, c.absoluteExpiresAt) }, effects: [] }
      case 'transaction.skip': {
        const progress = { ...c.progress, warnHandled: true }
        const step = nextStep(evaluationFacts(c, progress, e.now))
        const touched = { ...c, expiresAt: Math.min(e.now + c.lifetimeMs, c.absoluteExpiresAt), progress }
        if (step !== 'SUCCESS') return { state: step, context: touched, effects: [] }
        const sessionExpiresAt = e.now + c.sessionLifetimeMs
        return {
          state: 'SUCCESS',
          context: { ...touched, sessionTokenHash: e.sessionTokenHash, sessionExpiresAt },
          effects: [{ type: 'issueSessionToken', params: { userId: c.userId, tokenHash: e.sessionTokenHash, expiresAt: sessionExpiresAt, kind: 'session' } }],
        }
      }
      default:
        return { state, context: c, effects: [] }
    }
  }
  return { state, context: c, effects: [] }
}

const EFFECTS: ReadonlyArray<string> = ['recordFailedAttempt', 'resetFailedAttempts', 'issueSessionToken', 'setPassword', 'activateUser', 'revokeOtherSessions']

const viaDecide = (s: AuthnSnapshot, e: AuthnEvent): Step => {
  const d = decide(s, e)
  return { state: d.state, context: d.snapshot.context, effects: d.effects }
}

const viaTransition = (s: AuthnSnapshot, e: AuthnEvent): Step => {
  const [next, actions] = transition(authnMachine, s, e)
  return {
    state: next.value as MachineState,
    context: next.context,
    effects: actions.filter((a) => EFFECTS.includes(a.type)).map((a) => ({ type: a.type, params: a.params }) as AuthnEffect),
  }
}

interface Scenario {
  readonly name: string
  readonly snapshot: AuthnSnapshot
  readonly event: AuthnEvent
}

/** Median per-operation time (µs) of `batches` timed batches of `size` calls each. */
const timeBatch = (size: number, op: () => unknown): number => {
  let sink = 0
  const start = performance.now()
  for (let i = 0; i < size; i++) if (op() !== undefined) sink++
  const elapsed = performance.now() - start
  if (sink !== size) throw new Error('lost results')
  return (elapsed * 1000) / size
}

/** Batch size so that one batch takes about `targetMs`, from the median of a few short timings. */
const calibrate = (op: () => unknown, targetMs: number): number => {
  const perOpMs = median(Array.from({ length: 7 }, () => timeBatch(200, op) / 1000))
  return Math.max(50, Math.round(targetMs / perOpMs))
}

const measure = (s: Scenario, rounds: number) => {
  const ops = {
    decide: () => viaDecide(s.snapshot, s.event),
    transition: () => viaTransition(s.snapshot, s.event),
    reducer: () => reduce(s.snapshot.value as MachineState, s.snapshot.context, s.event),
  }
  // Same answer from all three before anything is timed.
  const expected = ops.decide()
  for (const [name, op] of Object.entries(ops))
    if (!isDeepStrictEqual(op(), expected)) throw new Error(`${name} disagrees with decide on ${s.name}`)
  // Warm-up, then interleaved rounds so that drift on a shared machine hits all three alike.
  for (const op of Object.values(ops)) for (let i = 0; i < 2000; i++) op()
  const sizes = { decide: calibrate(ops.decide, 5), transition: calibrate(ops.transition, 5), reducer: calibrate(ops.reducer, 5) }
  const t = { decide: [] as number[], transition: [] as number[], reducer: [] as number[] }
  for (let r = 0; r < rounds; r++) {
    t.decide.push(timeBatch(sizes.decide, ops.decide))
    t.transition.push(timeBatch(sizes.transition, ops.transition))
    t.reducer.push(timeBatch(sizes.reducer, ops.reducer))
  }
  return { decide: median(t.decide), transition: median(t.transition), reducer: median(t.reducer), sizes }
}

export async function run(): Promise<ReadonlyArray<BenchLine>> {
  const start = decideStart(INPUT, { type: 'primary.verified', now: T0 + 1000, sessionTokenHash })
  if (start.state !== 'PASSWORD_WARN') throw new Error(`bench setup: expected PASSWORD_WARN, got ${start.state}`)
  const scenarios: ReadonlyArray<Scenario> = [
    { name: 'PASSWORD_WARN + transaction.skip → SUCCESS', snapshot: start.snapshot, event: { type: 'transaction.skip', now: T0 + 2000, sessionTokenHash } },
    { name: 'PASSWORD_WARN + transaction.read (touch)', snapshot: start.snapshot, event: { type: 'transaction.read', now: T0 + 2000 } },
  ]
  const lines: BenchLine[] = []
  for (const s of scenarios) {
    const m = measure(s, 31)
    const batches = `median of 31 batches; batch sizes ${m.sizes.decide}/${m.sizes.transition}/${m.sizes.reducer}`
    lines.push(
      { name: `core decide (reused scope): ${s.name}`, value: m.decide, unit: 'µs/op', note: `goal ≤ 10 µs; ${batches}` },
      { name: `core xstate transition(): ${s.name}`, value: m.transition, unit: 'µs/op' },
      { name: `core hand-written reducer: ${s.name}`, value: m.reducer, unit: 'µs/op' },
      { name: `core decide / reducer: ${s.name}`, value: m.decide / m.reducer, unit: 'ratio' },
      { name: `core transition() / reducer: ${s.name}`, value: m.transition / m.reducer, unit: 'ratio' },
      { name: `core transition() / decide: ${s.name}`, value: m.transition / m.decide, unit: 'ratio' },
    )
  }
  await Promise.resolve()
  return lines
}
