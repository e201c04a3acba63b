import rlf from 'rate-limiter-flexible'
import { countWith, type RateLimiter, type RateRule } from '@authn-machine/core'
import { supportsNamedStatements, type PgNamedQuery, type PgQueryable } from './client.js'
import { DEFAULT_SCHEMA, tables } from './schema.js'

export interface PostgresRateLimiterOptions {
  readonly schema?: string
}

/**
 * A RateLimiter whose counts live in the database (`rate-limiter-flexible`'s `RateLimiterPostgres`
 * over migration 5's `rate_limits`: one atomic upsert per request), so every server on one
 * database counts in the same buckets (docs/adr/0014-rate-limits.md). When the database cannot be
 * reached, each server counts in its own memory meanwhile (the library's insurance limiter): limits
 * still hold per server rather than not at all.
 */
export const createPostgresRateLimiter = (db: PgQueryable, opts: PostgresRateLimiterOptions = {}): RateLimiter => {
  const schema = opts.schema ?? DEFAULT_SCHEMA
  const t = tables(schema)
  // The library quotes the bare name itself.
  const schemaName = schema
  const named = supportsNamedStatements(db)
  // The library sends `{ name?, text, values }`. A named statement is prepared once per connection
  // and then found by its name alone, so the name carries the schema (limiters of two schemas may
  // share a pool); PGlite takes text and values only.
  const storeClient = {
    query: (q: { readonly name?: string; readonly text: string; readonly values?: unknown[] }) =>
      named && q.name !== undefined
        ? (db.query as unknown as (c: PgNamedQuery) => ReturnType<PgQueryable['query']>)({ name: `${schema}:${q.name}`, text: q.text, values: q.values ?? [] })
        : db.query(q.text, q.values),
  }
  let limiters = new Map<string, InstanceType<typeof rlf.RateLimiterPostgres>>()
  const limiterOf = (bucket: string, rule: RateRule) => {
    const name = `${bucket}/${rule.limit}/${rule.windowSeconds}`
    let l = limiters.get(name)
    if (l === undefined) {
      l = new rlf.RateLimiterPostgres({
        storeClient,
        storeType: 'client',
        schemaName,
        tableName: 'rate_limits',
        tableCreated: true,
        clearExpiredByTimeout: false,
        keyPrefix: name,
        points: rule.limit,
        duration: rule.windowSeconds,
        insuranceLimiter: new rlf.RateLimiterMemory({ keyPrefix: name, points: rule.limit, duration: rule.windowSeconds }),
      })
      limiters.set(name, l)
    }
    return l
  }
  return {
    consume: (bucket, key, rule) => countWith(() => limiterOf(bucket, rule).consume(key, 1), rule, Date.now),
    clear: async () => {
      limiters = new Map()
      await db.query(`truncate table ${t.rateLimits}`)
    },
  }
}
