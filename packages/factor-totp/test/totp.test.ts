import { describe, expect, it } from 'vitest'
import { createSeededRandom, createTrivialHasher } from '@authn-machine/testkit/fixtures'
import { describeFactor, expectRight, run, type FactorVector } from '@authn-machine/testkit'
import type { FactorContext } from '@authn-machine/core'
import {
  SharedSecret,
  TOTP_DEFAULTS,
  createTotpFactor,
  encodeSecret,
  otpauthUri,
  secretBytes,
  totpCode,
  totpConfig,
  type OtpAlgorithm,
  type TotpParameters,
} from '../src/index.js'

const ascii = (s: string) => new TextEncoder().encode(s)
const keyOf = (secret: string): Uint8Array => {
  const k = secretBytes(secret)
  if (k === null) throw new Error(`not a canonical secret: ${secret}`)
  return k
}
const codeAt = (secret: string, ms: number, p: TotpParameters = TOTP_DEFAULTS) => totpCode(keyOf(secret), Math.floor(ms / 1000), p)
const STEP_MS = 30_000
const NOW = Date.UTC(2026, 0, 1, 12, 0, 10)
const ctxAt = (now: number, seed = 'totp'): FactorContext => ({ random: createSeededRandom(seed), hasher: createTrivialHasher(), now })

/** A 6-digit code that none of the steps around `now` produce. */
const wrongCode = async (secret: string, now: number): Promise<string> => {
  const near = new Set(await Promise.all([-1, 0, 1].map((k) => codeAt(secret, now + k * STEP_MS))))
  for (let i = 0; ; i++) {
    const c = String(i).padStart(6, '0')
    if (!near.has(c)) return c
  }
}

// RFC 6238 Appendix B: T0 = 0, X = 30, 8 digits; the seeds are the ASCII strings below.
const RFC6238_SEEDS: Readonly<Record<OtpAlgorithm, string>> = {
  sha1: '12345678901234567890',
  sha256: '12345678901234567890123456789012',
  sha512: '1234567890123456789012345678901234567890123456789012345678901234',
}
const RFC6238: ReadonlyArray<readonly [number, Readonly<Record<OtpAlgorithm, string>>]> = [
  [59, { sha1: '94287082', sha256: '46119246', sha512: '90693936' }],
  [1111111109, { sha1: '07081804', sha256: '68084774', sha512: '25091201' }],
  [1111111111, { sha1: '14050471', sha256: '67062674', sha512: '99943326' }],
  [1234567890, { sha1: '89005924', sha256: '91819424', sha512: '93441116' }],
  [2000000000, { sha1: '69279037', sha256: '90698825', sha512: '38618901' }],
  [20000000000, { sha1: '65353130', sha256: '77737706', sha512: '47863826' }],
]
const RFC_SECRET = encodeSecret(ascii(RFC6238_SEEDS.sha1))

/** The SHA-1 vectors as the default 6-digit factor sees them: the last 6 digits (the same value mod 10^6). */
const vectors6: ReadonlyArray<FactorVector> = RFC6238.flatMap(([t, codes]) => [
  { name: `RFC 6238 SHA-1 at T=${t}, 6 digits`, secret: RFC_SECRET, answer: { passCode: codes.sha1.slice(2) }, now: t * 1000, lastCounter: null, expected: { counter: Math.floor(t / 30) } },
  { name: `RFC 6238 SHA-1 at T=${t}, replayed`, secret: RFC_SECRET, answer: { passCode: codes.sha1.slice(2) }, now: t * 1000, lastCounter: Math.floor(t / 30), expected: 'Replayed' as const },
])

for (const provider of ['OKTA', 'GOOGLE'] as const) {
  describeFactor(`totp ${provider}`, {
    factor: createTotpFactor(provider),
    enrollRequest: { profile: {} },
    validAnswer: async (secret, now) => ({ passCode: await codeAt(secret, now) }),
    invalidAnswers: async (secret, now) => [
      { passCode: await wrongCode(secret, now) },
      { passCode: await codeAt(secret, now - 2 * STEP_MS) },
      { passCode: await codeAt(secret, now + 2 * STEP_MS) },
      { passCode: (await codeAt(secret, now)).slice(1) },
      { passCode: `${await codeAt(secret, now)}0` },
      { passCode: ` ${await codeAt(secret, now)}` },
      { passCode: 'abcdef' },
      { passCode: '' },
    ],
    timeStepMs: STEP_MS,
    vectors: vectors6,
    now: NOW,
  })
}

