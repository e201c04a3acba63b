/**
 * The cost of counting requests for the rate limits (docs/adr/0014-rate-limits.md), over real HTTP:
 * sign-ins to SUCCESS per second on the reference server (`startServer`, trivial hasher) with rate
 * limiting ON, as a ratio of the same server setup with it OFF, measured in the same run. Goal:
 * ON / OFF ≥ 0.9.
 *
 * ON sets every bucket to 1e9 requests an hour, so nothing is refused and what is measured is the
 * counting (one count per client address and endpoint and one per username for each sign-in;
 * sign-ins carry no state token) and the `X-Rate-Limit-*` headers, not refusals. OFF is
 * `rateLimits: { enabled: false }`. Both servers are seeded with the same many distinct users, in
 * this process; the load comes from another process (`http-signin-client.ts`, forked, keep-alive
 * agent, loopback, 16 in flight), which walks every server through the same sequence of users.
 *
 * Every request comes from 127.0.0.1, so ON counts all of them in ONE client-address bucket, as it
 * would for one busy client or a gateway that is not configured as trusted. A third contender, ON
 * "spread", sends the same load to the ON server with `X-Forwarded-For` from 1,000 addresses in turn
 * (both servers trust 127.0.0.1 as a proxy), as many clients behind a trusted gateway would be
 * counted: the cost of counting without one hot bucket.
 *
 * Rounds of the contenders alternate, in a rotating order, so that drift on a shared machine hits
 * all alike; the median round of each is reported, and each ratio is the median of the ratios of
 * rounds measured next to each other (short rounds, many of them: robust to the load of others).
 * Also the server process's CPU time per sign-in (`process.cpuUsage` around each round; the client
 * is another process): less noisy on a shared machine than requests per second, and, on PostgreSQL,
 * what the counting costs this process as opposed to the database. The ON server's counts are
 * checked (the least `X-Rate-Limit-Remaining` seen, and on PostgreSQL the `rate_limits` rows) so
 * that a limiter that silently counted nothing cannot pass for a fast one.
 *
 * Stores: memory (memory limiter) always; with DATABASE_URL also `store: { kind: 'postgres' }` on a
 * fresh migrated schema, dropped afterwards (usernames counted in the database, client addresses in the server's memory; ADR 0014), plus the
 * round trips of one count. `BENCH_RATE_LIMITS_STORE=memory|postgres` runs one store only;
 * `AUTHN_BENCH_ROUNDS` sets the rounds (default 15). `BENCH_RATE_LIMITS_UNLOGGED=1` is a what-if:
 * the bench schema's `rate_limits` is altered to UNLOGGED (no WAL, so no commit waits for a flush;
 * counts lost on a crash) before the servers start, and the figures are labelled so.
 *
 * Profiling the server under this load (the parent is the server; the forked client is not profiled):
 *   BENCH_RATE_LIMITS_STORE=memory node --cpu-prof --cpu-prof-dir=/tmp/authn-prof --import tsx \
 *     --conditions=@authn-machine/source bench/run.ts rate-limits
 *   npx tsx bench/cpu-profile-top.ts /tmp/authn-prof/<file>.cpuprofile
 */
import { createPostgresRateLimiter } from '@authn-machine/adapter-postgres'
import type { OrgSeed, RateLimitPolicy, RateRule, SeedRateLimitPolicy } from '@authn-machine/core'
import { startServer, type RunningServer, type StartOptions } from '@authn-machine/server'
import { createTrivialHasher } from '@authn-machine/testkit/fixtures'
import { forkClient } from './fork-client.js'
import type { SigninCommand, SigninReply } from './http-signin-client.js'
import { median, percentile } from './stats.js'
import { onBenchDatabase, type BenchDatabase } from './support.js'
import type { BenchLine } from './types.js'

type StoreConfig = NonNullable<StartOptions['store']>

