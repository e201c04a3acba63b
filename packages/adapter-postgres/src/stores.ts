import type { AppSource, FactorStore, StepStore, TransactionStore, UserStore } from '@authn-machine/core'
import { createPostgresAppSource } from './app-source.js'
import type { PgQueryable } from './client.js'
import { createPostgresFactorStore } from './factor-store.js'
import { createPostgresStepStore } from './step-store.js'
import { createPostgresTransactionStore } from './transaction-store.js'
import { createPostgresUserStore } from './user-store.js'

export interface PostgresStoresOptions {
  /** Schema holding the tables (run `migrate` with the same one first). Default `authn`. */
  readonly schema?: string
  /** Named (prepared) statements; see `PostgresStoreOptions.namedStatements`. Default: on for node-postgres. */
  readonly namedStatements?: boolean
}

export interface PostgresStores {
  readonly transactions: TransactionStore
  readonly users: UserStore
  /** The users' factors, one row each (migration 3). */
  readonly factors: FactorStore
  /** The atomic unit of work over the three (`authn_step_commit`). */
  readonly steps: StepStore
  /** The applications a step-up can target (migration 7). */
  readonly apps: AppSource
}

/** The stores on one client (a pool, or an embedded PGlite). Throws only on invalid options. */
export const createPostgresStores = (db: PgQueryable, opts: PostgresStoresOptions = {}): PostgresStores => {
  const schema = {
    ...(opts.schema === undefined ? {} : { schema: opts.schema }),
    ...(opts.namedStatements === undefined ? {} : { namedStatements: opts.namedStatements }),
  }
  return {
    transactions: createPostgresTransactionStore(db, schema),
    users: createPostgresUserStore(db, schema),
    factors: createPostgresFactorStore(db, schema),
    steps: createPostgresStepStore(db, schema),
    apps: createPostgresAppSource(db, schema),
  }
}
