/**
 * The mutation check: deliberate faults in the system under test, each of which the model-based
 * harness must catch within its budget (runs per seed), run against the engine in process. A
 * fault the harness lets through is a hole in the harness, not in the engine: the test fails.
 *
 * Each fault is a real change of behaviour behind the driver, made the way such a bug would be
 * made: a policy read off by one or ignored, a store whose consume does not consume, a factor
 * plug-in that accepts any answer, an answer rendered with the wrong error code.
 */
import { afterAll, describe, expect, it } from 'vitest'
import * as TE from 'fp-ts/lib/TaskEither.js'
import type { Factor, OrgSeed } from '@authn-machine/core'
import { formatReport, harnessSeeds, runConformance, type Counterexample, type Driver, type HarnessReport, type System, type WireResponse } from '@authn-machine/testkit'
import { makeEngineSystem, T0, type Fault } from './in-process-driver.js'

/** Runs per seed a fault may take before the harness must have caught it. */
const BUDGET = Number(process.env['AUTHN_MUTATION_RUNS'] ?? 1000)
const SEEDS = harnessSeeds(T0)

const password = (s: OrgSeed) => s.policies?.password
/** `seed` with its lockout limit changed by `f`. */
const lockoutLimit = (f: (n: number) => number) => (s: OrgSeed): OrgSeed => ({
  ...s,
  policies: { ...s.policies, password: { ...password(s), lockout: { ...password(s)?.lockout, maxAttempts: f(password(s)?.lockout?.maxAttempts ?? 10) } } },
})

interface Mutant {
  readonly name: string
  /** The invariant or answer check the harness names when it catches the fault. */
  readonly caughtAs: RegExp
  /** The org the faulty system reads instead of the one the model reads. */
  readonly seed?: (s: OrgSeed) => OrgSeed
  readonly fault?: Fault
  readonly driver?: (d: Driver) => Driver
}

/** Every operation of `d` with its answers passed through `f`. */
const answersThrough = (d: Driver, f: (r: WireResponse) => WireResponse): Driver => {
  const wrapped: Record<string, unknown> = { ...d }
  for (const [k, v] of Object.entries(d))
    if (typeof v === 'function' && k !== 'advanceClock' && k !== 'readOutbox' && k !== 'lifecycle')
      wrapped[k] = async (body: unknown) => f(await (v as (b: unknown) => Promise<WireResponse>)(body))
  return wrapped as Driver
}

const MUTANTS: ReadonlyArray<Mutant> = [
  {
    name: 'lockout off by one (the account locks one failure late)',
    caughtAs: /answers match the spec|concurrent failures are counted one by one/,
    seed: lockoutLimit((n) => n + 1),
  },
  {
    name: 'a wrong error code (an expired or finished transaction answered 403 E0000079, not 401 E0000011)',
    caughtAs: /answers match the spec/,
    driver: (d) =>
      answersThrough(d, (r) => {
        const body = r.body as { errorCode?: unknown } | null
        return r.status === 401 && body?.errorCode === 'E0000011' ? { status: 403, body: { ...body, errorCode: 'E0000079' } } : r
      }),
  },
  {
    name: 'a skipped history check (a recent password is accepted again)',
    caughtAs: /answers match the spec/,
    seed: (s) => ({ ...s, policies: { ...s.policies, password: { ...password(s), age: { ...password(s)?.age, historyCount: 0 } } } }),
  },
  {
    name: 'a reused token (a redeemed session token redeems again)',
    caughtAs: /a session token is redeemed once|answers match the spec/,
    fault: (parts) => {
      const t = parts.stores.transactions
      const redeemed = new Map<string, Parameters<typeof t.issueToken>[0]>()
      const consumeToken: typeof t.consumeToken = (hash, kind, now) => async () => {
        const r = await t.consumeToken(hash, kind, now)()
        if (r._tag === 'Right') redeemed.set(hash, r.right)
        const again = redeemed.get(hash)
        return r._tag === 'Left' && r.left._tag === 'AlreadyConsumed' && again !== undefined ? { _tag: 'Right', right: again } : r
      }
      return { ...parts, stores: { ...parts.stores, transactions: { ...t, consumeToken } } }
    },
  },
  {
    name: 'a state reached without its factor (the security question accepts any answer)',
    caughtAs: /answers match the spec|no SUCCESS without every required factor/,
    fault: (parts) => ({
      ...parts,
      factorPlugins: parts.factorPlugins.map((f): Factor => (f.factorType === 'question' && 'verify' in f ? ({ ...f, verify: () => TE.right({ _tag: 'Accepted', counter: null }) } as Factor) : f)),
    }),
  },
]

