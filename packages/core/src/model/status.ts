import * as t from 'io-ts'

const literals = <const A extends readonly [string, string, ...string[]]>(values: A, name: string) =>
  t.keyof(Object.fromEntries(values.map((v) => [v, null])) as { [K in A[number]]: null }, name)

/** The twelve documented transaction statuses, verbatim. */
export const AUTHN_STATUSES = [
  'UNAUTHENTICATED',
  'PASSWORD_WARN',
  'PASSWORD_EXPIRED',
  'PASSWORD_RESET',
  'LOCKED_OUT',
  'MFA_ENROLL',
  'MFA_ENROLL_ACTIVATE',
  'MFA_REQUIRED',
  'MFA_CHALLENGE',
  'RECOVERY',
  'RECOVERY_CHALLENGE',
  'SUCCESS',
] as const
export const AuthnStatus = literals(AUTHN_STATUSES, 'AuthnStatus')
export type AuthnStatus = t.TypeOf<typeof AuthnStatus>

/**
 * Machine states: the Okta statuses plus two internal terminal states that are never rendered:
 * `CANCELLED` (cancel revoked the state token) and `FAILED` (primary authentication failed; such a
 * transaction is never stored).
 */
export const MACHINE_STATES = [...AUTHN_STATUSES, 'CANCELLED', 'FAILED'] as const
export const MachineState = literals(MACHINE_STATES, 'MachineState')
export type MachineState = t.TypeOf<typeof MachineState>

export const RecoveryType = literals(['PASSWORD', 'UNLOCK', 'ACCOUNT_ACTIVATION'], 'RecoveryType')
export type RecoveryType = t.TypeOf<typeof RecoveryType>

export const UserStatus = literals(
  ['STAGED', 'PROVISIONED', 'ACTIVE', 'RECOVERY', 'PASSWORD_EXPIRED', 'LOCKED_OUT', 'SUSPENDED', 'DEPROVISIONED'],
  'UserStatus',
)
export type UserStatus = t.TypeOf<typeof UserStatus>

export const FactorType = literals(
  [
    'question',
    'sms',
    'call',
    'email',
    'push',
    'token',
    'token:hardware',
    'token:software:totp',
    'token:hotp',
    'web',
    'u2f',
    'webauthn',
  ],
  'FactorType',
)
export type FactorType = t.TypeOf<typeof FactorType>

export const FactorProvider = literals(
  ['OKTA', 'GOOGLE', 'RSA', 'SYMANTEC', 'YUBICO', 'DUO', 'FIDO', 'CUSTOM', 'DEL_OATH'],
  'FactorProvider',
)
export type FactorProvider = t.TypeOf<typeof FactorProvider>

export const FactorStatus = literals(
  ['NOT_SETUP', 'PENDING_ACTIVATION', 'ENROLLED', 'ACTIVE', 'INACTIVE', 'EXPIRED'],
  'FactorStatus',
)
export type FactorStatus = t.TypeOf<typeof FactorStatus>

export const FactorResult = literals(
  ['WAITING', 'CANCELLED', 'TIMEOUT', 'TIME_WINDOW_EXCEEDED', 'PASSCODE_REPLAYED', 'ERROR', 'REJECTED', 'CHALLENGE', 'SUCCESS', 'FAILED'],
  'FactorResult',
)
export type FactorResult = t.TypeOf<typeof FactorResult>

export const EnrollmentRequirement = literals(['REQUIRED', 'OPTIONAL', 'NOT_ALLOWED'], 'EnrollmentRequirement')
export type EnrollmentRequirement = t.TypeOf<typeof EnrollmentRequirement>