describe('RFC 6238 Appendix B through otplib, configured as the factor configures it', () => {
  for (const algorithm of ['sha1', 'sha256', 'sha512'] as const) {
    for (const [t, codes] of RFC6238) {
      it(`${algorithm.toUpperCase()} at T=${t}: ${codes[algorithm]}`, async () => {
        const p = totpConfig({ digits: 8, algorithm })
        expect(await totpCode(ascii(RFC6238_SEEDS[algorithm]), t, p)).toBe(codes[algorithm])
        // and through the factor: an 8-digit factor accepts the vector at that time, at step floor(T / 30)
        const factor = createTotpFactor('OKTA', { digits: 8, algorithm })
        const secret = expectRight(factor.secretCodec.decode(encodeSecret(ascii(RFC6238_SEEDS[algorithm]))))
        const r = expectRight(await run(factor.verify(secret, { passCode: codes[algorithm] }, null, ctxAt(t * 1000))))
        expect(r).toEqual({ _tag: 'Accepted', counter: Math.floor(t / 30) })
      })
    }
  }
})

describe('skew window', () => {
  const secret = RFC_SECRET
  const verifyAt = async (codeMs: number, atMs: number, lastCounter: number | null = null, o = {}) =>
    expectRight(await run(createTotpFactor('GOOGLE', o).verify(secret, { passCode: await codeAt(secret, codeMs) }, lastCounter, ctxAt(atMs))))
  const step = Math.floor(NOW / STEP_MS)

  it('by default accepts the previous, current and next steps, reporting the matched step', async () => {
    expect(await verifyAt(NOW, NOW)).toEqual({ _tag: 'Accepted', counter: step })
    expect(await verifyAt(NOW - STEP_MS, NOW)).toEqual({ _tag: 'Accepted', counter: step - 1 })
    expect(await verifyAt(NOW + STEP_MS, NOW)).toEqual({ _tag: 'Accepted', counter: step + 1 })
  })
  it('by default refuses codes two or more steps away', async () => {
    for (const k of [-5, -3, -2, 2, 3]) expect(await verifyAt(NOW + k * STEP_MS, NOW), `${k} steps`).toEqual({ _tag: 'Rejected' })
  })
  it('is configurable: { past: 0, future: 0 } accepts the current step only; { past: 2, future: 0 } two steps back and none ahead', async () => {
    const exact = { skew: { past: 0, future: 0 } }
    expect((await verifyAt(NOW, NOW, null, exact))._tag).toBe('Accepted')
    expect(await verifyAt(NOW - STEP_MS, NOW, null, exact)).toEqual({ _tag: 'Rejected' })
    expect(await verifyAt(NOW + STEP_MS, NOW, null, exact)).toEqual({ _tag: 'Rejected' })
    const late = { skew: { past: 2, future: 0 } }
    expect(await verifyAt(NOW - 2 * STEP_MS, NOW, null, late)).toEqual({ _tag: 'Accepted', counter: step - 2 })
    expect(await verifyAt(NOW + STEP_MS, NOW, null, late)).toEqual({ _tag: 'Rejected' })
  })
  it('a code is accepted at any time within its step, and in the steps next to it only', async () => {
    const start = step * STEP_MS
    for (const at of [start, start + 1, start + STEP_MS - 1]) expect((await verifyAt(start, at))._tag).toBe('Accepted')
    expect((await verifyAt(start, start + 2 * STEP_MS - 1))._tag).toBe('Accepted')
    expect(await verifyAt(start, start + 2 * STEP_MS)).toEqual({ _tag: 'Rejected' })
  })
})

describe('replay', () => {
  const secret = RFC_SECRET
  const step = Math.floor(NOW / STEP_MS)
  const verifyCode = async (codeMs: number, lastCounter: number | null) =>
    expectRight(await run(createTotpFactor('OKTA').verify(secret, { passCode: await codeAt(secret, codeMs) }, lastCounter, ctxAt(NOW))))

  it('the code of a used step is a replay (E0000082); so are codes of earlier steps in the window', async () => {
    expect(await verifyCode(NOW, step)).toEqual({ _tag: 'Replayed' })
    expect(await verifyCode(NOW - STEP_MS, step)).toEqual({ _tag: 'Replayed' })
    expect(await verifyCode(NOW, step + 1)).toEqual({ _tag: 'Replayed' })
  })
  it('a later step than the last used one is accepted', async () => {
    expect(await verifyCode(NOW, step - 1)).toEqual({ _tag: 'Accepted', counter: step })
    expect(await verifyCode(NOW + STEP_MS, step)).toEqual({ _tag: 'Accepted', counter: step + 1 })
  })
})

