import { randomBytes } from 'node:crypto'
import { PGlite } from '@electric-sql/pglite'
import pg from 'pg'
import { afterAll, beforeAll } from 'vitest'
import type { AppSource, FactorStore, StepStore, TransactionStore, UserStore } from '@authn-machine/core'
import { createPostgresStores, migrate, type PgQueryable } from '../src/index.js'

/** The real server CI provides (`postgres://postgres@127.0.0.1:5432/test`), or undefined for embedded PGlite. */
export const DATABASE_URL: string | undefined = process.env['DATABASE_URL'] === '' ? undefined : process.env['DATABASE_URL']
export const REAL_SERVER = DATABASE_URL !== undefined
export const BACKEND = REAL_SERVER ? 'postgres server' : 'pglite'

/** A pool on the real server. Its `error` events (a terminated idle client) are expected in fault tests. */
export const createTestPool = (config: pg.PoolConfig = {}): pg.Pool => {
  if (DATABASE_URL === undefined) throw new Error('createTestPool needs DATABASE_URL')
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 12, ...config })
  pool.on('error', () => undefined)
  return pool
}

// One backend per test file (vitest isolates modules per file): a pool on the real server, or
// one PGlite instance (3–5 s to start; single connection, so never shared across files).
let backend: Promise<{ readonly db: PgQueryable; readonly close: () => Promise<void> }> | null = null
const openBackend = () =>
  (backend ??= REAL_SERVER
    ? Promise.resolve(createTestPool()).then((pool) => ({ db: pool as PgQueryable, close: () => pool.end() }))
    : PGlite.create().then((db) => ({ db: db as PgQueryable, close: () => db.close() })))

/** The file's shared client. */
export const testDatabase = async (): Promise<PgQueryable> => (await openBackend()).db

/** Closes the file's shared client; call it in `afterAll`. */
export const closeTestDatabase = async (): Promise<void> => {
  const b = backend
  backend = null
  if (b !== null) await (await b).close()
}

/** A random schema name nobody else uses (parallel runs on one database never collide). */
export const randomSchema = (): string => `authn_test_${randomBytes(8).toString('hex')}`

export interface PostgresTestStores {
  readonly db: PgQueryable
  readonly schema: string
  readonly transactions: TransactionStore
  readonly users: UserStore
  readonly factors: FactorStore
  readonly steps: StepStore
  readonly apps: AppSource
  /** Drops the schema. */
  readonly dispose: () => Promise<void>
}

/**
 * Fresh, empty, migrated stores in a new random schema on `db` (default: the file's shared
 * client: the real server when DATABASE_URL is set, else PGlite). For the conformance suites, the
 * engine tests and the model-based harness.
 */
export const createPostgresTestStores = async (db?: PgQueryable): Promise<PostgresTestStores> => {
  const client = db ?? (await testDatabase())
  const schema = randomSchema()
  await migrate(client, { schema })
  const stores = createPostgresStores(client, { schema })
  return {
    db: client,
    schema,
    transactions: stores.transactions,
    users: stores.users,
    factors: stores.factors,
    steps: stores.steps,
    apps: stores.apps,
    dispose: async () => {
      await client.query(`drop schema if exists "${schema}" cascade`)
    },
  }
}

/** Resolves after `ms` (for polling another session's progress; never used in assertions). */
export const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Stores on a pool of 16 connections of the real server for the enclosing describe (none on PGlite). */
export const onRacingPool = (use: (stores: PostgresTestStores) => void): void => {
  let pool: pg.Pool | undefined
  let stores: PostgresTestStores | undefined
  beforeAll(async () => {
    if (!REAL_SERVER) return
    pool = createTestPool({ max: 16 })
    stores = await createPostgresTestStores(pool)
    use(stores)
  })
  afterAll(async () => {
    await stores?.dispose()
    await pool?.end()
  })
}
