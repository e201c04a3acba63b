// Push (push/OKTA, docs/adr/0031-push.md) with the unmodified okta-auth-js 8 (`@okta/okta-auth-js/authn`)
// against the reference server over real HTTP. The phone's part is played by the device side of
// `@authn-machine/factor-push/device` over `fetch`: it reads the enrollment URI from the e-mail the
// activation's `send('email')` has the server send (the dev outbox), activates with a key of its own,
// then lists and answers its challenges. okta-auth-js polls through the transaction's own `poll()`,
// which POSTs the state token to the `next` link named `poll` and repeats, `delay` ms apart, while the
// answer's `factorResult` is WAITING; the device answers meanwhile, after the first WAITING round trip.
import type { AuthnTransaction } from '@okta/okta-auth-js/authn'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import type { ManualClock } from '@authn-machine/testkit/fixtures'
import { DeviceRequestError, activateDevice, answerChallenge, fetchTransport, parseEnrollmentUri, pendingChallenges, type DeviceOptions, type DeviceState } from '@authn-machine/factor-push/device'
import type { RunningServer } from '../src/index.js'
import { MAE, mfaSeed, startMfaServer } from './mfa-support.js'
import { checkAnswersAgainstOpenApi } from './openapi-check.js'
import { factorOf, factorOfType, factorsOf, follow, type Json, type TxFn } from './okta-factors.js'
import { createServers, oktaClient, postJson } from './support.js'

const CREDENTIALS = { username: MAE.username, password: MAE.password }
const PUSH_POLICIES = { signOn: { requireFactor: true }, enrollment: { factors: [{ factorType: 'push', provider: 'OKTA', enroll: 'REQUIRED' }] } }
/** okta-auth-js polls every 500 ms by default; these tests poll faster. */
const POLL_DELAY = 40

const servers = createServers()
// Every answer these tests receive (okta-auth-js's and the device's) must match docs/openapi.json.
checkAnswersAgainstOpenApi()
afterEach(() => servers.closeAll())

/** One request through `fetch` (okta-auth-js's and the device's): method, path with query, JSON body, answer. */
interface Exchange {
  readonly method: string
  readonly path: string
  readonly body: Json | null
  readonly status: number
  readonly answer: Json | null
}
const exchanges: Exchange[] = []
const parse = (text: string): Json | null => {
  try {
    return text === '' ? null : (JSON.parse(text) as Json)
  } catch {
    return null
  }
}
// Registered after checkAnswersAgainstOpenApi's stub, so it wraps the checking fetch: okta-auth-js
// and fetchTransport() both take `fetch` from the global object at each call.
beforeAll(() => {
  const inner = globalThis.fetch
  vi.stubGlobal('fetch', async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : String(input))
    const response = await inner(input, init)
    const sent = typeof init?.body === 'string' ? parse(init.body) : null
    exchanges.push({ method: (init?.method ?? 'GET').toUpperCase(), path: `${url.pathname}${url.search}`, body: sent, status: response.status, answer: parse(await response.clone().text()) })
    return response
  })
})
afterEach(() => {
  exchanges.splice(0)
})

/** The exchanges with `path` since `from` (an index into the record). */
const exchangesAt = (path: string, from = 0) => exchanges.slice(from).filter((x) => x.path === path)

const start = (): Promise<{ readonly server: RunningServer; readonly clock: ManualClock }> => startMfaServer(servers.start, mfaSeed({ policies: PUSH_POLICIES }), { fast: true })

/** The device's way to the server: real HTTP, signing with the server's (manual) clock. */
const deviceOptions = (clock: ManualClock): DeviceOptions => ({ transport: fetchTransport(), now: () => clock.now() })

/**
 * Starts okta-auth-js's `poll()` on `tx`; `firstWaiting` settles once a poll has come back WAITING
 * (okta-auth-js's `transactionCallBack`; `nextWaiting()` for a later one), `done` with the transaction
 * the polling ended with.
 */
const startPolling = (tx: AuthnTransaction) => {
  let waited = 0
  let waiters: Array<() => void> = []
  /** Settles once a poll (after this call) has come back WAITING. */
  const nextWaiting = () =>
    new Promise<void>((resolve) => {
      waiters.push(resolve)
    })
  const firstWaiting = nextWaiting()
  const done = follow(tx, 'poll', {
    delay: POLL_DELAY,
    transactionCallBack: (r: Json) => {
      expect(r['factorResult']).toBe('WAITING')
      waited += 1
      const settled = waiters
      waiters = []
      for (const w of settled) w()
    },
  })
  return { firstWaiting, nextWaiting, done, waits: () => waited }
}

