// Step-up authentication (spec §3.2 UNAUTHENTICATED, §4.1 audience, §4.2, §4.3, §6.7, §6.8) on the
// reference server over real HTTP with plain `fetch`: IdP-initiated (`audience`), SP-initiated (a
// trusted caller opens a ticket, the sign-in page resumes it), and the one-time `original` link
// that redirects to the app's configured return URL. The server runs on a manual clock so that the
// TOTP codes computed here are the ones it expects. Every API answer is checked against the
// OpenAPI document.
import { afterEach, describe, expect, it } from 'vitest'
import type { RunningServer } from '../src/index.js'
import { checkAnswersAgainstOpenApi } from './openapi-check.js'
import {
  FACTOR,
  MAE,
  MAE_FACTORS,
  STEP_MS,
  TOTP_SECRET,
  TRUSTED,
  authnClient,
  codeAt,
  embeddedOf,
  linksOf,
  mfaSeed,
  startMfaServer,
  wrongCodeAt,
  type Answer,
  type Json,
  type MfaServer,
} from './mfa-support.js'
import { createServers, postJson } from './support.js'

const servers = createServers()
// Every answer these tests receive must match the OpenAPI document (docs/openapi.json).
checkAnswersAgainstOpenApi()
afterEach(() => servers.closeAll())

const RETURN_URL = 'https://apps.example.com/saml/acs?app=sfdc'
const LOGO = { href: 'https://apps.example.com/sfdc.png', type: 'image/png' } as const
const APP = {
  open: '0oaopen0000000001',
  mfa: '0oamfa00000000001',
  deny: '0oadeny0000000001',
  off: '0oaoff00000000001',
  wsfed: '0oawsfed000000001',
} as const
/** A user without factors: an app that asks for one sends her to MFA_ENROLL. */
const NORA = { id: '00unofactor00000001', username: 'nora.none@example.com', password: 'Nora-Passw0rd-3' } as const

const sfdc = (id: string, more: Json = {}): Json => ({ id, name: 'salesforce', label: 'Corporate SFDC', protocol: 'SAML2.0', returnUrl: RETURN_URL, logo: LOGO, ...more })

const stepUpSeed = () => {
  const base = mfaSeed({
    maeFactors: [MAE_FACTORS[0] ?? {}],
    policies: { enrollment: { factors: [{ factorType: 'token:software:totp', provider: 'GOOGLE', enroll: 'OPTIONAL' }] } },
  })
  return {
    ...base,
    users: [...base.users, { id: NORA.id, login: NORA.username, firstName: 'Nora', lastName: 'None', password: NORA.password, factors: [] }],
    apps: [
      sfdc(APP.open),
      sfdc(APP.mfa, { signOn: { requireFactor: true, factorLifetimeMinutes: 15 } }),
      sfdc(APP.deny, { signOn: { access: 'DENY' } }),
      sfdc(APP.off, { status: 'INACTIVE' }),
      {
        id: APP.wsfed,
        name: 'wsfed_app',
        label: 'Expenses',
        protocol: 'WS-FED',
        returnUrl: 'https://expenses.example.com/wsfed',
        logo: null,
        issuer: { id: 'exk1wsfed', name: 'Expenses IdP', uri: 'urn:example:expenses' },
      },
    ],
  }
}

const TARGET = { type: 'APP', name: 'salesforce', label: 'Corporate SFDC', _links: { logo: { name: 'medium', ...LOGO } } }
const AUTHENTICATION = (appId: string) => ({ protocol: 'SAML2.0', issuer: { id: appId, name: 'Corporate SFDC', uri: 'https://apps.example.com' } })

const start = (): Promise<MfaServer> => startMfaServer(servers.start, stepUpSeed(), { fast: true })

