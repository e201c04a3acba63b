import { fc, test } from '@fast-check/vitest'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { describe, expect, it } from 'vitest'
import { describeFactor, expectLeft, expectRight, run, type FactorVector } from '@authn-machine/testkit'
import { createSeededRandom, createTrivialHasher } from '@authn-machine/testkit/fixtures'
import { CAUSES, type FactorContext } from '@authn-machine/core'
import {
  MALFORMED_OTP_CAUSE,
  MAX_POSITION,
  bytesToModhex,
  createYubikeyFactor,
  keySourceOf,
  modhexToBytes,
  type YubikeyKey,
  type YubikeyKeySource,
  type YubikeySecret,
} from '../src/index.js'
import { arbFields, arbKey, fieldsAt, otpAt, otpOf, otpOfPlain, plainToken } from './otp-generator.js'

/** The key the suite enrolls (serial 4102994, Okta's example credentialId 000004102994). */
const KEY: YubikeyKey = { serial: 4102994, publicId: 'ccccccdvnbhl', privateId: 'a1b2c3d4e5f6', aesKey: '5b3c9a0f7d2e4b6a8c1d3e5f7a9b0c2d' }
const OTHER: YubikeyKey = { serial: 7886622, publicId: 'ccccccrtkjbe', privateId: '0f1e2d3c4b5a', aesKey: 'd2c4e6f8a0b1c3d5e7f9a1b3c5d7e9f0' }
/** The OTP that enrolls KEY: session counter 3, session use 0. */
const ENROLL_POSITION = 3 * 256
const ENROLL_OTP = otpAt(KEY, ENROLL_POSITION)

const secretOf = (key: YubikeyKey, enrolledCounter: number | null = null): YubikeySecret => ({
  publicId: key.publicId,
  privateId: key.privateId,
  aesKey: key.aesKey,
  enrolledCounter,
})
/** Another public id of the same length (its last character changed). */
const otherPublicId = (publicId: string): string => publicId.slice(0, -1) + (publicId.endsWith('c') ? 'b' : 'c')
/** `otp` with one bit of its plaintext flipped after the CRC was computed. */
const flippedOtp = (key: YubikeyKey | YubikeySecret, position: number, bit: number): string => {
  const plain = plainToken(fieldsAt(key, position))
  plain[bit >> 3] = (plain[bit >> 3] ?? 0) ^ (1 << (bit & 7))
  return otpOfPlain(key, plain)
}

const f = createYubikeyFactor({ keys: keySourceOf([KEY, OTHER]) })
const ctx: FactorContext = { random: createSeededRandom('yubikey'), hasher: createTrivialHasher(), now: Date.UTC(2026, 0, 1) }
const subject = { login: 'dade@example.com', email: 'dade@example.com' }

/** The published vectors as stored secrets (their keys have 8-character public ids). */
const YKPARSE_SECRET = { publicId: 'dteffuje', privateId: '8792ebfe26cc', aesKey: 'ecde18dbe76fbd0c33330f1c354871db', enrolledCounter: null }
const YKPARSE_OTP = 'dteffujedcflcindvdbrblehecuitvjkjevvehjd'
const YKPARSE_POSITION = 19 * 256 + 16
const YUBIOTP_SECRET = { publicId: 'cclngiuv', privateId: '0123456789ab', aesKey: '30313233343536373839616263646566', enrolledCounter: null }
const YUBIOTP_OTP = 'cclngiuvttkhthcilurtkerbjnnkljfkjccklkhl'
const V = { now: 0 } as const