/** Redeems a session token at POST /api/v1/sessions: status, session status and user id. */
const redeem = async (server: RunningServer, sessionToken: unknown) => {
  const r = await postJson(`${server.url}/api/v1/sessions`, { sessionToken })
  expect(r.body['mfaActive']).toBe(true)
  return [r.status, r.body['status'], r.body['userId']]
}

/**
 * Signs in (MFA_ENROLL, push required), enrolls push through the offered factor's `enroll()`
 * (MFA_ENROLL_ACTIVATE, WAITING, the activation with its QR code and `send` links), has the link
 * e-mailed through the activation's `send('email')`, and polls with `poll()` while the device
 * activates with the e-mailed URI → SUCCESS. Answers the client, the factor id and the device.
 */
const enrollPush = async (server: RunningServer, clock: ManualClock) => {
  const client = oktaClient(server)
  const signIn = await client.signInWithCredentials(CREDENTIALS)
  expect(signIn.status).toBe('MFA_ENROLL')
  const offered = factorOfType(signIn, 'push', 'OKTA')
  expect(offered).toMatchObject({ factorType: 'push', provider: 'OKTA', status: 'NOT_SETUP', enrollment: 'REQUIRED' })

  const enrolling = await follow(offered, 'enroll')
  expect([enrolling.status, enrolling.factorResult]).toEqual(['MFA_ENROLL_ACTIVATE', 'WAITING'])
  const enrollRequest = exchanges.at(-1)
  expect(enrollRequest).toMatchObject({ method: 'POST', path: '/api/v1/authn/factors', body: { stateToken: expect.any(String), factorType: 'push', provider: 'OKTA' }, status: 200 })
  const factor = factorOf(enrolling)
  const factorId = factor.id ?? ''
  expect(factorId).toMatch(/^opf[A-Za-z0-9]{17}$/)
  expect(factor).toMatchObject({ factorType: 'push', provider: 'OKTA', profile: { credentialId: MAE.username } })
  // okta-auth-js flattens `_embedded.activation` into `factor.activation`: the typed `qrcode` link
  // stays a link, the array of POST links `send` becomes one function taking the link's name.
  const activation = (factor.activation ?? {}) as Record<string, unknown>
  expect(activation).toMatchObject({
    factorResult: 'WAITING',
    expiresAt: new Date(clock.now() + 600_000).toISOString(),
    qrcode: { href: expect.stringMatching(new RegExp(`^${server.url}/api/v1/authn/factors/${factorId}/qr/[A-Za-z0-9_.~-]+$`)), type: 'image/png' },
    send: expect.any(Function),
  })
  expect(typeof enrolling.poll).toBe('function')
  const qr = await fetch((activation['qrcode'] as { readonly href: string }).href)
  expect([qr.status, qr.headers.get('content-type')]).toEqual([200, 'image/png'])
  expect([...new Uint8Array(await qr.arrayBuffer()).slice(1, 4)]).toEqual([0x50, 0x4e, 0x47])

  // The link by e-mail, through okta-auth-js's own `send('email')`.
  const sent = await (activation['send'] as (name: string, opts?: object) => Promise<AuthnTransaction>)('email')
  expect(exchanges.at(-1)).toMatchObject({ method: 'POST', path: `/api/v1/authn/factors/${factorId}/lifecycle/activate/email`, body: { stateToken: enrollRequest?.body?.['stateToken'] }, status: 200 })
  expect([sent.status, sent.factorResult]).toEqual(['MFA_ENROLL_ACTIVATE', 'WAITING'])
  const message = server.outbox.messages({ to: MAE.username })[0]
  expect(message?.purpose).toBe('mfa-activation')
  const uri = /oktaverify:\/\/\S+/.exec(message?.text ?? '')?.[0] ?? ''
  const enrollment = parseEnrollmentUri(uri)
  expect(enrollment).toMatchObject({ login: MAE.username, factorId, origin: new URL(server.url).origin })

  // poll() waits while no device is activated; the device activates after the first WAITING poll.
  const from = exchanges.length
  const polling = startPolling(sent)
  await polling.firstWaiting
  const device = await activateDevice(enrollment, { name: 'Mae’s phone', platform: 'ANDROID', version: '14' }, deviceOptions(clock))
  expect(device).toMatchObject({ factorId, userId: MAE.id, login: MAE.username, origin: enrollment.origin })
  const done = await polling.done
  expect(done.status).toBe('SUCCESS')
  expect(done.sessionToken).toEqual(expect.any(String))
  expect(polling.waits()).toBeGreaterThanOrEqual(1)
  const polls = exchangesAt(`/api/v1/authn/factors/${factorId}/lifecycle/activate/poll`, from)
  expect(polls.length).toBe(polling.waits() + 1)
  for (const p of polls) expect([p.method, p.body]).toEqual(['POST', { stateToken: enrollRequest?.body?.['stateToken'] }])
  expect(polls.map((p) => p.answer?.['factorResult'] ?? p.answer?.['status'])).toEqual([...polls.slice(0, -1).map(() => 'WAITING'), 'SUCCESS'])
  expect(await redeem(server, done.sessionToken)).toEqual([200, 'ACTIVE', MAE.id])
  return { client, factorId, device }
}

