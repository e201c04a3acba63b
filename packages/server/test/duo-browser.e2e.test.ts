// Duo (docs/adr/0030-delegated-factors.md) in a real browser: Debian's Chromium, driven by
// playwright-core, runs Duo's own frame script (Duo-Web-v2.js, served by the reference server at
// Okta's path) on a page as an application serves it. Duo's frame is played by a local HTTPS
// stand-in (a self-signed certificate made here with the openssl CLI; Chromium is told to accept
// it): it checks the TX half of the request with Duo's secret key, as Duo does, and answers a page
// that posts Duo's signed AUTH message to its parent. Duo's script then form-posts `sig_response`
// and the page's state token to the `complete` link (duoCallback); the test polls with fetch.
import { execFileSync } from 'node:child_process'
import { createHmac, timingSafeEqual } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type Request } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BROWSER_SUITES, CHROMIUM_ARGS, chromiumPath } from './browser.js'
import { MAE, mfaSeed, startMfaServer, type Json } from './mfa-support.js'
import { createServers, postJson } from './support.js'

/** Duo's keys as in the API-level Duo tests; the API host is the frame stand-in's, set once it listens. */
const DUO_KEYS = {
  integrationKey: 'DIXXXXXXXXXXXXXXXXXX',
  secretKey: 'deadbeefdeadbeefdeadbeefdeadbeefdeadbeef',
  applicationKey: 'this-server-application-key-of-forty-characters-or-more',
  usernameFormat: 'login' as const,
}
const CREDENTIALS = { username: MAE.username, password: MAE.password }
const POLICIES = { signOn: { requireFactor: true }, enrollment: { factors: [{ factorType: 'web', provider: 'DUO', enroll: 'REQUIRED' }] } }

/** Each browser step gets this long. */
const STEP_MS = 15_000
/** How long the negative case waits for a post that must not come. */
const QUIET_MS = 3_000

const hmacSha1Hex = (key: string, text: string): string => createHmac('sha1', key).update(text).digest('hex')
const sameText = (a: string, b: string): boolean => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b))
const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64')

/** Text for an inline script: JSON, with `<` escaped so that no value can close the script element. */
const scriptValue = (v: unknown): string => JSON.stringify(v).replace(/</g, '\\u003c')
/** Text for an HTML attribute value. */
const attr = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

const listen = async (server: HttpServer): Promise<number> => {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  return (server.address() as AddressInfo).port
}
const close = (server: HttpServer): Promise<void> =>
  new Promise<void>((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  })

