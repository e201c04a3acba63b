import type { OutboundMessage } from '@authn-machine/core'
import { createTrivialHasher } from '@authn-machine/testkit/fixtures'
import { afterEach, describe, expect, it } from 'vitest'
import { DEV_OUTBOX_PATH, type RunningServer, type StartOptions } from '../src/index.js'
import { authnClient, factorOf, MAE, mfaSeed, outcomeOf, startMfaServer, TRUSTED } from './mfa-support.js'
import { createServers, outboundMessage as message } from './support.js'

const servers = createServers()
afterEach(() => servers.closeAll())

const TOKEN = 'dev-outbox-api-token-0123456789'
const EMAIL_FACTOR = 'emfmaeemail00000001'

const start = (options: Partial<StartOptions> = {}): Promise<RunningServer> =>
  servers.start({ hasher: createTrivialHasher(), log: () => undefined, ...options })

/** Sends the messages through the server's outbox, oldest first. */
const deliver = async (server: RunningServer, ...messages: ReadonlyArray<OutboundMessage>): Promise<void> => {
  for (const m of messages) await server.outbox.send(m)()
}

/** An answer as comparable data: status, headers but the date and request id, the body without its errorId. */
const answerShape = async (r: Response) => {
  const headers = Object.fromEntries([...r.headers.entries()].filter(([name]) => name !== 'date' && name !== 'x-okta-request-id'))
  const body = (await r.json()) as Record<string, unknown>
  return { status: r.status, headers, body: { ...body, errorId: typeof body['errorId'] } }
}

const listed = async (r: Response): Promise<ReadonlyArray<Record<string, unknown>>> => {
  expect(r.status).toBe(200)
  return (await r.json()) as ReadonlyArray<Record<string, unknown>>
}

