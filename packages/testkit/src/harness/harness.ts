import fc from 'fast-check'
import type { OrgSeed } from '@authn-machine/core'
import { ConformanceError, commandArbitraries, type Exchange, type Real } from './commands.js'
import type { Driver, WireResponse } from './driver.js'
import { Model, sendingFamily } from './model.js'
import { recoveryArbitraries } from './recovery-commands.js'
import { sentCodeArbitraries } from './sent-code-commands.js'
import { stepUpArbitraries } from './step-up-commands.js'
import { challengeArbitraries } from './challenge-commands.js'
import { pushArbitraries, servesPush } from './push-commands.js'

/** A fresh system under test: a driver over a newly seeded org, and how to dispose of it. */
export interface System {
  readonly driver: Driver
  /** The system's clock at the moment it was seeded (the model starts there). */
  readonly startTime: number
  readonly dispose?: () => Promise<void>
}

export interface HarnessOptions {
  /** The org every run starts from (the same JSON the reference server's `--seed` reads). */
  readonly seed: OrgSeed
  /**
   * Builds a fresh system for each run, seeded with `seed`: the options' seed, or with
   * `varyPolicies` that seed under the run's drawn lockout and history policy.
   */
  readonly makeSystem: (seed: OrgSeed) => Promise<System>
  /** Number of command sequences. */
  readonly runs: number
  readonly maxCommands?: number
  readonly stateTokenLifetimeMs?: number
  readonly stateTokenMaxLifetimeMs?: number
  readonly sessionTokenLifetimeMs?: number
  /**
   * Draw each run's lockout and history policy ({@link policyDraws}: small limits most often) and
   * seed the system and the model with it. Only for a `makeSystem` that seeds from its argument.
   */
  readonly varyPolicies?: boolean
  /** fast-check seed, to reproduce a run. */
  readonly fcSeed?: number
  /** Replays one counterexample (from {@link HarnessReport.counterexample}) instead of random runs. */
  readonly replay?: Pick<Counterexample, 'fcSeed' | 'path' | 'replayPath'>
  /** Called every `progressEvery` sequences. */
  readonly onProgress?: (done: number, total: number) => void
  readonly progressEvery?: number
}

/** A run's lockout and history policy, drawn when {@link HarnessOptions.varyPolicies} is set. */
export interface PolicyDraw {
  readonly maxAttempts: number
  readonly showLockoutFailures: boolean
  readonly autoUnlockMinutes: number
  readonly historyCount: number
}

/** Small lockout limits four times out of five (1 to 3 attempts), else the usual ones; history from none to four. */
export const policyDraws: fc.Arbitrary<PolicyDraw> = fc.record({
  maxAttempts: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 3 }) }, { weight: 1, arbitrary: fc.constantFrom(4, 5, 10) }),
  showLockoutFailures: fc.boolean(),
  autoUnlockMinutes: fc.constantFrom(0, 1, 30),
  historyCount: fc.constantFrom(0, 1, 2, 4),
})

/** `seed` with the drawn lockout and history policy (the rest of its policies kept). */
export const withPolicy = (seed: OrgSeed, d: PolicyDraw | null): OrgSeed => {
  if (d === null) return seed
  const password = seed.policies?.password
  return {
    ...seed,
    policies: {
      ...seed.policies,
      password: {
        ...password,
        age: { ...password?.age, historyCount: d.historyCount },
        lockout: { ...password?.lockout, maxAttempts: d.maxAttempts, showLockoutFailures: d.showLockoutFailures, autoUnlockMinutes: d.autoUnlockMinutes },
      },
    },
  }
}

/** One step of a counterexample: the command, its request, what the model expected and what came back. */
export interface CounterexampleStep {
  readonly command: string
  readonly operation: string
  readonly request: unknown
  /** The model's expectation; null where the command checks an invariant rather than one answer. */
  readonly expected: string | null
  readonly actual: WireResponse
}

