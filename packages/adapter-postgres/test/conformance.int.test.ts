import { afterAll } from 'vitest'
import { describeFactorStore, describeRateLimiter, describeStepStore, describeTransactionStore, describeUserStore } from '@authn-machine/testkit'
import { createPostgresRateLimiter } from '../src/index.js'
import { BACKEND, closeTestDatabase, createPostgresTestStores, type PostgresTestStores } from './support.js'

// A fresh schema per test (and per property run), dropped in teardown; the real server when
// DATABASE_URL is set, else one embedded PGlite for this file.
const made = new WeakMap<object, PostgresTestStores>()
const fresh = async <K extends 'transactions' | 'users' | 'factors' | 'steps'>(key: K): Promise<PostgresTestStores[K]> => {
  const s = await createPostgresTestStores()
  made.set(s[key], s)
  return s[key]
}
const of = (store: object): PostgresTestStores => {
  const s = made.get(store)
  if (s === undefined) throw new Error('store not made by this file')
  return s
}

afterAll(closeTestDatabase)

describeTransactionStore(`postgres: ${BACKEND}`, {
  make: () => fresh('transactions'),
  corrupt: async (store, id) => {
    const s = of(store)
    // A snapshot that is valid JSON but not an AuthnContext.
    await s.db.query(`update "${s.schema}".transactions set context = '{"broken": true}'::jsonb where id = $1`, [id])
  },
  teardown: (store) => of(store).dispose(),
})

describeUserStore(`postgres: ${BACKEND}`, {
  make: () => fresh('users'),
  corrupt: async (store, id) => {
    const s = of(store)
    await s.db.query(`update "${s.schema}".users set status = 'NOT_A_STATUS', credentials = '[]'::jsonb where id = $1`, [id])
  },
  teardown: (store) => of(store).dispose(),
})

describeFactorStore(`postgres: ${BACKEND}`, {
  make: () => fresh('factors').then((factors) => ({ factors, users: of(factors).users })),
  corrupt: async (stores, id) => {
    const s = of(stores.factors)
    await s.db.query(`update "${s.schema}".factors set status = 'NOT_A_STATUS' where id = $1`, [id])
  },
  teardown: (stores) => of(stores.factors).dispose(),
})

describeStepStore(`postgres: ${BACKEND}`, {
  make: async () => {
    const s = await createPostgresTestStores()
    made.set(s.steps, s)
    return s
  },
  teardown: (stores) => of(stores.steps).dispose(),
})

// Two limiters over one schema: two servers on one database count in the same buckets.
describeRateLimiter(`postgres: ${BACKEND}`, {
  make: async () => {
    const s = await createPostgresTestStores()
    return { limiter: createPostgresRateLimiter(s.db, { schema: s.schema }), second: createPostgresRateLimiter(s.db, { schema: s.schema }), dispose: s.dispose }
  },
})
