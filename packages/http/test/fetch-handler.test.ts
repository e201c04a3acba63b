import { createServer, request as nodeRequest, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fc, test } from '@fast-check/vitest'
import { createManualClock, createSeededRandom } from '@authn-machine/testkit/fixtures'
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BODY_TOO_LARGE, bodyReadCap, createFetchHandler, createNodeListener, type AuthnHttpHandler, type HttpRequest } from '../src/index.js'
import { arbBody, arbContentType } from './arbitraries.js'
import { DADE, PASSWORD, setupHandler, spyOn } from './helpers.js'

/** What the test apps read from Hono's environment: the peer address a runtime adapter would give. */
type Bindings = { readonly remoteAddress?: string }

/**
 * A Hono app as an application would write it: the authn binding first, as a middleware that
 * answers its own paths and passes every other request on, then the application's own routes.
 */
const honoApp = (handler: AuthnHttpHandler, onError?: (error: unknown) => void) => {
  const authn = createFetchHandler(handler, onError)
  const app = new Hono<{ Bindings: Bindings }>()
  app.use('*', async (c, next) => {
    const answer = await authn(c.req.raw, { remoteAddress: c.env?.remoteAddress ?? null })
    if (answer !== null) return answer
    await next()
  })
  app.get('/health', (c) => c.json({ status: 'ok' }))
  app.post('/echo', async (c) => c.json({ got: await c.req.json<unknown>() }))
  app.get('/api/v1/users/:id', (c) => c.json({ app: c.req.param('id') }))
  return app
}

const jsonPost = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: typeof body === 'string' ? body : JSON.stringify(body),
})

const oktaError = async (r: Response) => (await r.json()) as { errorCode: string; errorSummary: string; errorCauses: Array<{ errorSummary: string }> }

