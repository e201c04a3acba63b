// Recovery (forgot password, unlock account, recovery token, recovery question, reset password)
// with the unmodified okta-auth-js 8 (`@okta/okta-auth-js/authn`) against the reference server over
// real HTTP: `forgotPassword`, `unlockAccount` and `verifyRecoveryToken` on the client, then the
// link functions okta-auth-js makes of each transaction's `_links` (`verify`, `resend`, `answer`,
// `cancel`, and the reset's `next`). Codes and links are read from the dev outbox, which receives
// them in the background. The servers run on a manual clock (resend throttles are passed without
// waiting) with a trivial hasher (the flows sign in many times).
import type { AuthnTransaction } from '@okta/okta-auth-js/authn'
import { afterEach, describe, expect, it } from 'vitest'
import {
  DADE_ANSWER,
  DADE_QUESTION,
  PHONE,
  ROBIN,
  delivered,
  latestCode,
  mailedToken,
  otherThan,
  phoneSeed,
  settle,
  startRecoveryServer,
} from './recovery-support.js'
import { DEMO, createServers, oktaClient, postJson, rejection } from './support.js'
import { checkAnswersAgainstOpenApi } from './openapi-check.js'

const servers = createServers()
// Every answer these tests receive must match the OpenAPI document (docs/openapi.json).
checkAnswersAgainstOpenApi()
afterEach(() => servers.closeAll())

const start = (seed?: unknown) => startRecoveryServer(servers.start, seed)

type TxFn = (args?: object) => Promise<AuthnTransaction>

/** Calls one of the link functions okta-auth-js made of a transaction's `_links`; fails the test when it is missing. */
const follow = (tx: AuthnTransaction, name: string, args?: object): Promise<AuthnTransaction> => {
  const fn = (tx as unknown as Record<string, unknown>)[name]
  if (typeof fn !== 'function') throw new Error(`${tx.status} has no ${name}()`)
  return (fn as TxFn)(args)
}

/** The names of the functions okta-auth-js made of a transaction's links, sorted. */
const functionsOf = (tx: AuthnTransaction): ReadonlyArray<string> =>
  Object.entries(tx)
    .filter(([, v]) => typeof v === 'function')
    .map(([k]) => k)
    .sort()

/**
 * PASSWORD_RESET's `next` link, as okta-auth-js exposes it. okta-auth-js (README, its own
 * fixtures) and the Sign-In Widget call `transaction.resetPassword()`, i.e. a link named
 * `resetPassword`; the engine names it `password` in the recovery flow (as one example of Okta's
 * documentation does), so okta-auth-js makes `password()` of it instead. Reported; either name is
 * followed here so that the flows can be tested end to end.
 */
const resetPassword = (tx: AuthnTransaction, newPassword: string): Promise<AuthnTransaction> =>
  follow(tx, typeof tx.resetPassword === 'function' ? 'resetPassword' : 'password', { newPassword })

/** The JSON answer okta-auth-js keeps on a transaction (without the response headers it adds). */
const dataOf = (tx: AuthnTransaction): Readonly<Record<string, unknown>> => {
  const { headers: _headers, ...json } = (tx as AuthnTransaction & { data?: Record<string, unknown> }).data ?? {}
  return json
}

