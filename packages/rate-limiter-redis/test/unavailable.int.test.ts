// When Redis cannot answer (docs/adr/0014-rate-limits.md, "if the store cannot be reached"): a
// count goes to this process's memory at once (the insurance, as the PostgreSQL limiter's), so
// limits hold per process; without insurance it answers `Unavailable` with a RedisUnavailableError.
// A stopped server, a hung one (SIGSTOP), a cluster with one primary down, and no server at all.
import { randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import type { Redis } from 'ioredis'
import type { RateState, StoreError } from '@authn-machine/core'
import { expectLeft, expectRight, run } from '@authn-machine/testkit'
import { isCluster } from '../src/client.js'
import { connectRedis, createRedisRateLimiter, RedisUnavailableError, type RedisClient } from '../src/index.js'
import { freePort, redisBinariesAvailable, startRedisCluster, startRedisServer } from '../src/testing.js'

// Without redis-server and redis-cli (.ci/run installs Debian's redis-server and redis-tools) there is no Redis to start.
const BINARIES = redisBinariesAvailable()

const RULE = { limit: 2, windowSeconds: 60 } as const
// Command timeouts per test: long where a test shows that nothing waits for one (a loaded machine
// must not make a fast answer look slow), short where a test waits for it.
const SLOW_TIMEOUT_MS = 2_000
const HUNG_TIMEOUT_MS = 500

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined)
})

const randomPrefix = () => `authn-test:${randomBytes(6).toString('hex')}`

