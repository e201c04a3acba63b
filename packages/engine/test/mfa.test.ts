import { describe, expect, it } from 'vitest'
import { createMemoryStores } from '@authn-machine/adapter-memory'
import type { OrgSeed } from '@authn-machine/core'
import { secretBytes, totpCode } from '@authn-machine/factor-totp'
import { createManualClock, createSeededRandom, createTrivialHasher } from '@authn-machine/testkit/fixtures'
import { createInProcessSystem } from '../src/index.js'
import { CALL, FACTOR_PLUGINS, T0 } from './in-process-driver.js'

/** A base32 TOTP key (RFC 6238's test key), for seeded factors. */
export const TOTP_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'

/** The TOTP code of `secret` at `ms` (6 digits, 30 s). */
export const codeAt = async (secret: string, ms: number): Promise<string> => {
  const key = secretBytes(secret)
  if (key === null) throw new Error('not a base32 key')
  return totpCode(key, Math.floor(ms / 1000), { digits: 6, step: 30, algorithm: 'sha1' })
}

type SeedPolicies = NonNullable<OrgSeed['policies']>
type SeedFactors = NonNullable<OrgSeed['users'][number]['factors']>

const org = (policies: SeedPolicies, factors: SeedFactors = []): OrgSeed => ({
  users: [{ id: '00umfauser000000001', login: 'mfa@example.com', firstName: 'Mae', lastName: 'Factor', password: 'Right-Passw0rd-1', factors }],
  policies,
})

const system = async (seed: OrgSeed) => {
  const clock = createManualClock(T0)
  const stores = createMemoryStores()
  const s = await createInProcessSystem({ seed, ...stores, factorPlugins: FACTOR_PLUGINS, hasher: createTrivialHasher(), clock, random: createSeededRandom(9), call: CALL })
  return { ...s, clock, stores }
}

const body = (r: { readonly body: unknown }) => r.body as Record<string, unknown>
const embedded = (r: { readonly body: unknown }) => body(r)['_embedded'] as Record<string, unknown>

