// Step-up authentication with the unmodified okta-auth-js 8 (`@okta/okta-auth-js/authn`) against
// the reference server over real HTTP (spec §4.2, §4.3). The server runs on a manual clock so that
// the TOTP codes computed here are the ones it expects; the apps' return URL is a small local HTTP
// server standing in for the app, so that the SDK's `original` link can be followed to it.
//
// What the SDK offers for step-up, as read from its sources (8.0.1):
// - There is no step-up call. A transaction is started from a state token with `tx.resume({stateToken})`
//   (POST /api/v1/authn {stateToken}) or `tx.introspect({stateToken})` (POST /api/v1/authn/introspect);
//   both accept the token as an argument, so no stored state is needed.
// - It turns every `_links` entry into a function named after the link (`next` by its `name`): the
//   UNAUTHENTICATED `next` link named `authenticate` (POST) becomes `tx.authenticate(args)`, which
//   posts `args` plus the state token to /api/v1/authn; the SUCCESS `next` link named `original`
//   (GET) becomes `tx.original()`, a GET that follows the redirect and parses the app's JSON.
// - `signIn`/`signInWithCredentials` post their options as given, so `stateToken` (declared by its
//   types) and `audience` (not declared) both reach the server.
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type AuthnTransaction, type OktaAuth, type SigninWithCredentialsOptions } from '@okta/okta-auth-js/authn'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import type { RunningServer } from '../src/index.js'
import { checkAnswersAgainstOpenApi } from './openapi-check.js'
import { FACTOR, MAE, MAE_FACTORS, TOTP_SECRET, TRUSTED, codeAt, mfaSeed, startMfaServer, wrongCodeAt, type MfaServer } from './mfa-support.js'
import { createServers, oktaClient, postJson, rejection } from './support.js'

// The `fetch` of the platform, before the OpenAPI check wraps it (see the `original()` test).
const platformFetch = globalThis.fetch
const servers = createServers()
// Every answer these tests receive must match the OpenAPI document (docs/openapi.json).
checkAnswersAgainstOpenApi()
afterEach(() => servers.closeAll())

/** The app the step-ups lead to: it answers JSON and records the requests it received. */
const appVisits: Array<{ readonly url: string; readonly headers: IncomingHttpHeaders }> = []
const appServer = createServer((req, res) => {
  appVisits.push({ url: req.url ?? '', headers: req.headers })
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end(JSON.stringify({ app: 'salesforce', signedIn: true }))
})
let appUrl = ''
beforeAll(async () => {
  await new Promise<void>((resolve) => appServer.listen(0, '127.0.0.1', resolve))
  appUrl = `http://127.0.0.1:${(appServer.address() as AddressInfo).port}`
})
afterAll(async () => {
  await new Promise<void>((resolve, reject) => appServer.close((e) => (e === undefined ? resolve() : reject(e))))
})
afterEach(() => {
  appVisits.splice(0)
})

const APP = { open: '0oaopen0000000001', mfa: '0oamfa00000000001', deny: '0oadeny0000000001' } as const
const LOGO = { href: 'https://apps.example.com/sfdc.png', type: 'image/png' } as const
const returnUrl = () => `${appUrl}/sso/saml?app=sfdc`

const start = (): Promise<MfaServer> =>
  startMfaServer(
    servers.start,
    {
      ...mfaSeed({ maeFactors: [MAE_FACTORS[0] ?? {}] }),
      apps: [
        { id: APP.open, name: 'salesforce', label: 'Corporate SFDC', protocol: 'SAML2.0', returnUrl: returnUrl(), logo: LOGO },
        { id: APP.mfa, name: 'salesforce', label: 'Corporate SFDC', protocol: 'SAML2.0', returnUrl: returnUrl(), logo: LOGO, signOn: { requireFactor: true } },
        { id: APP.deny, name: 'salesforce', label: 'Corporate SFDC', protocol: 'SAML2.0', returnUrl: returnUrl(), signOn: { access: 'DENY' } },
      ],
    },
    { fast: true },
  )

