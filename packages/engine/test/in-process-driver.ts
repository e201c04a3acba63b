import { createMemoryStores } from '@authn-machine/adapter-memory'
import type { OrgSeed } from '@authn-machine/core'
import type { System } from '@authn-machine/testkit'
import { createManualClock, createSeededRandom, createTrivialHasher, PUBLIC_CONTEXT } from '@authn-machine/testkit/fixtures'
import { createInProcessSystem, type Call } from '../src/index.js'

export const T0 = Date.UTC(2026, 0, 1)
export const CALL: Call = { baseUrl: 'https://authn.example.test', context: PUBLIC_CONTEXT }

/** The engine over the memory adapter, seeded, with a manual clock: a `System` for the harness. */
export const makeEngineSystem = (seed: OrgSeed, randomSeed: number | string = 1): Promise<System> =>
  createInProcessSystem({
    seed,
    ...createMemoryStores(),
    hasher: createTrivialHasher(),
    clock: createManualClock(T0),
    random: createSeededRandom(randomSeed),
    call: CALL,
  })
