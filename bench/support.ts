import { randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import pg from 'pg'
import { createStaticPolicySource } from '@authn-machine/adapter-memory'
import { countQueries, migrate, type CountingQueryable } from '@authn-machine/adapter-postgres'
import type { Hasher, Policies } from '@authn-machine/core'
import { createAuthn, createMemoryAuditSink, createSecretBox, cryptoRandom, ephemeralKeyring, systemClock, type AuthnDeps } from '@authn-machine/engine'

/** The baseline: parse the JSON body and send it back, nothing else. */
export const startEcho = async (): Promise<{ readonly server: Server; readonly url: URL }> => {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = JSON.stringify(JSON.parse(Buffer.concat(chunks).toString('utf8')))
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) })
      res.end(body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/echo`) }
}

export interface BenchDatabase {
  readonly pool: pg.Pool
  readonly schema: string
  /** The pool, counting its round trips. */
  readonly counted: CountingQueryable
}

/**
 * Runs `f` on a pool of `max` connections to `DATABASE_URL`, in a fresh migrated schema that is
 * dropped afterwards; null (nothing run) when `DATABASE_URL` is not set.
 */
export const onBenchDatabase = async <A>(max: number, f: (db: BenchDatabase) => Promise<A>): Promise<A | null> => {
  const url = process.env['DATABASE_URL']
  if (url === undefined || url === '') return null
  const pool = new pg.Pool({ connectionString: url, max })
  pool.on('error', () => undefined)
  const schema = `authn_bench_${randomBytes(6).toString('hex')}`
  try {
    await migrate(pool, { schema })
    return await f({ pool, schema, counted: countQueries(pool) })
  } finally {
    await pool.query(`drop schema if exists "${schema}" cascade`).catch(() => undefined)
    await pool.end()
  }
}

/** The engine the benchmarks measure: the given stores, policies and hasher; the system clock and randomness, a throwaway key. */
export const benchEngine = (stores: Pick<AuthnDeps, 'transactions' | 'users' | 'steps' | 'factors'>, policies: Policies, hasher: Hasher) =>
  createAuthn({
    transactions: stores.transactions,
    users: stores.users,
    steps: stores.steps,
    factors: stores.factors,
    secrets: createSecretBox(ephemeralKeyring()),
    policies: createStaticPolicySource(policies),
    hasher,
    clock: systemClock,
    random: cryptoRandom,
    audit: createMemoryAuditSink(),
  })
