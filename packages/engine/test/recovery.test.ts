import { describe, expect, it } from 'vitest'
import { createMemoryStores } from '@authn-machine/adapter-memory'
import type { OrgSeed, OutboundMessage } from '@authn-machine/core'
import { createDevOutbox } from '@authn-machine/message-senders'
import { createManualClock, createSeededRandom, createTrivialHasher } from '@authn-machine/testkit/fixtures'
import { createInProcessSystem, type Call } from '../src/index.js'
import { CALL, FACTOR_PLUGINS, SENDING_PLUGINS, T0 } from './in-process-driver.js'

const PASSWORD = 'Right-Passw0rd-1'
const USER = 'recover@example.com'
const EMAIL = 'robin.recover@example.com'
const PHONE = '+14155552671'
const TRUSTED: Call = { ...CALL, context: { ...CALL.context, trusted: true } }

type SeedPolicies = NonNullable<OrgSeed['policies']>

const org = (recovery: NonNullable<SeedPolicies['recovery']> = {}, extra: Partial<OrgSeed['users'][number]> = {}): OrgSeed => ({
  users: [
    {
      id: '00urecoveruser00001',
      login: USER,
      email: EMAIL,
      firstName: 'Robin',
      lastName: 'Recover',
      password: PASSWORD,
      recoveryQuestion: { question: 'Who is your favourite author?', answer: 'Le Guin' },
      factors: [
        { factorType: 'sms', provider: 'OKTA', phoneNumber: PHONE, id: 'mblrecover000000001' },
        { factorType: 'call', provider: 'OKTA', phoneNumber: PHONE, id: 'clfrecover000000001' },
      ],
      ...extra,
    },
  ],
  policies: {
    password: { lockout: { maxAttempts: 3, showLockoutFailures: true } },
    recovery: { channels: { email: true, sms: true, call: true }, selfServiceUnlock: true, ...recovery },
  },
})

const system = async (seed: OrgSeed = org()) => {
  const clock = createManualClock(T0)
  const outbox = createDevOutbox({ log: () => undefined })
  const s = await createInProcessSystem({
    seed,
    ...createMemoryStores(),
    factorPlugins: [...FACTOR_PLUGINS, ...SENDING_PLUGINS],
    outbox,
    hasher: createTrivialHasher(),
    clock,
    random: createSeededRandom(23),
    call: CALL,
  })
  /** Background deliveries have run. */
  const settled = () => new Promise((resolve) => setImmediate(resolve))
  const messagesTo = async (to: string): Promise<ReadonlyArray<OutboundMessage>> => {
    await settled()
    return outbox.messages({ to })
  }
  const lastCode = async (to: string): Promise<string> => {
    const m = (await messagesTo(to))[0]
    const digits = m?.text.replace(/\D/g, '') ?? ''
    if (m === undefined || digits === '') throw new Error(`no message to ${to}`)
    return m.channel === 'call' ? digits.slice(0, 5) : digits
  }
  const lastLink = async (): Promise<string> => {
    const m = (await messagesTo(EMAIL))[0]
    const link = /\/signin\/(?:reset-password|unlock)\/(\S+)/.exec(m?.text ?? '')
    if (link?.[1] === undefined) throw new Error('no recovery link mailed')
    return decodeURIComponent(link[1])
  }
  const trusted = (op: 'forgotPassword' | 'unlockAccount', body: unknown) => s.authn[op](body, TRUSTED)()
  return { ...s, clock, outbox, messagesTo, lastCode, lastLink, trusted }
}

const body = (r: { readonly body: unknown }) => r.body as Record<string, unknown>
const errorOf = (r: { readonly status: number; readonly body: unknown }) => [r.status, body(r)['errorCode']]
const stateOf = (r: { readonly body: unknown }) => body(r)['stateToken'] as string
/** The shape of a JSON value: keys and value types, not values. */
const shape = (v: unknown): unknown =>
  Array.isArray(v) ? v.map(shape) : typeof v === 'object' && v !== null ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shape(x)])) : typeof v

const lockOut = async (driver: Awaited<ReturnType<typeof system>>['driver']) => {
  for (let i = 0; i < 3; i++) await driver.authenticate({ username: USER, password: 'Wrong-Passw0rd' })
  expect(body(await driver.authenticate({ username: USER, password: PASSWORD }))['status']).toBe('LOCKED_OUT')
}

