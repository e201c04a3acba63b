import type { LogEntry } from '../codecs/transaction-record.js'
import type { FactorType } from '../model/status.js'
import { auditReplay } from './audit-replay.js'

/**
 * What a session made from a transaction's session token says about how its user authenticated
 * (Okta's Sessions API: `amr`, `lastPasswordVerification`, `lastFactorVerification`, `mfaActive`),
 * read from the transaction's log: the password verified or set, and the factors verified or
 * activated, with the time of the last of each.
 */
export interface SessionFacts {
  /** Authentication method references, Okta's values: `pwd`, `mfa`, then one per kind of factor used. */
  readonly amr: ReadonlyArray<string>
  /** When the password was last verified or set in the transaction; null when it was not (a step-up for a session). */
  readonly passwordVerifiedAt: number | null
  /** When a factor was last verified or activated in the transaction; null without one. */
  readonly factorVerifiedAt: number | null
}

/**
 * The method reference of each factor type, as Okta's sessions report them: one-time passcodes
 * `otp`, SMS `sms`, voice call `tel`, email `email`, a security question `kba`, a hardware key
 * `hwk` (with `otp` for a YubiKey's passcode), an app on a device `swk`. Duo's verification is
 * reported as `mfa` only: what Duo checked is Duo's.
 */
export const FACTOR_AMR: Readonly<Record<FactorType, ReadonlyArray<string>>> = {
  'token:software:totp': ['otp'],
  'token:hotp': ['otp'],
  'token:hardware': ['hwk', 'otp'],
  token: ['otp'],
  sms: ['sms'],
  call: ['tel'],
  email: ['email'],
  question: ['kba'],
  push: ['swk'],
  webauthn: ['hwk'],
  u2f: ['hwk'],
  web: [],
}

/** The order Okta lists them in: the password first, then `mfa`, then the factors' references. */
const ORDER = ['pwd', 'mfa', 'otp', 'sms', 'tel', 'email', 'kba', 'hwk', 'swk']

/**
 * Pure: the session facts of a transaction's log (entries in version order). The log is replayed
 * through the core, so that only the events it accepted count (a refused password change, a wrong
 * code, are in the log too). A recovery's session (its password reset) reports the password only.
 */
export const sessionFactsOf = (log: ReadonlyArray<LogEntry>): SessionFacts => {
  const replay = auditReplay(log)
  const accepted = (i: number): boolean => replay.steps[i]?.failure === null
  const first = log[0]?.start ?? null
  if (replay.flow === 'recovery') {
    const last = log.length - 1
    const done = replay.steps[last]?.replayed === 'SUCCESS'
    const at = done ? (log[last]?.event.now ?? null) : null
    return { amr: at === null ? [] : ['pwd'], passwordVerifiedAt: at, factorVerifiedAt: null }
  }
  const flow = first !== null && 'flow' in first ? first.flow : null
  // A factor's type: from the transaction's start, or from its enrollment in the transaction.
  const typeOf = new Map<string, FactorType>()
  if (first !== null && 'factors' in first) for (const f of first.factors) typeOf.set(f.id, f.factorType)
  const methods = new Set<string>()
  let passwordVerifiedAt: number | null = null
  let factorVerifiedAt: number | null = null
  for (const [i, { event }] of log.entries()) {
    if (!accepted(i)) continue
    switch (event.type) {
      case 'primary.verified':
        // A step-up opened for a session (flow SESSION) verified no password; an activation token is no password either.
        if (flow === 'PASSWORD') passwordVerifiedAt = event.now
        break
      case 'password.change':
      case 'password.reset':
        passwordVerifiedAt = event.now
        break
      case 'factor.enroll':
        typeOf.set(event.factor.id, event.factor.factorType)
        // A factor that needs no activation (a question) was answered by its enrollment.
        if (event.activation === 'none') {
          factorVerifiedAt = event.now
          for (const m of FACTOR_AMR[event.factor.factorType]) methods.add(m)
          methods.add('mfa')
        }
        break
      case 'factor.activate':
      case 'factor.verify': {
        if (event.outcome !== 'accepted') break
        factorVerifiedAt = event.now
        const type = typeOf.get(event.factorId)
        if (type !== undefined) for (const m of FACTOR_AMR[type]) methods.add(m)
        methods.add('mfa')
        break
      }
      default:
        break
    }
  }
  if (passwordVerifiedAt !== null) methods.add('pwd')
  return { amr: ORDER.filter((m) => methods.has(m)), passwordVerifiedAt, factorVerifiedAt }
}
