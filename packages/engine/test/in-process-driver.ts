import { createMemoryStores } from '@authn-machine/adapter-memory'
import { registered, type OrgSeed } from '@authn-machine/core'
import { createHotpFactor } from '@authn-machine/factor-hotp'
import { createQuestionFactor } from '@authn-machine/factor-question'
import { createTotpFactor } from '@authn-machine/factor-totp'
import type { System } from '@authn-machine/testkit'
import { createManualClock, createSeededRandom, createTrivialHasher, PUBLIC_CONTEXT } from '@authn-machine/testkit/fixtures'
import { createInProcessSystem, type Call } from '../src/index.js'

export const T0 = Date.UTC(2026, 0, 1)
export const CALL: Call = { baseUrl: 'https://authn.example.test', context: PUBLIC_CONTEXT }

/** The factor families under test. */
export const FACTOR_PLUGINS = [registered(createTotpFactor('OKTA')), registered(createTotpFactor('GOOGLE')), registered(createHotpFactor()), registered(createQuestionFactor())]

/** The engine over the memory adapter, seeded, with a manual clock: a `System` for the harness. */
export const makeEngineSystem = (seed: OrgSeed, randomSeed: number | string = 1): Promise<System> =>
  createInProcessSystem({
    seed,
    ...createMemoryStores(),
    factorPlugins: FACTOR_PLUGINS,
    hasher: createTrivialHasher(),
    clock: createManualClock(T0),
    random: createSeededRandom(randomSeed),
    call: CALL,
  })