describe('recovery by SMS and voice call (spec §4.12, §4.14, §4.15, §4.17, §4.18)', () => {
  it('forgot password by SMS: code, question, new password, SUCCESS with a session token; the old password is gone', async () => {
    const { driver, lastCode, messagesTo } = await system()
    const started = await driver.forgotPassword({ username: USER, factorType: 'sms' })
    expect(started.status).toBe(200)
    expect(body(started)).toMatchObject({ status: 'RECOVERY_CHALLENGE', factorType: 'SMS', recoveryType: 'PASSWORD' })
    expect(body(started)['_embedded']).toBeUndefined()
    const stateToken = stateOf(started)
    expect((await messagesTo(PHONE))[0]?.purpose).toBe('recovery-code')

    expect(errorOf(await driver.verifyRecoveryFactor({ stateToken, factorType: 'sms', passCode: '000000' }))).toEqual([403, 'E0000068'])
    const verified = await driver.verifyRecoveryFactor({ stateToken, factorType: 'sms', passCode: await lastCode(PHONE) })
    expect(body(verified)).toMatchObject({ status: 'RECOVERY', recoveryType: 'PASSWORD', _embedded: { user: { recovery_question: { question: 'Who is your favourite author?' } } } })

    expect(errorOf(await driver.answerRecoveryQuestion({ stateToken, answer: 'Tolkien' }))).toEqual([403, 'E0000087'])
    const answered = await driver.answerRecoveryQuestion({ stateToken, answer: '  le guin ' })
    expect(body(answered)['status']).toBe('PASSWORD_RESET')

    expect(errorOf(await driver.resetPassword({ stateToken, newPassword: 'short' }))).toEqual([403, 'E0000080'])
    const done = await driver.resetPassword({ stateToken, newPassword: 'Brand-New-Passw0rd' })
    expect(body(done)).toMatchObject({ status: 'SUCCESS' })
    expect(typeof body(done)['sessionToken']).toBe('string')
    expect(errorOf(await driver.getState({ stateToken }))).toEqual([401, 'E0000011'])
    expect(errorOf(await driver.authenticate({ username: USER, password: PASSWORD }))).toEqual([401, 'E0000004'])
    expect(body(await driver.authenticate({ username: USER, password: 'Brand-New-Passw0rd' }))['status']).toBe('SUCCESS')
  })

  it('the path segment names the channel in any case and must be the transaction’s; resend sends a new code once the throttle allows', async () => {
    const { driver, clock, lastCode, messagesTo } = await system()
    const started = await driver.forgotPassword({ username: USER, factorType: 'CALL' })
    expect(body(started)).toMatchObject({ status: 'RECOVERY_CHALLENGE', factorType: 'call' })
    const stateToken = stateOf(started)
    expect(errorOf(await driver.verifyRecoveryFactor({ stateToken, factorType: 'sms', passCode: await lastCode(PHONE) }))).toEqual([403, 'E0000079'])
    expect(errorOf(await driver.resendRecoveryChallenge({ stateToken, factorType: 'call' }))).toEqual([429, 'E0000133'])
    clock.advance(31_000)
    const first = await lastCode(PHONE)
    expect(body(await driver.resendRecoveryChallenge({ stateToken, factorType: 'call' }))['status']).toBe('RECOVERY_CHALLENGE')
    expect(await messagesTo(PHONE)).toHaveLength(2)
    const second = await lastCode(PHONE)
    if (first !== second) expect(errorOf(await driver.verifyRecoveryFactor({ stateToken, factorType: 'call', passCode: first }))).toEqual([403, 'E0000068'])
    expect(body(await driver.verifyRecoveryFactor({ stateToken, factorType: 'call', passCode: second }))['status']).toBe('RECOVERY')
  })

  it('an unknown user gets the same answer, shape and links, and no message; every code is wrong; nothing is ever proven', async () => {
    const { driver, outbox, lastCode } = await system()
    const known = await driver.forgotPassword({ username: USER, factorType: 'SMS' })
    const unknown = await driver.forgotPassword({ username: 'nobody@example.com', factorType: 'SMS' })
    expect(unknown.status).toBe(known.status)
    expect(shape(body(unknown))).toEqual(shape(body(known)))
    const { stateToken: _a, expiresAt: _b, ...knownRest } = body(known)
    const { stateToken: _c, expiresAt: _d, ...unknownRest } = body(unknown)
    expect(unknownRest).toEqual(knownRest)
    const code = await lastCode(PHONE)
    expect(outbox.messages()).toHaveLength(1)
    const decoy = stateOf(unknown)
    expect(body(await driver.getState({ stateToken: decoy }))['status']).toBe('RECOVERY_CHALLENGE')
    expect(errorOf(await driver.verifyRecoveryFactor({ stateToken: decoy, factorType: 'sms', passCode: code }))).toEqual([403, 'E0000068'])
    expect(errorOf(await driver.answerRecoveryQuestion({ stateToken: decoy, answer: 'Le Guin' }))).toEqual([403, 'E0000079'])
    expect(errorOf(await driver.resetPassword({ stateToken: decoy, newPassword: 'Brand-New-Passw0rd' }))).toEqual([403, 'E0000079'])
    expect(await driver.cancel({ stateToken: decoy })).toMatchObject({ status: 200 })
    expect(errorOf(await driver.getState({ stateToken: decoy }))).toEqual([401, 'E0000011'])
  })

  it('a user without the enrolled phone, or whose policy turns the channel off, gets a decoy too', async () => {
    const { driver, outbox } = await system(org({}, { factors: [] }))
    const r = await driver.forgotPassword({ username: USER, factorType: 'sms' })
    expect(body(r)['status']).toBe('RECOVERY_CHALLENGE')
    await new Promise((resolve) => setImmediate(resolve))
    expect(outbox.messages()).toHaveLength(0)
  })

  it('a channel off for everyone says so (nothing about any user); unknown and missing factor types are 400 E0000001', async () => {
    const { driver } = await system(org({ channels: { sms: false } }))
    expect(errorOf(await driver.forgotPassword({ username: USER, factorType: 'sms' }))).toEqual([400, 'E0000001'])
    expect(errorOf(await driver.forgotPassword({ username: 'nobody@example.com', factorType: 'sms' }))).toEqual([400, 'E0000001'])
    expect(errorOf(await driver.forgotPassword({ username: USER, factorType: 'push' }))).toEqual([400, 'E0000001'])
    expect(errorOf(await driver.forgotPassword({ username: USER }))).toEqual([400, 'E0000001'])
    expect(errorOf(await driver.forgotPassword({ factorType: 'EMAIL' }))).toEqual([400, 'E0000001'])
  })

  it('a recovery state token is refused by authentication operations, and an authentication one by recovery operations', async () => {
    const { driver } = await system()
    const recovery = stateOf(await driver.forgotPassword({ username: USER, factorType: 'sms' }))
    expect(errorOf(await driver.verifyFactor({ stateToken: recovery, factorId: 'mblrecover000000001', passCode: '123456' }))).toEqual([403, 'E0000079'])
    expect(errorOf(await driver.changePassword({ stateToken: recovery, oldPassword: PASSWORD, newPassword: 'Brand-New-Passw0rd' }))).toEqual([403, 'E0000079'])
    expect(errorOf(await driver.skip({ stateToken: recovery }))).toEqual([403, 'E0000079'])
  })
})

