// SMS, voice call and email factors with the unmodified okta-auth-js 8 (`@okta/okta-auth-js/authn`)
// against the reference server over real HTTP: enroll, activate with the code from the dev outbox,
// resend, and verify on the next sign-in. The server runs on a manual clock so that resend
// throttles and code lifetimes can be passed without waiting.
import type { AuthnTransaction } from '@okta/okta-auth-js/authn'
import { afterEach, describe, expect, it } from 'vitest'
import type { RunningServer } from '../src/index.js'
import { MAE, mfaSeed, startMfaServer, type SeedFactor, type SeedPolicies } from './mfa-support.js'
import { createServers, oktaClient, rejection } from './support.js'
import { checkAnswersAgainstOpenApi } from './openapi-check.js'

const servers = createServers()
// Every answer these tests receive must match the OpenAPI document (docs/openapi.json).
checkAnswersAgainstOpenApi()
afterEach(() => servers.closeAll())

type TxFn = (...args: ReadonlyArray<unknown>) => Promise<AuthnTransaction>
const PHONE = '+14155552671'
const EMAIL = 'mae.factor@example.com'

/** Calls one of the link functions okta-auth-js made from a transaction's or factor's `_links`. */
const follow = (owner: object, name: string, ...args: ReadonlyArray<unknown>): Promise<AuthnTransaction> => {
  const fn = (owner as Record<string, unknown>)[name]
  if (typeof fn !== 'function') throw new Error(`${String((owner as { status?: unknown }).status ?? 'factor')} has no ${name}()`)
  return (fn as TxFn)(...args)
}

const offered = (tx: AuthnTransaction, factorType: string): object => {
  const f = ((tx.factors ?? []) as unknown as ReadonlyArray<{ factorType: string }>).find((x) => x.factorType === factorType)
  if (f === undefined) throw new Error(`${tx.status} offers no ${factorType}`)
  return f
}

/** The code in the newest message to `to` (a call says its five digits twice). */
const codeFor = (server: RunningServer, to: string): string => {
  const m = server.outbox.messages({ to })[0]
  if (m === undefined) throw new Error(`nothing was sent to ${to}`)
  const digits = m.text.replace(/\D/g, '')
  return m.channel === 'call' ? digits.slice(0, 5) : digits
}

const enrollPolicy = (...types: ReadonlyArray<string>): SeedPolicies => ({
  signOn: { requireFactor: true },
  enrollment: { factors: types.map((factorType) => ({ factorType, provider: 'OKTA', enroll: 'REQUIRED' })) },
})

const seedWith = (policies: SeedPolicies, maeFactors: ReadonlyArray<SeedFactor> = []) => {
  const seed = mfaSeed({ policies, maeFactors })
  return { ...seed, users: seed.users.map((u) => (u.id === MAE.id ? { ...u, email: EMAIL } : u)) }
}

const signIn = (server: RunningServer) => oktaClient(server).signInWithCredentials({ username: MAE.username, password: MAE.password })

