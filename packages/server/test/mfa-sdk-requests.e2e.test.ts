// MFA calls with the exact request bodies and headers of the Java (okta-auth-java 2.x) and .NET
// (Okta.Auth.Sdk 2.x) authentication SDKs, replayed with plain fetch against the reference server
// (manual clock, trivial hasher). Java sends `FactorEnrollRequest {stateToken, factorType, provider,
// profile}` (profile null when not given), `ActivatePassCodeFactorRequest {stateToken, passCode}` and
// `VerifyPassCodeFactorRequest {stateToken, passCode, rememberDevice}`; .NET sends
// `EnrollFactorRequest {stateToken, factorType, provider[, profile]}` with every profile member
// (nulls included), and `rememberDevice` in the JSON body of verify calls.
import { afterEach, describe, expect, it } from 'vitest'
import {
  FACTOR,
  MAE,
  MAE_FACTORS,
  OTHER_SECRET,
  STEP_MS,
  TOTP_SECRET,
  TRUSTED,
  activationOf,
  authnClient,
  codeAt,
  factorOf,
  factorsOf,
  linksOf,
  mfaSeed,
  outcomeOf,
  startMfaServer,
  wrongCodeAt,
  type Answer,
  type Json,
} from './mfa-support.js'
import { DOTNET_HEADERS, JAVA_HEADERS, createServers } from './support.js'
import { checkAnswersAgainstOpenApi } from './openapi-check.js'

const servers = createServers()
// Every answer these tests receive must match the OpenAPI document (docs/openapi.json).
checkAnswersAgainstOpenApi()
afterEach(() => servers.closeAll())

const PASSCODE_MISMATCH = "Your passcode doesn't match our records. Please try again."
const TOY_TEXT = 'What is the toy/stuffed animal you liked the most as a kid?'

const REQUIRE_FACTOR = { signOn: { requireFactor: true } }
const REMEMBER = { signOn: { requireFactor: true, allowRememberDevice: true, rememberDeviceLifetimeInMinutes: 60 } }
const enrollment = (...factors: ReadonlyArray<readonly [string, string, 'REQUIRED' | 'OPTIONAL' | 'NOT_ALLOWED']>) => ({
  enrollment: { factors: factors.map(([factorType, provider, enroll]) => ({ factorType, provider, enroll })) },
})

/** .NET `AuthenticateAsync(AuthenticateOptions)`: every member, unset ones as null. */
const dotnetAuthenticate = (o: { readonly deviceToken?: string; readonly multiOptionalFactorEnroll?: boolean } = {}) => ({
  username: MAE.username,
  password: MAE.password,
  audience: null,
  relayState: null,
  stateToken: null,
  options: { multiOptionalFactorEnroll: o.multiOptionalFactorEnroll ?? false, warnBeforePasswordExpired: false },
  context: { deviceToken: o.deviceToken ?? null },
})

/** Java `authenticate(username, password, relayState, handler)`. */
const javaAuthenticate = { username: MAE.username, password: MAE.password, relayState: null }

const stateTokenOf = (r: Answer): string => {
  const t = r.body['stateToken']
  if (typeof t !== 'string') throw new Error(`no state token in ${outcomeOf(r)}`)
  return t
}

const linkOf = (r: { readonly body: Json }, name: string): Json => (linksOf(r)[name] ?? {}) as Json

