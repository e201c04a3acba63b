import * as E from 'fp-ts/lib/Either.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { describe, expect, it } from 'vitest'
import { createMemoryStores } from '@authn-machine/adapter-memory'
import { registered, type DeliveryError, type MessageSender, type OrgSeed, type OutboundMessage } from '@authn-machine/core'
import { createCallFactor } from '@authn-machine/factor-call'
import { createEmailFactor } from '@authn-machine/factor-email'
import { createSmsFactor } from '@authn-machine/factor-sms'
import { createDevOutbox } from '@authn-machine/message-senders'
import { createManualClock, createSeededRandom, createTrivialHasher } from '@authn-machine/testkit/fixtures'
import { createInProcessSystem, type AuthnSettings } from '../src/index.js'
import { CALL, FACTOR_PLUGINS, T0 } from './in-process-driver.js'

const SENDING = [registered(createSmsFactor()), registered(createCallFactor()), registered(createEmailFactor())]
const PASSWORD = 'Right-Passw0rd-1'
const USER = 'sent@example.com'
const PHONE = '+14155552671'

type SeedPolicies = NonNullable<OrgSeed['policies']>
type SeedFactors = NonNullable<OrgSeed['users'][number]['factors']>

const org = (policies: SeedPolicies, factors: SeedFactors = []): OrgSeed => ({
  users: [{ id: '00usentuser00000001', login: USER, email: 'dana.sent@example.com', firstName: 'Dana', lastName: 'Sent', password: PASSWORD, factors }],
  policies,
})

const ENROLL_SMS: SeedPolicies = { enrollment: { factors: [{ factorType: 'sms', provider: 'OKTA', enroll: 'REQUIRED' }] } }
const ENROLL_ALL: SeedPolicies = {
  enrollment: {
    factors: [
      { factorType: 'sms', provider: 'OKTA', enroll: 'OPTIONAL' },
      { factorType: 'call', provider: 'OKTA', enroll: 'REQUIRED' },
      { factorType: 'email', provider: 'OKTA', enroll: 'REQUIRED' },
    ],
  },
  signOn: { requireFactor: true },
}
const SEEDED_SMS: SeedFactors = [{ factorType: 'sms', provider: 'OKTA', phoneNumber: PHONE, id: 'mblseeded0000000001' }]

/** A sender that fails (or never answers) while `down` says so, delivering to the outbox otherwise. */
const flaky = (outbox: MessageSender, mode: { down: 'no' | 'refuse' | 'hang' }): MessageSender => ({
  send: (m) =>
    mode.down === 'refuse'
      ? TE.left<DeliveryError>({ _tag: 'Refused', detail: 'provider said no' })
      : mode.down === 'hang'
        ? () => new Promise(() => undefined)
        : outbox.send(m),
})

const system = async (seed: OrgSeed, o: { readonly mode?: { down: 'no' | 'refuse' | 'hang' }; readonly settings?: Partial<AuthnSettings> } = {}) => {
  const clock = createManualClock(T0)
  const outbox = createDevOutbox({ log: () => undefined })
  const s = await createInProcessSystem({
    seed,
    ...createMemoryStores(),
    factorPlugins: [...FACTOR_PLUGINS, ...SENDING],
    messages: o.mode === undefined ? outbox : flaky(outbox, o.mode),
    ...(o.settings === undefined ? {} : { settings: o.settings }),
    hasher: createTrivialHasher(),
    clock,
    random: createSeededRandom(17),
    call: CALL,
  })
  /** The code of the newest message to `to`. */
  const lastCode = (to: string): string => {
    const m: OutboundMessage | undefined = outbox.messages({ to })[0]
    const digits = m?.text.replace(/\D/g, '') ?? ''
    if (m === undefined || digits === '') throw new Error(`no message to ${to}`)
    return m.channel === 'call' ? digits.slice(0, 5) : digits
  }
  return { ...s, clock, outbox, lastCode }
}

const body = (r: { readonly body: unknown }) => r.body as Record<string, unknown>
const field = (r: { readonly body: unknown }, ...path: ReadonlyArray<string>): unknown =>
  path.reduce<unknown>((v, k) => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined), r.body)
const errorOf = (r: { readonly status: number; readonly body: unknown }) => [r.status, body(r)['errorCode']]

const signIn = async (driver: Awaited<ReturnType<typeof system>>['driver']) => {
  const r = await driver.authenticate({ username: USER, password: PASSWORD })
  return { r, stateToken: body(r)['stateToken'] as string }
}