/**
 * A shrunk failing sequence as a file can hold it (`authn-conformance --replay FILE`): where
 * fast-check draws it from (seed, path, the commands' replay path), the org, the steps on the wire
 * and the first divergence (the step whose check failed).
 */
export interface Counterexample {
  readonly format: 'authn-conformance-counterexample/1'
  readonly fcSeed: number
  readonly path: string
  readonly replayPath: string | null
  readonly maxCommands: number
  readonly varyPolicies: boolean
  /** The org of the options (the drawn policy, if any, is applied on top). */
  readonly seed: OrgSeed
  readonly policy: PolicyDraw | null
  /** The commands that ran, in order. */
  readonly commands: ReadonlyArray<string>
  /** The broken invariant and what was seen. */
  readonly failure: string
  /** Index in `steps` of the first divergence; null when the failure came before any request. */
  readonly divergence: number | null
  readonly steps: ReadonlyArray<CounterexampleStep>
}

/**
 * The (state, operation) pairs the spec accepts, restated for the report of pairs a run never
 * reached (spec §3.2, §4, §10; recovery states prefixed `R:`, a decoy's challenge apart). `NEW`:
 * requests that start a transaction.
 */
export const SPEC_PAIRS: Readonly<Record<string, ReadonlyArray<string>>> = {
  NEW: ['authenticate', 'forgotPassword', 'unlockAccount'],
  PASSWORD_WARN: ['changePassword', 'skip', 'getState', 'cancel'],
  PASSWORD_EXPIRED: ['changePassword', 'getState', 'cancel'],
  PASSWORD_RESET: ['resetPassword', 'getState', 'cancel'],
  MFA_ENROLL: ['enrollFactor', 'skip', 'getState', 'cancel'],
  MFA_ENROLL_ACTIVATE: ['activateFactor', 'resendActivation', 'previous', 'getState', 'cancel'],
  MFA_REQUIRED: ['verifyFactor', 'getState', 'cancel'],
  MFA_CHALLENGE: ['verifyFactor', 'resendChallenge', 'previous', 'getState', 'cancel'],
  'R:RECOVERY_CHALLENGE': ['verifyRecoveryFactor', 'resendRecoveryChallenge', 'getState', 'cancel'],
  'R:RECOVERY_CHALLENGE(decoy)': ['verifyRecoveryFactor', 'resendRecoveryChallenge', 'getState', 'cancel'],
  'R:RECOVERY': ['answerRecoveryQuestion', 'getState', 'cancel'],
  'R:PASSWORD_RESET': ['resetPassword', 'getState', 'cancel'],
  'TOKEN:LIVE': ['verifyRecoveryToken'],
  // Step-up (spec §4.2–4.3): a ticket waiting for its user, and the `original` link of a step-up SUCCESS.
  UNAUTHENTICATED: ['authenticate', 'getState'],
  'ORIGINAL:LIVE': ['stepUpRedirect'],
}

/**
 * The pairs of {@link SPEC_PAIRS} that `coverage` (`state × operation(details)`) never saw, as
 * `state × operation`, in the table's order: what a run's commands or its seed did not reach.
 */
export const neverReached = (coverage: ReadonlyMap<string, number>): ReadonlyArray<string> => {
  // The operation's details in parentheses go; a state's own (`R:RECOVERY_CHALLENGE(decoy)`) stay.
  const seen = new Set(
    [...coverage.keys()].map((k) => {
      const at = k.indexOf(' × ')
      return at < 0 ? k : `${k.slice(0, at)} × ${k.slice(at + 3).replace(/\(.*$/, '').trim()}`
    }),
  )
  return Object.entries(SPEC_PAIRS).flatMap(([state, ops]) => ops.map((op) => `${state} × ${op}`).filter((pair) => !seen.has(pair)))
}

