import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { describeFactor, expectLeft, expectRight, run } from '@authn-machine/testkit'
import { createSeededRandom, createTrivialHasher } from '@authn-machine/testkit/fixtures'
import type { FactorContext, FactorSubject } from '@authn-machine/core'
import { EMAIL_SUBJECT, MAX_EMAIL_LENGTH, NO_EMAIL, PassCodeAnswer, createEmailFactor, isEmailAddress } from '../src/index.js'

describeFactor('email', {
  factor: createEmailFactor(),
  enrollRequest: { profile: { email: 'dade.murphy@example.com' } },
  malformedEnrollRequests: [
    { profile: { email: 'not-an-email' } },
    { profile: { email: 'dade@example' } },
    { profile: { email: 42 } },
    { profile: { email: `${'d'.repeat(MAX_EMAIL_LENGTH)}@example.com` } },
    { profile: { email: 'Dade <dade@example.com>' } },
  ],
})

describeFactor('email (the primary address)', {
  factor: createEmailFactor(),
  enrollRequest: {},
  subject: { login: 'zero.cool', email: 'zero.cool@example.org' },
})

const ctx: FactorContext = { random: createSeededRandom('email'), hasher: createTrivialHasher(), now: Date.UTC(2026, 0, 1) }
const PRIMARY = 'dade@example.com'
const subject: FactorSubject = { login: 'dade', email: PRIMARY }
const f = createEmailFactor()
const enroll = async (body: unknown, who: FactorSubject = subject) => run(f.enroll(expectRight(f.enrollRequestCodec.decode(body)), who, ctx))

describe("the user's primary email", () => {
  it.each([{}, { profile: {} }, { profile: { email: null } }, { profile: { email: '' } }, { profile: {}, passCode: '123456' }])(
    'is used when the request names no address: %j',
    async (body) => {
      expect(expectRight(await enroll(body))).toEqual({ profile: { email: PRIMARY }, secret: null, activation: 'required' })
    },
  )
  it('is not used when the request names an address', async () => {
    expect(expectRight(await enroll({ profile: { email: 'other@example.net' } })).profile).toEqual({ email: 'other@example.net' })
  })
  it('without one, and without profile.email: E0000001 with a cause', async () => {
    expect(expectLeft(await enroll({}, { login: 'dade', email: null }))).toEqual({ code: 'E0000001', argument: 'factorEnrollRequest', causes: [NO_EMAIL] })
    expect(expectRight(await enroll({ profile: { email: 'dade@example.com' } }, { login: 'dade', email: null })).profile).toEqual({ email: 'dade@example.com' })
  })
  it('is validated like a given address', async () => {
    expect(expectLeft(await enroll({}, { login: 'dade', email: 'dade' })).causes).toEqual(["profile.email: 'dade' is not a valid email address."])
  })
  it('seed: profile.email, else the primary email; ACTIVE at once', async () => {
    expect(expectRight(await run(f.seed({ profile: { email: 'seeded@example.com' } }, subject, ctx)))).toEqual({
      profile: { email: 'seeded@example.com' },
      secret: null,
      activation: 'none',
    })
    expect(expectRight(await run(f.seed({ profile: {} }, subject, ctx))).profile).toEqual({ email: PRIMARY })
    expect(expectLeft(await run(f.seed({ profile: {} }, { login: 'dade', email: null }, ctx)))).toMatchObject({ code: 'E0000001', argument: 'factor' })
  })
})

