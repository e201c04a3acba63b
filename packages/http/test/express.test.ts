import express from 'express'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createExpressMiddleware } from '../src/index.js'
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
