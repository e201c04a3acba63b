import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { verifyWebhookSignature } from '@authn-machine/message-senders'
import { afterEach, describe, expect, it } from 'vitest'
import { createServerMessaging, DEV_OUTBOX_ROUTES, describeMessageRoutes, type ChannelRoute, type MessageRoutes } from '../src/index.js'
import { outboundMessage as message } from './support.js'

const PASSWORD = 'pa55-w0rd-not-shown'
const TOKEN = 'twilio-token-not-shown-0123'
const SECRET = 'webhook-secret-not-shown-0123'

const twilioRoute = (baseUrl: string | null): ChannelRoute => ({
  kind: 'twilio',
  accountSid: 'AC0123456789abcdef0123456789abcdef',
  authToken: TOKEN,
  from: '+15005550006',
  baseUrl,
})

describe('the start-up line', () => {
  it('names the dev outbox for every channel by default', () => {
    expect(describeMessageRoutes(DEV_OUTBOX_ROUTES)).toBe('messages: email → dev outbox, sms → dev outbox, call → dev outbox')
  })

  it('says where each channel goes without a password, token, secret or webhook path', () => {
    const routes: MessageRoutes = {
      email: { kind: 'smtp', url: `smtp://alice%40example.com:${PASSWORD}@mail.example.com`, from: 'Example <no-reply@example.com>' },
      sms: twilioRoute(null),
      call: { kind: 'webhook', url: `https://hooks.example.com/services/T0/B0/${SECRET}?k=${SECRET}`, secret: SECRET },
    }
    expect(describeMessageRoutes(routes)).toBe(
      'messages: email → smtp://mail.example.com:587 (user alice@example.com, from Example <no-reply@example.com>), ' +
        'sms → Twilio (account AC01…cdef, from +15005550006), call → webhook https://hooks.example.com/… (signed)',
    )
    const other = describeMessageRoutes({
      email: { kind: 'smtp', url: 'smtps://[::1]:2465', from: 'a@b.example' },
      sms: twilioRoute('http://127.0.0.1:9999/'),
      call: { kind: 'webhook', url: 'http://127.0.0.1:8081/', secret: SECRET },
    })
    expect(other).toBe(
      'messages: email → smtps://[::1]:2465 (no auth, from a@b.example), sms → Twilio-shaped API at http://127.0.0.1:9999 (account AC01…cdef, from +15005550006), ' +
        'call → webhook http://127.0.0.1:8081 (signed)',
    )
    for (const line of [describeMessageRoutes(routes), other]) for (const secret of [PASSWORD, TOKEN, SECRET]) expect(line).not.toContain(secret)
  })
})

interface Received {
  readonly url: string
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

/** An HTTP receiver on 127.0.0.1 that answers 201 and keeps what it got. */
const receivers: Array<{ readonly close: () => Promise<void> }> = []
const startReceiver = async (): Promise<{ readonly url: string; readonly received: Received[] }> => {
  const received: Received[] = []
  const server = createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8').on('data', (d: string) => (body += d))
    req.on('end', () => {
      received.push({ url: req.url ?? '', headers: req.headers, body })
      res.writeHead(201, { 'content-type': 'application/json', connection: 'close' }).end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  receivers.push({ close: () => new Promise<void>((resolve) => server.close(() => resolve())) })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received }
}
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()))
})

describe('createServerMessaging', () => {
  it('routes each channel to its sender: Twilio, a signed webhook, the dev outbox (one log line per message)', async () => {
    const twilio = await startReceiver()
    const hooks = await startReceiver()
    const lines: string[] = []
    const { sender, outbox } = createServerMessaging(
      { sms: twilioRoute(twilio.url), call: { kind: 'webhook', url: `${hooks.url}/call`, secret: SECRET }, email: { kind: 'dev-outbox' } },
      (line) => lines.push(line),
    )
    const sms = message('sms', '+15555550100')
    const call = message('call', '+15555550101')
    const email = message('email', 'dade.murphy@example.com')
    for (const m of [sms, call, email]) expect(await sender.send(m)()).toEqual({ _tag: 'Right', right: undefined })

    expect(twilio.received.map((r) => r.url)).toEqual(['/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json'])
    expect(new URLSearchParams(twilio.received[0]?.body).get('Body')).toBe(sms.text)
    expect(hooks.received).toHaveLength(1)
    const hook = hooks.received[0]
    expect(hook?.url).toBe('/call')
    expect(JSON.parse(hook?.body ?? '{}')).toMatchObject({ channel: 'call', to: call.to, text: call.text })
    expect(verifyWebhookSignature(hook?.body ?? '', hook?.headers['x-authn-signature'] as string | undefined, SECRET)).toBe(true)

    expect(outbox.messages()).toEqual([email])
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain(email.text)
  })

  it('sends email over SMTP when routed there (an unreachable server is reported, not kept in the outbox)', async () => {
    const { sender, outbox } = createServerMessaging({ ...DEV_OUTBOX_ROUTES, email: { kind: 'smtp', url: 'smtp://127.0.0.1:1', from: 'a@b.example' } }, () => undefined)
    const r = await sender.send(message('email', 'dade.murphy@example.com'))()
    expect(r).toMatchObject({ _tag: 'Left', left: { _tag: 'Unreachable' } })
    expect(outbox.messages()).toEqual([])
  })
})
