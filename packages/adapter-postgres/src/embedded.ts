import type { PgQueryable } from './client.js'
import { migrate } from './migrations.js'
import { createPostgresStores, type PostgresStores, type PostgresStoresOptions } from './stores.js'

export interface EmbeddedOptions extends PostgresStoresOptions {
  /**
   * Where PGlite keeps its files (`./.data/authn` …); in memory when omitted. Never open one
   * directory from two processes: PGlite does not lock it.
   */
  readonly dataDir?: string
}

export interface EmbeddedPostgres extends PostgresStores {
  readonly db: PgQueryable
  readonly close: () => Promise<void>
}

/**
 * The single-machine default: PostgreSQL in-process (PGlite, optional peer dependency
 * `@electric-sql/pglite`), migrated and wrapped in the same stores as a real server. PGlite is
 * single-connection, so requests are serialised; use a server for more than one engine.
 */
export const openEmbeddedPostgres = async (opts: EmbeddedOptions = {}): Promise<EmbeddedPostgres> => {
  const { PGlite } = await import('@electric-sql/pglite')
  const pg = opts.dataDir === undefined ? await PGlite.create() : await PGlite.create({ dataDir: opts.dataDir })
  const db: PgQueryable = pg
  await migrate(db, opts.schema === undefined ? {} : { schema: opts.schema })
  return { ...createPostgresStores(db, opts), db, close: () => pg.close() }
}
