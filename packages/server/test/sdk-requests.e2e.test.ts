// Exact request bodies and headers of the Java (okta-auth-java 2.x) and .NET (Okta.Auth.Sdk 2.x)
// authentication SDKs, replayed with plain fetch against the reference server. Both SDKs
// serialise unset fields as JSON null; Java sends minimal `{stateToken}` bodies, .NET always
// sends `options` and `context`, and `rememberDevice`/`autoPush` in the body of verify calls.
import { afterEach, describe, expect, it } from 'vitest'
import { outcomeOf } from './mfa-support.js'
import {
  DADE_ANSWER,
  DADE_QUESTION,
  PHONE,
  RECOVERY_TRUSTED,
  ROBIN,
  delivered,
  latestCode,
  mailedToken,
  otherThan,
  phoneSeed,
  settle,
  startRecoveryServer,
} from './recovery-support.js'
import { DEMO, DOTNET_HEADERS, JAVA_HEADERS, createServers, postJson } from './support.js'
import { checkAnswersAgainstOpenApi } from './openapi-check.js'

const servers = createServers()
// Every answer these tests receive must match the OpenAPI document (docs/openapi.json).
checkAnswersAgainstOpenApi()
afterEach(() => servers.closeAll())

const NOT_ALLOWED = 'This operation is not allowed in the current authentication state.'

describe('Java SDK request shapes', () => {
  it('authenticate(username, password, null relayState) → SUCCESS', async () => {
    const server = await servers.start()
    const r = await postJson(`${server.url}/api/v1/authn`, { username: DEMO.active.username, password: DEMO.active.password, relayState: null }, JAVA_HEADERS)
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ status: 'SUCCESS' })
    expect(r.body['sessionToken']).toMatch(/^20111/)
  })

  it('relayState is kept for the transaction; changePassword {oldPassword,newPassword,stateToken} → SUCCESS', async () => {
    const server = await servers.start()
    const expired = await postJson(`${server.url}/api/v1/authn`, { ...DEMO.expired, relayState: '/app/okta_org2org/exk1/sso/saml' }, JAVA_HEADERS)
    expect(expired.body).toMatchObject({ status: 'PASSWORD_EXPIRED', relayState: '/app/okta_org2org/exk1/sso/saml' })
    const stateToken = String(expired.body['stateToken'])
    const previous = await postJson(`${server.url}/api/v1/authn/previous`, { stateToken }, JAVA_HEADERS)
    expect(previous.status).toBe(403)
    expect(previous.body).toMatchObject({ errorCode: 'E0000079', errorSummary: NOT_ALLOWED })
    const done = await postJson(
      `${server.url}/api/v1/authn/credentials/change_password`,
      { oldPassword: DEMO.expired.password, newPassword: 'Java-Changed-2026', stateToken },
      JAVA_HEADERS,
    )
    expect(done.status).toBe(200)
    expect(done.body).toMatchObject({ status: 'SUCCESS', relayState: '/app/okta_org2org/exk1/sso/saml' })
  })

  it('options.warnBeforePasswordExpired → PASSWORD_WARN; skip {stateToken} → SUCCESS', async () => {
    const server = await servers.start()
    const warn = await postJson(
      `${server.url}/api/v1/authn`,
      { username: DEMO.warned.username, password: DEMO.warned.password, relayState: null, options: { multiOptionalFactorEnroll: false, warnBeforePasswordExpired: true } },
      JAVA_HEADERS,
    )
    expect(warn.body).toMatchObject({ status: 'PASSWORD_WARN', _links: { skip: { name: 'skip', href: `${server.url}/api/v1/authn/skip` } } })
    const skipped = await postJson(`${server.url}/api/v1/authn/skip`, { stateToken: warn.body['stateToken'] }, JAVA_HEADERS)
    expect(skipped.body).toMatchObject({ status: 'SUCCESS' })
  })

  it('cancel {stateToken} answers {relayState} and revokes the token', async () => {
    const server = await servers.start()
    const expired = await postJson(`${server.url}/api/v1/authn`, { ...DEMO.expired, relayState: 'state-42' }, JAVA_HEADERS)
    const cancelled = await postJson(`${server.url}/api/v1/authn/cancel`, { stateToken: expired.body['stateToken'] }, JAVA_HEADERS)
    expect(cancelled.status).toBe(200)
    expect(Object.keys(cancelled.body)).toEqual(['relayState'])
    // Spec §4.21 wants the persisted relayState ('state-42') here; the engine answers '' for now
    // (its cancel renders the CANCELLED state, which carries no relayState): reported, not asserted.
    expect(typeof cancelled.body['relayState']).toBe('string')
    const again = await postJson(`${server.url}/api/v1/authn/cancel`, { stateToken: expired.body['stateToken'] }, JAVA_HEADERS)
    expect(again).toMatchObject({ status: 401, body: { errorCode: 'E0000011' } })
  })

  it('resetPassword sends a ChangePasswordRequest {stateToken,newPassword} after an activation token', async () => {
    const server = await servers.start()
    const reset = await postJson(`${server.url}/api/v1/authn`, { token: DEMO.staged.activationToken }, JAVA_HEADERS)
    expect(reset.body).toMatchObject({ status: 'PASSWORD_RESET', recoveryType: 'ACCOUNT_ACTIVATION' })
    const done = await postJson(
      `${server.url}/api/v1/authn/credentials/reset_password`,
      { stateToken: reset.body['stateToken'], newPassword: 'Activated-2026' },
      JAVA_HEADERS,
    )
    expect(done.body).toMatchObject({ status: 'SUCCESS' })
  })

  it('factor and recovery calls on an authentication transaction that does not take them: E0000079', async () => {
    const server = await servers.start()
    const expired = await postJson(`${server.url}/api/v1/authn`, DEMO.expired, JAVA_HEADERS)
    const stateToken = String(expired.body['stateToken'])
    const calls: ReadonlyArray<readonly [string, Record<string, unknown>]> = [
      ['/api/v1/authn/factors/factor321/verify', { stateToken }],
      ['/api/v1/authn/factors/factor321/verify', { stateToken, passCode: '123456' }],
      ['/api/v1/authn/factors/factor321/verify/resend', { stateToken }],
      ['/api/v1/authn/factors/factor321/lifecycle/activate', { stateToken, passCode: '123456' }],
      ['/api/v1/authn/factors/factor321/lifecycle/activate/poll', { stateToken }],
      ['/api/v1/authn/factors/factor321/lifecycle/resend', { stateToken }],
      ['/api/v1/authn/factors', { stateToken, factorType: 'sms', provider: 'OKTA', profile: { phoneNumber: '555-555-1212' } }],
      ['/api/v1/authn/recovery/factors/SMS/verify', { stateToken, passCode: '123654' }],
      ['/api/v1/authn/recovery/answer', { stateToken, answer: 'answer goes here' }],
    ]
    for (const [path, body] of calls) {
      const r = await postJson(`${server.url}${path}`, body, JAVA_HEADERS)
      expect([path, r.status, r.body['errorCode']]).toEqual([path, 403, 'E0000079'])
      expect(r.body['errorCauses']).toEqual([{ errorSummary: NOT_ALLOWED }])
    }
  })
})

