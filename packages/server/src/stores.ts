import { mkdir } from 'node:fs/promises'
import pg from 'pg'
import { createMemoryRateLimiter, createMemoryStores } from '@authn-machine/adapter-memory'
import {
  DEFAULT_SCHEMA,
  LATEST_VERSION,
  createPostgresRateLimiter,
  createPostgresStores,
  createWritablePool,
  isMultiHostUrl,
  migrate,
  openEmbeddedPostgres,
  parseMultiHostUrl,
  resetStores,
  type PgQueryable,
} from '@authn-machine/adapter-postgres'
import type { AppSource, FactorStore, RateLimiter, SecretBox, StepStore, TransactionStore, UserStore } from '@authn-machine/core'
import { createSecretBox, ephemeralKeyring, parseKeyring } from '@authn-machine/engine'
import { connectRedis, createRedisRateLimiter, type RedisUnavailableError } from '@authn-machine/rate-limiter-redis'
import { readFile, writeFile } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'

/**
 * The stores the server can run on: `embedded` (the default: PostgreSQL in-process through PGlite,
 * kept in a data folder across restarts), `postgres` (a real server at a database URL) and `memory`
 * (throwaway).
 */
export const STORE_KINDS = ['embedded', 'postgres', 'memory'] as const
export type StoreKind = (typeof STORE_KINDS)[number]

export const isStoreKind = (s: string): s is StoreKind => (STORE_KINDS as ReadonlyArray<string>).includes(s)

/**
 * Where the rate-limit counts live (docs/adr/0014-rate-limits.md, 0022-redis-rate-limits.md):
 * `memory` (each process on its own), `postgres` (the per-username and per-state-token buckets in
 * the database, the per-client ones in each process) or `redis` (every bucket in Redis, shared by
 * every server on it).
 */
export const RATE_LIMIT_STORE_KINDS = ['memory', 'postgres', 'redis'] as const
export type RateLimitStoreKind = (typeof RATE_LIMIT_STORE_KINDS)[number]

export const isRateLimitStoreKind = (s: string): s is RateLimitStoreKind => (RATE_LIMIT_STORE_KINDS as ReadonlyArray<string>).includes(s)

/** The rate-limit store of a store kind when none is given: the database for `postgres`, else memory. */
export const defaultRateLimitStore = (kind: StoreKind): RateLimitStoreKind => (kind === 'postgres' ? 'postgres' : 'memory')

/** The Redis of the `redis` rate-limit store: a server's URL, or some nodes of a Redis Cluster. */
export interface RedisConfig {
  readonly urls: ReadonlyArray<string>
  readonly cluster: boolean
  /** Prefix of every key (default `authn:rl`): deployments sharing one Redis keep apart by it. */
  readonly keyPrefix?: string
}

export interface StoreConfig {
  readonly kind: StoreKind
  /** `embedded`: the PGlite data folder. Default `.data/authn` under the working directory. */
  readonly dataDir?: string
  /** `postgres`: the connection string. */
  readonly databaseUrl?: string
  /** `postgres`: apply the migrations on start (they always run for `embedded`). */
  readonly migrate?: boolean
  /** Schema of the PostgreSQL tables. Default the adapter's (`authn`). */
  readonly schema?: string
  /** Where the rate-limit counts live. Default {@link defaultRateLimitStore} of `kind`; `postgres` only with the `postgres` store. */
  readonly rateLimitStore?: RateLimitStoreKind
  /** The Redis of the `redis` rate-limit store. */
  readonly redis?: RedisConfig
}

