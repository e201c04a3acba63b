import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fc, test } from '@fast-check/vitest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AUTHN_ROUTES, bodyReadCap, createNodeListener, DEFAULT_MAX_JSON_DEPTH, jsonDepth, type HttpResponse } from '../src/index.js'
import { DADE, PASSWORD, json, post, setupHandler } from './helpers.js'


/** A concrete path for each route template (`{factorId}` → `f1`, `{a:b|c}` → `b`). */
const concretePath = (template: string) => template.replace(/\{\w+:([\w]+)[^}]*\}/g, '$1').replace(/\{\w+\}/g, 'x1')

const nested = (depth: number, open = '{"a":', close = '}') => `${open.repeat(depth)}1${close.repeat(depth)}`

const expectNotWellFormed = (r: HttpResponse, cause: RegExp) => {
  expect(r.status).toBe(400)
  const body = json(r)
  expect(body).toMatchObject({ errorCode: 'E0000003', errorSummary: 'The request body was not well-formed.' })
  expect(JSON.stringify(body['errorCauses'])).toMatch(cause)
}

describe('jsonDepth', () => {
  it('counts nesting of objects and arrays, not brackets inside strings', () => {
    expect(jsonDepth('1', 32)).toBe(0)
    expect(jsonDepth('{"a":[{}]}', 32)).toBe(3)
    expect(jsonDepth('{"a":"{{{[[[\\"{{{"}', 32)).toBe(1)
    expect(jsonDepth('[[],[[]]]', 32)).toBe(3)
  })

  it('stops just past the limit and never recurses', () => {
    expect(jsonDepth('['.repeat(1_000_000), 32)).toBe(33)
    expect(jsonDepth(nested(100_000), 200_000)).toBe(100_000)
  })

  test.prop([fc.jsonValue({ maxDepth: 6 })])('agrees with the depth of any JSON value', (v) => {
    const depthOf = (x: unknown): number =>
      Array.isArray(x) ? 1 + Math.max(0, ...x.map(depthOf)) : typeof x === 'object' && x !== null ? 1 + Math.max(0, ...Object.values(x).map(depthOf)) : 0
    expect(jsonDepth(JSON.stringify(v), 100)).toBe(depthOf(v))
  })
})

describe('deeply nested bodies', () => {
  it(`are 400 E0000003 naming the limit (${DEFAULT_MAX_JSON_DEPTH}) on every route, without reaching onError`, async () => {
    const errors: unknown[] = []
    const { handler } = await setupHandler({ onError: (e) => errors.push(e), apiTokens: ['00hostile-token-abcdefghijklmnop'] })
    const deep = `{"username":${nested(2_000)}}`
    expect(deep.length).toBeLessThan(handler.bodyLimit)
    for (const route of AUTHN_ROUTES) {
      const r = await handler(post(concretePath(route.path), deep, { authorization: 'SSWS 00hostile-token-abcdefghijklmnop' }))
      expectNotWellFormed(r, /more than 32 deep/)
    }
    expect(errors).toEqual([])
  })

  it('the limit is inclusive and configurable', async () => {
    const { handler } = await setupHandler({ maxJsonDepth: 4 })
    // depth 4: the body object plus three arrays: the engine answers, not the depth check
    const within = await handler(post('/api/v1/authn', `{"username":"dade.murphy@example.com","password":"${PASSWORD}","x":${nested(3, '[', ']')}}`))
    expect(JSON.stringify(json(within))).not.toMatch(/deep/)
    expectNotWellFormed(await handler(post('/api/v1/authn', `{"x":${nested(4, '[', ']')}}`)), /more than 4 deep/)
  })

  test.prop([fc.integer({ min: 0, max: 5_000 }), fc.constantFrom('{"a":', '[', '{"b":[')], { numRuns: 40 })(
    'any nesting depth never yields a 5xx',
    async (depth, open) => {
      const close = open === '[' ? ']' : open === '{"a":' ? '}' : ']}'
      const r = await handler(post('/api/v1/authn', `{"username":${nested(depth, open, close)},"password":"x"}`))
      expect(r.status).toBeLessThan(500)
      const total = 1 + depth * (open === '{"b":[' ? 2 : 1)
      if (total > DEFAULT_MAX_JSON_DEPTH) expect(json(r)).toMatchObject({ errorCode: 'E0000003', errorCauses: [{ errorSummary: expect.stringMatching(/32 deep/) as unknown }] })
    },
  )
})

describe('Content-Type', () => {
  const mediaType = fc.oneof(
    fc.string(),
    fc.constantFrom('application/json', 'APPLICATION/JSON', 'application/vnd.okta+json', 'text/plain', 'multipart/form-data', 'application/x-www-form-urlencoded'),
    fc
      .tuple(fc.constantFrom('application/json', 'application/x+json', 'text/json'), fc.array(fc.string({ maxLength: 12 }), { maxLength: 3 }))
      .map(([t, ps]) => [t, ...ps].join(';')),
  )

  test.prop([mediaType], { numRuns: 150 })('any header yields 415 or a normal answer, never a 5xx', async (type) => {
    const r = await handler(post('/api/v1/authn', DADE, { 'content-type': type }))
    expect(r.status).toBeLessThan(500)
    if (r.status === 415) expect(json(r)['errorCode']).toBe('E0000012')
    else expect(r.status).toBe(200)
  })
})

let handler: Awaited<ReturnType<typeof setupHandler>>['handler']
beforeAll(async () => {
  handler = (await setupHandler()).handler
})

describe('oversize bodies over a real socket', () => {
  let server: Server
  let base = ''
  beforeAll(async () => {
    const { handler: small } = await setupHandler({ bodyLimit: 1024 })
    server = createServer(createNodeListener(small))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })

  it('the read cap is 4× the limit or 1 MiB, whichever is larger', () => {
    expect(bodyReadCap(1024)).toBe(1024 * 1024)
    expect(bodyReadCap(1024 * 1024)).toBe(4 * 1024 * 1024)
  })

  it('fetch reads the 413 of a body within the cap, declared or chunked, instead of failing with EPIPE', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await fetch(`${base}/api/v1/authn`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(900_000) })
      expect(r.status).toBe(413)
      expect(await r.json()).toMatchObject({ errorCode: 'E0000003', errorCauses: [{ errorSummary: 'The request body must not be larger than 1024 bytes.' }] })
    }
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 100; i++) controller.enqueue(new Uint8Array(8192).fill(0x20))
        controller.close()
      },
    })
    const streamed = await fetch(`${base}/api/v1/authn`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: chunks, duplex: 'half' } as RequestInit)
    expect(streamed.status).toBe(413)
  })

  it('beyond the cap it answers 413 and closes without reading on', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${base}/api/v1/authn`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(64 * 1024 * 1024) } }, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
      req.on('error', reject)
      req.write('x'.repeat(1000))
    })
    expect(status).toBe(413)
  })
})