describe('pass code format', () => {
  it('anything but exactly 6 ASCII digits is Rejected (403 E0000068 at the engine), not a 400', async () => {
    const f = createTotpFactor('OKTA')
    const code = await codeAt(RFC_SECRET, NOW)
    for (const passCode of ['', code.slice(0, 5), `${code}1`, `${code.slice(0, 5)}a`, '１２３４５６', `${code} `, `-${code.slice(1)}`, '1e+005']) {
      expect(expectRight(await run(f.verify(RFC_SECRET, { passCode }, null, ctxAt(NOW)))), JSON.stringify(passCode)).toEqual({ _tag: 'Rejected' })
    }
  })
  it('a missing or non-string passCode is refused by the answer codec (400 E0000001 at the engine)', () => {
    const f = createTotpFactor('OKTA')
    for (const body of [{}, { passCode: 123456 }, { passCode: null }, null, '123456']) expect(f.answerCodec.decode(body)._tag).toBe('Left')
    expect(expectRight(f.answerCodec.decode({ passCode: '123456', stateToken: 'x' }))).toEqual({ passCode: '123456' })
  })
})

describe('enrollment', () => {
  it('draws 20 bytes from ctx.random for the key; the profile is the login; activation is required', async () => {
    const f = createTotpFactor('OKTA')
    const req = expectRight(f.enrollRequestCodec.decode({ profile: { credentialId: 'ignored' } }))
    const e = expectRight(await run(f.enroll(req, { login: 'dade@example.com', email: null }, ctxAt(NOW, 'seed-1'))))
    expect(e.profile).toEqual({ credentialId: 'dade@example.com' })
    expect(e.activation).toBe('required')
    expect(e.secret).toBe(encodeSecret(createSeededRandom('seed-1').bytes(20)))
    expect(e.secret).toMatch(/^[A-Z2-7]{32}$/)
  })
  it('a Random that fails is a failure, not a throw', async () => {
    const f = createTotpFactor('OKTA')
    const broken: FactorContext = { ...ctxAt(NOW), random: { bytes: () => { throw new Error('no entropy') } } }
    const short: FactorContext = { ...ctxAt(NOW), random: { bytes: () => new Uint8Array(3) } }
    for (const ctx of [broken, short]) expect((await run(f.enroll({ profile: {} }, { login: 'a', email: null }, ctx)))._tag).toBe('Left')
  })
  it('ids: Okta Verify is ost…, Google Authenticator uft…; both token:software:totp', () => {
    expect([createTotpFactor('OKTA').idPrefix, createTotpFactor('GOOGLE').idPrefix]).toEqual(['ost', 'uft'])
    expect(createTotpFactor('GOOGLE').factorType).toBe('token:software:totp')
  })
})

describe('activation view (§4.6, §7.3)', () => {
  it('is { timeStep, sharedSecret, encoding, keyLength, _links.qrcode } exactly', () => {
    const view = createTotpFactor('GOOGLE').activationView({ credentialId: 'a@example.com' }, RFC_SECRET, { qrcode: 'https://org.example/api/v1/users/00u1/factors/uft1/qr/abc' })
    expect(view).toEqual({
      timeStep: 30,
      sharedSecret: RFC_SECRET,
      encoding: 'base32',
      keyLength: 6,
      _links: { qrcode: { href: 'https://org.example/api/v1/users/00u1/factors/uft1/qr/abc', type: 'image/png' } },
    })
  })
  it('the profile view is the credentialId only', () => {
    expect(createTotpFactor('OKTA').profileView({ credentialId: 'a@example.com' })).toEqual({ credentialId: 'a@example.com' })
  })
})

