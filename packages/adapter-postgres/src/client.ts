import pg from 'pg'

/**
 * The subset of a PostgreSQL client the adapter uses. A `pg.Pool`, a `pg.PoolClient` (for example
 * inside a transaction), a `pg.Client` and an embedded PGlite instance all fit.
 */
export interface PgQueryable {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[]; rowCount?: number | null }>
  /**
   * True when `query` also takes node-postgres' `{ name, text, values }` (a named statement: parsed
   * and planned once per connection, then only bound and executed). Not needed for a `pg.Pool` or
   * `pg.Client`, which are recognised; see `namedStatements` in the store options.
   */
  readonly namedStatements?: boolean
}

/** A named statement, as node-postgres takes it. */
export interface PgNamedQuery {
  readonly name: string
  readonly text: string
  readonly values: unknown[]
}

/**
 * Whether `db` takes named statements: a node-postgres `Pool` or `Client` (a `PoolClient` is a
 * `Client`), or any client that says so. PGlite does not.
 */
export const supportsNamedStatements = (db: PgQueryable): boolean =>
  db.namedStatements ?? (db instanceof pg.Pool || db instanceof pg.Client)

/** A client that counts its `query` calls (round trips), for tests and benchmarks. */
export interface CountingQueryable extends PgQueryable {
  /** Round trips since creation or the last `reset`. */
  readonly count: () => number
  readonly reset: () => void
}

/** Wraps `db` so that every `query` call is counted (named statements pass through when `db` takes them). */
export const countQueries = (db: PgQueryable): CountingQueryable => {
  let n = 0
  const forward = db.query.bind(db) as (...args: unknown[]) => ReturnType<PgQueryable['query']>
  return {
    query: (...args: unknown[]) => {
      n += 1
      return forward(...args)
    },
    namedStatements: supportsNamedStatements(db),
    count: () => n,
    reset: () => {
      n = 0
    },
  }
}
