import { describe, expect, it } from 'vitest'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { BODY_TOO_LARGE, createAuthnHandler, type AuthnOperations, type HttpRequestContext, type HttpResponse, type Operation } from '../src/index.js'
import { DADE, PASSWORD, json, post, rightReply, setupEngine, setupHandler, spyOn } from './helpers.js'

const KATE = { username: 'kate.libby@example.com', password: PASSWORD }
const NOT_ALLOWED = 'This operation is not allowed in the current authentication state.'

const expectOktaError = (r: HttpResponse, status: number, code: string) => {
  expect(r.status).toBe(status)
  expect(r.headers['content-type']).toBe('application/json; charset=utf-8')
  const body = json(r)
  expect(body).toMatchObject({ errorCode: code, errorLink: code })
  expect(typeof body['errorSummary']).toBe('string')
  expect(body['errorId']).toMatch(/^oae[\w-]{22}$/)
  expect(Array.isArray(body['errorCauses'])).toBe(true)
  expect(String(r.body)).not.toMatch(/\bat .*\.ts:\d+/)
  return body
}

const stateTokenFor = async (handler: Awaited<ReturnType<typeof setupHandler>>['handler']) => {
  const r = await handler(post('/api/v1/authn', KATE))
  expect(json(r)['status']).toBe('PASSWORD_EXPIRED')
  return String(json(r)['stateToken'])
}

describe('routing to the engine', () => {
  it('primary authentication answers SUCCESS with a session token', async () => {
    const { handler } = await setupHandler()
    const r = await handler(post('/api/v1/authn', DADE))
    expect(r.status).toBe(200)
    expect(r.headers['cache-control']).toBe('no-cache, no-store')
    const body = json(r)
    expect(body).toMatchObject({ status: 'SUCCESS', _embedded: { user: { profile: { login: DADE.username } } } })
    expect(body['sessionToken']).toMatch(/^20111/)
    expect(body).not.toHaveProperty('stateToken')
  })

  it('a wrong password is 401 E0000004 with empty causes', async () => {
    const { handler } = await setupHandler()
    const body = expectOktaError(await handler(post('/api/v1/authn', { ...DADE, password: 'nope' })), 401, 'E0000004')
    expect(body).toMatchObject({ errorSummary: 'Authentication failed', errorCauses: [] })
  })

  it('builds hrefs from the Host header, https for TLS, or from the configured public base URL', async () => {
    const plain = await setupHandler()
    const r1 = json(await plain.handler(post('/api/v1/authn', KATE)))
    expect(r1).toMatchObject({
      _links: {
        next: { name: 'changePassword', href: 'http://login.example.test:8080/api/v1/authn/credentials/change_password' },
        cancel: { href: 'http://login.example.test:8080/api/v1/authn/cancel', hints: { allow: ['POST'] } },
      },
    })
    const r2 = json(await plain.handler({ ...post('/api/v1/authn', KATE), secure: true }))
    expect(r2).toMatchObject({ _links: { cancel: { href: 'https://login.example.test:8080/api/v1/authn/cancel' } } })
    const configured = await setupHandler({ publicBaseUrl: 'https://login.example.com/' })
    const r3 = json(await configured.handler(post('/api/v1/authn', KATE)))
    expect(r3).toMatchObject({ _links: { cancel: { href: 'https://login.example.com/api/v1/authn/cancel' } } })
  })

  it('refuses a Host header that is not a host name (400), unless a public base URL is configured', async () => {
    const { handler } = await setupHandler()
    expectOktaError(await handler(post('/api/v1/authn', DADE, { host: 'evil.example/<script>' })), 400, 'E0000001')
    const configured = await setupHandler({ publicBaseUrl: 'https://login.example.com' })
    expect((await configured.handler(post('/api/v1/authn', DADE, { host: 'evil.example/<x>' }))).status).toBe(200)
  })

  it('get state, change password, cancel and a later use of the cancelled token', async () => {
    const { handler } = await setupHandler()
    const stateToken = await stateTokenFor(handler)
    expect(json(await handler(post('/api/v1/authn', { stateToken })))['status']).toBe('PASSWORD_EXPIRED')
    expect(json(await handler(post('/api/v1/authn/introspect', { stateToken })))['status']).toBe('PASSWORD_EXPIRED')
    const wrongOld = await handler(
      post('/api/v1/authn/credentials/change_password', { stateToken, oldPassword: 'bad', newPassword: 'N3w-Passw0rd!' }),
    )
    expectOktaError(wrongOld, 403, 'E0000014')
    const cancel = await handler(post('/api/v1/authn/cancel', { stateToken }))
    expect(cancel.status).toBe(200)
    expect(json(cancel)).toEqual({ relayState: '' })
    expectOktaError(await handler(post('/api/v1/authn', { stateToken })), 401, 'E0000011')
  })

  it('skip and previous where not allowed answer the engine’s 403 E0000079', async () => {
    const { handler } = await setupHandler()
    const stateToken = await stateTokenFor(handler)
    for (const path of ['/api/v1/authn/skip', '/api/v1/authn/previous']) {
      const body = expectOktaError(await handler(post(path, { stateToken })), 403, 'E0000079')
      expect(body['errorSummary']).toBe(NOT_ALLOWED)
    }
  })

  it('activation token → PASSWORD_RESET → reset_password → SUCCESS', async () => {
    const { handler } = await setupHandler()
    const r = json(await handler(post('/api/v1/authn', { token: 'activation-token-paul' })))
    expect(r).toMatchObject({ status: 'PASSWORD_RESET', recoveryType: 'ACCOUNT_ACTIVATION', _links: { next: { name: 'resetPassword' } } })
    const done = json(await handler(post('/api/v1/authn/credentials/reset_password', { stateToken: r['stateToken'], newPassword: 'Fresh-Start-42' })))
    expect(done['status']).toBe('SUCCESS')
  })

  it('ignores one trailing slash', async () => {
    const { handler } = await setupHandler()
    expect((await handler(post('/api/v1/authn/', DADE))).status).toBe(200)
  })
})

