import { afterAll, describe, expect, it } from 'vitest'
import { checkDeterminism, formatReport, harnessSeeds, runConformance, SPEC_PAIRS } from '@authn-machine/testkit'
import { makeEngineSystem, T0 } from './in-process-driver.js'

const deep = process.env['AUTHN_DEEP'] === '1'
/** `pnpm test` runs a bounded number of sequences per seed; `pnpm test:deep` at least 100,000 in all. */
const DEFAULT_RUNS = 1000
const RUNS = Number(process.env['AUTHN_RUNS'] ?? (deep ? 34_000 : DEFAULT_RUNS))
const SEEDS = harnessSeeds(T0)
/** Per seed, the pairs the spec accepts that its runs never reached. */
const unreached = new Map<string, ReadonlyArray<string>>()

let totalSequences = 0
let totalRequests = 0
afterAll(() => {
  console.log(`model-based harness, engine + memory adapter: ${totalSequences} command sequences, ${totalRequests} requests in all`)
})

describe.each(SEEDS)('model-based harness: engine + memory adapter ($name)', ({ name, seed }) => {
  it(`${RUNS} random command sequences agree with the reference model`, { timeout: deep ? 3_600_000 : 120_000 }, async () => {
    const report = await runConformance({
      seed,
      makeSystem: (s) => makeEngineSystem(s),
      varyPolicies: true,
      runs: RUNS,
      maxCommands: 40,
      progressEvery: 5000,
      onProgress: (done, total) => console.log(`[${name}] ${done}/${total} sequences`),
    })
    unreached.set(name, report.neverReached)
    totalSequences += report.runs
    totalRequests += report.commands
    console.log(
      `[${name}] ${report.runs} command sequences, ${report.commands} requests, ${report.coverage.size} (state, operation) pairs` +
        `, ${report.neverReached.length} the spec accepts never reached${report.neverReached.length === 0 ? '' : `: ${report.neverReached.join(', ')}`}`,
    )
    if (!report.ok || process.env['AUTHN_REPORT'] === '1') console.log(formatReport(report))
    expect(report.ok, report.failure ?? '').toBe(true)
    expect(report.runs).toBe(RUNS)
  })

  it('is deterministic: same seed, clock and inputs give the same responses', { timeout: 120_000 }, async () => {
    const r = await checkDeterminism({ seed, makeSystem: () => makeEngineSystem(seed, 'fixed'), runs: deep ? 2000 : 40, maxCommands: 30 })
    expect(r.ok, r.failure ?? '').toBe(true)
  })
})

describe('model-based harness: what the seeds reach together', () => {
  it.runIf(RUNS >= DEFAULT_RUNS)('every (state, operation) pair the spec accepts is reached by some seed', { timeout: 300_000 }, async () => {
    expect(unreached.size, 'the seeds ran first').toBe(SEEDS.length)
    const everywhere = () =>
      Object.entries(SPEC_PAIRS)
        .flatMap(([state, ops]) => ops.map((op) => `${state} × ${op}`))
        .filter((pair) => [...unreached.values()].every((missed) => missed.includes(pair)))
    // A pair rare enough to be missed by one batch gets up to two more batches per seed (random
    // as ever); one no batch reaches is a generator that can no longer get there.
    for (let batch = 0; batch < 2 && everywhere().length > 0; batch++)
      for (const { name, seed } of SEEDS) {
        if (everywhere().length === 0) break
        const report = await runConformance({ seed, makeSystem: (s) => makeEngineSystem(s), varyPolicies: true, runs: DEFAULT_RUNS, maxCommands: 40 })
        expect(report.ok, report.failure ?? '').toBe(true)
        const before = unreached.get(name) ?? []
        unreached.set(name, before.filter((pair) => report.neverReached.includes(pair)))
      }
    expect(everywhere(), 'pairs no seed reached in three batches').toEqual([])
  })
})