const CONCURRENCY = 16
const ROUNDS = Number(process.env['AUTHN_BENCH_ROUNDS'] ?? 15)
const PASSWORD = 'Bench-Passw0rd'
/** Client addresses of the "spread" contender. */
const ADDRESSES = 1_000
/** Longest wait for one answer of the client (a round, or its start-up). */
const COMMAND_TIMEOUT_MS = 120_000
/** High enough that nothing is refused, and a window longer than the run, so that counts only grow. */
const NEVER_REFUSED: RateRule = { limit: 1_000_000_000, windowSeconds: 3_600 }
const ON: RateLimitPolicy = { enabled: true, perClientEndpoint: NEVER_REFUSED, perUsername: NEVER_REFUSED, perStateToken: NEVER_REFUSED }

interface Setup {
  readonly label: string
  readonly store: StoreConfig
  readonly users: number
  readonly perRound: number
  readonly warmUp: number
}

const seedOf = (logins: ReadonlyArray<string>, rateLimits: SeedRateLimitPolicy): OrgSeed => ({
  users: logins.map((login) => ({ login, firstName: 'Rae', lastName: 'Limit', password: PASSWORD })),
  policies: { password: { lockout: { maxAttempts: 0 } }, rateLimits },
})

type Round = Extract<SigninReply, { type: 'signins' }>
type Contender = 'on' | 'spread' | 'off'
const CONTENDERS: ReadonlyArray<Contender> = ['on', 'spread', 'off']

