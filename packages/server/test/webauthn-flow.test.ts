import { describe, expect, it } from 'vitest'
import { createMemoryStores } from '@authn-machine/adapter-memory'
import { registered, type OrgSeed } from '@authn-machine/core'
import { createInProcessSystem, type Call } from '@authn-machine/engine'
import { createManualClock, createSeededRandom, createTrivialHasher } from '@authn-machine/testkit/fixtures'
import { createWebauthnFactor } from '@authn-machine/factor-webauthn'
import { createSoftAuthenticator, type Alg } from '../../factor-webauthn/test/authenticator.js'

// Through the engine (docs/adr/0029-challenge-factors.md): enroll (creation options), activate with
// an attestation, then verify with assertions over nonces the transaction issued.
const ORIGIN = 'https://login.example.com'
const RP_ID = 'login.example.com'
const CALL: Call = { baseUrl: ORIGIN, context: { ip: '203.0.113.9', userAgent: null, deviceToken: null, trusted: false } }
const T0 = Date.UTC(2026, 10, 30, 12)
const PASSWORD = 'Right-Passw0rd-1'
const LOGIN = 'webauthn@example.com'

const seed: OrgSeed = {
  users: [{ id: '00uwebauthn00000001', login: LOGIN, firstName: 'Web', lastName: 'Authn', password: PASSWORD }],
  policies: { signOn: { requireFactor: true }, enrollment: { factors: [{ factorType: 'webauthn', provider: 'FIDO', enroll: 'REQUIRED' }] }, password: { lockout: { maxAttempts: 5 } } },
}

const system = async () => {
  const clock = createManualClock(T0)
  const s = await createInProcessSystem({ seed, ...createMemoryStores(), factorPlugins: [registered(createWebauthnFactor({ rpName: 'Example' }))], hasher: createTrivialHasher(), clock, random: createSeededRandom(13), call: CALL })
  return { ...s, clock }
}

type Json = Record<string, unknown>
const body = (r: { readonly body: unknown }) => r.body as Json
const embedded = (r: { readonly body: unknown }) => body(r)['_embedded'] as Json
const challengeOf = (r: { readonly body: unknown }) => (((embedded(r)['factor'] as Json)['_embedded'] as Json)['challenge'] as Json)['challenge'] as string

/** Signs in, enrolls and activates an authenticator of `alg`; answers it and the factor id. */
const enrolled = async (s: Awaited<ReturnType<typeof system>>, alg: Alg, counter = 0, counterStep = 1) => {
  const authenticator = createSoftAuthenticator({ alg, fmt: 'packed', rpId: RP_ID, counter, counterStep, freshKey: true })
  const signIn = await s.driver.authenticate({ username: LOGIN, password: PASSWORD })
  expect(body(signIn)['status']).toBe('MFA_ENROLL')
  const stateToken = body(signIn)['stateToken']
  const enroll = await s.driver.enrollFactor({ stateToken, factorType: 'webauthn', provider: 'FIDO' })
  expect(body(enroll)['status']).toBe('MFA_ENROLL_ACTIVATE')
  const factor = embedded(enroll)['factor'] as Json
  const options = (factor['_embedded'] as Json)['activation'] as Json
  // Okta's creation options: no rp.id (the page's host is the RP ID).
  expect(options).toMatchObject({ attestation: 'direct', rp: { name: 'Example' }, user: { name: LOGIN }, challenge: expect.stringMatching(/^[A-Za-z0-9]{20}$/) })
  expect((options['rp'] as Json)['id']).toBeUndefined()
  const done = await s.driver.activateFactor({ stateToken, factorId: factor['id'], ...authenticator.create({ challenge: options['challenge'] as string, origin: ORIGIN }) })
  expect(body(done)['status']).toBe('SUCCESS')
  return { authenticator, factorId: factor['id'] as string }
}