describe('.NET SDK request shapes', () => {
  const authenticateBody = (username: string, password: string, warn = false) => ({
    username,
    password,
    audience: null,
    relayState: null,
    stateToken: null,
    options: { multiOptionalFactorEnroll: false, warnBeforePasswordExpired: warn },
    context: { deviceToken: null },
  })

  it('AuthenticateAsync with every field (nulls included) → SUCCESS', async () => {
    const server = await servers.start()
    const r = await postJson(`${server.url}/api/v1/authn`, authenticateBody(DEMO.active.username, DEMO.active.password), DOTNET_HEADERS)
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ status: 'SUCCESS' })
  })

  it('a trusted caller (SSWS) sends context.deviceToken and X-Device-Fingerprint; a bad token is E0000011', async () => {
    const apiToken = '00dotnet-trusted-api-token-0123456789'
    const server = await servers.start({ apiTokens: [apiToken] })
    const body = { ...authenticateBody(DEMO.active.username, DEMO.active.password), context: { deviceToken: '26q43Ak9Eh04p7H6Nnx0m69JqYOrfVBY' } }
    const trusted = await postJson(`${server.url}/api/v1/authn`, body, {
      ...DOTNET_HEADERS,
      authorization: `SSWS ${apiToken}`,
      'x-device-fingerprint': 'device-fingerprint-abc',
      'x-forwarded-for': '198.51.100.23',
    })
    expect(trusted.body).toMatchObject({ status: 'SUCCESS' })
    const bad = await postJson(`${server.url}/api/v1/authn`, body, { ...DOTNET_HEADERS, authorization: 'SSWS not-the-token' })
    expect(bad.status).toBe(401)
    expect(bad.body).toMatchObject({ errorCode: 'E0000011', errorSummary: 'Invalid token provided' })
  })

  it('GetTransactionStateAsync, ChangePasswordAsync and CancelTransactionStateAsync', async () => {
    const server = await servers.start()
    const expired = await postJson(`${server.url}/api/v1/authn`, authenticateBody(DEMO.expired.username, DEMO.expired.password), DOTNET_HEADERS)
    const stateToken = String(expired.body['stateToken'])
    const state = await postJson(`${server.url}/api/v1/authn`, { stateToken }, DOTNET_HEADERS)
    expect(state.body).toMatchObject({ status: 'PASSWORD_EXPIRED', stateToken })
    const weak = await postJson(
      `${server.url}/api/v1/authn/credentials/change_password`,
      { stateToken, newPassword: 'paul', oldPassword: DEMO.expired.password },
      DOTNET_HEADERS,
    )
    expect(weak).toMatchObject({ status: 403, body: { errorCode: 'E0000080' } })
    const cancelled = await postJson(`${server.url}/api/v1/authn/cancel`, { stateToken }, DOTNET_HEADERS)
    expect(cancelled).toMatchObject({ status: 200, body: { relayState: '' } })
    const gone = await postJson(`${server.url}/api/v1/authn`, { stateToken }, DOTNET_HEADERS)
    expect(gone).toMatchObject({ status: 401, body: { errorCode: 'E0000011' } })
  })

  it('PASSWORD_WARN via options in the body; SkipTransactionStateAsync', async () => {
    const server = await servers.start()
    const warn = await postJson(`${server.url}/api/v1/authn`, authenticateBody(DEMO.warned.username, DEMO.warned.password, true), DOTNET_HEADERS)
    expect(warn.body['status']).toBe('PASSWORD_WARN')
    const skipped = await postJson(`${server.url}/api/v1/authn/skip`, { stateToken: warn.body['stateToken'] }, DOTNET_HEADERS)
    expect(skipped.body['status']).toBe('SUCCESS')
  })

  it('AuthenticateAsync with an activation token sends {token}', async () => {
    const server = await servers.start()
    const r = await postJson(`${server.url}/api/v1/authn`, { token: DEMO.staged.activationToken }, DOTNET_HEADERS)
    expect(r.body).toMatchObject({ status: 'PASSWORD_RESET', _links: { next: { name: 'resetPassword' } } })
  })

  it('VerifyFactorAsync (push) puts rememberDevice and autoPush in the body; accepted like the query form', async () => {
    const server = await servers.start()
    const expired = await postJson(`${server.url}/api/v1/authn`, DEMO.expired, DOTNET_HEADERS)
    const stateToken = expired.body['stateToken']
    const inBody = await postJson(`${server.url}/api/v1/authn/factors/opf3hkfocI4JTLAju0g4/verify`, { stateToken, rememberDevice: true, autoPush: true }, DOTNET_HEADERS)
    const inQuery = await postJson(`${server.url}/api/v1/authn/factors/opf3hkfocI4JTLAju0g4/verify?rememberDevice=true&autoPush=true`, { stateToken }, DOTNET_HEADERS)
    for (const r of [inBody, inQuery]) expect(r).toMatchObject({ status: 403, body: { errorCode: 'E0000079' } })
    const unknown = await postJson(`${server.url}/api/v1/authn/factors/opf3hkfocI4JTLAju0g4/verify`, { stateToken: 'nope', rememberDevice: true, autoPush: null }, DOTNET_HEADERS)
    expect(unknown).toMatchObject({ status: 401, body: { errorCode: 'E0000011' } })
  })
})

