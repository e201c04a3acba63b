import * as t from 'io-ts'
import { EnrollmentRequirement, FactorProvider, FactorType } from './status.js'

const NonNegativeInt = t.refinement(t.number, (n) => Number.isSafeInteger(n) && n >= 0, 'NonNegativeInt')

export const PasswordComplexity = t.type(
  {
    minLength: NonNegativeInt,
    minLowerCase: NonNegativeInt,
    minUpperCase: NonNegativeInt,
    minNumber: NonNegativeInt,
    minSymbol: NonNegativeInt,
    excludeUsername: t.boolean,
    excludeAttributes: t.readonlyArray(t.keyof({ firstName: null, lastName: null })),
  },
  'PasswordComplexity',
)
export type PasswordComplexity = t.TypeOf<typeof PasswordComplexity>

export const PasswordAge = t.type(
  {
    /** Days after which a password expires; 0 = never. */
    maxAgeDays: NonNegativeInt,
    /** Days before expiry in which PASSWORD_WARN may be shown; 0 = never warn. */
    expireWarnDays: NonNegativeInt,
    /** Minutes a password must be kept before it may be changed again; 0 = no minimum. */
    minAgeMinutes: NonNegativeInt,
    /** How many earlier passwords (including the current one) may not be reused; 0 = none. */
    historyCount: NonNegativeInt,
  },
  'PasswordAge',
)
export type PasswordAge = t.TypeOf<typeof PasswordAge>

export const LockoutPolicy = t.type(
  {
    /** Failed primary authentications that lock the account; 0 = never lock. */
    maxAttempts: NonNegativeInt,
    /** Minutes after which a locked account unlocks by itself; 0 = only an unlock does. */
    autoUnlockMinutes: NonNegativeInt,
    /** Answer LOCKED_OUT instead of the indistinguishable 401 E0000004. */
    showLockoutFailures: t.boolean,
  },
  'LockoutPolicy',
)
export type LockoutPolicy = t.TypeOf<typeof LockoutPolicy>

export const PasswordPolicy = t.type(
  { complexity: PasswordComplexity, age: PasswordAge, lockout: LockoutPolicy },
  'PasswordPolicy',
)
export type PasswordPolicy = t.TypeOf<typeof PasswordPolicy>

export const SignOnPolicy = t.type(
  {
    access: t.keyof({ ALLOW: null, DENY: null }),
    /** Verify an active factor after the password. */
    requireFactor: t.boolean,
    allowRememberDevice: t.boolean,
    rememberDeviceByDefault: t.boolean,
    rememberDeviceLifetimeInMinutes: NonNegativeInt,
  },
  'SignOnPolicy',
)
export type SignOnPolicy = t.TypeOf<typeof SignOnPolicy>

export const EnrollableFactor = t.type(
  { factorType: FactorType, provider: FactorProvider, enroll: EnrollmentRequirement },
  'EnrollableFactor',
)
export type EnrollableFactor = t.TypeOf<typeof EnrollableFactor>

export const EnrollmentPolicy = t.type({ factors: t.readonlyArray(EnrollableFactor) }, 'EnrollmentPolicy')
export type EnrollmentPolicy = t.TypeOf<typeof EnrollmentPolicy>

const PositiveInt = t.refinement(t.number, (n) => Number.isSafeInteger(n) && n > 0, 'PositiveInt')

/** One-time codes sent by SMS, voice call or email (docs/adr/0010-sent-codes.md). */
export const SentCodePolicy = t.type(
  {
    /** Minutes a sent code is accepted. Default 5. */
    lifetimeMinutes: PositiveInt,
    /** Wrong answers one sent code allows before it is used up (each also counts toward lockout). Default 5. */
    maxAttempts: PositiveInt,
  },
  'SentCodePolicy',
)
export type SentCodePolicy = t.TypeOf<typeof SentCodePolicy>
export const DEFAULT_SENT_CODE_POLICY: SentCodePolicy = { lifetimeMinutes: 5, maxAttempts: 5 }

/** Self-service recovery (spec §4.12–4.18): which channels prove the user, and what follows. */
export const RecoveryPolicy = t.type(
  {
    /** The channels a recovery may start by (`factorType` EMAIL, SMS, CALL). */
    channels: t.type({ email: t.boolean, sms: t.boolean, call: t.boolean }),
    /** Minutes a recovery token (the email link, or a trusted caller's) works. Default 60. */
    recoveryTokenLifetimeMinutes: PositiveInt,
    /** Forgot password is offered. Default on. */
    selfServicePasswordReset: t.boolean,
    /** Unlock account is offered. Default off (Okta's default). */
    selfServiceUnlock: t.boolean,
    /** After the channel, the user's recovery question must be answered (when the user has one). Default on. */
    questionRequired: t.boolean,
    /** Wrong answers to the recovery question that end the transaction. Default 5. */
    maxAnswerAttempts: PositiveInt,
  },
  'RecoveryPolicy',
)
export type RecoveryPolicy = t.TypeOf<typeof RecoveryPolicy>
export const DEFAULT_RECOVERY_POLICY: RecoveryPolicy = {
  channels: { email: true, sms: false, call: false },
  recoveryTokenLifetimeMinutes: 60,
  selfServicePasswordReset: true,
  selfServiceUnlock: false,
  questionRequired: true,
  maxAnswerAttempts: 5,
}

/** Every policy that shapes one transaction, as evaluated for a user and request context. */
export const Policies = t.intersection(
  [
    t.type({ password: PasswordPolicy, signOn: SignOnPolicy, enrollment: EnrollmentPolicy }),
    t.partial({ sentCode: SentCodePolicy, recovery: RecoveryPolicy }),
  ],
  'Policies',
)
export type Policies = t.TypeOf<typeof Policies>

/** A reasonable default, close to Okta's out-of-the-box password policy. */
export const DEFAULT_POLICIES: Policies = {
  password: {
    complexity: {
      minLength: 8,
      minLowerCase: 1,
      minUpperCase: 1,
      minNumber: 1,
      minSymbol: 0,
      excludeUsername: true,
      excludeAttributes: [],
    },
    age: { maxAgeDays: 0, expireWarnDays: 0, minAgeMinutes: 0, historyCount: 4 },
    lockout: { maxAttempts: 10, autoUnlockMinutes: 0, showLockoutFailures: false },
  },
  signOn: {
    access: 'ALLOW',
    requireFactor: false,
    allowRememberDevice: false,
    rememberDeviceByDefault: false,
    rememberDeviceLifetimeInMinutes: 0,
  },
  enrollment: { factors: [] },
}
