import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createMemoryStores } from '@authn-machine/adapter-memory'
import { registered, type OrgSeed } from '@authn-machine/core'
import { createInProcessSystem, type Call } from '@authn-machine/engine'
import { createManualClock, createSeededRandom, createTrivialHasher } from '@authn-machine/testkit/fixtures'
import { createDuoFactor } from '@authn-machine/factor-duo'

// Duo (Web v2) through the engine (docs/adr/0030-delegated-factors.md): enrollment and verification
// start a verification Duo carries out; Duo's signed response, posted to the callback, is checked
// once against the verification this transaction started; the client's poll finishes it.
const ORIGIN = 'https://login.example.com'
const CALL: Call = { baseUrl: ORIGIN, context: { ip: '203.0.113.7', userAgent: null, deviceToken: null, trusted: false } }
const T0 = Date.UTC(2026, 10, 30, 12)
const PASSWORD = 'Right-Passw0rd-1'
const DUO = {
  apiHost: 'api-0123abcd.duosecurity.test',
  integrationKey: 'DIXXXXXXXXXXXXXXXXXX',
  secretKey: 'deadbeefdeadbeefdeadbeefdeadbeefdeadbeef',
  applicationKey: 'this-server-application-key-of-forty-characters-or-more',
}

const seed: OrgSeed = {
  users: [
    { id: '00uduouser000000001', login: 'duo@example.com', firstName: 'Dua', lastName: 'Frame', password: PASSWORD },
    { id: '00uduouser000000002', login: 'other@example.com', firstName: 'Otto', lastName: 'Other', password: PASSWORD },
  ],
  policies: { signOn: { requireFactor: true }, enrollment: { factors: [{ factorType: 'web', provider: 'DUO', enroll: 'REQUIRED' }] }, password: { lockout: { maxAttempts: 3 } } },
}

const system = async () => {
  const clock = createManualClock(T0)
  const s = await createInProcessSystem({ seed, ...createMemoryStores(), factorPlugins: [registered(createDuoFactor(DUO))], hasher: createTrivialHasher(), clock, random: createSeededRandom(5), call: CALL })
  return { ...s, clock }
}
type System = Awaited<ReturnType<typeof system>>

type Json = Record<string, unknown>
const body = (r: { readonly body: unknown }) => r.body as Json
const embedded = (r: { readonly body: unknown }) => body(r)['_embedded'] as Json
const links = (r: { readonly body: unknown }) => body(r)['_links'] as Json
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64')

/**
 * What Duo's frame answers once its user approved: the AUTH half, signed with the secret key, for
 * `user` until `expires` (seconds), and the APP half of the request, echoed back.
 */
const duoResponse = (signature: string, user: string, expires: number, secretKey = DUO.secretKey): string => {
  const payload = `AUTH|${b64(`${user}|${DUO.integrationKey}|${expires}`)}`
  const app = signature.split(':')[1] ?? ''
  return `${payload}|${createHmac('sha1', secretKey).update(payload).digest('hex')}:${app}`
}
const inFiveMinutes = (s: System) => Math.floor(s.clock.now() / 1000) + 300

/** Duo's request in an activation or a verification, checked for Okta's shape. */
const requestOf = (r: { readonly body: unknown }, key: 'activation' | 'verification', factorId: string) => {
  expect(body(r)['factorResult']).toBe('WAITING')
  const request = ((embedded(r)['factor'] as Json)['_embedded'] as Json)[key] as Json
  expect(request).toEqual({
    host: DUO.apiHost,
    signature: expect.stringMatching(/^TX\|[A-Za-z0-9+/=]+\|[0-9a-f]{40}:APP\|[A-Za-z0-9+/=]+\|[0-9a-f]{40}$/),
    factorResult: 'WAITING',
    _links: {
      complete: { href: `${ORIGIN}/api/v1/authn/factors/${factorId}/lifecycle/duoCallback`, hints: { allow: ['POST'] } },
      script: { href: `${ORIGIN}/js/sections/duo/Duo-Web-v2.js`, type: 'text/javascript; charset=utf-8' },
    },
  })
  return request['signature'] as string
}

/** Signs in as `login` and enrolls Duo: the state token, the factor id and Duo's request. */
const enrolling = async (s: System, login = 'duo@example.com') => {
  const signIn = await s.driver.authenticate({ username: login, password: PASSWORD })
  expect(body(signIn)['status']).toBe('MFA_ENROLL')
  const stateToken = body(signIn)['stateToken'] as string
  const enroll = await s.driver.enrollFactor({ stateToken, factorType: 'web', provider: 'DUO' })
  expect(body(enroll)['status']).toBe('MFA_ENROLL_ACTIVATE')
  const factor = embedded(enroll)['factor'] as Json
  const factorId = factor['id'] as string
  expect(factor).toMatchObject({ factorType: 'web', provider: 'DUO', profile: { credentialId: login } })
  expect(factorId).toMatch(/^dsf[A-Za-z0-9]{17}$/)
  expect(links(enroll)['next']).toEqual({ name: 'poll', href: `${ORIGIN}/api/v1/authn/factors/${factorId}/lifecycle/activate/poll`, hints: { allow: ['POST'] } })
  return { stateToken, factorId, signature: requestOf(enroll, 'activation', factorId) }
}