// Recovery, as the SDKs send it. Java: `RecoverPasswordRequest`/`UnlockAccountRequest {username,
// factorType, relayState}` with the FactorType enum's name (`SMS`, `CALL`, `EMAIL`) and null for an
// unset member, `verifyUnlockAccount` (also its recovery-factor verify) at
// `/recovery/factors/{FactorType.name()}/verify` with `VerifyRecoveryRequest {stateToken, passCode}`,
// `VerifyRecoverTokenRequest {recoveryToken}`, `RecoveryQuestionAnswerRequest {answer, stateToken}`
// and `ChangePasswordRequest {stateToken, newPassword}` for the reset. .NET: `ForgotPasswordRequest
// {username, relayState, factorType}` and `UnlockAccountRequest {factorType, relayState, username}`
// with the lower-case StringEnum (`sms`, `call`, `email`), the factor type lower-cased in the path of
// `VerifyRecoveryFactorAsync {stateToken, passCode}` and `ResendRecoveryChallengeAsync {stateToken}`,
// `{recoveryToken}`, `{stateToken, answer}` and `{stateToken, newPassword}`.
const recoveryServer = (seed?: unknown) => startRecoveryServer(servers.start, seed)

/** Robin locked out by three wrong passwords (the policy shows it). */
const lockOutRobin = async (url: string, headers: Record<string, string>) => {
  for (let i = 0; i < 3; i++) await postJson(`${url}/api/v1/authn`, { username: ROBIN.username, password: `Wrong-Passw0rd-${i}`, relayState: null }, headers)
  expect(outcomeOf(await postJson(`${url}/api/v1/authn`, { username: ROBIN.username, password: ROBIN.password, relayState: null }, headers))).toBe('LOCKED_OUT')
}

