import fc from 'fast-check'
import type { OrgSeed } from '@authn-machine/core'
import { commandArbitraries, type Exchange, type Real } from './commands.js'
import type { Driver } from './driver.js'
import { Model, sendingFamily } from './model.js'
import { recoveryArbitraries } from './recovery-commands.js'
import { sentCodeArbitraries } from './sent-code-commands.js'

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
  /** Builds a fresh, seeded system for each run. */
  readonly makeSystem: () => Promise<System>
  /** Number of command sequences. */
  readonly runs: number
  readonly maxCommands?: number
  readonly stateTokenLifetimeMs?: number
  readonly stateTokenMaxLifetimeMs?: number
  readonly sessionTokenLifetimeMs?: number
  /** fast-check seed, to reproduce a run. */
  readonly fcSeed?: number
  /** Called every `progressEvery` sequences. */
  readonly onProgress?: (done: number, total: number) => void
  readonly progressEvery?: number
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
const arbitraries = (o: HarnessOptions, controlsClock: boolean, outbox: boolean, more: Parameters<typeof commandArbitraries>[2]) => [
  ...commandArbitraries(o.seed.users.length, controlsClock, more),
  ...(outbox && sendsCodes(o.seed) ? sentCodeArbitraries(senders(o.seed), controlsClock, more?.concurrent !== false) : []),
  ...(outbox ? recoveryArbitraries(o.seed.users.length, controlsClock, more?.concurrent !== false) : []),
]

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
  let lastExchanges: Exchange[] = []
  const probe = await o.makeSystem()
  const controlsClock = probe.driver.advanceClock(0)
  const lifecycle = probe.driver.lifecycle !== undefined
  const outbox = await hasOutbox(probe.driver)
  await probe.dispose?.()
  const options = {
    stateTokenLifetimeMs: o.stateTokenLifetimeMs ?? 5 * 60_000,
    stateTokenMaxLifetimeMs: o.stateTokenMaxLifetimeMs ?? 60 * 60_000,
    sessionTokenLifetimeMs: o.sessionTokenLifetimeMs ?? 5 * 60_000,
  }
  const property = fc.asyncProperty(
    fc.commands(arbitraries(o, controlsClock, outbox, { lifecycle }), { maxCommands: o.maxCommands ?? 30, size: 'max' }),
    async (cmds) => {
      const system = await o.makeSystem()
      const exchanges: Exchange[] = []
      const real: Real = { driver: system.driver, exchanges, coverage, controlsClock }
      try {
        await fc.asyncModelRun(() => ({ model: new Model(o.seed, system.startTime, options), real }), cmds)
      } finally {
        lastExchanges = exchanges
        commands += exchanges.length
        done += 1
        if (o.onProgress !== undefined && done % (o.progressEvery ?? 1000) === 0) o.onProgress(done, o.runs)
        await system.dispose?.()
      }
    },
  )
  const details = await fc.check(property, { numRuns: o.runs, ...(o.fcSeed === undefined ? {} : { seed: o.fcSeed }) })
  if (!details.failed) return { ok: true, runs: details.numRuns, commands, coverage, neverReached: neverReached(coverage), failure: null, exchanges: [] }
  // Replay the shrunk counterexample once more to capture its exchanges.
  if (details.counterexample !== null) {
    const [cmds] = details.counterexample
    const system = await o.makeSystem()
    const exchanges: Exchange[] = []
    try {
      await fc.asyncModelRun(
        () => ({ model: new Model(o.seed, system.startTime, options), real: { driver: system.driver, exchanges, coverage: new Map(), controlsClock } }),
        cmds,
      )
    } catch {
      // Expected: it is the failing sequence.
    } finally {
      lastExchanges = exchanges
      await system.dispose?.()
    }
  }
  return {
    ok: false,
    runs: details.numRuns,
    commands,
    coverage,
    neverReached: neverReached(coverage),
    failure: fc.defaultReportMessage(details) ?? 'failed',
    exchanges: lastExchanges,
  }
}

/** A human-readable report: counts, coverage table, and on failure the shrunk exchanges. */
export const formatReport = (r: HarnessReport): string => {
  const lines = [`${r.ok ? 'PASSED' : 'FAILED'}: ${r.runs} command sequences, ${r.commands} requests`, '', 'coverage (state × operation: count):']
  for (const [k, v] of [...r.coverage.entries()].sort(([a], [b]) => a.localeCompare(b))) lines.push(`  ${k}: ${v}`)
  lines.push('', `never reached (pairs the spec accepts that no command of these runs reached): ${r.neverReached.length === 0 ? 'none' : ''}`)
  for (const pair of r.neverReached) lines.push(`  ${pair}`)
  if (!r.ok) {
    lines.push('', r.failure ?? '', '', 'shrunk sequence on the wire:')
    for (const e of r.exchanges)
      lines.push(`  ${e.operation} ${JSON.stringify(e.request)}`, `    -> ${e.response.status} ${JSON.stringify(e.response.body)}`)
  }
  return lines.join('\n')
}

/**
 * Determinism: the same command sequence against two fresh systems built the same way (same seed,
 * clock and random source) gives the same responses, byte for byte.
 */
export const checkDeterminism = async (o: HarnessOptions): Promise<{ readonly ok: boolean; readonly runs: number; readonly failure: string | null }> => {
  const options = {
    stateTokenLifetimeMs: o.stateTokenLifetimeMs ?? 5 * 60_000,
    stateTokenMaxLifetimeMs: o.stateTokenMaxLifetimeMs ?? 60 * 60_000,
    sessionTokenLifetimeMs: o.sessionTokenLifetimeMs ?? 5 * 60_000,
  }
  const probe = await o.makeSystem()
  const outbox = await hasOutbox(probe.driver)
  await probe.dispose?.()
  const runOnce = async (cmds: Iterable<fc.AsyncCommand<Model, Real>>) => {
    const system = await o.makeSystem()
    const exchanges: Exchange[] = []
    try {
      await fc.asyncModelRun(() => ({ model: new Model(o.seed, system.startTime, options), real: { driver: system.driver, exchanges, coverage: new Map(), controlsClock: true } }), cmds)
    } finally {
      await system.dispose?.()
    }
    return exchanges
  }
  // Lifecycle operations are sequential and reproducible; concurrent bursts are not byte for byte.
  const property = fc.asyncProperty(fc.commands(arbitraries(o, true, outbox, { lifecycle: true, concurrent: false }), { maxCommands: o.maxCommands ?? 30 }), async (cmds) => {
    const a = await runOnce(cmds)
    const b = await runOnce(cmds)
    if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error(`responses differ:\n${JSON.stringify(a)}\n${JSON.stringify(b)}`)
  })
  const details = await fc.check(property, { numRuns: o.runs, ...(o.fcSeed === undefined ? {} : { seed: o.fcSeed }) })
  return { ok: !details.failed, runs: details.numRuns, failure: details.failed ? (fc.defaultReportMessage(details) ?? 'failed') : null }
}