/** Enrolls and activates Duo for `duo@example.com`, then signs in again: MFA_REQUIRED's state token and the factor id. */
const enrolled = async (s: System) => {
  const e = await enrolling(s)
  const confirmed = await s.driver.duoCallback({ stateToken: e.stateToken, factorId: e.factorId, sig_response: duoResponse(e.signature, 'duo@example.com', inFiveMinutes(s)) })
  expect(confirmed.status).toBe(200)
  expect(body(await s.driver.pollFactorActivation({ stateToken: e.stateToken, factorId: e.factorId }))['status']).toBe('SUCCESS')
  const signIn = await s.driver.authenticate({ username: 'duo@example.com', password: PASSWORD })
  expect(body(signIn)['status']).toBe('MFA_REQUIRED')
  return { stateToken: body(signIn)['stateToken'] as string, factorId: e.factorId }
}

const code = (r: { readonly status: number; readonly body: unknown }) => [r.status, body(r)['errorCode']]

describe('Duo through the engine', () => {
  it('enroll: MFA_ENROLL_ACTIVATE waits (poll link, Duo request); polls wait with the same request until Duo\'s response is posted, then the poll activates → SUCCESS', async () => {
    const s = await system()
    const e = await enrolling(s)
    const waiting = await s.driver.pollFactorActivation({ stateToken: e.stateToken, factorId: e.factorId })
    expect(body(waiting)['status']).toBe('MFA_ENROLL_ACTIVATE')
    expect(requestOf(waiting, 'activation', e.factorId)).toBe(e.signature)
    // activate (the passcode route) is not how Duo activates: nothing to check a passcode against.
    const passcode = await s.driver.activateFactor({ stateToken: e.stateToken, factorId: e.factorId, passCode: '123456' })
    expect(code(passcode)).toEqual([403, 'E0000068'])
    const confirmed = await s.driver.duoCallback({ stateToken: e.stateToken, factorId: e.factorId, sig_response: duoResponse(e.signature, 'duo@example.com', inFiveMinutes(s)) })
    expect(confirmed.status).toBe(200)
    expect(body(confirmed)['status']).toBe('MFA_ENROLL_ACTIVATE')
    const done = await s.driver.pollFactorActivation({ stateToken: e.stateToken, factorId: e.factorId })
    expect(body(done)['status']).toBe('SUCCESS')
    expect(body(done)['sessionToken']).toEqual(expect.any(String))
  })

  it('verify: MFA_CHALLENGE waits with Duo\'s request (next polls verify); Duo\'s response, once; the poll → SUCCESS', async () => {
    const s = await system()
    const e = await enrolled(s)
    const started = await s.driver.verifyFactor({ stateToken: e.stateToken, factorId: e.factorId })
    expect(body(started)['status']).toBe('MFA_CHALLENGE')
    const signature = requestOf(started, 'verification', e.factorId)
    expect(links(started)['next']).toEqual({ name: 'poll', href: `${ORIGIN}/api/v1/authn/factors/${e.factorId}/verify`, hints: { allow: ['POST'] } })
    // Polls wait on the same verification; an answer in the body changes nothing.
    const polled = await s.driver.verifyFactor({ stateToken: e.stateToken, factorId: e.factorId, passCode: '123456' })
    expect(body(polled)['status']).toBe('MFA_CHALLENGE')
    expect(requestOf(polled, 'verification', e.factorId)).toBe(signature)
    const sigResponse = duoResponse(signature, 'duo@example.com', inFiveMinutes(s))
    expect((await s.driver.duoCallback({ stateToken: e.stateToken, factorId: e.factorId, id: e.factorId, sig_response: sigResponse })).status).toBe(200)
    // Single use: the same response again is refused.
    expect(code(await s.driver.duoCallback({ stateToken: e.stateToken, factorId: e.factorId, sig_response: sigResponse }))).toEqual([403, 'E0000068'])
    const done = await s.driver.verifyFactor({ stateToken: e.stateToken, factorId: e.factorId })
    expect(body(done)['status']).toBe('SUCCESS')
    // Its session says how: the password, and a factor (Duo's is reported as mfa only), at the poll's time.
    const session = await s.driver.redeemSessionToken({ sessionToken: body(done)['sessionToken'] })
    expect(body(session)).toMatchObject({ amr: ['pwd', 'mfa'], passwordVerifiedAt: expect.any(Number), factorVerifiedAt: s.clock.now() })
    // The finished transaction takes nothing more.
    expect(code(await s.driver.duoCallback({ stateToken: e.stateToken, factorId: e.factorId, sig_response: sigResponse }))[0]).toBe(401)
  })

  it('refused responses: forged, another user\'s, expired, another transaction\'s or another verification\'s; none counts toward lockout', async () => {
    const s = await system()
    const e = await enrolled(s)
    const signature = requestOf(await s.driver.verifyFactor({ stateToken: e.stateToken, factorId: e.factorId }), 'verification', e.factorId)
    const post = (sig_response: string) => s.driver.duoCallback({ stateToken: e.stateToken, factorId: e.factorId, sig_response })
    expect(code(await post(duoResponse(signature, 'duo@example.com', inFiveMinutes(s), 'f'.repeat(40))))).toEqual([403, 'E0000068'])
    expect(code(await post(duoResponse(signature, 'other@example.com', inFiveMinutes(s))))).toEqual([403, 'E0000068'])
    expect(code(await post(duoResponse(signature, 'duo@example.com', Math.floor(s.clock.now() / 1000) - 1)))).toEqual([403, 'E0000068'])
    expect(code(await post('AUTH|garbage'))).toEqual([403, 'E0000068'])
    expect(code(await post(''))).toEqual([403, 'E0000068'])
    // Another transaction of the same user: its request's APP half is bound to its own verification.
    const second = await s.driver.authenticate({ username: 'duo@example.com', password: PASSWORD })
    const otherSignature = requestOf(await s.driver.verifyFactor({ stateToken: body(second)['stateToken'], factorId: e.factorId }), 'verification', e.factorId)
    expect(otherSignature).not.toBe(signature)
    expect(code(await post(duoResponse(otherSignature, 'duo@example.com', inFiveMinutes(s))))).toEqual([403, 'E0000068'])
    // More refusals than the lockout allows (3), and the right response still verifies.
    expect((await post(duoResponse(signature, 'duo@example.com', inFiveMinutes(s)))).status).toBe(200)
    expect(body(await s.driver.verifyFactor({ stateToken: e.stateToken, factorId: e.factorId }))['status']).toBe('SUCCESS')
  })

  it('a verification that timed out takes no response; the next poll starts a new one', async () => {
    const s = await system()
    const e = await enrolled(s)
    const signature = requestOf(await s.driver.verifyFactor({ stateToken: e.stateToken, factorId: e.factorId }), 'verification', e.factorId)
    // The transaction is kept alive (reads) while the verification's 5 minutes run out.
    for (const ms of [100_000, 100_000, 101_000]) {
      s.clock.advance(ms)
      if (ms === 100_000) expect(body(await s.driver.getState({ stateToken: e.stateToken }))['status']).toBe('MFA_CHALLENGE')
    }
    const late = await s.driver.duoCallback({ stateToken: e.stateToken, factorId: e.factorId, sig_response: duoResponse(signature, 'duo@example.com', inFiveMinutes(s)) })
    expect(code(late)).toEqual([403, 'E0000068'])
    const again = await s.driver.verifyFactor({ stateToken: e.stateToken, factorId: e.factorId })
    const renewed = requestOf(again, 'verification', e.factorId)
    expect(renewed).not.toBe(signature)
    expect((await s.driver.duoCallback({ stateToken: e.stateToken, factorId: e.factorId, sig_response: duoResponse(renewed, 'duo@example.com', inFiveMinutes(s)) })).status).toBe(200)
    expect(body(await s.driver.verifyFactor({ stateToken: e.stateToken, factorId: e.factorId }))['status']).toBe('SUCCESS')
  })

  it('the callback and the activation poll outside their states: 403 E0000079; an unknown factor id: 404 E0000007; a missing sig_response: 400 E0000001', async () => {
    const s = await system()
    const e = await enrolled(s)
    // MFA_REQUIRED: no verification started.
    expect(code(await s.driver.duoCallback({ stateToken: e.stateToken, factorId: e.factorId, sig_response: 'x' }))).toEqual([403, 'E0000079'])
    expect(code(await s.driver.pollFactorActivation({ stateToken: e.stateToken, factorId: e.factorId }))).toEqual([403, 'E0000079'])
    expect(code(await s.driver.duoCallback({ stateToken: e.stateToken, factorId: e.factorId }))).toEqual([400, 'E0000001'])
    const signature = requestOf(await s.driver.verifyFactor({ stateToken: e.stateToken, factorId: e.factorId }), 'verification', e.factorId)
    expect(code(await s.driver.duoCallback({ stateToken: e.stateToken, factorId: 'dsfNoSuchFactor00000', sig_response: 'x' }))).toEqual([404, 'E0000007'])
    // Going back from MFA_CHALLENGE drops the verification: a response for it is not taken.
    expect(body(await s.driver.previous({ stateToken: e.stateToken }))['status']).toBe('MFA_REQUIRED')
    expect(code(await s.driver.duoCallback({ stateToken: e.stateToken, factorId: e.factorId, sig_response: duoResponse(signature, 'duo@example.com', inFiveMinutes(s)) }))).toEqual([403, 'E0000079'])
  })
})
