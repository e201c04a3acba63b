// Operating the reference server: a request id on every answer, JSON log lines without secrets,
// audit entries as log lines, Prometheus metrics on /metrics and the health checks
// (docs/adr/0021-operations.md). In-process servers on the memory store; the store-failure cases
// are in operations.int.test.ts.
import { connect } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { DEFAULT_RATE_LIMIT_POLICY, unavailable } from '@authn-machine/core'
import { createTrivialHasher } from '@authn-machine/testkit/fixtures'
import { createLogger, createStores, outcomeOf, type StartOptions } from '../src/index.js'
import { DEMO, createServers, postJson } from './support.js'

const servers = createServers()
afterEach(() => servers.closeAll())

const ID = /^[0-9A-Za-z]{27}$/
const API_TOKEN = 'operations-api-token-0123456789'
const METRICS_TOKEN = 'operations-metrics-token-0123456789'

/** A server whose JSON log lines are kept (level `debug`: every line). */
const withLog = async (options: Partial<StartOptions> = {}) => {
  const lines: string[] = []
  const logger = createLogger({ level: 'debug', destination: { write: (s: string) => void lines.push(s) } })
  const server = await servers.start({ hasher: createTrivialHasher(), logger, ...options })
  const parsed = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>)
  return { server, raw: () => lines.join(''), lines: parsed }
}

const requestLine = (lines: ReadonlyArray<Record<string, unknown>>, requestId: string | null) =>
  lines.find((l) => l['msg'] === 'request' && l['requestId'] === requestId)

/** The raw answer to a request the HTTP parser refuses (headers over Node's 16 KiB). */
const oversizedHeaders = (url: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const { hostname, port } = new URL(url)
    const socket = connect(Number(port), hostname, () => {
      socket.write(`GET /health HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)
    })
    let text = ''
    socket.setEncoding('utf8')
    socket.on('data', (d: string) => (text += d))
    socket.on('error', reject)
    socket.on('close', () => resolve(text))
  })

/** A POST over a raw socket, for header values fetch refuses to send; answers the status and headers. */
const rawPost = (url: string, path: string, body: unknown, userAgent: string): Promise<{ readonly status: number; readonly headers: { get: (n: string) => string | null } }> =>
  new Promise((resolve, reject) => {
    const { hostname, port } = new URL(url)
    const text = JSON.stringify(body)
    const socket = connect(Number(port), hostname, () => {
      socket.write(
        `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nUser-Agent: ${userAgent}\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
      )
    })
    let answer = ''
    socket.setEncoding('utf8')
    socket.on('data', (d: string) => (answer += d))
    socket.on('error', reject)
    socket.on('close', () => {
      const head = answer.split('\r\n\r\n')[0] ?? ''
      const [statusLine = '', ...fields] = head.split('\r\n')
      const headers = new Map(fields.map((f) => [f.slice(0, f.indexOf(':')).toLowerCase(), f.slice(f.indexOf(':') + 1).trim()]))
      resolve({ status: Number(statusLine.split(' ')[1]), headers: { get: (n: string) => headers.get(n) ?? null } })
    })
  })

describe('X-Okta-Request-Id on every answer of the server', () => {
  it('API successes and errors, unknown paths, wrong methods, health, metrics, recovery pages, the dev outbox, the parser’s refusals', async () => {
    const { server } = await withLog({ devOutbox: true })
    const answers = [
      await fetch(`${server.url}/api/v1/authn`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(DEMO.active) }),
      await fetch(`${server.url}/api/v1/authn`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":' }),
      await fetch(`${server.url}/api/v1/authn`, { method: 'GET' }),
      await fetch(`${server.url}/no/such/path`),
      await fetch(`${server.url}/health`),
      await fetch(`${server.url}/health/live`),
      await fetch(`${server.url}/health/ready`),
      await fetch(`${server.url}/metrics`),
      await fetch(`${server.url}/signin/unlock/some-recovery-token`),
      await fetch(`${server.url}/__dev/outbox`),
    ]
    expect(answers.map((a) => a.status)).toEqual([200, 400, 405, 404, 200, 200, 200, 200, 200, 200])
    const ids = answers.map((a) => a.headers.get('x-okta-request-id'))
    for (const id of ids) expect(id).toMatch(ID)
    expect(new Set(ids).size).toBe(ids.length)
    // The error id of an Okta error body is its own, as Okta's is.
    const bad = (await postJson(`${server.url}/api/v1/authn`, { ...DEMO.active, password: 'wrong' }))
    expect(bad.status).toBe(401)
    expect(bad.body['errorId']).not.toBe(bad.headers.get('x-okta-request-id'))
    expect(await oversizedHeaders(server.url)).toMatch(/^HTTP\/1\.1 431[^]*\r\nX-Okta-Request-Id: [0-9A-Za-z]{27}\r\n/)
  })
})

