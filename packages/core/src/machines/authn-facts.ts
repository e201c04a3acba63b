import type { EvaluationFacts } from '../policy/evaluation.js'
import { DAY, passwordExpiresAt } from '../policy/password-rules.js'
import type { AuthnContext, Progress } from './authn-context.js'

/** Pure: the facts the evaluation order looks at, for a context with some progress applied. */
export const evaluationFacts = (c: AuthnContext, progress: Progress, now: number): EvaluationFacts => {
  const active = c.factors.filter((f) => f.status === 'ACTIVE')
  const expiresAt = passwordExpiresAt(c.policy.password, c.user.passwordChangedAt)
  const warnDays = c.policy.password.age.expireWarnDays
  const requiredMissing = c.policy.enrollment.factors.some(
    (e) => e.enroll === 'REQUIRED' && !active.some((f) => f.factorType === e.factorType && f.provider === e.provider),
  )
  return {
    mfaRequired: c.policy.signOn.requireFactor && active.length > 0 && !progress.mfaVerified,
    passwordExpired: !progress.passwordChanged && (c.adminExpired || (expiresAt !== null && now >= expiresAt)),
    enrollmentRequired: requiredMissing || (c.policy.signOn.requireFactor && active.length === 0),
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
