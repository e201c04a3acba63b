import express from 'express'
import { createServer, IncomingMessage, request as nodeRequest, ServerResponse, type Server } from 'node:http'
import { Socket, type AddressInfo } from 'node:net'
import { gzipSync } from 'node:zlib'
import { test } from '@fast-check/vitest'
import { createManualClock, createSeededRandom } from '@authn-machine/testkit/fixtures'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BODY_PARSER_ERROR_TYPES, createExpressErrorHandler, createExpressMiddleware, createNodeListener } from '../src/index.js'
import { arbBody } from './arbitraries.js'
import { DADE, setupHandler } from './helpers.js'

const servers: Server[] = []

afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections()
    await new Promise((resolve) => s.close(resolve))
  }
})

const start = async (app: express.Express) => {
  const server = app.listen(0, '127.0.0.1')
  servers.push(server)
  await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

const post = (url: string, body: string, type = 'application/json') =>
  fetch(url, { method: 'POST', headers: { 'content-type': type }, body })

describe('createExpressMiddleware over a real socket', () => {
  it('answers authn paths and passes everything else on', async () => {
    const { handler } = await setupHandler()
    const app = express()
    app.use(createExpressMiddleware(handler))
    app.get('/health', (_req, res) => {
      res.json({ status: 'ok' })
    })
    const base = await start(app)
    const r = await post(`${base}/api/v1/authn`, JSON.stringify(DADE))
    expect(r.status).toBe(200)
    expect(((await r.json()) as { status: string }).status).toBe('SUCCESS')
    expect(await (await fetch(`${base}/health`)).json()).toEqual({ status: 'ok' })
    const notFound = await post(`${base}/api/v1/authn/nope`, '{}')
    expect(((await notFound.json()) as { errorCode: string }).errorCode).toBe('E0000008')
    expect((await fetch(`${base}/api/v1/authn`)).status).toBe(405)
  })

  it('reads the stream itself: malformed JSON, 415 and 413 are Okta errors', async () => {
    const { handler } = await setupHandler({ bodyLimit: 1024 })
    const app = express()
    app.use(createExpressMiddleware(handler))
    const base = await start(app)
    const malformed = await post(`${base}/api/v1/authn`, '{')
    expect(malformed.status).toBe(400)
    expect(((await malformed.json()) as { errorCode: string }).errorCode).toBe('E0000003')
    expect((await post(`${base}/api/v1/authn`, 'a=b', 'application/x-www-form-urlencoded')).status).toBe(415)
    const big = await post(`${base}/api/v1/authn`, JSON.stringify({ ...DADE, relayState: 'x'.repeat(4000) }))
    expect(big.status).toBe(413)
  })

  it('answers the Users API lifecycle paths and passes other /api/v1/users paths on', async () => {
    const token = '00ExpressApiToken-abcdefghijklmnop'
    const { handler } = await setupHandler({ apiTokens: [token] })
    const app = express()
    app.use(express.json())
    app.use(createExpressMiddleware(handler))
    app.get('/api/v1/users/:id', (req, res) => {
      res.json({ app: req.params.id })
    })
    const base = await start(app)
    const signIn = await post(`${base}/api/v1/authn`, JSON.stringify(DADE))
    const userId = ((await signIn.json()) as { _embedded: { user: { id: string } } })._embedded.user.id
    const untrusted = await fetch(`${base}/api/v1/users/${userId}/lifecycle/expire_password`, { method: 'POST' })
    expect(untrusted.status).toBe(401)
    const r = await fetch(`${base}/api/v1/users/${userId}/lifecycle/expire_password`, { method: 'POST', headers: { authorization: `SSWS ${token}` } })
    expect(r.status).toBe(200)
    expect(await r.json()).toMatchObject({ id: userId, status: 'PASSWORD_EXPIRED' })
    const lock = await fetch(`${base}/api/v1/users/${userId}/lifecycle/lock`, { method: 'POST', headers: { authorization: `SSWS ${token}` } })
    expect(((await lock.json()) as { errorCode: string }).errorCode).toBe('E0000008')
    expect(await (await fetch(`${base}/api/v1/users/${userId}`)).json()).toEqual({ app: userId })
  })

  it('works behind express.raw() and behind express.json()', async () => {
    const { handler } = await setupHandler()
    const raw = express()
    raw.use(express.raw({ type: () => true }))
    raw.use(createExpressMiddleware(handler))
    const parsed = express()
    parsed.use(express.json())
    parsed.use(createExpressMiddleware(handler))
    for (const base of [await start(raw), await start(parsed)]) {
      const r = await post(`${base}/api/v1/authn`, JSON.stringify(DADE))
      expect(r.status).toBe(200)
    }
  })
})

/** An application that parses JSON for every route, the authn paths included, then mounts the binding. */
const behindJson = (handler: Awaited<ReturnType<typeof setupHandler>>['handler'], withErrorHandler = true) => {
  const app = express()
  app.use(express.json())
  app.use(createExpressMiddleware(handler))
  app.post('/echo', (req, res) => {
    res.json({ got: req.body as unknown })
  })
  if (withErrorHandler) app.use(createExpressErrorHandler(handler))
  return app
}

/** Okta's error object, and nothing of Express's HTML error page or a stack trace. */
const expectOktaJson = async (r: Response, status: number, errorCode: string) => {
  expect(r.status).toBe(status)
  expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8')
  const text = await r.text()
  expect(text).not.toMatch(/<html|<pre>|\n\s+at |node_modules|SyntaxError/i)
  const body = JSON.parse(text) as { errorCode: string; errorCauses: Array<{ errorSummary: string }> }
  expect(body.errorCode).toBe(errorCode)
  return body
}

describe('createExpressErrorHandler behind express.json()', () => {
  it('answers malformed JSON, an oversized body and a refused charset as Okta errors, and still signs in', async () => {
    const { handler } = await setupHandler()
    const base = await start(behindJson(handler))
    const ok = await post(`${base}/api/v1/authn`, JSON.stringify(DADE))
    expect(ok.status).toBe(200)
    expect(((await ok.json()) as { status: string }).status).toBe('SUCCESS')
    await expectOktaJson(await post(`${base}/api/v1/authn`, '{"username":'), 400, 'E0000003')
    await expectOktaJson(await post(`${base}/api/v1/authn`, '"just a string"'), 400, 'E0000003')
    // Over express.json()'s own 100 kB limit: the parser refuses it, the handler answers.
    const huge = await expectOktaJson(await post(`${base}/api/v1/authn`, JSON.stringify({ ...DADE, relayState: 'x'.repeat(200_000) })), 413, 'E0000003')
    expect(huge.errorCauses).toEqual([{ errorSummary: `The request body must not be larger than ${handler.bodyLimit} bytes.` }])
    // Within the parser's limit but over the handler's: the handler's 413 all the same.
    await expectOktaJson(await post(`${base}/api/v1/authn`, JSON.stringify({ ...DADE, relayState: 'x'.repeat(80_000) })), 413, 'E0000003')
    // express.json() refuses a charset other than UTF-8 before reading: the handler reads the body and refuses the media type.
    await expectOktaJson(await post(`${base}/api/v1/authn`, JSON.stringify(DADE), 'application/json; charset=latin1'), 415, 'E0000012')
    await expectOktaJson(await post(`${base}/api/v1/authn`, JSON.stringify(DADE), 'application/json; charset=utf-9'), 415, 'E0000012')
    // An empty body stays empty (express.json() would make it `{}`).
    const empty = await expectOktaJson(await post(`${base}/api/v1/authn`, ''), 400, 'E0000003')
    expect(empty.errorCauses).toEqual([{ errorSummary: 'The request body is empty.' }])
    // A content encoding the parser does not know: the handler gets the bytes as sent, as on node:http.
    const compressed = await fetch(`${base}/api/v1/authn`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'x-unknown' }, body: JSON.stringify(DADE) })
    expect(compressed.status).toBe(200)
    // A gzip body is inflated by the parser (the handler alone would not), and signs in.
    const gzipped = await fetch(`${base}/api/v1/authn`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gzipSync(JSON.stringify(DADE)) })
    expect(gzipped.status).toBe(200)
  })

  it('leaves errors on other paths to the application, and without it Express answers with its HTML page', async () => {
    const { handler } = await setupHandler()
    const base = await start(behindJson(handler))
    const echo = await post(`${base}/echo`, '{"a":')
    expect(echo.status).toBe(400)
    expect(echo.headers.get('content-type')).toMatch(/^text\/html/)
    expect(await (await post(`${base}/echo`, '{"a":1}')).json()).toEqual({ got: { a: 1 } })
    const bare = await start(behindJson(handler, false))
    const html = await post(`${bare}/api/v1/authn`, '{"username":')
    expect(html.status).toBe(400)
    expect(html.headers.get('content-type')).toMatch(/^text\/html/)
  })

  it('names the body-parser error types it answers', () => {
    expect(BODY_PARSER_ERROR_TYPES).toEqual(expect.arrayContaining(['entity.parse.failed', 'entity.too.large', 'encoding.unsupported', 'charset.unsupported']))
  })

  it('closes the answer to a client that went away mid-body, and passes any other error on', async () => {
    const { handler } = await setupHandler()
    const onParserError = createExpressErrorHandler(handler)
    const request = (url: string) => {
      const req = new IncomingMessage(new Socket())
      req.url = url
      req.method = 'POST'
      return req
    }
    const passed: unknown[] = []
    const next = (e?: unknown) => {
      passed.push(e)
    }
    const aborted = request('/api/v1/authn')
    const res = new ServerResponse(aborted)
    onParserError(Object.assign(new Error('request aborted'), { type: 'request.aborted' }), aborted, res, next)
    expect([res.statusCode, res.getHeader('connection'), res.writableEnded]).toEqual([400, 'close', true])
    const own = new Error('the application’s own')
    onParserError(own, request('/api/v1/authn'), new ServerResponse(request('/api/v1/authn')), next)
    const elsewhere = Object.assign(new Error('bad json'), { type: 'entity.parse.failed', body: '{' })
    onParserError(elsewhere, request('/echo'), new ServerResponse(request('/echo')), next)
    const verify = Object.assign(new Error('refused by verify'), { type: 'entity.verify.failed' })
    onParserError(verify, request('/api/v1/authn'), new ServerResponse(request('/api/v1/authn')), next)
    expect(passed).toEqual([own, elsewhere, verify])
  })
})