describe('SMS, call and email factors with okta-auth-js', () => {
  for (const { factorType, profile, to, digits, idPrefix, masked } of [
    { factorType: 'sms', profile: { phoneNumber: '415 555 2671' }, to: PHONE, digits: 6, idPrefix: 'mbl', masked: { phoneNumber: '+1 XXX-XXX-2671' } },
    { factorType: 'call', profile: { phoneNumber: '+1 (415) 555-2671' }, to: PHONE, digits: 5, idPrefix: 'clf', masked: { phoneNumber: '+1 XXX-XXX-2671' } },
    { factorType: 'email', profile: {}, to: EMAIL, digits: 6, idPrefix: 'emf', masked: { email: 'm...r@example.com' } },
  ] as const) {
    it(`${factorType}: enroll → MFA_ENROLL_ACTIVATE (masked, resend), activate({ passCode }) → SUCCESS; next sign-in verify() sends a code, verify({ passCode }) → SUCCESS`, async () => {
      const { server, clock } = await startMfaServer(servers.start, seedWith(enrollPolicy(factorType)), { fast: true })
      const enroll = await signIn(server)
      expect(enroll.status).toBe('MFA_ENROLL')
      const activate = await follow(offered(enroll, factorType), 'enroll', { profile })
      expect(activate.status).toBe('MFA_ENROLL_ACTIVATE')
      expect(activate.factor).toMatchObject({ factorType, provider: 'OKTA', profile: masked })
      expect(String(activate.factor?.['id'])).toMatch(new RegExp(`^${idPrefix}[A-Za-z0-9]{17}$`))
      const first = codeFor(server, to)
      expect(first).toMatch(new RegExp(`^\\d{${digits}}$`))
      // resend('<type>') inside the throttle: Okta's 429; after it, a new code that replaces the first.
      const throttled = await rejection(follow(activate, 'resend', factorType))
      expect([throttled.xhr?.status, throttled.errorCode]).toEqual([429, factorType === 'sms' ? 'E0000109' : factorType === 'call' ? 'E0000133' : 'E0000118'])
      clock.advance(30_000)
      const resent = await follow(activate, 'resend', factorType)
      expect(resent.status).toBe('MFA_ENROLL_ACTIVATE')
      expect(server.outbox.messages({ to })).toHaveLength(2)
      const done = await follow(resent, 'activate', { passCode: codeFor(server, to) })
      expect(done.status).toBe('SUCCESS')
      expect(typeof done.sessionToken).toBe('string')

      // The factor is now active: the next sign-in asks for it (the policy requires it).
      const required = await signIn(server)
      expect(required.status).toBe('MFA_REQUIRED')
      const factor = offered(required, factorType)
      expect(factor).toMatchObject({ profile: masked })
      clock.advance(30_000)
      const challenge = await follow(factor, 'verify')
      expect(challenge.status).toBe('MFA_CHALLENGE')
      expect(server.outbox.messages({ to })[0]?.purpose).toBe('mfa-challenge')
      const wrong = await rejection(follow(challenge, 'verify', { passCode: '0'.repeat(digits) === codeFor(server, to) ? '1'.repeat(digits) : '0'.repeat(digits) }))
      expect([wrong.xhr?.status, wrong.errorCode]).toEqual([403, 'E0000068'])
      const verified = await follow(challenge, 'verify', { passCode: codeFor(server, to) })
      expect(verified.status).toBe('SUCCESS')
    })
  }

  it('a malformed phone number is AuthApiError 400 E0000001 with causes; the enrollment is not made', async () => {
    const { server } = await startMfaServer(servers.start, seedWith(enrollPolicy('sms')), { fast: true })
    const enroll = await signIn(server)
    const bad = await rejection(follow(offered(enroll, 'sms'), 'enroll', { profile: { phoneNumber: '555-01' } }))
    expect([bad.xhr?.status, bad.errorCode]).toEqual([400, 'E0000001'])
    expect(bad.errorCauses?.length).toBeGreaterThan(0)
    expect(server.outbox.messages()).toHaveLength(0)
  })

  it('updatePhone: okta-auth-js sends profile.updatePhone as a query parameter, which replaces the unverified number', async () => {
    const { server, clock } = await startMfaServer(servers.start, seedWith(enrollPolicy('sms')), { fast: true })
    const enroll = await signIn(server)
    const first = await follow(offered(enroll, 'sms'), 'enroll', { profile: { phoneNumber: PHONE } })
    const back = await follow(first, 'prev')
    expect(back.status).toBe('MFA_ENROLL')
    clock.advance(30_000)
    const refused = await rejection(follow(offered(back, 'sms'), 'enroll', { profile: { phoneNumber: '+14155550100' } }))
    expect([refused.xhr?.status, refused.errorCode]).toEqual([400, 'E0000001'])
    const replaced = await follow(offered(back, 'sms'), 'enroll', { profile: { phoneNumber: '+14155550100', updatePhone: true } })
    expect(replaced.status).toBe('MFA_ENROLL_ACTIVATE')
    expect(replaced.factor).toMatchObject({ profile: { phoneNumber: '+1 XXX-XXX-0100' } })
    expect((await follow(replaced, 'activate', { passCode: codeFor(server, '+14155550100') })).status).toBe('SUCCESS')
  })
})