export interface Stores {
  readonly transactions: TransactionStore
  readonly users: UserStore
  readonly steps: StepStore
  readonly factors: FactorStore
  /** The apps step-ups target (docs/adr/0028-step-up.md): from the seed, and the embedder's administration. */
  readonly apps: AppSource
  /**
   * Seals factor secrets: `AUTHN_SECRET_KEYS` (`id:base64key,…`, the first current) when set; else
   * for `embedded` a key kept in the data folder, for `memory` a random one. `postgres` without
   * the variable gets a random key and a warning (secrets enrolled then do not survive a restart).
   */
  readonly secrets: SecretBox
  /**
   * Counts requests for the rate limits (docs/adr/0014-rate-limits.md): by default in the database
   * for `postgres` (shared by every server on it), in memory for `memory` and `embedded` (one
   * process); in Redis with `rateLimitStore: 'redis'` (shared, docs/adr/0022-redis-rate-limits.md).
   */
  readonly rateLimiter: RateLimiter
  /** Whether the stores keep their data across restarts (the seed then keeps existing users). */
  readonly persistent: boolean
  /**
   * Resolves when the store answers a trivial query (`select 1`; the memory store always does),
   * rejects otherwise: the readiness check (`GET /health/ready`). The caller bounds the wait.
   */
  readonly ping: () => Promise<void>
  /** Empties every store (the conformance mode's reset). */
  readonly reset: () => Promise<void>
  /** Releases connections and the like; the server calls it after the last request finished. */
  readonly close: () => Promise<void>
}

export const DEFAULT_DATA_DIR = '.data/authn'

/** The SecretBox of a store: the environment's keyring, a key kept in the data folder, or a random one. */
const secretBoxFor = async (config: StoreConfig, dataDir?: string): Promise<SecretBox> => {
  const env = process.env['AUTHN_SECRET_KEYS']
  if (env !== undefined && env !== '') return createSecretBox(parseKeyring(env))
  if (dataDir === undefined) {
    if (config.kind === 'postgres')
      console.error('[authn-machine] AUTHN_SECRET_KEYS is not set: factor secrets enrolled now will not be readable after a restart')
    return createSecretBox(ephemeralKeyring())
  }
  const file = join(dataDir, 'secret-keys')
  const kept = await readFile(file, 'utf8').catch(() => null)
  if (kept !== null) return createSecretBox(parseKeyring(kept.trim()))
  const line = `k1:${randomBytes(32).toString('base64')}`
  await writeFile(file, `${line}\n`, { mode: 0o600 })
  return createSecretBox(parseKeyring(line))
}

/**
 * The per-client buckets counted in this process, the others (per username, per state token) in
 * `shared`: a flood from one address is shed by each server it reaches, while a username's and a
 * state token's limits hold across every server on the database. One database write per request
 * rather than two (ADR 0014, measured by `pnpm bench rate-limits`).
 */
const perClientInMemory = (shared: RateLimiter): RateLimiter => {
  const local = createMemoryRateLimiter()
  return {
    consume: (bucket, key, rule) => (bucket === 'client' ? local : shared).consume(bucket, key, rule),
    clear: () => Promise.all([local.clear(), shared.clear()]).then(() => undefined),
  }
}

/**
 * Logs, to stderr, counts that Redis did not take (they went to this process's memory): the first
 * one, then at most one line a minute with how many followed.
 */
const reportRedisFallbacks = (): ((e: RedisUnavailableError) => void) => {
  let last = -Infinity
  let since = 0
  return (e) => {
    const now = Date.now()
    if (now - last < 60_000) return void (since += 1)
    const more = since === 0 ? '' : ` (${since} more since the last report)`
    console.error(`[authn-machine] rate limits: Redis did not take a count, counted in this process's memory instead${more}: ${e.message}`)
    last = now
    since = 0
  }
}

