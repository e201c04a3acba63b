import { assign, enqueueActions, setup } from 'xstate'
import { CAUSES, failure, type AuthnFailure } from '../errors/catalogue.js'
import type { FactorId, TokenHash, UserId } from '../model/ids.js'
import type { RecoveryEvent } from '../model/recovery-events.js'
import type { SentCode } from '../model/sent-code.js'
import { describeComplexity, isWithinMinimumAge, meetsPasswordPolicy, minimumAgeCause } from '../policy/password-rules.js'
import { failureOf, throttledFailure } from './failure-codes.js'
import { initialRecoveryContext, recoveryPolicyOf, type RecoveryContext, type RecoveryInput } from './recovery-context.js'

/**
 * What a recovery step writes besides its snapshot, in the same atomic write (ADR 0008). Nothing
 * is written for a decoy (`userId: null`): it never reaches a state that writes.
 */
export interface RecoveryEffects {
  /** The code of this step's event is delivered once the step is saved (the shell holds the message). */
  readonly sendCode: { readonly userId: UserId; readonly factorId: FactorId; readonly purpose: 'recovery-code' }
  /** Clears the lock and the failure counter through the guarded path; moves the credential epoch. */
  readonly unlockUser: { readonly userId: UserId }
  readonly setPassword: { readonly userId: UserId; readonly passwordHash: string; readonly changedAt: number; readonly historyCount: number }
  readonly revokeOtherSessions: { readonly userId: UserId }
  readonly issueSessionToken: { readonly userId: UserId; readonly tokenHash: TokenHash; readonly expiresAt: number }
}
export type RecoveryEffect = { [K in keyof RecoveryEffects]: { readonly type: K; readonly params: RecoveryEffects[K] } }[keyof RecoveryEffects]
export const RECOVERY_EFFECT_TYPES: ReadonlyArray<keyof RecoveryEffects> = ['sendCode', 'unlockUser', 'setPassword', 'revokeOtherSessions', 'issueSessionToken']

const EMPTY_INPUT_CONTEXT = undefined as unknown as RecoveryContext

type ResetEvent = Extract<RecoveryEvent, { type: 'password.reset' }>
type TokenEvent = Extract<RecoveryEvent, { sessionTokenHash: TokenHash }>

/** The user of a real transaction (a decoy never reaches an action that needs one). */
const userOf = (c: RecoveryContext): UserId => c.userId as UserId

const sentBy = (event: RecoveryEvent): SentCode | null => (event.type === 'recovery.challenge' ? event.sent : null)

/** Whether the channel proof leads to the recovery question (the policy asks for it and the user has one). */
const asksQuestion = (c: RecoveryContext): boolean => recoveryPolicyOf(c.policy).questionRequired && c.question !== null

/**
 * The recovery transaction (spec §4.12–4.18, §10.3): prove the channel (a code sent by SMS or
 * call, or a recovery token), answer the recovery question when the policy asks, then set a new
 * password (PASSWORD) or have the account unlocked (UNLOCK). State names are Okta's; the initial
 * `UNAUTHENTICATED` is never rendered, `FAILED` and `CANCELLED` are internal terminal states.
 * Pure: time and outcomes arrive in the events; the shell runs the returned effects.
 */
