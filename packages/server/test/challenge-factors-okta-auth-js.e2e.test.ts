// WebAuthn and U2F (docs/adr/0029-challenge-factors.md) with the unmodified okta-auth-js 8
// (`@okta/okta-auth-js/authn`) against the reference server over real HTTP. The browser's part is
// played by the software authenticators of the factor packages: they sign for the origin the
// server's links use (scheme, host and port of the `_links` hrefs), with that host as the RP ID
// (WebAuthn) or that origin as the app id (U2F). okta-auth-js flattens `factor._embedded.activation`
// to `tx.factor.activation` and `factor._embedded.challenge` to `tx.factor.challenge`; the answers
// are posted through the transaction's own `activate()` and `verify()`.
import type { AuthnTransaction } from '@okta/okta-auth-js/authn'
import { afterEach, describe, expect, it } from 'vitest'
import type { RunningServer } from '../src/index.js'
import { createSoftAuthenticator } from '../../factor-webauthn/test/authenticator.js'
import { createSoftwareToken } from '../../factor-u2f/test/token.js'
import { MAE, mfaSeed, startMfaServer } from './mfa-support.js'
import { checkAnswersAgainstOpenApi } from './openapi-check.js'
import { factorOf, factorOfType, factorsOf, follow, type Json } from './okta-factors.js'
import { createServers, oktaClient, postJson, rejection } from './support.js'

/** What a sign-in form posts (MAE also carries the user id, which okta-auth-js would post as given). */
const CREDENTIALS = { username: MAE.username, password: MAE.password }

const servers = createServers()
// Every answer these tests receive must match the OpenAPI document (docs/openapi.json).
checkAnswersAgainstOpenApi()
afterEach(() => servers.closeAll())

/** The raw answer okta-auth-js keeps (`tx.data`): for what it does not flatten, such as `_links`. */
const rawOf = (tx: AuthnTransaction): Json => {
  const data = (tx as AuthnTransaction & { data?: Json }).data
  if (data === undefined) throw new Error('no raw answer')
  return data
}

/** The origin (scheme, host, port) of the answer's links (`next`, else `cancel`): the origin the server's links use. */
const linkOrigin = (tx: AuthnTransaction): URL => {
  const links = (rawOf(tx)['_links'] ?? {}) as Json
  const hrefs = ['next', 'cancel'].map((name) => (links[name] as Json | undefined)?.['href']).filter((h): h is string => typeof h === 'string')
  const [href] = hrefs
  if (href === undefined) throw new Error(`${String(tx.status)} has neither a next nor a cancel link`)
  return new URL(href)
}

const embeddedFactor = (tx: AuthnTransaction): Json => ((rawOf(tx)['_embedded'] as Json)['factor'] ?? {}) as Json

/** Redeems a session token at POST /api/v1/sessions, as Okta's apps do; answers the session's status and user id. */
const redeem = async (server: RunningServer, sessionToken: unknown) => {
  const r = await postJson(`${server.url}/api/v1/sessions`, { sessionToken })
  return [r.status, r.body['status'], r.body['userId']]
}

const startServer = async (factorType: 'webauthn' | 'u2f') =>
  (
    await startMfaServer(
      servers.start,
      mfaSeed({ policies: { signOn: { requireFactor: true }, enrollment: { factors: [{ factorType, provider: 'FIDO', enroll: 'REQUIRED' }] } } }),
      { fast: true },
    )
  ).server