/** The one place that knows how each kind of store is built, with its rate limiter (`rateLimitStore`). */
export const createStores = async (config: StoreConfig): Promise<Stores> => {
  const stores = await openStores(config)
  const rateLimits = config.rateLimitStore ?? defaultRateLimitStore(config.kind)
  if (rateLimits === defaultRateLimitStore(config.kind)) return stores
  try {
    switch (rateLimits) {
      case 'postgres':
        throw new Error('rate limits in PostgreSQL need the postgres store')
      case 'memory': {
        const rateLimiter = createMemoryRateLimiter()
        return { ...stores, rateLimiter, reset: () => stores.reset().then(rateLimiter.clear) }
      }
      case 'redis': {
        if (config.redis === undefined || config.redis.urls.length === 0) throw new Error('rate limits in Redis need its URL (AUTHN_REDIS_URL)')
        const client = await connectRedis({ url: config.redis.urls, cluster: config.redis.cluster })
        const rateLimiter = createRedisRateLimiter({ client, onFallback: reportRedisFallbacks(), ...(config.redis.keyPrefix === undefined ? {} : { keyPrefix: config.redis.keyPrefix }) })
        return {
          ...stores,
          rateLimiter,
          reset: () => stores.reset().then(rateLimiter.clear),
          close: () => stores.close().finally(() => client.quit().then(() => undefined, () => client.disconnect())),
        }
      }
    }
  } catch (e) {
    await stores.close()
    throw e
  }
}

/** The stores of `config.kind`, with that kind's default rate limiter. */
/** Logs errors of idle pooled clients (a restarted or lost server) rather than crash. */
const logIdleError = (e: Error) => console.error('[authn-machine] idle PostgreSQL client error:', e.message)

/**
 * The pool behind the `postgres` store. A URL naming several hosts (libpq style,
 * `postgres://u@h1:5432,h2:5432/db`: a primary and its standbys, e.g. under pg_auto_failover)
 * gets a pool on whichever of them is writable, found again after a failover
 * (docs/adr/0025-failover.md); node-postgres reads one host only.
 */
const openPool = (databaseUrl: string): PgQueryable & { readonly end: () => Promise<void> } => {
  if (isMultiHostUrl(databaseUrl)) {
    const { hosts, ...credentials } = parseMultiHostUrl(databaseUrl)
    return createWritablePool({
      hosts,
      ...credentials,
      pool: { max: 10 },
      onIdleError: logIdleError,
      onSwitch: (h) => console.error(`[authn-machine] PostgreSQL: writable host ${h.host}:${h.port}`),
    })
  }
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 })
  pool.on('error', logIdleError)
  return pool
}

const openStores = async (config: StoreConfig): Promise<Stores> => {
  const schema = config.schema === undefined ? {} : { schema: config.schema }
  switch (config.kind) {
    case 'memory': {
      const { transactions, users, steps, factors, apps } = createMemoryStores()
      const rateLimiter = createMemoryRateLimiter()
      return {
        rateLimiter,
        transactions,
        users,
        steps,
        factors,
        apps,
        secrets: await secretBoxFor(config),
        persistent: false,
        ping: () => Promise.resolve(),
        reset: () => {
          transactions.clear()
          users.clear()
          factors.clear()
          apps.clear()
          return rateLimiter.clear()
        },
        close: () => Promise.resolve(),
      }
    }
    case 'embedded': {
      const dataDir = config.dataDir ?? DEFAULT_DATA_DIR
      await mkdir(dataDir, { recursive: true })
      const db = await openEmbeddedPostgres({ dataDir, ...schema })
      const rateLimiter = createMemoryRateLimiter()
      return {
        rateLimiter,
        transactions: db.transactions,
        users: db.users,
        steps: db.steps,
        factors: db.factors,
        apps: db.apps,
        secrets: await secretBoxFor(config, dataDir),
        persistent: true,
        ping: () => db.db.query('select 1').then(() => undefined),
        reset: () => resetStores(db.db, schema).then(rateLimiter.clear),
        close: db.close,
      }
    }
    case 'postgres': {
      if (config.databaseUrl === undefined) throw new Error('the postgres store needs a database URL (--database-url or DATABASE_URL)')
      const pool = openPool(config.databaseUrl)
      try {
        if (config.migrate === true) await migrate(pool, schema)
        const stores = createPostgresStores(pool, schema)
        // Fail now, with a clear message, when the schema is missing or behind.
        const { rows } = await pool.query(`select coalesce(max(version), 0)::int as v from ${config.schema ?? DEFAULT_SCHEMA}.schema_migrations`)
        const version = (rows[0] as { v?: number | null } | undefined)?.v ?? 0
        if (version < LATEST_VERSION) throw new Error(`the schema is at migration ${version}, this server needs ${LATEST_VERSION}`)
        const rateLimiter = perClientInMemory(createPostgresRateLimiter(pool, schema))
        return {
          ...stores,
          rateLimiter,
          secrets: await secretBoxFor(config),
          persistent: true,
          ping: () => pool.query('select 1').then(() => undefined),
          reset: () => resetStores(pool, schema).then(rateLimiter.clear),
          close: () => pool.end(),
        }
      } catch (e) {
        await pool.end()
        throw new Error(
          `cannot use PostgreSQL at the given URL: ${e instanceof Error ? e.message : String(e)}` +
            (config.migrate === true ? '' : ' (run with --migrate to create the tables)'),
          { cause: e },
        )
      }
    }
  }
}

