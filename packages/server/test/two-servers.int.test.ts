// More than one server on one database (hardening issue, item 6): two reference-server processes on
// one PostgreSQL schema, behind a small round-robin proxy in this file, so that each request of a
// flow is answered by the other process than the request before it. One process is killed (SIGKILL)
// in the middle of a flow and the flow finishes on the survivor; the per-username rate limit and the
// lockout hold across both. Every piece of a transaction's state must therefore live in PostgreSQL
// (the transaction, the sent code's MAC and its attempts, the lockout counter, the per-username
// bucket) and both processes must share one keyring (a TOTP secret sealed by one is unsealed by the
// other, a code's MAC made by one is checked by the other). What stays in each process by design:
// the dev outbox (read from the process that sent) and the per-client rate-limit buckets
// (docs/adr/0014-rate-limits.md).
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, request, type IncomingHttpHeaders, type OutgoingHttpHeaders, type Server } from 'node:http'
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { hashToken } from '@authn-machine/engine'
import { freshSchemas } from './fresh-storage.js'
import { ROBIN as RECOVERY_ROBIN, robinSeedUser } from './recovery-support.js'
import { createProcesses, type LaunchedServer } from './process.js'
import { codeAt, STEP_MS } from './mfa-support.js'
import { postJson } from './support.js'

const DATABASE_URL = process.env['DATABASE_URL'] ?? ''
/**
 * Two processes cannot share one embedded PGlite (its data folder belongs to the process that opened
 * it) nor one memory store, so without a PostgreSQL server there is nothing to test: the suite is
 * skipped when DATABASE_URL is not set. CI always sets it.
 */
const REAL_SERVER = DATABASE_URL !== ''

const API_TOKEN = 'two-servers-api-token-0123456789'
const TRUSTED = { authorization: `SSWS ${API_TOKEN}` } as const
/** One keyring for both processes: a factor secret or code MAC made by one is readable by the other. */
const SECRET_KEYS = `k1:${randomBytes(32).toString('base64')}`

const PAUL = { id: '00utwoserverspaul001', username: 'paul.cook@example.com', password: 'Lord-Nikon-1995', phone: '+14155550101' } as const
/** The recovery suites' Robin, with an id, phone and SMS factor of this file's. */
const ROBIN = { ...RECOVERY_ROBIN, id: '00utwoserversrobin01', phone: '+14155552671', factorId: 'mbltwoserversrobin01' } as const
const RAMON = { id: '00utwoserversramon01', username: 'ramon.sanchez@example.com', password: 'Phantom-Phreak-95' } as const
const DADE = { id: '00utwoserversdade001', username: 'dade.murphy@example.com', password: 'Zero-Cool-1988' } as const

const MAX_ATTEMPTS = 4
const PER_USERNAME_LIMIT = 6

/**
 * The org of every pair: MFA required (an SMS or TOTP factor, enrolled at sign-in when none), recovery by
 * SMS with the question, a shown lockout after {@link MAX_ATTEMPTS} failures, and `perUsername` as given.
 */
const seedWith = (perUsername: { readonly limit: number; readonly windowSeconds: number }) => ({
  users: [
    { id: PAUL.id, login: PAUL.username, firstName: 'Paul', lastName: 'Cook', password: PAUL.password, status: 'PASSWORD_EXPIRED' },
    robinSeedUser(ROBIN.id, [{ factorType: 'sms', provider: 'OKTA', phoneNumber: ROBIN.phone, id: ROBIN.factorId }]),
    { id: RAMON.id, login: RAMON.username, firstName: 'Ramon', lastName: 'Sanchez', password: RAMON.password },
    { id: DADE.id, login: DADE.username, firstName: 'Dade', lastName: 'Murphy', password: DADE.password },
  ],
  policies: {
    password: {
      complexity: { minLength: 8, minLowerCase: 1, minUpperCase: 1, minNumber: 1, minSymbol: 0, excludeUsername: true },
      age: { maxAgeDays: 0, expireWarnDays: 0, minAgeMinutes: 0, historyCount: 4 },
      lockout: { maxAttempts: MAX_ATTEMPTS, autoUnlockMinutes: 0, showLockoutFailures: true },
    },
    signOn: { requireFactor: true },
    enrollment: {
      factors: [
        { factorType: 'sms', provider: 'OKTA', enroll: 'OPTIONAL' },
        { factorType: 'token:software:totp', provider: 'GOOGLE', enroll: 'OPTIONAL' },
      ],
    },
    recovery: { channels: { email: true, sms: true, call: false }, selfServicePasswordReset: true, selfServiceUnlock: true, questionRequired: true },
    rateLimits: { perUsername: perUsername },
  },
})