describe('WebAuthn (webauthn/FIDO) with okta-auth-js', () => {
  /** Signs in (MFA_ENROLL), enrolls and activates a software authenticator; answers it, the factor id and the links' origin. */
  const enrollWebauthn = async (server: RunningServer) => {
    const auth = oktaClient(server)
    const enroll = await auth.signInWithCredentials(CREDENTIALS)
    expect(enroll.status).toBe('MFA_ENROLL')
    expect(enroll.skip).toBeUndefined()
    const offered = factorOfType(enroll, 'webauthn', 'FIDO')
    expect(offered).toMatchObject({ factorType: 'webauthn', provider: 'FIDO', vendorName: 'FIDO', status: 'NOT_SETUP', enrollment: 'REQUIRED' })
    const origin = linkOrigin(enroll)
    expect(origin.origin).toBe(server.publicUrl)

    const activate = await follow(offered, 'enroll')
    expect(activate.status).toBe('MFA_ENROLL_ACTIVATE')
    const factor = factorOf(activate)
    expect(factor).toMatchObject({ factorType: 'webauthn', provider: 'FIDO' })
    const factorId = String(factor.id)
    // The creation options, flattened from `factor._embedded.activation` (raw: the same object).
    const options = factor.activation
    if (options === undefined) throw new Error('MFA_ENROLL_ACTIVATE has no factor.activation')
    expect(options).toEqual((embeddedFactor(activate)['_embedded'] as Json)['activation'])
    expect(options).toMatchObject({ attestation: 'direct', user: { name: MAE.username }, challenge: expect.stringMatching(/^[A-Za-z0-9]{20}$/) })
    for (const fn of ['activate', 'prev', 'cancel']) expect(typeof (activate as unknown as Record<string, unknown>)[fn]).toBe('function')

    const authenticator = createSoftAuthenticator({ alg: 'ES256', fmt: 'packed', rpId: origin.hostname, freshKey: true })
    const done = await follow(activate, 'activate', authenticator.create({ challenge: String(options['challenge']), origin: origin.origin }))
    expect(done.status).toBe('SUCCESS')
    expect(done.sessionToken).toMatch(/^20111/)
    expect(await redeem(server, done.sessionToken)).toEqual([200, 'ACTIVE', MAE.id])
    return { auth, authenticator, factorId, origin }
  }

  it('signInWithCredentials → MFA_ENROLL → enroll() → activation (creation options) → activate({ attestation, clientData }) → SUCCESS; then MFA_REQUIRED → verify() → MFA_CHALLENGE → verify({ clientData, authenticatorData, signatureData }) → SUCCESS, and the session token is redeemed', async () => {
    const server = await startServer('webauthn')
    const { auth, authenticator, factorId, origin } = await enrollWebauthn(server)

    const required = await auth.signInWithCredentials(CREDENTIALS)
    expect(required.status).toBe('MFA_REQUIRED')
    expect(factorsOf(required).map((f) => [f.id, f.factorType, f.provider, f.profile?.['credentialId']])).toEqual([[factorId, 'webauthn', 'FIDO', authenticator.id]])
    const enrolled = factorsOf(required)[0] ?? { factorType: '', provider: '' }

    // verify() with no answer: the server issues a nonce.
    const challenged = await follow(enrolled, 'verify')
    expect(challenged.status).toBe('MFA_CHALLENGE')
    const challenge = factorOf(challenged).challenge
    if (challenge === undefined) throw new Error('MFA_CHALLENGE has no factor.challenge')
    expect(challenge).toEqual((embeddedFactor(challenged)['_embedded'] as Json)['challenge'])
    expect(challenge['challenge']).toMatch(/^[A-Za-z0-9]{20}$/)
    expect(factorOf(challenged).id).toBe(factorId)
    expect(linkOrigin(challenged).origin).toBe(origin.origin)
    for (const fn of ['verify', 'prev', 'cancel']) expect(typeof (challenged as unknown as Record<string, unknown>)[fn]).toBe('function')

    const verified = await follow(challenged, 'verify', authenticator.get({ challenge: String(challenge['challenge']), origin: origin.origin }))
    expect(verified.status).toBe('SUCCESS')
    expect(verified.sessionToken).toMatch(/^20111/)
    expect(verified.user).toMatchObject({ id: MAE.id })
    expect(await redeem(server, verified.sessionToken)).toEqual([200, 'ACTIVE', MAE.id])
  })

  it('an assertion over another challenge is AuthApiError 403 E0000068; the transaction stays in MFA_CHALLENGE and the assertion over its own nonce then succeeds', async () => {
    const server = await startServer('webauthn')
    const { auth, authenticator, origin } = await enrollWebauthn(server)

    const required = await auth.signInWithCredentials(CREDENTIALS)
    const challenged = await follow(factorOfType(required, 'webauthn', 'FIDO'), 'verify')
    expect(challenged.status).toBe('MFA_CHALLENGE')
    const nonce = String(factorOf(challenged).challenge?.['challenge'])
    const other = nonce === 'AAAAAAAAAAAAAAAAAAAA' ? 'BBBBBBBBBBBBBBBBBBBB' : 'AAAAAAAAAAAAAAAAAAAA'

    const wrong = await rejection(follow(challenged, 'verify', authenticator.get({ challenge: other, origin: origin.origin })))
    expect([wrong.xhr?.status, wrong.errorCode, wrong.errorSummary]).toEqual([403, 'E0000068', 'Invalid Passcode/Answer'])
    const resumed = await auth.tx.resume()
    expect(resumed.status).toBe('MFA_CHALLENGE')

    const verified = await follow(challenged, 'verify', authenticator.get({ challenge: nonce, origin: origin.origin }))
    expect(verified.status).toBe('SUCCESS')
  })
})