describe('recovery by email and by recovery token (spec §4.12, §4.13, §4.16)', () => {
  it('the email carries a link whose token opens RECOVERY once; unknown users get the same bare answer and no email', async () => {
    const { driver, messagesTo, lastLink, outbox } = await system()
    const known = await driver.forgotPassword({ username: USER, factorType: 'EMAIL', relayState: '/app' })
    const unknown = await driver.forgotPassword({ username: 'nobody@example.com', factorType: 'email', relayState: '/app' })
    expect(body(known)).toEqual({ status: 'RECOVERY_CHALLENGE', factorResult: 'WAITING', factorType: 'EMAIL', recoveryType: 'PASSWORD', relayState: '/app' })
    expect(body(unknown)).toEqual(body(known))
    expect((await messagesTo(EMAIL)).map((m) => m.purpose)).toEqual(['recovery-link'])
    expect(outbox.messages()).toHaveLength(1)

    const recoveryToken = await lastLink()
    const opened = await driver.verifyRecoveryToken({ recoveryToken })
    expect(body(opened)).toMatchObject({ status: 'RECOVERY', recoveryType: 'PASSWORD', _embedded: { user: { profile: { login: USER } } } })
    expect(errorOf(await driver.verifyRecoveryToken({ recoveryToken }))).toEqual([401, 'E0000011'])
    expect(errorOf(await driver.verifyRecoveryToken({ recoveryToken: 'not-a-token' }))).toEqual([401, 'E0000011'])
    const stateToken = stateOf(opened)
    expect(body(await driver.answerRecoveryQuestion({ stateToken, answer: 'Le Guin' }))['status']).toBe('PASSWORD_RESET')
  })

  it('parallel redemptions of one token: exactly one opens a transaction', async () => {
    const { driver, lastLink } = await system()
    await driver.forgotPassword({ username: USER, factorType: 'EMAIL' })
    const recoveryToken = await lastLink()
    const answers = await Promise.all(Array.from({ length: 8 }, () => driver.verifyRecoveryToken({ recoveryToken })))
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1)
    expect(answers.filter((a) => a.status !== 200).map(errorOf)).toEqual(Array.from({ length: 7 }, () => [401, 'E0000011']))
  })

  it('a token expires per the recovery policy', async () => {
    const { driver, clock, lastLink } = await system(org({ recoveryTokenLifetimeMinutes: 10 }))
    await driver.forgotPassword({ username: USER, factorType: 'EMAIL' })
    const recoveryToken = await lastLink()
    clock.advance(10 * 60_000)
    expect(errorOf(await driver.verifyRecoveryToken({ recoveryToken }))).toEqual([401, 'E0000011'])
  })

  it('unlock by email: only a locked account gets a link; the answer unlocks (SUCCESS UNLOCK, no session token) and the password works again', async () => {
    const { driver, lastLink, messagesTo } = await system()
    expect(body(await driver.unlockAccount({ username: USER, factorType: 'EMAIL' }))['recoveryType']).toBe('UNLOCK')
    expect(await messagesTo(EMAIL)).toHaveLength(0)
    await lockOut(driver)
    await driver.unlockAccount({ username: USER, factorType: 'EMAIL' })
    const opened = await driver.verifyRecoveryToken({ recoveryToken: await lastLink() })
    expect(body(opened)).toMatchObject({ status: 'RECOVERY', recoveryType: 'UNLOCK' })
    const done = await driver.answerRecoveryQuestion({ stateToken: stateOf(opened), answer: 'Le Guin' })
    expect(body(done)).toMatchObject({ status: 'SUCCESS', recoveryType: 'UNLOCK' })
    expect(body(done)['sessionToken']).toBeUndefined()
    expect(body(await driver.authenticate({ username: USER, password: PASSWORD }))['status']).toBe('SUCCESS')
  })

  it('without a recovery question (or when the policy does not ask), a token leads straight to PASSWORD_RESET, an unlock straight to SUCCESS', async () => {
    const { driver, lastLink } = await system(org({ questionRequired: false }))
    await driver.forgotPassword({ username: USER, factorType: 'EMAIL' })
    expect(body(await driver.verifyRecoveryToken({ recoveryToken: await lastLink() }))['status']).toBe('PASSWORD_RESET')
    await lockOut(driver)
    await driver.unlockAccount({ username: USER, factorType: 'EMAIL' })
    expect(body(await driver.verifyRecoveryToken({ recoveryToken: await lastLink() }))).toMatchObject({ status: 'SUCCESS', recoveryType: 'UNLOCK' })
    expect(body(await driver.authenticate({ username: USER, password: PASSWORD }))['status']).toBe('SUCCESS')
  })

  it('a credential change after the token was redeemed ends the recovery transaction', async () => {
    const { driver, lastLink, authn } = await system()
    await driver.forgotPassword({ username: USER, factorType: 'EMAIL' })
    const stateToken = stateOf(await driver.verifyRecoveryToken({ recoveryToken: await lastLink() }))
    expect((await authn.lifecycle('00urecoveruser00001', 'lock')())._tag).toBe('Right')
    expect(errorOf(await driver.answerRecoveryQuestion({ stateToken, answer: 'Le Guin' }))).toEqual([401, 'E0000011'])
  })
})

