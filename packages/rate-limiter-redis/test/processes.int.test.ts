// Exact limits across processes: several processes, each with its own client and limiter (as
// several servers would be), send all their requests to the same buckets at the same moment; per
// bucket, exactly `limit` requests are let through in total, each of them saw its own count, every
// other one is refused with remaining 0, and Redis counted every request once. Against a private
// redis-server and a private Redis Cluster of three primaries.
import { fork, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RateState } from '@authn-machine/core'
import { isCluster } from '../src/client.js'
import { connectRedis } from '../src/index.js'
import { redisBinariesAvailable, startRedisCluster, startRedisServer, type RedisClusterProcesses, type RedisServerProcess } from '../src/testing.js'
import type { CountingPlan, FromClient, ToClient } from './fixtures/counting-client.js'

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url))
const CLIENT = fileURLToPath(new URL('./fixtures/counting-client.ts', import.meta.url))

const PROCESSES = 4
const REQUESTS_PER_BUCKET = 30
const TOTAL = PROCESSES * REQUESTS_PER_BUCKET

// Limits below, at and above the requests sent; several keys of one limit, so that on a cluster
// the buckets land on different primaries.
const BUCKETS: CountingPlan['buckets'] = [
  { bucket: 'username', key: 'a', limit: 1 },
  { bucket: 'username', key: 'b', limit: 7 },
  { bucket: 'username', key: 'c', limit: 7 },
  { bucket: 'username', key: 'd', limit: 7 },
  { bucket: 'state', key: 'e', limit: 60 },
  { bucket: 'client', key: 'f', limit: TOTAL },
  { bucket: 'client', key: 'g', limit: TOTAL + 50 },
]

/** A counting client in a process of its own (tsx, the source condition), stopped by the test. */
const forkClient = () => {
  const child: ChildProcess = fork(CLIENT, [], {
    cwd: PACKAGE_DIR,
    execArgv: ['--import', 'tsx', '--conditions=@authn-machine/source'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const next = <T extends FromClient['type']>(type: T): Promise<Extract<FromClient, { type: T }>> =>
    new Promise((resolve, reject) => {
      const onMessage = (m: FromClient) => {
        child.off('exit', onExit)
        if (m.type === type) resolve(m as Extract<FromClient, { type: T }>)
        else reject(new Error(`counting client answered ${m.type}: ${m.type === 'error' ? m.message : ''}`))
      }
      const onExit = (code: number | null) => {
        child.off('message', onMessage)
        reject(new Error(`counting client exited (${code}) before ${type}`))
      }
      child.once('message', onMessage)
      child.once('exit', onExit)
    })
  const send = (m: ToClient) => child.send(m)
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    if (child.connected) child.disconnect()
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
    await exited
    clearTimeout(timer)
  }
  return { next, send, stop }
}

/** Runs the plan in {@link PROCESSES} processes at once; answers per process, per bucket, per request. */
const runAcrossProcesses = async (url: string, cluster: boolean, keyPrefix: string): Promise<ReadonlyArray<ReadonlyArray<ReadonlyArray<RateState>>>> => {
  const clients = Array.from({ length: PROCESSES }, forkClient)
  try {
    const plan: CountingPlan = { url, cluster, keyPrefix, buckets: BUCKETS, requestsPerBucket: REQUESTS_PER_BUCKET }
    await Promise.all(
      clients.map((c) => {
        const ready = c.next('ready')
        c.send({ type: 'plan', plan })
        return ready
      }),
    )
    // Every process connected: all of them start at once.
    const done = clients.map((c) => c.next('done'))
    for (const c of clients) c.send({ type: 'go' })
    return (await Promise.all(done)).map((d) => d.answers)
  } finally {
    await Promise.all(clients.map((c) => c.stop()))
  }
}

const expectExact = async (perProcess: ReadonlyArray<ReadonlyArray<ReadonlyArray<RateState>>>, countOf: (key: string) => Promise<string | null>, keyPrefix: string) => {
  const started = Date.now()
  expect(perProcess).toHaveLength(PROCESSES)
  for (const [i, b] of BUCKETS.entries()) {
    const answers = perProcess.map((p) => p[i] ?? [])
    // Every caller got an answer for each of its requests, each of this bucket's limit.
    for (const mine of answers) expect(mine).toHaveLength(REQUESTS_PER_BUCKET)
    const all = answers.flat()
    for (const s of all) {
      expect(s.limit).toBe(b.limit)
      expect(s.resetAt).toBeGreaterThan(started)
      expect(s.resetAt).toBeLessThanOrEqual(Date.now() + 60_000)
    }
    const allowed = all.filter((s) => s.allowed)
    const refused = all.filter((s) => !s.allowed)
    const through = Math.min(b.limit, TOTAL)
    expect(allowed, `${b.bucket}/${b.key} (limit ${b.limit})`).toHaveLength(through)
    // Each request let through saw its own count: remaining limit-1, limit-2, … once each.
    expect(allowed.map((s) => s.remaining).sort((x, y) => y - x)).toEqual(Array.from({ length: through }, (_, k) => b.limit - 1 - k))
    for (const s of refused) expect(s.remaining).toBe(0)
    // Redis counted every request, whichever process sent it.
    expect(await countOf(`${keyPrefix}:${b.bucket}/${b.limit}/60:${b.key}`)).toBe(String(TOTAL))
  }
}

// Without redis-server and redis-cli (.ci/run installs Debian's redis-server and redis-tools) there is no Redis to start.
const BINARIES = redisBinariesAvailable()

describe.skipIf(!BINARIES)(`${PROCESSES} processes, ${REQUESTS_PER_BUCKET} concurrent requests each per bucket`, () => {
  describe('one private redis-server', () => {
    let server: RedisServerProcess | undefined
    beforeAll(async () => {
      server = await startRedisServer()
    })
    afterAll(() => server?.stop())

    it(`exactly limit through per bucket, in total over ${PROCESSES} processes`, async () => {
      const url = server?.url ?? ''
      const keyPrefix = `authn-test:${randomBytes(6).toString('hex')}`
      const answers = await runAcrossProcesses(url, false, keyPrefix)
      const client = await connectRedis({ url })
      try {
        await expectExact(answers, (k) => client.get(k), keyPrefix)
      } finally {
        await client.quit()
      }
    })
  })

  describe('a private Redis Cluster of three primaries', () => {
    let cluster: RedisClusterProcesses | undefined
    beforeAll(async () => {
      cluster = await startRedisCluster(3)
    })
    afterAll(() => cluster?.stop())

    it(`exactly limit through per bucket, in total over ${PROCESSES} processes, the buckets on several primaries`, async () => {
      const urls = cluster?.urls ?? []
      const keyPrefix = `authn-test:${randomBytes(6).toString('hex')}`
      const answers = await runAcrossProcesses(urls[1] ?? '', true, keyPrefix)
      const client = await connectRedis({ url: urls, cluster: true })
      try {
        await expectExact(answers, (k) => client.get(k), keyPrefix)
        if (!isCluster(client)) throw new Error('not a cluster client')
        const held = await Promise.all(client.nodes('master').map((n) => n.keys(`${keyPrefix}:*`)))
        expect(held.filter((keys) => keys.length > 0).length).toBeGreaterThan(1)
      } finally {
        await client.quit()
      }
    })
  })
})
