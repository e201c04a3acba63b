import { createMemoryTransactionStore, createMemoryUserStore, createStaticPolicySource } from '@authn-machine/adapter-memory'
import type { Policies, UserRecord } from '@authn-machine/core'
import { createAuthn, createMemoryAuditSink, type Call } from '../src/index.js'
import {
  PUBLIC_CONTEXT,
  createManualClock,
  createSeededRandom,
  createTrivialHasher,
} from '@authn-machine/testkit/fixtures'

export const CALL: Call = { baseUrl: 'https://authn.example.test', context: PUBLIC_CONTEXT }

export const setup = async (policies: Policies, users: ReadonlyArray<UserRecord>, seed = 1) => {
  const transactions = createMemoryTransactionStore()
  const userStore = createMemoryUserStore()
  for (const u of users) await userStore.create(u)()
  const clock = createManualClock()
  const audit = createMemoryAuditSink()
  const authn = createAuthn({
    transactions,
    users: userStore,
    policies: createStaticPolicySource(policies),
    hasher: createTrivialHasher(),
    clock,
    random: createSeededRandom(seed),
    audit,
  })
  return { authn, transactions, users: userStore, clock, audit }
}