describe('structured logs', () => {
  it('one JSON line per request: route template, status, duration, request id, client; never tokens, passwords or logins', async () => {
    const { server, raw, lines } = await withLog()
    const expired = await postJson(`${server.url}/api/v1/authn`, DEMO.expired)
    expect(expired.body['status']).toBe('PASSWORD_EXPIRED')
    const stateToken = String(expired.body['stateToken'])
    const newPassword = 'Brand-New-Secret-2026!'
    const changed = await postJson(`${server.url}/api/v1/authn/credentials/change_password`, { stateToken, oldPassword: DEMO.expired.password, newPassword })
    expect(changed.body['status']).toBe('SUCCESS')
    const sessionToken = String(changed.body['sessionToken'])
    const session = await postJson(`${server.url}/api/v1/sessions`, { sessionToken })
    expect(session.status).toBe(200)
    const recoveryToken = 'recovery-token-in-a-path-0123'
    expect((await fetch(`${server.url}/signin/reset-password/${recoveryToken}`)).status).toBe(200)
    // A client-chosen header with quotes and a forged line still gives one JSON line per event; control
    // characters (an ANSI escape) do not even get past Node's parser.
    const userAgent = 'agent "quoted" \\n{"msg":"forged","level":60}'
    const wrong = await rawPost(server.url, '/api/v1/authn', { username: DEMO.active.username, password: 'Not-The-Password-1' }, userAgent)
    expect(wrong.status).toBe(401)
    const escaped = await rawPost(server.url, '/api/v1/authn', DEMO.active, 'agent\u001b[31m red')
    expect(escaped.status).toBe(400)

    const all = lines()
    for (const l of all) expect(l).toMatchObject({ level: expect.any(Number), time: expect.any(Number), msg: expect.any(String) })
    const first = requestLine(all, expired.headers.get('x-okta-request-id'))
    expect(first).toMatchObject({ method: 'POST', route: '/api/v1/authn', status: 200, client: '127.0.0.1', level: 30 })
    expect(first?.['durationMs']).toEqual(expect.any(Number))
    expect(requestLine(all, changed.headers.get('x-okta-request-id'))).toMatchObject({ route: '/api/v1/authn/credentials/change_password', status: 200 })
    expect(requestLine(all, wrong.headers.get('x-okta-request-id'))).toMatchObject({ route: '/api/v1/authn', status: 401, userAgent })
    expect(all.some((l) => l['msg'] === 'forged')).toBe(false)
    expect(all.find((l) => l['msg'] === 'request refused by the HTTP parser')).toMatchObject({ status: 400, requestId: escaped.headers.get('x-okta-request-id') })
    expect(all.find((l) => l['route'] === '/signin/reset-password/{recoveryToken}')).toMatchObject({ method: 'GET', status: 200 })

    const text = raw()
    for (const secret of [
      DEMO.expired.password,
      newPassword,
      'Not-The-Password-1',
      stateToken,
      sessionToken,
      String(session.body['id']),
      recoveryToken,
      DEMO.expired.username,
      DEMO.active.username,
    ])
      expect(text).not.toContain(secret)
  })

  it('audit entries as log lines, with the id of the request they happened in', async () => {
    const { server, lines } = await withLog()
    const r = await postJson(`${server.url}/api/v1/authn`, DEMO.active)
    const audits = lines().filter((l) => l['msg'] === 'audit')
    expect(audits.map((l) => (l['audit'] as Record<string, unknown>)['what'])).toContain('authenticate.SUCCESS')
    const success = audits.find((l) => (l['audit'] as Record<string, unknown>)['what'] === 'authenticate.SUCCESS')
    expect(success).toMatchObject({
      requestId: r.headers.get('x-okta-request-id'),
      audit: { userId: expect.stringMatching(/^00u/), transactionId: expect.any(String), at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) },
    })
  })

  it('start and stop lines; health and metrics requests at debug only', async () => {
    const { server, lines } = await withLog()
    await fetch(`${server.url}/health/ready`)
    await server.close()
    const msgs = lines().map((l) => l['msg'])
    expect(msgs[0]).toBe('server started')
    expect(msgs.slice(-2)).toEqual(['server stopping: finishing in-flight requests', 'server stopped'])
    expect(lines().find((l) => l['route'] === '/health/ready')).toMatchObject({ level: 20, status: 200 })
  })

  it('failed store calls: an error line with the stack and the request id, counted by port; a failing limiter is reported too', async () => {
    const stores = await createStores({ kind: 'memory' })
    const { server, lines } = await withLog({
      stores: {
        ...stores,
        // The limiter fails (its request goes on, ADR 0014); the step store throws, which adapters must not.
        rateLimiter: { ...stores.rateLimiter, consume: () => TE.left(unavailable(new Error('limiter down'))) },
        steps: { ...stores.steps, reserveAttempt: () => () => Promise.reject(new Error('steps exploded')) },
      },
    })
    const r = await postJson(`${server.url}/api/v1/authn`, DEMO.active)
    expect(r.status).toBe(500)
    const id = r.headers.get('x-okta-request-id')
    const all = lines()
    expect(all.find((l) => l['msg'] === 'store error' && (l['store'] as Record<string, unknown>)['port'] === 'steps')).toMatchObject({
      level: 50,
      requestId: id,
      store: { method: 'reserveAttempt', error: 'thrown' },
      err: { message: 'steps exploded', stack: expect.stringContaining('Error: steps exploded') },
    })
    expect(all.find((l) => l['msg'] === 'store error' && (l['store'] as Record<string, unknown>)['port'] === 'rateLimiter')).toMatchObject({
      requestId: id,
      store: { method: 'consume', error: 'Unavailable' },
      err: { type: 'Unavailable', cause: { message: 'limiter down', stack: expect.any(String) } },
    })
    expect(all.find((l) => l['msg'] === 'unexpected error')).toMatchObject({ level: 50, requestId: id, err: { type: 'Unavailable' } })
    expect(requestLine(all, id)).toMatchObject({ level: 50, status: 500 })
    const metrics = await (await fetch(`${server.url}/metrics`)).text()
    expect(metrics).toMatch(/^authn_store_errors_total\{port="steps",error="thrown"\} 1$/m)
    expect(metrics).toMatch(/^authn_store_errors_total\{port="rateLimiter",error="Unavailable"\} [1-9]$/m)
  })
})