describe('POST /api/v1/sessions', () => {
  it('redeems a session token once into an Okta session object', async () => {
    const { handler } = await setupHandler()
    const sessionToken = json(await handler(post('/api/v1/authn', DADE)))['sessionToken']
    const r = await handler(post('/api/v1/sessions', { sessionToken }))
    expect(r.status).toBe(200)
    const session = json(r)
    expect(session).toMatchObject({ status: 'ACTIVE', amr: ['pwd'], idp: { type: 'OKTA' }, mfaActive: false })
    expect(session['userId']).toMatch(/^00u/)
    expect(session['id']).toMatch(/^102[\w-]{22}$/)
    expect(Date.parse(String(session['expiresAt']))).toBeGreaterThan(Date.parse(String(session['createdAt'])))
    expectOktaError(await handler(post('/api/v1/sessions', { sessionToken })), 401, 'E0000004')
  })

  it('an unknown session token is 401 E0000004', async () => {
    const { handler } = await setupHandler()
    expectOktaError(await handler(post('/api/v1/sessions', { sessionToken: '20111nope' })), 401, 'E0000004')
  })
})

/** A body every state-token operation decodes (an enrollment needs its factor type and provider). */
/** A body every state-token route decodes (the recovery routes need their `passCode` / `answer`). */
const stateBody = (stateToken: string) => ({ stateToken, factorType: 'question', provider: 'OKTA', passCode: '123456', answer: 'an answer' })