/** A self-signed certificate for 127.0.0.1 (P-256), made with the openssl CLI in a temporary folder. */
const selfSignedCertificate = (): { readonly key: string; readonly cert: string } => {
  const dir = mkdtempSync(join(tmpdir(), 'duo-frame-'))
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'frame.key', '-out', 'frame.crt', '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
      { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
    )
    return { key: readFileSync(join(dir, 'frame.key'), 'utf8'), cert: readFileSync(join(dir, 'frame.crt'), 'utf8') }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** One request the frame stand-in received. */
interface FrameRequest {
  readonly method: string
  readonly path: string
  readonly tx: string | null
  readonly parent: string | null
  readonly v: string | null
}

/**
 * Duo's frame, played locally over HTTPS. `GET /frame/web/v1/auth?tx=…&parent=…` checks the TX half
 * (`TX|base64(user|ikey|exp)|hex(HMAC-SHA1(skey, 'TX|base64(…)'))`: the signature, the integration
 * key, the expiry against `now`) and, when it holds, answers a page that posts Duo's signed AUTH
 * message (valid 5 minutes) to the parent URL, as Duo's frame does once its user approved. A TX half
 * that does not hold gets a page that posts nothing, and its refusal is recorded.
 */
const startDuoFrame = async (now: () => number) => {
  const requests: FrameRequest[] = []
  const approved: Array<{ readonly tx: string; readonly parent: string; readonly message: string }> = []
  const refused: Array<{ readonly tx: string; readonly parent: string; readonly reason: string }> = []

  /** Why `tx` is not a TX half Duo signed for this integration, or the user it names. */
  const checkTx = (tx: string): { readonly user: string } | { readonly reason: string } => {
    const parts = tx.split('|')
    if (parts.length !== 3 || parts[0] !== 'TX') return { reason: 'not a TX half' }
    const [, payload = '', signature = ''] = parts
    if (!sameText(signature, hmacSha1Hex(DUO_KEYS.secretKey, `TX|${payload}`))) return { reason: 'bad signature' }
    const fields = Buffer.from(payload, 'base64').toString('utf8').split('|')
    if (fields.length !== 3) return { reason: 'bad payload' }
    const [user = '', ikey = '', exp = ''] = fields
    if (ikey !== DUO_KEYS.integrationKey) return { reason: 'another integration' }
    if (!/^\d+$/.test(exp) || Number(exp) <= Math.floor(now() / 1000)) return { reason: 'expired' }
    return { user }
  }

  const page = (script: string): string => `<!doctype html><html><head><meta charset="utf-8"><title>Duo Security</title></head><body><p>Duo stand-in</p>${script}</body></html>`

  const { key, cert } = selfSignedCertificate()
  const server = createHttpsServer({ key, cert }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1')
    const tx = url.searchParams.get('tx')
    const parent = url.searchParams.get('parent')
    requests.push({ method: req.method ?? '', path: url.pathname, tx, parent, v: url.searchParams.get('v') })
    if (req.method !== 'GET' || url.pathname !== '/frame/web/v1/auth') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found')
      return
    }
    const checked = tx === null || parent === null ? { reason: 'tx or parent missing' } : checkTx(tx)
    if ('reason' in checked || tx === null || parent === null) {
      refused.push({ tx: tx ?? '', parent: parent ?? '', reason: 'reason' in checked ? checked.reason : 'tx or parent missing' })
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page('<p>This request is not valid.</p>'))
      return
    }
    const payload = `AUTH|${b64(`${checked.user}|${DUO_KEYS.integrationKey}|${Math.floor(now() / 1000) + 300}`)}`
    const message = `${payload}|${hmacSha1Hex(DUO_KEYS.secretKey, payload)}`
    approved.push({ tx, parent, message })
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page(`<script>parent.postMessage(${scriptValue(message)}, ${scriptValue(parent)})</script>`))
  })
  const port = await listen(server)
  return { host: `127.0.0.1:${port}`, requests, approved, refused, close: () => close(server) }
}
type DuoFrame = Awaited<ReturnType<typeof startDuoFrame>>

/** Duo's request as the API shows it under `activation` or `verification`. */
interface DuoRequest {
  readonly host: string
  readonly signature: string
  readonly complete: string
  readonly script: string
}

/**
 * The application's pages over plain HTTP: each holds Duo's script (from the `script` link), the
 * iframe `#duo_iframe`, the form `#duo_form` with the state token, and `Duo.init` with Duo's request.
 */
const startPages = async () => {
  const pages = new Map<string, string>()
  const server = createHttpServer((req, res) => {
    const html = pages.get(new URL(req.url ?? '/', 'http://127.0.0.1').pathname)
    if (req.method !== 'GET' || html === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found')
      return
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(html)
  })
  const origin = `http://127.0.0.1:${await listen(server)}`
  return {
    /** Serves a page for `request` and `stateToken`; answers its URL. */
    add: (request: DuoRequest, stateToken: string): string => {
      const path = `/sign-in/duo/${pages.size + 1}`
      pages.set(
        path,
        `<!doctype html>
<html><head><meta charset="utf-8"><title>Verify with Duo</title>
<script src="${attr(request.script)}"></script>
</head><body>
<iframe id="duo_iframe" title="Two-factor authentication" width="620" height="330" frameborder="0"></iframe>
<form id="duo_form" method="POST"><input type="hidden" name="stateToken" value="${attr(stateToken)}"></form>
<script>Duo.init({ host: ${scriptValue(request.host)}, sig_request: ${scriptValue(request.signature)}, post_action: ${scriptValue(request.complete)} })</script>
</body></html>`,
      )
      return `${origin}${path}`
    },
    close: () => close(server),
  }
}
type Pages = Awaited<ReturnType<typeof startPages>>

const obj = (v: unknown, ...path: ReadonlyArray<string>): Json => {
  const o = path.reduce<unknown>((x, k) => (typeof x === 'object' && x !== null ? (x as Json)[k] : undefined), v)
  if (typeof o !== 'object' || o === null) throw new Error(`no object at ${path.join('.')} of ${JSON.stringify(v)}`)
  return o as Json
}

const servers = createServers()
let frame: DuoFrame
let pages: Pages
let browser: Browser
/** The reference server's clock (a manual one): the frame stand-in signs and checks times by it. */
let serverNow: () => number = () => Date.now()

beforeAll(async () => {
  frame = await startDuoFrame(() => serverNow())
  pages = await startPages()
  browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: [...CHROMIUM_ARGS, '--ignore-certificate-errors'], timeout: STEP_MS })
}, 30_000)

