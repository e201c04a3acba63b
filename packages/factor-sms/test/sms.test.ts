import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { describeFactor, expectLeft, expectRight, run } from '@authn-machine/testkit'
import { createSeededRandom, createTrivialHasher } from '@authn-machine/testkit/fixtures'
import type { FactorContext } from '@authn-machine/core'
import { E164, MAX_PHONE_DIGITS, PassCodeAnswer, createSmsFactor, parsePhone } from '../src/index.js'

const FIELD = 'profile.phoneNumber'

describeFactor('sms', {
  factor: createSmsFactor(),
  enrollRequest: { profile: { phoneNumber: '(415) 555-2671', updatePhone: 'true' } },
  malformedEnrollRequests: [
    {},
    { profile: {} },
    { profile: { phoneNumber: '' } },
    { profile: { phoneNumber: '+1 555' } },
    { profile: { phoneNumber: '555-555-1212' } },
    { profile: { phoneNumber: '1-800-FLOWERS' } },
    { profile: { phoneNumber: '+1 415 555 2671 x12' } },
    { profile: { phoneNumber: '1234567890123456' } },
    { profile: { phoneNumber: 4155552671 } },
    { profile: { phoneNumber: null } },
    { profile: { phoneNumber: '+14155552671', updatePhone: 'yes' } },
    { profile: { phoneNumber: '+14155552671', updatePhone: 1 } },
  ],
})

const ctx: FactorContext = { random: createSeededRandom('sms'), hasher: createTrivialHasher(), now: Date.UTC(2026, 0, 1) }
const subject = { login: 'dade@example.com', email: 'dade@example.com' }
const f = createSmsFactor()
const enroll = async (body: unknown) => run(f.enroll(expectRight(f.enrollRequestCodec.decode(body)), subject, ctx))

/** Numbers valid in their country, in E.164. */
const VALID_E164 = ['+14155552671', '+12125550123', '+442079460958', '+33612345678', '+819012345678', '+4930901820', '+8613800138000', '+61412345678'] as const

describe('E.164 normalisation', () => {
  it.each([
    ['(415) 555-2671', '+14155552671'],
    ['(415)555-2671', '+14155552671'],
    ['415-555-2671', '+14155552671'],
    ['415.555.2671', '+14155552671'],
    ['415 555 2671', '+14155552671'],
    ['4155552671', '+14155552671'],
    ['1 415 555 2671', '+14155552671'],
    ['1-415-555-2671', '+14155552671'],
    ['+1 415 555 2671', '+14155552671'],
    ['+1-415-555-2671', '+14155552671'],
    ['+1.415.555.2671', '+14155552671'],
    ['+1 (415) 555-2671', '+14155552671'],
    ['+1/415/555/2671', '+14155552671'],
    ['  +14155552671  ', '+14155552671'],
    ['+1\u00a0415\u00a0555\u00a02671', '+14155552671'],
    ['+44 20 7946 0958', '+442079460958'],
    ['+44 (0)20 7946 0958', '+442079460958'],
    ['011 44 20 7946 0958', '+442079460958'],
    ['+33 6 12 34 56 78', '+33612345678'],
    ['+81 90-1234-5678', '+819012345678'],
    ['+49 30 901820', '+4930901820'],
  ])('%j is %s', (written, e164) => {
    expect(parsePhone(written, FIELD)).toEqual({ _tag: 'Right', right: e164 })
  })

  const separator = fc.constantFrom('', '', ' ', '-', '.', '\u00a0')
  const written = (digits: string, seps: ReadonlyArray<string>): string => [...digits].map((d, i) => `${d}${seps[i] ?? ''}`).join('')
  test.prop([fc.constantFrom(...VALID_E164), fc.array(separator, { maxLength: 15 })])(
    'an E.164 number written with any separators between its digits is read as itself',
    (e164, seps) => {
      expect(parsePhone(`+${written(e164.slice(1), seps)}`, FIELD)).toEqual({ _tag: 'Right', right: e164 })
    },
  )
  test.prop([fc.constantFrom(...VALID_E164.filter((n) => n.startsWith('+1'))), fc.array(separator, { maxLength: 10 }), fc.boolean()])(
    'a US number written without + (with or without the leading 1) is read as a US number',
    (e164, seps, withOne) => {
      expect(parsePhone(`${withOne ? '1 ' : ''}${written(e164.slice(2), seps)}`, FIELD)).toEqual({ _tag: 'Right', right: e164 })
    },
  )
  test.prop([fc.oneof(fc.string({ maxLength: 30 }), fc.stringMatching(/^\+?[0-9 ().\-/]{0,24}$/u))], { numRuns: 300 })(
    'any input: refused with a cause naming the field, or an E.164 number of at most 15 digits that reads as itself; never a throw',
    (s) => {
      const r = parsePhone(s, FIELD)
      if (r._tag === 'Left') {
        expect(r.left.startsWith(`${FIELD}: `)).toBe(true)
        return
      }
      expect(E164.is(r.right)).toBe(true)
      expect(r.right.length - 1).toBeLessThanOrEqual(MAX_PHONE_DIGITS)
      expect(parsePhone(r.right, FIELD)).toEqual(r)
    },
  )
})