describe('codes sent by SMS, call and email (docs/adr/0010-sent-codes.md)', () => {
  it('SMS enrollment: the code goes to the normalised number, the response masks it and links resend; a wrong code is E0000068, the right one activates', async () => {
    const { driver, outbox, lastCode } = await system(org(ENROLL_SMS))
    const { r, stateToken } = await signIn(driver)
    expect(body(r)['status']).toBe('MFA_ENROLL')
    const enrolled = await driver.enrollFactor({ stateToken, factorType: 'sms', provider: 'OKTA', profile: { phoneNumber: '(415) 555-2671' } })
    expect(body(enrolled)['status']).toBe('MFA_ENROLL_ACTIVATE')
    const factorId = field(enrolled, '_embedded', 'factor', 'id') as string
    expect(factorId).toMatch(/^mbl[A-Za-z0-9]{17}$/)
    expect(field(enrolled, '_embedded', 'factor', 'profile')).toEqual({ phoneNumber: '+1 XXX-XXX-2671' })
    expect(field(enrolled, '_links', 'resend')).toEqual([
      { name: 'sms', href: `${CALL.baseUrl}/api/v1/authn/factors/${factorId}/lifecycle/resend`, hints: { allow: ['POST'] } },
    ])
    expect(JSON.stringify(enrolled.body)).not.toContain('555') // never the number in clear
    const sent = outbox.messages({ to: PHONE })
    expect(sent).toHaveLength(1)
    expect(sent[0]).toMatchObject({ channel: 'sms', to: PHONE, purpose: 'mfa-activation' })
    const code = lastCode(PHONE)
    expect(code).toMatch(/^\d{6}$/)
    const wrong = await driver.activateFactor({ stateToken, factorId, passCode: code === '000000' ? '111111' : '000000' })
    expect(errorOf(wrong)).toEqual([403, 'E0000068'])
    const ok = await driver.activateFactor({ stateToken, factorId, passCode: code })
    expect(body(ok)['status']).toBe('SUCCESS')
  })

  it('resend inside the throttle is 429 with the family code and sends nothing; after it a new code replaces the old one', async () => {
    const { driver, clock, outbox, lastCode } = await system(org(ENROLL_SMS))
    const { stateToken } = await signIn(driver)
    const enrolled = await driver.enrollFactor({ stateToken, factorType: 'sms', provider: 'OKTA', profile: { phoneNumber: PHONE } })
    const factorId = field(enrolled, '_embedded', 'factor', 'id') as string
    const first = lastCode(PHONE)
    clock.advance(29_000)
    const early = await driver.resendActivation({ stateToken, factorId })
    expect(errorOf(early)).toEqual([429, 'E0000109'])
    expect(outbox.messages({ to: PHONE })).toHaveLength(1)
    clock.advance(1_000)
    const again = await driver.resendActivation({ stateToken, factorId })
    expect(body(again)['status']).toBe('MFA_ENROLL_ACTIVATE')
    expect(outbox.messages({ to: PHONE })).toHaveLength(2)
    const second = lastCode(PHONE)
    if (first !== second) expect(errorOf(await driver.activateFactor({ stateToken, factorId, passCode: first }))).toEqual([403, 'E0000068'])
    expect(body(await driver.activateFactor({ stateToken, factorId, passCode: second }))['status']).toBe('SUCCESS')
  })

  it('MFA_REQUIRED: verify without a code sends one (MFA_CHALLENGE with verify/resend); the code works once, only in its transaction', async () => {
    const { driver, lastCode } = await system(org({ signOn: { requireFactor: true } }, SEEDED_SMS))
    const a = await signIn(driver)
    const b = await signIn(driver)
    expect(field(a.r, '_embedded', 'factors')).toEqual([expect.objectContaining({ id: 'mblseeded0000000001', factorType: 'sms', profile: { phoneNumber: '+1 XXX-XXX-2671' } })])
    const challenged = await driver.verifyFactor({ stateToken: a.stateToken, factorId: 'mblseeded0000000001' })
    expect(body(challenged)['status']).toBe('MFA_CHALLENGE')
    expect(field(challenged, '_links', 'resend')).toEqual([
      { name: 'sms', href: `${CALL.baseUrl}/api/v1/authn/factors/mblseeded0000000001/verify/resend`, hints: { allow: ['POST'] } },
    ])
    const code = lastCode(PHONE)
    // Another transaction of the same user never sent it: bound to its transaction.
    expect(errorOf(await driver.verifyFactor({ stateToken: b.stateToken, factorId: 'mblseeded0000000001', passCode: code }))).toEqual([403, 'E0000068'])
    const ok = await driver.verifyFactor({ stateToken: a.stateToken, factorId: 'mblseeded0000000001', passCode: code })
    expect(body(ok)['status']).toBe('SUCCESS')
    // Finished: the transaction accepts nothing more.
    expect(errorOf(await driver.verifyFactor({ stateToken: a.stateToken, factorId: 'mblseeded0000000001', passCode: code }))).toEqual([401, 'E0000011'])
  })

  it('an empty passCode asks for the code as an absent one does (the Sign-In Widget sends "passCode": ""): MFA_CHALLENGE, nothing counted', async () => {
    const { driver, lastCode } = await system(org({ signOn: { requireFactor: true } }, SEEDED_SMS))
    const { stateToken } = await signIn(driver)
    const challenged = await driver.verifyFactor({ stateToken, factorId: 'mblseeded0000000001', passCode: '' })
    expect(body(challenged)['status']).toBe('MFA_CHALLENGE')
    expect(body(await driver.verifyFactor({ stateToken, factorId: 'mblseeded0000000001', passCode: lastCode(PHONE) }))['status']).toBe('SUCCESS')
  })

  it('a code expires (policy lifetime) and is used up after its attempts; wrong codes count toward lockout', async () => {
    const { driver, clock, lastCode } = await system(
      org({ signOn: { requireFactor: true }, sentCode: { lifetimeMinutes: 1, maxAttempts: 2 }, password: { lockout: { maxAttempts: 10 } } }, SEEDED_SMS),
    )
    const { stateToken } = await signIn(driver)
    await driver.verifyFactor({ stateToken, factorId: 'mblseeded0000000001' })
    const code = lastCode(PHONE)
    clock.advance(60_000)
    expect(errorOf(await driver.verifyFactor({ stateToken, factorId: 'mblseeded0000000001', passCode: code }))).toEqual([403, 'E0000068'])
    expect(body(await driver.verifyFactor({ stateToken, factorId: 'mblseeded0000000001' }))['status']).toBe('MFA_CHALLENGE')
    const fresh = lastCode(PHONE)
    const wrong = fresh === '000000' ? '111111' : '000000'
    expect(errorOf(await driver.verifyFactor({ stateToken, factorId: 'mblseeded0000000001', passCode: wrong }))).toEqual([403, 'E0000068'])
    // The second wrong answer uses the code up: the right one no longer works.
    expect(errorOf(await driver.verifyFactor({ stateToken, factorId: 'mblseeded0000000001', passCode: wrong }))).toEqual([403, 'E0000068'])
    expect(errorOf(await driver.verifyFactor({ stateToken, factorId: 'mblseeded0000000001', passCode: fresh }))).toEqual([403, 'E0000068'])
  })

  it('wrong codes lock the account at maxAttempts (E0000069)', async () => {
    const { driver } = await system(org({ signOn: { requireFactor: true }, password: { lockout: { maxAttempts: 2 } } }, SEEDED_SMS))
    const { stateToken } = await signIn(driver)
    await driver.verifyFactor({ stateToken, factorId: 'mblseeded0000000001' })
    expect(errorOf(await driver.verifyFactor({ stateToken, factorId: 'mblseeded0000000001', passCode: 'x' }))).toEqual([403, 'E0000068'])
    expect(errorOf(await driver.verifyFactor({ stateToken, factorId: 'mblseeded0000000001', passCode: 'y' }))).toEqual([403, 'E0000069'])
    expect(errorOf(await driver.authenticate({ username: USER, password: PASSWORD }))).toEqual([401, 'E0000004'])
  })

  it('parallel verifications of one code: exactly one SUCCESS, the others refused', async () => {
    const { driver, lastCode } = await system(org({ signOn: { requireFactor: true } }, SEEDED_SMS))
    const { stateToken } = await signIn(driver)
    await driver.verifyFactor({ stateToken, factorId: 'mblseeded0000000001' })
    const code = lastCode(PHONE)
    const answers = await Promise.all(Array.from({ length: 6 }, () => driver.verifyFactor({ stateToken, factorId: 'mblseeded0000000001', passCode: code })))
    expect(answers.filter((a) => body(a)['status'] === 'SUCCESS')).toHaveLength(1)
    expect(answers.filter((a) => body(a)['status'] !== 'SUCCESS').map((a) => a.status)).toEqual([401, 401, 401, 401, 401])
  })

  it('a provider that refuses or hangs: 400 E0000074 (bounded by the delivery timeout); the transaction waits and resend is the retry', async () => {
    for (const down of ['refuse', 'hang'] as const) {
      const mode: { down: 'no' | 'refuse' | 'hang' } = { down }
      const { driver, clock, lastCode } = await system(org({ signOn: { requireFactor: true } }, SEEDED_SMS), { mode, settings: { deliveryTimeoutMs: 50 } })
      const { stateToken } = await signIn(driver)
      const failedSend = await driver.verifyFactor({ stateToken, factorId: 'mblseeded0000000001' })
      expect(errorOf(failedSend)).toEqual([400, 'E0000074'])
      expect(body(failedSend)['errorCauses']).toEqual([{ errorSummary: 'The SMS could not be sent. Try again with resend.' }])
      mode.down = 'no'
      clock.advance(30_000)
      const resent = await driver.resendChallenge({ stateToken, factorId: 'mblseeded0000000001' })
      expect(body(resent)['status']).toBe('MFA_CHALLENGE')
      expect(body(await driver.verifyFactor({ stateToken, factorId: 'mblseeded0000000001', passCode: lastCode(PHONE) }))['status']).toBe('SUCCESS')
    }
  })

  it('voice call (5 digits, E0000133) and email (the primary address, masked, E0000118 within 5 s)', async () => {
    const { driver, clock, outbox, lastCode } = await system(org(ENROLL_ALL))
    const { stateToken } = await signIn(driver)
    const call = await driver.enrollFactor({ stateToken, factorType: 'call', provider: 'OKTA', profile: { phoneNumber: '+1 415 555 2671' } })
    const callId = field(call, '_embedded', 'factor', 'id') as string
    expect(callId).toMatch(/^clf/)
    expect(field(call, '_links', 'resend', '0', 'name')).toBe('call')
    expect(outbox.messages({ to: PHONE })[0]?.channel).toBe('call')
    expect(errorOf(await driver.resendActivation({ stateToken, factorId: callId }))).toEqual([429, 'E0000133'])
    expect(body(await driver.activateFactor({ stateToken, factorId: callId, passCode: lastCode(PHONE) }))['status']).toBe('MFA_ENROLL')
    const email = await driver.enrollFactor({ stateToken, factorType: 'email', provider: 'OKTA' })
    expect(field(email, '_embedded', 'factor', 'profile')).toEqual({ email: 'd...t@example.com' })
    const emailId = field(email, '_embedded', 'factor', 'id') as string
    expect(outbox.messages({ to: 'dana.sent@example.com' })[0]).toMatchObject({ channel: 'email', purpose: 'mfa-activation' })
    clock.advance(4_000)
    expect(errorOf(await driver.resendActivation({ stateToken, factorId: emailId }))).toEqual([429, 'E0000118'])
    clock.advance(1_000)
    expect(body(await driver.resendActivation({ stateToken, factorId: emailId }))['status']).toBe('MFA_ENROLL_ACTIVATE')
    expect(body(await driver.activateFactor({ stateToken, factorId: emailId, passCode: lastCode('dana.sent@example.com') }))['status']).toBe('SUCCESS')
  })

  it('bad input: malformed phone numbers are 400 E0000001 with causes; a resend outside its state is E0000079; another number needs updatePhone', async () => {
    const { driver, clock, outbox } = await system(org(ENROLL_SMS))
    const { stateToken } = await signIn(driver)
    for (const phoneNumber of ['12', 'not a number', '+1234567890123456', '', 42]) {
      const r = await driver.enrollFactor({ stateToken, factorType: 'sms', provider: 'OKTA', profile: { phoneNumber } })
      expect(errorOf(r)).toEqual([400, 'E0000001'])
      expect((body(r)['errorCauses'] as ReadonlyArray<unknown>).length).toBeGreaterThan(0)
    }
    expect(errorOf(await driver.resendChallenge({ stateToken, factorId: 'mblnothing000000001' }))).toEqual([403, 'E0000079'])
    const enrolled = await driver.enrollFactor({ stateToken, factorType: 'sms', provider: 'OKTA', profile: { phoneNumber: PHONE } })
    const factorId = field(enrolled, '_embedded', 'factor', 'id') as string
    // A challenge's resend while an activation waits; an activation's resend of another factor.
    expect(errorOf(await driver.resendChallenge({ stateToken, factorId }))).toEqual([403, 'E0000079'])
    expect(errorOf(await driver.resendActivation({ stateToken, factorId: 'mblnothing000000001' }))).toEqual([404, 'E0000007'])
    expect(body(await driver.previous({ stateToken }))['status']).toBe('MFA_ENROLL')
    const other = await driver.enrollFactor({ stateToken, factorType: 'sms', provider: 'OKTA', profile: { phoneNumber: '+14155550100' } })
    expect(errorOf(other)).toEqual([400, 'E0000001'])
    // With updatePhone (as okta-auth-js sends it, in the query), once the SMS throttle has passed.
    const soon = await driver.enrollFactor({ stateToken, factorType: 'sms', provider: 'OKTA', updatePhone: 'true', profile: { phoneNumber: '+14155550100' } })
    expect(errorOf(soon)).toEqual([429, 'E0000109'])
    clock.advance(30_000)
    const replaced = await driver.enrollFactor({ stateToken, factorType: 'sms', provider: 'OKTA', updatePhone: 'true', profile: { phoneNumber: '+14155550100' } })
    expect(body(replaced)['status']).toBe('MFA_ENROLL_ACTIVATE')
    expect(outbox.messages({ to: '+14155550100' })).toHaveLength(1)
  })

  it('each type keeps its own throttle (SMS, email, SMS at once: the second SMS is 429); another factor than the challenged one is E0000079 and not counted', async () => {
    const { driver, outbox } = await system(
      org({ signOn: { requireFactor: true }, password: { lockout: { maxAttempts: 2 } } }, [
        ...SEEDED_SMS,
        { factorType: 'email', provider: 'OKTA', id: 'emfseeded0000000001' },
        { factorType: 'question', provider: 'OKTA', id: 'ufsseeded0000000001', question: 'favorite_toy', answer: 'a red ball' },
      ]),
    )
    const { stateToken } = await signIn(driver)
    expect(body(await driver.verifyFactor({ stateToken, factorId: 'mblseeded0000000001' }))['status']).toBe('MFA_CHALLENGE')
    expect(body(await driver.verifyFactor({ stateToken, factorId: 'emfseeded0000000001' }))['status']).toBe('MFA_CHALLENGE')
    expect(errorOf(await driver.verifyFactor({ stateToken, factorId: 'mblseeded0000000001' }))).toEqual([429, 'E0000109'])
    expect(outbox.messages()).toHaveLength(2)
    // The email code is the one challenged now: answers for other factors (a code, a question's answer) are refused and cost nothing.
    for (let i = 0; i < 3; i++) expect(errorOf(await driver.verifyFactor({ stateToken, factorId: 'mblseeded0000000001', passCode: '000000' }))).toEqual([403, 'E0000079'])
    for (let i = 0; i < 3; i++) expect(errorOf(await driver.verifyFactor({ stateToken, factorId: 'ufsseeded0000000001', answer: 'not the answer' }))).toEqual([403, 'E0000079'])
    expect(body(await driver.verifyFactor({ stateToken, factorId: 'emfseeded0000000001', passCode: (outbox.messages()[0]?.text ?? '').replace(/\D/g, '') }))['status']).toBe('SUCCESS')
  })

  it('without a message sender, a sending factor answers E0000074 and writes nothing', async () => {
    const clock = createManualClock(T0)
    const s = await createInProcessSystem({
      seed: org({ signOn: { requireFactor: true } }, SEEDED_SMS),
      ...createMemoryStores(),
      factorPlugins: [...FACTOR_PLUGINS, ...SENDING],
      hasher: createTrivialHasher(),
      clock,
      random: createSeededRandom(3),
      call: CALL,
    })
    const r = await s.driver.authenticate({ username: USER, password: PASSWORD })
    const stateToken = body(r)['stateToken']
    expect(errorOf(await s.driver.verifyFactor({ stateToken, factorId: 'mblseeded0000000001' }))).toEqual([400, 'E0000074'])
    const read = await s.authn.getState({ stateToken }, CALL)()
    expect(E.isRight(read) && (read.right.body as Record<string, unknown>)['status']).toBe('MFA_REQUIRED')
  })
})
