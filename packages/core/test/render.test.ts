import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { maskEmail, maskPhone, renderStepUpStart, renderTransaction, type AuthnContext, type MachineState, type TransactionJson } from '../src/index.js'
import { T0, arbContext as arbAnyContext, arbEmail, arbPhone, arbStepUp } from './arbitraries.js'

/** A transaction that is not a step-up (those are rendered with their app: below). */
const arbContext = arbAnyContext.map((c): AuthnContext => ({ ...c, stepUp: null }))
/** A step-up transaction. */
const arbStepUpContext = fc.tuple(arbAnyContext, arbStepUp).map(([c, stepUp]): AuthnContext => ({ ...c, stepUp }))

const arbBase = fc
  .tuple(fc.constantFrom('https://example.okta.com', 'http://127.0.0.1:8080', 'https://auth.example.test/prefix'), fc.constantFrom('', '/', '//'))
  .map(([origin, slash]) => ({ given: origin + slash, base: origin }))

const secrets = { stateToken: '00stateTokenForTheTests', sessionToken: '20111sessionTokenForTheTests' }
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/
/** Spec §5.1: Okta's top-level key order. */
const KEY_ORDER = ['stateToken', 'type', 'expiresAt', 'status', 'relayState', 'factorResult', 'challengeType', 'factorType', 'recoveryToken', 'recoveryType', 'sessionToken', '_embedded', '_links']

const link = (base: string, path: string, name?: string) => ({
  ...(name === undefined ? {} : { name }),
  href: `${base}/api/v1/authn${path}`,
  hints: { allow: ['POST'] },
})

const expectedUser = (c: AuthnContext) => ({
  id: c.userId,
  ...(c.user.passwordChangedAt === null ? {} : { passwordChanged: new Date(c.user.passwordChangedAt).toISOString() }),
  profile: {
    login: c.user.login,
    firstName: c.user.firstName,
    lastName: c.user.lastName,
    ...(c.user.locale === null ? {} : { locale: c.user.locale }),
    ...(c.user.timeZone === null ? {} : { timeZone: c.user.timeZone }),
  },
})

/** Spec §3.2 table, §6.9 and Appendix A: the `_links` of each state. */
const expectedLinks = (state: MachineState, c: AuthnContext, base: string): Record<string, unknown> | undefined => {
  const cancel = link(base, '/cancel')
  switch (state) {
    case 'PASSWORD_WARN':
      return { next: link(base, '/credentials/change_password', 'changePassword'), skip: link(base, '/skip', 'skip'), cancel }
    case 'PASSWORD_EXPIRED':
      return { next: link(base, '/credentials/change_password', 'changePassword'), cancel }
    case 'PASSWORD_RESET':
      return { next: link(base, '/credentials/reset_password', 'resetPassword'), cancel }
    case 'MFA_ENROLL': {
      // Skip is published only when no REQUIRED factor is left to enroll (restated from the spec).
      const active = c.factors.filter((f) => f.status === 'ACTIVE')
      const requiredLeft =
        c.policy.enrollment.factors.some((e) => e.enroll === 'REQUIRED' && !active.some((f) => f.factorType === e.factorType && f.provider === e.provider)) ||
        (c.policy.signOn.requireFactor && active.length === 0)
      return requiredLeft ? { cancel } : { skip: link(base, '/skip', 'skip'), cancel }
    }
    case 'MFA_REQUIRED':
      return { cancel }
    case 'LOCKED_OUT':
      return { next: link(base, '/recovery/unlock', 'unlock') }
    case 'SUCCESS':
      return undefined
    default:
      return null as never
  }
}

const passwordPolicyShape = {
  expiration: { passwordExpireDays: expect.any(Number) as unknown },
  complexity: expect.objectContaining({
    minLength: expect.any(Number) as unknown,
    minLowerCase: expect.any(Number) as unknown,
    minUpperCase: expect.any(Number) as unknown,
    minNumber: expect.any(Number) as unknown,
    minSymbol: expect.any(Number) as unknown,
    excludeUsername: expect.any(Boolean) as unknown,
  }) as unknown,
  age: { minAgeMinutes: expect.any(Number) as unknown, historyCount: expect.any(Number) as unknown },
}

