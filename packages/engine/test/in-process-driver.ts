import { createMemoryStores, type MemoryStores } from '@authn-machine/adapter-memory'
import { registered, type Factor, type OrgSeed } from '@authn-machine/core'
import { createCallFactor } from '@authn-machine/factor-call'
import { createEmailFactor } from '@authn-machine/factor-email'
import { createHotpFactor } from '@authn-machine/factor-hotp'
import { createPushFactor } from '@authn-machine/factor-push'
import { createQuestionFactor } from '@authn-machine/factor-question'
import { createSmsFactor } from '@authn-machine/factor-sms'
import { createWebauthnFactor } from '@authn-machine/factor-webauthn'
import { createTotpFactor } from '@authn-machine/factor-totp'
import { createDevOutbox } from '@authn-machine/message-senders'
import type { System } from '@authn-machine/testkit'
import { createManualClock, createSeededRandom, createTrivialHasher, PUBLIC_CONTEXT } from '@authn-machine/testkit/fixtures'
import { createInProcessSystem, type Call } from '../src/index.js'

export const T0 = Date.UTC(2026, 0, 1)
export const CALL: Call = { baseUrl: 'https://authn.example.test', context: PUBLIC_CONTEXT }

/** The factor families under test. */
export const FACTOR_PLUGINS = [registered(createTotpFactor('OKTA')), registered(createTotpFactor('GOOGLE')), registered(createHotpFactor()), registered(createQuestionFactor())]

/** The families that send codes (SMS, voice call, email). */
export const SENDING_PLUGINS = [registered(createSmsFactor()), registered(createCallFactor()), registered(createEmailFactor())]
/** WebAuthn, for the harness's software authenticator (docs/adr/0029-challenge-factors.md). */
export const CHALLENGE_PLUGINS = [registered(createWebauthnFactor())]

/** The parts a deliberate fault may replace (the mutation check, `mutations.test.ts`). */
export interface SystemParts {
  readonly stores: MemoryStores
  readonly factorPlugins: ReadonlyArray<Factor>
}
export type Fault = (parts: SystemParts) => SystemParts

/**
 * The engine over the memory adapter, seeded, with a manual clock and every factor family: a
 * `System` for the harness. Codes go to a dev outbox that the driver reads back.
 */
export const makeEngineSystem = (seed: OrgSeed, randomSeed: number | string = 1, fault: Fault = (parts) => parts): Promise<System> => {
  // Push, for the harness's own device (docs/adr/0031-push.md): one per system, so its mailbox of
  // challenges starts empty with the system (two runs of one sequence then answer the same).
  const parts = fault({ stores: createMemoryStores(), factorPlugins: [...FACTOR_PLUGINS, ...SENDING_PLUGINS, ...CHALLENGE_PLUGINS, registered(createPushFactor())] })
  return createInProcessSystem({
    seed,
    ...parts.stores,
    factorPlugins: parts.factorPlugins,
    outbox: createDevOutbox({ log: () => undefined }),
    hasher: createTrivialHasher(),
    clock: createManualClock(T0),
    random: createSeededRandom(randomSeed),
    call: CALL,
  })
}
