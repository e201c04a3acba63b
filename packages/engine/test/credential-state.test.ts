import { createMemoryStores } from '@authn-machine/adapter-memory'
import type { Hasher } from '@authn-machine/core'
import { describeCredentialState } from '@authn-machine/testkit'
import { createManualClock, createSeededRandom, createTrivialHasher } from '@authn-machine/testkit/fixtures'
import { createInProcessSystem } from '../src/index.js'
import { CALL, T0 } from './in-process-driver.js'

/** The trivial hasher, counting the verifications it runs. */
export const countingHasher = (): Hasher & { readonly verifies: () => number } => {
  const trivial = createTrivialHasher()
  let n = 0
  return {
    hash: trivial.hash,
    verify: (h, p) => () => {
      n += 1
      return trivial.verify(h, p)()
    },
    verifies: () => n,
  }
}

describeCredentialState('engine + memory', {
  make: async (seed) => {
    const hasher = countingHasher()
    const { driver } = await createInProcessSystem({ seed, ...createMemoryStores(), hasher, clock: createManualClock(T0), random: createSeededRandom(1), call: CALL })
    return { driver, verifies: hasher.verifies }
  },
})