const vectors: ReadonlyArray<FactorVector> = [
  { ...V, name: 'ykparse(1) example on a fresh factor', secret: YKPARSE_SECRET, answer: { passCode: YKPARSE_OTP }, lastCounter: null, expected: { counter: YKPARSE_POSITION } },
  { ...V, name: 'ykparse(1) example, typed in upper case', secret: YKPARSE_SECRET, answer: { passCode: YKPARSE_OTP.toUpperCase() }, lastCounter: null, expected: { counter: YKPARSE_POSITION } },
  { ...V, name: 'ykparse(1) example after the position before it', secret: YKPARSE_SECRET, answer: { passCode: YKPARSE_OTP }, lastCounter: YKPARSE_POSITION - 1, expected: { counter: YKPARSE_POSITION } },
  { ...V, name: 'ykparse(1) example replayed', secret: YKPARSE_SECRET, answer: { passCode: YKPARSE_OTP }, lastCounter: YKPARSE_POSITION, expected: 'Replayed' },
  { ...V, name: 'ykparse(1) example after a later OTP', secret: YKPARSE_SECRET, answer: { passCode: YKPARSE_OTP }, lastCounter: YKPARSE_POSITION + 300, expected: 'Replayed' },
  { ...V, name: 'ykparse(1) example: the OTP that enrolled the key', secret: { ...YKPARSE_SECRET, enrolledCounter: YKPARSE_POSITION }, answer: { passCode: YKPARSE_OTP }, lastCounter: null, expected: 'Replayed' },
  { ...V, name: 'ykparse(1) example against another private id', secret: { ...YKPARSE_SECRET, privateId: '8792ebfe26cd' }, answer: { passCode: YKPARSE_OTP }, lastCounter: null, expected: 'Rejected' },
  { ...V, name: 'ykparse(1) example against another AES key', secret: { ...YKPARSE_SECRET, aesKey: YUBIOTP_SECRET.aesKey }, answer: { passCode: YKPARSE_OTP }, lastCounter: null, expected: 'Rejected' },
  { ...V, name: 'ykparse(1) example against another public id', secret: { ...YKPARSE_SECRET, publicId: 'dteffujf' }, answer: { passCode: YKPARSE_OTP }, lastCounter: null, expected: 'Rejected' },
  { ...V, name: 'python-yubiotp doctest OTP', secret: YUBIOTP_SECRET, answer: { passCode: YUBIOTP_OTP }, lastCounter: null, expected: { counter: 5 * 256 } },
  { ...V, name: 'python-yubiotp doctest OTP against the ykparse key', secret: { ...YKPARSE_SECRET, publicId: 'cclngiuv' }, answer: { passCode: YUBIOTP_OTP }, lastCounter: null, expected: 'Rejected' },
]

describeFactor('yubikey', {
  factor: f,
  enrollRequest: { profile: {}, passCode: ENROLL_OTP },
  validAnswer: (secret) => ({ passCode: otpAt(secret, (secret.enrolledCounter ?? -1) + 1) }),
  invalidAnswers: (secret) => {
    const next = (secret.enrolledCounter ?? -1) + 1
    return [
      { passCode: flippedOtp(secret, next, 70) },
      { passCode: flippedOtp(secret, next, 3) },
      { passCode: otpAt({ ...secret, aesKey: OTHER.aesKey }, next) },
      { passCode: otpAt({ ...secret, privateId: OTHER.privateId }, next) },
      { passCode: otpAt({ ...secret, publicId: otherPublicId(secret.publicId) }, next) },
      { passCode: otpAt(OTHER, next) },
      { passCode: otpAt(secret, next).slice(0, -1) },
      { passCode: otpAt(secret, next) + 'c' },
      { passCode: otpAt(secret, next).slice(0, -1) + 'a' },
      { passCode: '0'.repeat(44) },
      { passCode: '123456' },
      { passCode: '' },
    ]
  },
  malformedEnrollRequests: [
    { profile: {} },
    { profile: { credentialId: '000004102994' } },
    { profile: {}, passCode: '' },
    { profile: {}, passCode: '123456' },
    { profile: {}, passCode: ENROLL_OTP.slice(1) },
    { profile: {}, passCode: `${ENROLL_OTP.slice(0, -1)}x` },
    { profile: {}, passCode: 'c'.repeat(66) },
    { passCode: ['x'] },
  ],
  vectors,
})

const verify = async (secret: YubikeySecret, passCode: string, lastCounter: number | null) => expectRight(await run(f.verify(secret, { passCode }, lastCounter, ctx)))
const enroll = async (passCode: unknown, factor = f) => run(factor.enroll(expectRight(factor.enrollRequestCodec.decode({ profile: {}, passCode })), subject, ctx))