export interface HarnessReport {
  readonly ok: boolean
  readonly runs: number
  readonly commands: number
  /** `(state, operation)` pairs with how often each was exercised. */
  readonly coverage: ReadonlyMap<string, number>
  /** The pairs the spec accepts that no command reached ({@link neverReached}). */
  readonly neverReached: ReadonlyArray<string>
  /** On failure: fast-check's report (seed, path, shrunk counterexample). */
  readonly failure: string | null
  /** On failure: the requests and responses of the shrunk sequence. */
  readonly exchanges: ReadonlyArray<Exchange>
  /** On failure: the shrunk sequence, step by step, replayable ({@link HarnessOptions.replay}). */
  readonly counterexample: Counterexample | null
}

/** Whether the driver reads an outbox: only then are codes sent (SMS, call, email) and read back. */
const hasOutbox = async (driver: Driver): Promise<boolean> => driver.readOutbox !== undefined && (await driver.readOutbox('outbox.probe@example.invalid')) !== null

/** Whether a factor (seeded, or in the enrollment policy) sends codes. */
const sends = (f: { readonly factorType: string; readonly provider: string }): boolean => sendingFamily(`${f.factorType}/${f.provider}`) !== undefined

/** Whether an org has factors that send codes, seeded or enrollable. */
const sendsCodes = (seed: OrgSeed): boolean => seed.users.some((u) => (u.factors ?? []).some(sends)) || (seed.policies?.enrollment?.factors ?? []).some(sends)

/**
 * The indices of the seed's users whose sign-in leads to a code: those with a factor that sends
 * codes, and those who can sign in without any factor when the org requires one that sends codes.
 */
const senders = (seed: OrgSeed): ReadonlyArray<number> => {
  const mustEnroll = (seed.policies?.enrollment?.factors ?? []).some((f) => f.enroll === 'REQUIRED' && sends(f))
  return seed.users.flatMap((u, i) => {
    const factors = u.factors ?? []
    const signsIn = u.password !== undefined && u.status !== 'LOCKED_OUT' && u.status !== 'STAGED'
    return factors.some(sends) || (mustEnroll && signsIn && factors.length === 0) ? [i] : []
  })
}

/**
 * The commands of a run: those of {@link commandArbitraries}, the sent-code ones with an outbox
 * and an org that sends codes, and the recovery ones with an outbox (recovery by email is on by
 * default; codes and recovery links are read back from it).
 */
const arbitraries = (
  o: HarnessOptions,
  controlsClock: boolean,
  outbox: boolean,
  more: Parameters<typeof commandArbitraries>[2],
  stepUp: StepUpAbility = NO_STEP_UP,
  push = false,
) => [
  ...commandArbitraries(o.seed.users.length, controlsClock, more),
  ...(outbox && sendsCodes(o.seed) ? sentCodeArbitraries(senders(o.seed), controlsClock, more?.concurrent !== false) : []),
  ...(outbox ? recoveryArbitraries(o.seed.users.length, controlsClock, more?.concurrent !== false) : []),
  ...(stepUp.follow && (o.seed.apps ?? []).length > 0 ? stepUpArbitraries(o.seed.users.length, (o.seed.apps ?? []).length, stepUp.open) : []),
  // WebAuthn, with a software authenticator, where the org's enrollment policy names it.
  ...((o.seed.policies?.enrollment?.factors ?? []).some((f) => f.factorType === 'webauthn' && f.provider === 'FIDO') ? challengeArbitraries() : []),
  // Push, with the harness's own device, where the org's enrollment policy names it and the driver
  // serves the device's operations (the enrollment link is read back from the outbox).
  ...(push && outbox && (o.seed.policies?.enrollment?.factors ?? []).some((f) => f.factorType === 'push' && f.provider === 'OKTA') ? pushArbitraries(o.seed.users.length, controlsClock) : []),
]

/** What the driver can do of step-up: follow `original` links (then `audience` is sent), open SP-initiated ones. */
interface StepUpAbility {
  readonly follow: boolean
  readonly open: boolean
}
const NO_STEP_UP: StepUpAbility = { follow: false, open: false }
const stepUpOf = (driver: Driver): StepUpAbility => ({ follow: driver.stepUpRedirect !== undefined, open: driver.stepUpRedirect !== undefined && driver.openStepUp !== undefined })

