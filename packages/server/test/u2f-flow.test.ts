import { describe, expect, it } from 'vitest'
import { createMemoryStores } from '@authn-machine/adapter-memory'
import { registered, type OrgSeed } from '@authn-machine/core'
import { createInProcessSystem, type Call } from '@authn-machine/engine'
import { createManualClock, createSeededRandom, createTrivialHasher } from '@authn-machine/testkit/fixtures'
import { createU2fFactor } from '@authn-machine/factor-u2f'
import { createSoftwareToken } from '../../factor-u2f/test/token.js'

// Through the engine (docs/adr/0029-challenge-factors.md): enroll, activate with a registration,
// then verify with signatures over nonces the transaction issued.
const ORIGIN = 'https://login.example.com'
const CALL: Call = { baseUrl: ORIGIN, context: { ip: '203.0.113.7', userAgent: null, deviceToken: null, trusted: false } }
const T0 = Date.UTC(2026, 10, 30, 12)
const PASSWORD = 'Right-Passw0rd-1'

const seed: OrgSeed = {
  users: [{ id: '00uu2fuser000000001', login: 'u2f@example.com', firstName: 'Una', lastName: 'Key', password: PASSWORD }],
  policies: { signOn: { requireFactor: true }, enrollment: { factors: [{ factorType: 'u2f', provider: 'FIDO', enroll: 'REQUIRED' }] }, password: { lockout: { maxAttempts: 5 } } },
}

const system = async () => {
  const clock = createManualClock(T0)
  const s = await createInProcessSystem({ seed, ...createMemoryStores(), factorPlugins: [registered(createU2fFactor())], hasher: createTrivialHasher(), clock, random: createSeededRandom(11), call: CALL })
  return { ...s, clock }
}

type Json = Record<string, unknown>
const body = (r: { readonly body: unknown }) => r.body as Json
const embedded = (r: { readonly body: unknown }) => body(r)['_embedded'] as Json

/** Enrolls and activates a token; answers the token, the factor id and the state token of the SUCCESS's sign-in. */
const enrolled = async (s: Awaited<ReturnType<typeof system>>) => {
  const token = createSoftwareToken()
  const signIn = await s.driver.authenticate({ username: 'u2f@example.com', password: PASSWORD })
  expect(body(signIn)['status']).toBe('MFA_ENROLL')
  const stateToken = body(signIn)['stateToken']
  const enroll = await s.driver.enrollFactor({ stateToken, factorType: 'u2f', provider: 'FIDO' })
  expect(body(enroll)['status']).toBe('MFA_ENROLL_ACTIVATE')
  const factor = embedded(enroll)['factor'] as Json
  const activation = (factor['_embedded'] as Json)['activation'] as Json
  expect(activation).toEqual({ version: 'U2F_V2', appId: ORIGIN, nonce: expect.stringMatching(/^[A-Za-z0-9]{20}$/), timeoutSeconds: 20 })
  return { token, stateToken, factorId: factor['id'] as string, nonce: activation['nonce'] as string }
}

/** Enrolls and activates a token, then signs in again: MFA_REQUIRED's state token and the token's key handle as the factor lists it. */
const signedInWithToken = async (s: Awaited<ReturnType<typeof system>>) => {
  const e = await enrolled(s)
  await s.driver.activateFactor({ stateToken: e.stateToken, factorId: e.factorId, ...e.token.register(ORIGIN, e.nonce) })
  const signIn = await s.driver.authenticate({ username: 'u2f@example.com', password: PASSWORD })
  const keyHandle = ((embedded(signIn)['factors'] as ReadonlyArray<Json>)[0]?.['profile'] as Json)['credentialId'] as string
  return { e, stateToken: body(signIn)['stateToken'], keyHandle }
}

