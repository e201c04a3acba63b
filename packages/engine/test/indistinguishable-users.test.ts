// Timing test: a public caller cannot tell a known user from an unknown one by how long primary
// authentication or recovery takes (docs/adr/0011-indistinguishable-users.md,
// docs/adr/0012-recovery.md; ASVS V6.3.8). The project measures speed in benchmarks, not in timed
// tests; this file is the explicit exception the recovery issue asks for, because
// indistinguishability is a security property. The test does not flake on a loaded machine: it
// fails only on a difference that is both significant and beyond a practical bound
// (packages/testkit/src/timing.ts).
import { createMemoryStores } from '@authn-machine/adapter-memory'
import { createDevOutbox } from '@authn-machine/message-senders'
import { describeUserExistenceTiming } from '@authn-machine/testkit'
import { createManualClock } from '@authn-machine/testkit/fixtures'
import { createArgon2Hasher, createInProcessSystem, cryptoRandom } from '../src/index.js'
import { CALL, FACTOR_PLUGINS, SENDING_PLUGINS, T0 } from './in-process-driver.js'

describeUserExistenceTiming('engine + memory adapter, argon2id', {
  make: (seed) =>
    createInProcessSystem({
      seed,
      ...createMemoryStores(),
      // Every family, as a server runs: SMS recovery needs the SMS family and a sender (the dev outbox, which the driver reads).
      factorPlugins: [...FACTOR_PLUGINS, ...SENDING_PLUGINS],
      outbox: createDevOutbox({ log: () => undefined }),
      hasher: createArgon2Hasher(),
      clock: createManualClock(T0),
      random: cryptoRandom,
      call: CALL,
    }),
})
