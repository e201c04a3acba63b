import { createMemoryStores } from '@authn-machine/adapter-memory'
import { CREDENTIAL_PASSWORD, describeCredentialState } from '@authn-machine/testkit'
import { createCountingHasher, createManualClock, createSeededRandom } from '@authn-machine/testkit/fixtures'
import { createInProcessSystem } from '../src/index.js'
import { CALL, T0 } from './in-process-driver.js'

describeCredentialState('engine + memory', {
  make: async (seed) => {
    const hasher = createCountingHasher()
    const { driver } = await createInProcessSystem({ seed, ...createMemoryStores(), hasher, clock: createManualClock(T0), random: createSeededRandom(1), call: CALL })
    return { driver, verifies: () => hasher.verifiesOf(CREDENTIAL_PASSWORD) }
  },
})
