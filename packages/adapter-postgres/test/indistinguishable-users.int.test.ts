// Timing test: a public caller cannot tell a known user from an unknown one by how long primary
// authentication or recovery takes on PostgreSQL (docs/adr/0011-indistinguishable-users.md,
// docs/adr/0012-recovery.md; ASVS V6.3.8). The project measures speed in benchmarks, not in timed
// tests; this file is the explicit exception the recovery issue asks for, because
// indistinguishability is a security property. The test does not flake on a loaded machine: it
// fails only on a difference that is both significant and beyond a practical bound
// (packages/testkit/src/timing.ts).
import { afterAll } from 'vitest'
import { registered } from '@authn-machine/core'
import { createArgon2Hasher, createInProcessSystem, cryptoRandom } from '@authn-machine/engine'
import { createCallFactor } from '@authn-machine/factor-call'
import { createEmailFactor } from '@authn-machine/factor-email'
import { createSmsFactor } from '@authn-machine/factor-sms'
import { createDevOutbox } from '@authn-machine/message-senders'
import { describeUserExistenceTiming } from '@authn-machine/testkit'
import { createManualClock } from '@authn-machine/testkit/fixtures'
import { CALL } from './engine.js'
import { FACTOR_PLUGINS } from './factor-plugins.js'
import { BACKEND, closeTestDatabase, createPostgresTestStores } from './support.js'

afterAll(closeTestDatabase)

describeUserExistenceTiming(`engine + postgres adapter (${BACKEND}), argon2id`, {
  make: async (seed) => {
    const stores = await createPostgresTestStores()
    const system = await createInProcessSystem({
      seed,
      ...stores,
      // Every family, as a server runs: SMS recovery needs the SMS family and a sender (the dev outbox, which the driver reads).
      factorPlugins: [...FACTOR_PLUGINS, registered(createSmsFactor()), registered(createCallFactor()), registered(createEmailFactor())],
      outbox: createDevOutbox({ log: () => undefined }),
      hasher: createArgon2Hasher(),
      clock: createManualClock(),
      random: cryptoRandom,
      call: CALL,
    })
    return { driver: system.driver, dispose: stores.dispose }
  },
})
