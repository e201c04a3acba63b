import rlf from 'rate-limiter-flexible'
import type { Redis } from 'ioredis'
import { countWith, type CountedPoints, type RateLimiter, type RateRule } from '@authn-machine/core'
import { keyHolders, type RedisClient } from './client.js'
import { messageOf, RedisUnavailableError } from './errors.js'

export const DEFAULT_KEY_PREFIX = 'authn:rl'

export interface RedisRateLimiterOptions {
  /** An ioredis `Redis` or `Cluster`, connected or connecting; the caller opens and closes it (`connectRedis`). */
  readonly client: RedisClient
  /**
   * The start of every key: `<keyPrefix>:<bucket>/<limit>/<windowSeconds>:<key>`. Default
   * {@link DEFAULT_KEY_PREFIX}. Deployments that share one Redis take different prefixes, none of
   * them another's followed by `:` (`clear` deletes every key under `<keyPrefix>:`).
   */
  readonly keyPrefix?: string
  /**
   * While Redis cannot take a count (not ready, refusing, or slower than the client's command
   * timeout), count in this process's memory: limits then hold per server rather than not at all,
   * as the PostgreSQL limiter's do. Default true. With false such a count answers `Unavailable`
   * (its cause a {@link RedisUnavailableError}), and the HTTP binding lets the request through.
   */
  readonly insurance?: boolean
  /**
   * Told about every count Redis did not take (the error says why, without a password): with
   * insurance that count went to memory. For logs and metrics; on a cluster with one primary down,
   * only the buckets in its slots fail over.
   */
  readonly onFallback?: (error: RedisUnavailableError) => void
}

/** Redis's glob characters in `s` escaped, for `SCAN … MATCH`. */
const globEscape = (s: string): string => s.replace(/[*?[\]\\]/g, (c) => `\\${c}`)

const SCAN_BATCH = 500

/** Deletes every key matching `pattern` on one server: SCAN, then one UNLINK per key (no multi-key command, so no cross-slot error on a cluster node). */
const deleteMatching = async (server: Redis, pattern: string): Promise<void> => {
  let cursor = '0'
  do {
    const [next, keys] = await server.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_BATCH)
    cursor = next
    if (keys.length > 0) {
      const results = await keys.reduce((p, key) => p.unlink(key), server.pipeline()).exec()
      const failed = results?.find(([error]) => error !== null)?.[0]
      if (failed !== undefined && failed !== null) throw failed
    }
  } while (cursor !== '0')
}

/**
 * A RateLimiter whose counts live in Redis, so every server on one Redis (or one Redis Cluster)
 * counts in the same buckets (docs/adr/0022-redis-rate-limits.md). Each count is
 * `rate-limiter-flexible`'s `RateLimiterRedis`: one Lua script on one key (create with its expiry
 * if absent, increment, read the time left), atomic on the server, so concurrent requests from any
 * number of processes get exactly `limit` through per window. A bucket is one key, so on a cluster
 * each bucket lives in one slot and buckets spread over the primaries.
 *
 * When Redis cannot take a count, the count goes to this process's memory meanwhile (see
 * `insurance`); once the client is ready again, counts go back to Redis.
 */
export const createRedisRateLimiter = (opts: RedisRateLimiterOptions): RateLimiter => {
  const { client } = opts
  const prefix = opts.keyPrefix ?? DEFAULT_KEY_PREFIX
  const insured = opts.insurance ?? true
  if (prefix === '' || /\s/.test(prefix)) throw new TypeError('a Redis key prefix is a non-empty string without spaces')

  interface Bucket {
    readonly redis: InstanceType<typeof rlf.RateLimiterRedis>
    readonly memory: InstanceType<typeof rlf.RateLimiterMemory> | null
  }
  let buckets = new Map<string, Bucket>()
  const bucketOf = (bucket: string, rule: RateRule): Bucket => {
    const name = `${prefix}:${bucket}/${rule.limit}/${rule.windowSeconds}`
    let b = buckets.get(name)
    if (b === undefined) {
      b = {
        redis: new rlf.RateLimiterRedis({
          storeClient: client,
          keyPrefix: name,
          points: rule.limit,
          duration: rule.windowSeconds,
          // Not ready (connecting, reconnecting, closed): fail at once instead of queueing.
          rejectIfRedisNotReady: true,
        }),
        memory: insured ? new rlf.RateLimiterMemory({ keyPrefix: name, points: rule.limit, duration: rule.windowSeconds }) : null,
      }
      buckets.set(name, b)
    }
    return b
  }

  /** The count in Redis; when Redis fails, in memory (insured) or a RedisUnavailableError. A refusal (over the limit) passes through as it is. */
  const count = async (bucket: string, key: string, rule: RateRule): Promise<CountedPoints> => {
    const b = bucketOf(bucket, rule)
    try {
      return await b.redis.consume(key, 1)
    } catch (e) {
      if (e instanceof rlf.RateLimiterRes) throw e
      const error = new RedisUnavailableError('command', client.status, `Redis did not take the count (client ${client.status}): ${messageOf(e)}`, { cause: e })
      opts.onFallback?.(error)
      if (b.memory !== null) return b.memory.consume(key, 1)
      throw error
    }
  }

  return {
    consume: (bucket, key, rule) => countWith(() => count(bucket, key, rule), rule, Date.now),
    clear: async () => {
      buckets = new Map()
      try {
        await Promise.all(keyHolders(client).map((server) => deleteMatching(server, `${globEscape(prefix)}:*`)))
      } catch (e) {
        throw new RedisUnavailableError('command', client.status, `Redis did not clear the counts (client ${client.status}): ${messageOf(e)}`, { cause: e })
      }
    },
  }
}