// ------------------------------------------------------------------------------------------------
// The round-robin proxy.

/** Listens on a free loopback port; answers the port. */
const listen = async (server: Server | NetServer): Promise<number> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

/** Headers about one connection rather than the message (RFC 9110 §7.6.1): a proxy does not pass them on. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade'])

const forwardable = (headers: IncomingHttpHeaders): OutgoingHttpHeaders =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name.toLowerCase())))

/** What the proxy did with one request: the upstreams it tried, in order, and which one answered what. */
interface Hop {
  readonly method: string
  readonly path: string
  readonly tried: number[]
  servedBy: number | null
  status: number | null
}

interface Proxy {
  readonly url: string
  readonly hops: ReadonlyArray<Hop>
  readonly close: () => Promise<void>
}

/**
 * A round-robin HTTP proxy over `upstreams`: each request goes to the next upstream in turn, with
 * its method, path, headers (but hop-by-hop ones) and body, and the answer comes back as it is.
 *
 * A request is retried on the next upstream ONLY when its connection could not be made (refused,
 * before any byte of it was sent). Once a connection is up the upstream may have read the request,
 * applied it (a password change, a verified code, a counted failure, all committed in PostgreSQL)
 * and died before answering: sending the POST again to the other server would apply it twice (or
 * answer the replay's refusal instead of the first one's success). Such a request is answered 502
 * and the client decides, as it must for any request whose fate it does not know.
 */