/**
 * Runs `runs` random command sequences against fresh systems and checks, after every command,
 * that the answer is the model's and that the invariants hold: no SUCCESS without a verified
 * password; lockout after exactly `maxAttempts` failures and never SUCCESS while locked; an expired
 * or finished transaction accepts nothing; a session token is redeemed once; bad input gets an
 * Okta 400; never a 5xx. With an outbox (`Driver.readOutbox`), also for codes sent by SMS, call
 * and email: a code is accepted at most once, only in its transaction, before it expires and
 * until a resend replaces it; no SUCCESS through a sending factor without the code it sent; a
 * throttled or refused send adds nothing to the outbox; every code goes to the enrolled
 * destination, and no response shows a phone number or email address unmasked. With an outbox,
 * recovery too (spec §4.12–4.18): a recovery token works once; no password change or unlock
 * without the channel proven and the question answered when asked; known and unknown users get the
 * same answers and only known ones get messages; an unlock is a credential change like any other.
 */
export const runConformance = async (o: HarnessOptions): Promise<HarnessReport> => {
  const coverage = new Map<string, number>()
  let commands = 0
  let done = 0
  const probe = await o.makeSystem(o.seed)
  const controlsClock = probe.driver.advanceClock(0)
  const lifecycle = probe.driver.lifecycle !== undefined
  const outbox = await hasOutbox(probe.driver)
  const stepUp = stepUpOf(probe.driver)
  const push = servesPush(probe.driver)
  await probe.dispose?.()
  const options = modelOptions(o)
  const maxCommands = o.maxCommands ?? 30
  const varyPolicies = o.varyPolicies === true
  const cmdsArb = fc.commands(traced(arbitraries(o, controlsClock, outbox, { lifecycle }, stepUp, push)), {
    maxCommands,
    size: 'max',
    ...(o.replay?.replayPath == null ? {} : { replayPath: o.replay.replayPath }),
  })
  // One run in three keeps the seed's own policy.
  const input = fc.tuple(varyPolicies ? fc.option(policyDraws, { freq: 3, nil: null }) : fc.constant(null), cmdsArb)
  /** One sequence against a fresh system; the exchanges and the commands that ran are kept in `trace`. */
  const runOnce = async (draw: PolicyDraw | null, cmds: Iterable<fc.AsyncCommand<Model, Real>>, cover: Map<string, number>, trace: Trace) => {
    const seed = withPolicy(o.seed, draw)
    const system = await o.makeSystem(seed)
    const real: Real = { driver: system.driver, exchanges: trace.exchanges, coverage: cover, controlsClock, command: '' }
    trace.real = real
    try {
      await fc.asyncModelRun(() => ({ model: new Model(seed, system.startTime, options), real }), cmds)
    } finally {
      await system.dispose?.()
    }
  }
  const property = fc.asyncProperty(input, async ([draw, cmds]) => {
    const trace: Trace = { exchanges: [], real: null }
    try {
      await runOnce(draw, cmds, coverage, trace)
    } finally {
      commands += trace.exchanges.length
      done += 1
      if (o.onProgress !== undefined && done % (o.progressEvery ?? 1000) === 0) o.onProgress(done, o.runs)
    }
  })
  const fcSeed = o.replay?.fcSeed ?? o.fcSeed ?? (Date.now() ^ (Math.random() * 0x100000000)) | 0
  const details = await fc.check(property, {
    numRuns: o.replay === undefined ? o.runs : 1,
    seed: fcSeed,
    ...(o.replay === undefined ? {} : { path: o.replay.path, endOnFailure: true }),
  })
  const base = { runs: details.numRuns, commands, coverage, neverReached: neverReached(coverage) }
  if (!details.failed) return { ok: true, ...base, failure: null, exchanges: [], counterexample: null }
  // Run the shrunk counterexample once more to capture it step by step.
  let counterexample: Counterexample | null = null
  let exchanges: ReadonlyArray<Exchange> = []
  if (details.counterexample !== null) {
    const [[draw, cmds]] = details.counterexample
    const trace: Trace = { exchanges: [], real: null }
    let failure = 'the sequence passed when run again: the failure depends on timing or on state outside the seeded org'
    let divergence: number | null = null
    try {
      await runOnce(draw, cmds, new Map(), trace)
    } catch (e) {
      failure = e instanceof Error ? e.message : String(e)
      // The answer whose check failed, else (an invariant over several answers) the last one sent.
      const at = e instanceof ConformanceError && e.response !== undefined ? trace.exchanges.findIndex((x) => x.response === e.response) : -1
      divergence = at >= 0 ? at : trace.exchanges.length === 0 ? null : trace.exchanges.length - 1
    }
    exchanges = trace.exchanges
    const replayPath = /replayPath="([^"]*)"/.exec(String(cmds))?.[1] ?? null
    counterexample = {
      format: 'authn-conformance-counterexample/1',
      fcSeed: details.seed,
      path: details.counterexamplePath ?? '',
      replayPath,
      maxCommands,
      varyPolicies,
      seed: o.seed,
      policy: draw,
      commands: [...new Set(trace.exchanges.map((e) => e.command))],
      failure,
      divergence,
      steps: trace.exchanges.map((e) => ({ command: e.command, operation: e.operation, request: e.request, expected: e.expected ?? null, actual: e.response })),
    }
  }
  return { ok: false, ...base, failure: fc.defaultReportMessage(details) ?? 'failed', exchanges, counterexample }
}

