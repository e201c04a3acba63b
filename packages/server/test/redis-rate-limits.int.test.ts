// Rate limits in Redis (docs/adr/0022-redis-rate-limits.md): two reference-server processes, each on
// its own port with nothing in front, each with its own memory store (the demo org seeded in both),
// counting every bucket (per client, per username, per state token) in one private redis-server of
// this file. Requests alternate between the two: the per-username and the per-client limits hold
// across both, as one server's would. Without a Redis to reach, the server does not start.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectRedis, type RedisClient } from '@authn-machine/rate-limiter-redis'
import { freePort, redisBinariesAvailable, startRedisServer, type RedisServerProcess } from '@authn-machine/rate-limiter-redis/testing'
import { createProcesses, type LaunchedServer } from './process.js'
import { demoSeed, DEMO, postJson } from './support.js'

const PER_USERNAME = { limit: 6, windowSeconds: 60 } as const
const PER_CLIENT = { limit: 20, windowSeconds: 60 } as const

// Without redis-server (.ci/run installs Debian's redis-server and redis-tools) there is no Redis to start.
const BINARIES = redisBinariesAvailable()

describe.skipIf(!BINARIES)('two server processes, rate limits in one Redis (--rate-limit-store redis)', () => {
  const processes = createProcesses()
  let redis: RedisServerProcess | undefined
  let client: RedisClient | undefined
  let dir: string | undefined
  let servers: ReadonlyArray<LaunchedServer & { readonly url: string }> = []

  beforeAll(async () => {
    redis = await startRedisServer()
    client = await connectRedis({ url: redis.url })
    dir = mkdtempSync(join(tmpdir(), 'authn-redis-limits-'))
    const seed = demoSeed()
    ;(seed['policies'] as Record<string, unknown>)['rateLimits'] = { perUsername: PER_USERNAME, perClientEndpoint: PER_CLIENT }
    const seedFile = join(dir, 'seed.json')
    writeFileSync(seedFile, JSON.stringify(seed))
    const args = ['--port', '0', '--host', '127.0.0.1', '--seed', seedFile, '--store', 'memory', '--rate-limit-store', 'redis']
    const env = { AUTHN_REDIS_URL: redis.url, AUTHN_LOG_LEVEL: 'silent' }
    const launched = [processes.launch(args, env), processes.launch(args, env)]
    const urls = await Promise.all(launched.map((s) => s.ready))
    servers = launched.map((s, i) => ({ ...s, url: urls[i] ?? '' }))
  })
  afterAll(async () => {
    await processes.stopAll()
    await client?.quit()
    await redis?.stop()
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  /** The i-th request goes to server i mod 2. */
  const post = (i: number, path: string, body: unknown) => postJson(`${servers[i % 2]?.url ?? ''}${path}`, body)
  const outcomeOf = (r: Awaited<ReturnType<typeof postJson>>) => (r.status === 200 ? String(r.body['status']) : `${r.status} ${String(r.body['errorCode'])}`)
  const countsOf = async (pattern: string): Promise<ReadonlyArray<string>> => {
    const redisClient = client
    if (redisClient === undefined || redisClient.isCluster) throw new Error('no Redis client')
    const keys = await redisClient.keys(pattern)
    expect(keys.join()).not.toMatch(/example\.com|127\.0\.0\.1/)
    return (await Promise.all(keys.map((k) => redisClient.get(k)))).map(String).sort((a, b) => Number(a) - Number(b))
  }

  it(`per username: ${PER_USERNAME.limit} sign-ins in 60 s across both processes, then 429 E0000047 from either; another username is not limited`, async () => {
    const attempts = []
    for (let i = 0; i < PER_USERNAME.limit + 4; i++) attempts.push(await post(i, '/api/v1/authn', DEMO.active))
    expect(attempts.map(outcomeOf)).toEqual([...Array.from({ length: PER_USERNAME.limit }, () => 'SUCCESS'), ...Array.from({ length: 4 }, () => '429 E0000047')])
    for (const r of attempts.slice(PER_USERNAME.limit)) {
      expect(r.headers.get('x-rate-limit-limit')).toBe(String(PER_USERNAME.limit))
      expect(r.headers.get('x-rate-limit-remaining')).toBe('0')
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0)
      expect(r.body).not.toHaveProperty('sessionToken')
    }
    // Another username signs in on both meanwhile.
    const other = [await post(0, '/api/v1/authn', DEMO.lockable), await post(1, '/api/v1/authn', DEMO.lockable)]
    expect(other.map(outcomeOf)).toEqual(['SUCCESS', 'SUCCESS'])
    // One key per username bucket in Redis, counting every attempt, whichever process took it; no username in a key.
    expect(await countsOf(`authn:rl:username/${PER_USERNAME.limit}/60:*`)).toEqual(['2', String(PER_USERNAME.limit + 4)])
  })

  it(`per client and endpoint: ${PER_CLIENT.limit} requests in 60 s across both processes, then 429 from either (the per-client buckets are in Redis too)`, async () => {
    const answers = []
    for (let i = 0; i < PER_CLIENT.limit + 4; i++) answers.push(await post(i, '/api/v1/authn/introspect', { stateToken: `00unknown-state-token-${i}` }))
    expect(answers.map(outcomeOf)).toEqual([...Array.from({ length: PER_CLIENT.limit }, () => '401 E0000011'), ...Array.from({ length: 4 }, () => '429 E0000047')])
    expect(answers.map((r) => r.headers.get('x-rate-limit-remaining'))).toEqual([
      ...Array.from({ length: PER_CLIENT.limit }, (_, i) => String(PER_CLIENT.limit - 1 - i)),
      '0',
      '0',
      '0',
      '0',
    ])
    // The sign-ins of the test before and these introspections: one bucket per endpoint for this client.
    expect(await countsOf(`authn:rl:client/${PER_CLIENT.limit}/60:*`)).toEqual([String(PER_USERNAME.limit + 6), String(PER_CLIENT.limit + 4)])
    for (const s of servers) expect(s.output().stderr).toBe('')
  })

  it('no Redis at AUTHN_REDIS_URL: the server does not start, and says why without the password', async () => {
    const url = `redis://limits:s3cret-word@127.0.0.1:${await freePort()}`
    const s = processes.launch(['--port', '0', '--store', 'memory', '--rate-limit-store', 'redis'], { AUTHN_REDIS_URL: url })
    expect((await s.exited).code).toBe(1)
    const { stderr } = s.output()
    expect(stderr).toContain('cannot connect to Redis at redis://limits:***@127.0.0.1:')
    expect(stderr).not.toContain('s3cret')
  })
})