describe('GET /metrics', () => {
  /** The value of one sample line, 0 when absent. */
  const sample = (text: string, series: string): number => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `))
    return line === undefined ? 0 : Number(line.slice(series.length + 1))
  }

  it('counts requests by route and status, latency by route, outcomes by state, lockouts and 429s', async () => {
    const server = await servers.start({
      hasher: createTrivialHasher(),
      rateLimits: { ...DEFAULT_RATE_LIMIT_POLICY, perUsername: { limit: 2, windowSeconds: 60 } },
    })
    const signIn = (body: unknown) => postJson(`${server.url}/api/v1/authn`, body)
    expect((await signIn(DEMO.active)).body['status']).toBe('SUCCESS')
    expect((await signIn(DEMO.expired)).body['status']).toBe('PASSWORD_EXPIRED')
    expect((await signIn(DEMO.locked)).body['status']).toBe('LOCKED_OUT')
    const nobody = { username: 'nobody@example.com', password: 'whatever-it-is-1' }
    expect([(await signIn(nobody)).status, (await signIn(nobody)).status, (await signIn(nobody)).status]).toEqual([401, 401, 429])
    await fetch(`${server.url}/no/such/path`)

    const r = await fetch(`${server.url}/metrics`)
    expect(r.status).toBe(200)
    expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    const text = await r.text()
    expect(sample(text, 'authn_http_requests_total{method="POST",route="/api/v1/authn",status="200"}')).toBe(3)
    expect(sample(text, 'authn_http_requests_total{method="POST",route="/api/v1/authn",status="401"}')).toBe(2)
    expect(sample(text, 'authn_http_requests_total{method="POST",route="/api/v1/authn",status="429"}')).toBe(1)
    expect(sample(text, 'authn_http_requests_total{method="GET",route="unmatched",status="404"}')).toBe(1)
    expect(sample(text, 'authn_http_request_duration_seconds_count{method="POST",route="/api/v1/authn"}')).toBe(6)
    expect(sample(text, 'authn_outcomes_total{operation="authenticate",outcome="SUCCESS"}')).toBe(1)
    expect(sample(text, 'authn_outcomes_total{operation="authenticate",outcome="PASSWORD_EXPIRED"}')).toBe(1)
    expect(sample(text, 'authn_outcomes_total{operation="authenticate",outcome="LOCKED_OUT"}')).toBe(1)
    expect(sample(text, 'authn_outcomes_total{operation="authenticate",outcome="E0000004"}')).toBe(2)
    expect(sample(text, 'authn_lockouts_total{operation="authenticate"}')).toBe(1)
    expect(sample(text, 'authn_rate_limited_total{route="/api/v1/authn"}')).toBe(1)
    expect(text).toMatch(/^# TYPE process_cpu_user_seconds_total counter$/m)
    // Labels are templates and codes: no login, password or token in the exposition.
    for (const s of [DEMO.active.username, DEMO.active.password, nobody.username]) expect(text).not.toContain(s)
  })

  it('with an API token or a metrics token configured, needs one of them', async () => {
    const server = await servers.start({ apiTokens: [API_TOKEN], metricsToken: METRICS_TOKEN })
    const get = (headers: Record<string, string> = {}) => fetch(`${server.url}/metrics`, { headers }).then((r) => r.status)
    expect(await get()).toBe(401)
    expect(await get({ authorization: 'Bearer not-the-token-0123456789' })).toBe(401)
    expect(await get({ authorization: `SSWS ${METRICS_TOKEN}` })).toBe(401)
    expect(await get({ authorization: `Bearer ${METRICS_TOKEN}` })).toBe(200)
    expect(await get({ authorization: `SSWS ${API_TOKEN}` })).toBe(200)
    const apiOnly = await servers.start({ apiTokens: [API_TOKEN] })
    expect((await fetch(`${apiOnly.url}/metrics`)).status).toBe(401)
    expect((await fetch(`${apiOnly.url}/metrics`, { headers: { authorization: `SSWS ${API_TOKEN}` } })).status).toBe(200)
  })

  it('off: /metrics is an unknown path', async () => {
    const server = await servers.start({ metrics: false })
    const r = await fetch(`${server.url}/metrics`)
    expect(r.status).toBe(404)
    expect(((await r.json()) as Record<string, unknown>)['errorCode']).toBe('E0000008')
  })

  it('outcomes are read from audit entries that record an answer only', () => {
    expect(outcomeOf('authenticate.MFA_REQUIRED')).toEqual({ operation: 'authenticate', outcome: 'MFA_REQUIRED' })
    expect(outcomeOf('verifyFactor.E0000069')).toEqual({ operation: 'verifyFactor', outcome: 'E0000069' })
    expect(outcomeOf('authenticate.E0000004.SUSPENDED')).toEqual({ operation: 'authenticate', outcome: 'E0000004' })
    expect(outcomeOf('changePassword.VersionConflict')).toEqual({ operation: 'changePassword', outcome: 'VersionConflict' })
    for (const what of ['effect.resetFailedAttempts', 'delivery.sent.sms', 'authenticate.unknownUser', 'forgotPassword.email.issued', 'lifecycle.unlock', 'x'])
      expect(outcomeOf(what)).toBeNull()
  })
})

describe('health checks', () => {
  it('/health/live and /health answer 200 while the process is up; /health/ready checks the store', async () => {
    const server = await servers.start({ hasher: createTrivialHasher() })
    for (const path of ['/health', '/health/live']) {
      const r = await fetch(`${server.url}${path}`)
      expect([r.status, await r.json()]).toEqual([200, { status: 'ok' }])
    }
    const ready = await fetch(`${server.url}/health/ready`)
    expect([ready.status, await ready.json()]).toEqual([200, { status: 'ok', checks: [{ name: 'store', status: 'up' }] }])
    const head = await fetch(`${server.url}/health/ready`, { method: 'HEAD' })
    expect([head.status, await head.text()]).toEqual([200, ''])
    // Other methods are the API's: an unknown path.
    expect((await fetch(`${server.url}/health/ready`, { method: 'POST' })).status).toBe(404)
  })

  it('/health/ready is 503 naming the store when its query fails or does not answer in time', async () => {
    const stores = await createStores({ kind: 'memory' })
    let mode: 'up' | 'failing' | 'hanging' = 'up'
    const server = await servers.start({
      hasher: createTrivialHasher(),
      readyTimeoutMs: 200,
      stores: {
        ...stores,
        ping: () => (mode === 'up' ? Promise.resolve() : mode === 'failing' ? Promise.reject(new Error('connection refused')) : new Promise<void>(() => undefined)),
      },
    })
    expect((await fetch(`${server.url}/health/ready`)).status).toBe(200)
    for (const m of ['failing', 'hanging'] as const) {
      mode = m
      const r = await fetch(`${server.url}/health/ready`)
      const body = await r.json()
      expect([r.status, body]).toEqual([503, { status: 'unavailable', checks: [{ name: 'store', status: 'down' }] }])
      // The reason stays in the log: it can name hosts.
      expect(JSON.stringify(body)).not.toContain('refused')
      expect((await fetch(`${server.url}/health/live`)).status).toBe(200)
    }
  })
})