describe('replay protection and tampering (OTPs generated with node:crypto)', () => {
  const keyAndFields = arbKey.chain((k) => fc.tuple(fc.constant(k), arbFields(k.privateId)))

  test.prop([keyAndFields])('an OTP is accepted once, at its position; the second time it is Replayed', async ([key, fields]) => {
    const otp = otpOf(key, fields)
    const position = (fields.sessionCounter & 0x7fff) * 256 + fields.sessionUse
    expect(await verify(secretOf(key), otp, null)).toEqual({ _tag: 'Accepted', counter: position })
    expect(await verify(secretOf(key), otp, position)).toEqual({ _tag: 'Replayed' })
  })

  test.prop([arbKey, fc.uniqueArray(fc.integer({ min: 0, max: MAX_POSITION }), { minLength: 2, maxLength: 8 })])(
    'increasing positions are each accepted in turn; afterwards every earlier OTP is Replayed',
    async (key, positions) => {
      const sorted = [...positions].sort((a, b) => a - b)
      let last: number | null = null
      for (const p of sorted) {
        const r = await verify(secretOf(key), otpAt(key, p), last)
        expect(r).toEqual({ _tag: 'Accepted', counter: p })
        last = p
      }
      for (const p of sorted) expect(await verify(secretOf(key), otpAt(key, p), last)).toEqual({ _tag: 'Replayed' })
    },
  )

  test.prop([arbKey, fc.integer({ min: 0, max: MAX_POSITION }), fc.integer({ min: 0, max: MAX_POSITION })])(
    'positions compare the pairs (session counter, session use) lexicographically, whatever the timestamp',
    async (key, a, b) => {
      fc.pre(a !== b)
      const [lo, hi] = a < b ? [a, b] : [b, a]
      // The earlier OTP carries a later timestamp: only the counters count.
      const early = otpAt(key, lo, { timestamp: 0xffffff })
      const late = otpAt(key, hi, { timestamp: 0 })
      expect(await verify(secretOf(key), late, lo)).toEqual({ _tag: 'Accepted', counter: hi })
      expect(await verify(secretOf(key), early, hi)).toEqual({ _tag: 'Replayed' })
    },
  )

  test.prop([keyAndFields])('the caps-lock flag (bit 15 of the session counter) does not change the position', async ([key, fields]) => {
    const plain = { ...fields, sessionCounter: fields.sessionCounter & 0x7fff }
    const flagged = { ...plain, sessionCounter: plain.sessionCounter | 0x8000 }
    const a = await verify(secretOf(key), otpOf(key, plain), null)
    expect(await verify(secretOf(key), otpOf(key, flagged), null)).toEqual(a)
  })

  test.prop([keyAndFields, fc.integer({ min: 0, max: 127 })])('a flipped bit in the token is Rejected (CRC), before any replay check', async ([key, fields], bit) => {
    const plain = plainToken(fields)
    plain[bit >> 3] = (plain[bit >> 3] ?? 0) ^ (1 << (bit & 7))
    expect(await verify(secretOf(key), otpOfPlain(key, plain), null)).toEqual({ _tag: 'Rejected' })
    expect(await verify(secretOf(key), otpOfPlain(key, plain), MAX_POSITION)).toEqual({ _tag: 'Rejected' })
  })

  test.prop([keyAndFields, fc.integer({ min: 0, max: 127 })])('a flipped bit in the encrypted token is Rejected', async ([key, fields], bit) => {
    const block = modhexToBytes(otpOf(key, fields).slice(-32)) ?? new Uint8Array(16)
    block[bit >> 3] = (block[bit >> 3] ?? 0) ^ (1 << (bit & 7))
    const tampered = key.publicId + bytesToModhex(block)
    expect(await verify(secretOf(key), tampered, null)).toEqual({ _tag: 'Rejected' })
  })

  test.prop([keyAndFields, arbKey])("another key's OTP is Rejected, even with this key's public id or private id", async ([key, fields], other) => {
    fc.pre(other.aesKey !== key.aesKey && other.publicId !== key.publicId)
    expect(await verify(secretOf(key), otpOf(other, { ...fields, privateId: other.privateId }), null)).toEqual({ _tag: 'Rejected' })
    expect(await verify(secretOf(key), otpOf({ ...other, publicId: key.publicId }, fields), null)).toEqual({ _tag: 'Rejected' })
  })

  test.prop([keyAndFields])("this key's token behind another public id is Rejected", async ([key, fields]) => {
    expect(await verify(secretOf(key), otpOf({ ...key, publicId: otherPublicId(key.publicId) }, fields), null)).toEqual({ _tag: 'Rejected' })
  })

  test.prop([keyAndFields, fc.uint8Array({ minLength: 6, maxLength: 6 })])('a token with a right CRC but another private id is Rejected', async ([key, fields], uid) => {
    const privateId = Buffer.from(uid).toString('hex')
    fc.pre(privateId !== key.privateId)
    expect(await verify(secretOf(key), otpOf(key, { ...fields, privateId }), null)).toEqual({ _tag: 'Rejected' })
  })

  test.prop([fc.oneof(fc.string({ maxLength: 80 }), fc.stringMatching(/^[cbdefghijklnrtuv]{0,70}$/), fc.stringMatching(/^ccccccdvnbhl[a-z0-9]{30,34}$/))])(
    'any other passCode is Rejected, never a throw',
    async (passCode) => {
      fc.pre(passCode.toLowerCase() !== ENROLL_OTP)
      expect(await verify(secretOf(KEY), passCode, null)).toEqual({ _tag: 'Rejected' })
    },
  )

  it('a lastCounter that is not a safe integer fails closed (Rejected)', async () => {
    for (const last of [Number.NaN, 1.5, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) expect(await verify(secretOf(KEY), otpAt(KEY, 1000), last)).toEqual({ _tag: 'Rejected' })
    expect(await verify(secretOf(KEY), otpAt(KEY, 0), -5)).toEqual({ _tag: 'Accepted', counter: 0 })
  })

  it('a secret that did not come through the codec is a server fault (500 E0000009), not a throw', async () => {
    const r = await run(f.verify({ ...secretOf(KEY), aesKey: 'zz' }, { passCode: ENROLL_OTP }, null, ctx))
    expect(expectLeft(r).code).toBe('E0000009')
  })
})

describe('enrollment', () => {
  it("an OTP of an uploaded key enrolls it: ACTIVE at once, credentialId the 12-digit serial, the OTP's position kept", async () => {
    const e = expectRight(await enroll(ENROLL_OTP))
    expect(e).toEqual({ profile: { credentialId: '000004102994' }, secret: secretOf(KEY, ENROLL_POSITION), activation: 'none' })
    expect(f.profileView(e.profile)).toEqual({ credentialId: '000004102994' })
    expect(f.activationView(e.profile, e.secret, { qrcode: 'https://authn.example/qr' })).toBeNull()
  })

  it('the enrollment OTP cannot be used again to verify; the next one can', async () => {
    const e = expectRight(await enroll(ENROLL_OTP))
    expect(await verify(e.secret, ENROLL_OTP, null)).toEqual({ _tag: 'Replayed' })
    expect(await verify(e.secret, otpAt(KEY, ENROLL_POSITION - 1), null)).toEqual({ _tag: 'Replayed' })
    expect(await verify(e.secret, otpAt(KEY, ENROLL_POSITION + 1), null)).toEqual({ _tag: 'Accepted', counter: ENROLL_POSITION + 1 })
  })

  test.prop([fc.uniqueArray(arbKey, { minLength: 1, maxLength: 5, selector: (k) => k.publicId }), fc.nat(), fc.integer({ min: 0, max: MAX_POSITION })])(
    'any uploaded key enrolls with any of its OTPs',
    async (keys, i, position) => {
      const key = keys[i % keys.length] as YubikeyKey
      const factor = createYubikeyFactor({ keys: keySourceOf(keys) })
      const e = expectRight(await enroll(otpAt(key, position), factor))
      expect(e.profile.credentialId).toBe(String(key.serial).padStart(12, '0'))
      expect(e.secret).toEqual(secretOf(key, position))
    },
  )

  it('an OTP whose public id is not uploaded, or that is not the key’s, is refused with 403 E0000068', async () => {
    const stranger: YubikeyKey = { ...KEY, publicId: 'ccccccvvvvvv' }
    for (const otp of [otpAt(stranger, 1), otpAt({ ...KEY, aesKey: OTHER.aesKey }, 1), otpAt({ ...KEY, privateId: OTHER.privateId }, 1), flippedOtp(KEY, 1, 100)])
      expect(expectLeft(await enroll(otp))).toEqual({ code: 'E0000068', causes: [CAUSES.passcodeMismatch] })
  })

  it('a passCode that is not shaped as an OTP is refused with 400 E0000001; a missing one by the codec', async () => {
    for (const passCode of ['', '123456', ENROLL_OTP.slice(1), `${ENROLL_OTP}c`, 'x'.repeat(44)])
      expect(expectLeft(await enroll(passCode))).toEqual({ code: 'E0000001', causes: [MALFORMED_OTP_CAUSE], argument: 'factorEnrollRequest' })
    expect(f.enrollRequestCodec.decode({ profile: {} })._tag).toBe('Left')
    expect(expectLeft(await run(f.enroll({ profile: {} }, subject, ctx))).code).toBe('E0000001')
  })

  it('a key store that fails, throws or answers nonsense is a server fault (500 E0000009); a row of another public id is no key', async () => {
    const sources: ReadonlyArray<YubikeyKeySource> = [
      () => TE.left({ _tag: 'Unavailable', cause: new Error('down') }),
      () => () => Promise.reject(new Error('boom')),
      () => {
        throw new Error('sync boom')
      },
      () => TE.right({ ...KEY, aesKey: 'not hex' }),
    ]
    for (const keys of sources) expect(expectLeft(await enroll(ENROLL_OTP, createYubikeyFactor({ keys }))).code).toBe('E0000009')
    expect(expectLeft(await enroll(ENROLL_OTP, createYubikeyFactor({ keys: () => TE.right(OTHER) }))).code).toBe('E0000068')
    const upper = createYubikeyFactor({ keys: () => TE.right({ ...KEY, aesKey: KEY.aesKey.toUpperCase(), privateId: KEY.privateId.toUpperCase() }) })
    expect(expectRight(await enroll(ENROLL_OTP, upper)).secret).toEqual(secretOf(KEY, ENROLL_POSITION))
  })

  it('declares token:hardware / YUBICO with ids ykf…, and needs a key source', () => {
    expect([f.factorType, f.provider, f.idPrefix]).toEqual(['token:hardware', 'YUBICO', 'ykf'])
    expect(f.qrCode).toBeUndefined()
    expect(() => createYubikeyFactor({ keys: undefined as unknown as YubikeyKeySource })).toThrow(TypeError)
  })
})

describe('seeding', () => {
  const seed = async (secret: string | undefined, profile: Record<string, unknown> = {}) =>
    run(f.seed({ profile, ...(secret === undefined ? {} : { secret }) }, subject, ctx))

  it('a Yubico-format row gives an ACTIVE factor with no position used; its OTPs verify', async () => {
    const row = `${OTHER.serial + 1},vvccccccccrt,${OTHER.privateId},${OTHER.aesKey},,2026-11-30T10:15:31,`
    const e = expectRight(await seed(row))
    expect(e).toEqual({ profile: { credentialId: '000007886623' }, secret: secretOf({ ...OTHER, publicId: 'vvccccccccrt' }), activation: 'none' })
    expect(await verify(e.secret, otpAt({ ...OTHER, publicId: 'vvccccccccrt' }, 0), null)).toEqual({ _tag: 'Accepted', counter: 0 })
  })

  it('a public id is looked up in the key store (any case)', async () => {
    expect(expectRight(await seed(KEY.publicId.toUpperCase()))).toEqual({ profile: { credentialId: '000004102994' }, secret: secretOf(KEY), activation: 'none' })
    expect(expectRight(await seed(KEY.publicId, { credentialId: '000004102994' })).profile.credentialId).toBe('000004102994')
  })

  it('refuses a missing secret, an unknown public id, a bad row and a credentialId that is not the serial', async () => {
    for (const [secret, profile] of [
      [undefined, {}],
      ['ccccccvvvvvv', {}],
      ['not a key', {}],
      ['4102994,ccccccdvnbhl,a1b2c3d4e5f6', {}],
      ['4102994,ccccccdvnbhl,a1b2c3d4e5f6,5b3c9a0f7d2e4b6a8c1d3e5f7a9b0c2d00', {}],
      [KEY.publicId, { credentialId: 'dade@example.com' }],
    ] as const) {
      const failure = expectLeft(await seed(secret, profile))
      expect(failure.code, String(secret)).toBe('E0000001')
      expect(failure.causes.length).toBeGreaterThan(0)
    }
  })
})
