import { createHmac } from 'node:crypto'
import * as E from 'fp-ts/lib/Either.js'
import { afterEach, describe, expect, it } from 'vitest'
import { createWebhookSender, verifyWebhookSignature } from '../src/index.js'
import { message } from './fixtures.js'
import { json, type Running, startHttpServer } from './servers.js'

const secret = 'whsec-test-7f3a'

const running: Running[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()))
})

/** A receiver that checks the signature independently of the library and answers `status`. */
const startReceiver = async (status = 204, silent = false) => {
  const server = await startHttpServer((req, res) => {
    if (silent) return 'silent'
    const expected = `sha256=${createHmac('sha256', secret).update(req.body).digest('hex')}`
    if (req.headers['x-authn-signature'] !== expected) return json(res, 401, { error: 'bad signature' })
    res.writeHead(status).end()
  })
  running.push(server)
  return server
}

describe('createWebhookSender', () => {
  it('POSTs the message as JSON with a valid HMAC-SHA256 signature and the message id', async () => {
    const receiver = await startReceiver()
    const sender = createWebhookSender({ url: `http://127.0.0.1:${receiver.port}/hooks/authn`, secret, timeoutMs: 2_000 })
    const m = message({ id: 'm-42', channel: 'email', to: 'ada@example.com', text: 'Code 551234', createdAt: Date.UTC(2026, 4, 6) })

    expect(await sender.send(m)()).toEqual(E.right(undefined))
    const req = receiver.requests[0]
    expect(req?.method).toBe('POST')
    expect(req?.url).toBe('/hooks/authn')
    expect(req?.headers['content-type']).toMatch(/^application\/json\b/)
    expect(req?.headers['x-authn-message-id']).toBe('m-42')
    expect(verifyWebhookSignature(req?.body ?? '', req?.headers['x-authn-signature'] as string, secret)).toBe(true)
    expect(JSON.parse(req?.body ?? '')).toEqual({
      id: 'm-42',
      channel: 'email',
      to: 'ada@example.com',
      subject: m.subject,
      text: 'Code 551234',
      purpose: m.purpose,
      createdAt: '2026-05-06T00:00:00.000Z',
    })
  })

  it('a signature made with another secret is rejected by the receiver: Refused', async () => {
    const receiver = await startReceiver()
    const sender = createWebhookSender({ url: `http://127.0.0.1:${receiver.port}/`, secret: 'another-secret', timeoutMs: 2_000 })
    const result = await sender.send(message())()
    expect(E.isLeft(result) && result.left._tag).toBe('Refused')
  })

  it('5xx is Unreachable', async () => {
    const receiver = await startReceiver(503)
    const sender = createWebhookSender({ url: `http://127.0.0.1:${receiver.port}/`, secret, timeoutMs: 2_000 })
    const result = await sender.send(message())()
    expect(E.isLeft(result) && result.left._tag).toBe('Unreachable')
  })

  it('a receiver that never answers is Unreachable within the timeout', async () => {
    const receiver = await startReceiver(204, true)
    const sender = createWebhookSender({ url: `http://127.0.0.1:${receiver.port}/`, secret, timeoutMs: 500 })
    const started = Date.now()
    const result = await sender.send(message())()
    expect(E.isLeft(result) && result.left._tag).toBe('Unreachable')
    expect(Date.now() - started).toBeLessThan(10_000)
  })

  it('verifyWebhookSignature rejects a missing, altered or foreign signature', () => {
    const body = '{"id":"x"}'
    const good = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`
    expect(verifyWebhookSignature(body, good, secret)).toBe(true)
    expect(verifyWebhookSignature(body, undefined, secret)).toBe(false)
    expect(verifyWebhookSignature(`${body} `, good, secret)).toBe(false)
    expect(verifyWebhookSignature(body, good, 'other')).toBe(false)
    expect(verifyWebhookSignature(body, good.slice(0, -1), secret)).toBe(false)
  })
})