describe('Java SDK MFA request shapes', () => {
  it('enrollFactor(TOKEN_SOFTWARE_TOTP, GOOGLE, null profile) → MFA_ENROLL_ACTIVATE; activateFactor {stateToken, passCode} via _links.next → SUCCESS', async () => {
    const { server, clock } = await startMfaServer(servers.start, mfaSeed({ policies: enrollment(['token:software:totp', 'GOOGLE', 'REQUIRED']) }), { fast: true })
    const java = authnClient(server, JAVA_HEADERS)
    const signIn = await java.post('/api/v1/authn', javaAuthenticate)
    expect(outcomeOf(signIn)).toBe('MFA_ENROLL')
    const stateToken = stateTokenOf(signIn)
    // Java finds the enroll link on the offered factor.
    const [offered] = factorsOf(signIn)
    expect(offered).toMatchObject({ factorType: 'token:software:totp', provider: 'GOOGLE', _links: { enroll: { href: `${server.url}/api/v1/authn/factors`, hints: { allow: ['POST'] } } } })

    const enrolled = await java.post('/api/v1/authn/factors', { stateToken, factorType: 'token:software:totp', profile: null, provider: 'GOOGLE' })
    expect(outcomeOf(enrolled)).toBe('MFA_ENROLL_ACTIVATE')
    const factor = factorOf(enrolled)
    const factorId = String(factor['id'])
    expect(factor).toMatchObject({ factorType: 'token:software:totp', provider: 'GOOGLE', vendorName: 'GOOGLE', profile: { credentialId: MAE.username } })
    // DefaultFactorActivation: timeStep, sharedSecret, encoding, keyLength and the qrcode link.
    const activation = activationOf(enrolled)
    expect(activation).toMatchObject({ timeStep: 30, encoding: 'base32', keyLength: 6, _links: { qrcode: { type: 'image/png' } } })
    expect(linkOf(enrolled, 'next')).toEqual({ name: 'activate', href: `${server.url}/api/v1/authn/factors/${factorId}/lifecycle/activate`, hints: { allow: ['POST'] } })
    expect(linkOf(enrolled, 'prev')).toMatchObject({ href: `${server.url}/api/v1/authn/previous` })

    const passCode = await codeAt(String(activation['sharedSecret']), clock.now())
    const done = await java.post(`/api/v1/authn/factors/${factorId}/lifecycle/activate`, { stateToken, passCode })
    expect(outcomeOf(done)).toBe('SUCCESS')
    expect(done.body['sessionToken']).toMatch(/^20111/)
  })

  it('enrollFactor(QUESTION, OKTA, SecurityQuestionFactorProfile {answer, question}) → SUCCESS at once', async () => {
    const { server } = await startMfaServer(servers.start, mfaSeed({ policies: enrollment(['question', 'OKTA', 'REQUIRED']) }), { fast: true })
    const java = authnClient(server, JAVA_HEADERS)
    const stateToken = stateTokenOf(await java.post('/api/v1/authn', javaAuthenticate))
    const done = await java.post('/api/v1/authn/factors', { stateToken, factorType: 'question', profile: { answer: 'Tin Soldier', question: 'favorite_toy' }, provider: 'OKTA' })
    expect(outcomeOf(done)).toBe('SUCCESS')
  })

  it('MFA_REQUIRED: each factor carries its verify link; verifyFactor {stateToken, passCode, rememberDevice: null} → SUCCESS; a wrong code is 403 E0000068', async () => {
    const { server, clock } = await startMfaServer(servers.start, mfaSeed({ maeFactors: MAE_FACTORS, policies: REQUIRE_FACTOR }), { fast: true })
    const java = authnClient(server, JAVA_HEADERS)
    const required = await java.post('/api/v1/authn', javaAuthenticate)
    expect(outcomeOf(required)).toBe('MFA_REQUIRED')
    expect(factorsOf(required).map((f) => [f['id'], (f['_links'] as Json)['verify']])).toEqual(
      [FACTOR.maeGoogle, FACTOR.maeOkta, FACTOR.maeQuestion].map((id) => [id, { href: `${server.url}/api/v1/authn/factors/${id}/verify`, hints: { allow: ['POST'] } }]),
    )
    const stateToken = stateTokenOf(required)
    const wrong = await java.post(`/api/v1/authn/factors/${FACTOR.maeOkta}/verify`, { stateToken, passCode: await wrongCodeAt(OTHER_SECRET, clock.now()), rememberDevice: null })
    expect([wrong.status, wrong.body['errorCode'], wrong.body['errorCauses']]).toEqual([403, 'E0000068', [{ errorSummary: PASSCODE_MISMATCH }]])
    const done = await java.post(`/api/v1/authn/factors/${FACTOR.maeOkta}/verify`, { stateToken, passCode: await codeAt(OTHER_SECRET, clock.now()), rememberDevice: null })
    expect(outcomeOf(done)).toBe('SUCCESS')
  })

  it('previous {stateToken} from MFA_ENROLL_ACTIVATE → MFA_ENROLL; skip {stateToken} once only optional factors remain', async () => {
    const { server, clock } = await startMfaServer(
      servers.start,
      mfaSeed({ policies: enrollment(['token:software:totp', 'OKTA', 'REQUIRED'], ['question', 'OKTA', 'OPTIONAL']) }),
      { fast: true },
    )
    const java = authnClient(server, JAVA_HEADERS)
    const signIn = await java.post('/api/v1/authn', { ...javaAuthenticate, options: { multiOptionalFactorEnroll: true, warnBeforePasswordExpired: false } })
    const stateToken = stateTokenOf(signIn)
    expect(linkOf(signIn, 'skip')).toEqual({})
    const early = await java.post('/api/v1/authn/skip', { stateToken })
    expect(outcomeOf(early)).toBe('403 E0000079')

    await java.post('/api/v1/authn/factors', { stateToken, factorType: 'token:software:totp', profile: null, provider: 'OKTA' })
    const back = await java.post('/api/v1/authn/previous', { stateToken })
    expect(outcomeOf(back)).toBe('MFA_ENROLL')
    expect(factorsOf(back).map((f) => [f['factorType'], f['status']])).toEqual([
      ['token:software:totp', 'NOT_SETUP'],
      ['question', 'NOT_SETUP'],
    ])
    const enrolled = await java.post('/api/v1/authn/factors', { stateToken, factorType: 'token:software:totp', profile: null, provider: 'OKTA' })
    const activated = await java.post(`/api/v1/authn/factors/${String(factorOf(enrolled)['id'])}/lifecycle/activate`, {
      stateToken,
      passCode: await codeAt(String(activationOf(enrolled)['sharedSecret']), clock.now()),
    })
    expect(outcomeOf(activated)).toBe('MFA_ENROLL')
    expect(linkOf(activated, 'skip')).toEqual({ name: 'skip', href: `${server.url}/api/v1/authn/skip`, hints: { allow: ['POST'] } })
    expect(outcomeOf(await java.post('/api/v1/authn/skip', { stateToken }))).toBe('SUCCESS')
  })
})

