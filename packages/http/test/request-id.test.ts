import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { failure } from '@authn-machine/core'
import { createSeededRandom } from '@authn-machine/testkit/fixtures'
import {
  BODY_TOO_LARGE,
  createAuthnHandler,
  createNodeListener,
  createRequestIds,
  REQUEST_ID_HEADER,
  REQUEST_ID_LENGTH,
  type HttpRequest,
  type HttpResponse,
} from '../src/index.js'
import { DADE, json, post, setupEngine, setupHandler } from './helpers.js'

const ID = /^[0-9A-Za-z]{27}$/

const idOf = (r: HttpResponse): string => {
  const id = r.headers[REQUEST_ID_HEADER]
  expect(id).toMatch(ID)
  return id ?? ''
}

describe('X-Okta-Request-Id', () => {
  it('is on every answer of the handler: successes, errors, preflights, unknown paths, 413 and 500', async () => {
    const { handler } = await setupHandler({ trustedOrigins: ['https://app.example.com'] })
    const requests: ReadonlyArray<HttpRequest> = [
      post('/api/v1/authn', DADE),
      post('/api/v1/authn', { ...DADE, password: 'wrong' }),
      post('/api/v1/authn', '{"username":'),
      post('/api/v1/authn', JSON.stringify(DADE), { 'content-type': 'text/plain' }),
      { ...post('/api/v1/authn', DADE), body: BODY_TOO_LARGE },
      { ...post('/api/v1/authn', DADE), method: 'GET' },
      { ...post('/api/v1/authn', null), method: 'OPTIONS', headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' } },
      post('/api/v1/nothing-here', DADE),
      post('/api/v1/authn/factors/ost1/verify', { stateToken: 'unknown-token-000000000' }),
      post('/api/v1/users/00u1/lifecycle/unlock', {}),
      { ...post('/api/v1/authn/factors/ost1/qr/not-a-token', null), method: 'GET' },
    ]
    const answers = await Promise.all(requests.map((r) => handler(r)))
    expect(answers.map((a) => a.status)).toEqual([200, 401, 400, 415, 413, 405, 204, 404, 401, 401, 404])
    const ids = answers.map(idOf)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it('is on a 500 for an unexpected exception, and onError is told the same id', async () => {
    const { authn } = await setupEngine()
    const told: string[] = []
    const handler = createAuthnHandler({
      allowedHosts: ['login.example.test'],
      engine: {
        ...authn,
        authenticate: () => {
          throw new Error('boom')
        },
      },
      onError: (_e, request) => told.push(request.requestId),
    })
    const r = await handler(post('/api/v1/authn', DADE))
    expect(r.status).toBe(500)
    expect(told).toEqual([idOf(r)])
  })

  it('is not the error id: errorId stays Okta’s own oae… value', async () => {
    const { handler } = await setupHandler()
    const r = await handler(post('/api/v1/authn', { ...DADE, password: 'wrong' }))
    expect(json(r)['errorId']).toMatch(/^oae/)
    expect(json(r)['errorId']).not.toBe(idOf(r))
  })

  it('is on the errors glue asks for (handler.error)', async () => {
    const { handler } = await setupHandler()
    const r = handler.error({ headers: {} }, failure('E0000009'))
    idOf(r)
    expect(handler.error({ headers: {}, requestId: 'given-id.1' }, failure('E0000003')).headers[REQUEST_ID_HEADER]).toBe('given-id.1')
  })

  it('keeps an id the host gave the request; a malformed one is replaced', async () => {
    const { handler } = await setupHandler()
    const kept = await handler({ ...post('/api/v1/authn', DADE), requestId: 'host-made-id_0123' })
    expect(kept.headers[REQUEST_ID_HEADER]).toBe('host-made-id_0123')
    for (const bad of ['', 'has space', 'line\r\nbreak', 'x'.repeat(129)]) {
      const replaced = await handler({ ...post('/api/v1/authn', DADE), requestId: bad })
      expect(idOf(replaced)).not.toBe(bad)
    }
  })

  it('ids are 27 letters and digits, every character used, none repeated over many', () => {
    const next = createRequestIds(createSeededRandom(3))
    const ids = Array.from({ length: 2000 }, next)
    expect(REQUEST_ID_LENGTH).toBe(27)
    for (const id of ids) expect(id).toMatch(ID)
    expect(new Set(ids).size).toBe(ids.length)
    expect(new Set(ids.join('')).size).toBe(62)
  })

  it('a configured generator is used', async () => {
    let n = 0
    const { handler } = await setupHandler({ requestIds: () => `req-${++n}` })
    expect((await handler(post('/api/v1/authn', DADE))).headers[REQUEST_ID_HEADER]).toBe('req-1')
    expect((await handler(post('/nowhere', DADE))).headers[REQUEST_ID_HEADER]).toBe('req-2')
  })
})

describe('the node:http listener and request ids', () => {
  let server: Server | undefined
  afterEach(async () => {
    const s = server
    server = undefined
    if (s !== undefined) {
      s.closeAllConnections()
      await new Promise((resolve) => s.close(resolve))
    }
  })

  const listen = async (s: Server): Promise<string> => {
    server = s
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
    return `http://127.0.0.1:${(s.address() as AddressInfo).port}`
  }

  it('answers with the handler’s id, or with the one a wrapper already set', async () => {
    const { handler } = await setupHandler()
    const listener = createNodeListener(handler)
    const base = await listen(
      createServer((req, res) => {
        if (req.url?.startsWith('/wrapped') === true) {
          res.setHeader(REQUEST_ID_HEADER, 'wrapper-id-42')
          req.url = req.url.slice('/wrapped'.length)
        }
        listener(req, res)
      }),
    )
    const send = (path: string) =>
      fetch(`${base}${path}`, { method: 'POST', headers: { host: 'login.example.test:8080', 'content-type': 'application/json' }, body: JSON.stringify(DADE) })
    const plain = await send('/api/v1/authn')
    expect(plain.status).toBe(200)
    expect(plain.headers.get(REQUEST_ID_HEADER)).toMatch(ID)
    const unknown = await send('/api/v1/authn/nothing')
    expect(unknown.status).toBe(404)
    expect(unknown.headers.get(REQUEST_ID_HEADER)).toMatch(ID)
    const wrapped = await send('/wrapped/api/v1/authn')
    expect(wrapped.status).toBe(200)
    expect(wrapped.headers.get(REQUEST_ID_HEADER)).toBe('wrapper-id-42')
  })
})

describe('routeOf', () => {
  it('names the route template, never the raw path; null for a path not routed', async () => {
    const { handler } = await setupHandler()
    expect(handler.routeOf('/api/v1/authn')).toBe('/api/v1/authn')
    expect(handler.routeOf('/api/v1/authn/factors/ost1abc/verify?rememberDevice=true')).toBe('/api/v1/authn/factors/{factorId}/verify')
    expect(handler.routeOf('/api/v1/authn/factors/ost1/qr/SECRET-TOKEN')).toBe('/api/v1/authn/factors/{factorId}/qr/{token}')
    expect(handler.routeOf('/api/v1/users/00u1/factors/questions')).toBe('/api/v1/users/{userId}/factors/questions')
    expect(handler.routeOf('/api/v1/users/00u1/lifecycle/unlock')).toMatch(/^\/api\/v1\/users\/\{userId\}\/lifecycle\/\{/)
    expect(handler.routeOf('/api/v1/authn/unknown')).toBeNull()
    expect(handler.routeOf('/elsewhere')).toBeNull()
  })
})
