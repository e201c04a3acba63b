import { parseArgs } from 'node:util'
import { DEFAULT_DATA_DIR, isStoreKind, STORE_KINDS, type StoreKind } from './stores.js'

/** What the command line and the environment configure. */
export interface ServerOptions {
  readonly host: string
  readonly port: number
  readonly publicBaseUrl: string | null
  readonly apiTokens: ReadonlyArray<string>
  readonly trustedOrigins: ReadonlyArray<string>
  /** Seed file; null means the demo org committed with the package. */
  readonly seedPath: string | null
  readonly store: StoreKind
  /** PGlite data folder of the `embedded` store. */
  readonly dataDir: string
  /** Connection string of the `postgres` store. */
  readonly databaseUrl: string | null
  /** Apply the PostgreSQL migrations on start (`postgres`; `embedded` always migrates). */
  readonly migrate: boolean
  /** PostgreSQL schema of the tables (null: the adapter's default, `authn`). */
  readonly schema: string | null
  /** Serve `POST /__conformance/reset` (restores the seeded org) for the conformance harness. */
  readonly conformance: boolean
  readonly bodyLimit: number
}

export type ParsedCommandLine =
  | { readonly _tag: 'Run'; readonly options: ServerOptions }
  | { readonly _tag: 'Help' }
  | { readonly _tag: 'Invalid'; readonly message: string }

export const USAGE = `Usage: pnpm start [options]        (or: authn-machine-server [options])

Serves Okta's classic /api/v1/authn for a seeded org.

Options (each also read from the environment variable shown; options win):
  --host HOST              interface to listen on (AUTHN_HOST)            default 127.0.0.1
  --port PORT              port, 0 = any free port (AUTHN_PORT)           default 8080
  --public-url URL         origin for links in responses (AUTHN_PUBLIC_URL)
                           default: http://<Host header of each request>
  --api-token TOKEN        admin API token for trusted callers, "Authorization: SSWS TOKEN",
                           needed for the user lifecycle operations;
                           repeatable (AUTHN_API_TOKENS, comma-separated)
  --trusted-origin ORIGIN  browser origin allowed cross-origin (CORS), e.g. https://app.example.com;
                           repeatable (AUTHN_TRUSTED_ORIGINS, comma-separated)
  --seed FILE              org to load, JSON as in docs/seed-format.md (AUTHN_SEED)
                           default: the demo org, packages/server/seeds/demo.json
  --store KIND             where transactions and users live: ${STORE_KINDS.join(' | ')} (AUTHN_STORE)
                           default: postgres when a database URL is set, else embedded
                             embedded  PostgreSQL in-process (PGlite), kept in --data-dir across restarts
                             postgres  a PostgreSQL server at --database-url
                             memory    throwaway, in this process
  --data-dir DIR           folder of the embedded store (AUTHN_DATA_DIR)  default ${DEFAULT_DATA_DIR}
  --database-url URL       PostgreSQL connection string (DATABASE_URL)
  --migrate                apply the PostgreSQL migrations on start (AUTHN_MIGRATE=1)
  --schema NAME            PostgreSQL schema of the tables (AUTHN_SCHEMA)   default authn
  --conformance            serve POST /__conformance/reset, which restores the seeded org, for
                           authn-conformance; needs an API token when tokens are configured
                           (AUTHN_CONFORMANCE=1). Never in production.
  --body-limit BYTES       largest request body (AUTHN_BODY_LIMIT)        default 65536
  -h, --help               show this text

Endpoints: POST /api/v1/authn[/...], POST /api/v1/sessions, GET /health, and with an API token
POST /api/v1/users/{id}/lifecycle/{unlock|suspend|unsuspend|deactivate|expire_password}.
Stops gracefully on SIGINT / SIGTERM.
`

const list = (s: string | undefined): ReadonlyArray<string> =>
  s === undefined ? [] : s.split(',').map((x) => x.trim()).filter((x) => x !== '')

const integer = (s: string, name: string, min: number, max: number): number | string => {
  if (!/^\d+$/.test(s)) return `${name} must be a whole number, got '${s}'`
  const n = Number(s)
  return n < min || n > max ? `${name} must be between ${min} and ${max}, got ${n}` : n
}

