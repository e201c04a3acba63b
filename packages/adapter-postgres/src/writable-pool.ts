import pg from 'pg'
import type { PgNamedQuery, PgQueryable } from './client.js'

/** One PostgreSQL server of a multi-host setup. */
export interface HostPort {
  readonly host: string
  readonly port: number
}

/** A libpq-style multi-host connection string, taken apart. */
export interface MultiHostUrl {
  readonly hosts: ReadonlyArray<HostPort>
  readonly user?: string
  readonly password?: string
  readonly database?: string
}

/**
 * Parses `postgres://user:password@h1:5432,h2:5433/db` (libpq's multi-host form, which
 * node-postgres does not read). A host without a port gets 5432; `[::1]:5432` is an IPv6 host.
 * Query parameters (`target_session_attrs` and the like) are ignored: the writable host is found by
 * {@link createWritablePool}. Throws on anything else.
 */
export const parseMultiHostUrl = (url: string): MultiHostUrl => {
  const m = /^postgres(?:ql)?:\/\/(?:([^@/]*)@)?([^/?]*)(?:\/([^?]*))?(?:\?.*)?$/.exec(url)
  if (m === null) throw new Error('not a postgres:// connection string')
  const [, userinfo, hostList = '', path] = m
  const hosts = hostList
    .split(',')
    .filter((h) => h !== '')
    .map((h): HostPort => {
      const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(h)
      const plain = /^([^:]+)(?::(\d+))?$/.exec(h)
      const parts = v6 ?? plain
      if (parts === null || parts[1] === undefined) throw new Error(`cannot read host '${h}'`)
      return { host: decodeURIComponent(parts[1]), port: parts[2] === undefined ? 5432 : Number(parts[2]) }
    })
  if (hosts.length === 0) throw new Error('the connection string names no host')
  const colon = userinfo === undefined ? -1 : userinfo.indexOf(':')
  const user = userinfo === undefined || userinfo === '' ? undefined : decodeURIComponent(colon < 0 ? userinfo : userinfo.slice(0, colon))
  const password = userinfo === undefined || colon < 0 ? undefined : decodeURIComponent(userinfo.slice(colon + 1))
  const database = path === undefined || path === '' ? undefined : decodeURIComponent(path)
  return { hosts, ...(user === undefined ? {} : { user }), ...(password === undefined ? {} : { password }), ...(database === undefined ? {} : { database }) }
}

/** Whether a connection string names more than one host. */
export const isMultiHostUrl = (url: string): boolean => {
  try {
    return parseMultiHostUrl(url).hosts.length > 1
  } catch {
    return false
  }
}

const SWITCH_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  '25006', // read_only_sql_transaction: this server is a standby now
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, or shutting down)
])

/**
 * Whether an error means the server behind the pool is gone or no longer writable, so that the
 * writable host must be found again: a lost or refused connection, a shutdown, or SQLSTATE 25006.
 * Any other error (a constraint, a syntax error) is the statement's and keeps the pool.
 */
export const isHostLost = (e: unknown): boolean => {
  if (typeof e !== 'object' || e === null) return false
  const code = (e as { code?: unknown }).code
  if (typeof code === 'string' && (SWITCH_CODES.has(code) || code.startsWith('08'))) return true
  const message = e instanceof Error ? e.message : ''
  return /Connection terminated|connection error|timeout exceeded when trying to connect|Connection ended/i.test(message)
}

export interface WritablePoolOptions {
  /** The servers, tried in this order. */
  readonly hosts: ReadonlyArray<HostPort>
  readonly user?: string
  readonly password?: string
  readonly database?: string
  /** Everything else of the pool to the writable host (`max`, `idleTimeoutMillis`…). */
  readonly pool?: Omit<pg.PoolConfig, 'host' | 'port' | 'user' | 'password' | 'database' | 'connectionString'>
  /** How long a probe of one host may take to connect. Default 2000 ms. */
  readonly probeTimeoutMs?: number
  /** Called when a writable host is found (the first time, and after every switch). */
  readonly onSwitch?: (to: HostPort) => void
  /** Called with errors of idle pooled clients (a server that went away). Default: ignored. */
  readonly onIdleError?: (e: Error) => void
}

/**
 * A `PgQueryable` over whichever of several servers is writable, for a primary with standbys that
 * can take its place (pg_auto_failover, Patroni): node-postgres takes one host only.
 */