afterEach(() => servers.closeAll())

afterAll(async () => {
  await browser?.close()
  await pages?.close()
  await frame?.close()
})

const start = async () => {
  const { server, clock } = await startMfaServer(servers.start, mfaSeed({ policies: POLICIES }), { fast: true, options: { duo: { ...DUO_KEYS, apiHost: frame.host } } })
  serverNow = () => clock.now()
  const post = (path: string, body: Json) => postJson(`${server.url}${path}`, body)
  return { server, post }
}
type Started = Awaited<ReturnType<typeof start>>

const expectStatus = (a: { readonly status: number; readonly body: Json }, status: string, factorResult?: string): void => {
  expect(a.status, JSON.stringify(a.body)).toBe(200)
  expect(a.body['status'], JSON.stringify(a.body)).toBe(status)
  if (factorResult !== undefined) expect(a.body['factorResult'], JSON.stringify(a.body)).toBe(factorResult)
}

/** Duo's request under `factor._embedded[key]`, checked for Okta's shape and this server's links. */
const duoRequestOf = (s: Started, body: Json, key: 'activation' | 'verification'): { readonly factorId: string; readonly request: DuoRequest } => {
  const factor = obj(body, '_embedded', 'factor')
  const factorId = String(factor['id'])
  expect(factor).toMatchObject({ factorType: 'web', provider: 'DUO' })
  const request = obj(factor, '_embedded', key)
  expect(request).toEqual({
    host: frame.host,
    signature: expect.stringMatching(/^TX\|[A-Za-z0-9+/=]+\|[0-9a-f]{40}:APP\|[A-Za-z0-9+/=]+\|[0-9a-f]{40}$/),
    factorResult: 'WAITING',
    _links: {
      complete: { href: `${s.server.url}/api/v1/authn/factors/${factorId}/lifecycle/duoCallback`, hints: { allow: ['POST'] } },
      script: { href: `${s.server.url}/js/sections/duo/Duo-Web-v2.js`, type: 'text/javascript; charset=utf-8' },
    },
  })
  return {
    factorId,
    request: {
      host: String(request['host']),
      signature: String(request['signature']),
      complete: String(obj(request, '_links', 'complete')['href']),
      script: String(obj(request, '_links', 'script')['href']),
    },
  }
}

/** Signs Mae in and enrolls Duo: MFA_ENROLL → MFA_ENROLL_ACTIVATE WAITING with Duo's activation request. */
const enrollDuo = async (s: Started) => {
  const signIn = await s.post('/api/v1/authn', CREDENTIALS)
  expectStatus(signIn, 'MFA_ENROLL')
  const stateToken = String(signIn.body['stateToken'])
  const enroll = await s.post('/api/v1/authn/factors', { stateToken, factorType: 'web', provider: 'DUO' })
  expectStatus(enroll, 'MFA_ENROLL_ACTIVATE', 'WAITING')
  return { stateToken, ...duoRequestOf(s, enroll.body, 'activation') }
}

const isCallback = (url: string): boolean => new URL(url).pathname.endsWith('/lifecycle/duoCallback')

/** A page in a fresh context (no cookies, no storage), every step bounded, its script errors collected. */
const openWatched = async () => {
  const context = await browser.newContext()
  context.setDefaultTimeout(STEP_MS)
  const page = await context.newPage().catch(async (e: unknown) => {
    await context.close()
    throw e
  })
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  return { context, page, errors }
}

/**
 * Opens the application's page for `request` in a fresh context and waits for Duo's script to
 * form-post the frame's message to duoCallback; answers the callback's status and JSON, the posted
 * form fields, and the page's script errors.
 */