const startRoundRobinProxy = async (upstreams: ReadonlyArray<string>): Promise<Proxy> => {
  const hops: Hop[] = []
  let turn = 0
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      const hop: Hop = { method: req.method ?? 'GET', path: req.url ?? '/', tried: [], servedBy: null, status: null }
      hops.push(hop)
      const first = turn
      turn = (turn + 1) % upstreams.length
      const headers = { ...forwardable(req.headers), 'content-length': String(body.length) }
      const attempt = (k: number): void => {
        const i = (first + k) % upstreams.length
        hop.tried.push(i)
        const target = new URL(upstreams[i] ?? '')
        let connected = false
        // A fresh connection per request (no agent): a refused connection is then the only way a
        // request can fail before any of it was sent, with nothing of a reused socket's ambiguity.
        const upstream = request({ hostname: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent: false })
        upstream.once('socket', (socket) => socket.once('connect', () => (connected = true)))
        upstream.once('response', (answer) => {
          hop.servedBy = i
          hop.status = answer.statusCode ?? null
          res.writeHead(answer.statusCode ?? 502, forwardable(answer.headers))
          answer.on('error', () => res.destroy())
          answer.pipe(res)
        })
        upstream.once('error', (e) => {
          if (!connected && k + 1 < upstreams.length) return attempt(k + 1)
          if (res.headersSent) return void res.destroy()
          res.writeHead(502, { 'content-type': 'application/json' })
          res.end(JSON.stringify({ errorCode: 'PROXY', errorSummary: `upstream ${i}: ${e.message}` }))
        })
        upstream.end(body)
      }
      attempt(0)
    })
  })
  const port = await listen(server)
  return {
    url: `http://127.0.0.1:${port}`,
    hops,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

// ------------------------------------------------------------------------------------------------
// Reading answers.

type Answer = Awaited<ReturnType<typeof postJson>> & { readonly hop: Hop }
type Json = Readonly<Record<string, unknown>>

/** The transaction status of an answer, else its HTTP status and error code. */
const outcomeOf = (r: Answer): string => (r.status === 200 ? String(r.body['status'] ?? 'OK') : `${r.status} ${String(r.body['errorCode'])}`)
const embeddedOf = (r: Answer): Json => (r.body['_embedded'] ?? {}) as Json
const stateTokenOf = (r: Answer): string => {
  const token = r.body['stateToken']
  if (typeof token !== 'string') throw new Error(`no state token in ${JSON.stringify(r.body)}`)
  return token
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

interface OutboxMessage {
  readonly channel: string
  readonly to: string
  readonly purpose: string
  readonly text: string
}

/** The dev outbox of one process (`GET /__dev/outbox`, with the API token), newest first. */
const outboxOf = async (base: string, to: string): Promise<ReadonlyArray<OutboxMessage>> => {
  const r = await fetch(`${base}/__dev/outbox?to=${encodeURIComponent(to)}`, { headers: TRUSTED })
  expect(r.status).toBe(200)
  return (await r.json()) as ReadonlyArray<OutboxMessage>
}

/** The code of the newest message to `to` for `purpose` in one process's outbox, waited for (delivery follows the save). */
const codeIn = async (base: string, to: string, purpose: OutboxMessage['purpose']): Promise<string> => {
  for (let waited = 0; waited < 5_000; waited += 25) {
    const m = (await outboxOf(base, to)).find((x) => x.purpose === purpose)
    const code = m === undefined ? undefined : /\b(\d{6})\b/.exec(m.text)?.[1]
    if (code !== undefined) return code
    await delay(25)
  }
  throw new Error(`no ${purpose} code to ${to} in the outbox of ${base}`)
}

/** A six-digit code that is surely not `code`. */
const otherThan = (code: string): string => (code === '000000' ? '111111' : '000000')

// ------------------------------------------------------------------------------------------------

// The proxy's retry rule, checked on its own (no database): the flows below rely on it.
describe('the round-robin proxy of this test', () => {
  it('sends a request to the next upstream only when its connection was refused; one whose connection was accepted is answered 502, never sent again', async () => {
    const seen: string[] = []
    const healthy = createServer((req, res) => {
      seen.push(`healthy ${req.method} ${req.url}`)
      req.resume()
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'))
    })
    // A server that dies mid-request: it reads the request (and could have applied it), then the connection drops.
    const dying = createNetServer((socket) =>
      socket.once('data', () => {
        seen.push('dying')
        socket.destroy()
      }),
    )
    const gone = createServer()
    const [healthyPort, dyingPort, gonePort] = [await listen(healthy), await listen(dying), await listen(gone)]
    await new Promise((resolve) => gone.close(resolve))
    const refusedFirst = await startRoundRobinProxy([`http://127.0.0.1:${gonePort}`, `http://127.0.0.1:${healthyPort}`])
    const droppedFirst = await startRoundRobinProxy([`http://127.0.0.1:${dyingPort}`, `http://127.0.0.1:${healthyPort}`])
    try {
      const retried = await postJson(`${refusedFirst.url}/api/v1/authn`, { username: 'a' })
      expect(retried.status).toBe(200)
      expect(refusedFirst.hops).toEqual([{ method: 'POST', path: '/api/v1/authn', tried: [0, 1], servedBy: 1, status: 200 }])
      expect(seen).toEqual(['healthy POST /api/v1/authn'])

      const dropped = await postJson(`${droppedFirst.url}/api/v1/authn`, { username: 'b' })
      expect(dropped.status).toBe(502)
      expect(droppedFirst.hops).toEqual([{ method: 'POST', path: '/api/v1/authn', tried: [0], servedBy: null, status: null }])
      expect(seen).toEqual(['healthy POST /api/v1/authn', 'dying'])
    } finally {
      await Promise.all([refusedFirst.close(), droppedFirst.close()])
      healthy.closeAllConnections()
      await Promise.all([new Promise((resolve) => healthy.close(resolve)), new Promise((resolve) => dying.close(resolve))])
    }
  })
})

describe.skipIf(!REAL_SERVER)('two server processes on one PostgreSQL schema behind a round-robin proxy', { timeout: 60_000 }, () => {
  const processes = createProcesses()
  const schemas = freshSchemas(DATABASE_URL, 'two_servers')
  let dir: string | null = null
  let pool: pg.Pool | null = null
  /** Pairs a test started for itself, stopped after it (a shared pair is stopped by its describe). */
  const ownPairs: Pair[] = []

  afterEach(async () => {
    await Promise.all(ownPairs.splice(0).map((p) => p.stop()))
  })
  afterAll(async () => {
    // Whatever is left, e.g. a pair whose start failed half-way.
    processes.killAll()
    try {
      await schemas.dropAll()
    } finally {
      await pool?.end()
      if (dir !== null) rmSync(dir, { recursive: true, force: true })
    }
  })

  interface Pair {
    readonly schema: string
    /** The two processes, by the proxy's index (0, 1), and their own URLs (for their outboxes). */
    readonly servers: readonly [LaunchedServer & { readonly url: string }, LaunchedServer & { readonly url: string }]
    readonly proxy: Proxy
    /** POSTs through the proxy; answers with the proxy's record of the request. */
    readonly post: (path: string, body: unknown, headers?: Record<string, string>) => Promise<Answer>
    /** Closes the proxy, then SIGTERM for each process still running (SIGKILL if it has not exited in 10 s). */
    readonly stop: () => Promise<void>
  }

  const db = (): pg.Pool => (pool ??= new pg.Pool({ connectionString: DATABASE_URL, max: 2 }))

  const stopProcess = async (s: LaunchedServer): Promise<void> => {
    if (s.child.exitCode !== null || s.child.signalCode !== null) return
    const timer = setTimeout(() => s.child.kill('SIGKILL'), 10_000)
    s.child.kill('SIGTERM')
    await s.exited
    clearTimeout(timer)
  }

  /**
   * Two server processes on a fresh schema, started at the same time as replicas would be: each
   * with `--migrate` (the migration takes an advisory lock, so one applies it and the other finds
   * it done) and the same seed file (the second to insert a seed user keeps the first one's), the
   * same keyring and API token, and its own dev outbox; then the proxy in front of them.
   */
  const startPair = async (seed: unknown): Promise<Pair> => {
    const schema = schemas.next()
    dir ??= mkdtempSync(join(tmpdir(), 'authn-two-servers-'))
    const seedFile = join(dir, `${schema}.json`)
    writeFileSync(seedFile, JSON.stringify(seed))
    const args = ['--port', '0', '--host', '127.0.0.1', '--seed', seedFile, '--store', 'postgres', '--migrate', '--schema', schema, '--dev-outbox']
    const env = { DATABASE_URL, AUTHN_SECRET_KEYS: SECRET_KEYS, AUTHN_API_TOKENS: API_TOKEN }
    const a = processes.launch(args, env)
    const b = processes.launch(args, env)
    let urls: ReadonlyArray<string>
    try {
      urls = await Promise.all([a.ready, b.ready])
    } catch (e) {
      a.child.kill('SIGKILL')
      b.child.kill('SIGKILL')
      throw e
    }
    const servers = [
      { ...a, url: urls[0] ?? '' },
      { ...b, url: urls[1] ?? '' },
    ] as const
    const proxy = await startRoundRobinProxy(urls)
    const post = async (path: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> => {
      // Requests are sent one at a time, so the proxy's next record is this request's.
      const index = proxy.hops.length
      const r = await postJson(`${proxy.url}${path}`, body, headers)
      const hop = proxy.hops[index]
      if (hop === undefined) throw new Error(`the proxy has no record of ${path}`)
      return { ...r, hop }
    }
    const stop = async () => {
      await proxy.close()
      await Promise.all([stopProcess(a), stopProcess(b)])
    }
    return { schema, servers, proxy, post, stop }
  }

  /** A pair for the running test alone, stopped after it. */
  const startOwnPair = async (seed: unknown): Promise<Pair> => {
    const pair = await startPair(seed)
    ownPairs.push(pair)
    return pair
  }

  const signIn = (pair: Pair, user: { readonly username: string }, password: string) => pair.post('/api/v1/authn', { username: user.username, password })

  /** Which process answered each of `answers`: the proxy's turn, no retry. */
  const servedBy = (answers: ReadonlyArray<Answer>) => answers.map((a) => a.hop.servedBy)
  /** The answers of one flow alternate between the two processes, none retried. */
  const expectAlternating = (answers: ReadonlyArray<Answer>) => {
    const by = servedBy(answers)
    expect(by.every((s, i) => s !== null && (i === 0 || s !== by[i - 1])), `served by ${by.join(',')}`).toBe(true)
    expect(answers.every((a) => a.hop.tried.length === 1)).toBe(true)
  }

  /** Neither process reported an error (an unexpected exception, a failing rate limiter, a lost connection). */
  const expectQuietServers = (pair: Pair) => {
    for (const s of pair.servers) expect(s.output().stderr).toBe('')
  }

  const userRow = async (schema: string, id: string) => {
    const { rows } = await db().query<{ status: string; failed_attempts: number; locked_at: string | null }>(
      `select status, failed_attempts, locked_at from ${schema}.users where id = $1`,
      [id],
    )
    return rows[0]
  }

  describe('flows on one pair shared by these tests (each test has its own user)', () => {
    let sharedPair: Pair | undefined
    const shared = (): Pair => {
      if (sharedPair === undefined) throw new Error('the shared pair did not start')
      return sharedPair
    }
    beforeAll(async () => {
      sharedPair = await startPair(seedWith({ limit: 100, windowSeconds: 60 }))
    })
    afterAll(() => sharedPair?.stop())

    it('password expired → change password → SMS enroll and activate, each step on the other process; the new password then works on both', async () => {
      const pair = shared()
      const NEW_PASSWORD = 'Fresh-Start-2026'

      const expired = await signIn(pair, PAUL, PAUL.password)
      expect(outcomeOf(expired)).toBe('PASSWORD_EXPIRED')
      const stateToken = stateTokenOf(expired)
      const changed = await pair.post('/api/v1/authn/credentials/change_password', { stateToken, oldPassword: PAUL.password, newPassword: NEW_PASSWORD })
      // The org requires a factor and Paul has none: he enrolls one next.
      expect(outcomeOf(changed)).toBe('MFA_ENROLL')
      expect(stateTokenOf(changed)).toBe(stateToken)
      const enrolled = await pair.post('/api/v1/authn/factors', { stateToken, factorType: 'sms', provider: 'OKTA', profile: { phoneNumber: PAUL.phone } })
      expect(outcomeOf(enrolled)).toBe('MFA_ENROLL_ACTIVATE')
      const factor = embeddedOf(enrolled)['factor'] as Json
      expect(factor).toMatchObject({ factorType: 'sms', provider: 'OKTA', id: expect.any(String) })

      // The activation code went out from the process that answered the enroll, and only from it.
      const sender = pair.servers[enrolled.hop.servedBy ?? -1]
      const other = pair.servers[1 - (enrolled.hop.servedBy ?? 0)]
      if (sender === undefined || other === undefined) throw new Error('no sender')
      const code = await codeIn(sender.url, PAUL.phone, 'mfa-activation')
      expect(await outboxOf(other.url, PAUL.phone)).toEqual([])

      const activatePath = `/api/v1/authn/factors/${String(factor['id'])}/lifecycle/activate`
      const wrong = await pair.post(activatePath, { stateToken, passCode: otherThan(code) })
      expect(outcomeOf(wrong)).toBe('403 E0000068')
      const activated = await pair.post(activatePath, { stateToken, passCode: code })
      expect(outcomeOf(activated)).toBe('SUCCESS')
      expect(embeddedOf(activated)['user']).toMatchObject({ id: PAUL.id })
      const sessionToken = activated.body['sessionToken']
      expect(typeof sessionToken).toBe('string')
      expectAlternating([expired, changed, enrolled, wrong, activated])

      // The session token is redeemed once, on whichever process gets it.
      const session = await pair.post('/api/v1/sessions', { sessionToken })
      expect(session.status).toBe(200)
      expect(session.body).toMatchObject({ userId: PAUL.id, status: 'ACTIVE' })
      expect(outcomeOf(await pair.post('/api/v1/sessions', { sessionToken }))).toBe('401 E0000004')

      // The change is in the database: the new password (now with the enrolled factor) on both
      // processes, the old one refused on both.
      const again = [await signIn(pair, PAUL, NEW_PASSWORD), await signIn(pair, PAUL, NEW_PASSWORD)]
      expect(again.map(outcomeOf)).toEqual(['MFA_REQUIRED', 'MFA_REQUIRED'])
      expect(new Set(servedBy(again))).toEqual(new Set([0, 1]))
      for (const r of again) expect((embeddedOf(r)['factors'] as ReadonlyArray<Json>).map((f) => [f['factorType'], f['id']])).toEqual([['sms', factor['id']]])
      const old = [await signIn(pair, PAUL, PAUL.password), await signIn(pair, PAUL, PAUL.password)]
      expect(old.map(outcomeOf)).toEqual(['401 E0000004', '401 E0000004'])
      expect(new Set(servedBy(old))).toEqual(new Set([0, 1]))
      expect(await userRow(pair.schema, PAUL.id)).toMatchObject({ status: 'ACTIVE', locked_at: null })
      expectQuietServers(pair)
    })

    it('TOTP enrolled on one process and activated on the other: the secret one process sealed, the other unseals (one keyring); then verified at sign-in', async () => {
      const pair = shared()
      const signedIn = await signIn(pair, DADE, DADE.password)
      expect(outcomeOf(signedIn)).toBe('MFA_ENROLL')
      const stateToken = stateTokenOf(signedIn)
      const enrolled = await pair.post('/api/v1/authn/factors', { stateToken, factorType: 'token:software:totp', provider: 'GOOGLE' })
      expect(outcomeOf(enrolled)).toBe('MFA_ENROLL_ACTIVATE')
      const factor = embeddedOf(enrolled)['factor'] as Json
      const secret = String(((factor['_embedded'] as Json)['activation'] as Json)['sharedSecret'])
      expect(secret).toMatch(/^[A-Z2-7]{16,}$/)
      // Sealed with the key of the keyring: the stored row does not hold the secret in clear.
      const { rows } = await db().query<{ secret: string | null }>(`select secret from ${pair.schema}.factors where id = $1`, [factor['id']])
      expect(rows).toHaveLength(1)
      expect(rows[0]?.secret).not.toContain(secret)

      const activated = await pair.post(`/api/v1/authn/factors/${String(factor['id'])}/lifecycle/activate`, { stateToken, passCode: await codeAt(secret, Date.now()) })
      expect(outcomeOf(activated)).toBe('SUCCESS')
      expectAlternating([signedIn, enrolled, activated])

      const again = await signIn(pair, DADE, DADE.password)
      expect(outcomeOf(again)).toBe('MFA_REQUIRED')
      // The next time step's code (the one just used is spent), inside the accepted window.
      const verified = await pair.post(`/api/v1/authn/factors/${String(factor['id'])}/verify`, { stateToken: stateTokenOf(again), passCode: await codeAt(secret, Date.now() + STEP_MS) })
      expect(outcomeOf(verified)).toBe('SUCCESS')
      expect(servedBy([again, verified])).toEqual([activated.hop.servedBy === 0 ? 1 : 0, activated.hop.servedBy])
      expectQuietServers(pair)
    })

    it('recovery by SMS: started on one process, the code verified on the other, the answer and the reset alternating; then only the new password signs in', async () => {
      const pair = shared()
      const NEW_PASSWORD = 'Brand-New-Passw0rd-2'

      const started = await pair.post('/api/v1/authn/recovery/password', { username: ROBIN.username, factorType: 'SMS' })
      expect(outcomeOf(started)).toBe('RECOVERY_CHALLENGE')
      expect(started.body).toMatchObject({ factorType: 'SMS', recoveryType: 'PASSWORD' })
      const stateToken = stateTokenOf(started)
      const sender = pair.servers[started.hop.servedBy ?? -1]
      if (sender === undefined) throw new Error('no sender')
      const code = await codeIn(sender.url, ROBIN.phone, 'recovery-code')

      const wrong = await pair.post('/api/v1/authn/recovery/factors/sms/verify', { stateToken, passCode: otherThan(code) })
      expect(outcomeOf(wrong)).toBe('403 E0000068')
      const verified = await pair.post('/api/v1/authn/recovery/factors/sms/verify', { stateToken, passCode: code })
      expect(outcomeOf(verified)).toBe('RECOVERY')
      expect(embeddedOf(verified)['user']).toMatchObject({ id: ROBIN.id, recovery_question: { question: ROBIN.question } })
      const answered = await pair.post('/api/v1/authn/recovery/answer', { stateToken, answer: ROBIN.answer })
      expect(outcomeOf(answered)).toBe('PASSWORD_RESET')
      const reset = await pair.post('/api/v1/authn/credentials/reset_password', { stateToken, newPassword: NEW_PASSWORD })
      expect(outcomeOf(reset)).toBe('SUCCESS')
      expectAlternating([started, wrong, verified, answered, reset])
      // The transaction is over on both processes.
      const after = [await pair.post('/api/v1/authn/introspect', { stateToken }), await pair.post('/api/v1/authn/introspect', { stateToken })]
      expect(after.map(outcomeOf)).toEqual(['401 E0000011', '401 E0000011'])

      const signedIn = await signIn(pair, ROBIN, NEW_PASSWORD)
      expect(outcomeOf(signedIn)).toBe('MFA_REQUIRED')
      const old = await signIn(pair, ROBIN, ROBIN.password)
      expect(outcomeOf(old)).toBe('401 E0000004')
      expect(new Set(servedBy([signedIn, old]))).toEqual(new Set([0, 1]))
      expectQuietServers(pair)
    })

    it(`lockout across both: ${MAX_ATTEMPTS} wrong passwords alternating between the processes lock exactly at the ${MAX_ATTEMPTS}th; the correct one is then refused on both until an unlock`, async () => {
      const pair = shared()
      // Before: the password works (and leaves no failure counted).
      expect(outcomeOf(await signIn(pair, RAMON, RAMON.password))).toBe('MFA_ENROLL')

      const wrong: Answer[] = []
      for (let i = 0; i < MAX_ATTEMPTS; i++) wrong.push(await signIn(pair, RAMON, `Wrong-Guess-${i}-1995`))
      expectAlternating(wrong)
      // showLockoutFailures: the failure that locks is answered LOCKED_OUT, the ones before it 401.
      expect(wrong.map(outcomeOf)).toEqual([...Array.from({ length: MAX_ATTEMPTS - 1 }, () => '401 E0000004'), 'LOCKED_OUT'])
      const locked = wrong[MAX_ATTEMPTS - 1]
      expect(locked?.body).not.toHaveProperty('stateToken')
      expect(locked?.body).not.toHaveProperty('sessionToken')
      // A lock is the user's `locked_at` (its status stays ACTIVE) and the counter at the maximum.
      const lockedRow = await userRow(pair.schema, RAMON.id)
      expect(lockedRow).toMatchObject({ status: 'ACTIVE', failed_attempts: MAX_ATTEMPTS })
      expect(lockedRow?.locked_at).not.toBeNull()

      const correct = [await signIn(pair, RAMON, RAMON.password), await signIn(pair, RAMON, RAMON.password)]
      expect(correct.map(outcomeOf)).toEqual(['LOCKED_OUT', 'LOCKED_OUT'])
      expect(new Set(servedBy(correct))).toEqual(new Set([0, 1]))
      for (const r of correct) expect(r.body).not.toHaveProperty('sessionToken')
      expect(await userRow(pair.schema, RAMON.id)).toEqual(lockedRow)

      // An unlock on one process lets the password in on both.
      const unlocked = await pair.post(`/api/v1/users/${RAMON.id}/lifecycle/unlock`, '', TRUSTED)
      expect(unlocked.status).toBe(200)
      const after = [await signIn(pair, RAMON, RAMON.password), await signIn(pair, RAMON, RAMON.password)]
      expect(after.map(outcomeOf)).toEqual(['MFA_ENROLL', 'MFA_ENROLL'])
      expect(new Set(servedBy(after))).toEqual(new Set([0, 1]))
      expect(await userRow(pair.schema, RAMON.id)).toMatchObject({ status: 'ACTIVE', failed_attempts: 0, locked_at: null })
      expectQuietServers(pair)
    })
  })

  it('SIGKILL of the process that sent the MFA code, mid-flow: the proxy moves to the survivor, which accepts the code exactly once', async () => {
    const pair = await startOwnPair(seedWith({ limit: 100, windowSeconds: 60 }))
    const [s0, s1] = pair.servers

    const signedIn = await signIn(pair, ROBIN, ROBIN.password)
    expect(outcomeOf(signedIn)).toBe('MFA_REQUIRED')
    const stateToken = stateTokenOf(signedIn)
    const verifyPath = `/api/v1/authn/factors/${ROBIN.factorId}/verify`
    const challenged = await pair.post(verifyPath, { stateToken })
    expect(outcomeOf(challenged)).toBe('MFA_CHALLENGE')
    // The challenge is seen by the other process: it is in the database.
    const seen = await pair.post('/api/v1/authn/introspect', { stateToken })
    expect(outcomeOf(seen)).toBe('MFA_CHALLENGE')
    expect(servedBy([signedIn, challenged, seen])).toEqual([0, 1, 0])
    // Process 1 sent the code; process 0 knows nothing of it but its MAC in the transaction.
    const code = await codeIn(s1.url, ROBIN.phone, 'mfa-challenge')
    expect(await outboxOf(s0.url, ROBIN.phone)).toEqual([])

    s1.child.kill('SIGKILL')
    expect(await s1.exited).toEqual({ code: null, signal: 'SIGKILL' })

    // Process 1's turn: its connection is refused, so the proxy sends the request to process 0.
    const verified = await pair.post(verifyPath, { stateToken, passCode: code })
    expect(verified.hop).toMatchObject({ tried: [1, 0], servedBy: 0 })
    expect(outcomeOf(verified)).toBe('SUCCESS')
    expect(embeddedOf(verified)['user']).toMatchObject({ id: ROBIN.id })
    const sessionToken = verified.body['sessionToken']
    expect(typeof sessionToken).toBe('string')

    // Exactly once: the same step again is refused, the transaction is over, its session token
    // redeems once.
    const replayed = await pair.post(verifyPath, { stateToken, passCode: code })
    expect(outcomeOf(replayed)).toBe('401 E0000011')
    const introspected = await pair.post('/api/v1/authn/introspect', { stateToken })
    expect(outcomeOf(introspected)).toBe('401 E0000011')
    const { rows } = await db().query<{ state: string }>(`select state from ${pair.schema}.transactions where state_token_hash = $1`, [hashToken(stateToken)])
    expect(rows.map((r) => r.state)).toEqual(['SUCCESS'])
    const session = await pair.post('/api/v1/sessions', { sessionToken })
    expect(session.status).toBe(200)
    expect(session.body).toMatchObject({ userId: ROBIN.id, status: 'ACTIVE' })
    expect(outcomeOf(await pair.post('/api/v1/sessions', { sessionToken }))).toBe('401 E0000004')

    // Everything after the kill was answered by the survivor, half of it after a refused connection.
    const afterKill = pair.proxy.hops.slice(3)
    expect(afterKill.map((h) => h.servedBy)).toEqual(afterKill.map(() => 0))
    expect(afterKill.filter((h) => h.tried.length === 2)).toHaveLength(Math.ceil(afterKill.length / 2))
    // A new flow runs on the survivor alone.
    expect(outcomeOf(await signIn(pair, ROBIN, ROBIN.password))).toBe('MFA_REQUIRED')
    expectQuietServers(pair)
  })

  it(`per-username rate limit across both: ${PER_USERNAME_LIMIT} sign-ins in 60 s, then 429 E0000047 from whichever process; another username is not limited`, async () => {
    const pair = await startOwnPair(seedWith({ limit: PER_USERNAME_LIMIT, windowSeconds: 60 }))
    const attempts: Answer[] = []
    for (let i = 0; i < PER_USERNAME_LIMIT + 4; i++) attempts.push(await signIn(pair, DADE, DADE.password))
    expectAlternating(attempts)
    expect(attempts.map(outcomeOf)).toEqual([
      ...Array.from({ length: PER_USERNAME_LIMIT }, () => 'MFA_ENROLL'),
      ...Array.from({ length: 4 }, () => '429 E0000047'),
    ])
    const refused = attempts.slice(PER_USERNAME_LIMIT)
    expect(new Set(servedBy(refused))).toEqual(new Set([0, 1]))
    for (const r of refused) {
      expect(r.headers.get('x-rate-limit-limit')).toBe(String(PER_USERNAME_LIMIT))
      expect(r.headers.get('x-rate-limit-remaining')).toBe('0')
      const retryAfter = Number(r.headers.get('retry-after'))
      expect(retryAfter).toBeGreaterThan(0)
      expect(retryAfter).toBeLessThanOrEqual(60)
      expect(r.body).not.toHaveProperty('stateToken')
    }
    // The bucket is per username: Ramon signs in on both processes meanwhile.
    const other = [await signIn(pair, RAMON, RAMON.password), await signIn(pair, RAMON, RAMON.password)]
    expect(other.map(outcomeOf)).toEqual(['MFA_ENROLL', 'MFA_ENROLL'])
    expect(new Set(servedBy(other))).toEqual(new Set([0, 1]))
    // One row per username bucket in the shared table, counting every attempt, whichever process took it.
    const { rows } = await db().query<{ key: string; points: number }>(`select key, points from ${pair.schema}.rate_limits where key like 'username/%' order by points`)
    expect(rows.map((r) => r.points)).toEqual([2, PER_USERNAME_LIMIT + 4])
    expect(rows.map((r) => r.key).join()).not.toMatch(/example\.com/)
    // Refused before any password was checked: no failure was counted against Dade.
    expect(await userRow(pair.schema, DADE.id)).toMatchObject({ status: 'ACTIVE', failed_attempts: 0, locked_at: null })
    expectQuietServers(pair)
  })
})
