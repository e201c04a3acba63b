/**
 * The reference server over real HTTP: primary authentication to SUCCESS on the memory adapter with
 * the trivial hasher, through loopback with a keep-alive client, against a bare `node:http` JSON
 * echo server measured alternately in the same run by the same client. Goal: ratio ≥ 0.4.
 *
 * Rate limiting is turned off in the seed (`policies.rateLimits: { enabled: false }`): thousands of
 * sign-ins of one user from one address would otherwise be refused with 429s by the default limits
 * (10 per 10 s per username, 600 a minute per address and endpoint). The stubbed binding has no
 * limiter. Its cost is measured by `bench/rate-limits.ts`.
 */
import { Agent, createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { performance } from 'node:perf_hooks'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { createMemoryStores, createStaticPolicySource } from '@authn-machine/adapter-memory'
import { createAuthn, createMemoryAuditSink, cryptoRandom, systemClock, createSecretBox, ephemeralKeyring } from '@authn-machine/engine'
import { createAuthnHandler, createNodeListener } from '@authn-machine/http'
import { startServer } from '@authn-machine/server'
import { createTrivialHasher } from '@authn-machine/testkit/fixtures'
import { interleaved, median, percentile } from './stats.js'
import { startEcho } from './support.js'
import type { BenchLine } from './types.js'

const CONCURRENCY = 16
const REQUESTS = 2000
const WARM_UP = 300
const ROUNDS = 3
const CREDENTIALS = JSON.stringify({ username: 'bench@example.com', password: 'Bench-Passw0rd' })

interface Target {
  readonly url: URL
  /** Throws unless the response is the expected one. */
  readonly check: (status: number, body: string) => void
}

/** One keep-alive client for both servers, as the issue asks: same agent settings, same code path. */
const createClient = () => {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY })
  const post = (target: Target, body: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = request(
        target.url,
        { method: 'POST', agent, headers: { 'content-type': 'application/json', accept: 'application/json', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () => {
            try {
              target.check(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'))
              resolve()
            } catch (e) {
              reject(e instanceof Error ? e : new Error(String(e)))
            }
          })
          res.on('error', reject)
        },
      )
      req.on('error', reject)
      req.end(body)
    })
  /** `total` requests with `CONCURRENCY` in flight: requests per second, and every latency (ms). */
  const run = async (target: Target, total: number): Promise<{ readonly rps: number; readonly latencies: ReadonlyArray<number> }> => {
    const latencies: number[] = []
    let next = 0
    const started = performance.now()
    const worker = async () => {
      while (next < total) {
        next++
        const t0 = performance.now()
        await post(target, CREDENTIALS)
        latencies.push(performance.now() - t0)
      }
    }
    await Promise.all(Array.from({ length: CONCURRENCY }, worker))
    return { rps: total / ((performance.now() - started) / 1000), latencies }
  }
  return { run, close: () => agent.destroy() }
}

/**
 * The binding alone: the same handler and node:http glue over an engine whose `authenticate`
 * answers a constant SUCCESS, to tell the binding's cost from the engine's.
 */
const startStubbed = async (): Promise<{ readonly server: Server; readonly url: URL }> => {
  const real = createAuthn({
    ...createMemoryStores(),
    secrets: createSecretBox(ephemeralKeyring()),
    policies: createStaticPolicySource(),
    hasher: createTrivialHasher(),
    clock: systemClock,
    random: cryptoRandom,
    audit: createMemoryAuditSink(),
  })
  const success = { status: 200, body: { expiresAt: '2026-01-01T00:00:00.000Z', status: 'SUCCESS', sessionToken: '20111stub', _embedded: {} } }
  const handler = createAuthnHandler({ engine: { ...real, authenticate: () => TE.right(success) } })
  const server = createServer(createNodeListener(handler))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/authn`) }
}

export async function run(): Promise<ReadonlyArray<BenchLine>> {
  const authn = await startServer({
    port: 0,
    hasher: createTrivialHasher(),
    onError: () => undefined,
    seed: {
      users: [{ login: 'bench@example.com', firstName: 'Ben', lastName: 'Ch', password: 'Bench-Passw0rd' }],
      policies: { password: { lockout: { maxAttempts: 0 } }, rateLimits: { enabled: false } },
    },
  })
  const echo = await startEcho()
  const stubbed = await startStubbed()
  const client = createClient()
  const signIn: Target = {
    url: new URL(`${authn.url}/api/v1/authn`),
    check: (status, body) => {
      if (status !== 200 || !body.includes('"status":"SUCCESS"')) throw new Error(`sign-in failed: ${status} ${body.slice(0, 200)}`)
    },
  }
  const echoTarget: Target = {
    url: echo.url,
    check: (status) => {
      if (status !== 200) throw new Error(`echo failed: ${status}`)
    },
  }
  try {
    await client.run(signIn, WARM_UP)
    await client.run(echoTarget, WARM_UP)
    const signInLatencies: number[] = []
    const echoLatencies: number[] = []
    const r = await interleaved(
      ROUNDS,
      async () => {
        const m = await client.run(signIn, REQUESTS)
        signInLatencies.push(...m.latencies)
        return m.rps
      },
      async () => {
        const m = await client.run(echoTarget, REQUESTS)
        echoLatencies.push(...m.latencies)
        return m.rps
      },
    )
    const stubTarget: Target = { url: stubbed.url, check: signIn.check }
    await client.run(stubTarget, WARM_UP)
    const binding = await interleaved(
      ROUNDS,
      async () => (await client.run(stubTarget, REQUESTS)).rps,
      async () => (await client.run(echoTarget, REQUESTS)).rps,
    )
    const note = `${REQUESTS} requests × ${ROUNDS} rounds, concurrency ${CONCURRENCY}, keep-alive, loopback`
    return [
      { name: 'http sign-in → SUCCESS (memory store, trivial hasher)', value: r.a, unit: 'req/s', note },
      { name: 'node:http JSON echo, same client', value: r.b, unit: 'req/s', note },
      { name: 'http sign-in / node:http echo', value: r.a / r.b, unit: 'ratio', note: 'goal ≥ 0.4' },
      { name: 'http sign-in latency p50', value: median(signInLatencies), unit: 'ms' },
      { name: 'http sign-in latency p99', value: percentile(signInLatencies, 99), unit: 'ms' },
      { name: 'node:http echo latency p50', value: median(echoLatencies), unit: 'ms' },
      { name: 'node:http echo latency p99', value: percentile(echoLatencies, 99), unit: 'ms' },
      { name: 'http binding alone (engine stubbed to a constant SUCCESS)', value: binding.a, unit: 'req/s', note },
      { name: 'http binding alone / node:http echo', value: binding.a / binding.b, unit: 'ratio', note: 'the binding’s share of the cost' },
    ]
  } finally {
    client.close()
    for (const s of [echo.server, stubbed.server]) {
      s.closeAllConnections()
      await new Promise((resolve) => s.close(resolve))
    }
    await authn.close()
  }
}