describe('state-token routes in a state that does not accept them (and routes the engine has no operation for yet)', () => {
  const stateTokenRoutes = [
    '/api/v1/authn/factors',
    '/api/v1/authn/factors/ostf1/verify',
    '/api/v1/authn/factors/ostf1/verify/resend',
    '/api/v1/authn/factors/ostf1/lifecycle/activate',
    '/api/v1/authn/factors/opf1/lifecycle/activate/poll',
    '/api/v1/authn/factors/opf1/lifecycle/activate/email',
    '/api/v1/authn/factors/opf1/lifecycle/activate/sms',
    '/api/v1/authn/factors/sms1/lifecycle/resend',
    '/api/v1/authn/factors/webauthn/verify',
    '/api/v1/authn/recovery/factors/sms/verify',
    '/api/v1/authn/recovery/factors/SMS/verify',
    '/api/v1/authn/recovery/factors/CALL/resend',
    '/api/v1/authn/recovery/factors/Call/verify',
    '/api/v1/authn/recovery/answer',
  ]

  it.each(stateTokenRoutes)('%s: live token → 403 E0000079 with the state cause', async (path) => {
    const { handler } = await setupHandler()
    const stateToken = await stateTokenFor(handler)
    const body = expectOktaError(await handler(post(path, stateBody(stateToken))), 403, 'E0000079')
    expect(body).toMatchObject({ errorSummary: NOT_ALLOWED, errorCauses: [{ errorSummary: NOT_ALLOWED }] })
  })

  it.each(stateTokenRoutes)('%s: unknown token → 401 E0000011, missing token → 400 E0000001', async (path) => {
    const { handler } = await setupHandler()
    expectOktaError(await handler(post(path, stateBody('00unknown'))), 401, 'E0000011')
    expectOktaError(await handler(post(path, { passCode: '123456' })), 400, 'E0000001')
  })

  it.each(['/api/v1/authn/recovery/password', '/api/v1/authn/recovery/unlock'])('%s (recovery start, no state token): the bare email challenge, for anyone', async (path) => {
    const { handler } = await setupHandler()
    for (const username of [DADE.username, 'nobody@example.com']) {
      const r = await handler(post(path, { username, factorType: 'email' }))
      expect(r.status).toBe(200)
      expect(json(r)).toMatchObject({ status: 'RECOVERY_CHALLENGE', factorResult: 'WAITING', factorType: 'EMAIL' })
    }
  })

  it('/api/v1/authn/recovery/token: an unknown recovery token → 401 E0000011, a missing one → 400 E0000001', async () => {
    const { handler } = await setupHandler()
    expectOktaError(await handler(post('/api/v1/authn/recovery/token', { recoveryToken: 'VBQ0gwBp5LyJJFdbmWCM' })), 401, 'E0000011')
    expectOktaError(await handler(post('/api/v1/authn/recovery/token', { username: DADE.username })), 400, 'E0000001')
  })

  it('an unknown recovery factor segment is 404', async () => {
    const { handler } = await setupHandler()
    expectOktaError(await handler(post('/api/v1/authn/recovery/factors/email/verify', { stateToken: 'x' })), 404, 'E0000008')
  })

  it('calls a planned operation as soon as the engine has it, with path parameters and query flags in the body', async () => {
    const { authn } = await setupEngine()
    const seen: Array<{ body: unknown; context: HttpRequestContext }> = []
    const verifyFactor: Operation = (body, call) => {
      seen.push({ body, context: call.context as HttpRequestContext })
      return rightReply({ status: 'MFA_CHALLENGE' })
    }
    const engine: AuthnOperations = { ...authn, verifyFactor: verifyFactor as AuthnOperations['verifyFactor'] }
    const handler = createAuthnHandler({ engine, allowedHosts: ['login.example.test'] })
    const r = await handler(
      post('/api/v1/authn/factors/opf123/verify?rememberDevice=true&autoPush=FALSE', { stateToken: 's', factorId: 'other', passCode: '1' }),
    )
    expect(json(r)).toEqual({ status: 'MFA_CHALLENGE' })
    expect(seen[0]?.body).toEqual({ stateToken: 's', factorId: 'opf123', passCode: '1', rememberDevice: true, autoPush: false })
    const recovery = createAuthnHandler({ engine: { ...authn, verifyRecoveryFactor: verifyFactor as AuthnOperations['verifyRecoveryFactor'] }, allowedHosts: ['login.example.test'] })
    await recovery(post('/api/v1/authn/recovery/factors/CALL/verify', { stateToken: 's', passCode: '1' }))
    expect(seen[1]?.body).toEqual({ stateToken: 's', passCode: '1', factorType: 'call' })
  })
})