describe('forgot password by email with okta-auth-js', () => {
  it('forgotPassword EMAIL → bare RECOVERY_CHALLENGE; the mailed link → verifyRecoveryToken → RECOVERY → answer → PASSWORD_RESET → SUCCESS; only the new password signs in', async () => {
    const { server } = await start()
    const auth = oktaClient(server)
    const challenge = await auth.forgotPassword({ username: DEMO.active.username, factorType: 'EMAIL' })
    // No state token, no links: okta-auth-js offers only its own local cancel().
    expect(dataOf(challenge)).toEqual({ status: 'RECOVERY_CHALLENGE', factorResult: 'WAITING', factorType: 'EMAIL', recoveryType: 'PASSWORD' })
    expect(functionsOf(challenge)).toEqual(['cancel'])
    const mail = (await delivered(server, DEMO.active.username))[0]
    expect(mail).toMatchObject({ to: DEMO.active.username, subject: 'Reset your password' })
    const recoveryToken = await mailedToken(server, DEMO.active.username, 'reset-password')

    const recovery = await auth.verifyRecoveryToken({ recoveryToken })
    expect(recovery.status).toBe('RECOVERY')
    expect(recovery.recoveryType).toBe('PASSWORD')
    expect(recovery.user).toMatchObject({ profile: { login: DEMO.active.username, firstName: 'Dade' }, recovery_question: { question: DADE_QUESTION } })
    expect(functionsOf(recovery)).toEqual(['answer', 'cancel'])

    const reset = await follow(recovery, 'answer', { answer: `  ${DADE_ANSWER.toUpperCase()} ` })
    expect(reset.status).toBe('PASSWORD_RESET')
    expect(reset.recoveryType).toBe('PASSWORD')
    expect(reset.policy).toMatchObject({ complexity: { minLength: 8, minUpperCase: 1 } })
    expect(functionsOf(reset).filter((name) => name !== 'resetPassword' && name !== 'password')).toEqual(['cancel'])

    const weak = await rejection(resetPassword(reset, 'short'))
    expect([weak.xhr?.status, weak.errorCode]).toEqual([403, 'E0000080'])
    expect(weak.errorCauses?.[0]?.errorSummary).toMatch(/^Passwords must have at least 8 characters/)

    const done = await resetPassword(reset, 'Gibson-Hacked-2026')
    expect(done.status).toBe('SUCCESS')
    expect(done.user).toMatchObject({ profile: { login: DEMO.active.username } })
    const session = await postJson(`${server.url}/api/v1/sessions`, { sessionToken: done.sessionToken })
    expect(session.status).toBe(200)
    expect(session.body).toMatchObject({ status: 'ACTIVE', userId: done.user?.['id'] })

    expect((await auth.signInWithCredentials({ username: DEMO.active.username, password: 'Gibson-Hacked-2026' })).status).toBe('SUCCESS')
    const old = await rejection(auth.signInWithCredentials(DEMO.active))
    expect([old.xhr?.status, old.errorCode]).toEqual([401, 'E0000004'])
  })

  it('a recovery token works once: the second verifyRecoveryToken is AuthApiError 401 E0000011, as is an unknown one', async () => {
    const { server } = await start()
    const auth = oktaClient(server)
    await auth.forgotPassword({ username: DEMO.active.username, factorType: 'email' })
    const recoveryToken = await mailedToken(server, DEMO.active.username, 'reset-password')
    expect((await auth.verifyRecoveryToken({ recoveryToken })).status).toBe('RECOVERY')
    const again = await rejection(oktaClient(server).verifyRecoveryToken({ recoveryToken }))
    expect([again.xhr?.status, again.errorCode, again.errorSummary]).toEqual([401, 'E0000011', 'Invalid token provided'])
    const unknown = await rejection(auth.verifyRecoveryToken({ recoveryToken: `${recoveryToken}x` }))
    expect([unknown.xhr?.status, unknown.errorCode]).toEqual([401, 'E0000011'])
  })
})