const completeInBrowser = async (request: DuoRequest, stateToken: string) => {
  const pageUrl = pages.add(request, stateToken)
  const { context, page, errors } = await openWatched()
  try {
    const answered = page.waitForResponse((r) => isCallback(r.url()) && r.request().method() === 'POST', { timeout: STEP_MS })
    await page.goto(pageUrl)
    const response = await answered
    const form = new URLSearchParams(response.request().postData() ?? '')
    const text = await response.text()
    // The form post is a top-level navigation: the page now shows the callback's JSON.
    await page.waitForURL(request.complete, { timeout: STEP_MS })
    return {
      pageUrl,
      status: response.status(),
      contentType: response.headers()['content-type'],
      body: JSON.parse(text) as Json,
      form: { keys: [...form.keys()].sort(), stateToken: form.get('stateToken'), sigResponse: form.get('sig_response') },
      errors,
    }
  } finally {
    await context.close()
  }
}

/**
 * The frame stand-in was loaded once by the page at `pageUrl` (its parent), with the TX half of
 * `request`'s signature, and approved it. (The TX half names the user and an expiry only: two
 * requests started at the same time on the servers' manual clocks have the same TX half.)
 */
const expectFrameApproved = (request: DuoRequest, pageUrl: string): string => {
  const tx = request.signature.split(':')[0] ?? ''
  expect(frame.requests.filter((r) => r.parent === pageUrl)).toEqual([{ method: 'GET', path: '/frame/web/v1/auth', tx, parent: pageUrl, v: '2.9' }])
  const approvals = frame.approved.filter((a) => a.parent === pageUrl)
  expect(approvals.map((a) => a.tx)).toEqual([tx])
  expect(frame.refused.filter((r) => r.parent === pageUrl)).toEqual([])
  return approvals[0]?.message ?? ''
}

/** The form Duo's script posted: the page's state token and the frame's message joined to the APP half. */
const expectPostedForm = (done: Awaited<ReturnType<typeof completeInBrowser>>, request: DuoRequest, stateToken: string, message: string): void => {
  expect(done.form).toEqual({ keys: ['sig_response', 'stateToken'], stateToken, sigResponse: `${message}:${request.signature.split(':')[1] ?? ''}` })
  expect(done.errors).toEqual([])
}