type TxFn = (args?: object) => Promise<unknown>

/** A function okta-auth-js built from a link of `owner`; fails the test when there is none. */
const linkFn = (owner: object, name: string): TxFn => {
  const fn = (owner as Record<string, unknown>)[name]
  if (typeof fn !== 'function') throw new Error(`${JSON.stringify(owner)} has no ${name}()`)
  return fn as TxFn
}
const step = (owner: object, name: string, args?: object) => linkFn(owner, name)(args) as Promise<AuthnTransaction>

/** The raw answer a transaction was built from (okta-auth-js keeps it as `data`, with the response `headers` added). */
const dataOf = (tx: AuthnTransaction) => (tx as AuthnTransaction & { readonly data: Readonly<Record<string, unknown>> }).data

/** The `original` link of a step-up SUCCESS, from the raw answer. */
const originalHref = (tx: AuthnTransaction): string => {
  const next = (dataOf(tx)['_links'] as { readonly next?: { readonly name?: string; readonly href?: string } } | undefined)?.next
  if (next?.name !== 'original' || next.href === undefined) throw new Error(`no original link in ${JSON.stringify(dataOf(tx))}`)
  return next.href
}

/** Opens an SP-initiated step-up as the trusted app server would (okta-auth-js has no call for it). */
const openTicket = async (server: RunningServer, appId: string): Promise<string> => {
  const r = await postJson(`${server.url}/api/v1/apps/${appId}/step-up`, {}, TRUSTED)
  expect(r.status, JSON.stringify(r.body)).toBe(200)
  return String(r.body['stateToken'])
}

/** okta-auth-js posts the sign-in options as given: `audience` reaches the server though its types do not declare it. */
const signInTo = (auth: OktaAuth, audience: string, credentials: { readonly username: string; readonly password: string } = MAE) =>
  auth.signInWithCredentials({ username: credentials.username, password: credentials.password, audience } as SigninWithCredentialsOptions)

/** What okta-auth-js makes of `_embedded.target`: the logo link kept as a link (it has a type). */
const TARGET = { type: 'APP', name: 'salesforce', label: 'Corporate SFDC', logo: { name: 'medium', ...LOGO } }

/** A step-up SUCCESS as okta-auth-js shows it: typed, the user, target and authentication, `original()`, no session token. */
const expectStepUpSuccess = (server: RunningServer, tx: AuthnTransaction, appId: string) => {
  expect(tx.status).toBe('SUCCESS')
  expect(tx.type).toBe('SESSION_STEP_UP')
  expect(tx.sessionToken).toBeUndefined()
  expect(tx.user).toMatchObject({ id: MAE.id, profile: { login: MAE.username } })
  expect(tx.target).toEqual(TARGET)
  expect(tx.authentication).toEqual({ protocol: 'SAML2.0', issuer: { id: appId, name: 'Corporate SFDC', uri: appUrl } })
  expect(typeof linkFn(tx, 'original')).toBe('function')
  expect(typeof tx.cancel).toBe('undefined')
  const href = originalHref(tx)
  expect(href).toBe(`${server.url}/login/step-up/redirect?stateToken=${encodeURIComponent(String(dataOf(tx)['stateToken']))}`)
  return href
}

/** The `original` link, fetched as a browser would be sent there: 302 to the app's return URL. */
const expectRedirect = async (href: string) => {
  const r = await fetch(href, { redirect: 'manual' })
  expect(r.status).toBe(302)
  expect(r.headers.get('location')).toBe(returnUrl())
  expect(r.headers.get('cache-control')).toBe('no-store')
  expect(r.headers.get('referrer-policy')).toBe('no-referrer')
}

