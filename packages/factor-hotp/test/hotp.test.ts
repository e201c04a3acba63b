import { describe, expect, it } from 'vitest'
import { describeFactor, expectLeft, expectRight, run, type FactorVector } from '@authn-machine/testkit'
import { createSeededRandom, createTrivialHasher } from '@authn-machine/testkit/fixtures'
import type { FactorContext } from '@authn-machine/core'
import { HOTP_DEFAULTS, HOTP_ENROLL_REFUSAL, createHotpFactor, encodeSecret, hotpCode, nextCounter, secretBytes, type SharedSecret } from '../src/index.js'

const RFC_SECRET = encodeSecret(new TextEncoder().encode('12345678901234567890'))
/** RFC 4226 Appendix D: HOTP values of the ASCII secret "12345678901234567890", counters 0 to 9. */
const RFC4226 = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'] as const

const keyOf = (secret: string): Uint8Array => {
  const k = secretBytes(secret)
  if (k === null) throw new Error(`not a canonical secret: ${secret}`)
  return k
}
const codeAt = (secret: string, counter: number) => hotpCode(keyOf(secret), counter, HOTP_DEFAULTS)
const ctx: FactorContext = { random: createSeededRandom('hotp'), hasher: createTrivialHasher(), now: Date.UTC(2026, 0, 1) }

const vectors: ReadonlyArray<FactorVector> = RFC4226.flatMap((code, c) => [
  { name: `RFC 4226 counter ${c} after ${c - 1}`, secret: RFC_SECRET, answer: { passCode: code }, now: 0, lastCounter: c === 0 ? null : c - 1, expected: { counter: c } },
  { name: `RFC 4226 counter ${c} on a fresh factor (look-ahead)`, secret: RFC_SECRET, answer: { passCode: code }, now: 0, lastCounter: null, expected: { counter: c } },
  { name: `RFC 4226 counter ${c} replayed`, secret: RFC_SECRET, answer: { passCode: code }, now: 0, lastCounter: c, expected: 'Replayed' as const },
])

describeFactor('hotp', {
  factor: createHotpFactor(),
  enrollRequest: { profile: { credentialId: 'dade@example.com' }, passCode: '755224' },
  refusesEnrollment: { code: 'E0000001', seeded: { profile: { credentialId: 'dade@example.com' }, secret: RFC_SECRET.toLowerCase() } },
  validAnswer: async (secret) => ({ passCode: await codeAt(secret, 0) }),
  invalidAnswers: async (secret) => [
    { passCode: await codeAt(secret, 11) },
    { passCode: await codeAt(secret, 50) },
    { passCode: '000000' },
    { passCode: (await codeAt(secret, 0)).slice(1) },
    { passCode: 'abcdef' },
    { passCode: '' },
  ],
  vectors,
})

describe('RFC 4226 Appendix D through otplib, configured as the factor configures it', () => {
  RFC4226.forEach((code, c) => {
    it(`counter ${c}: ${code}`, async () => {
      expect(await codeAt(RFC_SECRET, c)).toBe(code)
    })
  })
})

describe('look-ahead window and resynchronisation', () => {
  const f = createHotpFactor()
  const verifyCounter = async (counter: number, lastCounter: number | null, factor = f) =>
    expectRight(await run(factor.verify(RFC_SECRET, { passCode: await codeAt(RFC_SECRET, counter) }, lastCounter, ctx)))

  it('a fresh factor accepts counters 0 to 10 (look-ahead 10), not 11', async () => {
    expect(await verifyCounter(10, null)).toEqual({ _tag: 'Accepted', counter: 10 })
    expect(await verifyCounter(11, null)).toEqual({ _tag: 'Rejected' })
  })
  it('after counter c, accepts c+1 to c+11; the codes of c and before are replays', async () => {
    expect(await verifyCounter(6, 5)).toEqual({ _tag: 'Accepted', counter: 6 })
    expect(await verifyCounter(16, 5)).toEqual({ _tag: 'Accepted', counter: 16 })
    expect(await verifyCounter(17, 5)).toEqual({ _tag: 'Rejected' })
    expect(await verifyCounter(5, 5)).toEqual({ _tag: 'Replayed' })
    expect(await verifyCounter(4, 5)).toEqual({ _tag: 'Replayed' })
  })
  it('accepting c+k resynchronises: the reported counter becomes lastCounter, and the window moves past it', async () => {
    const first = await verifyCounter(8, null)
    expect(first).toEqual({ _tag: 'Accepted', counter: 8 })
    expect(await verifyCounter(9, 8)).toEqual({ _tag: 'Accepted', counter: 9 })
    expect(await verifyCounter(3, 8)).toEqual({ _tag: 'Replayed' })
    expect(await verifyCounter(19, 8)).toEqual({ _tag: 'Accepted', counter: 19 })
  })
  it('the secret does not change on resynchronisation (no secret in the verification)', async () => {
    expect(await verifyCounter(7, null)).not.toHaveProperty('secret')
  })
  it('lookAhead 0 accepts the expected counter only', async () => {
    const strict = createHotpFactor({ lookAhead: 0 })
    expect(await verifyCounter(3, 2, strict)).toEqual({ _tag: 'Accepted', counter: 3 })
    expect(await verifyCounter(4, 2, strict)).toEqual({ _tag: 'Rejected' })
  })
  it('a lastCounter that is not a safe integer fails closed (Rejected)', async () => {
    for (const last of [Number.NaN, 1.5, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER + 2]) expect(await verifyCounter(0, last)).toEqual({ _tag: 'Rejected' })
    expect([nextCounter(null), nextCounter(4), nextCounter(-7), nextCounter(Number.NaN)]).toEqual([0, 5, 0, null])
  })
  it('invalid options throw a RangeError at construction', () => {
    expect(() => createHotpFactor({ lookAhead: -1 })).toThrow(RangeError)
    expect(() => createHotpFactor({ lookAhead: 2.5 })).toThrow(RangeError)
  })
})

describe('enrollment and views', () => {
  it('enroll through authn is refused: 400 E0000001 "Api validation failed: factorEnrollRequest", with a cause', async () => {
    const f = createHotpFactor()
    const failure = expectLeft(await run(f.enroll({ profile: { credentialId: 'x' } }, { login: 'x', email: null }, ctx)))
    expect(failure).toEqual({ code: 'E0000001', causes: [HOTP_ENROLL_REFUSAL], argument: 'factorEnrollRequest' })
  })
  it('no activation object and no QR code; the profile view is the credentialId', () => {
    const f = createHotpFactor()
    expect(f.activationView({ credentialId: 'x' }, RFC_SECRET as SharedSecret, { qrcode: 'https://x.example/qr' })).toBeNull()
    expect(f.qrCode).toBeUndefined()
    expect(f.profileView({ credentialId: 'dade' })).toEqual({ credentialId: 'dade' })
    expect([f.factorType, f.provider, f.idPrefix]).toEqual(['token:hotp', 'CUSTOM', 'chf'])
  })
})
