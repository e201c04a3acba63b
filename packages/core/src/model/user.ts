import * as t from 'io-ts'
import { FactorId, TokenHash, TransactionId, UserId } from './ids.js'
import { FactorProvider, FactorStatus, FactorType, UserStatus } from './status.js'

const nullable = <C extends t.Mixed>(c: C) => t.union([c, t.null])

export const UserProfile = t.exact(
  t.intersection([
    t.type({ login: t.string, firstName: t.string, lastName: t.string }),
    t.partial({ email: t.string, mobilePhone: t.string, locale: t.string, timeZone: t.string }),
  ]),
  'UserProfile',
)
export type UserProfile = t.TypeOf<typeof UserProfile>

export const RecoveryQuestion = t.type({ question: t.string, answerHash: t.string }, 'RecoveryQuestion')
export type RecoveryQuestion = t.TypeOf<typeof RecoveryQuestion>

export const UserCredentials = t.type(
  {
    /** PHC string of the current password, or null for a user created without one. */
    passwordHash: nullable(t.string),
    passwordChangedAt: nullable(t.number),
    /** PHC strings of earlier passwords, newest first (the current one is not repeated here). */
    passwordHistory: t.readonlyArray(t.string),
    recoveryQuestion: nullable(RecoveryQuestion),
  },
  'UserCredentials',
)
export type UserCredentials = t.TypeOf<typeof UserCredentials>

export const EnrolledFactor = t.exact(
  t.type({
    id: FactorId,
    factorType: FactorType,
    provider: FactorProvider,
    status: FactorStatus,
    profile: t.record(t.string, t.unknown),
  }),
  'EnrolledFactor',
)
export type EnrolledFactor = t.TypeOf<typeof EnrolledFactor>

/** The stored user record. `schemaVersion` moves when the shape does. */
export const UserRecord = t.exact(
  t.type({
    schemaVersion: t.literal(1),
    id: UserId,
    status: UserStatus,
    profile: UserProfile,
    credentials: UserCredentials,
    /** Consecutive failed primary authentications since the last success or unlock. */
    failedAttempts: t.number,
    /** When the account was locked (epoch ms), or null when it is not locked. */
    lockedAt: nullable(t.number),
    /** Hash of the outstanding activation token (STAGED / PROVISIONED users). */
    activationTokenHash: nullable(TokenHash),
    /** The transaction that holds the activation token while it lives (single use; ADR 0008). */
    activationClaim: nullable(TransactionId),
    /**
     * Moves on every credential change (lock, unlock, suspend, deactivate, password change or
     * reset, activation): a transaction started under another epoch is dead (ADR 0008).
     */
    credentialEpoch: t.number,
    /**
     * Devices the user asked to remember after a verified factor (hashes of trusted callers'
     * device tokens) and until when: MFA is not asked again from them (spec §6.6).
     */
    rememberedDevices: t.readonlyArray(t.type({ hash: TokenHash, until: t.number })),
  }),
  'UserRecord',
)
export type UserRecord = t.TypeOf<typeof UserRecord>