/** The store ports whose failures are counted and logged (`withStoreErrorReports`). */
export const STORE_PORTS = ['transactions', 'users', 'steps', 'factors', 'apps', 'rateLimiter'] as const
export type StorePort = (typeof STORE_PORTS)[number]

/** A failed store call: the port, its method, and the `Unavailable` / `Corrupt` error or what was thrown. */
export interface StoreFailure {
  readonly port: StorePort
  readonly method: string
  /** `Unavailable`, `Corrupt`, or `thrown` (an adapter broke its promise never to throw). */
  readonly kind: string
  readonly error: unknown
}

/** Tags of a port's error that mean the store failed; the others (`NotFound`, `VersionConflict`…) are answers. */
const FAILURE_TAGS: ReadonlyArray<string> = ['Unavailable', 'Corrupt']

const isLeftWithTag = (r: unknown): r is { readonly _tag: 'Left'; readonly left: { readonly _tag: string } } =>
  typeof r === 'object' &&
  r !== null &&
  (r as { _tag?: unknown })._tag === 'Left' &&
  typeof (r as { left?: unknown }).left === 'object' &&
  (r as { left: object | null }).left !== null &&
  typeof (r as { left: { _tag?: unknown } }).left._tag === 'string'

/**
 * The port with every `TaskEither` it answers watched: a `Left` tagged `Unavailable` or `Corrupt`,
 * or a rejection, is reported before it goes on unchanged. Everything else passes through as is.
 */
const watchPort = <P extends object>(port: StorePort, target: P, report: (failure: StoreFailure) => void): P => {
  const wrapped = new Map<PropertyKey, unknown>()
  const watchTask = (method: string, task: () => unknown) => () => {
    const running = task()
    if (!(running instanceof Promise)) return running
    return running.then(
      (r: unknown) => {
        if (isLeftWithTag(r) && FAILURE_TAGS.includes(r.left._tag)) report({ port, method, kind: r.left._tag, error: r.left })
        return r
      },
      (thrown: unknown) => {
        report({ port, method, kind: 'thrown', error: thrown })
        throw thrown
      },
    )
  }
  return new Proxy(target, {
    get: (t, prop, receiver) => {
      const value: unknown = Reflect.get(t, prop, receiver)
      if (typeof value !== 'function') return value
      const known = wrapped.get(prop)
      if (known !== undefined) return known
      const method = String(prop)
      const fn = (...args: unknown[]): unknown => {
        const result: unknown = Reflect.apply(value, t, args)
        return typeof result === 'function' ? watchTask(method, result as () => unknown) : result
      }
      wrapped.set(prop, fn)
      return fn
    },
  })
}

/** The stores with each port's failures reported (counted in the metrics and logged by the server). */
export const withStoreErrorReports = (stores: Stores, report: (failure: StoreFailure) => void): Stores => ({
  ...stores,
  transactions: watchPort('transactions', stores.transactions, report),
  users: watchPort('users', stores.users, report),
  steps: watchPort('steps', stores.steps, report),
  factors: watchPort('factors', stores.factors, report),
  rateLimiter: watchPort('rateLimiter', stores.rateLimiter, report),
})