describe('forgot password by SMS and voice call with okta-auth-js', () => {
  for (const { factorType, wire, digits, throttled } of [
    { factorType: 'SMS', wire: 'SMS', digits: 6, throttled: 'E0000109' },
    { factorType: 'CALL', wire: 'call', digits: 5, throttled: 'E0000133' },
  ] as const) {
    it(`forgotPassword ${factorType} → RECOVERY_CHALLENGE (verify, resend, cancel); resend() is 429 ${throttled} inside the throttle, then a new code; verify → RECOVERY → answer → PASSWORD_RESET → SUCCESS`, async () => {
      const { server, clock } = await start(phoneSeed())
      const auth = oktaClient(server)
      const challenge = await auth.forgotPassword({ username: ROBIN.username, factorType, relayState: '/app/after-recovery' })
      expect(challenge.status).toBe('RECOVERY_CHALLENGE')
      expect(dataOf(challenge)).toMatchObject({ factorType: wire, recoveryType: 'PASSWORD', relayState: '/app/after-recovery' })
      expect(typeof dataOf(challenge)['stateToken']).toBe('string')
      expect(functionsOf(challenge)).toEqual(['cancel', 'resend', 'verify'])
      const sent = (await delivered(server, PHONE))[0]
      expect(sent).toMatchObject({ channel: factorType.toLowerCase(), purpose: 'recovery-code' })
      const first = await latestCode(server, PHONE)
      expect(first).toMatch(new RegExp(`^\\d{${digits}}$`))

      const early = await rejection(follow(challenge, 'resend'))
      expect([early.xhr?.status, early.errorCode]).toEqual([429, throttled])
      clock.advance(30_000)
      const resent = await follow(challenge, 'resend')
      expect(resent.status).toBe('RECOVERY_CHALLENGE')
      const second = await latestCode(server, PHONE, 2)
      expect(server.outbox.messages({ to: PHONE })).toHaveLength(2)
      // The new code replaces the first (unless both happen to be the same digits).
      if (second !== first) expect((await rejection(follow(resent, 'verify', { passCode: first }))).errorCode).toBe('E0000068')

      const recovery = await follow(resent, 'verify', { passCode: second })
      expect(recovery.status).toBe('RECOVERY')
      expect(recovery.recoveryType).toBe('PASSWORD')
      expect(recovery.user).toMatchObject({ profile: { login: ROBIN.username }, recovery_question: { question: ROBIN.question } })
      const reset = await follow(recovery, 'answer', { answer: ROBIN.answer })
      expect(reset.status).toBe('PASSWORD_RESET')
      const done = await resetPassword(reset, 'Brand-New-Passw0rd')
      expect(done.status).toBe('SUCCESS')
      expect(typeof done.sessionToken).toBe('string')
      expect(dataOf(done)['relayState']).toBe('/app/after-recovery')

      expect((await auth.signInWithCredentials({ username: ROBIN.username, password: 'Brand-New-Passw0rd' })).status).toBe('SUCCESS')
      expect((await rejection(auth.signInWithCredentials({ username: ROBIN.username, password: ROBIN.password }))).errorCode).toBe('E0000004')
      // No email went anywhere: the code went to the phone only.
      expect(server.outbox.messages({ to: ROBIN.email })).toHaveLength(0)
    })
  }

  it('a wrong SMS code is AuthApiError 403 E0000068 and a wrong answer 403 E0000087; the transaction goes on with the right ones', async () => {
    const { server } = await start(phoneSeed())
    const auth = oktaClient(server)
    const challenge = await auth.forgotPassword({ username: ROBIN.username, factorType: 'SMS' })
    const code = await latestCode(server, PHONE)

    const wrongCode = await rejection(follow(challenge, 'verify', { passCode: otherThan(code) }))
    expect([wrongCode.xhr?.status, wrongCode.errorCode, wrongCode.errorSummary]).toEqual([403, 'E0000068', 'Invalid Passcode/Answer'])
    const recovery = await follow(challenge, 'verify', { passCode: code })
    expect(recovery.status).toBe('RECOVERY')

    const wrongAnswer = await rejection(follow(recovery, 'answer', { answer: 'Tolkien' }))
    expect([wrongAnswer.xhr?.status, wrongAnswer.errorCode, wrongAnswer.errorSummary]).toEqual([
      403,
      'E0000087',
      'The recovery question answer did not match our records.',
    ])
    const reset = await follow(recovery, 'answer', { answer: ROBIN.answer })
    expect(reset.status).toBe('PASSWORD_RESET')
  })

  it('cancel() ends the recovery transaction: resuming it is AuthApiError 401 E0000011', async () => {
    const { server } = await start(phoneSeed())
    const auth = oktaClient(server)
    const challenge = await auth.forgotPassword({ username: ROBIN.username, factorType: 'SMS' })
    const stateToken = String(dataOf(challenge)['stateToken'])
    expect((await auth.tx.resume({ stateToken })).status).toBe('RECOVERY_CHALLENGE')
    await follow(challenge, 'cancel')
    const gone = await rejection(auth.tx.resume({ stateToken }))
    expect([gone.xhr?.status, gone.errorCode]).toEqual([401, 'E0000011'])
    const late = await rejection(follow(challenge, 'verify', { passCode: await latestCode(server, PHONE) }))
    expect([late.xhr?.status, late.errorCode]).toEqual([401, 'E0000011'])
  })
})