const until = async (what: string, ok: () => boolean, timeoutMs = 20_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`not ${what} within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/** An insured limiter and one without insurance over `client`, each reporting its fallbacks. */
const limitersOn = (client: RedisClient) => {
  const keyPrefix = randomPrefix()
  const fallbacks: RedisUnavailableError[] = []
  const onFallback = (e: RedisUnavailableError) => void fallbacks.push(e)
  return {
    keyPrefix,
    fallbacks,
    insured: createRedisRateLimiter({ client, keyPrefix, onFallback }),
    bare: createRedisRateLimiter({ client, keyPrefix, insurance: false, onFallback }),
  }
}

const timed = async <A>(f: () => Promise<A>): Promise<{ readonly value: A; readonly ms: number }> => {
  const t0 = Date.now()
  const value = await f()
  return { value, ms: Date.now() - t0 }
}

const outcomes = (states: ReadonlyArray<RateState>) => states.map((s) => [s.allowed, s.remaining])

const expectRedisUnavailable = (e: StoreError): RedisUnavailableError => {
  expect(e._tag).toBe('Unavailable')
  const cause = e._tag === 'Unavailable' ? e.cause : undefined
  expect(cause).toBeInstanceOf(RedisUnavailableError)
  return cause as RedisUnavailableError
}

describe.skipIf(!BINARIES)('when Redis cannot answer', () => {
  it('no server at the URL: connectRedis fails within its timeout with a RedisUnavailableError that names the URL without its password', async () => {
    const port = await freePort()
    const { value: error, ms } = await timed(() =>
      connectRedis({ url: `redis://limiter:s3cret-word@127.0.0.1:${port}`, connectTimeoutMs: 1_000 }).then(
        () => null,
        (e: unknown) => e,
      ),
    )
    expect(error).toBeInstanceOf(RedisUnavailableError)
    const e = error as RedisUnavailableError
    expect(e.kind).toBe('connect')
    expect(e.message).toContain(`cannot connect to Redis at redis://limiter:***@127.0.0.1:${port}`)
    expect(e.message).not.toContain('s3cret')
    expect(ms).toBeLessThan(3_000)
    // A cluster whose seed nodes are all gone: the same.
    const cluster = await connectRedis({ url: [`redis://127.0.0.1:${port}`], cluster: true, connectTimeoutMs: 1_000 }).then(
      () => null,
      (x: unknown) => x,
    )
    expect(cluster).toBeInstanceOf(RedisUnavailableError)
    expect((cluster as RedisUnavailableError).kind).toBe('connect')
  })

  it('a URL that is not a Redis URL is refused before connecting, without repeating its password', async () => {
    await expect(connectRedis({ url: 'http://u:pw-123@127.0.0.1:1' })).rejects.toThrow(/not a Redis URL.*u:\*\*\*@/)
    await expect(connectRedis({ url: ['redis://127.0.0.1:1', 'redis://127.0.0.1:2'] })).rejects.toThrow(/cluster: true/)
  })

  it('the server stops: counts go to memory at once (the limit holds in this process), without insurance Unavailable; clear fails typed; after a restart counts go to Redis again', async () => {
    const server = await startRedisServer()
    cleanups.push(() => server.stop())
    const client = (await connectRedis({ url: server.url, commandTimeoutMs: SLOW_TIMEOUT_MS })) as Redis
    cleanups.push(async () => client.disconnect())
    const { keyPrefix, fallbacks, insured, bare } = limitersOn(client)

    expectRight(await run(insured.consume('username', 'before', RULE)))
    expect(await client.get(`${keyPrefix}:username/2/60:before`)).toBe('1')

    await server.stop()
    await until('disconnected', () => client.status !== 'ready')
    const { value: during, ms } = await timed(async () => {
      const states: RateState[] = []
      for (let i = 0; i < 3; i++) states.push(expectRight(await run(insured.consume('username', 'during', RULE))))
      return states
    })
    expect(outcomes(during)).toEqual([
      [true, 1],
      [true, 0],
      [false, 0],
    ])
    // Not ready: no command is even sent, so no waiting for a timeout.
    expect(ms).toBeLessThan(SLOW_TIMEOUT_MS)
    expect(fallbacks).toHaveLength(3)
    expect(fallbacks.every((e) => e.kind === 'command' && e.status !== 'ready')).toBe(true)

    const cause = expectRedisUnavailable(expectLeft(await run(bare.consume('username', 'bare', RULE))))
    expect(cause.message).toMatch(/^Redis did not take the count \(client \w+\)/)
    await expect(insured.clear()).rejects.toBeInstanceOf(RedisUnavailableError)

    await server.restart()
    await until('ready again', () => client.status === 'ready')
    // A new, empty server: counts are in Redis again (what was counted in memory meanwhile stays there).
    expect(outcomes([expectRight(await run(insured.consume('username', 'after', RULE)))])).toEqual([[true, 1]])
    expect(await client.get(`${keyPrefix}:username/2/60:after`)).toBe('1')
    expectRight(await run(bare.consume('username', 'bare', RULE)))
    expect(fallbacks).toHaveLength(4)
  })

  it('the server hangs (SIGSTOP): a count fails after the command timeout and goes to memory; once it resumes, counts go to Redis', async () => {
    const server = await startRedisServer()
    cleanups.push(() => server.stop())
    const client = (await connectRedis({ url: server.url, commandTimeoutMs: HUNG_TIMEOUT_MS })) as Redis
    cleanups.push(async () => client.disconnect())
    const { keyPrefix, fallbacks, insured, bare } = limitersOn(client)
    expectRight(await run(insured.consume('state', 'x', RULE)))

    server.pause()
    const { value: hung, ms } = await timed(async () => expectRight(await run(insured.consume('state', 'hung', RULE))))
    expect(hung).toMatchObject({ allowed: true, remaining: 1 })
    expect(ms).toBeGreaterThanOrEqual(HUNG_TIMEOUT_MS - 20)
    expect(ms).toBeLessThan(HUNG_TIMEOUT_MS + 2_000)
    expect(fallbacks.map((e) => e.message)).toEqual([expect.stringMatching(/timed out/i)])
    expectRedisUnavailable(expectLeft(await run(bare.consume('state', 'hung', RULE))))

    server.resume()
    await until('answering', () => client.status === 'ready')
    expect(expectRight(await run(insured.consume('state', 'x', RULE)))).toMatchObject({ allowed: true, remaining: 0 })
    expect(await client.get(`${keyPrefix}:state/2/60:x`)).toBe('2')
  })

  it('a cluster loses one primary: the buckets in its slots go to memory after the command timeout, every other bucket stays in Redis', async () => {
    const cluster = await startRedisCluster(3)
    cleanups.push(() => cluster.stop())
    const client = await connectRedis({ url: cluster.urls, cluster: true, commandTimeoutMs: SLOW_TIMEOUT_MS })
    cleanups.push(async () => client.disconnect())
    if (!isCluster(client)) throw new Error('not a cluster client')
    const { keyPrefix, fallbacks, insured } = limitersOn(client)
    const keys = Array.from({ length: 12 }, (_, i) => `k${i}`)
    for (const k of keys) expectRight(await run(insured.consume('client', k, RULE)))

    // The primary that holds k0's bucket stops.
    const ranges = await client.cluster('SLOTS')
    const ownerPort = async (key: string): Promise<number> => {
      const slot = Number(await client.cluster('KEYSLOT', key))
      const owner = ranges.find(([from, to]) => slot >= from && slot <= to)?.[2]
      if (owner === undefined) throw new Error(`no owner for slot ${slot}`)
      return owner[1]
    }
    const owners = new Map<string, number>()
    for (const k of keys) owners.set(k, await ownerPort(`${keyPrefix}:client/2/60:${k}`))
    const victimPort = owners.get('k0')
    const victim = cluster.nodes.find((n) => n.port === victimPort)
    if (victim === undefined) throw new Error('no primary to stop')
    await victim.stop()

    const answers = await Promise.all(keys.map(async (k) => ({ k, ...(await timed(async () => expectRight(await run(insured.consume('client', k, RULE))))) })))
    // Every request was answered, each bucket's second request allowed with remaining 0 in Redis;
    // in memory (a first count there) with remaining 1.
    for (const a of answers) {
      const onVictim = owners.get(a.k) === victimPort
      expect(a.value, a.k).toMatchObject(onVictim ? { allowed: true, remaining: 1 } : { allowed: true, remaining: 0 })
      // A bucket on a live primary is answered without waiting; one on the stopped primary after at most the timeout.
      expect(a.ms).toBeLessThan(onVictim ? SLOW_TIMEOUT_MS + 2_000 : SLOW_TIMEOUT_MS)
    }
    const lostKeys = keys.filter((k) => owners.get(k) === victimPort)
    expect(lostKeys.length).toBeGreaterThan(0)
    expect(lostKeys.length).toBeLessThan(keys.length)
    expect(fallbacks).toHaveLength(lostKeys.length)
  })
})