describe.runIf(BROWSER_SUITES)("Duo's frame script in Chromium against the reference server, with a local stand-in for Duo's frame", { timeout: 60_000 }, () => {
  it("enrollment: Duo's script loads the frame with the activation's TX half, form-posts the frame's AUTH message and the state token to duoCallback (200 MFA_ENROLL_ACTIVATE), and the activation poll answers SUCCESS", async () => {
    const s = await start()
    const { stateToken, factorId, request } = await enrollDuo(s)
    // Nothing confirmed yet: the poll waits.
    const waiting = await s.post(`/api/v1/authn/factors/${factorId}/lifecycle/activate/poll`, { stateToken })
    expectStatus(waiting, 'MFA_ENROLL_ACTIVATE', 'WAITING')

    const done = await completeInBrowser(request, stateToken)
    expect([done.status, done.contentType]).toEqual([200, expect.stringMatching(/^application\/json/)])
    expect([done.body['status'], done.body['factorResult'], done.body['stateToken']]).toEqual(['MFA_ENROLL_ACTIVATE', 'WAITING', stateToken])
    const message = expectFrameApproved(request, done.pageUrl)
    expect(message).toMatch(/^AUTH\|[A-Za-z0-9+/=]+\|[0-9a-f]{40}$/)
    expect(Buffer.from(message.split('|')[1] ?? '', 'base64').toString('utf8')).toMatch(new RegExp(`^${MAE.username.replace(/\./g, '\\.')}\\|${DUO_KEYS.integrationKey}\\|\\d+$`))
    expectPostedForm(done, request, stateToken, message)

    const activated = await s.post(`/api/v1/authn/factors/${factorId}/lifecycle/activate/poll`, { stateToken })
    expectStatus(activated, 'SUCCESS')
    expect(activated.body['sessionToken']).toEqual(expect.any(String))
  })

  it("verification: MFA_REQUIRED → verify → MFA_CHALLENGE WAITING; Duo's script form-posts the frame's answer to the verification's request to duoCallback (200 MFA_CHALLENGE), and the verify poll answers SUCCESS", async () => {
    const s = await start()
    const enrolled = await enrollDuo(s)
    const activation = await completeInBrowser(enrolled.request, enrolled.stateToken)
    expect([activation.status, activation.body['status']]).toEqual([200, 'MFA_ENROLL_ACTIVATE'])
    expectStatus(await s.post(`/api/v1/authn/factors/${enrolled.factorId}/lifecycle/activate/poll`, { stateToken: enrolled.stateToken }), 'SUCCESS')

    const signIn = await s.post('/api/v1/authn', CREDENTIALS)
    expectStatus(signIn, 'MFA_REQUIRED')
    const stateToken = String(signIn.body['stateToken'])
    const factors = (obj(signIn.body, '_embedded')['factors'] ?? []) as ReadonlyArray<Json>
    expect(factors.map((f) => [f['id'], f['factorType'], f['provider']])).toEqual([[enrolled.factorId, 'web', 'DUO']])
    const challenged = await s.post(`/api/v1/authn/factors/${enrolled.factorId}/verify`, { stateToken })
    expectStatus(challenged, 'MFA_CHALLENGE', 'WAITING')
    const { factorId, request } = duoRequestOf(s, challenged.body, 'verification')
    expect(factorId).toBe(enrolled.factorId)
    // A new verification: a new request, not the activation's.
    expect(request.signature).not.toBe(enrolled.request.signature)
    // The poll waits and shows the same request.
    const waiting = await s.post(`/api/v1/authn/factors/${factorId}/verify`, { stateToken })
    expectStatus(waiting, 'MFA_CHALLENGE', 'WAITING')
    expect(duoRequestOf(s, waiting.body, 'verification').request).toEqual(request)

    const done = await completeInBrowser(request, stateToken)
    expect([done.status, done.contentType]).toEqual([200, expect.stringMatching(/^application\/json/)])
    expect([done.body['status'], done.body['stateToken']]).toEqual(['MFA_CHALLENGE', stateToken])
    expectPostedForm(done, request, stateToken, expectFrameApproved(request, done.pageUrl))

    const verified = await s.post(`/api/v1/authn/factors/${factorId}/verify`, { stateToken })
    expectStatus(verified, 'SUCCESS')
    expect(verified.body['sessionToken']).toEqual(expect.any(String))
  })

  it('a request whose TX half was tampered with: the frame refuses it and posts nothing, no form post reaches duoCallback, and the activation poll still answers WAITING', async () => {
    const s = await start()
    const { stateToken, factorId, request } = await enrollDuo(s)
    // One hex digit of the TX half's HMAC changed.
    const [tx = '', app = ''] = request.signature.split(':')
    const last = tx.slice(-1)
    const tamperedTx = `${tx.slice(0, -1)}${last === '0' ? '1' : '0'}`
    const tampered: DuoRequest = { ...request, signature: `${tamperedTx}:${app}` }

    const pageUrl = pages.add(tampered, stateToken)
    const { context, page, errors } = await openWatched()
    try {
      const posted: Request[] = []
      page.on('request', (r) => {
        if (isCallback(r.url())) posted.push(r)
      })
      await page.goto(pageUrl)
      // The frame was asked, with the tampered TX half and this page as its parent, and refused.
      await expect.poll(() => frame.refused.filter((r) => r.parent === pageUrl), { timeout: STEP_MS }).toEqual([{ tx: tamperedTx, parent: pageUrl, reason: 'bad signature' }])
      expect(frame.requests.filter((r) => r.parent === pageUrl)).toEqual([{ method: 'GET', path: '/frame/web/v1/auth', tx: tamperedTx, parent: pageUrl, v: '2.9' }])
      expect(frame.approved.filter((a) => a.parent === pageUrl)).toEqual([])
      // No post within a bounded wait; the page stays where it was.
      const callback = await page.waitForRequest((r) => isCallback(r.url()), { timeout: QUIET_MS }).then(
        () => true,
        () => false,
      )
      expect(callback).toBe(false)
      expect(posted).toEqual([])
      expect(page.url()).toBe(pageUrl)
      expect(errors).toEqual([])
    } finally {
      await context.close()
    }

    const waiting = await s.post(`/api/v1/authn/factors/${factorId}/lifecycle/activate/poll`, { stateToken })
    expectStatus(waiting, 'MFA_ENROLL_ACTIVATE', 'WAITING')
  })
})