describe('U2F through the engine', () => {
  it('enroll → activation (registration request) → activate with the registration → SUCCESS; the profile holds the key handle', async () => {
    const s = await system()
    const e = await enrolled(s)
    const wrongOrigin = await s.driver.activateFactor({ stateToken: e.stateToken, factorId: e.factorId, ...e.token.register(ORIGIN, e.nonce, { origin: 'https://evil.example' }) })
    expect([wrongOrigin.status, body(wrongOrigin)['errorCode']]).toEqual([403, 'E0000068'])
    const done = await s.driver.activateFactor({ stateToken: e.stateToken, factorId: e.factorId, ...e.token.register(ORIGIN, e.nonce) })
    expect(body(done)['status']).toBe('SUCCESS')
    // Next sign-in: MFA_REQUIRED lists the factor with its key handle, app id and version.
    const next = await s.driver.authenticate({ username: 'u2f@example.com', password: PASSWORD })
    expect(body(next)['status']).toBe('MFA_REQUIRED')
    const listed = (embedded(next)['factors'] as ReadonlyArray<Json>)[0] as Json
    expect(listed['profile']).toMatchObject({ appId: ORIGIN, version: 'U2F_V2', credentialId: expect.any(String) })
  })

  it('verify: no answer issues a nonce (MFA_CHALLENGE with _embedded.challenge); the signature over it → SUCCESS; the same signature again, a stale nonce, or a counter that went back are refused', async () => {
    const s = await system()
    const { e, stateToken, keyHandle } = await signedInWithToken(s)
    const challenged = await s.driver.verifyFactor({ stateToken, factorId: e.factorId })
    expect(body(challenged)['status']).toBe('MFA_CHALLENGE')
    const challenge = ((embedded(challenged)['factor'] as Json)['_embedded'] as Json)['challenge'] as Json
    expect(challenge).toEqual({ nonce: expect.stringMatching(/^[A-Za-z0-9]{20}$/), timeoutSeconds: 20 })
    // A signature over another nonce: refused, counted.
    const stale = await s.driver.verifyFactor({ stateToken, factorId: e.factorId, ...e.token.sign(ORIGIN, e.nonce, keyHandle) })
    expect([stale.status, body(stale)['errorCode']]).toEqual([403, 'E0000068'])
    const signed = e.token.sign(ORIGIN, challenge['nonce'] as string, keyHandle)
    const ok = await s.driver.verifyFactor({ stateToken, factorId: e.factorId, ...signed })
    expect(body(ok)['status']).toBe('SUCCESS')
    // The nonce was answered: the same signature in a new transaction has no nonce of its own.
    const again = await s.driver.authenticate({ username: 'u2f@example.com', password: PASSWORD })
    const replay = await s.driver.verifyFactor({ stateToken: body(again)['stateToken'], factorId: e.factorId, ...signed })
    expect([replay.status, body(replay)['errorCode']]).toEqual([403, 'E0000068'])
    // A fresh nonce signed with a counter that did not grow: a replay (E0000082).
    const fresh = await s.driver.verifyFactor({ stateToken: body(again)['stateToken'], factorId: e.factorId })
    const nonce = (((embedded(fresh)['factor'] as Json)['_embedded'] as Json)['challenge'] as Json)['nonce'] as string
    const cloned = await s.driver.verifyFactor({ stateToken: body(again)['stateToken'], factorId: e.factorId, ...e.token.sign(ORIGIN, nonce, keyHandle, { counter: 1 }) })
    expect([cloned.status, body(cloned)['errorCode']]).toEqual([403, 'E0000082'])
  })

  it('a nonce expires: a signature over it after its lifetime is refused; previous forgets it', async () => {
    const s = await system()
    const { e, stateToken, keyHandle } = await signedInWithToken(s)
    const challenged = await s.driver.verifyFactor({ stateToken, factorId: e.factorId })
    const nonce = (((embedded(challenged)['factor'] as Json)['_embedded'] as Json)['challenge'] as Json)['nonce'] as string
    s.clock.advance(61_000)
    const late = await s.driver.verifyFactor({ stateToken, factorId: e.factorId, ...e.token.sign(ORIGIN, nonce, keyHandle) })
    expect([late.status, body(late)['errorCode']]).toEqual([403, 'E0000068'])
    const fresh = await s.driver.verifyFactor({ stateToken, factorId: e.factorId })
    const next = (((embedded(fresh)['factor'] as Json)['_embedded'] as Json)['challenge'] as Json)['nonce'] as string
    expect(body(await s.driver.previous({ stateToken }))['status']).toBe('MFA_REQUIRED')
    const forgotten = await s.driver.verifyFactor({ stateToken, factorId: e.factorId, ...e.token.sign(ORIGIN, next, keyHandle) })
    expect([forgotten.status, body(forgotten)['errorCode']]).toEqual([403, 'E0000068'])
  })
})
