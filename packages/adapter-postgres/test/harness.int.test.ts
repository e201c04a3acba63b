import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registered, type OrgSeed } from '@authn-machine/core'
import { createInProcessSystem, type Call } from '@authn-machine/engine'
import { createCallFactor } from '@authn-machine/factor-call'
import { createEmailFactor } from '@authn-machine/factor-email'
import { createPushFactor } from '@authn-machine/factor-push'
import { createWebauthnFactor } from '@authn-machine/factor-webauthn'
import { createSmsFactor } from '@authn-machine/factor-sms'
import { createDevOutbox } from '@authn-machine/message-senders'
import { checkDeterminism, formatReport, harnessSeeds, runConformance, type System } from '@authn-machine/testkit'
import { PUBLIC_CONTEXT, createManualClock, createSeededRandom, createTrivialHasher } from '@authn-machine/testkit/fixtures'
import { resetStores } from '../src/index.js'
import { FACTOR_PLUGINS } from './factor-plugins.js'
import { BACKEND, REAL_SERVER, closeTestDatabase, createPostgresTestStores, type PostgresTestStores } from './support.js'

// The model-based harness (the same command sequences and model as the engine's in-process run)
// against the engine over the PostgreSQL stores. One schema for this file, emptied before every
// run with `resetStores` (one TRUNCATE): a fresh schema per run would cost a migration each time.

const T0 = Date.UTC(2026, 0, 1)
const CALL: Call = { baseUrl: 'https://authn.example.test', context: PUBLIC_CONTEXT }
/** Bounded for `pnpm test`: PGlite serialises everything in one wasm instance. `AUTHN_RUNS` overrides. */
const RUNS = Number(process.env['AUTHN_RUNS'] ?? (REAL_SERVER ? 100 : 40))
const DETERMINISM_RUNS = REAL_SERVER ? 40 : 20

let stores: PostgresTestStores
beforeAll(async () => {
  stores = await createPostgresTestStores()
})
afterAll(async () => {
  await stores.dispose()
  await closeTestDatabase()
})

/** Every family the harness drives: the verifying ones and those that send codes (SMS, call, email). */
const HARNESS_PLUGINS = [...FACTOR_PLUGINS, registered(createSmsFactor()), registered(createCallFactor()), registered(createEmailFactor()), registered(createWebauthnFactor())]

/** Empties the file's schema, seeds the org and builds the engine on it; codes go to a dev outbox the driver reads. */
const makeSystem = async (seed: OrgSeed, randomSeed: number | string = 1): Promise<System> => {
  await resetStores(stores.db, { schema: stores.schema })
  return createInProcessSystem({
    seed,
    transactions: stores.transactions,
    users: stores.users,
    steps: stores.steps,
    factors: stores.factors,
    apps: stores.apps,
    // Push, for the harness's own device: one per system, so its mailbox of challenges starts empty.
    factorPlugins: [...HARNESS_PLUGINS, registered(createPushFactor())],
    outbox: createDevOutbox({ log: () => undefined }),
    hasher: createTrivialHasher(),
    clock: createManualClock(T0),
    random: createSeededRandom(randomSeed),
    call: CALL,
  })
}

describe.each(harnessSeeds(T0))(`model-based harness: engine + postgres adapter (${BACKEND}, $name)`, ({ name, seed }) => {
  it(`${RUNS} random command sequences agree with the reference model`, { timeout: 600_000 }, async () => {
    const report = await runConformance({ seed, makeSystem: (s) => makeSystem(s), varyPolicies: true, runs: RUNS, maxCommands: 30 })
    console.log(`[postgres ${BACKEND}: ${name}] ${report.runs} command sequences, ${report.commands} requests, ${report.coverage.size} (state, operation) pairs`)
    if (!report.ok || process.env['AUTHN_REPORT'] === '1') console.log(formatReport(report))
    expect(report.ok, report.failure ?? '').toBe(true)
    expect(report.runs).toBe(RUNS)
  })

  it('is deterministic: same seed, clock and inputs give the same responses', { timeout: 600_000 }, async () => {
    const r = await checkDeterminism({ seed, makeSystem: () => makeSystem(seed, 'fixed'), runs: DETERMINISM_RUNS, maxCommands: 30 })
    expect(r.ok, r.failure ?? '').toBe(true)
  })
})
