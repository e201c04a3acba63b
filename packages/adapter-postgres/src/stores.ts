import type { StepStore, TransactionStore, UserStore } from '@authn-machine/core'
import type { PgQueryable } from './client.js'
import { createPostgresStepStore } from './step-store.js'
import { createSecretBox, type SecretBox, type SecretKeyring } from './secrets.js'
import { createPostgresTransactionStore } from './transaction-store.js'
import { createPostgresUserStore } from './user-store.js'

export interface PostgresStoresOptions {
  /** Schema holding the tables (run `migrate` with the same one first). Default `authn`. */
  readonly schema?: string
  /** Keys for factor secrets; when given, `secrets` encrypts and decrypts with them. */
  readonly secretKeys?: SecretKeyring
  /** Named (prepared) statements; see `PostgresStoreOptions.namedStatements`. Default: on for node-postgres. */
  readonly namedStatements?: boolean
}

export interface PostgresStores {
  readonly transactions: TransactionStore
  readonly users: UserStore
  /** The atomic unit of work over both (migration 3's `authn_step_commit`). */
  readonly steps: StepStore
  /** Null when no `secretKeys` were configured. */
  readonly secrets: SecretBox | null
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
    steps: createPostgresStepStore(db, schema),
    secrets: opts.secretKeys === undefined ? null : createSecretBox(opts.secretKeys),
  }
}