describe('.NET SDK MFA request shapes', () => {
  it('EnrollFactorAsync(EnrollTotpFactorOptions) {stateToken, factorType, provider} → MFA_ENROLL_ACTIVATE; ActivateFactorAsync {stateToken, passCode} → SUCCESS', async () => {
    const { server, clock } = await startMfaServer(servers.start, mfaSeed({ policies: enrollment(['token:software:totp', 'OKTA', 'REQUIRED']) }), { fast: true })
    const dotnet = authnClient(server, DOTNET_HEADERS)
    const signIn = await dotnet.post('/api/v1/authn', dotnetAuthenticate())
    expect(outcomeOf(signIn)).toBe('MFA_ENROLL')
    const stateToken = stateTokenOf(signIn)
    const enrolled = await dotnet.post('/api/v1/authn/factors', { stateToken, factorType: 'token:software:totp', provider: 'OKTA' })
    expect(outcomeOf(enrolled)).toBe('MFA_ENROLL_ACTIVATE')
    const factorId = String(factorOf(enrolled)['id'])
    expect(factorId).toMatch(/^ost/)
    const secret = String(activationOf(enrolled)['sharedSecret'])
    const wrong = await dotnet.post(`/api/v1/authn/factors/${factorId}/lifecycle/activate`, { stateToken, passCode: await wrongCodeAt(secret, clock.now()) })
    expect([wrong.status, wrong.body['errorCode']]).toEqual([403, 'E0000068'])
    const done = await dotnet.post(`/api/v1/authn/factors/${factorId}/lifecycle/activate`, { stateToken, passCode: await codeAt(secret, clock.now()) })
    expect(outcomeOf(done)).toBe('SUCCESS')
  })

  it('EnrollFactorAsync(EnrollSecurityQuestionFactorOptions) profile {question, questionText: null, answer} → SUCCESS; VerifyFactorAsync {stateToken, rememberDevice: null, answer} → SUCCESS', async () => {
    const { server } = await startMfaServer(servers.start, mfaSeed({ policies: { ...REQUIRE_FACTOR, ...enrollment(['question', 'OKTA', 'REQUIRED']) } }), { fast: true })
    const dotnet = authnClient(server, DOTNET_HEADERS)
    const stateToken = stateTokenOf(await dotnet.post('/api/v1/authn', dotnetAuthenticate()))
    const enrolled = await dotnet.post('/api/v1/authn/factors', {
      stateToken,
      factorType: 'question',
      provider: 'OKTA',
      profile: { question: 'favorite_toy', questionText: null, answer: 'Tin Soldier' },
    })
    expect(outcomeOf(enrolled)).toBe('SUCCESS')

    const required = await dotnet.post('/api/v1/authn', dotnetAuthenticate())
    expect(outcomeOf(required)).toBe('MFA_REQUIRED')
    const [question] = factorsOf(required)
    expect(question).toMatchObject({ factorType: 'question', provider: 'OKTA', profile: { question: 'favorite_toy', questionText: TOY_TEXT } })
    const factorId = String(question?.['id'])
    const next = stateTokenOf(required)
    const wrong = await dotnet.post(`/api/v1/authn/factors/${factorId}/verify`, { stateToken: next, rememberDevice: null, answer: 'Plastic Duck' })
    expect([wrong.status, wrong.body['errorCode']]).toEqual([403, 'E0000068'])
    const done = await dotnet.post(`/api/v1/authn/factors/${factorId}/verify`, { stateToken: next, rememberDevice: null, answer: 'tin soldier' })
    expect(outcomeOf(done)).toBe('SUCCESS')
  })

  it('VerifyFactorAsync(VerifyTotpFactorOptions) {stateToken, passCode, rememberDevice: null} → SUCCESS for both TOTP providers', async () => {
    const { server, clock } = await startMfaServer(servers.start, mfaSeed({ maeFactors: MAE_FACTORS, policies: REQUIRE_FACTOR }), { fast: true })
    const dotnet = authnClient(server, DOTNET_HEADERS)
    for (const [factorId, secret] of [
      [FACTOR.maeGoogle, TOTP_SECRET],
      [FACTOR.maeOkta, OTHER_SECRET],
    ] as const) {
      const stateToken = stateTokenOf(await dotnet.post('/api/v1/authn', dotnetAuthenticate()))
      const done = await dotnet.post(`/api/v1/authn/factors/${factorId}/verify`, { stateToken, passCode: await codeAt(secret, clock.now()), rememberDevice: null })
      expect([factorId, outcomeOf(done)]).toEqual([factorId, 'SUCCESS'])
    }
  })

  it('GetPreviousTransactionStateAsync from MFA_ENROLL_ACTIVATE → MFA_ENROLL; CancelTransactionStateAsync answers {relayState} and ends it', async () => {
    const { server } = await startMfaServer(servers.start, mfaSeed({ policies: enrollment(['token:software:totp', 'GOOGLE', 'REQUIRED']) }), { fast: true })
    const dotnet = authnClient(server, DOTNET_HEADERS)
    const stateToken = stateTokenOf(await dotnet.post('/api/v1/authn', dotnetAuthenticate()))
    expect(outcomeOf(await dotnet.post('/api/v1/authn/factors', { stateToken, factorType: 'token:software:totp', provider: 'GOOGLE' }))).toBe('MFA_ENROLL_ACTIVATE')
    expect(outcomeOf(await dotnet.post('/api/v1/authn/previous', { stateToken }))).toBe('MFA_ENROLL')
    const cancelled = await dotnet.post('/api/v1/authn/cancel', { stateToken })
    expect(cancelled.status).toBe(200)
    expect(Object.keys(cancelled.body)).toEqual(['relayState'])
    expect(outcomeOf(await dotnet.post('/api/v1/authn', { stateToken }))).toBe('401 E0000011')
  })

  // Known engine bug (reported): the device token is read from the verify request's own
  // `context.deviceToken`, which no SDK sends there (.NET's VerifyTotpFactorRequest has
  // stateToken, passCode and rememberDevice only); Okta binds the device at the primary
  // authentication. Expected to fail until the transaction keeps the sign-in's device token.
  it('trusted AuthenticateAsync with context.deviceToken, then VerifyFactorAsync {rememberDevice: true} → that device skips MFA next time', async () => {
    const { server, clock } = await startMfaServer(servers.start, mfaSeed({ maeFactors: MAE_FACTORS, policies: REMEMBER }), { fast: true })
    const dotnet = authnClient(server, { ...DOTNET_HEADERS, ...TRUSTED })
    const deviceToken = 'dotnet-device-token-000000000001'
    const stateToken = stateTokenOf(await dotnet.post('/api/v1/authn', dotnetAuthenticate({ deviceToken })))
    const done = await dotnet.post(`/api/v1/authn/factors/${FACTOR.maeGoogle}/verify`, { stateToken, passCode: await codeAt(TOTP_SECRET, clock.now()), rememberDevice: true })
    expect(outcomeOf(done)).toBe('SUCCESS')
    expect(outcomeOf(await dotnet.post('/api/v1/authn', dotnetAuthenticate({ deviceToken })))).toBe('SUCCESS')
  })

  it('rememberDevice in the JSON body (the .NET form) is honoured as the query flag is: true remembers the device, false and null do not', async () => {
    const { server, clock } = await startMfaServer(servers.start, mfaSeed({ maeFactors: MAE_FACTORS, policies: REMEMBER }), { fast: true })
    const dotnet = authnClient(server, { ...DOTNET_HEADERS, ...TRUSTED })
    // The device token goes with the verify body as well (see the known bug above).
    const rememberedAfter = async (deviceToken: string, flag: { readonly query?: string; readonly body?: boolean | null }) => {
      const stateToken = stateTokenOf(await dotnet.post('/api/v1/authn', dotnetAuthenticate({ deviceToken })))
      const path = `/api/v1/authn/factors/${FACTOR.maeGoogle}/verify${flag.query ?? ''}`
      const body = { stateToken, passCode: await codeAt(TOTP_SECRET, clock.now()), ...('body' in flag ? { rememberDevice: flag.body } : {}), context: { deviceToken } }
      expect(outcomeOf(await dotnet.post(path, body))).toBe('SUCCESS')
      clock.advance(STEP_MS)
      return outcomeOf(await dotnet.post('/api/v1/authn', dotnetAuthenticate({ deviceToken })))
    }
    expect(await rememberedAfter('dotnet-device-null', { body: null })).toBe('MFA_REQUIRED')
    expect(await rememberedAfter('dotnet-device-false', { body: false })).toBe('MFA_REQUIRED')
    expect(await rememberedAfter('dotnet-device-body', { body: true })).toBe('SUCCESS')
    expect(await rememberedAfter('dotnet-device-query', { query: '?rememberDevice=true' })).toBe('SUCCESS')
  })
})