/** ON (one address, and spread) against OFF on one kind of store; `db` (PostgreSQL) for the checks of the counts in the database. */
const compare = async (setup: Setup, db: BenchDatabase | null): Promise<ReadonlyArray<BenchLine>> => {
  const logins = Array.from({ length: setup.users }, (_, i) => `rate${i}@example.com`)
  const errors: unknown[] = []
  const onError = (e: unknown) => {
    errors.push(e)
  }
  const servers: RunningServer[] = []
  const client = forkClient<SigninCommand, SigninReply>(new URL('./http-signin-client.ts', import.meta.url), COMMAND_TIMEOUT_MS)
  try {
    const common = { port: 0, store: setup.store, hasher: createTrivialHasher(), onError, trustedProxies: ['127.0.0.1'] }
    const on = await startServer({ ...common, seed: seedOf(logins, ON) })
    servers.push(on)
    // On PostgreSQL the second server finds the users stored by the first and keeps them.
    const off = await startServer({ ...common, seed: seedOf(logins, { enabled: false }) })
    servers.push(off)
    await client.ask(
      { type: 'init', targets: { on: `${on.url}/api/v1/authn`, off: `${off.url}/api/v1/authn` }, logins, password: PASSWORD, concurrency: CONCURRENCY },
      'ready',
    )
    const ask = (c: Contender, count: number) =>
      client.ask(c === 'spread' ? { type: 'signins', target: 'on', count, addresses: ADDRESSES } : { type: 'signins', target: c, count }, 'signins')
    const rounds: Record<Contender, Round[]> = { on: [], spread: [], off: [] }
    const warm: Record<Contender, Round[]> = { on: [], spread: [], off: [] }
    /** CPU time (user + system, µs) of this process, the servers', per request of each round. */
    const cpu: Record<Contender, number[]> = { on: [], spread: [], off: [] }
    for (const c of CONTENDERS) warm[c].push(await ask(c, setup.warmUp))
    for (let r = 0; r < ROUNDS; r++) {
      // A rotating order: each contender is measured first, second and third equally often.
      for (let k = 0; k < CONTENDERS.length; k++) {
        const c = CONTENDERS[(r + k) % CONTENDERS.length] ?? 'off'
        const before = process.cpuUsage()
        rounds[c].push(await ask(c, setup.perRound))
        const used = process.cpuUsage(before)
        cpu[c].push((used.user + used.system) / setup.perRound)
      }
    }

    // What the ON server counted: every request from 127.0.0.1 once in that address's bucket (its
    // headers), and on PostgreSQL every request once in a username's bucket (the rows).
    const all = (c: Contender) => [...warm[c], ...rounds[c]]
    const sum = (rs: ReadonlyArray<Round>, f: (m: Round) => number) => rs.reduce((n, m) => n + f(m), 0)
    const sentOne = sum(all('on'), (m) => m.requests)
    const sentSpread = sum(all('spread'), (m) => m.requests)
    const least = Math.min(...all('on').map((m) => m.minRemaining ?? Number.POSITIVE_INFINITY))
    const countedByHeaders = NEVER_REFUSED.limit - least
    const problems: string[] = []
    const unheaded = sentOne + sentSpread - sum([...all('on'), ...all('spread')], (m) => m.withRateHeaders)
    if (unheaded !== 0) problems.push(`${unheaded} ON answers without X-Rate-Limit headers`)
    const offHeaded = sum(all('off'), (m) => m.withRateHeaders)
    if (offHeaded !== 0) problems.push(`${offHeaded} OFF answers with X-Rate-Limit headers`)
    if (countedByHeaders !== sentOne) problems.push(`the 127.0.0.1 bucket at ${countedByHeaders}, ${sentOne} sent from there`)
    if (errors.length > 0) problems.push(`${errors.length} errors reported by the servers, first: ${String(errors[0])}`)
    let dbNote = ''
    if (db !== null) {
      const { rows } = await db.pool.query<{ bucket: string; keys: number; points: number }>(
        `select split_part(key, '/', 1) as bucket, count(*)::int as keys, coalesce(sum(points), 0)::int as points from "${db.schema}".rate_limits group by 1 order by 1`,
      )
      const of = (b: string) => rows.find((x) => x.bucket === b) ?? { keys: 0, points: 0 }
      const sent = sentOne + sentSpread
      // Per-client buckets are counted in each server's memory (ADR 0014): only usernames reach the table.
      const expect = { userKeys: Math.min(setup.users, sent) }
      if (of('client').points !== 0 || of('username').points !== sent || of('username').keys !== expect.userKeys)
        problems.push(`rate_limits rows ${JSON.stringify(rows)}; expected ${sent} points in username buckets over ${expect.userKeys} keys, none in client buckets`)
      dbNote = `; rate_limits: ${of('username').keys} username keys, ${of('username').points} points (client buckets in memory)`
    }

    const rps = (m: Round) => m.requests / m.seconds
    const medianRps = (c: Contender) => median(rounds[c].map(rps))
    /** Ratios of the rounds of `a` and OFF measured in the same rotation. */
    const pairs = (a: Contender) => rounds[a].map((m, i) => rps(m) / rps(rounds.off[i] ?? m))
    const ratioLine = (a: Contender, name: string): BenchLine => {
      const ps = pairs(a)
      const spread = [...ps].sort((x, y) => x - y).map((p) => p.toFixed(2))
      return {
        name,
        value: median(ps),
        unit: 'ratio',
        note: `goal ≥ 0.9; median of ${ps.length} rotations (${spread.join(' ')}); ratio of the medians ${(medianRps(a) / medianRps('off')).toFixed(3)}`,
      }
    }
    const latency = (c: Contender) => rounds[c].flatMap((m) => m.latencies)
    const label = setup.label
    const note = `${setup.perRound} requests × ${ROUNDS} rounds each, ${setup.users} users, concurrency ${CONCURRENCY}, keep-alive, loopback, client forked`
    return [
      { name: `rate limits ON, sign-in → SUCCESS (${label})`, value: medianRps('on'), unit: 'req/s', note },
      { name: `rate limits OFF, sign-in → SUCCESS (${label})`, value: medianRps('off'), unit: 'req/s' },
      ratioLine('on', `rate limits ON / OFF (${label})`),
      { name: `latency p50, ON (${label})`, value: median(latency('on')), unit: 'ms' },
      { name: `latency p99, ON (${label})`, value: percentile(latency('on'), 99), unit: 'ms' },
      { name: `latency p50, OFF (${label})`, value: median(latency('off')), unit: 'ms' },
      { name: `latency p99, OFF (${label})`, value: percentile(latency('off'), 99), unit: 'ms' },
      { name: `rate limits ON, ${ADDRESSES} client addresses via X-Forwarded-For (${label})`, value: medianRps('spread'), unit: 'req/s' },
      ratioLine('spread', `rate limits ON spread over ${ADDRESSES} addresses / OFF (${label})`),
      { name: `latency p50, ON spread (${label})`, value: median(latency('spread')), unit: 'ms' },
      { name: `latency p99, ON spread (${label})`, value: percentile(latency('spread'), 99), unit: 'ms' },
      { name: `server CPU per sign-in, ON (${label})`, value: median(cpu.on), unit: 'µs', note: 'this process (both servers), user + system, median round' },
      { name: `server CPU per sign-in, ON spread (${label})`, value: median(cpu.spread), unit: 'µs' },
      { name: `server CPU per sign-in, OFF (${label})`, value: median(cpu.off), unit: 'µs' },
      {
        name: `server CPU per sign-in, OFF / ON (${label})`,
        value: median(cpu.off) / median(cpu.on),
        unit: 'ratio',
        note: `the throughput ratio the server's own CPU allows${label.startsWith('postgres') ? '; the database’s CPU is not in it' : ''}`,
      },
      {
        name: `requests counted in the 127.0.0.1 bucket of the ON server (${label})`,
        value: countedByHeaders,
        unit: 'requests',
        note: problems.length === 0 ? `all ${sentOne} sent from there, none refused${dbNote}` : `WRONG: ${problems.join('; ')}`,
      },
    ]
  } finally {
    await client.stop()
    for (const s of servers) await s.close()
  }
}

