import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { describeFactor, expectLeft, expectRight, run } from '@authn-machine/testkit'
import { createSeededRandom, createTrivialHasher } from '@authn-machine/testkit/fixtures'
import type { FactorContext } from '@authn-machine/core'
import { PassCodeAnswer } from '@authn-machine/factor-sms'
import { MAX_EXTENSION_DIGITS, createCallFactor, spokenDigits } from '../src/index.js'

describeFactor('call', {
  factor: createCallFactor(),
  enrollRequest: { profile: { phoneNumber: '+1-415-555-2671', phoneExtension: '1234' } },
  malformedEnrollRequests: [
    {},
    { profile: { phoneExtension: '12' } },
    { profile: { phoneNumber: '+1 555' } },
    { profile: { phoneNumber: 'phone' } },
    { profile: { phoneNumber: '+14155552671', phoneExtension: '12a' } },
    { profile: { phoneNumber: '+14155552671', phoneExtension: '1234567890123456' } },
    { profile: { phoneNumber: '+14155552671', phoneExtension: 12 } },
    { profile: { phoneNumber: '+14155552671', phoneExtension: ' 12' } },
    { profile: { phoneNumber: '+14155552671', updatePhone: 'maybe' } },
  ],
})

const ctx: FactorContext = { random: createSeededRandom('call'), hasher: createTrivialHasher(), now: Date.UTC(2026, 0, 1) }
const subject = { login: 'dade@example.com', email: 'dade@example.com' }
const f = createCallFactor()
const enroll = async (profile: unknown) => run(f.enroll(expectRight(f.enrollRequestCodec.decode({ profile })), subject, ctx))

describe('phone number (the rules of factor-sms)', () => {
  it.each([
    ['(415) 555-2671', '+14155552671'],
    ['+44 20 7946 0958', '+442079460958'],
    ['+1-415-555-2671', '+14155552671'],
    ['415.555.2671', '+14155552671'],
  ])('%j is stored as %s', async (phoneNumber, e164) => {
    expect(expectRight(await enroll({ phoneNumber }))).toEqual({ profile: { phoneNumber: e164 }, secret: null, activation: 'required' })
  })
  it.each(['+1 555', '', 'abc', '12345678901234567', '+1 415 555 2671 x1'])('%j is refused with E0000001 and a cause naming profile.phoneNumber', async (phoneNumber) => {
    const failure = expectLeft(await enroll({ phoneNumber }))
    expect(failure).toMatchObject({ code: 'E0000001', argument: 'factorEnrollRequest' })
    expect(failure.causes).toHaveLength(1)
    expect(failure.causes[0]).toMatch(/^profile\.phoneNumber: /u)
  })
  it('a non-string number is refused by the request codec', () => {
    for (const phoneNumber of [4155552671, null, []]) expect(f.enrollRequestCodec.decode({ profile: { phoneNumber } })._tag).toBe('Left')
  })
})

