import * as t from 'io-ts'
import { FactorId, TokenHash, UserId } from '../model/ids.js'
import { Policies } from '../model/policy.js'
import { RecoveryType } from '../model/status.js'
import { SentCode } from '../model/sent-code.js'
import { EnrolledFactor, type UserRecord } from '../model/user.js'
import type { EpochMs } from '../model/ids.js'
import { StepUpContext } from './step-up.js'

const nullable = <C extends t.Mixed>(c: C) => t.union([c, t.null])

export const AuthnOptions = t.type(
  { warnBeforePasswordExpired: t.boolean, multiOptionalFactorEnroll: t.boolean },
  'AuthnOptions',
)
export type AuthnOptions = t.TypeOf<typeof AuthnOptions>

/** What the rendered `_embedded.user` shows; copied when the transaction starts. */
export const UserSummary = t.type(
  {
    login: t.string,
    firstName: t.string,
    lastName: t.string,
    locale: nullable(t.string),
    timeZone: nullable(t.string),
    passwordChangedAt: nullable(t.number),
  },
  'UserSummary',
)
export type UserSummary = t.TypeOf<typeof UserSummary>

export const Progress = t.type(
  {
    /** A factor was verified in this transaction (MFA_REQUIRED satisfied). */
    mfaVerified: t.boolean,
    /** The password was changed or set in this transaction (it is neither expired nor due). */
    passwordChanged: t.boolean,
    /** PASSWORD_WARN was skipped. */
    warnHandled: t.boolean,
    /** A factor was enrolled in this transaction (multi-optional enrollment offers more). */
    enrolledHere: t.boolean,
    /** MFA_ENROLL was skipped (nothing required was left). */
    enrollHandled: t.boolean,
  },
  'Progress',
)
export type Progress = t.TypeOf<typeof Progress>

/** What every flow's context keeps of its relay state, state token and session token (`lifetimesOf`). */
export const LifetimeProps = {
  relayState: nullable(t.string),
  /** Sliding lifetime of the state token, and its current expiry. */
  lifetimeMs: t.number,
  expiresAt: t.number,
  /** The cap on sliding: the state token never lives past this (epoch ms). */
  absoluteExpiresAt: t.number,
  /** Lifetime of a session token, and the hash and expiry of the one issued on SUCCESS. */
  sessionLifetimeMs: t.number,
  sessionTokenHash: nullable(TokenHash),
  sessionExpiresAt: nullable(t.number),
}

/** The authentication machine's context, stored as is inside the transaction record. */
const AuthnContextRequired = t.type(
  {
    userId: UserId,
    user: UserSummary,
    /**
     * How the transaction began: a password, an activation token, or (a step-up an embedding server
     * opened for a user whose session it knows) that session.
     */
    flow: t.keyof({ PASSWORD: null, ACTIVATION: null, SESSION: null }),
    policy: Policies,
    options: AuthnOptions,
    /** Facts about the user, read when the transaction started. */
    hasPassword: t.boolean,
    adminExpired: t.boolean,
    lockedOut: t.boolean,
    failedAttempts: t.number,
    /** The user's factors as clients see them (profiles masked), updated by enrollments here. */
    factors: t.readonlyArray(EnrolledFactor),
    /** The factor waiting for its activation in MFA_ENROLL_ACTIVATE. */
    activating: nullable(EnrolledFactor),
    /** The factor whose challenge is in progress in MFA_CHALLENGE. */
    challenge: nullable(FactorId),
    /** A trusted caller's device that the user asked to remember, unexpired: MFA is not required. */
    deviceRemembered: t.boolean,
    /** The hash of the trusted caller's device token at sign-in: the device a verification may remember. */
    deviceTokenHash: nullable(TokenHash),
    progress: Progress,
    recoveryType: nullable(RecoveryType),
    ...LifetimeProps,
  },
  'AuthnContext',
)

/**
 * The stored context. `sent` and `resendAfter` are optional in storage (absent: nothing sent), so
 * transactions saved before sent codes existed still load during a rolling upgrade.
 */