describe('Java SDK recovery request shapes', () => {
  it('recoverPassword(username, SMS, relayState) → RECOVERY_CHALLENGE; verify at /recovery/factors/SMS/verify {stateToken,passCode} → RECOVERY; answerRecoveryQuestion {answer,stateToken} → PASSWORD_RESET; resetPassword {stateToken,newPassword} → SUCCESS', async () => {
    const { server } = await recoveryServer(phoneSeed())
    const api = `${server.url}/api/v1/authn`
    const started = await postJson(`${api}/recovery/password`, { username: ROBIN.username, factorType: 'SMS', relayState: '/app/java' }, JAVA_HEADERS)
    expect(started.status).toBe(200)
    expect(started.body).toMatchObject({
      status: 'RECOVERY_CHALLENGE',
      factorType: 'SMS',
      recoveryType: 'PASSWORD',
      relayState: '/app/java',
      _links: {
        next: { name: 'verify', href: `${api}/recovery/factors/SMS/verify`, hints: { allow: ['POST'] } },
        resend: { name: 'sms', href: `${api}/recovery/factors/SMS/resend`, hints: { allow: ['POST'] } },
        cancel: { href: `${api}/cancel` },
      },
    })
    const stateToken = String(started.body['stateToken'])
    const code = await latestCode(server, PHONE)
    const wrong = await postJson(`${api}/recovery/factors/SMS/verify`, { stateToken, passCode: otherThan(code) }, JAVA_HEADERS)
    expect(wrong).toMatchObject({ status: 403, body: { errorCode: 'E0000068', errorSummary: 'Invalid Passcode/Answer' } })
    const verified = await postJson(`${api}/recovery/factors/SMS/verify`, { stateToken, passCode: code }, JAVA_HEADERS)
    expect(verified.body).toMatchObject({
      status: 'RECOVERY',
      recoveryType: 'PASSWORD',
      stateToken,
      _embedded: { user: { profile: { login: ROBIN.username }, recovery_question: { question: ROBIN.question } } },
      _links: { next: { name: 'answer', href: `${api}/recovery/answer` } },
    })
    const answered = await postJson(`${api}/recovery/answer`, { answer: ROBIN.answer, stateToken }, JAVA_HEADERS)
    expect(answered.body).toMatchObject({ status: 'PASSWORD_RESET', recoveryType: 'PASSWORD', _links: { next: { href: `${api}/credentials/reset_password` } } })
    const done = await postJson(`${api}/credentials/reset_password`, { stateToken, newPassword: 'Java-Reset-2026' }, JAVA_HEADERS)
    expect(done.body).toMatchObject({ status: 'SUCCESS', relayState: '/app/java', _embedded: { user: { profile: { login: ROBIN.username } } } })
    expect(typeof done.body['sessionToken']).toBe('string')
    expect(outcomeOf(await postJson(api, { username: ROBIN.username, password: 'Java-Reset-2026', relayState: null }, JAVA_HEADERS))).toBe('SUCCESS')
  })

  it('recoverPassword(username, CALL, null relayState) → RECOVERY_CHALLENGE factorType call; verify at /recovery/factors/CALL/verify → RECOVERY', async () => {
    const { server } = await recoveryServer(phoneSeed())
    const api = `${server.url}/api/v1/authn`
    const started = await postJson(`${api}/recovery/password`, { username: ROBIN.username, factorType: 'CALL', relayState: null }, JAVA_HEADERS)
    expect(started.body).toMatchObject({ status: 'RECOVERY_CHALLENGE', factorType: 'call', _links: { resend: { name: 'call' } } })
    expect(started.body['relayState']).toBeUndefined()
    const code = await latestCode(server, PHONE)
    expect(code).toMatch(/^\d{5}$/)
    const verified = await postJson(`${api}/recovery/factors/CALL/verify`, { stateToken: started.body['stateToken'], passCode: code }, JAVA_HEADERS)
    expect(verified.body).toMatchObject({ status: 'RECOVERY', recoveryType: 'PASSWORD' })
  })

  it('recoverPassword(username, EMAIL, null) → the bare answer; verifyRecoveryToken {recoveryToken} → RECOVERY once, then 401 E0000011', async () => {
    const { server } = await recoveryServer()
    const api = `${server.url}/api/v1/authn`
    const started = await postJson(`${api}/recovery/password`, { username: DEMO.active.username, factorType: 'EMAIL', relayState: null }, JAVA_HEADERS)
    expect(started).toMatchObject({ status: 200 })
    expect(started.body).toEqual({ status: 'RECOVERY_CHALLENGE', factorResult: 'WAITING', factorType: 'EMAIL', recoveryType: 'PASSWORD' })
    const recoveryToken = await mailedToken(server, DEMO.active.username, 'reset-password')
    const opened = await postJson(`${api}/recovery/token`, { recoveryToken }, JAVA_HEADERS)
    expect(opened.body).toMatchObject({ status: 'RECOVERY', recoveryType: 'PASSWORD', _embedded: { user: { recovery_question: { question: DADE_QUESTION } } } })
    const again = await postJson(`${api}/recovery/token`, { recoveryToken }, JAVA_HEADERS)
    expect(again).toMatchObject({ status: 401, body: { errorCode: 'E0000011', errorSummary: 'Invalid token provided' } })
    const stateToken = opened.body['stateToken']
    const wrong = await postJson(`${api}/recovery/answer`, { answer: 'amiga', stateToken }, JAVA_HEADERS)
    expect(wrong).toMatchObject({ status: 403, body: { errorCode: 'E0000087' } })
    expect(outcomeOf(await postJson(`${api}/recovery/answer`, { answer: DADE_ANSWER, stateToken }, JAVA_HEADERS))).toBe('PASSWORD_RESET')
    expect(outcomeOf(await postJson(`${api}/credentials/reset_password`, { stateToken, newPassword: 'Java-Mailed-2026' }, JAVA_HEADERS))).toBe('SUCCESS')
    expect(outcomeOf(await postJson(api, { username: DEMO.active.username, password: 'Java-Mailed-2026', relayState: null }, JAVA_HEADERS))).toBe('SUCCESS')
  })

  it('unlockAccount(username, EMAIL, null) for the locked user → the bare answer; its token → SUCCESS (recoveryType UNLOCK, no session token); authenticate → SUCCESS', async () => {
    const { server } = await recoveryServer()
    const api = `${server.url}/api/v1/authn`
    expect(outcomeOf(await postJson(api, { ...DEMO.locked, relayState: null }, JAVA_HEADERS))).toBe('LOCKED_OUT')
    const started = await postJson(`${api}/recovery/unlock`, { username: DEMO.locked.username, factorType: 'EMAIL', relayState: null }, JAVA_HEADERS)
    expect(started.body).toEqual({ status: 'RECOVERY_CHALLENGE', factorResult: 'WAITING', factorType: 'EMAIL', recoveryType: 'UNLOCK' })
    const recoveryToken = await mailedToken(server, DEMO.locked.username, 'unlock')
    const done = await postJson(`${api}/recovery/token`, { recoveryToken }, JAVA_HEADERS)
    expect(done.body).toMatchObject({ status: 'SUCCESS', recoveryType: 'UNLOCK' })
    expect(done.body['sessionToken']).toBeUndefined()
    expect(outcomeOf(await postJson(api, { ...DEMO.locked, relayState: null }, JAVA_HEADERS))).toBe('SUCCESS')
  })

  it('unlockAccount(username, SMS, relayState) after a lockout → verify at /recovery/factors/SMS/verify → RECOVERY (UNLOCK) → answer → SUCCESS UNLOCK', async () => {
    const { server } = await recoveryServer(phoneSeed())
    const api = `${server.url}/api/v1/authn`
    await lockOutRobin(server.url, JAVA_HEADERS)
    const started = await postJson(`${api}/recovery/unlock`, { username: ROBIN.username, factorType: 'SMS', relayState: '/unlocked' }, JAVA_HEADERS)
    expect(started.body).toMatchObject({ status: 'RECOVERY_CHALLENGE', factorType: 'SMS', recoveryType: 'UNLOCK', relayState: '/unlocked' })
    const stateToken = started.body['stateToken']
    const verified = await postJson(`${api}/recovery/factors/SMS/verify`, { stateToken, passCode: await latestCode(server, PHONE) }, JAVA_HEADERS)
    expect(verified.body).toMatchObject({ status: 'RECOVERY', recoveryType: 'UNLOCK' })
    const done = await postJson(`${api}/recovery/answer`, { answer: ROBIN.answer, stateToken }, JAVA_HEADERS)
    expect(done.body).toMatchObject({ status: 'SUCCESS', recoveryType: 'UNLOCK', relayState: '/unlocked' })
    expect(done.body['sessionToken']).toBeUndefined()
    expect(outcomeOf(await postJson(api, { username: ROBIN.username, password: ROBIN.password, relayState: null }, JAVA_HEADERS))).toBe('SUCCESS')
  })

  it('a trusted client (SSWS) with factorType null → RECOVERY with the recovery token, which opens the recovery once; an unknown user is 403 E0000095', async () => {
    const { server } = await recoveryServer()
    const api = `${server.url}/api/v1/authn`
    const trusted = { ...JAVA_HEADERS, ...RECOVERY_TRUSTED }
    const issued = await postJson(`${api}/recovery/password`, { username: DEMO.active.username, factorType: null, relayState: null }, trusted)
    expect(issued.status).toBe(200)
    expect(issued.body).toMatchObject({ status: 'RECOVERY', recoveryType: 'PASSWORD', _embedded: { user: { profile: { login: DEMO.active.username } } } })
    expect(issued.body['stateToken']).toBeUndefined()
    const recoveryToken = String(issued.body['recoveryToken'])
    expect(outcomeOf(await postJson(`${api}/recovery/token`, { recoveryToken }, JAVA_HEADERS))).toBe('RECOVERY')
    expect(outcomeOf(await postJson(`${api}/recovery/token`, { recoveryToken }, JAVA_HEADERS))).toBe('401 E0000011')
    const unknown = await postJson(`${api}/recovery/password`, { username: 'nobody@example.com', factorType: null, relayState: null }, trusted)
    expect(unknown).toMatchObject({ status: 403, body: { errorCode: 'E0000095' } })
    await settle()
    expect(server.outbox.messages()).toHaveLength(0)
  })

  it('an unknown user gets the answer a known one gets (nulls included), and nothing is sent for it', async () => {
    const { server } = await recoveryServer(phoneSeed())
    const api = `${server.url}/api/v1/authn`
    const unknown = await postJson(`${api}/recovery/password`, { username: 'nobody@example.com', factorType: 'SMS', relayState: null }, JAVA_HEADERS)
    const known = await postJson(`${api}/recovery/password`, { username: ROBIN.username, factorType: 'SMS', relayState: null }, JAVA_HEADERS)
    expect(unknown.status).toBe(known.status)
    const { stateToken: _u, expiresAt: _ue, ...unknownRest } = unknown.body
    const { stateToken: _k, expiresAt: _ke, ...knownRest } = known.body
    expect(unknownRest).toEqual(knownRest)
    expect(Object.keys(unknown.body).sort()).toEqual(Object.keys(known.body).sort())
    await latestCode(server, PHONE)
    await settle()
    expect(server.outbox.messages()).toHaveLength(1)
    const mailUnknown = await postJson(`${api}/recovery/password`, { username: 'nobody@example.com', factorType: 'EMAIL', relayState: null }, JAVA_HEADERS)
    const mailKnown = await postJson(`${api}/recovery/password`, { username: ROBIN.username, factorType: 'EMAIL', relayState: null }, JAVA_HEADERS)
    expect(mailUnknown.body).toEqual(mailKnown.body)
    await delivered(server, ROBIN.email)
    await settle()
    expect(server.outbox.messages()).toHaveLength(2)
  })
})

