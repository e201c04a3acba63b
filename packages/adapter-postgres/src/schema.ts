/** The default schema the adapter's tables live in. */
export const DEFAULT_SCHEMA = 'authn'

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/

/**
 * A schema name safe to splice into SQL: lower-case letters, digits and `_`, at most 63 bytes.
 * Anything else is refused, so that no caller-supplied text ever reaches SQL unquoted.
 */
export const checkSchema = (schema: string): string => {
  if (!IDENTIFIER.test(schema)) throw new Error(`invalid schema name ${JSON.stringify(schema)}: use [a-z_][a-z0-9_]*`)
  return `"${schema}"`
}

/** Fully qualified table names in `schema`. */
export const tables = (schema: string) => {
  const s = checkSchema(schema)
  return {
    schema: s,
    transactions: `${s}.transactions`,
    log: `${s}.transaction_log`,
    policies: `${s}.policy_snapshot`,
    tokens: `${s}.tokens`,
    users: `${s}.users`,
    factors: `${s}.factors`,
    decoys: `${s}.user_decoys`,
    rateLimits: `${s}.rate_limits`,
    apps: `${s}.apps`,
    migrations: `${s}.schema_migrations`,
  }
}
export type Tables = ReturnType<typeof tables>
