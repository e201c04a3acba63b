import * as E from 'fp-ts/lib/Either.js'
import { afterEach, describe, expect, it } from 'vitest'
import { createTwilioSender } from '../src/index.js'
import { message } from './fixtures.js'
import { json, type RecordedRequest, type Running, startHttpServer } from './servers.js'

const accountSid = 'AC0123456789abcdef0123456789abcdef'
const authToken = 'tok-secret-42'
const from = '+15555550000'
const basicAuth = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`

const running: Running[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()))
})

/** A fake Twilio: checks what Twilio documents (method, auth, content type) and answers 201. */
const startTwilio = async (answer?: (req: RecordedRequest) => { status: number; body: unknown } | 'silent') => {
  const server = await startHttpServer((req, res) => {
    const custom = answer?.(req)
    if (custom === 'silent') return 'silent'
    if (custom !== undefined) return json(res, custom.status, custom.body)
    if (req.method !== 'POST' || req.headers.authorization !== basicAuth) {
      return json(res, 401, { code: 20003, message: 'Authenticate', status: 401 })
    }
    const kind = req.url.endsWith('/Calls.json') ? 'CA' : 'SM'
    json(res, 201, { sid: `${kind}0123456789abcdef0123456789abcdef`, status: 'queued', account_sid: accountSid })
  })
  running.push(server)
  return server
}

const form = (body: string): Record<string, string> => Object.fromEntries(new URLSearchParams(body))

describe('createTwilioSender', () => {
  it('sms: POSTs To/From/Body as a form to Messages.json with basic auth, 201 is delivered', async () => {
    const twilio = await startTwilio()
    const sender = createTwilioSender({ accountSid, authToken, from, baseUrl: `http://127.0.0.1:${twilio.port}` })
    const m = message({ channel: 'sms', to: '+15555550123', text: 'Your code is 482913.' })

    expect(await sender.send(m)()).toEqual(E.right(undefined))
    expect(twilio.requests).toHaveLength(1)
    const req = twilio.requests[0]
    expect(req?.method).toBe('POST')
    expect(req?.url).toBe(`/2010-04-01/Accounts/${accountSid}/Messages.json`)
    expect(req?.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded\b/)
    expect(req?.headers.authorization).toBe(basicAuth)
    expect(form(req?.body ?? '')).toEqual({ To: '+15555550123', From: from, Body: 'Your code is 482913.' })
  })

  it('call: POSTs To/From/Twiml to Calls.json, with the text XML-escaped inside <Say>', async () => {
    const twilio = await startTwilio()
    const sender = createTwilioSender({ accountSid, authToken, from, baseUrl: `http://127.0.0.1:${twilio.port}/` })
    const m = message({ channel: 'call', to: '+15555550123', text: 'Your code is 4 8 2 <9> & "1" \'3\'.' })

    expect(await sender.send(m)()).toEqual(E.right(undefined))
    const req = twilio.requests[0]
    expect(req?.url).toBe(`/2010-04-01/Accounts/${accountSid}/Calls.json`)
    expect(req?.headers.authorization).toBe(basicAuth)
    expect(form(req?.body ?? '')).toEqual({
      To: '+15555550123',
      From: from,
      Twiml: '<Response><Say>Your code is 4 8 2 &lt;9&gt; &amp; &quot;1&quot; &apos;3&apos;.</Say></Response>',
    })
  })

  it("400 is Refused with Twilio's error code and message", async () => {
    const twilio = await startTwilio(() => ({
      status: 400,
      body: {
        code: 21211,
        message: "The 'To' number +1555 is not a valid phone number.",
        more_info: 'https://www.twilio.com/docs/errors/21211',
        status: 400,
      },
    }))
    const sender = createTwilioSender({ accountSid, authToken, from, baseUrl: `http://127.0.0.1:${twilio.port}` })
    const result = await sender.send(message({ channel: 'sms', to: '+1555' }))()
    expect(E.isLeft(result) && result.left._tag).toBe('Refused')
    expect(E.isLeft(result) && result.left.detail).toContain('21211')
    expect(E.isLeft(result) && result.left.detail).toContain('is not a valid phone number')
  })

  it('a wrong auth token is Refused (401), and the token is not in the detail', async () => {
    const twilio = await startTwilio()
    const sender = createTwilioSender({ accountSid, authToken: 'wrong-token', from, baseUrl: `http://127.0.0.1:${twilio.port}` })
    const result = await sender.send(message({ channel: 'sms' }))()
    expect(E.isLeft(result) && result.left._tag).toBe('Refused')
    expect(E.isLeft(result) && result.left.detail).toContain('20003')
    expect(JSON.stringify(result)).not.toContain('wrong-token')
  })

  it('500 is Unreachable', async () => {
    const twilio = await startTwilio(() => ({ status: 500, body: { code: 20500, message: 'Internal Server Error', status: 500 } }))
    const sender = createTwilioSender({ accountSid, authToken, from, baseUrl: `http://127.0.0.1:${twilio.port}` })
    const result = await sender.send(message({ channel: 'sms' }))()
    expect(E.isLeft(result) && result.left._tag).toBe('Unreachable')
  })

  it('a server that never answers is Unreachable within the timeout', async () => {
    const twilio = await startTwilio(() => 'silent')
    const sender = createTwilioSender({ accountSid, authToken, from, baseUrl: `http://127.0.0.1:${twilio.port}`, timeoutMs: 500 })
    const started = Date.now()
    const result = await sender.send(message({ channel: 'call' }))()
    expect(E.isLeft(result) && result.left._tag).toBe('Unreachable')
    expect(E.isLeft(result) && result.left.detail).toContain('500 ms')
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(twilio.requests).toHaveLength(1)
  })

  it('a closed port is Unreachable', async () => {
    const twilio = await startTwilio()
    const port = twilio.port
    await running.pop()?.close()
    const sender = createTwilioSender({ accountSid, authToken, from, baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 2_000 })
    const result = await sender.send(message({ channel: 'sms' }))()
    expect(E.isLeft(result) && result.left._tag).toBe('Unreachable')
  })

  it('email is Refused without any request', async () => {
    const twilio = await startTwilio()
    const sender = createTwilioSender({ accountSid, authToken, from, baseUrl: `http://127.0.0.1:${twilio.port}` })
    const result = await sender.send(message({ channel: 'email', to: 'ada@example.com' }))()
    expect(E.isLeft(result) && result.left._tag).toBe('Refused')
    expect(twilio.requests).toEqual([])
  })

  it('uses an injected fetch', async () => {
    const seen: string[] = []
    const sender = createTwilioSender({
      accountSid,
      authToken,
      from,
      fetch: (input) => {
        seen.push(input)
        return Promise.resolve(new Response('{"sid":"SM1"}', { status: 201 }))
      },
    })
    expect(await sender.send(message({ channel: 'sms' }))()).toEqual(E.right(undefined))
    expect(seen).toEqual([`https://api.twilio.com/2010-04-01/Accounts/${accountSid}/Messages.json`])
  })
})