describe('null members (Java and .NET SDKs send unset fields as null)', () => {
  it('are dropped before the engine sees the body', async () => {
    const { authn } = await setupEngine()
    const spy = spyOn(authn)
    const handler = createAuthnHandler({ engine: spy.engine, allowedHosts: ['login.example.test'] })
    const r = await handler(
      post('/api/v1/authn', { ...DADE, relayState: null, audience: null, stateToken: null, options: { warnBeforePasswordExpired: null }, context: { deviceToken: null } }),
    )
    expect(r.status).toBe(200)
    expect(spy.calls[0]?.body).toEqual({ ...DADE, options: {}, context: {} })
  })

  it('keep a __proto__ member a plain member', async () => {
    const { authn } = await setupEngine()
    const spy = spyOn(authn)
    const handler = createAuthnHandler({ engine: spy.engine, allowedHosts: ['login.example.test'] })
    await handler(post('/api/v1/authn', '{"__proto__":{"stateToken":"x"},"username":"a","password":"b","relayState":null}'))
    const body = spy.calls[0]?.body as Record<string, unknown>
    expect(Object.getPrototypeOf(body)).toBe(Object.prototype)
    expect(body['stateToken']).toBeUndefined()
  })
})

describe('rememberDevice and autoPush', () => {
  it('are taken from the body (.NET) and from the query (okta-auth-js), the query winning', async () => {
    const { authn } = await setupEngine()
    const spy = spyOn(authn)
    const handler = createAuthnHandler({ engine: spy.engine, allowedHosts: ['login.example.test'] })
    await handler(post('/api/v1/authn', { ...DADE, rememberDevice: true }))
    await handler(post('/api/v1/authn?autoPush=true&rememberDevice=false', { ...DADE, rememberDevice: true }))
    expect(spy.calls[0]?.body).toMatchObject({ rememberDevice: true })
    expect(spy.calls[1]?.body).toMatchObject({ rememberDevice: false, autoPush: true })
  })
})