describe('unlock account with okta-auth-js', () => {
  it('unlockAccount EMAIL for the locked user → the mailed unlock link → verifyRecoveryToken → SUCCESS (recoveryType UNLOCK, no session token); then sign-in works', async () => {
    const { server } = await start()
    const auth = oktaClient(server)
    expect((await auth.signInWithCredentials(DEMO.locked)).status).toBe('LOCKED_OUT')
    const challenge = await auth.unlockAccount({ username: DEMO.locked.username, factorType: 'EMAIL' })
    expect(dataOf(challenge)).toEqual({ status: 'RECOVERY_CHALLENGE', factorResult: 'WAITING', factorType: 'EMAIL', recoveryType: 'UNLOCK' })
    const mail = (await delivered(server, DEMO.locked.username))[0]
    expect(mail).toMatchObject({ subject: 'Unlock your account' })
    const recoveryToken = await mailedToken(server, DEMO.locked.username, 'unlock')

    // Kate has no recovery question: the token unlocks at once.
    const done = await auth.verifyRecoveryToken({ recoveryToken })
    expect(done.status).toBe('SUCCESS')
    expect(done.recoveryType).toBe('UNLOCK')
    expect(done.sessionToken).toBeUndefined()
    expect(done.user).toMatchObject({ profile: { login: DEMO.locked.username } })
    const signedIn = await auth.signInWithCredentials(DEMO.locked)
    expect(signedIn.status).toBe('SUCCESS')
    expect(typeof signedIn.sessionToken).toBe('string')
    expect((await rejection(auth.verifyRecoveryToken({ recoveryToken }))).errorCode).toBe('E0000011')
  })

  it('unlockAccount EMAIL for an account that is not locked answers the same and mails nothing', async () => {
    const { server } = await start()
    const auth = oktaClient(server)
    const notLocked = await auth.unlockAccount({ username: DEMO.active.username, factorType: 'EMAIL' })
    const locked = await auth.unlockAccount({ username: DEMO.locked.username, factorType: 'EMAIL' })
    expect(dataOf(notLocked)).toEqual(dataOf(locked))
    await delivered(server, DEMO.locked.username)
    await settle()
    expect(server.outbox.messages()).toHaveLength(1)
    expect(server.outbox.messages({ to: DEMO.active.username })).toHaveLength(0)
  })

  it('unlockAccount SMS for a user locked by failures → verify → RECOVERY → answer → SUCCESS UNLOCK; the password works again', async () => {
    const { server } = await start(phoneSeed())
    const auth = oktaClient(server)
    for (let i = 0; i < 3; i++) await auth.signInWithCredentials({ username: ROBIN.username, password: `Wrong-Passw0rd-${i}` }).catch(() => undefined)
    expect((await auth.signInWithCredentials({ username: ROBIN.username, password: ROBIN.password })).status).toBe('LOCKED_OUT')
    const challenge = await auth.unlockAccount({ username: ROBIN.username, factorType: 'SMS' })
    expect(dataOf(challenge)).toMatchObject({ status: 'RECOVERY_CHALLENGE', factorType: 'SMS', recoveryType: 'UNLOCK' })
    const recovery = await follow(challenge, 'verify', { passCode: await latestCode(server, PHONE) })
    expect(recovery.status).toBe('RECOVERY')
    expect(recovery.recoveryType).toBe('UNLOCK')
    const done = await follow(recovery, 'answer', { answer: ROBIN.answer })
    expect(done.status).toBe('SUCCESS')
    expect(done.recoveryType).toBe('UNLOCK')
    expect(done.sessionToken).toBeUndefined()
    expect((await auth.signInWithCredentials({ username: ROBIN.username, password: ROBIN.password })).status).toBe('SUCCESS')
  })
})

describe('unknown users with okta-auth-js', () => {
  it('forgotPassword EMAIL for an unknown user resolves exactly as for a known one, and nothing is mailed for it', async () => {
    const { server } = await start()
    const auth = oktaClient(server)
    const unknown = await auth.forgotPassword({ username: 'nobody@example.com', factorType: 'EMAIL', relayState: '/app' })
    const known = await auth.forgotPassword({ username: DEMO.active.username, factorType: 'EMAIL', relayState: '/app' })
    expect(dataOf(unknown)).toEqual(dataOf(known))
    expect(dataOf(known)).toEqual({ status: 'RECOVERY_CHALLENGE', factorResult: 'WAITING', factorType: 'EMAIL', recoveryType: 'PASSWORD', relayState: '/app' })
    expect(functionsOf(unknown)).toEqual(functionsOf(known))
    // The known user's mail was sent after the unknown one's request: by then only it is in the outbox.
    await delivered(server, DEMO.active.username)
    await settle()
    expect(server.outbox.messages().map((m) => m.to)).toEqual([DEMO.active.username])
    expect(server.outbox.messages({ to: 'nobody@example.com' })).toHaveLength(0)
  })

  it('forgotPassword SMS for an unknown user resolves like a known one (same status, keys, links and functions); no code is sent for it and none works', async () => {
    const { server } = await start(phoneSeed())
    const auth = oktaClient(server)
    const unknown = await auth.forgotPassword({ username: 'nobody@example.com', factorType: 'SMS' })
    const known = await auth.forgotPassword({ username: ROBIN.username, factorType: 'SMS' })
    expect(unknown.status).toBe(known.status)
    expect(Object.keys(dataOf(unknown)).sort()).toEqual(Object.keys(dataOf(known)).sort())
    const { stateToken: _u, expiresAt: _ue, ...unknownRest } = dataOf(unknown)
    const { stateToken: _k, expiresAt: _ke, ...knownRest } = dataOf(known)
    expect(unknownRest).toEqual(knownRest)
    expect(dataOf(unknown)['stateToken']).not.toBe(dataOf(known)['stateToken'])
    expect(functionsOf(unknown)).toEqual(functionsOf(known))

    const code = await latestCode(server, PHONE)
    await settle()
    expect(server.outbox.messages()).toHaveLength(1)
    const refused = await rejection(follow(unknown, 'verify', { passCode: code }))
    expect([refused.xhr?.status, refused.errorCode]).toEqual([403, 'E0000068'])
    expect((await follow(known, 'verify', { passCode: code })).status).toBe('RECOVERY')
  })
})