/** The TOTP factor okta-auth-js lists in MFA_REQUIRED, with its `verify()`. */
const totpFactor = (tx: AuthnTransaction): Readonly<Record<string, unknown>> => {
  const f = (tx.factors ?? []).find((x) => x['id'] === FACTOR.maeGoogle)
  if (f === undefined) throw new Error(`${tx.status} lists no factor ${FACTOR.maeGoogle}`)
  return f
}

describe('okta-auth-js: SP-initiated step-up (spec §4.2)', () => {
  it('resume a ticket → UNAUTHENTICATED with `authenticate()`; a wrong password is E0000004 and the ticket stays; MFA_REQUIRED → factor verify → SUCCESS; `original()` lands on the app once', async () => {
    const { server, clock } = await start()
    const stateToken = await openTicket(server, APP.mfa)
    const auth = oktaClient(server)

    const tx = await auth.tx.resume({ stateToken })
    expect(tx.status).toBe('UNAUTHENTICATED')
    expect(tx.type).toBe('SESSION_STEP_UP')
    expect(tx.expiresAt).toMatch(/Z$/)
    expect(tx.user).toBeUndefined()
    expect(tx.target).toEqual(TARGET)
    expect(tx.authentication).toEqual({ protocol: 'SAML2.0', issuer: { id: APP.mfa, name: 'Corporate SFDC', uri: appUrl } })
    // Only `authenticate`: no cancel, no other link.
    expect(typeof linkFn(tx, 'authenticate')).toBe('function')
    expect(tx.cancel).toBeUndefined()
    expect(dataOf(tx)['stateToken']).toBe(stateToken)
    // introspect answers the same transaction.
    const introspected = await auth.tx.introspect({ stateToken })
    const { headers: _h1, ...introspectedBody } = dataOf(introspected)
    const { headers: _h2, ...resumedBody } = dataOf(tx)
    expect(introspectedBody).toEqual(resumedBody)

    const wrong = await rejection(step(tx, 'authenticate', { username: MAE.username, password: 'Wrong-Passw0rd-9' }))
    expect([wrong.errorCode, wrong.xhr?.status]).toEqual(['E0000004', 401])
    const mfa = await step(tx, 'authenticate', { username: MAE.username, password: MAE.password })
    expect(mfa.status).toBe('MFA_REQUIRED')
    expect(mfa.type).toBe('SESSION_STEP_UP')
    expect(mfa.target).toEqual(TARGET)
    expect(mfa.authentication).toMatchObject({ protocol: 'SAML2.0' })
    expect(typeof mfa.cancel).toBe('function')

    const factor = totpFactor(mfa)
    const refused = await rejection(step(factor, 'verify', { passCode: await wrongCodeAt(TOTP_SECRET, clock.now()) }))
    expect(refused.errorCode).toBe('E0000068')
    const done = await step(factor, 'verify', { passCode: await codeAt(TOTP_SECRET, clock.now()) })
    expectStepUpSuccess(server, done, APP.mfa)

    // `original()` GETs the link and follows the redirect to the app. The answer it ends with is the
    // app's (200), not the link's, so this one request is made without the OpenAPI check; the 302
    // itself is checked in the other tests.
    const checkingFetch = globalThis.fetch
    vi.stubGlobal('fetch', platformFetch)
    let landed: unknown
    try {
      landed = await linkFn(done, 'original')()
    } finally {
      vi.stubGlobal('fetch', checkingFetch)
    }
    expect(landed).toMatchObject({ app: 'salesforce', signedIn: true })
    expect(appVisits.map((v) => v.url)).toEqual(['/sso/saml?app=sfdc'])
    expect(appVisits[0]?.headers['referer']).toBeUndefined()
    // The link works once.
    const again = await rejection(linkFn(done, 'original')())
    expect([again.errorCode, again.xhr?.status]).toEqual(['E0000011', 401])
    expect(appVisits).toHaveLength(1)
  })

  it('signInWithCredentials({ username, password, stateToken }) on a ticket → SUCCESS typed SESSION_STEP_UP; the `original` link redirects', async () => {
    const { server } = await start()
    const stateToken = await openTicket(server, APP.open)
    const auth = oktaClient(server)
    const wrong = await rejection(auth.signInWithCredentials({ username: MAE.username, password: 'Wrong-Passw0rd-9', stateToken }))
    expect(wrong.errorCode).toBe('E0000004')
    const done = await auth.signInWithCredentials({ username: MAE.username, password: MAE.password, stateToken })
    const href = expectStepUpSuccess(server, done, APP.open)
    await expectRedirect(href)
    // The SDK's session-token redemption gets nothing from it: it carries no session token.
    const asSession = await postJson(`${server.url}/api/v1/sessions`, { sessionToken: dataOf(done)['stateToken'] })
    expect(asSession.status).toBe(401)
  })

  it('a tampered ticket is AuthApiError E0000011; cancel on a ticket is E0000079', async () => {
    const { server } = await start()
    const stateToken = await openTicket(server, APP.open)
    const auth = oktaClient(server)
    const tampered = `${stateToken.slice(0, -2)}${stateToken.endsWith('AA') ? 'BB' : 'AA'}`
    const e = await rejection(auth.tx.resume({ stateToken: tampered }))
    expect([e.errorCode, e.xhr?.status]).toEqual(['E0000011', 401])
    // okta-auth-js offers no cancel on UNAUTHENTICATED (no link); posted as the SDK would post it.
    const cancelled = await rejection(auth.tx.postToTransaction(`${server.url}/api/v1/authn/cancel`, { stateToken }))
    expect([cancelled.errorCode, cancelled.xhr?.status]).toEqual(['E0000079', 403])
    expect((await auth.tx.resume({ stateToken })).status).toBe('UNAUTHENTICATED')
  })
})

