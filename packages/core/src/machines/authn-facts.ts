import type { EnrolledFactor } from '../model/user.js'
import type { EvaluationFacts } from '../policy/evaluation.js'
import { DAY, passwordExpiresAt } from '../policy/password-rules.js'
import type { AuthnContext, Progress } from './authn-context.js'
import { appRequiresFactor } from './step-up.js'

/**
 * Pure: the facts the evaluation order looks at, for a context with some progress applied and
 * its factors as they are after the event (`factors`, default the context's).
 */
export const evaluationFacts = (c: AuthnContext, progress: Progress, now: number, factors: ReadonlyArray<EnrolledFactor> = c.factors): EvaluationFacts => {
  const active = factors.filter((f) => f.status === 'ACTIVE')
  const enrolled = (e: { readonly factorType: string; readonly provider: string }) => active.some((f) => f.factorType === e.factorType && f.provider === e.provider)
  const expiresAt = passwordExpiresAt(c.policy.password, c.user.passwordChangedAt)
  const warnDays = c.policy.password.age.expireWarnDays
  const requiredMissing = c.policy.enrollment.factors.some((e) => e.enroll === 'REQUIRED' && !enrolled(e))
  // With `multiOptionalFactorEnroll`, a user who enrolled here is offered the optional factors left
  // until they skip (spec §3.2 MFA_ENROLL; ADR 0009).
  const optionalOffered =
    c.options.multiOptionalFactorEnroll &&
    progress.enrolledHere &&
    !progress.enrollHandled &&
    c.policy.enrollment.factors.some((e) => e.enroll === 'OPTIONAL' && !enrolled(e))
  // A step-up's app may ask for a factor on top of the org (a remembered device does not answer it).
  const appFactor = appRequiresFactor(c.stepUp)
  return {
    // A factor enrolled (and so proven) in this transaction, or a remembered device, needs no verification.
    mfaRequired:
      ((c.policy.signOn.requireFactor && !c.deviceRemembered) || appFactor) && active.length > 0 && !progress.mfaVerified && !progress.enrolledHere,
    passwordExpired: !progress.passwordChanged && (c.adminExpired || (expiresAt !== null && now >= expiresAt)),
    enrollmentRequired: requiredMissing || ((c.policy.signOn.requireFactor || appFactor) && active.length === 0) || optionalOffered,
    passwordWarn:
      c.options.warnBeforePasswordExpired &&
      !progress.passwordChanged &&
      !progress.warnHandled &&
      expiresAt !== null &&
      warnDays > 0 &&
      now >= expiresAt - warnDays * DAY &&
      now < expiresAt,
  }
}

/** Pure: whether the enrollment policy still REQUIRES a factor the user has not enrolled. */
export const requiredEnrollmentMissing = (c: AuthnContext): boolean =>
  c.policy.enrollment.factors.some(
    (e) => e.enroll === 'REQUIRED' && !c.factors.some((f) => f.status === 'ACTIVE' && f.factorType === e.factorType && f.provider === e.provider),
  ) ||
  ((c.policy.signOn.requireFactor || appRequiresFactor(c.stepUp)) && !c.factors.some((f) => f.status === 'ACTIVE'))