/**
 * Two identical orgs (same seeds and clocks), one behind the node:http listener and one behind
 * `express.json()` with the middleware and its error handler: the same JSON requests in the same
 * order get byte-identical answers. Bodies are text: a parser decodes invalid UTF-8 leniently, so
 * such a body is refused as malformed JSON rather than as invalid UTF-8 (400 E0000003 either way).
 */
describe('behind express.json(), the binding answers as the node:http listener', () => {
  let listener: Server
  let parsed: Server
  let nodeBase = ''
  let expressBase = ''
  const twin = () => setupHandler({ random: createSeededRandom(5), clock: createManualClock() })

  beforeAll(async () => {
    const [a, b] = [await twin(), await twin()]
    listener = createServer(createNodeListener(a.handler))
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve))
    nodeBase = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`
    // Not through `start`: its servers close after each test, these serve every run of the property.
    parsed = createServer(behindJson(b.handler))
    await new Promise<void>((resolve) => parsed.listen(0, '127.0.0.1', resolve))
    expressBase = `http://127.0.0.1:${(parsed.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    for (const s of [listener, parsed]) {
      s.closeAllConnections()
      await new Promise((resolve) => s.close(resolve))
    }
  })

  const send = (base: string, body: string) =>
    new Promise<{ status: number; type: string | undefined; text: string }>((resolve, reject) => {
      const headers = { host: 'login.example.test:8080', 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }
      const req = nodeRequest(`${base}/api/v1/authn`, { method: 'POST', headers }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], text: Buffer.concat(chunks).toString('utf8') }))
      })
      req.on('error', reject)
      req.end(body)
    })

  test.prop([arbBody([]).filter((b): b is string => typeof b === 'string')], { numRuns: 150 })('on hostile JSON bodies', async (body) => {
    const [a, b] = [await send(nodeBase, body), await send(expressBase, body)]
    expect(b).toEqual(a)
  })
})