describe('trusted callers (spec §4.12, §4.13)', () => {
  it('without factorType: RECOVERY with the recovery token, which works once; unknown users are 403 E0000095', async () => {
    const { trusted, driver } = await system()
    const issued = await trusted('forgotPassword', { username: USER })
    expect(issued._tag).toBe('Right')
    if (issued._tag !== 'Right') return
    const b = issued.right.body as Record<string, unknown>
    expect(b).toMatchObject({ status: 'RECOVERY', recoveryType: 'PASSWORD', _embedded: { user: { profile: { login: USER } } } })
    expect(b['stateToken']).toBeUndefined()
    const recoveryToken = b['recoveryToken'] as string
    expect(body(await driver.verifyRecoveryToken({ recoveryToken }))['status']).toBe('RECOVERY')
    expect(errorOf(await driver.verifyRecoveryToken({ recoveryToken }))).toEqual([401, 'E0000011'])

    const unknown = await trusted('forgotPassword', { username: 'nobody@example.com' })
    expect(unknown._tag === 'Left' ? [unknown.left.status, unknown.left.body.errorCode] : null).toEqual([403, 'E0000095'])
  })

  it('a recovery the policy does not allow is 403: E0000034 for a password, E0000032 for an unlock of an account that is not locked', async () => {
    const { trusted } = await system(org({ selfServicePasswordReset: false }))
    const password = await trusted('forgotPassword', { username: USER })
    expect(password._tag === 'Left' ? [password.left.status, password.left.body.errorCode] : null).toEqual([403, 'E0000034'])
    const unlock = await trusted('unlockAccount', { username: USER })
    expect(unlock._tag === 'Left' ? [unlock.left.status, unlock.left.body.errorCode] : null).toEqual([403, 'E0000032'])
  })
})