interface Trace {
  readonly exchanges: Exchange[]
  real: Real | null
}

const modelOptions = (o: Pick<HarnessOptions, 'stateTokenLifetimeMs' | 'stateTokenMaxLifetimeMs' | 'sessionTokenLifetimeMs'>) => ({
  stateTokenLifetimeMs: o.stateTokenLifetimeMs ?? 5 * 60_000,
  stateTokenMaxLifetimeMs: o.stateTokenMaxLifetimeMs ?? 60 * 60_000,
  sessionTokenLifetimeMs: o.sessionTokenLifetimeMs ?? 5 * 60_000,
})

/** A command that names itself to the exchanges it makes (`Real.command`) before it runs. */
class Traced implements fc.AsyncCommand<Model, Real> {
  constructor(readonly inner: fc.AsyncCommand<Model, Real>) {}
  check(model: Readonly<Model>): boolean {
    return this.inner.check(model)
  }
  run(model: Model, real: Real): Promise<void> {
    real.command = this.inner.toString()
    return this.inner.run(model, real)
  }
  toString(): string {
    return this.inner.toString()
  }
}

const traced = (arbs: ReadonlyArray<fc.Arbitrary<fc.AsyncCommand<Model, Real>>>) => arbs.map((a) => a.map((c): fc.AsyncCommand<Model, Real> => new Traced(c)))

const show = (x: unknown): string => JSON.stringify(x) ?? String(x)

/**
 * A counterexample as a reader follows it: each step with the command that sent it, the request,
 * what the model expected and what came back; the first divergence marked `>>>`.
 */
export const formatCounterexample = (c: Counterexample): string => {
  const lines = [
    `counterexample: ${c.commands.length} command(s), ${c.steps.length} request(s)${c.policy === null ? '' : `, policy ${show(c.policy)}`}`,
    `broken: ${c.failure}`,
    '',
  ]
  let last = ''
  for (const [i, step] of c.steps.entries()) {
    const mark = i === c.divergence ? '>>>' : '   '
    if (step.command !== last) lines.push(`${mark} ${step.command}`)
    else if (i === c.divergence) lines.push(`${mark} (${step.command}, continued)`)
    last = step.command
    lines.push(`      request  ${step.operation} ${show(step.request)}`)
    lines.push(`      expected ${step.expected ?? '(an invariant of the command, see "broken")'}`)
    lines.push(`      actual   ${step.actual.status} ${show(step.actual.body)}`)
    if (i === c.divergence) lines.push('      ^^^ first divergence: the check of this answer failed')
  }
  return lines.join('\n')
}