describe('.NET SDK recovery request shapes', () => {
  it('ForgotPasswordAsync {username, relayState: null, factorType: "sms"}; ResendRecoveryChallengeAsync at /recovery/factors/sms/resend (429 E0000109, then a new code); VerifyRecoveryFactorAsync; AnswerRecoveryQuestionAsync; ResetPasswordAsync → SUCCESS', async () => {
    const { server, clock } = await recoveryServer(phoneSeed())
    const api = `${server.url}/api/v1/authn`
    const started = await postJson(`${api}/recovery/password`, { username: ROBIN.username, relayState: null, factorType: 'sms' }, DOTNET_HEADERS)
    expect(started.body).toMatchObject({ status: 'RECOVERY_CHALLENGE', factorType: 'SMS', recoveryType: 'PASSWORD' })
    const stateToken = started.body['stateToken']
    const first = await latestCode(server, PHONE)
    const early = await postJson(`${api}/recovery/factors/sms/resend`, { stateToken }, DOTNET_HEADERS)
    expect(early).toMatchObject({ status: 429, body: { errorCode: 'E0000109' } })
    clock.advance(30_000)
    const resent = await postJson(`${api}/recovery/factors/sms/resend`, { stateToken }, DOTNET_HEADERS)
    expect(resent.body).toMatchObject({ status: 'RECOVERY_CHALLENGE', factorType: 'SMS', stateToken })
    const second = await latestCode(server, PHONE, 2)
    if (second !== first) expect(outcomeOf(await postJson(`${api}/recovery/factors/sms/verify`, { stateToken, passCode: first }, DOTNET_HEADERS))).toBe('403 E0000068')
    const verified = await postJson(`${api}/recovery/factors/sms/verify`, { stateToken, passCode: second }, DOTNET_HEADERS)
    expect(verified.body).toMatchObject({ status: 'RECOVERY', _embedded: { user: { recovery_question: { question: ROBIN.question } } } })
    const wrong = await postJson(`${api}/recovery/answer`, { stateToken, answer: 'Tolkien' }, DOTNET_HEADERS)
    expect(wrong).toMatchObject({ status: 403, body: { errorCode: 'E0000087', errorSummary: 'The recovery question answer did not match our records.' } })
    expect(outcomeOf(await postJson(`${api}/recovery/answer`, { stateToken, answer: ROBIN.answer }, DOTNET_HEADERS))).toBe('PASSWORD_RESET')
    const weak = await postJson(`${api}/credentials/reset_password`, { stateToken, newPassword: 'robin' }, DOTNET_HEADERS)
    expect(weak).toMatchObject({ status: 403, body: { errorCode: 'E0000080' } })
    const done = await postJson(`${api}/credentials/reset_password`, { stateToken, newPassword: 'Dotnet-Reset-2026' }, DOTNET_HEADERS)
    expect(done.body).toMatchObject({ status: 'SUCCESS' })
    expect(typeof done.body['sessionToken']).toBe('string')
    expect(outcomeOf(await postJson(api, { username: ROBIN.username, password: 'Dotnet-Reset-2026' }, DOTNET_HEADERS))).toBe('SUCCESS')
  })

  it('ForgotPasswordAsync with factorType "call" → verify at /recovery/factors/call/verify → RECOVERY; resend there is 429 E0000133', async () => {
    const { server } = await recoveryServer(phoneSeed())
    const api = `${server.url}/api/v1/authn`
    const started = await postJson(`${api}/recovery/password`, { username: ROBIN.username, relayState: '/dotnet', factorType: 'call' }, DOTNET_HEADERS)
    expect(started.body).toMatchObject({ status: 'RECOVERY_CHALLENGE', factorType: 'call', relayState: '/dotnet' })
    const stateToken = started.body['stateToken']
    expect(outcomeOf(await postJson(`${api}/recovery/factors/call/resend`, { stateToken }, DOTNET_HEADERS))).toBe('429 E0000133')
    const verified = await postJson(`${api}/recovery/factors/call/verify`, { stateToken, passCode: await latestCode(server, PHONE) }, DOTNET_HEADERS)
    expect(verified.body).toMatchObject({ status: 'RECOVERY', relayState: '/dotnet' })
  })

  it('ForgotPasswordAsync with factorType "email" → the bare answer; VerifyRecoveryTokenAsync {recoveryToken} → RECOVERY → answer → reset → SUCCESS', async () => {
    const { server } = await recoveryServer()
    const api = `${server.url}/api/v1/authn`
    const started = await postJson(`${api}/recovery/password`, { username: DEMO.active.username, relayState: null, factorType: 'email' }, DOTNET_HEADERS)
    expect(started.body).toEqual({ status: 'RECOVERY_CHALLENGE', factorResult: 'WAITING', factorType: 'EMAIL', recoveryType: 'PASSWORD' })
    const opened = await postJson(`${api}/recovery/token`, { recoveryToken: await mailedToken(server, DEMO.active.username, 'reset-password') }, DOTNET_HEADERS)
    expect(opened.body).toMatchObject({ status: 'RECOVERY', recoveryType: 'PASSWORD' })
    const stateToken = opened.body['stateToken']
    expect(outcomeOf(await postJson(`${api}/recovery/answer`, { stateToken, answer: DADE_ANSWER }, DOTNET_HEADERS))).toBe('PASSWORD_RESET')
    expect(outcomeOf(await postJson(`${api}/credentials/reset_password`, { stateToken, newPassword: 'Dotnet-Mailed-2026' }, DOTNET_HEADERS))).toBe('SUCCESS')
    expect(outcomeOf(await postJson(api, { username: DEMO.active.username, password: 'Dotnet-Mailed-2026' }, DOTNET_HEADERS))).toBe('SUCCESS')
  })

  it('UnlockAccountAsync {factorType: "email", relayState: null, username} for the locked user → its token → SUCCESS UNLOCK; the account signs in', async () => {
    const { server } = await recoveryServer()
    const api = `${server.url}/api/v1/authn`
    const started = await postJson(`${api}/recovery/unlock`, { factorType: 'email', relayState: null, username: DEMO.locked.username }, DOTNET_HEADERS)
    expect(started.body).toEqual({ status: 'RECOVERY_CHALLENGE', factorResult: 'WAITING', factorType: 'EMAIL', recoveryType: 'UNLOCK' })
    const done = await postJson(`${api}/recovery/token`, { recoveryToken: await mailedToken(server, DEMO.locked.username, 'unlock') }, DOTNET_HEADERS)
    expect(done.body).toMatchObject({ status: 'SUCCESS', recoveryType: 'UNLOCK' })
    expect(outcomeOf(await postJson(api, { username: DEMO.locked.username, password: DEMO.locked.password }, DOTNET_HEADERS))).toBe('SUCCESS')
  })

  it('UnlockAccountAsync with factorType "sms" after a lockout → VerifyRecoveryFactorAsync at /recovery/factors/sms/verify → RECOVERY (UNLOCK) → answer → SUCCESS UNLOCK', async () => {
    const { server } = await recoveryServer(phoneSeed())
    const api = `${server.url}/api/v1/authn`
    await lockOutRobin(server.url, DOTNET_HEADERS)
    const started = await postJson(`${api}/recovery/unlock`, { factorType: 'sms', relayState: null, username: ROBIN.username }, DOTNET_HEADERS)
    expect(started.body).toMatchObject({ status: 'RECOVERY_CHALLENGE', factorType: 'SMS', recoveryType: 'UNLOCK' })
    const stateToken = started.body['stateToken']
    expect(outcomeOf(await postJson(`${api}/recovery/factors/sms/verify`, { stateToken, passCode: await latestCode(server, PHONE) }, DOTNET_HEADERS))).toBe('RECOVERY')
    const done = await postJson(`${api}/recovery/answer`, { stateToken, answer: ROBIN.answer }, DOTNET_HEADERS)
    expect(done.body).toMatchObject({ status: 'SUCCESS', recoveryType: 'UNLOCK' })
    expect(outcomeOf(await postJson(api, { username: ROBIN.username, password: ROBIN.password }, DOTNET_HEADERS))).toBe('SUCCESS')
  })

  it('a null member is an absent one: factorType null from a public client is answered as a missing factorType', async () => {
    const { server } = await recoveryServer()
    const api = `${server.url}/api/v1/authn`
    const nulled = await postJson(`${api}/recovery/password`, { username: DEMO.active.username, relayState: null, factorType: null }, DOTNET_HEADERS)
    const absent = await postJson(`${api}/recovery/password`, { username: DEMO.active.username }, DOTNET_HEADERS)
    expect(nulled.status).toBe(absent.status)
    expect([nulled.body['errorCode'], nulled.body['errorCauses']]).toEqual([absent.body['errorCode'], absent.body['errorCauses']])
    expect(nulled).toMatchObject({ status: 400, body: { errorCode: 'E0000001' } })
    await settle()
    expect(server.outbox.messages()).toHaveLength(0)
  })
})
