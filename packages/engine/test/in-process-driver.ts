import { createMemoryTransactionStore, createMemoryUserStore, createStaticPolicySource } from '@authn-machine/adapter-memory'
import type { OrgSeed } from '@authn-machine/core'
import type { Driver, System } from '@authn-machine/testkit'
import { createManualClock, createSeededRandom, createTrivialHasher, PUBLIC_CONTEXT } from '@authn-machine/testkit/fixtures'
import { createAuthn, createInProcessDriver, createMemoryAuditSink, seedOrg, type Call } from '../src/index.js'

export const T0 = Date.UTC(2026, 0, 1)
export const CALL: Call = { baseUrl: 'https://authn.example.test', context: PUBLIC_CONTEXT }

/** The engine over the memory adapter, seeded, with a manual clock: a `System` for the harness. */
export const makeEngineSystem = async (seed: OrgSeed, randomSeed: number | string = 1): Promise<System> => {
  const clock = createManualClock(T0)
  const hasher = createTrivialHasher()
  const users = createMemoryUserStore()
  const org = await seedOrg(seed, { users, hasher }, clock.now())()
  if (org._tag === 'Left') throw new Error(`seed: ${JSON.stringify(org.left)}`)
  const authn = createAuthn({
    transactions: createMemoryTransactionStore(),
    users,
    policies: createStaticPolicySource(org.right.policies),
    hasher,
    clock,
    random: createSeededRandom(randomSeed),
    audit: createMemoryAuditSink(),
  })
  const driver: Driver = createInProcessDriver(authn, CALL, (ms) => {
    clock.advance(ms)
    return true
  })
  return { driver, startTime: T0 }
}