/** A human-readable report: counts, coverage table, and on failure the shrunk counterexample. */
export const formatReport = (r: HarnessReport): string => {
  const lines = [`${r.ok ? 'PASSED' : 'FAILED'}: ${r.runs} command sequences, ${r.commands} requests`, '', 'coverage (state × operation: count):']
  for (const [k, v] of [...r.coverage.entries()].sort(([a], [b]) => a.localeCompare(b))) lines.push(`  ${k}: ${v}`)
  lines.push('', `never reached (pairs the spec accepts that no command of these runs reached): ${r.neverReached.length === 0 ? 'none' : ''}`)
  for (const pair of r.neverReached) lines.push(`  ${pair}`)
  if (!r.ok) {
    lines.push('', r.failure ?? '', '')
    if (r.counterexample !== null) lines.push(formatCounterexample(r.counterexample))
    else for (const e of r.exchanges) lines.push(`  ${e.operation} ${show(e.request)}`, `    -> ${e.response.status} ${show(e.response.body)}`)
  }
  return lines.join('\n')
}

/**
 * Determinism: the same command sequence against two fresh systems built the same way (same seed,
 * clock and random source) gives the same responses, byte for byte.
 */
export const checkDeterminism = async (o: HarnessOptions): Promise<{ readonly ok: boolean; readonly runs: number; readonly failure: string | null }> => {
  const options = modelOptions(o)
  const probe = await o.makeSystem(o.seed)
  const outbox = await hasOutbox(probe.driver)
  const push = servesPush(probe.driver)
  await probe.dispose?.()
  const runOnce = async (cmds: Iterable<fc.AsyncCommand<Model, Real>>) => {
    const system = await o.makeSystem(o.seed)
    const exchanges: Exchange[] = []
    try {
      await fc.asyncModelRun(() => ({ model: new Model(o.seed, system.startTime, options), real: { driver: system.driver, exchanges, coverage: new Map(), controlsClock: true, command: '' } }), cmds)
    } finally {
      await system.dispose?.()
    }
    return exchanges
  }
  // Lifecycle operations are sequential and reproducible; concurrent bursts are not byte for byte.
  const property = fc.asyncProperty(fc.commands(traced(arbitraries(o, true, outbox, { lifecycle: true, concurrent: false }, stepUpOf(probe.driver), push)), { maxCommands: o.maxCommands ?? 30 }), async (cmds) => {
    // What is compared is what the systems answered: a request may carry an ECDSA signature, which
    // node:crypto randomizes (the harness's WebAuthn assertions), and the answer must not depend on it.
    const answers = (xs: ReadonlyArray<Exchange>) => xs.map(({ command, operation, response }) => ({ command, operation, response }))
    const a = answers(await runOnce(cmds))
    const b = answers(await runOnce(cmds))
    const at = a.findIndex((x, i) => JSON.stringify(x) !== JSON.stringify(b[i]))
    if (at >= 0 || a.length !== b.length)
      throw new Error(`responses differ at exchange ${at < 0 ? Math.min(a.length, b.length) : at}:\n${JSON.stringify(a[at] ?? null)}\n${JSON.stringify(b[at] ?? null)}`)
  })
  const details = await fc.check(property, { numRuns: o.runs, ...(o.fcSeed === undefined ? {} : { seed: o.fcSeed }) })
  const cause = details.errorInstance instanceof Error ? `\n${details.errorInstance.message}` : ''
  return { ok: !details.failed, runs: details.numRuns, failure: details.failed ? `${fc.defaultReportMessage(details) ?? 'failed'}${cause}` : null }
}