const render = (state: MachineState, c: AuthnContext, base: string): TransactionJson => renderTransaction(state, c, secrets, base, T0)

describe('renderTransaction (spec §3.2, §5.1, §6, Appendix A)', () => {
  const STATES = ['PASSWORD_WARN', 'PASSWORD_EXPIRED', 'PASSWORD_RESET', 'MFA_ENROLL', 'MFA_REQUIRED', 'LOCKED_OUT', 'SUCCESS'] as const

  test.prop([fc.constantFrom(...STATES), arbContext, arbBase])('exact _links: names, absolute hrefs under the base URL, hints POST', (state, c, { given, base }) => {
    const json = render(state, c, given)
    expect(json['_links']).toEqual(expectedLinks(state, c, base))
  })

  test.prop([fc.constantFrom(...STATES), arbContext, arbBase])('top-level keys come in Okta order', (state, c, { given }) => {
    const keys = Object.keys(render(state, c, given))
    const positions = keys.map((k) => KEY_ORDER.indexOf(k))
    expect(positions.every((p) => p >= 0)).toBe(true)
    expect([...positions].sort((a, b) => a - b)).toEqual(positions)
  })

  test.prop([fc.constantFrom('PASSWORD_WARN' as const, 'PASSWORD_EXPIRED' as const, 'PASSWORD_RESET' as const, 'MFA_ENROLL' as const, 'MFA_REQUIRED' as const), arbContext, arbBase])(
    'live states: stateToken, expiresAt ISO with milliseconds, status, _embedded.user',
    (state, c, { given }) => {
      const json = render(state, c, given)
      expect(json['stateToken']).toBe(secrets.stateToken)
      expect(json['status']).toBe(state)
      expect(json['expiresAt']).toMatch(ISO_MS)
      expect(json['expiresAt']).toBe(new Date(c.expiresAt).toISOString())
      expect((json['_embedded'] as Record<string, unknown>)['user']).toEqual(expectedUser(c))
      expect(json['relayState']).toBe(c.relayState ?? undefined)
      expect(json['sessionToken']).toBeUndefined()
    },
  )

  test.prop([fc.constantFrom('PASSWORD_WARN' as const, 'PASSWORD_EXPIRED' as const, 'PASSWORD_RESET' as const), arbContext, arbBase])(
    'password states embed the password policy object (§6.5)',
    (state, c, { given }) => {
      const embedded = render(state, c, given)['_embedded'] as Record<string, unknown>
      expect(Object.keys(embedded)).toEqual(['user', 'policy'])
      const policy = embedded['policy'] as Record<string, Record<string, unknown>>
      expect(policy).toEqual(passwordPolicyShape)
      expect(policy['complexity']?.['minLength']).toBe(c.policy.password.complexity.minLength)
      expect(policy['age']).toEqual({ minAgeMinutes: c.policy.password.age.minAgeMinutes, historyCount: c.policy.password.age.historyCount })
      expect(policy['expiration']?.['passwordExpireDays']).toBeGreaterThanOrEqual(0)
    },
  )

  test.prop([arbContext, arbBase])('PASSWORD_RESET carries recoveryType when set', (c, { given }) => {
    const json = render('PASSWORD_RESET', c, given)
    expect(json['recoveryType']).toBe(c.recoveryType ?? undefined)
  })

  test.prop([arbContext, arbBase])('MFA_REQUIRED: active factors with verify links, masked profiles, remember-device policy (§6.2, §6.6)', (c, { given, base }) => {
    const embedded = render('MFA_REQUIRED', c, given)['_embedded'] as Record<string, unknown>
    const active = c.factors.filter((f) => f.status === 'ACTIVE')
    const factors = embedded['factors'] as ReadonlyArray<Record<string, unknown>>
    expect(factors.map((f) => f['id'])).toEqual(active.map((f) => f.id))
    factors.forEach((f, i) => {
      const src = active[i]
      if (src === undefined) throw new Error('factor count')
      expect(f).toEqual({
        id: src.id,
        factorType: src.factorType,
        provider: src.provider,
        vendorName: src.provider,
        profile: expect.any(Object) as unknown,
        _links: { verify: link(base, `/factors/${src.id}/verify`) },
      })
      const profile = f['profile'] as Record<string, unknown>
      if (typeof src.profile['phoneNumber'] === 'string') expect(profile['phoneNumber']).toBe(maskPhone(src.profile['phoneNumber']))
      if (typeof src.profile['email'] === 'string') expect(profile['email']).toBe(maskEmail(src.profile['email']))
    })
    expect(embedded['policy']).toEqual({
      allowRememberDevice: c.policy.signOn.allowRememberDevice,
      rememberDeviceLifetimeInMinutes: c.policy.signOn.rememberDeviceLifetimeInMinutes,
      rememberDeviceByDefault: c.policy.signOn.rememberDeviceByDefault,
      factorsPolicyInfo: {},
    })
  })

  test.prop([arbContext, arbBase])('MFA_ENROLL: the enrollable catalog (§6.3), NOT_ALLOWED left out, no id', (c, { given, base }) => {
    const embedded = render('MFA_ENROLL', c, given)['_embedded'] as Record<string, unknown>
    const listed = c.policy.enrollment.factors.filter((e) => e.enroll !== 'NOT_ALLOWED')
    expect(embedded['factors']).toEqual(
      listed.map((e) => ({
        factorType: e.factorType,
        provider: e.provider,
        vendorName: e.provider,
        status: c.factors.some((f) => f.status === 'ACTIVE' && f.factorType === e.factorType && f.provider === e.provider) ? 'ACTIVE' : 'NOT_SETUP',
        enrollment: e.enroll,
        _links: {
          ...(e.factorType === 'question' ? { questions: { href: `${base}/api/v1/users/${c.userId}/factors/questions`, hints: { allow: ['GET'] } } } : {}),
          enroll: link(base, '/factors'),
        },
      })),
    )
  })

  test.prop([arbContext, arbBase])('MFA_CHALLENGE and MFA_ENROLL_ACTIVATE publish prev and cancel', (c, { given, base }) => {
    for (const state of ['MFA_CHALLENGE', 'MFA_ENROLL_ACTIVATE'] as const) {
      const links = render(state, c, given)['_links'] as Record<string, unknown>
      expect(links['prev']).toEqual(link(base, '/previous'))
      expect(links['cancel']).toEqual(link(base, '/cancel'))
    }
    // The awaited factor is embedded, and `next` answers it (§4.7, §4.10); an activation a third
    // party verifies (Duo: the transaction holds its verification) waits and is polled (§4.7.5).
    const activating = c.activating
    const activate = render('MFA_ENROLL_ACTIVATE', c, given)
    expect(Object.keys(activate['_embedded'] as object)).toEqual(activating === null ? ['user'] : ['user', 'factor'])
    const delegated = activating !== null && c.nonce !== undefined && c.nonce !== null && c.nonce.factorId === activating.id
    if (activating !== null)
      expect((activate['_links'] as Record<string, unknown>)['next']).toEqual(
        delegated ? link(base, `/factors/${activating.id}/lifecycle/activate/poll`, 'poll') : link(base, `/factors/${activating.id}/lifecycle/activate`, 'activate'),
      )
    expect(activate['factorResult']).toBe(delegated ? 'WAITING' : undefined)
    // §6.6: the remember-device policy is embedded in MFA_REQUIRED and MFA_CHALLENGE, not in MFA_ENROLL_ACTIVATE.
    const challenged = c.factors.some((f) => f.id === c.challenge)
    expect(Object.keys(render('MFA_CHALLENGE', c, given)['_embedded'] as object)).toEqual(challenged ? ['user', 'factor', 'policy'] : ['user', 'policy'])
  })

  test.prop([arbContext, arbBase, fc.constantFrom('WAITING' as const, 'REJECTED' as const, 'TIMEOUT' as const)])(
    'MFA_CHALLENGE of a verification a third party or a device carries out (Duo, push, §4.10): its result, its view embedded; next polls while WAITING, verifies (a new one) once REJECTED or TIMEOUT',
    (c, { given, base }, factorResult) => {
      const f = c.factors[0]
      fc.pre(f !== undefined)
      if (f === undefined) return
      const verification = { host: 'api-test.duosecurity.com', signature: 'TX|x|y:APP|x|y', factorResult: 'WAITING' }
      const r = renderTransaction('MFA_CHALLENGE', { ...c, challenge: f.id }, { ...secrets, delegation: { factorResult, embedded: { verification } } }, given, T0)
      expect(r['factorResult']).toBe(factorResult)
      expect(Object.keys(r).filter((k) => KEY_ORDER.includes(k))).toEqual(KEY_ORDER.filter((k) => k in r))
      expect(((r['_embedded'] as Record<string, unknown>)['factor'] as Record<string, unknown>)['_embedded']).toEqual({ verification })
      expect((r['_links'] as Record<string, unknown>)['next']).toEqual(link(base, `/factors/${f.id}/verify`, factorResult === 'WAITING' ? 'poll' : 'verify'))
      // Nothing embedded (push without number matching): the factor has no `_embedded`.
      const bare = renderTransaction('MFA_CHALLENGE', { ...c, challenge: f.id }, { ...secrets, delegation: { factorResult, embedded: null } }, given, T0)
      expect(((bare['_embedded'] as Record<string, unknown>)['factor'] as Record<string, unknown>)['_embedded']).toBeUndefined()
      // Without one, the same state is a plain challenge: no factorResult, next verifies.
      const plain = renderTransaction('MFA_CHALLENGE', { ...c, challenge: f.id }, secrets, given, T0)
      expect(plain['factorResult']).toBeUndefined()
      expect((plain['_links'] as Record<string, unknown>)['next']).toEqual(link(base, `/factors/${f.id}/verify`, 'verify'))
    },
  )

  test.prop([arbContext, arbBase, fc.constantFrom('WAITING' as const, 'TIMEOUT' as const)])(
    'MFA_ENROLL_ACTIVATE of an activation a device carries out (push, §4.7.5): its result, its activation embedded; next polls while WAITING, activates (anew) once TIMEOUT',
    (c, { given, base }, factorResult) => {
      const f = c.factors[0]
      fc.pre(f !== undefined)
      if (f === undefined) return
      const pending = { ...f, status: 'PENDING_ACTIVATION' as const }
      const activation = { expiresAt: '2030-01-01T00:10:00.000Z', factorResult, _links: {} }
      const ctx = { ...c, activating: pending, nonce: { factorId: f.id, nonce: 'n'.repeat(32), expiresAt: T0 + 600_000 } }
      const r = renderTransaction('MFA_ENROLL_ACTIVATE', ctx, { ...secrets, delegation: { factorResult, embedded: { activation } } }, given, T0)
      expect(r['factorResult']).toBe(factorResult)
      expect(((r['_embedded'] as Record<string, unknown>)['factor'] as Record<string, unknown>)['_embedded']).toEqual({ activation })
      expect((r['_links'] as Record<string, unknown>)['next']).toEqual(
        factorResult === 'WAITING' ? link(base, `/factors/${f.id}/lifecycle/activate/poll`, 'poll') : link(base, `/factors/${f.id}/lifecycle/activate`, 'activate'),
      )
    },
  )

  test.prop([arbContext, arbBase])(
    'resend (§4.8, §4.11, §6.9): an array naming the family, for sms, call and email: lifecycle/resend while activating, verify/resend in a challenge; for push, verify/resend only',
    (c, { given, base }) => {
      const sends = (f: { readonly factorType: string } | undefined | null) => f !== undefined && f !== null && ['sms', 'call', 'email'].includes(f.factorType)
      const activating = c.activating
      const activateLinks = render('MFA_ENROLL_ACTIVATE', c, given)['_links'] as Record<string, unknown>
      expect(activateLinks['resend']).toEqual(
        sends(activating) && activating !== null ? [link(base, `/factors/${activating.id}/lifecycle/resend`, activating.factorType)] : undefined,
      )
      const challenged = c.factors.find((f) => f.id === c.challenge)
      const challengeLinks = render('MFA_CHALLENGE', c, given)['_links'] as Record<string, unknown>
      // A push is sent again too (§4.11), but never while activating.
      expect(challengeLinks['resend']).toEqual((sends(challenged) || challenged?.factorType === 'push') && challenged !== undefined ? [link(base, `/factors/${challenged.id}/verify/resend`, challenged.factorType)] : undefined)
      // Never a code, a code's MAC or an unmasked destination in a response.
      const json = JSON.stringify([render('MFA_ENROLL_ACTIVATE', c, given), render('MFA_CHALLENGE', c, given)])
      if (c.sent !== null && c.sent !== undefined) expect(json).not.toContain(c.sent.codeMac)
    },
  )

  test.prop([arbContext, arbBase])('LOCKED_OUT: no stateToken, no expiresAt, only the unlock link', (c, { given, base }) => {
    expect(render('LOCKED_OUT', c, given)).toEqual({ status: 'LOCKED_OUT', _links: { next: link(base, '/recovery/unlock', 'unlock') } })
  })

  test.prop([arbContext, arbBase])('SUCCESS: no stateToken, sessionToken, expiresAt of the session, _embedded.user, no links', (c, { given }) => {
    const json = render('SUCCESS', c, given)
    expect(json).toEqual({
      expiresAt: new Date(c.sessionExpiresAt ?? c.expiresAt).toISOString(),
      status: 'SUCCESS',
      ...(c.relayState === null ? {} : { relayState: c.relayState }),
      sessionToken: secrets.sessionToken,
      _embedded: { user: expectedUser(c) },
    })
    expect(json['expiresAt']).toMatch(ISO_MS)
  })

  it('passwordExpireDays counts whole days left, never negative', () => {
    const [c] = fc.sample(arbContext, { numRuns: 1, seed: 3 })
    if (c === undefined) throw new Error('no sample')
    const context: AuthnContext = {
      ...c,
      user: { ...c.user, passwordChangedAt: T0 - 25 * 86_400_000 - 3_600_000 },
      policy: { ...c.policy, password: { ...c.policy.password, age: { ...c.policy.password.age, maxAgeDays: 30 } } },
    }
    const days = (now: number) => ((renderTransaction('PASSWORD_WARN', context, secrets, 'https://x.test', now)['_embedded'] as Record<string, Record<string, Record<string, unknown>>>)['policy']?.['expiration']?.['passwordExpireDays'])
    expect(days(T0)).toBe(5)
    expect(days(T0 + 40 * 86_400_000)).toBe(0)
  })
})