const httpUrl = (s: string, name: string, originOnly: boolean): string | { error: string } => {
  try {
    const u = new URL(s)
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return { error: `${name} must be an http(s) URL, got '${s}'` }
    if (u.search !== '' || u.hash !== '' || u.username !== '' || u.password !== '')
      return { error: `${name} must not have a query, fragment or credentials, got '${s}'` }
    if (originOnly) return u.origin
    return `${u.origin}${u.pathname.replace(/\/+$/, '')}`
  } catch {
    return { error: `${name} must be a URL, got '${s}'` }
  }
}

/** Pure: options from the arguments (after the script name) and the environment. */
export const parseCommandLine = (argv: ReadonlyArray<string>, env: Readonly<Record<string, string | undefined>>): ParsedCommandLine => {
  let values
  try {
    values = parseArgs({
      args: [...argv],
      allowPositionals: false,
      strict: true,
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        'public-url': { type: 'string' },
        'api-token': { type: 'string', multiple: true },
        'trusted-origin': { type: 'string', multiple: true },
        seed: { type: 'string' },
        store: { type: 'string' },
        'data-dir': { type: 'string' },
        'database-url': { type: 'string' },
        migrate: { type: 'boolean' },
        schema: { type: 'string' },
        conformance: { type: 'boolean' },
        'body-limit': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values
  } catch (e) {
    return { _tag: 'Invalid', message: e instanceof Error ? e.message : String(e) }
  }
  if (values.help === true) return { _tag: 'Help' }

  const host = values.host ?? env['AUTHN_HOST'] ?? '127.0.0.1'
  const port = integer(values.port ?? env['AUTHN_PORT'] ?? '8080', 'port', 0, 65535)
  if (typeof port === 'string') return { _tag: 'Invalid', message: port }
  const bodyLimit = integer(values['body-limit'] ?? env['AUTHN_BODY_LIMIT'] ?? '65536', 'body limit', 256, 16 * 1024 * 1024)
  if (typeof bodyLimit === 'string') return { _tag: 'Invalid', message: bodyLimit }
  const rawUrl = values['database-url'] ?? env['DATABASE_URL']
  const databaseUrl = rawUrl === undefined || rawUrl === '' ? null : rawUrl
  const store = values.store ?? env['AUTHN_STORE'] ?? (databaseUrl === null ? 'embedded' : 'postgres')
  if (store === 'postgres' && databaseUrl === null) return { _tag: 'Invalid', message: 'the postgres store needs --database-url or DATABASE_URL' }
  if (!isStoreKind(store)) return { _tag: 'Invalid', message: `unknown store '${store}' (available: ${STORE_KINDS.join(', ')})` }

  const rawPublic = values['public-url'] ?? env['AUTHN_PUBLIC_URL']
  const publicBaseUrl = rawPublic === undefined || rawPublic === '' ? null : httpUrl(rawPublic, 'public URL', false)
  if (publicBaseUrl !== null && typeof publicBaseUrl !== 'string') return { _tag: 'Invalid', message: publicBaseUrl.error }

  const origins: string[] = []
  for (const o of values['trusted-origin'] ?? list(env['AUTHN_TRUSTED_ORIGINS'])) {
    const u = httpUrl(o, 'trusted origin', true)
    if (typeof u !== 'string') return { _tag: 'Invalid', message: u.error }
    origins.push(u)
  }
  const apiTokens = values['api-token'] ?? list(env['AUTHN_API_TOKENS'])
  if (apiTokens.some((t) => t.length < 16 || /\s/.test(t)))
    return { _tag: 'Invalid', message: 'an API token must have at least 16 characters and no spaces' }
  const seed = values.seed ?? env['AUTHN_SEED']
  const schema = values.schema ?? env['AUTHN_SCHEMA']
  if (schema !== undefined && schema !== '' && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema))
    return { _tag: 'Invalid', message: `a schema name is lower-case letters, digits and _, got '${schema}'` }

  return {
    _tag: 'Run',
    options: {
      host,
      port,
      publicBaseUrl,
      apiTokens,
      trustedOrigins: origins,
      seedPath: seed === undefined || seed === '' ? null : seed,
      store,
      dataDir: values['data-dir'] ?? env['AUTHN_DATA_DIR'] ?? DEFAULT_DATA_DIR,
      databaseUrl,
      migrate: values.migrate === true || env['AUTHN_MIGRATE'] === '1',
      schema: schema === undefined || schema === '' ? null : schema,
      conformance: values.conformance === true || env['AUTHN_CONFORMANCE'] === '1',
      bodyLimit,
    },
  }
}