describe('HTTP-level refusals', () => {
  it('unknown paths are 404 E0000008, for any method', async () => {
    const { handler } = await setupHandler()
    expectOktaError(await handler(post('/api/v1/authn/nope', {})), 404, 'E0000008')
    expectOktaError(await handler({ ...post('/', {}), method: 'GET' }), 404, 'E0000008')
    expectOktaError(await handler(post('/API/V1/AUTHN', DADE)), 404, 'E0000008')
  })

  it('another method on a known path is 405 E0000022 with Allow: POST', async () => {
    const { handler } = await setupHandler()
    for (const method of ['GET', 'PUT', 'DELETE', 'HEAD', 'PATCH']) {
      const r = await handler({ ...post('/api/v1/authn', ''), method, body: null })
      expectOktaError(r, 405, 'E0000022')
      expect(r.headers['allow']).toBe('POST')
    }
  })

  it('a non-JSON content type is 415 E0000012; JSON with parameters or a +json type is fine', async () => {
    const { handler } = await setupHandler()
    const form = await handler(post('/api/v1/authn', 'username=a&password=b', { 'content-type': 'application/x-www-form-urlencoded' }))
    expectOktaError(form, 415, 'E0000012')
    expectOktaError(await handler(post('/api/v1/authn', DADE, { 'content-type': 'text/plain' })), 415, 'E0000012')
    expectOktaError(await handler(post('/api/v1/authn', DADE, { 'content-type': 'application/json; charset=latin1' })), 415, 'E0000012')
    expect((await handler(post('/api/v1/authn', DADE, { 'content-type': 'application/json; charset=UTF-8' }))).status).toBe(200)
    expect((await handler(post('/api/v1/authn', DADE, { 'content-type': 'application/vnd.okta+json' }))).status).toBe(200)
    expect((await handler(post('/api/v1/authn', DADE, { 'content-type': 'APPLICATION/JSON;Charset="utf-8"' }))).status).toBe(200)
  })

  it('a body without Content-Type is 415 E0000012 (no cross-origin post without a preflight)', async () => {
    const { handler } = await setupHandler()
    const noType = post('/api/v1/authn', DADE)
    const { 'content-type': _dropped, ...headers } = noType.headers
    const r = expectOktaError(await handler({ ...noType, headers }), 415, 'E0000012')
    expect(r['errorSummary']).toBe('Unsupported media type')
    // An empty body without a type is still the empty-body 400, not a 415.
    expectOktaError(await handler({ ...noType, headers, body: null }), 400, 'E0000003')
  })

  it('a body over the limit is 413 with Okta’s E0000003 (default 64 KiB, configurable), also when the glue stopped reading', async () => {
    const { handler } = await setupHandler()
    expect(handler.bodyLimit).toBe(65536)
    const big = JSON.stringify({ ...DADE, relayState: 'x'.repeat(70_000) })
    const r = await handler(post('/api/v1/authn', big))
    const body = expectOktaError(r, 413, 'E0000003')
    expect(body['errorSummary']).toBe('The request body was not well-formed.')
    expect(body['errorCauses']).toEqual([{ errorSummary: 'The request body must not be larger than 65536 bytes.' }])
    expect(r.headers['connection']).toBe('close')
    expectOktaError(await handler({ ...post('/api/v1/authn', ''), body: BODY_TOO_LARGE }), 413, 'E0000003')
    const small = await setupHandler({ bodyLimit: 63 })
    expectOktaError(await small.handler(post('/api/v1/authn', DADE)), 413, 'E0000003')
    expectOktaError(await small.handler(post('/api/v1/authn', new TextEncoder().encode(JSON.stringify(DADE)))), 413, 'E0000003')
  })

  it('malformed JSON, invalid UTF-8 and an empty body are 400 E0000003; a non-object is the engine’s E0000003', async () => {
    const { handler } = await setupHandler()
    expectOktaError(await handler(post('/api/v1/authn', '{"username":')), 400, 'E0000003')
    expectOktaError(await handler(post('/api/v1/authn', new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]))), 400, 'E0000003')
    expectOktaError(await handler(post('/api/v1/authn', '')), 400, 'E0000003')
    expectOktaError(await handler({ ...post('/api/v1/authn', ''), body: null }), 400, 'E0000003')
    expectOktaError(await handler(post('/api/v1/authn', '[1,2]')), 400, 'E0000003')
    expectOktaError(await handler(post('/api/v1/authn', 'null')), 400, 'E0000003')
  })

  it('bytes bodies are decoded as UTF-8', async () => {
    const { handler } = await setupHandler()
    expect((await handler(post('/api/v1/authn', new TextEncoder().encode(JSON.stringify(DADE))))).status).toBe(200)
  })

  it('invalid fields are 400 E0000001 from the engine’s codecs', async () => {
    const { handler } = await setupHandler()
    const body = expectOktaError(await handler(post('/api/v1/authn', { username: 42, password: PASSWORD })), 400, 'E0000001')
    expect(body['errorSummary']).toBe('Api validation failed: authRequest')
  })

  it('an unexpected exception is 500 E0000009 without details', async () => {
    const { authn } = await setupEngine()
    const errors: unknown[] = []
    const handler = createAuthnHandler({
      allowedHosts: ['login.example.test'],
      engine: {
        ...authn,
        authenticate: () => {
          throw new Error('secret internal detail')
        },
      },
      onError: (e) => errors.push(e),
    })
    const r = await handler(post('/api/v1/authn', DADE))
    const body = expectOktaError(r, 500, 'E0000009')
    expect(body['errorCauses']).toEqual([])
    expect(String(r.body)).not.toContain('secret internal detail')
    expect(errors).toHaveLength(1)
    const rejecting = createAuthnHandler({ engine: { ...authn, authenticate: () => () => Promise.reject(new Error('boom')) }, allowedHosts: ['login.example.test'] })
    expectOktaError(await rejecting(post('/api/v1/authn', DADE)), 500, 'E0000009')
  })
})

