import {
  CAUSES,
  describeComplexity,
  type AuthnContext,
  type AuthnEffect,
  type AuthnEvent,
  type AuthnFailure,
  type EvaluationFacts,
  type MachineState,
  type NextStep,
  type PasswordCandidate,
  type PasswordPolicy,
  type Progress,
  type SentCode,
} from '../src/index.js'
import { DAY, MINUTE } from './arbitraries.js'

/**
 * A dumb reference model of the authentication machine, written from the spec (§4.1, §4.5, §4.19–4.21,
 * §10) and the ADRs, independently of the xstate definition: what one event must do to a stored
 * `{ state, context }`.
 */
export interface Expected {
  readonly state: MachineState
  readonly context: AuthnContext
  readonly effects: ReadonlyArray<AuthnEffect>
  readonly failure: AuthnFailure | null
  readonly changed: boolean
}

export const FINISHED: ReadonlyArray<MachineState> = ['SUCCESS', 'LOCKED_OUT', 'CANCELLED', 'FAILED']

/** A step-up's app sign-on policy asks for a factor that was not verified recently (spec §4.2, §4.3). */
const appAsksFactor = (c: AuthnContext): boolean => c.stepUp !== undefined && c.stepUp !== null && c.stepUp.signOn.requireFactor && !c.stepUp.factorFresh

/** The facts of spec §10.1 rows 6–9, re-derived here. */
export const modelFacts = (c: AuthnContext, p: Progress, now: number): EvaluationFacts => {
  const active = c.factors.filter((f) => f.status === 'ACTIVE')
  const has = (e: { factorType: string; provider: string }) => active.some((f) => f.factorType === e.factorType && f.provider === e.provider)
  const optionalLeft = c.policy.enrollment.factors.some((e) => e.enroll === 'OPTIONAL' && !has(e))
  const age = c.policy.password.age
  const changedAt = c.user.passwordChangedAt
  const expiry = age.maxAgeDays > 0 && changedAt !== null ? changedAt + age.maxAgeDays * DAY : null
  const missing = c.policy.enrollment.factors.filter(
    (e) => e.enroll === 'REQUIRED' && !active.some((f) => f.factorType === e.factorType && f.provider === e.provider),
  )
  return {
    // Not again after a factor was verified or enrolled here, nor from a remembered device.
    // A step-up's app may ask for a factor too, unless one was verified within its factor lifetime;
    // a remembered device answers only the org's requirement.
    mfaRequired: ((c.policy.signOn.requireFactor && !c.deviceRemembered) || appAsksFactor(c)) && active.length > 0 && !p.mfaVerified && !p.enrolledHere,
    passwordExpired: !p.passwordChanged && (c.adminExpired || (expiry !== null && now >= expiry)),
    enrollmentRequired:
      missing.length > 0 ||
      ((c.policy.signOn.requireFactor || appAsksFactor(c)) && active.length === 0) ||
      // multiOptionalFactorEnroll: after an enrollment here, the optional factors left are offered until skipped.
      (c.options.multiOptionalFactorEnroll && p.enrolledHere && !p.enrollHandled && optionalLeft),
    passwordWarn:
      c.options.warnBeforePasswordExpired &&
      !p.passwordChanged &&
      !p.warnHandled &&
      expiry !== null &&
      age.expireWarnDays > 0 &&
      expiry - age.expireWarnDays * DAY <= now &&
      now < expiry,
  }
}

export const modelNextStep = (f: EvaluationFacts): NextStep =>
  f.mfaRequired
    ? 'MFA_REQUIRED'
    : f.passwordExpired
      ? 'PASSWORD_EXPIRED'
      : f.enrollmentRequired
        ? 'MFA_ENROLL'
        : f.passwordWarn
          ? 'PASSWORD_WARN'
          : 'SUCCESS'

export const modelMeets = (p: PasswordPolicy, c: PasswordCandidate): boolean => {
  const x = p.complexity
  if (c.length < x.minLength || c.lowerCase < x.minLowerCase || c.upperCase < x.minUpperCase) return false
  if (c.numbers < x.minNumber || c.symbols < x.minSymbol) return false
  if (x.excludeUsername && c.containsUsernamePart) return false
  if (x.excludeAttributes.includes('firstName') && c.containsFirstName) return false
  if (x.excludeAttributes.includes('lastName') && c.containsLastName) return false
  return !(p.age.historyCount > 0 && c.reusesHistory)
}

const fail = (code: AuthnFailure['code'], causes: ReadonlyArray<string> = []): AuthnFailure => ({ code, causes })