describe('otpauth URI and QR code', () => {
  it('the URI names the issuer, the account (login), the secret, digits, period and algorithm', () => {
    const uri = new URL(otpauthUri({ issuer: 'Acme Corp: EU', account: 'dade+1@example.com', secret: RFC_SECRET, digits: 6, period: 30, algorithm: 'sha1' }))
    expect(uri.protocol).toBe('otpauth:')
    expect(uri.host).toBe('totp')
    expect(decodeURIComponent(uri.pathname)).toBe('/Acme Corp: EU:dade+1@example.com')
    expect(uri.pathname.split(':').map(decodeURIComponent)).toEqual(['/Acme Corp: EU', 'dade+1@example.com'])
    expect(Object.fromEntries(uri.searchParams)).toEqual({ secret: RFC_SECRET, issuer: 'Acme Corp: EU', algorithm: 'SHA1', digits: '6', period: '30' })
  })
  it('with no issuer the label is the account alone', () => {
    const uri = new URL(otpauthUri({ issuer: '', account: 'a@example.com', secret: RFC_SECRET, digits: 8, period: 60, algorithm: 'sha256' }))
    expect(decodeURIComponent(uri.pathname)).toBe('/a@example.com')
    expect(Object.fromEntries(uri.searchParams)).toEqual({ secret: RFC_SECRET, algorithm: 'SHA256', digits: '8', period: '60' })
  })
  it('qrCode is a PNG: signature, a square IHDR, a plausible size', async () => {
    const f = createTotpFactor('OKTA')
    const qrCode = f.qrCode
    if (qrCode === undefined) throw new Error('TOTP has a QR code')
    const png = await qrCode({ credentialId: 'dade@example.com' }, RFC_SECRET, 'Acme Corp')
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
    const dv = new DataView(png.buffer, png.byteOffset, png.byteLength)
    expect(new TextDecoder().decode(png.subarray(12, 16))).toBe('IHDR')
    const width = dv.getUint32(16)
    expect(width).toBeGreaterThanOrEqual(21 * 4)
    expect(dv.getUint32(20)).toBe(width)
    expect(png.byteLength).toBeGreaterThan(200)
    expect(png.byteLength).toBeLessThan(100_000)
    expect(new TextDecoder().decode(png.subarray(png.byteLength - 8, png.byteLength - 4))).toBe('IEND')
  })
})

describe('stored secret codec and options', () => {
  it('decodes lower case, spaces and padding to the canonical form; refuses short, long and non-base32 keys', () => {
    expect(expectRight(SharedSecret.decode('gezd gnbv gy3t qojq gezd gnbv gy3t qojq'))).toBe(RFC_SECRET)
    expect(expectRight(SharedSecret.decode('JBSWY3DPEHPK3PXP'))).toBe('JBSWY3DPEHPK3PXP') // Okta's 80-bit example length
    expect(expectRight(SharedSecret.decode(encodeSecret(new Uint8Array(64))))).toBe(encodeSecret(new Uint8Array(64)))
    for (const bad of ['', 'JBSWY3DP', encodeSecret(new Uint8Array(9)), encodeSecret(new Uint8Array(65)), 'JBSWY3DPEHPK3PX1', 42, null]) {
      expect(SharedSecret.decode(bad)._tag, JSON.stringify(bad)).toBe('Left')
    }
  })
  it('an 80-bit (Okta example) key verifies', async () => {
    const now = 1_700_000_000_000
    const r = expectRight(await run(createTotpFactor('OKTA').verify('JBSWY3DPEHPK3PXP' as SharedSecret, { passCode: await codeAt('JBSWY3DPEHPK3PXP', now) }, null, ctxAt(now))))
    expect(r._tag).toBe('Accepted')
  })
  it('a secret that did not come through the codec is a failure, not a throw', async () => {
    const r = await run(createTotpFactor('OKTA').verify('not base32!' as SharedSecret, { passCode: '123456' }, null, ctxAt(NOW)))
    expect(r._tag).toBe('Left')
  })
  it('invalid options throw a RangeError at construction', () => {
    expect(() => createTotpFactor('OKTA', { step: 0 })).toThrow(RangeError)
    expect(() => createTotpFactor('OKTA', { step: 1.5 })).toThrow(RangeError)
    expect(() => createTotpFactor('OKTA', { skew: { past: -1, future: 1 } })).toThrow(RangeError)
    expect(totpConfig()).toEqual({ digits: 6, step: 30, algorithm: 'sha1', skew: { past: 1, future: 1 } })
  })
})