/** The one-time token in the `original` link of a step-up SUCCESS. */
const originalToken = (r: Answer): string => {
  const next = linksOf(r)['next'] as { readonly href?: string } | undefined
  if (next?.href === undefined) throw new Error(`no original link in ${JSON.stringify(r.body)}`)
  return new URL(next.href).searchParams.get('stateToken') ?? ''
}

/** Follows a URL without following its redirect. */
const getManual = async (url: string): Promise<{ readonly status: number; readonly headers: Headers; readonly text: string }> => {
  const r = await fetch(url, { method: 'GET', redirect: 'manual', headers: { accept: 'application/json' } })
  return { status: r.status, headers: r.headers, text: await r.text() }
}

const redirectUrl = (server: RunningServer, token: string) => `${server.url}/login/step-up/redirect?stateToken=${encodeURIComponent(token)}`

/** The `original` link answers 302 to `location` with no body, no caching and no referrer. */
const expectRedirectTo = async (server: RunningServer, token: string, location: string) => {
  const r = await getManual(redirectUrl(server, token))
  expect(r.status, r.text).toBe(302)
  expect(r.headers.get('location')).toBe(location)
  expect(r.headers.get('cache-control')).toBe('no-store')
  expect(r.headers.get('referrer-policy')).toBe('no-referrer')
  expect(r.text).toBe('')
}

/** A second use (or any unknown token) is 401 E0000011, as JSON. */
const expectRedirectRefused = async (server: RunningServer, token: string) => {
  const r = await getManual(redirectUrl(server, token))
  expect(r.status).toBe(401)
  expect(r.headers.get('location')).toBeNull()
  expect(r.headers.get('content-type')).toMatch(/^application\/json/)
  expect(JSON.parse(r.text)).toMatchObject({ errorCode: 'E0000011', errorSummary: 'Invalid token provided' })
}

/** A step-up SUCCESS: typed, with the user, target and authentication, the `original` link, and no session token. */
const expectStepUpSuccess = (server: RunningServer, r: Answer, user: { readonly id: string; readonly username: string }, appId: string = APP.open) => {
  expect(r.status, JSON.stringify(r.body)).toBe(200)
  expect(r.body).toMatchObject({ type: 'SESSION_STEP_UP', status: 'SUCCESS' })
  expect(r.body['sessionToken']).toBeUndefined()
  expect(typeof r.body['stateToken']).toBe('string')
  expect(r.body['expiresAt']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/)
  const embedded = embeddedOf(r)
  expect(Object.keys(embedded).sort()).toEqual(['authentication', 'target', 'user'])
  expect(embedded['user']).toMatchObject({ id: user.id, profile: { login: user.username } })
  expect(embedded['target']).toEqual(TARGET)
  expect(embedded['authentication']).toEqual(AUTHENTICATION(appId))
  const token = String(r.body['stateToken'])
  expect(linksOf(r)).toEqual({ next: { name: 'original', href: redirectUrl(server, token), hints: { allow: ['GET'] } } })
  expect(originalToken(r)).toBe(token)
  return token
}

const ERROR_KEYS = ['errorCauses', 'errorCode', 'errorId', 'errorLink', 'errorSummary']

