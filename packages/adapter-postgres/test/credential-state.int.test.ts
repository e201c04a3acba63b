import { afterAll } from 'vitest'
import { createInProcessSystem, type Call } from '@authn-machine/engine'
import { CREDENTIAL_PASSWORD, describeCredentialState } from '@authn-machine/testkit'
import { PUBLIC_CONTEXT, createCountingHasher, createManualClock, createSeededRandom } from '@authn-machine/testkit/fixtures'
import { BACKEND, closeTestDatabase, createPostgresTestStores } from './support.js'

// The credential-state suite (ASVS V6.3.1, V7.4.2) through the engine on PostgreSQL: on the real
// server with DATABASE_URL (requests truly concurrent on a pool), else on PGlite.

const T0 = Date.UTC(2026, 0, 1)
const CALL: Call = { baseUrl: 'https://authn.example.test', context: PUBLIC_CONTEXT }

afterAll(closeTestDatabase)

describeCredentialState(`engine + postgres adapter (${BACKEND})`, {
  make: async (seed) => {
    const stores = await createPostgresTestStores()
    const hasher = createCountingHasher()
    const { driver } = await createInProcessSystem({ seed, ...stores, hasher, clock: createManualClock(T0), random: createSeededRandom(1), call: CALL })
    return { driver, verifies: () => hasher.verifiesOf(CREDENTIAL_PASSWORD), dispose: stores.dispose }
  },
})
