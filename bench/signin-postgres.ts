/**
 * Engine sign-ins on PostgreSQL (needs DATABASE_URL; skipped otherwise): primary authentication to
 * SUCCESS through the engine with a trivial hasher, sequentially and with 8 in flight, as a ratio
 * of a raw two-statement loop on the same pool in the same run (a `select` of the user by login
 * key and an `insert` of a row: the least any sign-in that reads a user and writes a transaction
 * must send). Also round trips per sign-in, counted. Bounded iteration counts; nothing asserted.
 */
import { randomBytes } from 'node:crypto'
import { createPostgresStores } from '@authn-machine/adapter-postgres'
import { seedOrg, systemClock } from '@authn-machine/engine'
import { createTrivialHasher, PUBLIC_CONTEXT } from '@authn-machine/testkit/fixtures'
import { interleaved, throughput } from './stats.js'
import { benchEngine, onBenchDatabase } from './support.js'
import type { BenchLine } from './types.js'

const CALL = { baseUrl: 'https://authn.example.test', context: PUBLIC_CONTEXT }
const PASSWORD = 'Bench-Passw0rd'
const USERS = 64
const PER_ROUND = 1_000

export async function run(): Promise<ReadonlyArray<BenchLine>> {
  const lines = await onBenchDatabase(10, async ({ pool, schema, counted }) => {
    const stores = createPostgresStores(counted, { schema })
    const hasher = createTrivialHasher()
    const logins = Array.from({ length: USERS }, (_, i) => `bench${i}@example.com`)
    const seeded = await seedOrg(
      { users: logins.map((login) => ({ login, firstName: 'Ben', lastName: 'Ch', password: PASSWORD })), policies: { password: { lockout: { maxAttempts: 10 } } } },
      { users: stores.users, hasher },
      systemClock.now(),
    )()
    if (seeded._tag === 'Left') throw new Error('seed failed')
    const authn = benchEngine(stores, seeded.right.policies, hasher)
    let n = 0
    const signIn = async (i: number) => {
      const r = await authn.authenticate({ username: logins[i % USERS], password: PASSWORD }, CALL)()
      if (r._tag === 'Left' || (r.right.body as { status?: string }).status !== 'SUCCESS') throw new Error(`sign-in failed: ${JSON.stringify(r)}`)
      n += 1
    }
    // Round trips of one sign-in, counted.
    counted.reset()
    await signIn(0)
    const trips = counted.count()

    await pool.query(`create table "${schema}".bench_raw (id text primary key, v jsonb)`)
    const raw = async (i: number) => {
      await pool.query(`select id, credentials from "${schema}".users where login_key = $1`, [logins[i % USERS]])
      await pool.query(`insert into "${schema}".bench_raw (id, v) values ($1, $2::jsonb)`, [randomBytes(12).toString('hex'), '{"state":"SUCCESS"}'])
    }
    const lines: BenchLine[] = [{ name: 'round trips per sign-in to SUCCESS', value: trips, unit: 'queries', note: 'goal <= 2' }]
    for (const concurrency of [1, 8]) {
      const r = await interleaved(
        5,
        () => throughput(PER_ROUND, concurrency, signIn),
        () => throughput(PER_ROUND, concurrency, raw),
      )
      lines.push(
        { name: `engine sign-ins/s on postgres, concurrency ${concurrency}`, value: r.a, unit: 'ops/s' },
        { name: `raw select + insert loops/s, concurrency ${concurrency}`, value: r.b, unit: 'ops/s' },
        { name: `engine sign-in ÷ raw two-statement loop, concurrency ${concurrency}`, value: r.a / r.b, unit: 'ratio' },
      )
    }
    void n
    return lines
  })
  return lines ?? [{ name: 'engine sign-in on postgres', value: 0, unit: 'skipped', note: 'DATABASE_URL is not set: these figures need a real server' }]
}
