import { describe, expect, it } from 'vitest'
import { createMemoryStores } from '@authn-machine/adapter-memory'
import type { OrgSeed } from '@authn-machine/core'
import { createManualClock, createSeededRandom, createTrivialHasher } from '@authn-machine/testkit/fixtures'
import { createInProcessSystem } from '../src/index.js'
import { CALL, FACTOR_PLUGINS, T0 } from './in-process-driver.js'
import { secretBytes, totpCode } from '@authn-machine/factor-totp'

const TOTP_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'
const codeAt = async (secret: string, ms: number): Promise<string> => {
  const key = secretBytes(secret)
  if (key === null) throw new Error('not a base32 key')
  return totpCode(key, Math.floor(ms / 1000), { digits: 6, step: 30, algorithm: 'sha1' })
}

const PASSWORD = 'Right-Passw0rd-1'
const LOGIN = 'stepup@example.com'
const RETURN_URL = 'https://apps.example.com/saml/acs?app=sfdc'

type SeedApp = NonNullable<OrgSeed['apps']>[number]
const app = (id: string, more: Partial<SeedApp> = {}): SeedApp => ({
  id,
  name: 'salesforce',
  label: 'Corporate SFDC',
  protocol: 'SAML2.0',
  returnUrl: RETURN_URL,
  logo: { href: 'https://apps.example.com/sfdc.png', type: 'image/png' },
  ...more,
})

const APPS: ReadonlyArray<SeedApp> = [
  app('0oaopen0000000001'),
  app('0oamfa00000000001', { signOn: { requireFactor: true, factorLifetimeMinutes: 15 } }),
  app('0oadeny0000000001', { signOn: { access: 'DENY' } }),
  app('0oaoff00000000001', { status: 'INACTIVE' }),
]

const system = async (apps: ReadonlyArray<SeedApp> = APPS, orgRequiresFactor = false) => {
  const clock = createManualClock(T0)
  const stores = createMemoryStores()
  const seed: OrgSeed = {
    users: [
      {
        id: '00ustepup0000000001',
        login: LOGIN,
        firstName: 'Stella',
        lastName: 'Upton',
        password: PASSWORD,
        factors: [{ factorType: 'token:software:totp', provider: 'GOOGLE', secret: TOTP_SECRET, id: 'uftstepup0000000001' }],
      },
    ],
    policies: { signOn: { requireFactor: orgRequiresFactor }, password: { lockout: { maxAttempts: 5 } } },
    apps,
  }
  const s = await createInProcessSystem({ seed, ...stores, factorPlugins: FACTOR_PLUGINS, hasher: createTrivialHasher(), clock, random: createSeededRandom(4), call: CALL })
  return { ...s, clock, stores }
}

const body = (r: { readonly body: unknown }) => r.body as Record<string, unknown>
const embedded = (r: { readonly body: unknown }) => body(r)['_embedded'] as Record<string, unknown>
const links = (r: { readonly body: unknown }) => body(r)['_links'] as Record<string, Record<string, unknown>>
const originalToken = (r: { readonly body: unknown }) => new URL(String(links(r)['next']?.['href'])).searchParams.get('stateToken') ?? ''

const TARGET = { type: 'APP', name: 'salesforce', label: 'Corporate SFDC', _links: { logo: { name: 'medium', href: 'https://apps.example.com/sfdc.png', type: 'image/png' } } }

