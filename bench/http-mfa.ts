/**
 * Sign-in + TOTP over real HTTP. The reference server (memory store, trivial hasher) is seeded with
 * one user per flow, each with an ACTIVE Google Authenticator factor of its own key and
 * `signOn.requireFactor`; every flow is `POST /api/v1/authn` → MFA_REQUIRED, then
 * `POST /api/v1/authn/factors/{id}/verify` with the current code → SUCCESS. Since a TOTP code is
 * accepted once per time step per factor, no user is verified twice.
 *
 * The load comes from another process (`http-mfa-client.ts`, forked, keep-alive agent, loopback),
 * which measures a bare `node:http` JSON echo server in this process the same way, in alternating
 * rounds. Goals: flow requests/s ≥ 0.4 × echo requests/s; flows/s ≥ 10 % of echo requests/s.
 *
 * Rate limiting is turned off in the seed (`policies.rateLimits: { enabled: false }`): the client
 * sends thousands of requests from one address, which the default limits (600 a minute per
 * address and endpoint) would refuse with 429s. Its cost is measured by `bench/rate-limits.ts`.
 *
 * Also: the TOTP plug-in's `verify` alone against a raw HMAC-SHA1 of 8 bytes (`node:crypto`), and,
 * with DATABASE_URL, the PostgreSQL round trips of one MFA verify. Bounded counts; nothing asserted.
 *
 * Profiling the server under this load (the parent is the server; the forked client is not profiled):
 *   BENCH_HTTP_MFA_ONLY=flows node --cpu-prof --cpu-prof-dir=/tmp/authn-prof --import tsx \
 *     --conditions=@authn-machine/source bench/run.ts http-mfa
 *   npx tsx bench/cpu-profile-top.ts /tmp/authn-prof/<file>.cpuprofile
 */