describe('GET /__dev/outbox', () => {
  it('without --dev-outbox is exactly what any unknown path answers (404), even with messages kept', async () => {
    const server = await start()
    await deliver(server, message('sms', '+15555550100'))
    for (const method of ['GET', 'POST', 'HEAD']) {
      const outbox = await fetch(`${server.url}${DEV_OUTBOX_PATH}?to=%2B15555550100`, { method })
      const unknown = await fetch(`${server.url}/__dev/not-a-path?to=%2B15555550100`, { method })
      expect(outbox.status).toBe(404)
      if (method === 'HEAD') expect(Object.fromEntries(outbox.headers)).toMatchObject({ 'content-type': unknown.headers.get('content-type') })
      else expect(await answerShape(outbox)).toEqual(await answerShape(unknown))
    }
  })

  it('with --dev-outbox lists the kept messages newest first as JSON, uncached', async () => {
    const server = await start({ devOutbox: true })
    const empty = await fetch(`${server.url}${DEV_OUTBOX_PATH}`)
    expect(await listed(empty)).toEqual([])
    expect(empty.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(empty.headers.get('cache-control')).toBe('no-store')

    const sms = message('sms', '+15555550100')
    const email = message('email', 'Dade.Murphy@example.com')
    const call = message('call', '+15555550100')
    await deliver(server, sms, email, call)
    const all = await listed(await fetch(`${server.url}${DEV_OUTBOX_PATH}`))
    expect(all.map((m) => m['id'])).toEqual([call.id, email.id, sms.id])
    expect(all[1]).toEqual({
      id: email.id,
      channel: 'email',
      to: email.to,
      subject: email.subject,
      text: email.text,
      purpose: 'mfa-challenge',
      createdAt: new Date(email.createdAt).toISOString(),
    })
    expect((await fetch(`${server.url}${DEV_OUTBOX_PATH}`, { method: 'HEAD' })).status).toBe(200)
  })

  it('filters by ?to=, with + taken as typed (not as a space), %2B, and emails case-insensitively', async () => {
    const server = await start({ devOutbox: true })
    const first = message('sms', '+15555550100')
    const other = message('sms', '+15555550199')
    const second = message('call', '+15555550100')
    const email = message('email', 'dade.murphy@example.com')
    await deliver(server, first, other, second, email)
    const ids = async (query: string) => (await listed(await fetch(`${server.url}${DEV_OUTBOX_PATH}${query}`))).map((m) => m['id'])
    expect(await ids('?to=+15555550100')).toEqual([second.id, first.id])
    expect(await ids('?to=%2B15555550100')).toEqual([second.id, first.id])
    expect(await ids('?x=1&to=%2B15555550199')).toEqual([other.id])
    expect(await ids('?to=DADE.MURPHY%40example.com')).toEqual([email.id])
    expect(await ids('?to=nobody@example.com')).toEqual([])
    expect(await ids('?to=')).toEqual([email.id, second.id, other.id, first.id])
  })

  it('refuses other methods with 405', async () => {
    const server = await start({ devOutbox: true })
    const r = await fetch(`${server.url}${DEV_OUTBOX_PATH}`, { method: 'POST', body: '{}' })
    expect(r.status).toBe(405)
    expect(r.headers.get('allow')).toBe('GET, HEAD')
    expect(await r.json()).toMatchObject({ errorCode: 'E0000022' })
  })

  it('needs the API token when tokens are configured', async () => {
    const server = await start({ devOutbox: true, apiTokens: [TOKEN] })
    await deliver(server, message('sms', '+15555550100'))
    for (const headers of [{}, { authorization: 'SSWS wrong-token-0123456789abcdef' }, { authorization: `Bearer ${TOKEN}` }]) {
      const r = await fetch(`${server.url}${DEV_OUTBOX_PATH}`, { headers })
      expect(r.status).toBe(401)
      expect(await r.json()).toEqual({ errorCode: 'E0000011', errorSummary: 'Invalid token provided' })
    }
    expect(await listed(await fetch(`${server.url}${DEV_OUTBOX_PATH}`, { headers: { authorization: `SSWS ${TOKEN}` } }))).toHaveLength(1)
  })

  it('keeps and prints every message of a channel without a sender, with or without the endpoint', async () => {
    const lines: string[] = []
    const server = await start({ log: (line) => lines.push(line) })
    const sms = message('sms', '+15555550100')
    await deliver(server, sms)
    expect(server.outbox.messages()).toEqual([sms])
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain(sms.text)
  })
})

describe('a developer finishing MFA with codes read from GET /__dev/outbox', () => {
  const PHONE = '+14155552671'
  const codeFor = async (server: RunningServer, to: string): Promise<{ readonly purpose: unknown; readonly code: string }> => {
    const [latest] = await listed(await fetch(`${server.url}${DEV_OUTBOX_PATH}?to=${encodeURIComponent(to)}`, { headers: TRUSTED }))
    return { purpose: latest?.['purpose'], code: /\b(\d{6})\b/.exec(String(latest?.['text']))?.[1] ?? 'no code' }
  }

  it('enrolls an SMS factor: the activation code is in the outbox', async () => {
    const seed = mfaSeed({ policies: { signOn: { requireFactor: true }, enrollment: { factors: [{ factorType: 'sms', provider: 'OKTA', enroll: 'REQUIRED' }] } } })
    const { server } = await startMfaServer(start, seed, { fast: true, options: { devOutbox: true } })
    const client = authnClient(server)
    const signedIn = await client.signIn(MAE)
    expect(outcomeOf(signedIn)).toBe('MFA_ENROLL')
    const enrolled = await client.post('/api/v1/authn/factors', { stateToken: signedIn.body['stateToken'], factorType: 'sms', provider: 'OKTA', profile: { phoneNumber: PHONE } })
    expect(outcomeOf(enrolled)).toBe('MFA_ENROLL_ACTIVATE')
    const { purpose, code } = await codeFor(server, PHONE)
    expect(purpose).toBe('mfa-activation')
    const activated = await client.post(`/api/v1/authn/factors/${String(factorOf(enrolled)['id'])}/lifecycle/activate`, { stateToken: signedIn.body['stateToken'], passCode: code })
    expect(outcomeOf(activated)).toBe('SUCCESS')
  })

  it('verifies a seeded email factor: the challenge code is in the outbox', async () => {
    const seed = mfaSeed({ maeFactors: [{ factorType: 'email', provider: 'OKTA', email: MAE.username, id: EMAIL_FACTOR }], policies: { signOn: { requireFactor: true } } })
    const { server } = await startMfaServer(start, seed, { fast: true, options: { devOutbox: true } })
    const client = authnClient(server)
    const signedIn = await client.signIn(MAE)
    expect(outcomeOf(signedIn)).toBe('MFA_REQUIRED')
    const challenged = await client.post(`/api/v1/authn/factors/${EMAIL_FACTOR}/verify`, { stateToken: signedIn.body['stateToken'] })
    expect(outcomeOf(challenged)).toBe('MFA_CHALLENGE')
    const { purpose, code } = await codeFor(server, MAE.username.toUpperCase())
    expect(purpose).toBe('mfa-challenge')
    const verified = await client.post(`/api/v1/authn/factors/${EMAIL_FACTOR}/verify`, { stateToken: signedIn.body['stateToken'], passCode: code })
    expect(outcomeOf(verified)).toBe('SUCCESS')
  })
})