describe('okta-auth-js: IdP-initiated step-up with `audience` (spec §4.3)', () => {
  it('signInWithCredentials({ username, password, audience }) → SUCCESS typed SESSION_STEP_UP with `original`; the link redirects once', async () => {
    const { server } = await start()
    const auth = oktaClient(server)
    const done = await signInTo(auth, APP.open)
    const href = expectStepUpSuccess(server, done, APP.open)
    await expectRedirect(href)
    const again = await fetch(href, { redirect: 'manual' })
    expect(again.status).toBe(401)
    expect(((await again.json()) as Record<string, unknown>)['errorCode']).toBe('E0000011')
  })

  it('to an app that asks for a factor: MFA_REQUIRED typed SESSION_STEP_UP → factor verify → SUCCESS with `original`', async () => {
    const { server, clock } = await start()
    const auth = oktaClient(server)
    const mfa = await signInTo(auth, APP.mfa)
    expect(mfa.status).toBe('MFA_REQUIRED')
    expect(mfa.type).toBe('SESSION_STEP_UP')
    expect(mfa.target).toEqual(TARGET)
    const done = await step(totpFactor(mfa), 'verify', { passCode: await codeAt(TOTP_SECRET, clock.now()) })
    await expectRedirect(expectStepUpSuccess(server, done, APP.mfa))
  })

  it('an unknown audience is AuthApiError E0000001 with its cause; a denying app E0000004', async () => {
    const { server } = await start()
    const auth = oktaClient(server)
    const unknown = await rejection(signInTo(auth, '0oanope0000000001'))
    expect([unknown.errorCode, unknown.errorSummary, unknown.xhr?.status]).toEqual(['E0000001', 'Api validation failed: authRequest', 400])
    expect(unknown.errorCauses).toEqual([{ errorSummary: "Invalid or unknown audience '0oanope0000000001'." }])
    const denied = await rejection(signInTo(auth, APP.deny))
    expect([denied.errorCode, denied.xhr?.status]).toEqual(['E0000004', 401])
  })
})
