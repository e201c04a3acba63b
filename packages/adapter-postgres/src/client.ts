/**
 * The subset of a PostgreSQL client the adapter uses. A `pg.Pool`, a `pg.PoolClient` (for example
 * inside a transaction), a `pg.Client` and an embedded PGlite instance all fit.
 */
export interface PgQueryable {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[]; rowCount?: number | null }>
}

/** A client that counts its `query` calls (round trips), for tests and benchmarks. */
export interface CountingQueryable extends PgQueryable {
  /** Round trips since creation or the last `reset`. */
  readonly count: () => number
  readonly reset: () => void
}

/** Wraps `db` so that every `query` call is counted. */
export const countQueries = (db: PgQueryable): CountingQueryable => {
  let n = 0
  return {
    query: (text, values) => {
      n += 1
      return db.query(text, values)
    },
    count: () => n,
    reset: () => {
      n = 0
    },
  }
}