/** Round trips of one count through the PostgreSQL limiter alone (a fresh key, the same key again, another fresh key). */
const postgresTrips = async (db: BenchDatabase): Promise<BenchLine> => {
  const limiter = createPostgresRateLimiter(db.counted, { schema: db.schema })
  const trips: number[] = []
  for (const key of ['trips-a', 'trips-a', 'trips-b']) {
    db.counted.reset()
    const r = await limiter.consume('trips', key, NEVER_REFUSED)()
    if (r._tag === 'Left') throw new Error(`postgres limiter: ${JSON.stringify(r.left)}`)
    trips.push(db.counted.count())
  }
  await db.pool.query(`delete from "${db.schema}".rate_limits where key like 'trips/%'`)
  return {
    name: 'postgres round trips per counted bucket (limiter alone)',
    value: median(trips),
    unit: 'queries',
    note: `new key, same key, new key: ${trips.join(', ')}; a sign-in counts its username in the database, its client address in memory`,
  }
}

export async function run(): Promise<ReadonlyArray<BenchLine>> {
  const only = process.env['BENCH_RATE_LIMITS_STORE'] ?? ''
  const lines: BenchLine[] = []
  if (only === '' || only === 'memory') lines.push(...(await compare({ label: 'memory', store: { kind: 'memory' }, users: 5_000, perRound: 1_000, warmUp: 500 }, null)))
  if (only === '' || only === 'postgres') {
    const databaseUrl = process.env['DATABASE_URL'] ?? ''
    const unlogged = process.env['BENCH_RATE_LIMITS_UNLOGGED'] === '1'
    const pg = await onBenchDatabase(2, async (db) => {
      if (unlogged) await db.pool.query(`alter table "${db.schema}".rate_limits set unlogged`)
      const label = unlogged ? 'postgres, what-if rate_limits UNLOGGED' : 'postgres'
      return [
        await postgresTrips(db),
        // The servers' own pools (10 connections each) on the schema just migrated (`migrate` again is a no-op).
        ...(await compare({ label, store: { kind: 'postgres', databaseUrl, schema: db.schema, migrate: true }, users: 2_000, perRound: 500, warmUp: 300 }, db)),
      ]
    })
    lines.push(...(pg ?? [{ name: 'rate limits ON / OFF (postgres)', value: 0, unit: 'skipped', note: 'DATABASE_URL is not set: these figures need a real server' }]))
  }
  return lines
}