type NewPassword = Extract<AuthnEvent, { type: 'password.change' | 'password.reset' }>

/** A factor answer that was not accepted: a replayed code, a failure that locked, or a mismatch. */
const factorFail = (e: Extract<AuthnEvent, { type: 'factor.activate' | 'factor.verify' }>): AuthnFailure => {
  if (e.outcome === 'replayed') return fail('E0000082')
  if (e.type === 'factor.verify' && e.lockedAfter) return fail('E0000069')
  if (e.type === 'factor.verify' && e.challenge !== undefined) return fail('E0000068', [CAUSES.nextCode])
  return fail('E0000068', [e.type === 'factor.verify' && e.answerKind === 'answer' ? CAUSES.answerMismatch : CAUSES.passcodeMismatch])
}

export const model = (state: MachineState, c: AuthnContext, e: AuthnEvent): Expected => {
  const same = (failure: AuthnFailure): Expected => ({ state, context: c, effects: [], failure, changed: false })
  if (FINISHED.includes(state) || e.now >= c.expiresAt) return same(fail('E0000011'))
  const notAllowed = same(fail('E0000079', [CAUSES.notAllowedInState]))
  const touched: AuthnContext = { ...c, expiresAt: Math.min(e.now + c.lifetimeMs, c.absoluteExpiresAt) }
  const to = (
    next: MachineState,
    context: AuthnContext,
    effects: ReadonlyArray<AuthnEffect> = [],
    failure: AuthnFailure | null = null,
  ): Expected => ({ state: next, context, effects, failure, changed: true })
  const userId = c.userId

  /** Spec §10.1: each completed step re-enters the evaluation order. */
  const route = (update: Partial<Progress>, base: AuthnContext, effects: ReadonlyArray<AuthnEffect>): Expected => {
    const progress = { ...c.progress, ...update }
    const step = modelNextStep(modelFacts({ ...c, factors: base.factors }, progress, e.now))
    const context = { ...base, progress }
    if (step !== 'SUCCESS') return to(step, context, effects)
    const hash = (e as Extract<AuthnEvent, { sessionTokenHash: unknown }>).sessionTokenHash
    const sessionExpiresAt = e.now + c.sessionLifetimeMs
    // A step-up's SUCCESS issues the one-time token of its `original` link instead of a session token.
    const kind = c.stepUp === undefined || c.stepUp === null ? ('session' as const) : ('stepup' as const)
    return to('SUCCESS', { ...context, sessionTokenHash: hash, sessionExpiresAt }, [
      ...effects,
      { type: 'issueSessionToken', params: { userId, tokenHash: hash, expiresAt: sessionExpiresAt, kind } },
    ])
  }

  const newPassword = (ev: NewPassword, minimumAge: boolean, extra: ReadonlyArray<AuthnEffect>): Expected => {
    const p = c.policy.password
    if (ev.type === 'password.change' && !ev.oldPasswordValid)
      return to(state, touched, [], fail('E0000014', [CAUSES.oldPasswordIncorrect]))
    const changedAt = c.user.passwordChangedAt
    if (minimumAge && p.age.minAgeMinutes > 0 && changedAt !== null && ev.now < changedAt + p.age.minAgeMinutes * MINUTE)
      return to(state, touched, [], fail('E0000080', [`Password cannot be changed more than once every ${p.age.minAgeMinutes} minutes.`]))
    if (ev.newPasswordHash === null || !modelMeets(p, ev.candidate))
      return to(state, touched, [], fail('E0000080', [describeComplexity(p)]))
    const effects: AuthnEffect[] = [
      {
        type: 'setPassword',
        params: { userId, passwordHash: ev.newPasswordHash, changedAt: ev.now, historyCount: p.age.historyCount },
      },
    ]
    if (ev.revokeSessions) effects.push({ type: 'revokeOtherSessions', params: { userId } })
    effects.push(...extra)
    const base: AuthnContext = {
      ...touched,
      user: { ...c.user, passwordChangedAt: ev.now },
      hasPassword: true,
      adminExpired: false,
    }
    return route({ passwordChanged: true }, base, effects)
  }

  const activation: ReadonlyArray<AuthnEffect> = c.flow === 'ACTIVATION' ? [{ type: 'activateUser', params: { userId } }] : []

  // Sent codes (docs/adr/0010-sent-codes.md): one family's codes at most every `resendAfter`;
  // a wrong answer uses an attempt of the open code, an accepted one uses it up.
  const sentByEvent = e.type === 'factor.challenge' ? e.sent : e.type === 'factor.enroll' ? (e.sent ?? null) : null
  const last = c.sent ?? null
  // Per factor type: a code of another type in between does not end a type's throttle.
  const throttled = sentByEvent !== null && e.now < (c.resendAfter?.[sentByEvent.factorType] ?? -Infinity)
  const sendEffect = (purpose: 'mfa-activation' | 'mfa-challenge'): ReadonlyArray<AuthnEffect> =>
    sentByEvent === null ? [] : [{ type: 'sendCode', params: { userId, factorId: sentByEvent.factorId, purpose } }]
  const withSent = (base: AuthnContext): AuthnContext =>
    sentByEvent === null ? base : { ...base, sent: sentByEvent, resendAfter: { ...c.resendAfter, [sentByEvent.factorType]: sentByEvent.resendAfter } }
  const answered = (left: (n: number) => number): SentCode | null =>
    last !== null && (e.type === 'factor.activate' || e.type === 'factor.verify') && e.factorId === last.factorId ? { ...last, attemptsLeft: left(last.attemptsLeft) } : last
  const lockout = c.policy.password.lockout

  if (state === 'UNAUTHENTICATED') {
    if (e.type === 'primary.verified') {
      if (c.lockedOut && lockout.showLockoutFailures) return to('LOCKED_OUT', c)
      const appDeny = c.stepUp !== undefined && c.stepUp !== null && c.stepUp.signOn.access === 'DENY'
      if (c.lockedOut || c.policy.signOn.access === 'DENY' || appDeny) return to('FAILED', c, [], fail('E0000004'))
      // A step-up opened for a session verified no credential: the failure counter stays.
      const reset: ReadonlyArray<AuthnEffect> = c.flow === 'SESSION' ? [] : [{ type: 'resetFailedAttempts', params: { userId } }]
      if (c.flow === 'ACTIVATION' && !c.hasPassword)
        return to('PASSWORD_RESET', { ...touched, recoveryType: 'ACCOUNT_ACTIVATION' }, reset)
      return route({}, touched, [...reset, ...activation])
    }
    if (e.type === 'primary.rejected') {
      if (c.lockedOut && lockout.showLockoutFailures) return to('LOCKED_OUT', c)
      if (c.lockedOut) return to('FAILED', c, [], fail('E0000004'))
      // The shell recorded the failure before deciding; the event says whether that locked.
      if (e.lockedAfter && lockout.showLockoutFailures) return to('LOCKED_OUT', c)
      return to('FAILED', c, [], fail('E0000004'))
    }
    return notAllowed
  }

  // Every live state: read extends the expiry, cancel ends the transaction (spec §4.4, §4.21).
  if (e.type === 'transaction.read') return to(state, touched)
  if (e.type === 'transaction.cancel') return to('CANCELLED', c)
  switch (state) {
    case 'PASSWORD_WARN':
      if (e.type === 'password.change') return newPassword(e, true, [])
      if (e.type === 'transaction.skip') return route({ warnHandled: true }, touched, [])
      return notAllowed
    case 'PASSWORD_EXPIRED':
      return e.type === 'password.change' ? newPassword(e, false, []) : notAllowed
    case 'PASSWORD_RESET':
      return e.type === 'password.reset' ? newPassword(e, false, activation) : notAllowed
    case 'MFA_ENROLL': {
      if (e.type === 'factor.enroll') {
        if (throttled && sentByEvent !== null) return same(fail(sentByEvent.throttledCode))
        const enroll: AuthnEffect = { type: 'enrollFactor', params: { userId, factorId: e.factor.id } }
        // A third party's verification (Duo) starts with the enrollment; any other leaves no nonce.
        const started = e.nonce === undefined ? null : { factorId: e.factor.id, ...e.nonce }
        if (e.activation === 'required') return to('MFA_ENROLL_ACTIVATE', withSent({ ...touched, activating: e.factor, nonce: started }), [enroll, ...sendEffect('mfa-activation')])
        const factors = [...c.factors.filter((f) => f.id !== e.factor.id), { ...e.factor, status: 'ACTIVE' as const }]
        return route({ enrolledHere: true }, { ...touched, factors, activating: null }, [enroll])
      }
      if (e.type === 'transaction.skip') {
        const active = c.factors.filter((f) => f.status === 'ACTIVE')
        const requiredLeft =
          c.policy.enrollment.factors.some((r) => r.enroll === 'REQUIRED' && !active.some((f) => f.factorType === r.factorType && f.provider === r.provider)) ||
          ((c.policy.signOn.requireFactor || appAsksFactor(c)) && active.length === 0)
        return requiredLeft ? notAllowed : route({ enrollHandled: true }, touched, [])
      }
      return notAllowed
    }
    case 'MFA_ENROLL_ACTIVATE':
      if (e.type === 'transaction.previous') return to('MFA_ENROLL', { ...touched, activating: null, nonce: null })
      // A poll of a third party's activation (Duo) and the third party's response: for the factor being activated only.
      if (e.type === 'factor.nonce' || e.type === 'factor.confirm') {
        if (e.factorId !== c.activating?.id) return notAllowed
        return to(state, { ...touched, nonce: { factorId: e.factorId, ...e.nonce, ...(e.type === 'factor.confirm' ? { confirmed: true } : {}) } })
      }
      if (e.type === 'factor.activate') {
        const pending = c.activating
        if (pending === null || e.factorId !== pending.id) return notAllowed
        if (e.outcome !== 'accepted') return to(state, { ...touched, sent: answered((n) => Math.max(0, n - 1)) }, [], factorFail(e))
        const factors = [...c.factors.filter((f) => f.id !== pending.id), { ...pending, status: 'ACTIVE' as const }]
        const effects: AuthnEffect[] = [{ type: 'activateFactor', params: { userId, factorId: e.factorId } }]
        if (e.counter !== null) effects.push({ type: 'useFactor', params: { userId, factorId: e.factorId, counter: e.counter } })
        return route({ enrolledHere: true }, { ...touched, sent: answered(() => 0), nonce: null, factors, activating: null }, effects)
      }
      if (e.type === 'factor.challenge') {
        if (e.factorId !== c.activating?.id) return notAllowed
        if (throttled) return same(fail(e.sent.throttledCode))
        return to(state, withSent(touched), sendEffect('mfa-activation'))
      }
      return notAllowed
    case 'MFA_REQUIRED':
    case 'MFA_CHALLENGE':
      if (e.type === 'transaction.previous' && state === 'MFA_CHALLENGE') return to('MFA_REQUIRED', { ...touched, challenge: null, nonce: null })
      // A nonce for a factor that signs one (WebAuthn, U2F) opens, or replaces, the challenge.
      if (e.type === 'factor.nonce') return to('MFA_CHALLENGE', { ...touched, challenge: e.factorId, nonce: { factorId: e.factorId, ...e.nonce } })
      // The third party's response for the verification MFA_CHALLENGE started (Duo): the next poll verifies.
      if (e.type === 'factor.confirm' || e.type === 'factor.deny') {
        if (state !== 'MFA_CHALLENGE' || e.factorId !== c.challenge || c.nonce?.factorId !== e.factorId) return notAllowed
        return to(state, { ...touched, nonce: { factorId: e.factorId, ...e.nonce, ...(e.type === 'factor.confirm' ? { confirmed: true } : { denied: true }) } })
      }
      if (e.type === 'factor.challenge') {
        if (e.resend && e.factorId !== c.challenge) return notAllowed
        if (throttled) return same(fail(e.sent.throttledCode))
        return to('MFA_CHALLENGE', withSent({ ...touched, challenge: e.factorId }), sendEffect('mfa-challenge'))
      }
      if (e.type === 'factor.verify') {
        // A challenge by factor type (WebAuthn) is answered by any active factor of that type.
        const ofType = c.factors.some((f) => f.id === e.factorId && f.status === 'ACTIVE' && f.factorType === c.challenge)
        if (c.challenge !== null && e.factorId !== c.challenge && !ofType) return notAllowed
        // A server asking for the next code (RSA) leaves its state in the transaction for the next answer.
        const kept = e.challenge === undefined ? {} : { nonce: { factorId: e.factorId, ...e.challenge } }
        if (e.outcome !== 'accepted') return to(state, { ...touched, sent: answered((n) => Math.max(0, n - 1)), ...kept }, [], factorFail(e))
        const effects: AuthnEffect[] = [{ type: 'resetFailedAttempts', params: { userId } }]
        if (e.counter !== null) effects.push({ type: 'useFactor', params: { userId, factorId: e.factorId, counter: e.counter } })
        if (e.rememberDevice && c.deviceTokenHash !== null && c.policy.signOn.allowRememberDevice)
          effects.push({ type: 'rememberDevice', params: { userId, hash: c.deviceTokenHash, until: e.now + c.policy.signOn.rememberDeviceLifetimeInMinutes * MINUTE } })
        return route({ mfaVerified: true }, { ...touched, challenge: null, nonce: null, sent: answered(() => 0) }, effects)
      }
      return notAllowed
    default:
      return notAllowed
  }
}