/** A new sign-in → MFA_REQUIRED listing the push factor alone; `verify()` → MFA_CHALLENGE WAITING with the number to pick. */
const pushed = async (client: ReturnType<typeof oktaClient>, factorId: string) => {
  const required = await client.signInWithCredentials(CREDENTIALS)
  expect(required.status).toBe('MFA_REQUIRED')
  const listed = factorsOf(required)
  expect(listed.map((f) => [f.id, f.factorType, f.provider])).toEqual([[factorId, 'push', 'OKTA']])
  const challenged = await follow(listed[0] as object, 'verify')
  return challenged
}

/** MFA_CHALLENGE WAITING: okta-auth-js puts `_embedded.factor._embedded.challenge` at `factor.challenge`. */
const numberOf = (tx: AuthnTransaction): number => {
  expect([tx.status, tx.factorResult]).toEqual(['MFA_CHALLENGE', 'WAITING'])
  const correctAnswer = factorOf(tx).challenge?.['correctAnswer']
  expect(correctAnswer).toEqual(expect.any(Number))
  return correctAnswer as number
}

/** The one challenge waiting for the device, which offers `correctAnswer` among three choices. */
const onlyPending = async (device: DeviceState, clock: ManualClock, correctAnswer: number) => {
  const pending = await pendingChallenges(device, deviceOptions(clock))
  expect(pending).toHaveLength(1)
  const challenge = pending[0]
  if (challenge === undefined) throw new Error('no challenge for the device')
  expect(challenge).toMatchObject({ factorId: device.factorId, userId: MAE.id, context: { login: MAE.username, transactionType: 'LOGIN' } })
  expect(challenge.choices).toHaveLength(3)
  expect(challenge.choices).toContain(correctAnswer)
  return challenge
}