export const AuthnContext = t.intersection(
  [
    AuthnContextRequired,
    t.partial({
      sent: nullable(SentCode),
      /**
       * Per factor type (`sms`, `call`, `email`): no new code before this instant (that type's
       * resend throttle), whatever was sent for other types in between.
       */
      resendAfter: t.record(t.string, t.number),
      /**
       * The nonce issued for the factor challenged in MFA_CHALLENGE (WebAuthn, U2F), until it is
       * answered; or the verification started for a factor a third party verifies (Duo, also in
       * MFA_ENROLL_ACTIVATE), `confirmed` once its signed response was checked.
       */
      nonce: t.union([t.intersection([t.type({ factorId: FactorId, nonce: t.string, expiresAt: t.number }), t.partial({ confirmed: t.boolean, denied: t.boolean, reported: t.boolean })]), t.null]),
      /** The app of a step-up (spec §4.2, §4.3): its sign-on policy applies, and SUCCESS leads to it. */
      stepUp: t.union([StepUpContext, t.null]),
    }),
  ],
  'AuthnContext',
)
export type AuthnContext = t.TypeOf<typeof AuthnContext>

/** What the shell gathers before a transaction starts. */
export interface AuthnInput {
  readonly user: UserRecord
  readonly flow: 'PASSWORD' | 'ACTIVATION' | 'SESSION'
  readonly policy: Policies
  readonly options: AuthnOptions
  readonly relayState: string | null
  readonly now: EpochMs
  readonly lifetimeMs: number
  /** Absolute cap on the state token's life, however often it slides. */
  readonly maxLifetimeMs: number
  readonly sessionLifetimeMs: number
  /** Whether the account is locked at `now` (auto-unlock already applied by the caller's lockout rule). */
  readonly lockedOut: boolean
  /** The factors as clients see them (the engine applies each factor's profile view). */
  readonly factors: ReadonlyArray<EnrolledFactor>
  /** The caller's device is remembered for this user and unexpired (remember device, spec §6.6). */
  readonly deviceRemembered: boolean
  /** The hash of a trusted caller's `context.deviceToken`, or null. */
  readonly deviceTokenHash: TokenHash | null
  /** The app of a step-up, or null (absent: null). */
  readonly stepUp?: StepUpContext | null
}

/** What `_embedded.user` shows of a user, copied when a transaction starts. */
export const userSummaryOf = (user: UserRecord): UserSummary => ({
  login: user.profile.login,
  firstName: user.profile.firstName,
  lastName: user.profile.lastName,
  locale: user.profile.locale ?? null,
  timeZone: user.profile.timeZone ?? null,
  passwordChangedAt: user.credentials.passwordChangedAt,
})

/** The times every transaction starts with (any flow): a sliding state token under a cap, no session token yet. */
export const lifetimesOf = (input: {
  readonly relayState: string | null
  readonly now: EpochMs
  readonly lifetimeMs: number
  readonly maxLifetimeMs: number
  readonly sessionLifetimeMs: number
}) => ({
  relayState: input.relayState,
  lifetimeMs: input.lifetimeMs,
  expiresAt: Math.min(input.now + input.lifetimeMs, input.now + input.maxLifetimeMs),
  absoluteExpiresAt: input.now + input.maxLifetimeMs,
  sessionLifetimeMs: input.sessionLifetimeMs,
  sessionTokenHash: null,
  sessionExpiresAt: null,
})

export const initialContext = (input: AuthnInput): AuthnContext => ({
  userId: input.user.id,
  user: userSummaryOf(input.user),
  flow: input.flow,
  policy: input.policy,
  options: input.options,
  hasPassword: input.user.credentials.passwordHash !== null,
  adminExpired: input.user.status === 'PASSWORD_EXPIRED',
  lockedOut: input.lockedOut,
  failedAttempts: input.user.failedAttempts,
  factors: input.factors,
  activating: null,
  challenge: null,
  sent: null,
  deviceRemembered: input.deviceRemembered,
  deviceTokenHash: input.deviceTokenHash,
  progress: { mfaVerified: false, passwordChanged: false, warnHandled: false, enrolledHere: false, enrollHandled: false },
  recoveryType: null,
  ...(input.stepUp === undefined || input.stepUp === null ? {} : { stepUp: input.stepUp }),
  ...lifetimesOf(input),
})