describe('createFetchHandler under Hono', () => {
  it('signs in through app.request, with links from the URL host and redeemable session tokens', async () => {
    const { handler } = await setupHandler()
    const app = honoApp(handler)
    const r = await app.request('/api/v1/authn', jsonPost(DADE))
    expect(r.status).toBe(200)
    expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8')
    const signedIn = (await r.json()) as { status: string; sessionToken: string }
    expect(signedIn.status).toBe('SUCCESS')
    const expired = await app.request('/api/v1/authn', jsonPost({ username: 'kate.libby@example.com', password: PASSWORD }))
    expect(await expired.json()).toMatchObject({ status: 'PASSWORD_EXPIRED', _links: { cancel: { href: 'http://localhost/api/v1/authn/cancel' } } })
    const session = await app.request('/api/v1/sessions', jsonPost({ sessionToken: signedIn.sessionToken }))
    expect(await session.json()).toMatchObject({ status: 'ACTIVE' })
    expect((await app.request('/api/v1/sessions', jsonPost({ sessionToken: signedIn.sessionToken }))).status).toBe(401)
  })

  it('signs in through app.fetch(new Request(…)): an https URL gives https links, a Host header wins over the URL', async () => {
    const { handler } = await setupHandler()
    const app = honoApp(handler)
    const kate = { username: 'kate.libby@example.com', password: PASSWORD }
    const tls = await app.fetch(new Request('https://login.example.test/api/v1/authn', jsonPost(kate)))
    expect(await tls.json()).toMatchObject({ _links: { cancel: { href: 'https://login.example.test/api/v1/authn/cancel' } } })
    const hosted = await app.fetch(new Request('http://10.1.2.3:8080/api/v1/authn', jsonPost(kate, { host: 'login.example.test:8080' })))
    expect(await hosted.json()).toMatchObject({ _links: { cancel: { href: 'http://login.example.test:8080/api/v1/authn/cancel' } } })
    // No Host header and a URL host that is neither loopback nor allowed: refused, as on node:http.
    const foreign = await app.fetch(new Request('http://evil.example/api/v1/authn', jsonPost(DADE)))
    expect(foreign.status).toBe(400)
    expect((await oktaError(foreign)).errorCode).toBe('E0000001')
    const r = await app.fetch(new Request('http://localhost/api/v1/authn', jsonPost(DADE)))
    expect(((await r.json()) as { status: string }).status).toBe('SUCCESS')
  })

  it('passes the remote address on, and reads repeated X-Forwarded-For headers joined, behind a trusted gateway', async () => {
    const token = '00FetchApiToken-abcdefghijklmnopq'
    const env = await setupHandler()
    const { engine, calls } = spyOn(env.authn)
    const { handler } = await setupHandler({ engine, apiTokens: [token], trustedProxies: ['203.0.113.0/24'] })
    const app = honoApp(handler)
    await app.request('/api/v1/authn', jsonPost(DADE), { remoteAddress: '198.51.100.20' })
    await app.request('/api/v1/authn', jsonPost(DADE))
    const forwarded = new Headers({ 'content-type': 'application/json', authorization: `SSWS ${token}` })
    forwarded.append('x-forwarded-for', '192.0.2.1')
    forwarded.append('x-forwarded-for', '192.0.2.2, 203.0.113.5')
    await app.request('/api/v1/authn', { method: 'POST', headers: forwarded, body: JSON.stringify(DADE) }, { remoteAddress: '203.0.113.9' })
    expect(calls.map((c) => c.call.context.ip)).toEqual(['198.51.100.20', null, '192.0.2.2'])
    expect(calls[2]?.call.context.trusted).toBe(true)
  })

  it('a repeated Authorization header is joined by the Fetch API and refused as an invalid token', async () => {
    const token = '00FetchApiToken-abcdefghijklmnopq'
    const { handler } = await setupHandler({ apiTokens: [token] })
    const headers = new Headers({ 'content-type': 'application/json' })
    headers.append('authorization', `SSWS ${token}`)
    headers.append('authorization', `SSWS ${token}`)
    const r = await honoApp(handler).request('/api/v1/authn', { method: 'POST', headers, body: JSON.stringify(DADE) })
    expect(r.status).toBe(401)
    expect((await oktaError(r)).errorCode).toBe('E0000011')
  })

  it('answers null for other paths without reading the body: they fall through to Hono’s own routes', async () => {
    const { handler } = await setupHandler()
    const app = honoApp(handler)
    expect(await (await app.request('/health')).json()).toEqual({ status: 'ok' })
    expect(await (await app.request('/echo', jsonPost({ a: 1 }))).json()).toEqual({ got: { a: 1 } })
    expect(await (await app.request('/api/v1/users/00u1')).json()).toEqual({ app: '00u1' })
    expect((await app.request('/nowhere')).status).toBe(404)
    // Unknown paths under the handler's prefixes are its own: Okta's 404.
    const notFound = await app.request('/api/v1/authn/nope', jsonPost({}))
    expect(notFound.status).toBe(404)
    expect((await oktaError(notFound)).errorCode).toBe('E0000008')
    const lifecycle = await app.request('/api/v1/users/00u1/lifecycle/unlock', { method: 'POST' })
    expect((await oktaError(lifecycle)).errorCode).toBe('E0000011')

    const authn = createFetchHandler(handler)
    const other = new Request('http://localhost/echo', jsonPost({ a: 1 }))
    expect(await authn(other)).toBeNull()
    expect(other.bodyUsed).toBe(false)
    expect(authn.handles('/api/v1/authn/factors/ost1/verify?rememberDevice=true')).toBe(true)
    expect(authn.handles('https://login.example.test/api/v1/sessions')).toBe(true)
    expect(authn.handles('/api/v1/users/00u1')).toBe(false)
    expect(authn.handles('/health')).toBe(false)
  })

  it('cuts off a streamed body beyond the read cap without reading it all, and cancels the stream', async () => {
    const { handler } = await setupHandler({ bodyLimit: 1024 })
    const app = honoApp(handler)
    const chunk = new Uint8Array(16 * 1024).fill(0x20)
    let pulled = 0
    let cancelled = false
    // An endless body: only cancelling it ends the request.
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += chunk.byteLength
        controller.enqueue(chunk)
      },
      cancel() {
        cancelled = true
      },
    })
    const r = await app.fetch(new Request('http://localhost/api/v1/authn', { method: 'POST', headers: { 'content-type': 'application/json' }, body: endless, duplex: 'half' } as RequestInit))
    expect(r.status).toBe(413)
    expect(r.headers.get('connection')).toBe('close')
    expect(await oktaError(r)).toMatchObject({ errorCode: 'E0000003', errorCauses: [{ errorSummary: 'The request body must not be larger than 1024 bytes.' }] })
    expect(cancelled).toBe(true)
    expect(pulled).toBeLessThanOrEqual(bodyReadCap(1024) + 2 * chunk.byteLength)
  })

  it('does not read a body declared beyond the cap at all, and reads one within it to its end', async () => {
    const { handler } = await setupHandler({ bodyLimit: 1024 })
    const app = honoApp(handler)
    let pulled = 0
    const counted = (total: number) =>
      new ReadableStream<Uint8Array>({
        pull(controller) {
          if (pulled >= total) controller.close()
          else {
            pulled += 1024
            controller.enqueue(new Uint8Array(1024).fill(0x20))
          }
        },
      })
    const declared = await app.fetch(
      new Request('http://localhost/api/v1/authn', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': String(64 * 1024 * 1024) },
        body: counted(64 * 1024 * 1024),
        duplex: 'half',
      } as RequestInit),
    )
    expect(declared.status).toBe(413)
    // A stream fills its queue once when it is made; nothing after that.
    expect(pulled).toBeLessThanOrEqual(1024)
    pulled = 0
    const within = await app.fetch(new Request('http://localhost/api/v1/authn', { method: 'POST', headers: { 'content-type': 'application/json' }, body: counted(200 * 1024), duplex: 'half' } as RequestInit))
    expect(within.status).toBe(413)
    expect(pulled).toBe(200 * 1024)
  })

  it('a body read before the handler is a 500 E0000009 reported to onError; a failing stream is a 400 with Connection: close', async () => {
    const errors: unknown[] = []
    const { handler } = await setupHandler()
    const authn = createFetchHandler(handler, (e) => errors.push(e))
    const read = new Request('http://localhost/api/v1/authn', jsonPost(DADE))
    await read.text()
    const used = await authn(read)
    expect(used?.status).toBe(500)
    expect(((await used?.json()) as { errorCode: string }).errorCode).toBe('E0000009')
    expect(String(errors[0])).toMatch(/read before/)
    const broken = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(new Error('connection reset'))
      },
    })
    const failed = await authn(new Request('http://localhost/api/v1/authn', { method: 'POST', headers: { 'content-type': 'application/json' }, body: broken, duplex: 'half' } as RequestInit))
    expect(failed?.status).toBe(400)
    expect(failed?.headers.get('connection')).toBe('close')
    expect(String(errors[1])).toMatch(/connection reset/)
  })
})

