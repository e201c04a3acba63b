import * as t from 'io-ts'
import { UserId, type EpochMs } from '../model/ids.js'
import { DEFAULT_RECOVERY_POLICY, Policies, type RecoveryPolicy } from '../model/policy.js'
import { SentCode } from '../model/sent-code.js'
import type { UserRecord } from '../model/user.js'
import { LifetimeProps, UserSummary, lifetimesOf, userSummaryOf } from './authn-context.js'

const nullable = <C extends t.Mixed>(c: C) => t.union([c, t.null])

/** What a recovery recovers: the password (forgot password) or the account (unlock). */
export const RecoveryKind = t.keyof({ PASSWORD: null, UNLOCK: null }, 'RecoveryKind')
export type RecoveryKind = t.TypeOf<typeof RecoveryKind>

/** The channel that proves the user: a code by SMS or voice call in this transaction, or a recovery token (email link, trusted caller). */
export const RecoveryChannel = t.keyof({ EMAIL: null, SMS: null, CALL: null }, 'RecoveryChannel')
export type RecoveryChannel = t.TypeOf<typeof RecoveryChannel>

/**
 * The recovery machine's context, stored as is inside the transaction record (docs/adr/0012-recovery.md).
 * `userId: null` is a decoy: a public recovery for an unknown user, or one whose recovery the
 * policy does not allow, looks and costs the same as a real one and can never succeed.
 */
export const RecoveryContext = t.type(
  {
    userId: nullable(UserId),
    /** Shown once the channel is proven (empty for a decoy, which never gets there). */
    user: UserSummary,
    recoveryType: RecoveryKind,
    /** How the transaction began: a code by SMS or call, or a recovery token (null). */
    factorType: nullable(t.keyof({ SMS: null, CALL: null })),
    policy: Policies,
    /** The text of the user's recovery question, or null when the user has none. */
    question: nullable(t.string),
    /** The channel is proven: the sent code was entered, or the transaction began with a recovery token. */
    channelVerified: t.boolean,
    /** Wrong answers to the recovery question so far. */
    wrongAnswers: t.number,
    /** The last code sent (its MAC only), and each channel's resend throttle (docs/adr/0010-sent-codes.md). */
    sent: nullable(SentCode),
    resendAfter: t.record(t.string, t.number),
    ...LifetimeProps,
  },
  'RecoveryContext',
)
export type RecoveryContext = t.TypeOf<typeof RecoveryContext>

/** What the shell gathers before a recovery transaction starts. */
export interface RecoveryInput {
  /** The user, or null for a decoy (unknown user, or recovery not allowed for this user). */
  readonly user: UserRecord | null
  readonly recoveryType: RecoveryKind
  readonly factorType: 'SMS' | 'CALL' | null
  readonly policy: Policies
  /** The text of the user's recovery question (the store keeps the text), or null. */
  readonly question: string | null
  readonly relayState: string | null
  readonly now: EpochMs
  readonly lifetimeMs: number
  readonly maxLifetimeMs: number
  readonly sessionLifetimeMs: number
}

/** The recovery policy in force: the policy source's, or the default. */
export const recoveryPolicyOf = (p: Policies): RecoveryPolicy => p.recovery ?? DEFAULT_RECOVERY_POLICY

export const initialRecoveryContext = (input: RecoveryInput): RecoveryContext => ({
  userId: input.user?.id ?? null,
  user:
    input.user === null
      ? { login: '', firstName: '', lastName: '', locale: null, timeZone: null, passwordChangedAt: null }
      : userSummaryOf(input.user),
  recoveryType: input.recoveryType,
  factorType: input.factorType,
  policy: input.policy,
  question: input.question,
  channelVerified: false,
  wrongAnswers: 0,
  sent: null,
  resendAfter: {},
  ...lifetimesOf(input),
})