describe('extension', () => {
  it('is optional: absent, null or "" store no extension', async () => {
    for (const extra of [{}, { phoneExtension: null }, { phoneExtension: '' }]) {
      expect(expectRight(await enroll({ phoneNumber: '4155552671', ...extra })).profile).toEqual({ phoneNumber: '+14155552671' })
    }
  })
  test.prop([fc.stringMatching(new RegExp(`^[0-9]{1,${MAX_EXTENSION_DIGITS}}$`, 'u'))])('any 1 to 15 digits are stored as given', async (phoneExtension) => {
    const e = expectRight(await enroll({ phoneNumber: '+1 (415) 555-2671', phoneExtension }))
    expect(e.profile).toEqual({ phoneNumber: '+14155552671', phoneExtension })
    expect(f.profileCodec.is(e.profile)).toBe(true)
    expect(f.profileView(e.profile)).toEqual({ phoneNumber: '+14155552671', phoneExtension })
  })
  test.prop([fc.string({ minLength: 1, maxLength: 30 }).filter((s) => !/^[0-9]{1,15}$/u.test(s))])(
    'anything else (a non-digit, more than 15 digits) is refused with a cause naming profile.phoneExtension',
    async (phoneExtension) => {
      const failure = expectLeft(await enroll({ phoneNumber: '+14155552671', phoneExtension }))
      expect(failure.code).toBe('E0000001')
      expect(failure.causes).toHaveLength(1)
      expect(failure.causes[0]).toMatch(/^profile\.phoneExtension: .* is not a valid extension \(1 to 15 digits\)\.$/su)
    },
  )
  it('the exact cause; a non-string extension is refused by the request codec', async () => {
    expect(expectLeft(await enroll({ phoneNumber: '+14155552671', phoneExtension: '12a' })).causes).toEqual([
      "profile.phoneExtension: '12a' is not a valid extension (1 to 15 digits).",
    ])
    expect(f.enrollRequestCodec.decode({ profile: { phoneNumber: '+14155552671', phoneExtension: 12 } })._tag).toBe('Left')
  })
  it('the stored profile codec refuses a bad extension', () => {
    expect(f.profileCodec.decode({ phoneNumber: '+14155552671', phoneExtension: 'x' })._tag).toBe('Left')
    expect(f.profileCodec.decode({ phoneNumber: '+14155552671', phoneExtension: '' })._tag).toBe('Left')
  })
  it('seed: the number normalised, the extension kept, ACTIVE at once', async () => {
    expect(expectRight(await run(f.seed({ profile: { phoneNumber: '(212) 555-0123', phoneExtension: '42' } }, subject, ctx)))).toEqual({
      profile: { phoneNumber: '+12125550123', phoneExtension: '42' },
      secret: null,
      activation: 'none',
    })
    expect(expectLeft(await run(f.seed({ profile: { phoneNumber: '+12125550123', phoneExtension: 'ext' } }, subject, ctx)))).toMatchObject({ code: 'E0000001', argument: 'factor' })
  })
})

describe('delivery, answer and views', () => {
  it('calls with 5-digit codes, at most one call every 30 s (429 E0000133); ids clf…', () => {
    expect([f.factorType, f.provider, f.idPrefix]).toEqual(['call', 'OKTA', 'clf'])
    expect(f.delivery).toEqual({ channel: 'call', codeLength: 5, resendAfterMs: 30_000, throttledCode: 'E0000133', message: expect.any(Function) })
  })
  it('the voice reads the digits one by one, twice, worded for the purpose', () => {
    const profile = { phoneNumber: '+14155552671', phoneExtension: '12' }
    expect(f.delivery.message(profile, '12345', 'mfa-challenge')).toEqual({
      to: '+14155552671',
      subject: '',
      text: 'Your verification code is 1, 2, 3, 4, 5. Again, your code is 1, 2, 3, 4, 5.',
    })
    expect(f.delivery.message(profile, '00700', 'mfa-activation').text).toBe('Your enrollment code is 0, 0, 7, 0, 0. Again, your code is 0, 0, 7, 0, 0.')
    expect(spokenDigits('905')).toBe('9, 0, 5')
  })
  test.prop([fc.stringMatching(/^[0-9]{5}$/u), fc.constantFrom('mfa-activation' as const, 'mfa-challenge' as const)])(
    'the only digits said are the code, twice; never two digits in a row',
    (code, purpose) => {
      const { text } = f.delivery.message({ phoneNumber: '+442079460958' }, code, purpose)
      expect(text.replace(/[^0-9]/gu, '')).toBe(`${code}${code}`)
      expect(text).not.toMatch(/[0-9]{2}/u)
    },
  )
  it('answer: exactly { passCode: string } (the codec shared with sms)', () => {
    expect(f.answerCodec).toBe(PassCodeAnswer)
    expect(f.answerCodec.decode({ passCode: '12345' })).toEqual({ _tag: 'Right', right: { passCode: '12345' } })
  })
  it('profile view: number (masked by the renderer) and extension; no activation view', () => {
    expect(f.profileView({ phoneNumber: '+14155552671' })).toEqual({ phoneNumber: '+14155552671' })
    expect(f.activationView({ phoneNumber: '+14155552671' }, null, { qrcode: 'https://x.example/qr' })).toBeNull()
  })
})