/** A request as both paths are sent it. */
interface Sent {
  readonly method: string
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: string | Uint8Array | null
}

interface Answer {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly text: string
}

const viaNode = (base: string, sent: Sent): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const length = sent.body === null ? 0 : typeof sent.body === 'string' ? Buffer.byteLength(sent.body) : sent.body.byteLength
    const req = nodeRequest(`${base}${sent.path}`, { method: sent.method, headers: { ...sent.headers, ...(sent.body === null ? {} : { 'content-length': String(length) }) } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const headers: Record<string, string> = {}
        // A repeated header (set-cookie) comes as an array: joined as the Fetch side's Headers join it.
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k] = typeof v === 'string' ? v : v.join(', ')
        resolve({ status: res.statusCode ?? 0, headers, text: Buffer.concat(chunks).toString('utf8') })
      })
    })
    req.on('error', reject)
    req.end(sent.body ?? undefined)
  })

const viaHono = async (app: ReturnType<typeof honoApp>, sent: Sent): Promise<Answer> => {
  const body = sent.body === null ? null : typeof sent.body === 'string' ? sent.body : new Uint8Array(sent.body)
  const r = await app.request(sent.path, { method: sent.method, headers: sent.headers, body }, { remoteAddress: '127.0.0.1' })
  const headers: Record<string, string> = {}
  for (const [k, v] of r.headers) headers[k] = v
  return { status: r.status, headers, text: await r.text() }
}

/**
 * Two identical orgs (same seeds, same manual clocks), one behind the node:http listener on a real
 * socket and one behind Hono: the same requests in the same order must get byte-identical answers,
 * error ids included.
 */
