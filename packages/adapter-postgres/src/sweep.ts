import type { EpochMs } from '@authn-machine/core'
import type { PgQueryable } from './client.js'
import { DEFAULT_SCHEMA, tables } from './schema.js'

export interface SweepOptions {
  readonly schema?: string
  /** Keep rows this long after they expired (for example to read an expired transaction's log). Default 0. */
  readonly graceMs?: number
}

export interface SweepResult {
  readonly transactions: number
  readonly logEntries: number
  readonly tokens: number
  /** Rate-limit counters whose window ended. */
  readonly rateLimits: number
}

/**
 * Deletes transactions (with their logs), one-time tokens and rate-limit counters that expired before `now - graceMs`,
 * in one statement. Reads already ignore expired rows: correctness never depends on sweeping, it
 * only reclaims space. Users are never swept. Throws on a database error (it is a batch job).
 */
export const sweep = async (db: PgQueryable, now: EpochMs, opts: SweepOptions = {}): Promise<SweepResult> => {
  const t = tables(opts.schema ?? DEFAULT_SCHEMA)
  const { rows } = await db.query(
    `with tx as (delete from ${t.transactions} where expires_at <= $1::bigint returning id),
       lg as (delete from ${t.log} where transaction_id in (select id from tx) returning 1),
       tk as (delete from ${t.tokens} where expires_at <= $1::bigint returning 1),
       rl as (delete from ${t.rateLimits} where expire <= $1::bigint returning 1)
     select (select count(*) from tx)::int as transactions,
            (select count(*) from lg)::int as log_entries,
            (select count(*) from tk)::int as tokens,
            (select count(*) from rl)::int as rate_limits`,
    [now - (opts.graceMs ?? 0)],
  )
  const r = (rows[0] ?? {}) as { transactions?: unknown; log_entries?: unknown; tokens?: unknown; rate_limits?: unknown }
  const n = (x: unknown) => (typeof x === 'number' ? x : 0)
  return { transactions: n(r.transactions), logEntries: n(r.log_entries), tokens: n(r.tokens), rateLimits: n(r.rate_limits) }
}
