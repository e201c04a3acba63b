import { Cluster, Redis } from 'ioredis'
import type { RedisClient } from './client.js'
import { messageOf, redactUrl, RedisUnavailableError } from './errors.js'

export interface RedisConnectOptions {
  /**
   * `redis://[user[:password]@]host[:port][/db]`, or `rediss://…` for TLS. For a cluster, one or
   * more of its nodes (the client finds the others); every URL then has the same scheme and
   * credentials, and no database number.
   */
  readonly url: string | ReadonlyArray<string>
  /** Speak the Redis Cluster protocol (an ioredis `Cluster`). Default false. */
  readonly cluster?: boolean
  /** How long to wait for the first connection (and for a cluster, its slot map). Default 5000 ms. */
  readonly connectTimeoutMs?: number
  /**
   * How long one command may take before it fails (and a limiter with insurance counts in memory
   * instead). Default 1000 ms: a rate limit must not hold a request up longer.
   */
  readonly commandTimeoutMs?: number
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000
export const DEFAULT_COMMAND_TIMEOUT_MS = 1_000

/** Whether `s` is a URL this package connects to (`redis:` or `rediss:` with a host). */
export const isRedisUrl = (s: string): boolean => {
  try {
    const u = new URL(s)
    return (u.protocol === 'redis:' || u.protocol === 'rediss:') && u.hostname !== ''
  } catch {
    return false
  }
}

const urlsOf = (url: string | ReadonlyArray<string>): ReadonlyArray<string> => (typeof url === 'string' ? [url] : url)

/** A cluster's seed nodes and the options every node connection shares, from its URLs. */
const clusterConfig = (urls: ReadonlyArray<string>) => {
  const parsed = urls.map((u) => new URL(u))
  const first = parsed[0]
  if (first === undefined) throw new TypeError('a Redis cluster needs at least one node URL')
  for (const u of parsed) {
    if (u.protocol !== first.protocol || u.username !== first.username || u.password !== first.password)
      throw new TypeError('the URLs of one Redis cluster share their scheme and credentials')
    if (u.pathname !== '' && u.pathname !== '/' && u.pathname !== '/0') throw new TypeError('a Redis cluster has no database numbers: leave the path of its URLs empty')
  }
  return {
    nodes: parsed.map((u) => ({ host: u.hostname.replace(/^\[(.*)\]$/, '$1'), port: u.port === '' ? 6379 : Number(u.port) })),
    redisOptions: {
      ...(first.username === '' ? {} : { username: decodeURIComponent(first.username) }),
      ...(first.password === '' ? {} : { password: decodeURIComponent(first.password) }),
      ...(first.protocol === 'rediss:' ? { tls: {} } : {}),
    },
  }
}

/**
 * An ioredis client for rate limiting, ready to use: resolves once the server (or the cluster's slot
 * map) answers, rejects with a {@link RedisUnavailableError} (its message names the URLs without
 * their passwords) when that does not happen within `connectTimeoutMs`, and then leaves nothing
 * running. Commands never wait in a queue for a connection (a limiter fails over to memory
 * instead), each fails after `commandTimeoutMs`, and the client reconnects by itself after an
 * outage. Close it with `quit()`.
 */
export const connectRedis = async (o: RedisConnectOptions): Promise<RedisClient> => {
  const urls = urlsOf(o.url)
  const bad = urls.find((u) => !isRedisUrl(u))
  if (urls.length === 0 || bad !== undefined) throw new TypeError(`not a Redis URL (redis://host:port or rediss://host:port): '${redactUrl(bad ?? '')}'`)
  if (o.cluster !== true && urls.length > 1) throw new TypeError('several Redis URLs are the nodes of a cluster: connect with cluster: true')
  const connectTimeout = o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS
  const perConnection = {
    connectTimeout,
    commandTimeout: o.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    // A command caught by a lost connection fails at the first reconnection rather than waiting for many.
    maxRetriesPerRequest: 1,
  }
  const where = urls.map(redactUrl).join(', ')
  let client: RedisClient
  if (o.cluster === true) {
    const { nodes, redisOptions } = clusterConfig(urls)
    client = new Cluster(nodes, {
      lazyConnect: true,
      enableOfflineQueue: false,
      slotsRefreshTimeout: connectTimeout,
      // The cluster queues nothing itself; its node connections keep ioredis's own settings for queueing.
      redisOptions: { ...redisOptions, ...perConnection },
    })
  } else {
    client = new Redis(urls[0] ?? '', { ...perConnection, enableOfflineQueue: false, lazyConnect: true })
  }

  // ioredis prints an `error` event nobody listens to. A lost connection shows where it matters: in
  // the counts it fails (the limiter's `onFallback`, or `Unavailable`).
  client.on('error', () => undefined)

  const connecting = client.connect()
  // Its failure after the deadline has passed is no one's to handle.
  connecting.catch(() => undefined)
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([
      connecting,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${connectTimeout} ms`)), connectTimeout)
      }),
    ])
    return client
  } catch (e) {
    client.disconnect()
    throw new RedisUnavailableError('connect', client.status, `cannot connect to Redis at ${where}: ${messageOf(e)}`, { cause: e })
  } finally {
    clearTimeout(timer)
  }
}