describe('masking (spec §9.15)', () => {
  it.each([
    ['+1 415-555-1337', '+1 XXX-XXX-1337'],
    ['4155551337', 'XXX-XXX-1337'],
    ['+44 20 7946 0958', '+44 XXX-XXX-0958'],
  ])('maskPhone(%s) = %s', (phone, masked) => {
    expect(maskPhone(phone)).toBe(masked)
  })

  it.each([
    ['dade.murphy@example.com', 'd...y@example.com'],
    ['a@example.com', 'a...@example.com'],
  ])('maskEmail(%s) = %s', (email, masked) => {
    expect(maskEmail(email)).toBe(masked)
  })

  test.prop([arbPhone])('a masked phone shows at most the country code and the last four digits', (phone) => {
    const masked = maskPhone(phone)
    const digits = phone.replace(/\D/g, '')
    expect(masked.endsWith(digits.slice(-4))).toBe(true)
    expect(masked.replace(/\D/g, '').length).toBeLessThanOrEqual(digits.length - 6)
  })

  test.prop([arbEmail])('a masked email keeps the domain, first and last letter only', (email) => {
    const [local = '', domain = ''] = email.split('@')
    const masked = maskEmail(email)
    expect(masked.endsWith(`@${domain}`)).toBe(true)
    expect(masked.startsWith(local.slice(0, 1))).toBe(true)
    // The masked local part never shows the local part (the domain may happen to contain it).
    if (local.length > 3) expect(masked.slice(0, masked.lastIndexOf('@'))).not.toContain(local)
  })

  describe('step-up (spec §4.2, §6.7, §6.8)', () => {
    const appOf = (c: AuthnContext) => {
      const s = c.stepUp
      if (s === undefined || s === null) throw new Error('not a step-up')
      return {
        target: { type: 'APP', name: s.target.name, label: s.target.label, _links: s.target.logo === null ? {} : { logo: { name: 'medium', ...s.target.logo } } },
        authentication: { protocol: s.authentication.protocol, issuer: s.authentication.issuer },
      }
    }

    test.prop([fc.constantFrom('PASSWORD_WARN' as const, 'PASSWORD_EXPIRED' as const, 'MFA_ENROLL' as const, 'MFA_REQUIRED' as const, 'MFA_CHALLENGE' as const), arbStepUpContext, arbBase])(
      'every live state is typed SESSION_STEP_UP and embeds target and authentication after its own members, keys in Okta order',
      (state, c, { given }) => {
        const json = render(state, c, given)
        expect(json['type']).toBe('SESSION_STEP_UP')
        const embedded = json['_embedded'] as Record<string, unknown>
        expect(embedded['target']).toEqual(appOf(c).target)
        expect(embedded['authentication']).toEqual(appOf(c).authentication)
        expect(Object.keys(embedded).slice(-2)).toEqual(['target', 'authentication'])
        const keys = Object.keys(json)
        expect(keys).toEqual([...keys].sort((a, b) => KEY_ORDER.indexOf(a) - KEY_ORDER.indexOf(b)))
      },
    )

    test.prop([arbStepUpContext, arbBase])(
      'SUCCESS: no session token; the one-time token as stateToken, and the `original` link (GET) to the redirect under the base URL',
      (c, { given, base }) => {
        const json = render('SUCCESS', c, given)
        expect(json).toEqual({
          stateToken: secrets.sessionToken,
          type: 'SESSION_STEP_UP',
          expiresAt: new Date(c.sessionExpiresAt ?? c.expiresAt).toISOString(),
          status: 'SUCCESS',
          ...(c.relayState === null ? {} : { relayState: c.relayState }),
          _embedded: { user: expectedUser(c), ...appOf(c) },
          _links: {
            next: { name: 'original', href: `${base}/login/step-up/redirect?stateToken=${encodeURIComponent(secrets.sessionToken)}`, hints: { allow: ['GET'] } },
          },
        })
      },
    )

    test.prop([arbStepUpContext, arbBase, fc.integer({ min: T0, max: T0 + 3_600_000 })])(
      'UNAUTHENTICATED: the state token, typed SESSION_STEP_UP, target and authentication, the authenticate link only (no cancel, no user)',
      (c, { given, base }, expiresAt) => {
        const s = c.stepUp
        if (s === undefined || s === null) throw new Error('not a step-up')
        expect(renderStepUpStart(s, { expiresAt }, secrets.stateToken, given)).toEqual({
          stateToken: secrets.stateToken,
          type: 'SESSION_STEP_UP',
          expiresAt: new Date(expiresAt).toISOString(),
          status: 'UNAUTHENTICATED',
          _embedded: appOf(c),
          _links: { next: { name: 'authenticate', href: `${base}/api/v1/authn`, hints: { allow: ['POST'] } } },
        })
      },
    )
  })
})