import { createHmac, randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { createStaticPolicySource } from '@authn-machine/adapter-memory'
import { createPostgresStores } from '@authn-machine/adapter-postgres'
import { registered, type OrgSeed } from '@authn-machine/core'
import { createAuthn, createFactorRegistry, createMemoryAuditSink, createSecretBox, cryptoRandom, ephemeralKeyring, seedOrg, systemClock } from '@authn-machine/engine'
import { TOTP_DEFAULTS, createTotpFactor, encodeSecret, secretBytes, timeStepOf, totpCode } from '@authn-machine/factor-totp'
import { startServer } from '@authn-machine/server'
import { createTrivialHasher, PUBLIC_CONTEXT } from '@authn-machine/testkit/fixtures'
import { forkClient } from './fork-client.js'
import type { ClientCommand, ClientReply, ClientUser } from './http-mfa-client.js'
import { median, percentile } from './stats.js'
import { onBenchDatabase, startEcho } from './support.js'
import type { BenchLine } from './types.js'

const CONCURRENCY = 16
const ROUNDS = 3
const FLOWS_PER_ROUND = 1_500
/** As many echo requests per round as the flows send (two each). */
const ECHO_PER_ROUND = 2 * FLOWS_PER_ROUND
const WARM_UP_FLOWS = 300
const USERS = WARM_UP_FLOWS + ROUNDS * FLOWS_PER_ROUND
const PASSWORD = 'Bench-Passw0rd'
/** Longest wait for one answer of the client (a round, or its start-up). */
const COMMAND_TIMEOUT_MS = 60_000
const TOTP_BATCHES = 31
const TOTP_BATCH = 400

// ---------------------------------------------------------------------------------------------
// The load: server and echo here, client in a forked process.

const seedUsers = (): ReadonlyArray<ClientUser> =>
  Array.from({ length: USERS }, (_, i) => ({ login: `mfa${i}@example.com`, secret: encodeSecret(randomBytes(20)) }))

/** The flows against the echo, in alternating rounds; with `withEcho` false, the flows alone (for a profile of the server). */
/** An org of users with a TOTP factor each, MFA required, lockout after `maxAttempts` (0: never). */
const totpOrg = (users: ReadonlyArray<{ login: string; secret: string }>, maxAttempts: number): OrgSeed => ({
  users: users.map((u) => ({
    login: u.login,
    firstName: 'Mae',
    lastName: 'Factor',
    password: PASSWORD,
    factors: [{ factorType: 'token:software:totp', provider: 'GOOGLE', secret: u.secret }],
  })),
  policies: { signOn: { requireFactor: true }, password: { lockout: { maxAttempts } }, rateLimits: { enabled: false } },
})

const httpFlows = async (withEcho: boolean): Promise<ReadonlyArray<BenchLine>> => {
  const users = seedUsers()
  const seedStarted = performance.now()
  const authn = await startServer({
    port: 0,
    store: { kind: 'memory' },
    hasher: createTrivialHasher(),
    onError: () => undefined,
    seed: totpOrg(users, 0),
  })
  const seedSeconds = (performance.now() - seedStarted) / 1000
  const echo = await startEcho()
  const client = forkClient<ClientCommand, ClientReply>(new URL('./http-mfa-client.ts', import.meta.url), COMMAND_TIMEOUT_MS)
  try {
    await client.ask({ type: 'init', authnUrl: `${authn.url}/api/v1/authn`, echoUrl: echo.url.href, password: PASSWORD, users, concurrency: CONCURRENCY }, 'ready')
    await client.ask({ type: 'flows', count: WARM_UP_FLOWS }, 'flows')
    if (withEcho) await client.ask({ type: 'echo', count: 2 * WARM_UP_FLOWS }, 'echo')
    const flowRounds: Array<Extract<ClientReply, { type: 'flows' }>> = []
    const echoRounds: Array<Extract<ClientReply, { type: 'echo' }>> = []
    // Alternating rounds, so that drift on a shared machine hits both alike.
    for (let r = 0; r < ROUNDS; r++) {
      flowRounds.push(await client.ask({ type: 'flows', count: FLOWS_PER_ROUND }, 'flows'))
      if (withEcho) echoRounds.push(await client.ask({ type: 'echo', count: ECHO_PER_ROUND }, 'echo'))
    }
    const flowsPerSecond = median(flowRounds.map((m) => m.flows / m.seconds))
    const flowRequestsPerSecond = median(flowRounds.map((m) => (2 * m.flows) / m.seconds))
    const echoPerSecond = median(echoRounds.map((m) => m.requests / m.seconds))
    const all = (pick: (m: Extract<ClientReply, { type: 'flows' }>) => ReadonlyArray<number>) => flowRounds.flatMap(pick)
    const primary = all((m) => m.primary)
    const verify = all((m) => m.verify)
    const flow = all((m) => m.flow)
    const echoLatencies = echoRounds.flatMap((m) => m.latencies)
    const rounds = withEcho ? `${FLOWS_PER_ROUND} flows / ${ECHO_PER_ROUND} echoes` : `${FLOWS_PER_ROUND} flows`
    const note = `median of ${ROUNDS} rounds of ${rounds}, concurrency ${CONCURRENCY}, keep-alive, client in its own process`
    const lines: BenchLine[] = [
      { name: 'http MFA flow requests (authn + factor verify)', value: flowRequestsPerSecond, unit: 'req/s', note },
      { name: 'node:http JSON echo, same client', value: echoPerSecond, unit: 'req/s' },
      { name: 'http MFA flow requests / echo requests', value: flowRequestsPerSecond / echoPerSecond, unit: 'ratio', note: 'goal ≥ 0.4' },
      { name: 'http MFA flows (password → MFA_REQUIRED → TOTP → SUCCESS)', value: flowsPerSecond, unit: 'flows/s' },
      { name: 'http MFA flows/s as a share of echo requests/s', value: (100 * flowsPerSecond) / echoPerSecond, unit: '%', note: 'goal ≥ 10 %' },
      { name: 'latency p50, POST /api/v1/authn → MFA_REQUIRED', value: median(primary), unit: 'ms' },
      { name: 'latency p99, POST /api/v1/authn → MFA_REQUIRED', value: percentile(primary, 99), unit: 'ms' },
      { name: 'latency p50, POST …/factors/{id}/verify → SUCCESS', value: median(verify), unit: 'ms' },
      { name: 'latency p99, POST …/factors/{id}/verify → SUCCESS', value: percentile(verify, 99), unit: 'ms' },
      { name: 'latency p50, whole flow', value: median(flow), unit: 'ms' },
      { name: 'latency p99, whole flow', value: percentile(flow, 99), unit: 'ms' },
      { name: 'latency p50, node:http echo', value: median(echoLatencies), unit: 'ms' },
      { name: 'latency p99, node:http echo', value: percentile(echoLatencies, 99), unit: 'ms' },
      { name: `seeding ${USERS} users with a TOTP factor each (server start)`, value: seedSeconds * 1000, unit: 'ms' },
    ]
    return withEcho ? lines : lines.filter((l) => !/echo/.test(l.name))
  } finally {
    await client.stop()
    echo.server.closeAllConnections()
    await new Promise((resolve) => echo.server.close(resolve))
    await authn.close()
  }
}

// ---------------------------------------------------------------------------------------------
// TOTP verify alone, against a raw HMAC-SHA1 of 8 bytes.

/** Per-operation µs of one batch of `size` sequential calls. */
const timeAsync = async (size: number, op: () => Promise<unknown>): Promise<number> => {
  const t0 = performance.now()
  for (let i = 0; i < size; i++) await op()
  return ((performance.now() - t0) * 1000) / size
}

const totpVerify = async (): Promise<ReadonlyArray<BenchLine>> => {
  const plugin = createTotpFactor('GOOGLE')
  const secret = encodeSecret(randomBytes(20))
  const key = secretBytes(secret)
  if (key === null) throw new Error('bench setup: key')
  // Mid-step, so that the step does not change; `now` is an input of verify.
  const now = (timeStepOf(Math.floor(Date.now() / 1000), 30) * 30 + 15) * 1000
  const ctx = { random: cryptoRandom, hasher: createTrivialHasher(), now }
  const current = timeStepOf(now / 1000, TOTP_DEFAULTS.step)
  const codeAt = (step: number) => totpCode(key, step * TOTP_DEFAULTS.step, TOTP_DEFAULTS)
  const good = await codeAt(current)
  const window = new Set(await Promise.all([current - 1, current, current + 1].map(codeAt)))
  let wrong = 0
  while (window.has(String(wrong).padStart(6, '0'))) wrong++
  const bad = String(wrong).padStart(6, '0')
  const counter = Buffer.alloc(8)
  counter.writeBigUInt64BE(BigInt(current))

  const expectTag = (tag: string) => async (passCode: string) => {
    const r = await plugin.verify(secret, { passCode }, null, ctx)()
    if (r._tag !== 'Right' || r.right._tag !== tag) throw new Error(`verify: expected ${tag}, got ${JSON.stringify(r)}`)
  }
  const accepted = expectTag('Accepted')
  const rejected = expectTag('Rejected')
  const ops = {
    accepted: () => accepted(good),
    rejected: () => rejected(bad),
    otplib: () => codeAt(current),
    base32: () => {
      if (secretBytes(secret) === null) throw new Error('secretBytes')
      return Promise.resolve()
    },
    hmac: () => {
      // Awaited like the others, so the baseline pays the same microtask hop.
      const d = createHmac('sha1', key).update(counter).digest()
      if (d.length !== 20) throw new Error('hmac')
      return Promise.resolve(d)
    },
  }
  for (const op of Object.values(ops)) await timeAsync(2_000, op)
  const t = { accepted: [] as number[], rejected: [] as number[], otplib: [] as number[], base32: [] as number[], hmac: [] as number[] }
  for (let b = 0; b < TOTP_BATCHES; b++) for (const k of Object.keys(ops) as Array<keyof typeof ops>) t[k].push(await timeAsync(TOTP_BATCH, ops[k]))
  const m = { accepted: median(t.accepted), rejected: median(t.rejected), otplib: median(t.otplib), base32: median(t.base32), hmac: median(t.hmac) }
  const note = `median of ${TOTP_BATCHES} batches of ${TOTP_BATCH}, interleaved`
  return [
    { name: "TOTP verify, createTotpFactor('GOOGLE'), right code (1 step tried)", value: m.accepted, unit: 'µs/op', note },
    { name: 'TOTP verify, wrong code (3 steps tried)', value: m.rejected, unit: 'µs/op' },
    { name: 'totpCode alone (otplib generate, one step)', value: m.otplib, unit: 'µs/op' },
    { name: 'secretBytes alone (base32 canonical check + decode of the key)', value: m.base32, unit: 'µs/op' },
    { name: 'raw HMAC-SHA1 of 8 bytes, node:crypto', value: m.hmac, unit: 'µs/op' },
    { name: 'TOTP verify (right code) / raw HMAC-SHA1', value: m.accepted / m.hmac, unit: 'ratio' },
    { name: 'TOTP verify (wrong code) / raw HMAC-SHA1', value: m.rejected / m.hmac, unit: 'ratio', note: '3 HMACs is the floor: ratio 3' },
    { name: 'totpCode (otplib) / raw HMAC-SHA1', value: m.otplib / m.hmac, unit: 'ratio' },
  ]
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL round trips of one MFA verify.

const CALL = { baseUrl: 'https://authn.example.test', context: PUBLIC_CONTEXT }
const PG_USERS = 5

const postgresTrips = async (): Promise<ReadonlyArray<BenchLine>> => {
  const lines = await onBenchDatabase(4, async ({ schema, counted }) => {
    const stores = createPostgresStores(counted, { schema })
    const secrets = createSecretBox(ephemeralKeyring())
    const factorPlugins = [registered(createTotpFactor('GOOGLE'))]
    const hasher = createTrivialHasher()
    const users = Array.from({ length: PG_USERS }, (_, i) => ({ login: `mfa${i}@example.com`, secret: encodeSecret(randomBytes(20)) }))
    const seed = totpOrg(users, 10)
    const seeded = await seedOrg(seed, { users: stores.users, factors: stores.factors, hasher, registry: createFactorRegistry(factorPlugins, secrets), random: cryptoRandom }, systemClock.now())()
    if (seeded._tag === 'Left') throw new Error(`seed failed: ${JSON.stringify(seeded.left)}`)
    const authn = createAuthn({
      transactions: stores.transactions,
      users: stores.users,
      steps: stores.steps,
      factors: stores.factors,
      secrets,
      factorPlugins,
      policies: createStaticPolicySource(seeded.right.policies),
      hasher,
      clock: systemClock,
      random: cryptoRandom,
      audit: createMemoryAuditSink(),
    })
    const primaryTrips: number[] = []
    const verifyTrips: number[] = []
    for (const u of users) {
      counted.reset()
      const first = await authn.authenticate({ username: u.login, password: PASSWORD }, CALL)()
      primaryTrips.push(counted.count())
      const body = first._tag === 'Right' ? (first.right.body as { status?: string; stateToken?: string; _embedded?: { factors?: ReadonlyArray<{ id?: string }> } }) : null
      const factorId = body?._embedded?.factors?.[0]?.id
      if (body?.status !== 'MFA_REQUIRED' || factorId === undefined) throw new Error(`primary authentication: ${JSON.stringify(first)}`)
      const key = secretBytes(u.secret)
      if (key === null) throw new Error('bench setup: key')
      const passCode = await totpCode(key, Math.floor(Date.now() / 1000), TOTP_DEFAULTS)
      counted.reset()
      const done = await authn.verifyFactor({ stateToken: body.stateToken, factorId, passCode }, CALL)()
      verifyTrips.push(counted.count())
      if (done._tag === 'Left' || (done.right.body as { status?: string }).status !== 'SUCCESS') throw new Error(`verify: ${JSON.stringify(done)}`)
    }
    const spread = (xs: ReadonlyArray<number>) => `${PG_USERS} users: ${xs.join(', ')}`
    return [
      { name: 'postgres round trips per MFA verify (→ SUCCESS)', value: median(verifyTrips), unit: 'queries', note: `goal ≤ 2; ${spread(verifyTrips)}` },
      { name: 'postgres round trips per primary authentication (→ MFA_REQUIRED)', value: median(primaryTrips), unit: 'queries', note: spread(primaryTrips) },
    ]
  })
  return lines ?? [{ name: 'postgres round trips per MFA verify', value: 0, unit: 'skipped', note: 'DATABASE_URL is not set: these figures need a real server' }]
}

export async function run(): Promise<ReadonlyArray<BenchLine>> {
  // `BENCH_HTTP_MFA_ONLY=flows`: the flows alone, no echo rounds, no micro-benchmark (for a profile of the server).
  if (process.env['BENCH_HTTP_MFA_ONLY'] === 'flows') return httpFlows(false)
  return [...(await httpFlows(true)), ...(await totpVerify()), ...(await postgresTrips())]
}