describe('CORS', () => {
  const ORIGIN = 'https://app.example.com'

  it('answers a preflight from a trusted origin with 204 and the CORS headers', async () => {
    const { handler } = await setupHandler({ trustedOrigins: [ORIGIN] })
    const r = await handler({
      method: 'OPTIONS',
      url: '/api/v1/authn/factors/ost1/verify?rememberDevice=true',
      headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-okta-user-agent-extended' },
      body: null,
      remoteAddress: '10.0.0.7',
    })
    expect(r.status).toBe(204)
    expect(r.body).toBe('')
    expect(r.headers).toMatchObject({
      'access-control-allow-origin': ORIGIN,
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'POST, GET, OPTIONS',
      'access-control-allow-headers': 'content-type, accept, authorization, x-okta-user-agent-extended, x-device-fingerprint, x-requested-with',
      vary: 'Origin',
    })
  })

  it('echoes a trusted origin on actual requests, errors included', async () => {
    const { handler } = await setupHandler({ trustedOrigins: [`${ORIGIN}/`] })
    const ok = await handler(post('/api/v1/authn', DADE, { origin: ORIGIN }))
    expect(ok.headers).toMatchObject({ 'access-control-allow-origin': ORIGIN, 'access-control-allow-credentials': 'true' })
    expect(ok.headers).not.toHaveProperty('access-control-allow-methods')
    const bad = await handler(post('/api/v1/authn', { ...DADE, password: 'x' }, { origin: ORIGIN }))
    expect(bad.headers['access-control-allow-origin']).toBe(ORIGIN)
  })

  it('gives untrusted origins no CORS headers at all', async () => {
    const { handler } = await setupHandler({ trustedOrigins: [ORIGIN] })
    for (const origin of ['https://evil.example.com', 'http://app.example.com', 'null', 'https://app.example.com.evil.example']) {
      const pre = await handler({ method: 'OPTIONS', url: '/api/v1/authn', headers: { origin }, body: null, remoteAddress: null })
      const act = await handler(post('/api/v1/authn', DADE, { origin }))
      for (const r of [pre, act]) {
        expect(Object.keys(r.headers).filter((h) => h.startsWith('access-control-'))).toEqual([])
      }
    }
  })
})

describe('trusted callers (Authorization: SSWS)', () => {
  const TOKEN = '00TrustedApiToken-abcdefghijklmnop'

  const setupSpy = async () => {
    const { authn } = await setupEngine()
    const spy = spyOn(authn)
    // Requests come through a gateway at 10.0.0.7 (the helpers' connection address) in 10.0.0.0/8.
    const handler = createAuthnHandler({ engine: spy.engine, apiTokens: ['another-token', TOKEN], allowedHosts: ['login.example.test'], trustedProxies: ['10.0.0.0/8'] })
    const contextOf = (i: number) => spy.calls[i]?.call.context as HttpRequestContext
    return { handler, contextOf }
  }

  const overrides = {
    'x-forwarded-for': '203.0.113.9, 10.0.0.1',
    'x-device-fingerprint': 'fp-123',
    'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) TestBrowser/1.0',
  }
  const withDevice = { ...DADE, context: { deviceToken: '26q43Ak9Eh04p7H6Nnx0m69JqYOrfVBY' } }

  it('honours X-Forwarded-For, context.deviceToken and X-Device-Fingerprint with a valid token', async () => {
    const { handler, contextOf } = await setupSpy()
    const r = await handler(post('/api/v1/authn', withDevice, { ...overrides, authorization: `SSWS ${TOKEN}` }))
    expect(r.status).toBe(200)
    expect(contextOf(0)).toEqual({
      ip: '203.0.113.9',
      userAgent: overrides['user-agent'],
      deviceToken: '26q43Ak9Eh04p7H6Nnx0m69JqYOrfVBY',
      trusted: true,
      deviceFingerprint: 'fp-123',
    })
  })

  it('ignores them for public callers (no Authorization, or another scheme): their device is the cookie the binding draws', async () => {
    const { handler, contextOf } = await setupSpy()
    await handler(post('/api/v1/authn', withDevice, overrides))
    await handler(post('/api/v1/authn', withDevice, { ...overrides, authorization: 'Bearer abc' }))
    for (const i of [0, 1]) {
      expect(contextOf(i)).toEqual({
        ip: '10.0.0.7',
        userAgent: overrides['user-agent'],
        deviceToken: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/) as unknown,
        trusted: false,
        deviceFingerprint: null,
      })
      expect(contextOf(i).deviceToken).not.toBe(withDevice.context.deviceToken)
    }
  })

  describe('the device cookie (DT) of browsers, for remember device', () => {
    const DT = /^DT=([A-Za-z0-9_-]{32}); Path=\/api\/v1\/authn; Max-Age=31536000; HttpOnly; SameSite=Lax$/

    it('a public sign-in without one gets a fresh one with its answer, and the engine gets the same token', async () => {
      const { handler, contextOf } = await setupSpy()
      const r = await handler(post('/api/v1/authn', DADE))
      expect(r.status).toBe(200)
      const token = DT.exec(r.headers['set-cookie'] ?? '')?.[1]
      expect(token).toBeDefined()
      expect(contextOf(0).deviceToken).toBe(token)
    })

    it('a public sign-in with one passes it on and sets none; a malformed one is replaced', async () => {
      const { handler, contextOf } = await setupSpy()
      const token = 'AbCdEfGhIjKlMnOpQrStUvWxYz012345'
      const kept = await handler(post('/api/v1/authn', DADE, { cookie: `other=1; DT=${token}` }))
      expect(kept.headers['set-cookie']).toBeUndefined()
      expect(contextOf(0).deviceToken).toBe(token)
      const replaced = await handler(post('/api/v1/authn', DADE, { cookie: 'DT=short' }))
      expect(replaced.headers['set-cookie']).toMatch(DT)
      expect(contextOf(1).deviceToken).not.toBe('short')
    })

    it('a trusted caller gets none and its cookie is not read (its device is context.deviceToken); a failed sign-in sets none', async () => {
      const { handler, contextOf } = await setupSpy()
      const trusted = await handler(post('/api/v1/authn', withDevice, { authorization: `SSWS ${TOKEN}`, cookie: 'DT=AbCdEfGhIjKlMnOpQrStUvWxYz012345' }))
      expect(trusted.headers['set-cookie']).toBeUndefined()
      expect(contextOf(0).deviceToken).toBe(withDevice.context.deviceToken)
      const failed = await handler(post('/api/v1/authn', { ...DADE, password: 'wrong' }))
      expect(failed.status).toBe(401)
      expect(failed.headers['set-cookie']).toBeUndefined()
    })
  })

  it('an invalid SSWS token is 401 E0000011 "Invalid token provided"', async () => {
    const { handler } = await setupSpy()
    for (const authorization of ['SSWS wrong', `SSWS ${TOKEN}x`, 'SSWS', `SSWS ${TOKEN.slice(0, -1)}`]) {
      const body = expectOktaError(await handler(post('/api/v1/authn', DADE, { authorization })), 401, 'E0000011')
      expect(body['errorSummary']).toBe('Invalid token provided')
    }
  })

  it('without configured tokens every SSWS token is invalid', async () => {
    const { handler } = await setupHandler()
    expectOktaError(await handler(post('/api/v1/authn', DADE, { authorization: 'SSWS anything' })), 401, 'E0000011')
  })
})

