import type { PgQueryable } from './client.js'
import { DEFAULT_SCHEMA, tables } from './schema.js'

export interface ResetOptions {
  readonly schema?: string
}

/**
 * Empties every table of the adapter in `schema` (transactions, their logs, policy snapshots,
 * tokens, users, factors, rate-limit counts, apps) in ONE statement (`TRUNCATE … RESTART IDENTITY CASCADE`), keeping the schema and
 * its migration history. For tests and the reference server's conformance reset: much cheaper
 * than a fresh schema per run. Never call it on a production schema. Throws on a database error.
 */
export const resetStores = async (db: PgQueryable, opts: ResetOptions = {}): Promise<void> => {
  const t = tables(opts.schema ?? DEFAULT_SCHEMA)
  await db.query(`truncate table ${t.transactions}, ${t.log}, ${t.policies}, ${t.tokens}, ${t.factors}, ${t.users}, ${t.rateLimits}, ${t.apps} restart identity cascade`)
}
