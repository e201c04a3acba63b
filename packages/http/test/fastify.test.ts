import Fastify from 'fastify'
import { describe, expect, it } from 'vitest'
import { authnFastifyPlugin } from '../src/index.js'
import { DADE, PASSWORD, setupHandler } from './helpers.js'


const app = async (options: Parameters<typeof setupHandler>[0] = {}) => {
  const { handler } = await setupHandler(options)
  const fastify = Fastify()
  // The host application's own routes keep Fastify's JSON parser.
  fastify.post('/echo', async (request) => ({ got: request.body }))
  fastify.get('/health', async () => ({ status: 'ok' }))
  await fastify.register(authnFastifyPlugin, { handler })
  await fastify.ready()
  return fastify
}

describe('authnFastifyPlugin (inject)', () => {
  it('signs in, with links from the Host header', async () => {
    const fastify = await app()
    const r = await fastify.inject({ method: 'POST', url: '/api/v1/authn', headers: { host: 'login.example.test' }, payload: DADE })
    expect(r.statusCode).toBe(200)
    expect(r.json()).toMatchObject({ status: 'SUCCESS' })
    const expired = await fastify.inject({
      method: 'POST',
      url: '/api/v1/authn',
      headers: { host: 'login.example.test' },
      payload: { username: 'kate.libby@example.com', password: PASSWORD },
    })
    expect(expired.json()).toMatchObject({ _links: { cancel: { href: 'http://login.example.test/api/v1/authn/cancel' } } })
  })

  it('keeps the raw body: malformed or too deep JSON and missing or non-JSON types are Okta errors, not Fastify’s', async () => {
    const fastify = await app()
    const malformed = await fastify.inject({ method: 'POST', url: '/api/v1/authn', headers: { 'content-type': 'application/json' }, payload: '{"a":' })
    expect(malformed.statusCode).toBe(400)
    expect(malformed.json()).toMatchObject({ errorCode: 'E0000003' })
    const form = await fastify.inject({
      method: 'POST',
      url: '/api/v1/authn',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'username=a&password=b',
    })
    expect(form.statusCode).toBe(415)
    expect(form.json()).toMatchObject({ errorCode: 'E0000012' })
    const noType = await fastify.inject({ method: 'POST', url: '/api/v1/authn', payload: Buffer.from(JSON.stringify(DADE)) })
    expect(noType.statusCode).toBe(415)
    expect(noType.json()).toMatchObject({ errorCode: 'E0000012' })
    const deep = await fastify.inject({ method: 'POST', url: '/api/v1/authn', headers: { 'content-type': 'application/json' }, payload: `{"a":${'['.repeat(2000)}${']'.repeat(2000)}}` })
    expect(deep.statusCode).toBe(400)
    expect(deep.json()).toMatchObject({ errorCode: 'E0000003' })
  })

  it('answers 413 in Okta’s format above the body limit', async () => {
    const fastify = await app({ bodyLimit: 100 })
    const r = await fastify.inject({ method: 'POST', url: '/api/v1/authn', headers: { 'content-type': 'application/json' }, payload: { ...DADE, relayState: 'x'.repeat(200) } })
    expect(r.statusCode).toBe(413)
    expect(r.json()).toMatchObject({ errorCode: 'E0000003' })
  })

  it('answers 404, 405 and CORS preflights for paths under its prefixes', async () => {
    const fastify = await app({ trustedOrigins: ['https://app.example.com'] })
    const notFound = await fastify.inject({ method: 'POST', url: '/api/v1/authn/nope', payload: {} })
    expect(notFound.statusCode).toBe(404)
    expect(notFound.json()).toMatchObject({ errorCode: 'E0000008' })
    const get = await fastify.inject({ method: 'GET', url: '/api/v1/authn' })
    expect(get.statusCode).toBe(405)
    expect(get.headers['allow']).toBe('POST')
    const pre = await fastify.inject({
      method: 'OPTIONS',
      url: '/api/v1/authn',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
    })
    expect(pre.statusCode).toBe(204)
    expect(pre.headers['access-control-allow-origin']).toBe('https://app.example.com')
  })

  it('redeems session tokens on /api/v1/sessions', async () => {
    const fastify = await app()
    const sessionToken = (await fastify.inject({ method: 'POST', url: '/api/v1/authn', payload: DADE })).json<{ sessionToken: string }>().sessionToken
    const first = await fastify.inject({ method: 'POST', url: '/api/v1/sessions', payload: { sessionToken } })
    expect(first.json()).toMatchObject({ status: 'ACTIVE' })
    expect((await fastify.inject({ method: 'POST', url: '/api/v1/sessions', payload: { sessionToken } })).statusCode).toBe(401)
  })

  it('serves the Users API lifecycle paths to trusted callers, with an empty body', async () => {
    const token = '00FastifyApiToken-abcdefghijklmnop'
    const fastify = await app({ apiTokens: [token] })
    const userId = (await fastify.inject({ method: 'POST', url: '/api/v1/authn', payload: DADE })).json<{ _embedded: { user: { id: string } } }>()._embedded.user.id
    const authorization = `SSWS ${token}`
    const untrusted = await fastify.inject({ method: 'POST', url: `/api/v1/users/${userId}/lifecycle/suspend` })
    expect(untrusted.statusCode).toBe(401)
    expect(untrusted.json()).toMatchObject({ errorCode: 'E0000011', errorSummary: 'Invalid token provided', errorCauses: [] })
    const suspended = await fastify.inject({ method: 'POST', url: `/api/v1/users/${userId}/lifecycle/suspend`, headers: { authorization } })
    expect(suspended.statusCode).toBe(200)
    expect(suspended.json()).toEqual({})
    expect((await fastify.inject({ method: 'POST', url: '/api/v1/authn', payload: DADE })).statusCode).toBe(401)
    const typed = await fastify.inject({
      method: 'POST',
      url: `/api/v1/users/${userId}/lifecycle/UNSUSPEND`,
      headers: { authorization, 'content-type': 'application/json' },
      payload: '',
    })
    expect(typed.statusCode).toBe(200)
    const lock = await fastify.inject({ method: 'POST', url: `/api/v1/users/${userId}/lifecycle/lock`, headers: { authorization } })
    expect(lock.statusCode).toBe(404)
    expect(lock.json()).toMatchObject({ errorCode: 'E0000008' })
    expect((await fastify.inject({ method: 'POST', url: '/api/v1/authn', payload: DADE })).json()).toMatchObject({ status: 'SUCCESS' })
  })

  it('leaves the host application’s other routes and parsers alone', async () => {
    const fastify = await app()
    const echo = await fastify.inject({ method: 'POST', url: '/echo', payload: { a: 1 } })
    expect(echo.json()).toEqual({ got: { a: 1 } })
    expect((await fastify.inject({ method: 'GET', url: '/health' })).json()).toEqual({ status: 'ok' })
  })
})