describe('refusals', () => {
  it.each([
    ['+1 555', `${FIELD}: '+1 555' is not a valid phone number.`],
    ['555-555-1212', `${FIELD}: '555-555-1212' is not a valid phone number.`],
    ['+1 415 555 267', `${FIELD}: '+1 415 555 267' is not a valid phone number.`],
    ['12', `${FIELD}: '12' is not a valid phone number.`],
    ['+0 415 555 2671', `${FIELD}: '+0 415 555 2671' is not a valid phone number.`],
    ['++14155552671', `${FIELD}: '++14155552671' is not a valid phone number (only digits, a leading '+', spaces and - . ( ) / are allowed).`],
    ['1-800-FLOWERS', `${FIELD}: '1-800-FLOWERS' is not a valid phone number (only digits, a leading '+', spaces and - . ( ) / are allowed).`],
    ['+1 415 555 2671 x123', `${FIELD}: '+1 415 555 2671 x123' is not a valid phone number (only digits, a leading '+', spaces and - . ( ) / are allowed).`],
    ['+1 415 555 2671;ext=1', `${FIELD}: '+1 415 555 2671;ext=1' is not a valid phone number (only digits, a leading '+', spaces and - . ( ) / are allowed).`],
    ['４１５５５５２６７１', `${FIELD}: '４１５５５５２６７１' is not a valid phone number (only digits, a leading '+', spaces and - . ( ) / are allowed).`],
    ['+1415555267100', `${FIELD}: '+1415555267100' is not a valid phone number.`],
    ['1234567890123456', `${FIELD}: '1234567890123456' is not a valid phone number (more than 15 digits).`],
    ['+44 20 7946 0958 1234 5', `${FIELD}: '+44 20 7946 0958 1234 5' is not a valid phone number (more than 15 digits).`],
    ['', `${FIELD}: The field cannot be left blank`],
    [' \t ', `${FIELD}: The field cannot be left blank`],
    [`+1 ${'4'.repeat(40)}`, `${FIELD}: A phone number has at most 40 characters.`],
  ])('%j: %s', (written, cause) => {
    expect(parsePhone(written, FIELD)).toEqual({ _tag: 'Left', left: cause })
  })
  test.prop([fc.stringMatching(/^\+?[0-9]{16,30}$/u)])('more than 15 digits is refused', (s) => {
    expect(parsePhone(s, FIELD)._tag).toBe('Left')
  })
  test.prop([fc.tuple(fc.stringMatching(/^[0-9 ]{0,12}$/u), fc.stringMatching(/^[A-Za-z]+$/u), fc.stringMatching(/^[0-9 ]{0,12}$/u))])(
    'a letter anywhere is refused',
    ([a, letters, b]) => {
      expect(parsePhone(`${a}${letters}${b}`, FIELD)._tag).toBe('Left')
    },
  )
  it('enroll refuses with E0000001 "factorEnrollRequest" and the cause; a non-string number is refused by the request codec', async () => {
    expect(expectLeft(await enroll({ profile: { phoneNumber: '+1 555' } }))).toEqual({
      code: 'E0000001',
      argument: 'factorEnrollRequest',
      causes: [`${FIELD}: '+1 555' is not a valid phone number.`],
    })
    for (const phoneNumber of [4155552671, null, ['+14155552671'], { n: '+14155552671' }, true]) {
      expect(f.enrollRequestCodec.decode({ profile: { phoneNumber } })._tag, JSON.stringify(phoneNumber)).toBe('Left')
      // enroll itself, given what the codec would refuse, refuses too (never a throw)
      expect(expectLeft(await run(f.enroll({ profile: { phoneNumber } }, subject, ctx))).code).toBe('E0000001')
    }
  })
})