describe('IdP-initiated step-up: POST /api/v1/authn with `audience` (spec §4.3)', () => {
  it('an app that allows sign-in → SUCCESS typed SESSION_STEP_UP with `original`; the link redirects once; its token is no session token', async () => {
    const { server } = await start()
    const api = authnClient(server)
    const r = await api.signIn(MAE, { audience: APP.open })
    const token = expectStepUpSuccess(server, r, MAE)

    // Not a session token, not a transaction's state token; neither attempt spends it.
    const asSession = await postJson(`${server.url}/api/v1/sessions`, { sessionToken: token })
    expect([asSession.status, asSession.body['errorCode']]).toEqual([401, 'E0000004'])
    const asState = await api.post('/api/v1/authn', { stateToken: token })
    expect([asState.status, asState.body['errorCode']]).toEqual([401, 'E0000011'])

    await expectRedirectTo(server, token, RETURN_URL)
    await expectRedirectRefused(server, token)
    // Spent, it is no session token either.
    const after = await postJson(`${server.url}/api/v1/sessions`, { sessionToken: token })
    expect(after.status).toBe(401)
  })

  it('each SUCCESS gets its own token; the target and authentication come from the app (WS-Fed, no logo, own issuer)', async () => {
    const { server } = await start()
    const api = authnClient(server)
    const a = await api.signIn(MAE, { audience: APP.open })
    const b = await api.signIn(MAE, { audience: APP.open })
    expect(originalToken(a)).not.toBe(originalToken(b))
    await expectRedirectTo(server, originalToken(b), RETURN_URL)
    await expectRedirectTo(server, originalToken(a), RETURN_URL)

    const w = await api.signIn(MAE, { audience: APP.wsfed })
    expect(w.body).toMatchObject({ type: 'SESSION_STEP_UP', status: 'SUCCESS' })
    expect(embeddedOf(w)['target']).toEqual({ type: 'APP', name: 'wsfed_app', label: 'Expenses', _links: {} })
    expect(embeddedOf(w)['authentication']).toEqual({ protocol: 'WS-FED', issuer: { id: 'exk1wsfed', name: 'Expenses IdP', uri: 'urn:example:expenses' } })
    await expectRedirectTo(server, originalToken(w), 'https://expenses.example.com/wsfed')
  })

  it('an unknown audience is 400 E0000001 "Invalid or unknown audience", an inactive app "Sign in not allowed for app", a denying app 401 E0000004', async () => {
    const { server } = await start()
    const api = authnClient(server)
    const unknown = await api.signIn(MAE, { audience: '0oanope0000000001' })
    expect(unknown.status).toBe(400)
    expect(Object.keys(unknown.body).sort()).toEqual(ERROR_KEYS)
    expect(unknown.body).toMatchObject({
      errorCode: 'E0000001',
      errorSummary: 'Api validation failed: authRequest',
      errorCauses: [{ errorSummary: "Invalid or unknown audience '0oanope0000000001'." }],
    })
    // The audience is checked before the password.
    const unknownWrong = await api.signIn({ ...MAE, password: 'Wrong-Passw0rd-9' }, { audience: '0oanope0000000001' })
    expect([unknownWrong.status, unknownWrong.body['errorCode']]).toEqual([400, 'E0000001'])

    const inactive = await api.signIn(MAE, { audience: APP.off })
    expect(inactive.status).toBe(400)
    expect(inactive.body).toMatchObject({
      errorCode: 'E0000001',
      errorSummary: 'Api validation failed: authRequest',
      errorCauses: [{ errorSummary: `Sign in not allowed for app '${APP.off}'.` }],
    })

    const denied = await api.signIn(MAE, { audience: APP.deny })
    expect([denied.status, denied.body['errorCode'], denied.body['errorSummary']]).toEqual([401, 'E0000004', 'Authentication failed'])

    // A wrong password to an allowing app is the usual 401; the same user signs in without an audience.
    const wrong = await api.signIn({ ...MAE, password: 'Wrong-Passw0rd-9' }, { audience: APP.open })
    expect([wrong.status, wrong.body['errorCode']]).toEqual([401, 'E0000004'])
    const plain = await api.signIn(MAE)
    expect(plain.body['status']).toBe('SUCCESS')
    expect(plain.body['type']).toBeUndefined()
    expect(typeof plain.body['sessionToken']).toBe('string')
  })

  it('an app that asks for a factor → MFA_REQUIRED typed SESSION_STEP_UP with target and authentication; a wrong code is 403, the right one SUCCESS with `original`', async () => {
    const { server, clock } = await start()
    const api = authnClient(server)
    const r = await api.signIn(MAE, { audience: APP.mfa })
    expect(r.status, JSON.stringify(r.body)).toBe(200)
    expect(r.body).toMatchObject({ type: 'SESSION_STEP_UP', status: 'MFA_REQUIRED' })
    expect(r.body['sessionToken']).toBeUndefined()
    const embedded = embeddedOf(r)
    expect(embedded['target']).toEqual(TARGET)
    expect(embedded['authentication']).toEqual(AUTHENTICATION(APP.mfa))
    expect(embedded['user']).toMatchObject({ id: MAE.id })
    expect((embedded['factors'] as ReadonlyArray<Json>).map((f) => f['id'])).toEqual([FACTOR.maeGoogle])
    expect(linksOf(r)['cancel']).toBeDefined()
    const stateToken = r.body['stateToken']
    const verify = `/api/v1/authn/factors/${FACTOR.maeGoogle}/verify`

    const wrong = await api.post(verify, { stateToken, passCode: await wrongCodeAt(TOTP_SECRET, clock.now()) })
    expect([wrong.status, wrong.body['errorCode']]).toEqual([403, 'E0000068'])
    const ok = await api.post(verify, { stateToken, passCode: await codeAt(TOTP_SECRET, clock.now()) })
    const token = expectStepUpSuccess(server, ok, MAE, APP.mfa)
    await expectRedirectTo(server, token, RETURN_URL)
    await expectRedirectRefused(server, token)
  })

  it('a user without factors to an app that asks for one → MFA_ENROLL typed SESSION_STEP_UP; enrolling TOTP ends in SUCCESS with `original`', async () => {
    const { server, clock } = await start()
    const api = authnClient(server)
    const r = await api.signIn(NORA, { audience: APP.mfa })
    expect(r.status, JSON.stringify(r.body)).toBe(200)
    expect(r.body).toMatchObject({ type: 'SESSION_STEP_UP', status: 'MFA_ENROLL' })
    expect(embeddedOf(r)['target']).toEqual(TARGET)
    expect(embeddedOf(r)['authentication']).toEqual(AUTHENTICATION(APP.mfa))
    const stateToken = r.body['stateToken']
    const enrolling = await api.post('/api/v1/authn/factors', { stateToken, factorType: 'token:software:totp', provider: 'GOOGLE' })
    expect(enrolling.body).toMatchObject({ type: 'SESSION_STEP_UP', status: 'MFA_ENROLL_ACTIVATE' })
    const factor = embeddedOf(enrolling)['factor'] as Json
    const secret = String(((factor['_embedded'] as Json)['activation'] as Json)['sharedSecret'])
    const activated = await api.post(`/api/v1/authn/factors/${String(factor['id'])}/lifecycle/activate`, { stateToken, passCode: await codeAt(secret, clock.now()) })
    const token = expectStepUpSuccess(server, activated, NORA, APP.mfa)
    await expectRedirectTo(server, token, RETURN_URL)
  })

  it('the redirect: no token is 400 E0000001, an unknown one 401 E0000011', async () => {
    const { server } = await start()
    for (const url of [`${server.url}/login/step-up/redirect`, `${server.url}/login/step-up/redirect?stateToken=`]) {
      const r = await getManual(url)
      expect(r.status, url).toBe(400)
      expect(r.headers.get('location')).toBeNull()
      expect(JSON.parse(r.text)).toMatchObject({ errorCode: 'E0000001' })
    }
    await expectRedirectRefused(server, 'not-a-token')
  })
})