describe('push (push/OKTA) with okta-auth-js', () => {
  it('enroll push → MFA_ENROLL_ACTIVATE WAITING (QR code, send links); send(\'email\') → the device activates with the e-mailed URI while poll() waits → SUCCESS; a new sign-in → verify() → MFA_CHALLENGE WAITING with factor.challenge.correctAnswer; the device approves with that number while poll() waits → SUCCESS', async () => {
    const { server, clock } = await start()
    const { client, factorId, device } = await enrollPush(server, clock)

    const challenged = await pushed(client, factorId)
    const correctAnswer = numberOf(challenged)
    const verifyRequest = exchanges.at(-1)
    expect(verifyRequest).toMatchObject({ method: 'POST', path: `/api/v1/authn/factors/${factorId}/verify`, body: { stateToken: expect.any(String) }, status: 200 })
    // The MFA_CHALLENGE offers poll() (next, named poll) and resend('push').
    expect([typeof challenged.poll, typeof (challenged as unknown as Json)['resend']]).toEqual(['function', 'function'])
    const challenge = await onlyPending(device, clock, correctAnswer)

    const from = exchanges.length
    const polling = startPolling(challenged)
    await polling.firstWaiting
    expect(await answerChallenge(device, challenge.challengeId, { consent: 'APPROVED', selectedAnswer: correctAnswer }, deviceOptions(clock))).toBe('APPROVED')
    const done = await polling.done
    expect(done.status).toBe('SUCCESS')
    expect(done.sessionToken).toEqual(expect.any(String))
    expect(done.user).toMatchObject({ id: MAE.id })
    // Each poll posted the state token to the verify link; all but the last came back WAITING with the same number.
    const polls = exchangesAt(`/api/v1/authn/factors/${factorId}/verify`, from)
    expect(polls.length).toBe(polling.waits() + 1)
    for (const p of polls) expect([p.method, p.body]).toEqual(['POST', { stateToken: verifyRequest?.body?.['stateToken'] }])
    const waiting = polls.slice(0, -1)
    expect(waiting.map((p) => p.answer?.['factorResult'])).toEqual(waiting.map(() => 'WAITING'))
    for (const p of waiting) expect((((p.answer?.['_embedded'] as Json)['factor'] as Json)['_embedded'] as Json)['challenge']).toEqual({ correctAnswer })
    expect(polls.at(-1)?.answer?.['status']).toBe('SUCCESS')
    expect(await redeem(server, done.sessionToken)).toEqual([200, 'ACTIVE', MAE.id])
    // Answered: nothing waits for the device any more.
    expect(await pendingChallenges(device, deviceOptions(clock))).toEqual([])
  }, 15_000)

  it('the device denies (then approves with another number): poll() ends MFA_CHALLENGE REJECTED with verify() and resend(); verify() sends a new push (WAITING) that the device approves → SUCCESS', async () => {
    const { server, clock } = await start()
    const { client, factorId, device } = await enrollPush(server, clock)
    let tx = await pushed(client, factorId)
    const stateToken = exchanges.at(-1)?.body?.['stateToken']
    const seen: string[] = []
    for (const answer of ['deny', 'wrong number'] as const) {
      const correctAnswer = numberOf(tx)
      const challenge = await onlyPending(device, clock, correctAnswer)
      expect(seen).not.toContain(challenge.challengeId)
      seen.push(challenge.challengeId)
      const wrong = challenge.choices?.find((n) => n !== correctAnswer) ?? 0
      const polling = startPolling(tx)
      await polling.firstWaiting
      const result = await answerChallenge(device, challenge.challengeId, answer === 'deny' ? { consent: 'DENIED' } : { consent: 'APPROVED', selectedAnswer: wrong }, deviceOptions(clock))
      expect(result).toBe('DENIED')
      const rejected = await polling.done
      expect([rejected.status, rejected.factorResult]).toEqual(['MFA_CHALLENGE', 'REJECTED'])
      expect(factorOf(rejected).challenge).toBeUndefined()
      // REJECTED's next link is named verify: okta-auth-js offers verify() (and resend('push')), no poll().
      const fns = rejected as unknown as Json
      expect([typeof fns['verify'], typeof fns['resend'], fns['poll']]).toEqual(['function', 'function', undefined])
      tx = await (fns['verify'] as TxFn)()
      expect(exchanges.at(-1)).toMatchObject({ method: 'POST', path: `/api/v1/authn/factors/${factorId}/verify`, body: { stateToken }, status: 200 })
    }
    const correctAnswer = numberOf(tx)
    const challenge = await onlyPending(device, clock, correctAnswer)
    expect(seen).not.toContain(challenge.challengeId)
    const polling = startPolling(tx)
    await polling.firstWaiting
    expect(await answerChallenge(device, challenge.challengeId, { consent: 'APPROVED', selectedAnswer: correctAnswer }, deviceOptions(clock))).toBe('APPROVED')
    const done = await polling.done
    expect(done.status).toBe('SUCCESS')
    expect(done.sessionToken).toEqual(expect.any(String))
    expect(await redeem(server, done.sessionToken)).toEqual([200, 'ACTIVE', MAE.id])
  }, 15_000)

  it('unanswered for 5 minutes: poll() ends MFA_CHALLENGE TIMEOUT, the late answer is refused; verify() sends a new push that succeeds', async () => {
    const { server, clock } = await start()
    const { client, factorId, device } = await enrollPush(server, clock)
    const challenged = await pushed(client, factorId)
    const first = await onlyPending(device, clock, numberOf(challenged))
    const polling = startPolling(challenged)
    await polling.firstWaiting
    // A minute at a time, a WAITING poll after each (which keeps the transaction alive), up to 5 minutes.
    for (let minute = 1; minute < 5; minute += 1) {
      clock.advance(60_000)
      await polling.nextWaiting()
    }
    clock.advance(60_000)
    const timedOut = await polling.done
    expect([timedOut.status, timedOut.factorResult]).toEqual(['MFA_CHALLENGE', 'TIMEOUT'])
    expect(await pendingChallenges(device, deviceOptions(clock))).toEqual([])
    const late = await answerChallenge(device, first.challengeId, { consent: 'APPROVED', selectedAnswer: first.choices?.[0] ?? 0 }, deviceOptions(clock)).then(
      () => null,
      (e: unknown) => (e instanceof DeviceRequestError ? [e.status, (e.body as Json)['errorCode']] : e),
    )
    expect(late).toEqual([403, 'E0000068'])
    const again = await follow(timedOut, 'verify')
    const correctAnswer = numberOf(again)
    const fresh = await onlyPending(device, clock, correctAnswer)
    expect(fresh.challengeId).not.toBe(first.challengeId)
    const polling2 = startPolling(again)
    await polling2.firstWaiting
    await answerChallenge(device, fresh.challengeId, { consent: 'APPROVED', selectedAnswer: correctAnswer }, deviceOptions(clock))
    const done = await polling2.done
    expect(done.status).toBe('SUCCESS')
    expect(done.sessionToken).toEqual(expect.any(String))
  }, 15_000)
})