describe('enrollment and seeding', () => {
  it('enroll stores the E.164 number, no secret, PENDING_ACTIVATION (activation required)', async () => {
    expect(expectRight(await enroll({ profile: { phoneNumber: '(415) 555-2671' } }))).toEqual({
      profile: { phoneNumber: '+14155552671' },
      secret: null,
      activation: 'required',
    })
  })
  it('updatePhone (boolean or "true"/"false") is accepted and ignored; anything else is refused by the codec', async () => {
    for (const updatePhone of [true, false, 'true', 'false']) {
      expect(expectRight(await enroll({ profile: { phoneNumber: '+1 415 555 2671', updatePhone } })).profile).toEqual({ phoneNumber: '+14155552671' })
    }
    for (const updatePhone of ['yes', 1, null, 'TRUE']) expect(f.enrollRequestCodec.decode({ profile: { phoneNumber: '+14155552671', updatePhone } })._tag).toBe('Left')
  })
  it('the request codec fills a missing profile with {} (then enroll names the missing number) and keeps passCode strings', () => {
    expect(f.enrollRequestCodec.decode({ profile: { phoneNumber: '4155552671' }, passCode: '123' })).toEqual({
      _tag: 'Right',
      right: { profile: { phoneNumber: '4155552671' }, passCode: '123' },
    })
    expect(f.enrollRequestCodec.decode({})._tag).toBe('Left')
    expect(f.enrollRequestCodec.decode({ profile: { phoneNumber: '4155552671' }, nextPassCode: 5 })._tag).toBe('Left')
  })
  it('seed normalises the number the same way and is ACTIVE at once; a bad seed names the field (argument "factor")', async () => {
    expect(expectRight(await run(f.seed({ profile: { phoneNumber: '415.555.2671' } }, subject, ctx)))).toEqual({
      profile: { phoneNumber: '+14155552671' },
      secret: null,
      activation: 'none',
    })
    expect(expectLeft(await run(f.seed({ profile: { phoneNumber: 'call me' } }, subject, ctx)))).toMatchObject({ code: 'E0000001', argument: 'factor' })
    expect(expectLeft(await run(f.seed({ profile: {} }, subject, ctx))).causes).toEqual([`${FIELD}: The field cannot be left blank`])
  })
})

describe('delivery, answer and views', () => {
  it('sends 6-digit codes by SMS, at most one every 30 s (429 E0000109); ids mbl…', () => {
    expect([f.factorType, f.provider, f.idPrefix]).toEqual(['sms', 'OKTA', 'mbl'])
    expect(f.delivery).toEqual({ channel: 'sms', codeLength: 6, resendAfterMs: 30_000, throttledCode: 'E0000109', message: expect.any(Function) })
  })
  it('the text message names the code once, worded for its purpose', () => {
    const profile = { phoneNumber: '+14155552671' }
    expect(f.delivery.message(profile, '123456', 'mfa-challenge')).toEqual({ to: '+14155552671', subject: '', text: 'Your verification code is 123456.' })
    expect(f.delivery.message(profile, '123456', 'mfa-activation')).toEqual({ to: '+14155552671', subject: '', text: 'Your enrollment code is 123456.' })
  })
  test.prop([fc.stringMatching(/^[0-9]{6}$/u), fc.constantFrom('mfa-activation' as const, 'mfa-challenge' as const), fc.constantFrom(...VALID_E164)])(
    'the code appears exactly once, and no other digit',
    (code, purpose, phoneNumber) => {
      const { to, text } = f.delivery.message({ phoneNumber }, code, purpose)
      expect(to).toBe(phoneNumber)
      expect(text.split(code)).toHaveLength(2)
      expect(text.replace(/[^0-9]/gu, '')).toBe(code)
    },
  )
  it('answer: exactly { passCode: string }', () => {
    expect(f.answerCodec).toBe(PassCodeAnswer)
    expect(f.answerCodec.decode({ passCode: '123456', extra: 1 })).toEqual({ _tag: 'Right', right: { passCode: '123456' } })
    for (const raw of [{}, { passCode: 123456 }, { passcode: '123456' }, null, '123456']) expect(f.answerCodec.decode(raw)._tag).toBe('Left')
  })
  it('profile view: the number unmasked (the renderer masks it); no activation view; secret codec null only', () => {
    expect(f.profileView({ phoneNumber: '+14155552671' })).toEqual({ phoneNumber: '+14155552671' })
    expect(f.activationView({ phoneNumber: '+14155552671' }, null, { qrcode: 'https://x.example/qr' })).toBeNull()
    expect(f.secretCodec.decode(null)._tag).toBe('Right')
    expect(f.secretCodec.decode('secret')._tag).toBe('Left')
    expect(f.profileCodec.decode({ phoneNumber: '4155552671' })._tag).toBe('Left')
  })
})