describe('the same shapes agree on the answer', () => {
  it('a TOTP verify answers the same JSON for the Java and the .NET body (apart from tokens)', async () => {
    const { server, clock } = await startMfaServer(servers.start, mfaSeed({ maeFactors: MAE_FACTORS, policies: REQUIRE_FACTOR }), { fast: true })
    const java = authnClient(server, JAVA_HEADERS)
    const dotnet = authnClient(server, DOTNET_HEADERS)
    const a = await java.post('/api/v1/authn', javaAuthenticate)
    const b = await dotnet.post('/api/v1/authn', dotnetAuthenticate())
    const strip = (r: Answer) => ({ ...r.body, stateToken: undefined, sessionToken: undefined })
    expect(strip(a)).toEqual(strip(b))
    const viaJava = await java.post(`/api/v1/authn/factors/${FACTOR.maeGoogle}/verify`, { stateToken: stateTokenOf(a), passCode: await codeAt(TOTP_SECRET, clock.now()), rememberDevice: null })
    clock.advance(STEP_MS)
    const viaDotnet = await dotnet.post(`/api/v1/authn/factors/${FACTOR.maeGoogle}/verify`, { stateToken: stateTokenOf(b), passCode: await codeAt(TOTP_SECRET, clock.now()), rememberDevice: null })
    expect([outcomeOf(viaJava), outcomeOf(viaDotnet)]).toEqual(['SUCCESS', 'SUCCESS'])
    expect(Object.keys(viaJava.body)).toEqual(Object.keys(viaDotnet.body))
  })
})