describe('address validation', () => {
  it.each(['dade@example.com', 'dade.murphy+mfa@sub.example.co.uk', "o'brien@example.ie", 'dadé@example.com', 'dade@bücher.example', `${'d'.repeat(64)}@${'e'.repeat(23)}.example.com`])(
    '%j is accepted as given',
    async (email) => {
      expect(expectRight(await enroll({ profile: { email } })).profile).toEqual({ email })
    },
  )
  it.each([
    'dade',
    'dade@',
    '@example.com',
    'dade@example',
    'dade@localhost',
    'a@b.c',
    'dade@@example.com',
    ' dade@example.com',
    'dade@example.com ',
    'dade @example.com',
    '.dade@example.com',
    'da..de@example.com',
    'Dade <dade@example.com>',
    '<dade@example.com>',
    'dade@127.0.0.1',
    'dade@[127.0.0.1]',
    'dade@exa_mple.com',
    'dade@example.com\n',
    `${'d'.repeat(65)}@example.com`,
  ])('%j is refused with E0000001 and a cause', async (email) => {
    expect(expectLeft(await enroll({ profile: { email } }))).toEqual({
      code: 'E0000001',
      argument: 'factorEnrollRequest',
      causes: [`profile.email: '${email}' is not a valid email address.`],
    })
  })
  it('more than 100 characters is refused', async () => {
    const email = `${'d'.repeat(89)}@example.com`
    expect(email).toHaveLength(101)
    expect(expectLeft(await enroll({ profile: { email } })).causes).toEqual(['profile.email: An email address has at most 100 characters.'])
    expect(f.profileCodec.decode({ email })._tag).toBe('Left')
  })
  it('a non-string address is refused by the request codec', () => {
    for (const email of [42, true, ['dade@example.com'], { address: 'dade@example.com' }]) expect(f.enrollRequestCodec.decode({ profile: { email } })._tag).toBe('Left')
  })
  test.prop([fc.emailAddress().filter((e) => e.length <= MAX_EMAIL_LENGTH && isEmailAddress(e))])(
    'an accepted address is stored as given, and the stored codec accepts it',
    async (email) => {
      const e = expectRight(await enroll({ profile: { email } }))
      expect(e.profile).toEqual({ email })
      expect(f.profileCodec.decode(JSON.parse(JSON.stringify(e.profile)))).toEqual({ _tag: 'Right', right: { email } })
    },
  )
  test.prop([fc.stringMatching(/^[a-z0-9_+-]{1,20}(\.[a-z0-9]{1,10}){0,2}$/u), fc.stringMatching(/^([a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?\.){1,3}[a-z]{2,6}$/u)])(
    'every plain address (letters, digits, a few symbols; a domain with a letter TLD) is accepted',
    async (local, domain) => {
      expect(expectRight(await enroll({ profile: { email: `${local}@${domain}` } })).profile).toEqual({ email: `${local}@${domain}` })
    },
  )
  test.prop([fc.string({ maxLength: 60 }).filter((s) => !s.includes('@'))])('a string without @ is refused; never a throw', async (email) => {
    const r = await enroll({ profile: { email } })
    if (email === '') expect(expectRight(r).profile).toEqual({ email: PRIMARY })
    else expect(expectLeft(r).code).toBe('E0000001')
  })
})

describe('delivery, answer and views', () => {
  it('emails 6-digit codes, at most one every 5 s (429 E0000118); ids emf…', () => {
    expect([f.factorType, f.provider, f.idPrefix]).toEqual(['email', 'OKTA', 'emf'])
    expect(f.delivery).toEqual({ channel: 'email', codeLength: 6, resendAfterMs: 5_000, throttledCode: 'E0000118', message: expect.any(Function) })
  })
  it('the email: to the address, a subject, the code in the text, worded for the purpose', () => {
    const challenge = f.delivery.message({ email: PRIMARY }, '123456', 'mfa-challenge')
    expect(challenge).toEqual({
      to: PRIMARY,
      subject: EMAIL_SUBJECT,
      text: 'Your verification code is 123456.\n\nIf you did not ask for this code, you can ignore this email.',
    })
    expect(EMAIL_SUBJECT).toBe('Your one-time verification code')
    expect(f.delivery.message({ email: PRIMARY }, '123456', 'mfa-activation').text).toMatch(/^Your enrollment code is 123456\./u)
  })
  test.prop([fc.stringMatching(/^[0-9]{6}$/u), fc.constantFrom('mfa-activation' as const, 'mfa-challenge' as const)])(
    'the code appears exactly once, in the text only, and no other digit',
    (code, purpose) => {
      const m = f.delivery.message({ email: 'zero.cool@example.org' }, code, purpose)
      expect(m.text.split(code)).toHaveLength(2)
      expect(m.text.replace(/[^0-9]/gu, '')).toBe(code)
      expect(m.subject).not.toMatch(/[0-9]/u)
    },
  )
  it('answer: exactly { passCode: string } (the codec shared with sms)', () => {
    expect(f.answerCodec).toBe(PassCodeAnswer)
  })
  it('profile view: the address unmasked (the renderer masks it); no activation view', () => {
    expect(f.profileView({ email: PRIMARY })).toEqual({ email: PRIMARY })
    expect(f.activationView({ email: PRIMARY }, null, { qrcode: 'https://x.example/qr' })).toBeNull()
  })
})