describe('WebAuthn through the engine', () => {
  it.each(['ES256', 'EdDSA', 'RS256'] as const)('%s: enroll → activate → MFA_REQUIRED → nonce → assertion → SUCCESS; the profile holds the credential id', async (alg) => {
    const s = await system()
    const { authenticator, factorId } = await enrolled(s, alg)
    const signIn = await s.driver.authenticate({ username: LOGIN, password: PASSWORD })
    expect(body(signIn)['status']).toBe('MFA_REQUIRED')
    expect(((embedded(signIn)['factors'] as ReadonlyArray<Json>)[0] as Json)['profile']).toMatchObject({ credentialId: authenticator.id })
    const stateToken = body(signIn)['stateToken']
    const challenged = await s.driver.verifyFactor({ stateToken, factorId })
    expect(body(challenged)['status']).toBe('MFA_CHALLENGE')
    const ok = await s.driver.verifyFactor({ stateToken, factorId, ...authenticator.get({ challenge: challengeOf(challenged), origin: ORIGIN }) })
    expect(body(ok)['status']).toBe('SUCCESS')
  })

  it('refused: an attestation over another challenge or from another origin (E0000068); an assertion from another origin, over an answered nonce, or with a counter that went back', async () => {
    const s = await system()
    const authenticator = createSoftAuthenticator({ alg: 'ES256', fmt: 'none', rpId: RP_ID, freshKey: true })
    const signIn = await s.driver.authenticate({ username: LOGIN, password: PASSWORD })
    const stateToken = body(signIn)['stateToken']
    const enroll = await s.driver.enrollFactor({ stateToken, factorType: 'webauthn', provider: 'FIDO' })
    const factorId = (embedded(enroll)['factor'] as Json)['id']
    const challenge = (((embedded(enroll)['factor'] as Json)['_embedded'] as Json)['activation'] as Json)['challenge'] as string
    for (const wrong of [authenticator.create({ challenge: 'AAAAAAAAAAAAAAAAAAAA', origin: ORIGIN }), authenticator.create({ challenge, origin: 'https://evil.example' })]) {
      const r = await s.driver.activateFactor({ stateToken, factorId, ...wrong })
      expect([r.status, body(r)['errorCode']]).toEqual([403, 'E0000068'])
    }
    expect(body(await s.driver.activateFactor({ stateToken, factorId, ...authenticator.create({ challenge, origin: ORIGIN }) }))['status']).toBe('SUCCESS')

    const tx = body(await s.driver.authenticate({ username: LOGIN, password: PASSWORD }))['stateToken']
    const first = challengeOf(await s.driver.verifyFactor({ stateToken: tx, factorId }))
    const elsewhere = await s.driver.verifyFactor({ stateToken: tx, factorId, ...authenticator.get({ challenge: first, origin: 'https://evil.example' }) })
    expect([elsewhere.status, body(elsewhere)['errorCode']]).toEqual([403, 'E0000068'])
    const answer = authenticator.get({ challenge: first, origin: ORIGIN })
    expect(body(await s.driver.verifyFactor({ stateToken: tx, factorId, ...answer }))['status']).toBe('SUCCESS')
    const tx2 = body(await s.driver.authenticate({ username: LOGIN, password: PASSWORD }))['stateToken']
    const replayed = await s.driver.verifyFactor({ stateToken: tx2, factorId, ...answer })
    expect([replayed.status, body(replayed)['errorCode']]).toEqual([403, 'E0000068'])
    const second = challengeOf(await s.driver.verifyFactor({ stateToken: tx2, factorId }))
    authenticator.setCounter(0)
    const cloned = await s.driver.verifyFactor({ stateToken: tx2, factorId, ...authenticator.get({ challenge: second, origin: ORIGIN }) })
    expect([cloned.status, body(cloned)['errorCode']]).toEqual([403, 'E0000082'])
  })

  it('an authenticator that keeps no counter (0 every time) verifies again and again', async () => {
    const s = await system()
    const { authenticator, factorId } = await enrolled(s, 'ES256', 0, 0)
    for (let i = 0; i < 2; i++) {
      const tx = body(await s.driver.authenticate({ username: LOGIN, password: PASSWORD }))['stateToken']
      const nonce = challengeOf(await s.driver.verifyFactor({ stateToken: tx, factorId }))
      expect(body(await s.driver.verifyFactor({ stateToken: tx, factorId, ...authenticator.get({ challenge: nonce, origin: ORIGIN }) }))['status']).toBe('SUCCESS')
    }
  })

  it('by factor type (/factors/webauthn/verify): MFA_CHALLENGE lists the factors of the type with one challenge (challengeType FACTOR_TYPE); an assertion by one of them → SUCCESS', async () => {
    const s = await system()
    const { authenticator, factorId } = await enrolled(s, 'ES256')
    const tx = body(await s.driver.authenticate({ username: LOGIN, password: PASSWORD }))['stateToken']
    const challenged = await s.driver.verifyFactor({ stateToken: tx, factorId: 'webauthn' })
    expect(body(challenged)).toMatchObject({ status: 'MFA_CHALLENGE', challengeType: 'FACTOR_TYPE', factorType: 'webauthn' })
    const e = embedded(challenged)
    expect((e['factors'] as ReadonlyArray<Json>).map((f) => [f['id'], (f['profile'] as Json)['credentialId']])).toEqual([[factorId, authenticator.id]])
    const nonce = (e['challenge'] as Json)['challenge'] as string
    expect(nonce).toMatch(/^[A-Za-z0-9]{20}$/)
    expect(((body(challenged)['_links'] as Json)['next'] as Json)['href']).toBe(`${ORIGIN}/api/v1/authn/factors/webauthn/verify`)
    const wrong = await s.driver.verifyFactor({ stateToken: tx, factorId: 'webauthn', ...authenticator.get({ challenge: 'BBBBBBBBBBBBBBBBBBBB', origin: ORIGIN }) })
    expect([wrong.status, body(wrong)['errorCode']]).toEqual([403, 'E0000068'])
    const ok = await s.driver.verifyFactor({ stateToken: tx, factorId: 'webauthn', ...authenticator.get({ challenge: nonce, origin: ORIGIN }) })
    expect(body(ok)['status']).toBe('SUCCESS')
  })
})