describe('robustness', () => {
  it('never answers 500 for odd client input', async () => {
    const { handler } = await setupHandler()
    const odd = [
      post('/api/v1/authn/factors/%E0%A4%A/verify', { stateToken: 'x' }),
      post('/api/v1/authn', '{"__proto__":{"polluted":true},"username":"a","password":"b"}'),
      post('/api/v1/authn', JSON.stringify({ username: 'a'.repeat(300), password: 'b' })),
      post('/api/v1/authn', JSON.stringify({ username: '\uD83D\uDE00', password: 'b' })),
      post('/api/v1/authn', { stateToken: 12 }),
      post('/api/v1/authn/cancel', { stateToken: '' }),
      post('http://login.example.test/api/v1/authn?x=%zz', DADE),
      { ...post('/api/v1/authn', DADE), headers: { host: ['a.example', 'b.example'], 'content-type': 'application/json' } },
      { ...post('/api/v1/authn', DADE), method: 'post' },
    ]
    for (const req of odd) {
      const r = await handler(req)
      expect(r.status, req.url).toBeLessThan(500)
    }
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined()
  })

  it('uses TaskEither engines that answer errors as given', async () => {
    const { authn } = await setupEngine()
    const handler = createAuthnHandler({
      allowedHosts: ['login.example.test'],
      engine: { ...authn, skip: () => TE.left({ status: 429, body: { errorCode: 'E0000047', errorSummary: 's', errorLink: 'E0000047', errorId: 'oae', errorCauses: [] } }) },
    })
    const r = await handler(post('/api/v1/authn/skip', { stateToken: 'x' }))
    expect(r.status).toBe(429)
    expect(json(r)['errorCode']).toBe('E0000047')
  })
})
