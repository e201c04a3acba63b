/**
 * The evaluation order after each completed step (spec §10.1), as pure functions of data:
 * MFA required → password expired → enrollment required → password warn → SUCCESS.
 */
export type NextStep = 'MFA_REQUIRED' | 'PASSWORD_EXPIRED' | 'MFA_ENROLL' | 'PASSWORD_WARN' | 'SUCCESS'

export interface EvaluationFacts {
  /** The sign-on policy requires a factor, the user has an active one, and none was verified yet. */
  readonly mfaRequired: boolean
  /** The password is expired (by policy age or by an administrator) and was not changed here. */
  readonly passwordExpired: boolean
  /** The enrollment policy has REQUIRED factors that the user has not enrolled. */
  readonly enrollmentRequired: boolean
  /** The client asked to be warned, the password is in its warn window, and the warning was not handled. */
  readonly passwordWarn: boolean
}

export const EVALUATION_ORDER: ReadonlyArray<readonly [NextStep, keyof EvaluationFacts | null]> = [
  ['MFA_REQUIRED', 'mfaRequired'],
  ['PASSWORD_EXPIRED', 'passwordExpired'],
  ['MFA_ENROLL', 'enrollmentRequired'],
  ['PASSWORD_WARN', 'passwordWarn'],
  ['SUCCESS', null],
]

export const nextStep = (facts: EvaluationFacts): NextStep => {
  for (const [step, fact] of EVALUATION_ORDER) if (fact === null || facts[fact]) return step
  return 'SUCCESS'
}
