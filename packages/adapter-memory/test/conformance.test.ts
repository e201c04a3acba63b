import { describeFactorStore, describeRateLimiter, describeStepStore, describeTransactionStore, describeUserStore } from '@authn-machine/testkit'
import {
  createMemoryRateLimiter,
  createMemoryStores,
  createMemoryTransactionStore,
  createMemoryUserStore,
  type MemoryTransactionInternals,
  type MemoryUserInternals,
} from '../src/index.js'

describeTransactionStore('memory', {
  make: () => Promise.resolve(createMemoryTransactionStore()),
  corrupt: (store, id) => {
    const s = store as unknown as MemoryTransactionInternals
    s.putRawTransaction(id, { ...(s.rawTransaction(id) as object), version: 'not a number' })
    return Promise.resolve()
  },
})

describeUserStore('memory', {
  make: () => Promise.resolve(createMemoryUserStore()),
  corrupt: (store, id) => {
    const s = store as unknown as MemoryUserInternals
    s.putRawUser(id, { ...(s.rawUser(id) as object), status: 'NOT_A_STATUS' })
    return Promise.resolve()
  },
})

// No `corrupt`: the memory FactorStore keeps the typed records it was given (nothing is decoded on
// read), so there is no stored form that could fail to decode.
describeFactorStore('memory', { make: () => Promise.resolve(createMemoryStores()) })

describeStepStore('memory', { make: () => Promise.resolve(createMemoryStores()) })

// One process's memory: a second limiter is another server that shares nothing, so the suite's
// two-servers case does not apply.
describeRateLimiter('memory', { make: () => Promise.resolve({ limiter: createMemoryRateLimiter() }) })
