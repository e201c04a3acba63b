import { afterAll, describe, expect, it } from 'vitest'
import { checkDeterminism, formatReport, harnessSeeds, runConformance } from '@authn-machine/testkit'
import { makeEngineSystem, T0 } from './in-process-driver.js'

const deep = process.env['AUTHN_DEEP'] === '1'
/** `pnpm test` runs a bounded number of sequences per seed; `pnpm test:deep` at least 100,000 in all (3 seeds). */
const RUNS = Number(process.env['AUTHN_RUNS'] ?? (deep ? 34_000 : 150))

let totalSequences = 0
let totalRequests = 0
afterAll(() => {
  console.log(`model-based harness, engine + memory adapter: ${totalSequences} command sequences, ${totalRequests} requests in all`)
})

describe.each(harnessSeeds(T0))('model-based harness: engine + memory adapter ($name)', ({ name, seed }) => {
  it(`${RUNS} random command sequences agree with the reference model`, { timeout: deep ? 3_600_000 : 120_000 }, async () => {
    const report = await runConformance({
      seed,
      makeSystem: () => makeEngineSystem(seed),
      runs: RUNS,
      maxCommands: 40,
      progressEvery: 5000,
      onProgress: (done, total) => console.log(`[${name}] ${done}/${total} sequences`),
    })
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