describe('SP-initiated step-up: a trusted caller opens a ticket, the sign-in page resumes it (spec §4.2)', () => {
  const open = (server: RunningServer, appId: string, body: Json = {}, headers: Record<string, string> = TRUSTED) =>
    postJson(`${server.url}/api/v1/apps/${appId}/step-up`, body, headers)

  it('only a trusted caller opens a ticket: no API token, or a wrong one, is 401 E0000011', async () => {
    const { server } = await start()
    const none = await open(server, APP.open, {}, {})
    expect([none.status, none.body['errorCode']]).toEqual([401, 'E0000011'])
    const wrong = await open(server, APP.open, {}, { authorization: 'SSWS not-the-api-token-0123456789' })
    expect([wrong.status, wrong.body['errorCode']]).toEqual([401, 'E0000011'])
  })

  it('UNAUTHENTICATED: state token, type, expiry, target, authentication and `authenticate`; POST /authn {stateToken} and introspect answer the same', async () => {
    const { server, clock } = await start()
    const opened = await open(server, APP.open)
    expect(opened.status, JSON.stringify(opened.body)).toBe(200)
    expect(Object.keys(opened.body).sort()).toEqual(['_embedded', '_links', 'expiresAt', 'stateToken', 'status', 'type'])
    expect(opened.body).toMatchObject({ type: 'SESSION_STEP_UP', status: 'UNAUTHENTICATED' })
    expect(typeof opened.body['stateToken']).toBe('string')
    expect(Date.parse(String(opened.body['expiresAt']))).toBeGreaterThan(clock.now())
    expect(opened.body['_embedded']).toEqual({ target: TARGET, authentication: AUTHENTICATION(APP.open) })
    expect(opened.body['_links']).toEqual({ next: { name: 'authenticate', href: `${server.url}/api/v1/authn`, hints: { allow: ['POST'] } } })

    const api = authnClient(server)
    const stateToken = opened.body['stateToken']
    const resumed = await api.post('/api/v1/authn', { stateToken })
    expect(resumed.status).toBe(200)
    expect(resumed.body).toEqual(opened.body)
    const introspected = await api.post('/api/v1/authn/introspect', { stateToken })
    expect(introspected.body).toEqual(opened.body)
  })

  it('a wrong password is 401 E0000004 and the ticket still works → SUCCESS with `original`; cancel is 403 E0000079; a tampered ticket 401 E0000011', async () => {
    const { server } = await start()
    const api = authnClient(server)
    const stateToken = String((await open(server, APP.open)).body['stateToken'])

    const cancel = await api.post('/api/v1/authn/cancel', { stateToken })
    expect([cancel.status, cancel.body['errorCode']]).toEqual([403, 'E0000079'])

    const tampered = `${stateToken.slice(0, -2)}${stateToken.endsWith('AA') ? 'BB' : 'AA'}`
    for (const body of [{ stateToken: tampered }, { stateToken: tampered, username: MAE.username, password: MAE.password }]) {
      const r = await api.post('/api/v1/authn', body)
      expect([r.status, r.body['errorCode']]).toEqual([401, 'E0000011'])
    }

    const wrong = await api.post('/api/v1/authn', { stateToken, username: MAE.username, password: 'Wrong-Passw0rd-9' })
    expect([wrong.status, wrong.body['errorCode'], wrong.body['errorSummary']]).toEqual([401, 'E0000004', 'Authentication failed'])
    expect((await api.post('/api/v1/authn', { stateToken })).body['status']).toBe('UNAUTHENTICATED')

    const ok = await api.post('/api/v1/authn', { stateToken, username: MAE.username, password: MAE.password })
    const token = expectStepUpSuccess(server, ok, MAE)
    const asSession = await postJson(`${server.url}/api/v1/sessions`, { sessionToken: token })
    expect([asSession.status, asSession.body['errorCode']]).toEqual([401, 'E0000004'])
    await expectRedirectTo(server, token, RETURN_URL)
    await expectRedirectRefused(server, token)
  })

  it('to an app that asks for a factor: credentials → MFA_REQUIRED typed SESSION_STEP_UP → TOTP → SUCCESS with `original`', async () => {
    const { server, clock } = await start()
    const api = authnClient(server)
    const stateToken = String((await open(server, APP.mfa)).body['stateToken'])
    const mfa = await api.post('/api/v1/authn', { stateToken, username: MAE.username, password: MAE.password })
    expect(mfa.status, JSON.stringify(mfa.body)).toBe(200)
    expect(mfa.body).toMatchObject({ type: 'SESSION_STEP_UP', status: 'MFA_REQUIRED' })
    expect(embeddedOf(mfa)['target']).toEqual(TARGET)
    expect(embeddedOf(mfa)['authentication']).toEqual(AUTHENTICATION(APP.mfa))
    const ok = await api.post(`/api/v1/authn/factors/${FACTOR.maeGoogle}/verify`, { stateToken: mfa.body['stateToken'], passCode: await codeAt(TOTP_SECRET, clock.now()) })
    const token = expectStepUpSuccess(server, ok, MAE, APP.mfa)
    await expectRedirectTo(server, token, RETURN_URL)
  })

  it('for a user the caller knows: SUCCESS at once, or MFA_REQUIRED when no factor was verified within the app\'s lifetime', async () => {
    const { server, clock } = await start()
    const api = authnClient(server)
    const direct = await open(server, APP.open, { login: MAE.username })
    const token = expectStepUpSuccess(server, direct, MAE)
    await expectRedirectTo(server, token, RETURN_URL)

    const recent = await open(server, APP.mfa, { login: MAE.username, factorVerifiedAt: new Date(clock.now() - 5 * 60_000).toISOString() })
    expectStepUpSuccess(server, recent, MAE, APP.mfa)

    const stale = await open(server, APP.mfa, { login: MAE.username, factorVerifiedAt: new Date(clock.now() - 20 * 60_000).toISOString() })
    expect(stale.body).toMatchObject({ type: 'SESSION_STEP_UP', status: 'MFA_REQUIRED' })
    const none = await open(server, APP.mfa, { login: MAE.username })
    expect(none.body).toMatchObject({ type: 'SESSION_STEP_UP', status: 'MFA_REQUIRED' })
    expect(embeddedOf(none)['target']).toEqual(TARGET)

    clock.advance(STEP_MS)
    const ok = await api.post(`/api/v1/authn/factors/${FACTOR.maeGoogle}/verify`, { stateToken: none.body['stateToken'], passCode: await codeAt(TOTP_SECRET, clock.now()) })
    await expectRedirectTo(server, expectStepUpSuccess(server, ok, MAE, APP.mfa), RETURN_URL)
  })

  it('a user suspended after a SUCCESS cannot follow its `original` link (401 E0000011), nor have a step-up opened for her (401 E0000004)', async () => {
    const { server } = await start()
    const issued = await open(server, APP.open, { login: MAE.username })
    const token = expectStepUpSuccess(server, issued, MAE)
    const suspended = await postJson(`${server.url}/api/v1/users/${MAE.id}/lifecycle/suspend`, {}, TRUSTED)
    expect(suspended.status, JSON.stringify(suspended.body)).toBe(200)
    await expectRedirectRefused(server, token)
    const refused = await open(server, APP.open, { login: MAE.username })
    expect([refused.status, refused.body['errorCode']]).toEqual([401, 'E0000004'])
  })

  it('opening refusals: unknown app or login 404 E0000007, inactive app or a bad date 400 E0000001, a denying app 401 E0000004', async () => {
    const { server } = await start()
    const outcome = async (appId: string, body: Json = {}) => {
      const r = await open(server, appId, body)
      return [r.status, r.body['errorCode']]
    }
    expect(await outcome('0oanope0000000001')).toEqual([404, 'E0000007'])
    expect(await outcome(APP.open, { login: 'nobody@example.com' })).toEqual([404, 'E0000007'])
    expect(await outcome(APP.off)).toEqual([400, 'E0000001'])
    expect(await outcome(APP.open, { login: MAE.username, factorVerifiedAt: 'yesterday' })).toEqual([400, 'E0000001'])
    expect(await outcome(APP.deny, { login: MAE.username })).toEqual([401, 'E0000004'])
  })
})
