import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createNodeListener } from '../src/index.js'
import { DADE, PASSWORD, setupHandler } from './helpers.js'

const servers: Server[] = []

const listen = async (options: Parameters<typeof setupHandler>[0] = {}) => {
  const { handler } = await setupHandler(options)
  const server = createServer(createNodeListener(handler))
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { base: `http://127.0.0.1:${port}`, port }
}

afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections()
    await new Promise((resolve) => s.close(resolve))
  }
})

const postJson = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', ...headers }, body: JSON.stringify(body) })

describe('createNodeListener over a real socket', () => {
  it('signs in and builds links from the Host header', async () => {
    const { base, port } = await listen()
    const r = await postJson(`${base}/api/v1/authn`, DADE)
    expect(r.status).toBe(200)
    expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8')
    const body = (await r.json()) as Record<string, unknown>
    expect(body['status']).toBe('SUCCESS')
    const expired = await postJson(`${base}/api/v1/authn`, { username: 'kate.libby@example.com', password: PASSWORD })
    const links = ((await expired.json()) as { _links: { cancel: { href: string } } })._links
    expect(links.cancel.href).toBe(`http://127.0.0.1:${port}/api/v1/authn/cancel`)
  })

  it('answers Okta errors for unknown paths, wrong methods and bad bodies', async () => {
    const { base } = await listen()
    expect((await fetch(`${base}/nope`)).status).toBe(404)
    const get = await fetch(`${base}/api/v1/authn`)
    expect(get.status).toBe(405)
    expect(get.headers.get('allow')).toBe('POST')
    const malformed = await fetch(`${base}/api/v1/authn`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' })
    expect(malformed.status).toBe(400)
    expect(((await malformed.json()) as { errorCode: string }).errorCode).toBe('E0000003')
  })

  it('refuses a body over the limit with 413, declared or streamed', async () => {
    const { base } = await listen({ bodyLimit: 1024 })
    const big = JSON.stringify({ ...DADE, relayState: 'x'.repeat(5000) })
    const declared = await fetch(`${base}/api/v1/authn`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big })
    expect(declared.status).toBe(413)
    expect(((await declared.json()) as { errorCode: string }).errorCode).toBe('E0000003')
    const huge = await fetch(`${base}/api/v1/authn`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(3_000_000) })
    expect(huge.status).toBe(413)
    const streamed = await new Promise<number>((resolve, reject) => {
      const req = request(`${base}/api/v1/authn`, { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
      req.on('error', reject)
      for (let i = 0; i < 10; i++) req.write('x'.repeat(500))
      req.end()
    })
    expect(streamed).toBe(413)
  })

  it('keeps connections alive between requests', async () => {
    const { base } = await listen()
    for (let i = 0; i < 3; i++) expect((await postJson(`${base}/api/v1/authn`, DADE)).status).toBe(200)
  })
})
