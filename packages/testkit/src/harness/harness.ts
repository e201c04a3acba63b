import fc from 'fast-check'
import type { OrgSeed } from '@authn-machine/core'
import { commandArbitraries, type Exchange, type Real } from './commands.js'
import type { Driver } from './driver.js'
import { Model } from './model.js'

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

export interface HarnessReport {
  readonly ok: boolean
  readonly runs: number
  readonly commands: number
  /** `(state, operation)` pairs with how often each was exercised. */
  readonly coverage: ReadonlyMap<string, number>
  /** On failure: fast-check's report (seed, path, shrunk counterexample). */
  readonly failure: string | null
  /** On failure: the requests and responses of the shrunk sequence. */
  readonly exchanges: ReadonlyArray<Exchange>
}

/**
 * Runs `runs` random command sequences against fresh systems and checks, after every command,
 * that the answer is the model's and that the invariants hold: no SUCCESS without a verified
 * password; lockout after exactly `maxAttempts` failures and never SUCCESS while locked; an expired
 * or finished transaction accepts nothing; a session token is redeemed once; bad input gets an
 * Okta 400; never a 5xx.
 */
export const runConformance = async (o: HarnessOptions): Promise<HarnessReport> => {
  const coverage = new Map<string, number>()
  let commands = 0
  let done = 0
  let lastExchanges: Exchange[] = []
  const probe = await o.makeSystem()
  const controlsClock = probe.driver.advanceClock(0)
  const lifecycle = probe.driver.lifecycle !== undefined
  await probe.dispose?.()
  const options = {
    stateTokenLifetimeMs: o.stateTokenLifetimeMs ?? 5 * 60_000,
    stateTokenMaxLifetimeMs: o.stateTokenMaxLifetimeMs ?? 60 * 60_000,
    sessionTokenLifetimeMs: o.sessionTokenLifetimeMs ?? 5 * 60_000,
  }
  const property = fc.asyncProperty(
    fc.commands(commandArbitraries(o.seed.users.length, controlsClock, { lifecycle }), { maxCommands: o.maxCommands ?? 30, size: 'max' }),
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
  if (!details.failed) return { ok: true, runs: details.numRuns, commands, coverage, failure: null, exchanges: [] }
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
    failure: fc.defaultReportMessage(details) ?? 'failed',
    exchanges: lastExchanges,
  }
}

/** A human-readable report: counts, coverage table, and on failure the shrunk exchanges. */
export const formatReport = (r: HarnessReport): string => {
  const lines = [`${r.ok ? 'PASSED' : 'FAILED'}: ${r.runs} command sequences, ${r.commands} requests`, '', 'coverage (state × operation: count):']
  for (const [k, v] of [...r.coverage.entries()].sort(([a], [b]) => a.localeCompare(b))) lines.push(`  ${k}: ${v}`)
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
  const property = fc.asyncProperty(fc.commands(commandArbitraries(o.seed.users.length, true, { lifecycle: true, concurrent: false }), { maxCommands: o.maxCommands ?? 30 }), async (cmds) => {
    const a = await runOnce(cmds)
    const b = await runOnce(cmds)
    if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error(`responses differ:\n${JSON.stringify(a)}\n${JSON.stringify(b)}`)
  })
  const details = await fc.check(property, { numRuns: o.runs, ...(o.fcSeed === undefined ? {} : { seed: o.fcSeed }) })
  return { ok: !details.failed, runs: details.numRuns, failure: details.failed ? (fc.defaultReportMessage(details) ?? 'failed') : null }
}
