import { mkdir } from 'node:fs/promises'
import pg from 'pg'
import { createMemoryStores } from '@authn-machine/adapter-memory'
import { DEFAULT_SCHEMA, LATEST_VERSION, createPostgresStores, migrate, openEmbeddedPostgres, resetStores } from '@authn-machine/adapter-postgres'
import type { StepStore, TransactionStore, UserStore } from '@authn-machine/core'

/**
 * The stores the server can run on: `embedded` (the default: PostgreSQL in-process through PGlite,
 * kept in a data folder across restarts), `postgres` (a real server at a database URL) and `memory`
 * (throwaway).
 */
export const STORE_KINDS = ['embedded', 'postgres', 'memory'] as const
export type StoreKind = (typeof STORE_KINDS)[number]

export const isStoreKind = (s: string): s is StoreKind => (STORE_KINDS as ReadonlyArray<string>).includes(s)

export interface StoreConfig {
  readonly kind: StoreKind
  /** `embedded`: the PGlite data folder. Default `.data/authn` under the working directory. */
  readonly dataDir?: string
  /** `postgres`: the connection string. */
  readonly databaseUrl?: string
  /** `postgres`: apply the migrations on start (they always run for `embedded`). */
  readonly migrate?: boolean
  /** Schema of the PostgreSQL tables. Default the adapter's (`authn`). */
  readonly schema?: string
}

export interface Stores {
  readonly transactions: TransactionStore
  readonly users: UserStore
  readonly steps: StepStore
  /** Whether the stores keep their data across restarts (the seed then keeps existing users). */
  readonly persistent: boolean
  /** Empties every store (the conformance mode's reset). */
  readonly reset: () => Promise<void>
  /** Releases connections and the like; the server calls it after the last request finished. */
  readonly close: () => Promise<void>
}

export const DEFAULT_DATA_DIR = '.data/authn'

/** The one place that knows how each kind of store is built. */
export const createStores = async (config: StoreConfig): Promise<Stores> => {
  const schema = config.schema === undefined ? {} : { schema: config.schema }
  switch (config.kind) {
    case 'memory': {
      const { transactions, users, steps } = createMemoryStores()
      return {
        transactions,
        users,
        steps,
        persistent: false,
        reset: () => {
          transactions.clear()
          users.clear()
          return Promise.resolve()
        },
        close: () => Promise.resolve(),
      }
    }
    case 'embedded': {
      const dataDir = config.dataDir ?? DEFAULT_DATA_DIR
      await mkdir(dataDir, { recursive: true })
      const db = await openEmbeddedPostgres({ dataDir, ...schema })
      return {
        transactions: db.transactions,
        users: db.users,
        steps: db.steps,
        persistent: true,
        reset: () => resetStores(db.db, schema),
        close: db.close,
      }
    }
    case 'postgres': {
      if (config.databaseUrl === undefined) throw new Error('the postgres store needs a database URL (--database-url or DATABASE_URL)')
      const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 10 })
      // A pool emits errors of idle clients (a restarted server): log them rather than crash.
      pool.on('error', (e) => console.error('[authn-machine] idle PostgreSQL client error:', e.message))
      try {
        if (config.migrate === true) await migrate(pool, schema)
        const stores = createPostgresStores(pool, schema)
        // Fail now, with a clear message, when the schema is missing or behind.
        const { rows } = await pool.query<{ v: number | null }>(`select coalesce(max(version), 0)::int as v from ${config.schema ?? DEFAULT_SCHEMA}.schema_migrations`)
        const version = rows[0]?.v ?? 0
        if (version < LATEST_VERSION) throw new Error(`the schema is at migration ${version}, this server needs ${LATEST_VERSION}`)
        return { ...stores, persistent: true, reset: () => resetStores(pool, schema), close: () => pool.end() }
      } catch (e) {
        await pool.end()
        throw new Error(
          `cannot use PostgreSQL at the given URL: ${e instanceof Error ? e.message : String(e)}` +
            (config.migrate === true ? '' : ' (run with --migrate to create the tables)'),
          { cause: e },
        )
      }
    }
  }
}