describe('step-up (spec §4.2, §4.3; docs/adr/0028-step-up.md)', () => {
  it('IdP-initiated: audience of an allowing app → SUCCESS typed SESSION_STEP_UP with the `original` link and no session token; the link works once', async () => {
    const { driver, stores } = await system()
    const r = await driver.authenticate({ username: LOGIN, password: PASSWORD, audience: '0oaopen0000000001' })
    expect(body(r)).toMatchObject({ type: 'SESSION_STEP_UP', status: 'SUCCESS' })
    expect(body(r)['sessionToken']).toBeUndefined()
    expect(embedded(r)).toMatchObject({ user: { profile: { login: LOGIN } }, target: TARGET, authentication: { protocol: 'SAML2.0', issuer: { id: '0oaopen0000000001', name: 'Corporate SFDC', uri: 'https://apps.example.com' } } })
    expect(links(r)['next']).toMatchObject({ name: 'original', hints: { allow: ['GET'] } })
    const token = originalToken(r)
    expect(body(r)['stateToken']).toBe(token)
    // It is not a session token, nor a transaction's state token.
    expect(body(await driver.redeemSessionToken({ sessionToken: token }))['errorCode']).toBe('E0000004')
    expect(body(await driver.authenticate({ stateToken: token }))['errorCode']).toBe('E0000011')
    const first = await driver.stepUpRedirect(token)
    expect(first).toEqual({ status: 302, body: { location: RETURN_URL } })
    const second = await driver.stepUpRedirect(token)
    expect([second.status, body(second)['errorCode']]).toEqual([401, 'E0000011'])
    // The return URL is the app's configuration: changed there, followed there.
    const again = await driver.authenticate({ username: LOGIN, password: PASSWORD, audience: '0oaopen0000000001' })
    await stores.apps.put({ ...(await stores.apps.find('0oaopen0000000001')().then((e) => (e._tag === 'Right' ? e.right : null)))!, returnUrl: 'https://apps.example.com/moved' })()
    expect(await driver.stepUpRedirect(originalToken(again))).toEqual({ status: 302, body: { location: 'https://apps.example.com/moved' } })
  })

  it('audience: unknown → 400 E0000001 "Invalid or unknown audience", inactive → "Sign in not allowed for app", a denying app → 401 E0000004; no password is checked for the first two', async () => {
    const { driver } = await system()
    const unknown = await driver.authenticate({ username: LOGIN, password: 'wrong', audience: '0oanope0000000001' })
    expect([unknown.status, body(unknown)['errorCode'], body(unknown)['errorCauses']]).toEqual([400, 'E0000001', [{ errorSummary: "Invalid or unknown audience '0oanope0000000001'." }]])
    const inactive = await driver.authenticate({ username: LOGIN, password: PASSWORD, audience: '0oaoff00000000001' })
    expect([inactive.status, body(inactive)['errorCauses']]).toEqual([400, [{ errorSummary: "Sign in not allowed for app '0oaoff00000000001'." }]])
    const denied = await driver.authenticate({ username: LOGIN, password: PASSWORD, audience: '0oadeny0000000001' })
    expect([denied.status, body(denied)['errorCode']]).toEqual([401, 'E0000004'])
    // The same user signs in without an audience (the org allows it).
    expect(body(await driver.authenticate({ username: LOGIN, password: PASSWORD }))['status']).toBe('SUCCESS')
  })

  it('an app that asks for a factor: MFA_REQUIRED typed SESSION_STEP_UP with target and authentication, then SUCCESS with `original` after the factor', async () => {
    const { driver, clock } = await system()
    const r = await driver.authenticate({ username: LOGIN, password: PASSWORD, audience: '0oamfa00000000001' })
    expect(body(r)).toMatchObject({ type: 'SESSION_STEP_UP', status: 'MFA_REQUIRED' })
    expect(Object.keys(embedded(r))).toEqual(['user', 'factors', 'policy', 'target', 'authentication'])
    expect(links(r)['cancel']).toBeDefined()
    // Nothing to redirect to yet: no token was issued.
    const stateToken = body(r)['stateToken']
    const wrong = await driver.verifyFactor({ stateToken, factorId: 'uftstepup0000000001', passCode: '000000' })
    expect(body(wrong)['errorCode']).toBe('E0000068')
    const ok = await driver.verifyFactor({ stateToken, factorId: 'uftstepup0000000001', passCode: await codeAt(TOTP_SECRET, clock.now()) })
    expect(body(ok)).toMatchObject({ type: 'SESSION_STEP_UP', status: 'SUCCESS' })
    expect(await driver.stepUpRedirect(originalToken(ok))).toEqual({ status: 302, body: { location: RETURN_URL } })
  })

  it('SP-initiated: UNAUTHENTICATED (no user, no cancel) → a wrong password is 401 E0000004 and the ticket still works → SUCCESS; other operations are 403 E0000079', async () => {
    const { driver } = await system()
    const opened = await driver.openStepUp({ appId: '0oaopen0000000001' })
    expect(body(opened)).toMatchObject({ type: 'SESSION_STEP_UP', status: 'UNAUTHENTICATED', _embedded: { target: TARGET } })
    expect(embedded(opened)['user']).toBeUndefined()
    expect(Object.keys(links(opened))).toEqual(['next'])
    expect(links(opened)['next']).toMatchObject({ name: 'authenticate', href: `${CALL.baseUrl}/api/v1/authn` })
    const stateToken = body(opened)['stateToken'] as string
    expect(body(await driver.authenticate({ stateToken }))).toEqual(body(opened))
    expect(body(await driver.getState({ stateToken }))['status']).toBe('UNAUTHENTICATED')
    for (const r of [await driver.cancel({ stateToken }), await driver.skip({ stateToken }), await driver.previous({ stateToken })])
      expect([r.status, body(r)['errorCode']]).toEqual([403, 'E0000079'])
    const wrong = await driver.authenticate({ stateToken, username: LOGIN, password: 'Wrong-Passw0rd-1' })
    expect([wrong.status, body(wrong)['errorCode']]).toEqual([401, 'E0000004'])
    const missing = await driver.authenticate({ stateToken, username: LOGIN })
    expect([missing.status, body(missing)['errorCauses']]).toEqual([400, [{ errorSummary: 'password: The field cannot be left blank' }]])
    const ok = await driver.authenticate({ stateToken, username: LOGIN, password: PASSWORD })
    expect(body(ok)).toMatchObject({ type: 'SESSION_STEP_UP', status: 'SUCCESS' })
    expect(await driver.stepUpRedirect(originalToken(ok))).toEqual({ status: 302, body: { location: RETURN_URL } })
  })

  it('SP-initiated: a tampered, expired, or no-longer-active app\'s ticket is 401 E0000011', async () => {
    const { driver, clock, stores } = await system()
    const stateToken = body(await driver.openStepUp({ appId: '0oaopen0000000001' }))['stateToken'] as string
    const tampered = `${stateToken.slice(0, -2)}${stateToken.endsWith('A') ? 'BB' : 'AA'}`
    expect(body(await driver.authenticate({ stateToken: tampered }))['errorCode']).toBe('E0000011')
    expect(body(await driver.authenticate({ stateToken: tampered, username: LOGIN, password: PASSWORD }))['errorCode']).toBe('E0000011')
    expect(body(await driver.cancel({ stateToken: tampered }))['errorCode']).toBe('E0000011')
    const other = body(await driver.openStepUp({ appId: '0oamfa00000000001' }))['stateToken'] as string
    await stores.apps.remove('0oamfa00000000001')()
    expect(body(await driver.authenticate({ stateToken: other, username: LOGIN, password: PASSWORD }))['errorCode']).toBe('E0000011')
    clock.advance(60 * 60_000)
    expect(body(await driver.authenticate({ stateToken }))['errorCode']).toBe('E0000011')
  })

  it('SP-initiated for a known session: a factor verified within the app\'s lifetime goes straight to SUCCESS, an older one asks again; the failure counter is left alone', async () => {
    const { driver, clock, stores } = await system()
    await driver.authenticate({ username: LOGIN, password: 'Wrong-Passw0rd-1' })
    const recent = await driver.openStepUp({ appId: '0oamfa00000000001', login: LOGIN, factorVerifiedAt: new Date(clock.now() - 5 * 60_000).toISOString() })
    expect(body(recent)).toMatchObject({ type: 'SESSION_STEP_UP', status: 'SUCCESS' })
    const stale = await driver.openStepUp({ appId: '0oamfa00000000001', login: LOGIN, factorVerifiedAt: new Date(clock.now() - 20 * 60_000).toISOString() })
    expect(body(stale)).toMatchObject({ type: 'SESSION_STEP_UP', status: 'MFA_REQUIRED' })
    expect(body(await driver.openStepUp({ appId: '0oamfa00000000001', login: LOGIN }))['status']).toBe('MFA_REQUIRED')
    const user = await stores.users.findByLogin(LOGIN)()
    expect(user._tag === 'Right' && user.right.failedAttempts).toBe(1)
    const denied = await driver.openStepUp({ appId: '0oadeny0000000001', login: LOGIN })
    expect([denied.status, body(denied)['errorCode']]).toEqual([401, 'E0000004'])
  })

  it('opening a step-up: unknown app or login 404 E0000007, inactive app 400, bad date 400', async () => {
    const { driver } = await system()
    const r = async (b: unknown) => {
      const x = await driver.openStepUp(b)
      return [x.status, body(x)['errorCode']]
    }
    expect(await r({ appId: '0oanope0000000001' })).toEqual([404, 'E0000007'])
    expect(await r({ appId: '0oaopen0000000001', login: 'nobody@example.com' })).toEqual([404, 'E0000007'])
    expect(await r({ appId: '0oaoff00000000001' })).toEqual([400, 'E0000001'])
    expect(await r({ appId: '0oaopen0000000001', login: LOGIN, factorVerifiedAt: 'yesterday' })).toEqual([400, 'E0000001'])
    expect(await r({})).toEqual([400, 'E0000001'])
  })

  it('an app removed before its `original` link is followed: 404 E0000007, and the token is spent', async () => {
    const { driver, stores } = await system()
    const ok = await driver.authenticate({ username: LOGIN, password: PASSWORD, audience: '0oaopen0000000001' })
    await stores.apps.remove('0oaopen0000000001')()
    const gone = await driver.stepUpRedirect(originalToken(ok))
    expect([gone.status, body(gone)['errorCode']]).toEqual([404, 'E0000007'])
    expect((await driver.stepUpRedirect(originalToken(ok))).status).toBe(401)
  })

  it('the embedder\'s administration: put checks the app, remove of an unknown app is 404, list is by id', async () => {
    const { authn } = await system([])
    const bad = await authn.putApp({ id: 'not an id', name: 'x' })()
    expect(bad._tag === 'Left' && [bad.left.status, bad.left.body.errorCode]).toEqual([400, 'E0000001'])
    const good = {
      id: '0oanew00000000001',
      name: 'wsfed',
      label: 'WS-Fed app',
      status: 'ACTIVE',
      logo: null,
      protocol: 'WS-FED',
      issuer: { id: 'exk1', name: 'WS-Fed app', uri: 'urn:example:wsfed' },
      returnUrl: 'https://wsfed.example.com/',
      signOn: { access: 'ALLOW', requireFactor: false, factorLifetimeMinutes: 0 },
    }
    const put = await authn.putApp(good)()
    expect(put._tag === 'Right' && put.right.body).toEqual(good)
    const listed = await authn.listApps()()
    expect(listed._tag === 'Right' && listed.right.body.map((a) => a.id)).toEqual(['0oanew00000000001'])
    const removed = await authn.removeApp('0oanew00000000001')()
    expect(removed._tag).toBe('Right')
    const again = await authn.removeApp('0oanew00000000001')()
    expect(again._tag === 'Left' && [again.left.status, again.left.body.errorCode]).toEqual([404, 'E0000007'])
  })
})

describe('step-up: the `original` link and the user', () => {
  it('a user locked or suspended after the SUCCESS cannot follow it (401 E0000011), as session tokens are revoked', async () => {
    const { driver } = await system()
    const ok = await driver.authenticate({ username: LOGIN, password: PASSWORD, audience: '0oaopen0000000001' })
    expect((await driver.lifecycle('00ustepup0000000001', 'suspend')).status).toBe(200)
    const refused = await driver.stepUpRedirect(originalToken(ok))
    expect([refused.status, (refused.body as Record<string, unknown>)['errorCode']]).toEqual([401, 'E0000011'])
  })
})