describe('U2F (u2f/FIDO) with okta-auth-js', () => {
  /** Signs in (MFA_ENROLL), enrolls and activates a software token; answers it, the key handle and the links' origin. */
  const enrollU2f = async (server: RunningServer) => {
    const auth = oktaClient(server)
    const enroll = await auth.signInWithCredentials(CREDENTIALS)
    expect(enroll.status).toBe('MFA_ENROLL')
    const offered = factorOfType(enroll, 'u2f', 'FIDO')
    expect(offered).toMatchObject({ factorType: 'u2f', provider: 'FIDO', status: 'NOT_SETUP', enrollment: 'REQUIRED' })
    const origin = linkOrigin(enroll).origin
    expect(origin).toBe(server.publicUrl)

    const activate = await follow(offered, 'enroll')
    expect(activate.status).toBe('MFA_ENROLL_ACTIVATE')
    const factor = factorOf(activate)
    expect(factor).toMatchObject({ factorType: 'u2f', provider: 'FIDO' })
    // The registration request, flattened from `factor._embedded.activation`: the app id is the links' origin.
    expect(factor.activation).toEqual({ version: 'U2F_V2', appId: origin, nonce: expect.stringMatching(/^[A-Za-z0-9]{20}$/), timeoutSeconds: 20 })
    const token = createSoftwareToken()
    const done = await follow(activate, 'activate', token.register(origin, String(factor.activation?.['nonce'])))
    expect(done.status).toBe('SUCCESS')
    expect(done.sessionToken).toMatch(/^20111/)
    expect(await redeem(server, done.sessionToken)).toEqual([200, 'ACTIVE', MAE.id])
    return { auth, token, factorId: String(factor.id), origin }
  }

  /** A new sign-in → MFA_REQUIRED → verify() with no answer → MFA_CHALLENGE; answers the challenge, the nonce and the key handle. */
  const challenge = async (auth: ReturnType<typeof oktaClient>, factorId: string, origin: string) => {
    const required = await auth.signInWithCredentials(CREDENTIALS)
    expect(required.status).toBe('MFA_REQUIRED')
    const [listed] = factorsOf(required)
    expect(listed).toMatchObject({ id: factorId, factorType: 'u2f', provider: 'FIDO', profile: { appId: origin, version: 'U2F_V2', credentialId: expect.any(String) } })
    const keyHandle = String(listed?.profile?.['credentialId'])
    const challenged = await follow(listed ?? {}, 'verify')
    expect(challenged.status).toBe('MFA_CHALLENGE')
    const issued = factorOf(challenged).challenge
    expect(issued).toEqual({ nonce: expect.stringMatching(/^[A-Za-z0-9]{20}$/), timeoutSeconds: 20 })
    expect(issued).toEqual((embeddedFactor(challenged)['_embedded'] as Json)['challenge'])
    return { challenged, nonce: String(issued?.['nonce']), keyHandle }
  }

  it('signInWithCredentials → MFA_ENROLL → enroll() → activation (registration request) → activate({ registrationData, clientData }) → SUCCESS; then MFA_REQUIRED → verify() → MFA_CHALLENGE → verify({ signatureData, clientData }) → SUCCESS, and the session token is redeemed', async () => {
    const server = await startServer('u2f')
    const { auth, token, factorId, origin } = await enrollU2f(server)
    const { challenged, nonce, keyHandle } = await challenge(auth, factorId, origin)
    const { signatureData, clientData } = token.sign(origin, nonce, keyHandle)
    const verified = await follow(challenged, 'verify', { signatureData, clientData })
    expect(verified.status).toBe('SUCCESS')
    expect(verified.sessionToken).toMatch(/^20111/)
    expect(await redeem(server, verified.sessionToken)).toEqual([200, 'ACTIVE', MAE.id])
  })

  it('a signature whose counter went back is AuthApiError 403 E0000082', async () => {
    const server = await startServer('u2f')
    const { auth, token, factorId, origin } = await enrollU2f(server)
    // First verification: counter 5.
    const first = await challenge(auth, factorId, origin)
    const { signatureData, clientData } = token.sign(origin, first.nonce, first.keyHandle, { counter: 5 })
    expect((await follow(first.challenged, 'verify', { signatureData, clientData })).status).toBe('SUCCESS')
    // Next one over a fresh nonce, counter 3: a cloned or replayed key.
    const second = await challenge(auth, factorId, origin)
    const back = token.sign(origin, second.nonce, second.keyHandle, { counter: 3 })
    const e = await rejection(follow(second.challenged, 'verify', { signatureData: back.signatureData, clientData: back.clientData }))
    expect([e.xhr?.status, e.errorCode]).toEqual([403, 'E0000082'])
  })
})