const faulty = (m: Mutant) => async (s: OrgSeed): Promise<System> => {
  const system = await makeEngineSystem(m.seed === undefined ? s : m.seed(s), 1, m.fault)
  return m.driver === undefined ? system : { ...system, driver: m.driver(system.driver) }
}

/** Runs the harness on each seed in turn until it fails; the failing report and the seed's name. */
const hunt = async (m: Mutant): Promise<{ readonly report: HarnessReport; readonly seed: string; readonly runs: number } | null> => {
  let runs = 0
  for (const { name, seed } of SEEDS) {
    const report = await runConformance({ seed, makeSystem: faulty(m), varyPolicies: true, runs: BUDGET, maxCommands: 40 })
    runs += report.runs
    if (!report.ok) return { report, seed: name, runs }
  }
  return null
}

const caught: string[] = []
afterAll(() => {
  console.log(`mutation check (budget ${BUDGET} runs per seed, ${SEEDS.length} seeds):\n  ${caught.join('\n  ')}`)
})

describe('mutation check: the harness catches deliberate faults in the engine', () => {
  let lockoutCounterexample: Counterexample | null = null

  it.each(MUTANTS.map((m) => [m.name, m] as const))('catches %s', { timeout: 300_000 }, async (_name, m) => {
    const found = await hunt(m)
    expect(found, `not caught within ${BUDGET} runs on each of ${SEEDS.length} seeds`).not.toBeNull()
    if (found === null) return
    const c = found.report.counterexample
    caught.push(`${m.name}: caught on seed "${found.seed}" after ${found.runs} runs in all; shrunk to ${c?.steps.length ?? '?'} requests`)
    // The counterexample says what broke, and where: the step whose check failed, with the model's expectation.
    expect(c).not.toBeNull()
    if (c === null) return
    expect(c.failure).toMatch(m.caughtAs)
    expect(c.divergence).not.toBeNull()
    const divergent = c.steps[c.divergence ?? -1]
    expect(divergent?.expected, formatReport(found.report)).not.toBeNull()
    const text = formatReport(found.report)
    expect(text).toContain('>>> ')
    expect(text).toContain(`expected ${divergent?.expected ?? ''}`)
    if (m === MUTANTS[0]) lockoutCounterexample = c
  })

  it('replays a counterexample from its file form: the same steps, the same failure', { timeout: 60_000 }, async () => {
    const c = lockoutCounterexample
    expect(c, 'the lockout fault was caught first').not.toBeNull()
    if (c === null) return
    const file = JSON.parse(JSON.stringify(c)) as Counterexample
    const mutant = MUTANTS[0]
    if (mutant === undefined) return
    const report = await runConformance({ seed: file.seed, makeSystem: faulty(mutant), varyPolicies: file.varyPolicies, runs: 1, maxCommands: file.maxCommands, replay: file })
    expect(report.ok).toBe(false)
    expect(report.counterexample?.failure).toBe(c.failure)
    expect(JSON.stringify(report.counterexample?.steps)).toBe(JSON.stringify(c.steps))
    // And the same sequence against the engine without the fault passes.
    const sound = await runConformance({ seed: file.seed, makeSystem: (s) => makeEngineSystem(s), varyPolicies: file.varyPolicies, runs: 1, maxCommands: file.maxCommands, replay: file })
    expect(sound.ok, sound.failure ?? '').toBe(true)
  })
})