export const recoveryMachine = setup({
  types: {} as { context: RecoveryContext; events: RecoveryEvent; input: RecoveryInput },
  guards: {
    isDecoy: ({ context }) => context.userId === null,
    isUnlock: ({ context }) => context.recoveryType === 'UNLOCK',
    asksQuestion: ({ context }) => asksQuestion(context),
    notAccepted: ({ context, event }) =>
      context.userId === null || ((event.type === 'recovery.verify' || event.type === 'recovery.answer') && event.outcome !== 'accepted'),
    /** A wrong answer, and the last one the policy allows. */
    lastWrongAnswer: ({ context, event }) =>
      event.type === 'recovery.answer' && event.outcome !== 'accepted' && context.wrongAnswers + 1 >= recoveryPolicyOf(context.policy).maxAnswerAttempts,
    sendThrottled: ({ context, event }) => {
      const sent = sentBy(event)
      return sent !== null && event.now < (context.resendAfter[sent.factorType] ?? Number.NEGATIVE_INFINITY)
    },
    isWithinMinimumAge: ({ context, event }) => isWithinMinimumAge(context.policy.password, context.user.passwordChangedAt, event.now),
    isNewPasswordRefused: ({ context, event }) =>
      event.type === 'password.reset' && (event.newPasswordHash === null || !meetsPasswordPolicy(context.policy.password, event.candidate)),
  },
  actions: {
    touch: assign({ expiresAt: ({ context, event }) => Math.min(event.now + context.lifetimeMs, context.absoluteExpiresAt) }),
    proveChannel: assign({ channelVerified: true }),
    /** The code becomes the open one; it is delivered (to a real user only) once the step is saved. */
    sendEventCode: enqueueActions(({ context, event, enqueue }) => {
      const sent = sentBy(event)
      if (sent === null) return
      enqueue.assign({ sent, resendAfter: { ...context.resendAfter, [sent.factorType]: sent.resendAfter } })
      if (context.userId !== null) enqueue({ type: 'sendCode', params: { userId: context.userId, factorId: sent.factorId, purpose: 'recovery-code' } } as never)
    }),
    spendSentAttempt: assign({ sent: ({ context }) => (context.sent === null ? null : { ...context.sent, attemptsLeft: Math.max(0, context.sent.attemptsLeft - 1) }) }),
    useSentCode: assign({ sent: ({ context }) => (context.sent === null ? null : { ...context.sent, attemptsLeft: 0 }) }),
    countWrongAnswer: assign({ wrongAnswers: ({ context }) => context.wrongAnswers + 1 }),
    // Failures whose code is decided here, from the event or the context (failure-codes.ts lists their codes).
    failThrottled: enqueueActions(({ event, enqueue }) => {
      enqueue({ type: 'fail', params: throttledFailure(sentBy(event)) } as never)
    }),
    failMinimumAge: enqueueActions(({ context, enqueue }) => {
      enqueue({ type: 'fail', params: failureOf('failMinimumAge', 'E0000080', [minimumAgeCause(context.policy.password)]) } as never)
    }),
    failPasswordPolicy: enqueueActions(({ context, enqueue }) => {
      enqueue({ type: 'fail', params: failureOf('failPasswordPolicy', 'E0000080', [describeComplexity(context.policy.password)]) } as never)
    }),
    unlock: enqueueActions(({ context, enqueue }) => {
      enqueue({ type: 'unlockUser', params: { userId: userOf(context) } } as never)
    }),
    setNewPassword: enqueueActions(({ context, event, enqueue }) => {
      const e = event as ResetEvent
      enqueue({
        type: 'setPassword',
        params: { userId: userOf(context), passwordHash: e.newPasswordHash ?? '', changedAt: e.now, historyCount: context.policy.password.age.historyCount },
      } as never)
      enqueue.assign({ user: { ...context.user, passwordChangedAt: e.now } })
      if (e.revokeSessions) enqueue({ type: 'revokeOtherSessions', params: { userId: userOf(context) } } as never)
    }),
    issueSession: enqueueActions(({ context, event, enqueue }) => {
      const hash = (event as TokenEvent).sessionTokenHash
      const expiresAt = event.now + context.sessionLifetimeMs
      enqueue.assign({ sessionTokenHash: hash, sessionExpiresAt: expiresAt })
      enqueue({ type: 'issueSessionToken', params: { userId: userOf(context), tokenHash: hash, expiresAt } } as never)
    }),
    // Named results and effects; the shell performs them.
    fail: (_, _params: AuthnFailure) => {},
    sendCode: (_, _params: RecoveryEffects['sendCode']) => {},
    unlockUser: (_, _params: RecoveryEffects['unlockUser']) => {},
    setPassword: (_, _params: RecoveryEffects['setPassword']) => {},
    revokeOtherSessions: (_, _params: RecoveryEffects['revokeOtherSessions']) => {},
    issueSessionToken: (_, _params: RecoveryEffects['issueSessionToken']) => {},
  },
}).createMachine({
  id: 'recovery',
  initial: 'UNAUTHENTICATED',
  context: ({ input }) => (input === undefined ? EMPTY_INPUT_CONTEXT : initialRecoveryContext(input)),
  on: { '*': { actions: { type: 'fail', params: failure('E0000079', [CAUSES.notAllowedInState]) } } },
  states: {
    UNAUTHENTICATED: {
      on: {
        // Public SMS / CALL: a code goes to the user's phone (a decoy's goes nowhere).
        'recovery.challenge': { target: 'RECOVERY_CHALLENGE', actions: ['touch', 'sendEventCode'] },
        // A recovery token proves the channel by itself.
        'recovery.token': [
          { guard: 'isDecoy', target: 'FAILED', actions: { type: 'fail', params: failure('E0000011') } },
          ...afterProof(),
        ],
      },
    },
    RECOVERY_CHALLENGE: {
      on: {
        ...live(),
        'recovery.verify': [{ guard: 'notAccepted', actions: ['touch', 'spendSentAttempt', { type: 'fail', params: failure('E0000068', [CAUSES.tokenMismatch]) }] }, ...afterProof('useSentCode')],
        'recovery.challenge': [{ guard: 'sendThrottled', actions: 'failThrottled' }, { actions: ['touch', 'sendEventCode'] }],
      },
    },
    RECOVERY: {
      on: {
        ...live(),
        'recovery.answer': [
          decoyEnds(),
          // The last wrong answer the policy allows ends the transaction.
          { guard: 'lastWrongAnswer', target: 'FAILED', actions: { type: 'fail', params: failure('E0000087') } },
          { guard: 'notAccepted', actions: ['touch', 'countWrongAnswer', { type: 'fail', params: failure('E0000087') }] },
          { guard: 'isUnlock', target: 'SUCCESS', actions: ['touch', 'unlock'] },
          { target: 'PASSWORD_RESET', actions: 'touch' },
        ],
      },
    },
    PASSWORD_RESET: {
      on: {
        ...live(),
        'password.reset': [
          decoyEnds(),
          { guard: 'isWithinMinimumAge', actions: ['touch', 'failMinimumAge'] },
          { guard: 'isNewPasswordRefused', actions: ['touch', 'failPasswordPolicy'] },
          { target: 'SUCCESS', actions: ['touch', 'setNewPassword', 'unlock', 'issueSession'] },
        ],
      },
    },
    SUCCESS: { type: 'final' },
    CANCELLED: { type: 'final' },
    FAILED: { type: 'final' },
  },
})

export type RecoveryMachine = typeof recoveryMachine

/** A decoy never gets past its challenge; should one be found further on, it ends (defence in depth). */
function decoyEnds() {
  return { guard: 'isDecoy' as const, target: 'FAILED' as const, actions: { type: 'fail' as const, params: failure('E0000011') } }
}

function live() {
  return {
    'transaction.read': { actions: 'touch' as const },
    'transaction.cancel': { target: 'CANCELLED' as const },
  }
}

/**
 * Where a proven channel leads (spec §10.3): the recovery question when the policy asks and the
 * user has one; else a new password (PASSWORD) or the unlock (UNLOCK).
 */
function afterProof(extra?: 'useSentCode') {
  const base = ['touch' as const, 'proveChannel' as const, ...(extra === undefined ? [] : [extra])]
  return [
    { guard: 'asksQuestion' as const, target: 'RECOVERY' as const, actions: base },
    { guard: 'isUnlock' as const, target: 'SUCCESS' as const, actions: [...base, 'unlock' as const] },
    { target: 'PASSWORD_RESET' as const, actions: base },
  ]
}