describe('MFA through the engine (memory)', () => {
  it('MFA_REQUIRED: a seeded TOTP factor verifies once per time step; a wrong code is E0000068 and counts; a replay is E0000082', async () => {
    const { driver, clock } = await system(
      org({ signOn: { requireFactor: true }, password: { lockout: { maxAttempts: 5 } } }, [{ factorType: 'token:software:totp', provider: 'GOOGLE', secret: TOTP_SECRET, id: 'uftseeded0000000001' }]),
    )
    const signIn = await driver.authenticate({ username: 'mfa@example.com', password: 'Right-Passw0rd-1' })
    expect(body(signIn)['status']).toBe('MFA_REQUIRED')
    const factors = embedded(signIn)['factors'] as ReadonlyArray<Record<string, unknown>>
    expect(factors.map((f) => [f['id'], f['factorType'], f['provider'], f['profile']])).toEqual([['uftseeded0000000001', 'token:software:totp', 'GOOGLE', { credentialId: 'mfa@example.com' }]])
    const stateToken = body(signIn)['stateToken']
    const wrong = await driver.verifyFactor({ stateToken, factorId: 'uftseeded0000000001', passCode: '000000' })
    expect([wrong.status, body(wrong)['errorCode'], body(wrong)['errorCauses']]).toEqual([403, 'E0000068', [{ errorSummary: "Your passcode doesn't match our records. Please try again." }]])
    const unknown = await driver.verifyFactor({ stateToken, factorId: 'uftsomeoneelses0001', passCode: '000000' })
    expect([unknown.status, body(unknown)['errorCode']]).toEqual([404, 'E0000007'])
    const code = await codeAt(TOTP_SECRET, clock.now())
    const ok = await driver.verifyFactor({ stateToken, factorId: 'uftseeded0000000001', passCode: code })
    expect(body(ok)['status']).toBe('SUCCESS')
    expect(typeof body(ok)['sessionToken']).toBe('string')
    // The same code in a second transaction: used once already.
    const again = await driver.authenticate({ username: 'mfa@example.com', password: 'Right-Passw0rd-1' })
    const replay = await driver.verifyFactor({ stateToken: body(again)['stateToken'], factorId: 'uftseeded0000000001', passCode: code })
    expect([replay.status, body(replay)['errorCode']]).toEqual([403, 'E0000082'])
  })

  it('parallel verifications of one code: exactly one SUCCESS', async () => {
    const { driver, clock } = await system(
      org({ signOn: { requireFactor: true } }, [{ factorType: 'token:software:totp', provider: 'OKTA', secret: TOTP_SECRET, id: 'ostseeded0000000001' }]),
    )
    const tokens = await Promise.all(
      Array.from({ length: 6 }, async () => body(await driver.authenticate({ username: 'mfa@example.com', password: 'Right-Passw0rd-1' }))['stateToken']),
    )
    const code = await codeAt(TOTP_SECRET, clock.now())
    const answers = await Promise.all(tokens.map((stateToken) => driver.verifyFactor({ stateToken, factorId: 'ostseeded0000000001', passCode: code })))
    expect(answers.filter((a) => body(a)['status'] === 'SUCCESS')).toHaveLength(1)
    expect(answers.filter((a) => body(a)['errorCode'] === 'E0000082')).toHaveLength(5)
  })

  it('wrong factor answers count toward lockout: the failure that locks answers E0000069 and ends the transaction', async () => {
    const { driver } = await system(
      org({ signOn: { requireFactor: true }, password: { lockout: { maxAttempts: 3 } } }, [{ factorType: 'token:software:totp', provider: 'OKTA', secret: TOTP_SECRET, id: 'ostseeded0000000001' }]),
    )
    const stateToken = body(await driver.authenticate({ username: 'mfa@example.com', password: 'Right-Passw0rd-1' }))['stateToken']
    const codes = []
    for (let i = 0; i < 3; i++) codes.push(body(await driver.verifyFactor({ stateToken, factorId: 'ostseeded0000000001', passCode: '00000' + String(i) }))['errorCode'])
    expect(codes).toEqual(['E0000068', 'E0000068', 'E0000069'])
    expect(body(await driver.authenticate({ stateToken }))['errorCode']).toBe('E0000011')
    expect(body(await driver.authenticate({ username: 'mfa@example.com', password: 'Right-Passw0rd-1' }))['errorCode']).toBe('E0000004')
  })

  it('MFA_ENROLL → enroll TOTP → MFA_ENROLL_ACTIVATE (shared secret, QR link) → activate → SUCCESS; the QR code is a PNG', async () => {
    const { driver, clock, authn } = await system(org({ enrollment: { factors: [{ factorType: 'token:software:totp', provider: 'OKTA', enroll: 'REQUIRED' }] } }))
    const signIn = await driver.authenticate({ username: 'mfa@example.com', password: 'Right-Passw0rd-1' })
    expect(body(signIn)['status']).toBe('MFA_ENROLL')
    const stateToken = body(signIn)['stateToken']
    const enrolled = await driver.enrollFactor({ stateToken, factorType: 'token:software:totp', provider: 'OKTA' })
    expect(body(enrolled)['status']).toBe('MFA_ENROLL_ACTIVATE')
    const factor = embedded(enrolled)['factor'] as Record<string, unknown>
    const activation = (factor['_embedded'] as Record<string, unknown>)['activation'] as Record<string, unknown>
    expect(activation).toMatchObject({ timeStep: 30, encoding: 'base32', keyLength: 6 })
    const secret = activation['sharedSecret'] as string
    const qr = ((activation['_links'] as Record<string, unknown>)['qrcode'] as Record<string, string>)['href'] ?? ''
    const png = await authn.factorQrCode(qr.slice(qr.lastIndexOf('/') + 1))()
    expect(png._tag === 'Right' && Array.from(png.right.body.slice(0, 4))).toEqual([0x89, 0x50, 0x4e, 0x47])
    // get-state shows the same activation again; previous goes back to MFA_ENROLL.
    const shownAgain = ((embedded(await driver.authenticate({ stateToken }))['factor'] as Record<string, unknown>)['_embedded'] as Record<string, unknown>)['activation']
    const { _links: _ignored, ...rest } = activation
    expect(shownAgain).toMatchObject(rest)
    const wrong = await driver.activateFactor({ stateToken, factorId: factor['id'], passCode: '123456' })
    expect(body(wrong)['errorCode']).toBe('E0000068')
    const done = await driver.activateFactor({ stateToken, factorId: factor['id'], passCode: await codeAt(secret, clock.now()) })
    expect(body(done)['status']).toBe('SUCCESS')
    // Next sign-in: the factor is ACTIVE; no enrollment asked.
    expect(body(await driver.authenticate({ username: 'mfa@example.com', password: 'Right-Passw0rd-1' }))['status']).toBe('SUCCESS')
  })

  it('security question: enroll (ACTIVE at once), then verify by answer; wrong answers get the answer wording', async () => {
    const { driver } = await system(
      org({ signOn: { requireFactor: true }, enrollment: { factors: [{ factorType: 'question', provider: 'OKTA', enroll: 'REQUIRED' }] } }),
    )
    const first = await driver.authenticate({ username: 'mfa@example.com', password: 'Right-Passw0rd-1' })
    expect(body(first)['status']).toBe('MFA_ENROLL')
    const bad = await driver.enrollFactor({ stateToken: body(first)['stateToken'], factorType: 'question', provider: 'OKTA', profile: { question: 'favorite_toy', answer: 'ab' } })
    expect([bad.status, body(bad)['errorCode']]).toEqual([400, 'E0000001'])
    const enrolled = await driver.enrollFactor({ stateToken: body(first)['stateToken'], factorType: 'question', provider: 'OKTA', profile: { question: 'favorite_toy', answer: 'A Red Ball' } })
    expect(body(enrolled)['status']).toBe('SUCCESS')
    const second = await driver.authenticate({ username: 'mfa@example.com', password: 'Right-Passw0rd-1' })
    expect(body(second)['status']).toBe('MFA_REQUIRED')
    const q = (embedded(second)['factors'] as ReadonlyArray<Record<string, unknown>>)[0] ?? {}
    expect(q['profile']).toMatchObject({ question: 'favorite_toy' })
    const wrong = await driver.verifyFactor({ stateToken: body(second)['stateToken'], factorId: q['id'], answer: 'a blue ball' })
    expect(body(wrong)['errorCauses']).toEqual([{ errorSummary: "Your answer doesn't match our records. Please try again." }])
    const right = await driver.verifyFactor({ stateToken: body(second)['stateToken'], factorId: q['id'], answer: '  a red   BALL ' })
    expect(body(right)['status']).toBe('SUCCESS')
  })

  it('enrolling a type the policy does not allow, or one already enrolled, is refused with E0000001; nothing required left: skip', async () => {
    const { driver } = await system(
      org({
        enrollment: {
          factors: [
            { factorType: 'question', provider: 'OKTA', enroll: 'REQUIRED' },
            { factorType: 'token:software:totp', provider: 'GOOGLE', enroll: 'OPTIONAL' },
            { factorType: 'token:software:totp', provider: 'OKTA', enroll: 'NOT_ALLOWED' },
          ],
        },
      }),
    )
    const signIn = await driver.authenticate({ username: 'mfa@example.com', password: 'Right-Passw0rd-1', options: { multiOptionalFactorEnroll: true } })
    const stateToken = body(signIn)['stateToken']
    expect(body(await driver.skip({ stateToken }))['errorCode']).toBe('E0000079')
    const notAllowed = await driver.enrollFactor({ stateToken, factorType: 'token:software:totp', provider: 'OKTA' })
    expect([notAllowed.status, body(notAllowed)['errorCode']]).toEqual([400, 'E0000001'])
    const q = await driver.enrollFactor({ stateToken, factorType: 'question', provider: 'OKTA', profile: { question: 'first_award', answer: 'Spelling bee' } })
    // multiOptionalFactorEnroll: the optional factor is offered, with skip.
    expect(body(q)['status']).toBe('MFA_ENROLL')
    expect((body(q)['_links'] as Record<string, unknown>)['skip']).toBeDefined()
    const twice = await driver.enrollFactor({ stateToken, factorType: 'question', provider: 'OKTA', profile: { question: 'first_award', answer: 'Spelling bee' } })
    expect(body(twice)['errorCode']).toBe('E0000001')
    expect(body(await driver.skip({ stateToken }))['status']).toBe('SUCCESS')
  })
})
