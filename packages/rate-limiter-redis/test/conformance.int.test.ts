// The RateLimiter contract against real Redis: a private redis-server of this file, and a private
// Redis Cluster of three primaries; with REDIS_URL set, also that server (under a random key
// prefix, whose keys only are cleared). Two limiters over two clients play two servers.
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Cluster, Redis } from 'ioredis'
import { describeRateLimiter, expectRight, run } from '@authn-machine/testkit'
import { connectRedis, createRedisRateLimiter, type RedisClient } from '../src/index.js'
import { redisBinariesAvailable, startRedisCluster, startRedisServer, type RedisClusterProcesses, type RedisServerProcess } from '../src/testing.js'

const REDIS_URL = process.env['REDIS_URL'] === '' ? undefined : process.env['REDIS_URL']
// Without redis-server and redis-cli (Debian's redis-server and redis-tools; .ci/run installs them)
// there is no Redis to start: those suites are skipped, saying so.
const BINARIES = redisBinariesAvailable()
if (!BINARIES) console.warn('rate-limiter-redis: redis-server or redis-cli not found; the private-server suites are skipped')

const randomPrefix = () => `authn-test:${randomBytes(6).toString('hex')}`

/** Limiters over `open()`'s clients, each pair under a fresh prefix; its keys are deleted and the clients closed on dispose. */
const limitersOver = (open: () => Promise<RedisClient>) => async () => {
  const keyPrefix = randomPrefix()
  const [a, b] = await Promise.all([open(), open()])
  const limiter = createRedisRateLimiter({ client: a, keyPrefix })
  return {
    limiter,
    second: createRedisRateLimiter({ client: b, keyPrefix }),
    // Nothing of the test stays behind (on a shared REDIS_URL too).
    dispose: async () => {
      await limiter.clear()
      await Promise.all([a.quit(), b.quit()])
    },
  }
}

describe.skipIf(!BINARIES)('one private redis-server', () => {
  let server: RedisServerProcess | undefined
  beforeAll(async () => {
    server = await startRedisServer()
  })
  afterAll(() => server?.stop())
  const url = () => server?.url ?? ''

  describeRateLimiter('redis: one server', { make: limitersOver(() => connectRedis({ url: url() })) })

  it('one key per bucket, `<prefix>:<bucket>/<limit>/<windowSeconds>:<key>`, expiring with its window; clear deletes its prefix only', async () => {
    const client = (await connectRedis({ url: url() })) as Redis
    try {
      const keyPrefix = randomPrefix()
      const mine = createRedisRateLimiter({ client, keyPrefix })
      const other = createRedisRateLimiter({ client, keyPrefix: `${keyPrefix}x` })
      const rule = { limit: 5, windowSeconds: 30 }
      for (let i = 0; i < 3; i++) expectRight(await run(mine.consume('username', 'abc', rule)))
      expectRight(await run(other.consume('username', 'abc', rule)))
      const key = `${keyPrefix}:username/5/30:abc`
      expect(await client.get(key)).toBe('3')
      const ttl = await client.pttl(key)
      expect(ttl).toBeGreaterThan(28_000)
      expect(ttl).toBeLessThanOrEqual(30_000)
      await mine.clear()
      expect(await client.exists(key)).toBe(0)
      expect(await client.get(`${keyPrefix}x:username/5/30:abc`)).toBe('1')
    } finally {
      await client.quit()
    }
  })

  it('a key prefix with glob characters clears only its own keys', async () => {
    const client = (await connectRedis({ url: url() })) as Redis
    try {
      const base = randomPrefix()
      const starred = createRedisRateLimiter({ client, keyPrefix: `${base}*` })
      const plain = createRedisRateLimiter({ client, keyPrefix: `${base}-plain` })
      const rule = { limit: 1, windowSeconds: 60 }
      expectRight(await run(starred.consume('ip', 'a', rule)))
      expectRight(await run(plain.consume('ip', 'a', rule)))
      await starred.clear()
      expect(await client.exists(`${base}*:ip/1/60:a`)).toBe(0)
      expect(await client.exists(`${base}-plain:ip/1/60:a`)).toBe(1)
    } finally {
      await client.quit()
    }
  })
})

describe.skipIf(!BINARIES)('a private Redis Cluster of three primaries', () => {
  let cluster: RedisClusterProcesses | undefined
  beforeAll(async () => {
    cluster = await startRedisCluster(3)
  })
  afterAll(() => cluster?.stop())
  // One seed node is enough: the client learns the slot map and the other nodes from it.
  const open = () => connectRedis({ url: cluster?.urls[0] ?? '', cluster: true })

  describeRateLimiter('redis: cluster', { make: limitersOver(open) })

  it('buckets spread over the primaries (one key, one slot each); clear empties every primary', async () => {
    const client = (await open()) as Cluster
    try {
      const keyPrefix = randomPrefix()
      const limiter = createRedisRateLimiter({ client, keyPrefix })
      const keys = Array.from({ length: 24 }, (_, i) => `user${i}`)
      for (const k of keys) expectRight(await run(limiter.consume('username', k, { limit: 2, windowSeconds: 60 })))
      const primaries = client.nodes('master')
      expect(primaries).toHaveLength(3)
      const held = await Promise.all(primaries.map((n) => n.keys(`${keyPrefix}:*`)))
      expect(held.flat().sort()).toEqual(keys.map((k) => `${keyPrefix}:username/2/60:${k}`).sort())
      expect(held.filter((h) => h.length > 0).length).toBeGreaterThan(1)
      await limiter.clear()
      expect((await Promise.all(primaries.map((n) => n.keys(`${keyPrefix}:*`)))).flat()).toEqual([])
    } finally {
      await client.quit()
    }
  })
})

// A Redis of the environment's, when one is given: only keys under a random prefix are written and cleared.
describe.skipIf(REDIS_URL === undefined)('REDIS_URL', () => {
  describeRateLimiter('redis: REDIS_URL', { make: limitersOver(() => connectRedis({ url: REDIS_URL ?? '' })) })
})