export interface WritablePool extends PgQueryable {
  readonly namedStatements: true
  /** The writable host the pool is on now, or null before the first find and after a loss. */
  readonly current: () => HostPort | null
  /** Finds the writable host now (concurrent callers share one search). Rejects when none is. */
  readonly find: () => Promise<HostPort>
  /** Closes the pool (and every pool left behind by a switch). */
  readonly end: () => Promise<void>
}

/** Thrown (and so answered `Unavailable` by the stores) while no host is writable. */
export class NoWritableHostError extends Error {
  override readonly name = 'NoWritableHostError'
}

interface Live {
  readonly host: HostPort
  readonly pool: pg.Pool
}

/**
 * A pool on the writable one of `hosts`: each host is probed in turn and the first where
 * `pg_is_in_recovery()` is false and `transaction_read_only` is off gets the pool. A statement that
 * fails because its host is gone or read-only ({@link isHostLost}) is NOT sent again (it may have
 * been applied: its outcome is unknown, and the caller decides): the pool is dropped, and the next
 * statement finds the writable host again. While none is (a failover under way), statements fail
 * at once with {@link NoWritableHostError}.
 */
export const createWritablePool = (opts: WritablePoolOptions): WritablePool => {
  if (opts.hosts.length === 0) throw new Error('createWritablePool needs at least one host')
  const credentials = {
    ...(opts.user === undefined ? {} : { user: opts.user }),
    ...(opts.password === undefined ? {} : { password: opts.password }),
    ...(opts.database === undefined ? {} : { database: opts.database }),
  }
  const probeTimeoutMs = opts.probeTimeoutMs ?? 2000
  let live: Live | null = null
  let searching: Promise<Live> | null = null
  let ended = false
  const retired = new Set<Promise<void>>()

  const isWritable = async (host: HostPort): Promise<boolean> => {
    const client = new pg.Client({ ...credentials, ...host, connectionTimeoutMillis: probeTimeoutMs, query_timeout: probeTimeoutMs })
    client.on('error', () => undefined)
    try {
      await client.connect()
      const { rows } = await client.query<{ recovery: boolean; read_only: string }>(
        "select pg_is_in_recovery() as recovery, current_setting('transaction_read_only') as read_only",
      )
      const row = rows[0]
      return row !== undefined && !row.recovery && row.read_only === 'off'
    } catch {
      return false
    } finally {
      await client.end().catch(() => undefined)
    }
  }

  const search = async (): Promise<Live> => {
    for (const host of opts.hosts) {
      if (ended) break
      if (await isWritable(host)) {
        const pool = new pg.Pool({ ...opts.pool, ...credentials, ...host })
        pool.on('error', (e) => {
          if (isHostLost(e)) drop(pool)
          opts.onIdleError?.(e)
        })
        live = { host, pool }
        opts.onSwitch?.(host)
        return live
      }
    }
    throw new NoWritableHostError(`no writable PostgreSQL among ${opts.hosts.map((h) => `${h.host}:${h.port}`).join(', ')}`)
  }

  const acquire = (): Promise<Live> => {
    if (ended) return Promise.reject(new Error('the writable pool was ended'))
    if (live !== null) return Promise.resolve(live)
    searching ??= search().finally(() => {
      searching = null
    })
    return searching
  }

  /** Forgets `pool` if it is still the live one; its clients are closed in the background. */
  const drop = (pool: pg.Pool) => {
    if (live?.pool !== pool) return
    live = null
    const closing = pool.end().catch(() => undefined)
    retired.add(closing)
    void closing.finally(() => retired.delete(closing))
  }

  const query = async (textOrNamed: string | PgNamedQuery, values?: unknown[]) => {
    const { pool } = await acquire()
    try {
      return typeof textOrNamed === 'string' ? await pool.query(textOrNamed, values) : await pool.query(textOrNamed)
    } catch (e) {
      if (isHostLost(e)) drop(pool)
      throw e
    }
  }

  return {
    namedStatements: true,
    query: query as PgQueryable['query'],
    current: () => live?.host ?? null,
    find: () => acquire().then((l) => l.host),
    end: async () => {
      ended = true
      await searching?.catch(() => undefined)
      const last = live
      live = null
      await Promise.all([last?.pool.end().catch(() => undefined), ...retired])
    },
  }
}