describe('the Fetch binding answers as the node:http listener', () => {
  let server: Server
  let base = ''
  let app: ReturnType<typeof honoApp>
  const twin = () => setupHandler({ random: createSeededRandom(11), clock: createManualClock(), trustedOrigins: ['https://app.example.com'] })

  beforeAll(async () => {
    const [node, fetchSide] = [await twin(), await twin()]
    server = createServer(createNodeListener(node.handler))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    app = honoApp(fetchSide.handler)
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })

  const HOST = { host: 'login.example.test:8080' }

  const expectSame = async (sent: Sent) => {
    const [a, b] = [await viaNode(base, sent), await viaHono(app, sent)]
    expect({ status: b.status, text: b.text }).toEqual({ status: a.status, text: a.text })
    // Every header the Fetch side answers, the node side answers alike (it adds date, keep-alive and length).
    for (const [k, v] of Object.entries(b.headers)) expect([k, a.headers[k]]).toEqual([k, v])
    return b
  }

  it('on a sign-in, bad JSON, an oversized body, a wrong media type, a wrong method, a preflight and an unknown path', async () => {
    const type = { ...HOST, 'content-type': 'application/json' }
    expect((await expectSame({ method: 'POST', path: '/api/v1/authn', headers: type, body: JSON.stringify(DADE) })).status).toBe(200)
    expect((await expectSame({ method: 'POST', path: '/api/v1/authn', headers: type, body: '{"username":' })).status).toBe(400)
    expect((await expectSame({ method: 'POST', path: '/api/v1/authn', headers: type, body: 'x'.repeat(70_000) })).status).toBe(413)
    expect((await expectSame({ method: 'POST', path: '/api/v1/authn', headers: { ...HOST, 'content-type': 'text/plain' }, body: JSON.stringify(DADE) })).status).toBe(415)
    expect((await expectSame({ method: 'POST', path: '/api/v1/authn', headers: HOST, body: new Uint8Array([0x7b, 0x7d]) })).status).toBe(415)
    expect((await expectSame({ method: 'POST', path: '/api/v1/authn', headers: type, body: new Uint8Array([0xff, 0xfe, 0x7b, 0x7d]) })).status).toBe(400)
    expect((await expectSame({ method: 'POST', path: '/api/v1/authn', headers: type, body: null })).status).toBe(400)
    for (const method of ['GET', 'PUT', 'DELETE', 'PATCH']) {
      const r = await expectSame({ method, path: '/api/v1/authn', headers: HOST, body: null })
      expect([r.status, r.headers['allow']]).toEqual([405, 'POST'])
    }
    const preflight = await expectSame({
      method: 'OPTIONS',
      path: '/api/v1/authn',
      headers: { ...HOST, origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
      body: null,
    })
    expect([preflight.status, preflight.headers['access-control-allow-origin']]).toEqual([204, 'https://app.example.com'])
    expect((await expectSame({ method: 'POST', path: '/api/v1/authn/nope?x=1', headers: type, body: '{}' })).status).toBe(404)
  })

  /** Bodies as both can send them: the marker of an oversize body becomes one byte over the limit. */
  const wire = (body: HttpRequest['body']): string | Uint8Array | null => (body === BODY_TOO_LARGE ? 'x'.repeat(64 * 1024 + 1) : body)

  test.prop(
    [
      fc.oneof({ weight: 8, arbitrary: fc.constant('POST') }, fc.constantFrom('PUT', 'PATCH', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'M-SEARCH')),
      fc.oneof(
        { weight: 4, arbitrary: fc.constant('/api/v1/authn') },
        fc.constantFrom('/api/v1/authn/cancel', '/api/v1/authn/factors/ost1/verify?rememberDevice=true', '/api/v1/sessions', '/api/v1/authn/nope'),
      ),
      fc.oneof(
        { weight: 4, arbitrary: fc.constant('application/json') },
        // Header values both clients can send (visible ASCII and tabs).
        arbContentType.filter((t) => /^[\t\x20-\x7e]*$/.test(t)),
        fc.constant(undefined),
      ),
      arbBody([]),
    ],
    { numRuns: 300 },
  )('on hostile bodies, media types, methods and paths', async (method, path, contentType, body) => {
    // A GET or HEAD carries no body in the Fetch API.
    const bodyless = method === 'GET' || method === 'HEAD'
    const headers = contentType === undefined ? HOST : { ...HOST, 'content-type': contentType }
    const r = await expectSame({ method, path, headers, body: bodyless ? null : wire(body) })
    expect(r.status).toBeLessThan(500)
  })
})
