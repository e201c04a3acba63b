import type { RecoveryContext, RecoveryKind } from '../machines/recovery-context.js'
import type { MachineState } from '../model/status.js'
import { iso, post, renderPasswordPolicy, renderUser, type ResponseSecrets, type TransactionJson } from './render.js'

/** The channel as the wire names it: `SMS`, and `call` in lower case as Okta's examples show it (spec §3.3, §11.7). */
const wireFactorType = (f: 'SMS' | 'CALL'): string => (f === 'SMS' ? 'SMS' : 'call')

/** `_embedded.user` of RECOVERY: the user and the recovery question to answer (spec §4.14, §4.16). */
const userWithQuestion = (c: RecoveryContext) => ({
  ...renderUser(c),
  ...(c.question === null ? {} : { recovery_question: { question: c.question } }),
})

/**
 * Pure: the Okta recovery transaction JSON for a stored state (spec §5.2, §3.2). A decoy (unknown
 * user) renders exactly as a real transaction while it waits for its code, and never gets further.
 */
export const renderRecovery = (state: MachineState, c: RecoveryContext, secrets: ResponseSecrets, baseUrl: string, now: number): TransactionJson => {
  const base = baseUrl.replace(/\/+$/, '')
  const cancel = post(base, '/cancel')
  const head = (status: string) => ({
    ...(secrets.stateToken === null ? {} : { stateToken: secrets.stateToken }),
    expiresAt: iso(c.expiresAt),
    status,
    ...(c.relayState === null ? {} : { relayState: c.relayState }),
  })
  switch (state) {
    case 'RECOVERY_CHALLENGE': {
      const segment = c.factorType ?? 'SMS'
      return {
        ...head(state),
        factorType: wireFactorType(segment),
        recoveryType: c.recoveryType,
        _links: {
          next: post(base, `/recovery/factors/${segment}/verify`, 'verify'),
          cancel,
          resend: post(base, `/recovery/factors/${segment}/resend`, segment === 'SMS' ? 'sms' : 'call'),
        },
      }
    }
    case 'RECOVERY':
      return {
        ...head(state),
        recoveryType: c.recoveryType,
        _embedded: { user: userWithQuestion(c) },
        _links: { next: post(base, '/recovery/answer', 'answer'), cancel },
      }
    case 'PASSWORD_RESET':
      return {
        ...head(state),
        recoveryType: c.recoveryType,
        _embedded: { user: renderUser(c), policy: renderPasswordPolicy(c, now, true) },
        // Named `resetPassword`, as okta-auth-js's recorded responses name it (its method is called after it).
        _links: { next: post(base, '/credentials/reset_password', 'resetPassword'), cancel },
      }
    case 'SUCCESS':
      return c.recoveryType === 'UNLOCK'
        ? { expiresAt: iso(c.expiresAt), status: 'SUCCESS', ...(c.relayState === null ? {} : { relayState: c.relayState }), recoveryType: 'UNLOCK', _embedded: { user: renderUser(c) } }
        : {
            expiresAt: iso(c.sessionExpiresAt ?? c.expiresAt),
            status: 'SUCCESS',
            ...(c.relayState === null ? {} : { relayState: c.relayState }),
            ...(secrets.sessionToken === null ? {} : { sessionToken: secrets.sessionToken }),
            _embedded: { user: renderUser(c) },
          }
    case 'CANCELLED':
      return { status: state, relayState: c.relayState ?? '' }
    default:
      return { status: state }
  }
}

/**
 * Pure: a public recovery by email (spec §4.12): the same bare body whether or not the user exists
 * or may recover; no state token, no links (the email carries a recovery token).
 */
export const renderEmailChallenge = (recoveryType: RecoveryKind, relayState: string | null): TransactionJson => ({
  status: 'RECOVERY_CHALLENGE',
  ...(relayState === null ? {} : { relayState }),
  factorResult: 'WAITING',
  factorType: 'EMAIL',
  recoveryType,
})

/**
 * Pure: a trusted caller's recovery without `factorType` (spec §4.12): the recovery token itself,
 * to be given to the user out of band; no state token.
 */
export const renderRecoveryTokenIssued = (
  user: Pick<RecoveryContext, 'userId' | 'user'>,
  recoveryType: RecoveryKind,
  recoveryToken: string,
  expiresAt: number,
  relayState: string | null,
  baseUrl: string,
): TransactionJson => {
  const base = baseUrl.replace(/\/+$/, '')
  return {
    expiresAt: iso(expiresAt),
    status: 'RECOVERY',
    ...(relayState === null ? {} : { relayState }),
    recoveryToken,
    recoveryType,
    _embedded: { user: renderUser(user) },
    _links: { next: post(base, '/recovery/token', 'recovery'), cancel: post(base, '/cancel') },
  }
}
