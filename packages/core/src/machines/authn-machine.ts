import { assign, enqueueActions, setup } from 'xstate'
import { CAUSES, failure, type AuthnFailure } from '../errors/catalogue.js'
import type { FactorId, TokenHash, UserId } from '../model/ids.js'
import type { EnrolledFactor } from '../model/user.js'
import type { SentCode } from '../model/sent-code.js'
import type { AuthnEvent } from '../model/events.js'
import { EVALUATION_ORDER, nextStep, type NextStep } from '../policy/evaluation.js'
import {
  describeComplexity,
  isWithinMinimumAge,
  meetsPasswordPolicy,
  minimumAgeCause,
} from '../policy/password-rules.js'
import { initialContext, type AuthnContext, type AuthnInput, type Progress } from './authn-context.js'
import { evaluationFacts, requiredEnrollmentMissing } from './authn-facts.js'
import { failureOf, throttledFailure } from './failure-codes.js'
import { appDenies } from './step-up.js'

type Update = Partial<Progress>

/**
 * What a step writes besides its snapshot. The shell commits them in the same atomic write as the
 * snapshot (docs/adr/0008-credential-state.md). A failed attempt is not among them: the shell
 * records it before deciding, and the decision reads the state that recording produced
 * (`primary.rejected.lockedAfter`).
 */
export interface AuthnEffects {
  /** The success resets the failure counter, guarded: refused if the account is locked meanwhile. */
  readonly resetFailedAttempts: { readonly userId: UserId }
  /**
   * The one-time token of SUCCESS: a session token, or for a step-up the token of its `original`
   * link (`stepup`), redeemed once by following it.
   */
  readonly issueSessionToken: { readonly userId: UserId; readonly tokenHash: TokenHash; readonly expiresAt: number; readonly kind: 'session' | 'stepup' }
  readonly setPassword: {
    readonly userId: UserId
    readonly passwordHash: string
    readonly changedAt: number
    readonly historyCount: number
  }
  readonly activateUser: { readonly userId: UserId }
  readonly revokeOtherSessions: { readonly userId: UserId }
  /** The enrolled factor's row is written (the shell holds it, with its sealed secret). */
  readonly enrollFactor: { readonly userId: UserId; readonly factorId: FactorId }
  /** PENDING_ACTIVATION becomes ACTIVE. */
  readonly activateFactor: { readonly userId: UserId; readonly factorId: FactorId }
  /** The one-time position an accepted code used (guarded: a code is accepted once). */
  readonly useFactor: { readonly userId: UserId; readonly factorId: FactorId; readonly counter: number }
  /** The trusted caller's device is remembered for the policy's lifetime. */
  readonly rememberDevice: { readonly userId: UserId; readonly hash: TokenHash; readonly until: number }
  /** The code of this step's event is delivered, once the step is saved (the shell holds the message). */
  readonly sendCode: { readonly userId: UserId; readonly factorId: FactorId; readonly purpose: 'mfa-activation' | 'mfa-challenge' }
}
export type AuthnEffect = { [K in keyof AuthnEffects]: { readonly type: K; readonly params: AuthnEffects[K] } }[keyof AuthnEffects]
export const EFFECT_TYPES: ReadonlyArray<keyof AuthnEffects> = [
  'resetFailedAttempts',
  'issueSessionToken',
  'setPassword',
  'activateUser',
  'revokeOtherSessions',
  'enrollFactor',
  'activateFactor',
  'useFactor',
  'rememberDevice',
  'sendCode',
]

const EMPTY_INPUT_CONTEXT = undefined as unknown as AuthnContext

type NewPasswordEvent = Extract<AuthnEvent, { type: 'password.change' | 'password.reset' }>
type FactorEvent = Extract<AuthnEvent, { type: 'factor.activate' | 'factor.verify' }>

/** Pure: the context's factors once `event` is applied (an enrollment or an activation adds one). */
const factorsAfter = (c: AuthnContext, event: AuthnEvent): ReadonlyArray<EnrolledFactor> => {
  if (event.type === 'factor.enroll' && event.activation === 'none')
    return [...c.factors.filter((f) => f.id !== event.factor.id), { ...event.factor, status: 'ACTIVE' }]
  if (event.type === 'factor.activate' && event.outcome === 'accepted' && c.activating !== null)
    return [...c.factors.filter((f) => f.id !== c.activating?.id), { ...c.activating, status: 'ACTIVE' }]
  return c.factors
}

/**
 * Whether `factorId` is one of the factors a challenge by factor type covers (WebAuthn by type,
 * spec §4.10: the challenge names a factor type, and any of the user's factors of it may answer).
 */
const ofChallengedType = (c: AuthnContext, factorId: string): boolean =>
  c.challenge !== null && c.factors.some((f) => f.id === factorId && f.status === 'ACTIVE' && f.factorType === c.challenge)

/** The failure of a factor answer that was not accepted (its codes are listed in `RUNTIME_FAILURES.failFactor`). */
const factorFailure = (event: FactorEvent): AuthnFailure => {
  if (event.outcome === 'replayed') return failureOf('failFactor', 'E0000082')
  if (event.type === 'factor.verify' && event.lockedAfter) return failureOf('failFactor', 'E0000069')
  if (event.type === 'factor.verify' && event.challenge !== undefined) return failureOf('failFactor', 'E0000068', [CAUSES.nextCode])
  return failureOf('failFactor', 'E0000068', [event.type === 'factor.verify' && event.answerKind === 'answer' ? CAUSES.answerMismatch : CAUSES.passcodeMismatch])
}
type TokenEvent = Extract<AuthnEvent, { sessionTokenHash: TokenHash }>

/** The code an event sends: a challenge's, or an enrollment's that sends one. */
const sentBy = (event: AuthnEvent): SentCode | null =>
  event.type === 'factor.challenge' ? event.sent : event.type === 'factor.enroll' ? (event.sent ?? null) : null

/** The last code sent, with `attemptsLeft` changed when it is the answered factor's. */
const spendSent = (c: AuthnContext, event: AuthnEvent, attemptsLeft: (left: number) => number): SentCode | null => {
  const sent = c.sent ?? null
  if (sent === null || !((event.type === 'factor.activate' || event.type === 'factor.verify') && event.factorId === sent.factorId)) return sent
  return { ...sent, attemptsLeft: attemptsLeft(sent.attemptsLeft) }
}

const withUpdate = (c: AuthnContext, u: Update): Progress => ({ ...c.progress, ...u })

/**
 * The authentication transaction. State names are Okta's statuses; `FAILED` and `CANCELLED` are
 * internal terminal states that are never rendered. Time arrives as `event.now`; the machine has no
 * delays, invokes or side effects: the shell runs the returned actions.
 */
export const authnMachine = setup({
  types: {} as { context: AuthnContext; events: AuthnEvent; input: AuthnInput },
  guards: {
    /** The evaluation order (spec §10.1) picks `step` once `update` is applied. */
    nextIs: ({ context, event }, params: { step: NextStep; update: Update }) =>
      nextStep(evaluationFacts(context, withUpdate(context, params.update), event.now, factorsAfter(context, event))) === params.step,
    needsActivation: ({ event }) => event.type === 'factor.enroll' && event.activation === 'required',
    factorNotAccepted: ({ event }) => (event.type === 'factor.activate' || event.type === 'factor.verify') && event.outcome !== 'accepted',
    /** The answered factor is not the one this state waits for (MFA_ENROLL_ACTIVATE, MFA_CHALLENGE). */
    otherFactor: ({ context, event }) =>
      (event.type === 'factor.activate' && event.factorId !== context.activating?.id) ||
      (event.type === 'factor.verify' && context.challenge !== null && event.factorId !== context.challenge && !ofChallengedType(context, event.factorId)),
    enrollmentRequiredLeft: ({ context }) => requiredEnrollmentMissing(context),
    /** A code of the same factor type was sent in this transaction too recently (that type's resend throttle). */
    sendThrottled: ({ context, event }) => {
      const sent = sentBy(event)
      return sent !== null && event.now < (context.resendAfter?.[sent.factorType] ?? Number.NEGATIVE_INFINITY)
    },
    /** A resend of a challenge that is not the one in progress (MFA_REQUIRED has none; MFA_CHALLENGE has its own). */
    resendOfNoChallenge: ({ context, event }) => event.type === 'factor.challenge' && event.resend && event.factorId !== context.challenge,
    /** A resend of an activation code for another factor than the one waiting. */
    resendOfOtherActivation: ({ context, event }) => event.type === 'factor.challenge' && event.factorId !== context.activating?.id,
    /** A poll or a third party's response for another factor than the one being activated. */
    otherActivation: ({ context, event }) => (event.type === 'factor.nonce' || event.type === 'factor.confirm') && event.factorId !== context.activating?.id,
    /** A third party's response for another factor than the one challenged, or for no started verification. */
    otherConfirmation: ({ context, event }) =>
      (event.type === 'factor.confirm' || event.type === 'factor.deny') && (event.factorId !== context.challenge || context.nonce?.factorId !== event.factorId),
    isLockedOutShown: ({ context }) => context.lockedOut && context.policy.password.lockout.showLockoutFailures,
    isLockedOut: ({ context }) => context.lockedOut,
    /** The org's sign-on policy, or a step-up's app's, refuses sign-in. */
    isSignOnDenied: ({ context }) => context.policy.signOn.access === 'DENY' || appDenies(context.stepUp),
    needsPasswordToActivate: ({ context }) => context.flow === 'ACTIVATION' && !context.hasPassword,
    /** The failure just recorded locked the account, and the policy shows lockouts. */
    failureLockedShown: ({ context, event }) =>
      event.type === 'primary.rejected' && event.lockedAfter && context.policy.password.lockout.showLockoutFailures,
    isOldPasswordWrong: ({ event }) => event.type === 'password.change' && !event.oldPasswordValid,
    isWithinMinimumAge: ({ context, event }) =>
      isWithinMinimumAge(context.policy.password, context.user.passwordChangedAt, event.now),
    isNewPasswordRefused: ({ context, event }) =>
      (event.type === 'password.change' || event.type === 'password.reset') &&
      (event.newPasswordHash === null || !meetsPasswordPolicy(context.policy.password, event.candidate)),
  },
  actions: {
    /** Sliding expiry: every accepted request extends the state token, up to its absolute cap. */
    touch: assign({ expiresAt: ({ context, event }) => Math.min(event.now + context.lifetimeMs, context.absoluteExpiresAt) }),
    advance: assign({ progress: ({ context }, params: Update) => withUpdate(context, params) }),
    applyNewPassword: assign({
      user: ({ context, event }) => ({ ...context.user, passwordChangedAt: event.now }),
      hasPassword: true,
      adminExpired: false,
    }),
    markActivation: assign({ recoveryType: 'ACCOUNT_ACTIVATION' as const }),
    applyFactors: assign({ factors: ({ context, event }) => factorsAfter(context, event), activating: null }),
    setActivating: assign({ activating: ({ event }) => (event.type === 'factor.enroll' ? event.factor : null) }),
    clearActivating: assign({ activating: null }),
    setChallenge: assign({ challenge: ({ event }) => (event.type === 'factor.challenge' || event.type === 'factor.nonce' ? event.factorId : null) }),
    clearChallenge: assign({ challenge: null }),
    /** The nonce the event issued is the one an answer must sign (WebAuthn, U2F). */
    setNonce: assign({ nonce: ({ event }) => (event.type === 'factor.nonce' ? { factorId: event.factorId, ...event.nonce } : null) }),
    /** An issued nonce is answered once, and not after going back. */
    clearNonce: assign({ nonce: null }),
    /** The verification an enrollment started (Duo), or none. */
    setEnrollNonce: assign({ nonce: ({ event }) => (event.type === 'factor.enroll' && event.nonce !== undefined ? { factorId: event.factor.id, ...event.nonce } : null) }),
    /** The factor's server asked for the next code (RSA): its state is kept for the next answer. */
    keepServerChallenge: enqueueActions(({ event, enqueue }) => {
      if (event.type === 'factor.verify' && event.challenge !== undefined) enqueue.assign({ nonce: { factorId: event.factorId, ...event.challenge } })
    }),
    /** The third party confirmed the verification started (Duo): the next poll finishes it. */
    confirmNonce: assign({ nonce: ({ event }) => (event.type === 'factor.confirm' ? { factorId: event.factorId, ...event.nonce, confirmed: true } : null) }),
    /** The user's device refused the verification started (push): the next poll reports REJECTED. */
    denyNonce: assign({ nonce: ({ event }) => (event.type === 'factor.deny' ? { factorId: event.factorId, ...event.nonce, denied: true } : null) }),
    /** The code the event sends becomes the open one, and is delivered once the step is saved. */
    sendEventCode: enqueueActions(({ context, event, enqueue }, params: { readonly purpose: AuthnEffects['sendCode']['purpose'] }) => {
      const sent = sentBy(event)
      if (sent === null) return
      enqueue.assign({ sent, resendAfter: { ...context.resendAfter, [sent.factorType]: sent.resendAfter } })
      enqueue({ type: 'sendCode', params: { userId: context.userId, factorId: sent.factorId, purpose: params.purpose } } as never)
    }),
    /** A wrong answer to a sent code uses one of its attempts. */
    spendSentAttempt: assign({ sent: ({ context, event }) => spendSent(context, event, (left) => Math.max(0, left - 1)) }),
    /** An accepted sent code is used up (single use); the record stays for the resend throttle. */
    useSentCode: assign({ sent: ({ context, event }) => spendSent(context, event, () => 0) }),
    // Failures whose code is decided here, from the event or the context (failure-codes.ts lists their codes).
    failThrottled: enqueueActions(({ event, enqueue }) => {
      enqueue({ type: 'fail', params: throttledFailure(sentBy(event)) } as never)
    }),
    failFactor: enqueueActions(({ event, enqueue }) => {
      enqueue({ type: 'fail', params: factorFailure(event as FactorEvent) } as never)
    }),
    failMinimumAge: enqueueActions(({ context, enqueue }) => {
      enqueue({ type: 'fail', params: failureOf('failMinimumAge', 'E0000080', [minimumAgeCause(context.policy.password)]) } as never)
    }),
    failPasswordPolicy: enqueueActions(({ context, enqueue }) => {
      enqueue({ type: 'fail', params: failureOf('failPasswordPolicy', 'E0000080', [describeComplexity(context.policy.password)]) } as never)
    }),
    /** Factor effects of an accepted answer: its one-time position, a device to remember. */
    factorAccepted: enqueueActions(({ context, event, enqueue }) => {
      const e = event as FactorEvent
      if (e.type === 'factor.activate') enqueue({ type: 'activateFactor', params: { userId: context.userId, factorId: e.factorId } } as never)
      if (e.counter !== null) enqueue({ type: 'useFactor', params: { userId: context.userId, factorId: e.factorId, counter: e.counter } } as never)
      if (e.type === 'factor.verify' && e.rememberDevice && context.deviceTokenHash !== null && context.policy.signOn.allowRememberDevice)
        enqueue({
          type: 'rememberDevice',
          params: { userId: context.userId, hash: context.deviceTokenHash, until: e.now + context.policy.signOn.rememberDeviceLifetimeInMinutes * 60_000 },
        } as never)
    }),
    enrollEventFactor: enqueueActions(({ context, event, enqueue }) => {
      if (event.type === 'factor.enroll') enqueue({ type: 'enrollFactor', params: { userId: context.userId, factorId: event.factor.id } } as never)
    }),
    rememberSessionToken: assign(({ context, event }) => ({
      sessionTokenHash: (event as TokenEvent).sessionTokenHash,
      sessionExpiresAt: event.now + context.sessionLifetimeMs,
    })),
    /**
     * A verified primary credential settles the failure counter; a step-up opened for a session
     * (flow SESSION) verified none, so it leaves the counter as it is.
     */
    resetFailuresUnlessSession: enqueueActions(({ context, enqueue }) => {
      if (context.flow !== 'SESSION') enqueue({ type: 'resetFailedAttempts', params: { userId: context.userId } } as never)
    }),
    /** Activation-token transactions activate the user once the credential is settled. */
    activateIfToken: enqueueActions(({ context, enqueue }) => {
      if (context.flow === 'ACTIVATION') enqueue({ type: 'activateUser', params: { userId: context.userId } } as never)
    }),
    /** `revokeSessions: true` on a password change or reset. */
    revokeIfAsked: enqueueActions(({ context, event, enqueue }) => {
      if ((event as NewPasswordEvent).revokeSessions)
        enqueue({ type: 'revokeOtherSessions', params: { userId: context.userId } } as never)
    }),
    // The actions below are named effects and results; the shell performs them.
    fail: (_, _params: AuthnFailure) => {},
    resetFailedAttempts: (_, _params: AuthnEffects['resetFailedAttempts']) => {},
    issueSessionToken: (_, _params: AuthnEffects['issueSessionToken']) => {},
    setPassword: (_, _params: AuthnEffects['setPassword']) => {},
    activateUser: (_, _params: AuthnEffects['activateUser']) => {},
    revokeOtherSessions: (_, _params: AuthnEffects['revokeOtherSessions']) => {},
    enrollFactor: (_, _params: AuthnEffects['enrollFactor']) => {},
    activateFactor: (_, _params: AuthnEffects['activateFactor']) => {},
    useFactor: (_, _params: AuthnEffects['useFactor']) => {},
    rememberDevice: (_, _params: AuthnEffects['rememberDevice']) => {},
    sendCode: (_, _params: AuthnEffects['sendCode']) => {},
  },
}).createMachine({
  id: 'authn',
  initial: 'UNAUTHENTICATED',
  // Tolerates a missing input: xstate builds a throwaway initial snapshot without one on every call.
  context: ({ input }) => (input === undefined ? EMPTY_INPUT_CONTEXT : initialContext(input)),
  on: {
    '*': {
      actions: { type: 'fail', params: failure('E0000079', [CAUSES.notAllowedInState]) },
    },
  },
  states: {
    UNAUTHENTICATED: {
      on: {
        'primary.verified': [
          { guard: 'isLockedOutShown', target: 'LOCKED_OUT' },
          { guard: 'isLockedOut', target: 'FAILED', actions: { type: 'fail', params: failure('E0000004') } },
          { guard: 'isSignOnDenied', target: 'FAILED', actions: { type: 'fail', params: failure('E0000004') } },
          {
            guard: 'needsPasswordToActivate',
            target: 'PASSWORD_RESET',
            actions: ['touch', 'markActivation', resetFailures()],
          },
          ...route({}, ['resetFailuresUnlessSession', activateIfToken()]),
        ],
        'primary.rejected': [
          { guard: 'isLockedOutShown', target: 'LOCKED_OUT' },
          { guard: 'isLockedOut', target: 'FAILED', actions: { type: 'fail', params: failure('E0000004') } },
          { guard: 'failureLockedShown', target: 'LOCKED_OUT' },
          { target: 'FAILED', actions: { type: 'fail', params: failure('E0000004') } },
        ],
      },
    },
    PASSWORD_WARN: {
      on: {
        ...live(),
        'password.change': [
          ...refusals('changeValid'),
          ...route({ passwordChanged: true }, newPasswordActions()),
        ],
        'transaction.skip': route({ warnHandled: true }, []),
      },
    },
    PASSWORD_EXPIRED: {
      on: {
        ...live(),
        'password.change': [...refusals('change'), ...route({ passwordChanged: true }, newPasswordActions())],
      },
    },
    PASSWORD_RESET: {
      on: {
        ...live(),
        'password.reset': [
          ...refusals('reset'),
          ...route({ passwordChanged: true }, [...newPasswordActions(), activateIfToken()]),
        ],
      },
    },
    MFA_ENROLL: {
      on: {
        ...live(),
        'factor.enroll': [
          { guard: 'sendThrottled', actions: 'failThrottled' },
          {
            guard: 'needsActivation',
            target: 'MFA_ENROLL_ACTIVATE',
            actions: ['touch', 'setActivating', 'setEnrollNonce', 'enrollEventFactor', { type: 'sendEventCode', params: { purpose: 'mfa-activation' } }],
          },
          ...route({ enrolledHere: true }, ['applyFactors', 'enrollEventFactor']),
        ],
        // Skip is offered only when nothing required is left (spec §3.2 MFA_ENROLL).
        'transaction.skip': [
          { guard: 'enrollmentRequiredLeft', actions: { type: 'fail', params: failure('E0000079', [CAUSES.notAllowedInState]) } },
          ...route({ enrollHandled: true }, []),
        ],
      },
    },
    MFA_ENROLL_ACTIVATE: {
      on: {
        ...live(),
        'factor.activate': [
          { guard: 'otherFactor', actions: { type: 'fail', params: failure('E0000079', [CAUSES.notAllowedInState]) } },
          { guard: 'factorNotAccepted', actions: ['touch', 'failFactor', 'spendSentAttempt'] },
          ...route({ enrolledHere: true }, ['useSentCode', 'clearNonce', 'applyFactors', 'factorAccepted']),
        ],
        // A resend of the activation code (SMS, call, email: spec §4.8).
        'factor.challenge': [
          { guard: 'resendOfOtherActivation', actions: { type: 'fail', params: failure('E0000079', [CAUSES.notAllowedInState]) } },
          { guard: 'sendThrottled', actions: 'failThrottled' },
          { actions: ['touch', { type: 'sendEventCode', params: { purpose: 'mfa-activation' } }] },
        ],
        // A poll of an activation a third party verifies (Duo, spec §4.7.5): still waiting, or started anew.
        'factor.nonce': [{ guard: 'otherActivation', actions: { type: 'fail', params: failure('E0000079', [CAUSES.notAllowedInState]) } }, { actions: ['touch', 'setNonce'] }],
        // The third party's response for the activation (spec §4.9): the next poll activates.
        'factor.confirm': [{ guard: 'otherActivation', actions: { type: 'fail', params: failure('E0000079', [CAUSES.notAllowedInState]) } }, { actions: ['touch', 'confirmNonce'] }],
        'transaction.previous': { target: 'MFA_ENROLL', actions: ['touch', 'clearActivating', 'clearNonce'] },
      },
    },
    MFA_REQUIRED: {
      on: {
        ...live(),
        'factor.verify': verifyTransitions(),
        'factor.challenge': challengeTransitions('MFA_CHALLENGE'),
        'factor.nonce': { target: 'MFA_CHALLENGE', actions: ['touch', 'setChallenge', 'setNonce'] },
      },
    },
    MFA_CHALLENGE: {
      on: {
        ...live(),
        'factor.verify': verifyTransitions(),
        // A new challenge (a resend, or another factor's) replaces the one in progress.
        'factor.challenge': challengeTransitions(),
        // A new nonce (the same factor's or another's) replaces the one in progress.
        'factor.nonce': { actions: ['touch', 'setChallenge', 'setNonce'] },
        // The third party's response for the verification started (Duo, spec §4.9): the next poll verifies.
        'factor.confirm': [{ guard: 'otherConfirmation', actions: { type: 'fail', params: failure('E0000079', [CAUSES.notAllowedInState]) } }, { actions: ['touch', 'confirmNonce'] }],
        // The user's device refused it (push, docs/adr/0031-push.md): the next poll shows REJECTED.
        'factor.deny': [{ guard: 'otherConfirmation', actions: { type: 'fail', params: failure('E0000079', [CAUSES.notAllowedInState]) } }, { actions: ['touch', 'denyNonce'] }],
        'transaction.previous': { target: 'MFA_REQUIRED', actions: ['touch', 'clearChallenge', 'clearNonce'] },
      },
    },
    LOCKED_OUT: { type: 'final' },
    SUCCESS: { type: 'final' },
    CANCELLED: { type: 'final' },
    FAILED: { type: 'final' },
  },
})

export type AuthnMachine = typeof authnMachine

/** Operations that every live state accepts: read (extends expiry) and cancel. */
function live() {
  return {
    'transaction.read': { actions: 'touch' as const },
    'transaction.cancel': { target: 'CANCELLED' as const },
  }
}

function resetFailures() {
  return {
    type: 'resetFailedAttempts' as const,
    params: ({ context }: { context: AuthnContext }) => ({ userId: context.userId }),
  }
}

/** An enrolled factor's answer in MFA_REQUIRED or MFA_CHALLENGE (spec §4.10). */
function verifyTransitions() {
  return [
    { guard: 'otherFactor' as const, actions: { type: 'fail' as const, params: failure('E0000079', [CAUSES.notAllowedInState]) } },
    { guard: 'factorNotAccepted' as const, actions: ['touch' as const, 'failFactor' as const, 'spendSentAttempt' as const, 'keepServerChallenge' as const] },
    ...route({ mfaVerified: true }, ['clearChallenge', 'clearNonce', 'useSentCode', resetFailures(), 'factorAccepted']),
  ]
}

/**
 * A code sent for an enrolled factor (spec §4.10, §4.11): a resend needs the challenge it renews,
 * the family's throttle holds, then the code becomes the open one. From MFA_REQUIRED it leads to
 * MFA_CHALLENGE; in MFA_CHALLENGE it replaces the challenge in progress.
 */
function challengeTransitions(target?: 'MFA_CHALLENGE') {
  return [
    { guard: 'resendOfNoChallenge' as const, actions: { type: 'fail' as const, params: failure('E0000079', [CAUSES.notAllowedInState]) } },
    { guard: 'sendThrottled' as const, actions: 'failThrottled' as const },
    {
      ...(target === undefined ? {} : { target }),
      actions: ['touch' as const, 'setChallenge' as const, { type: 'sendEventCode' as const, params: { purpose: 'mfa-challenge' as const } }],
    },
  ]
}

function activateIfToken() {
  return 'activateIfToken' as const
}

/**
 * Refusals of a new password, in Okta's order: wrong old password (a change, not a reset), minimum
 * age (changing a password that is still valid), policy.
 */
function refusals(kind: 'change' | 'changeValid' | 'reset') {
  const checkMinimumAge = kind === 'changeValid'
  const checkOldPassword = kind !== 'reset'
  return [
    ...(checkOldPassword
      ? [
          {
            guard: 'isOldPasswordWrong' as const,
            actions: ['touch' as const, { type: 'fail' as const, params: failure('E0000014', [CAUSES.oldPasswordIncorrect]) }],
          },
        ]
      : []),
    ...(checkMinimumAge ? [{ guard: 'isWithinMinimumAge' as const, actions: ['touch' as const, 'failMinimumAge' as const] }] : []),
    { guard: 'isNewPasswordRefused' as const, actions: ['touch' as const, 'failPasswordPolicy' as const] },
  ]
}

function newPasswordActions() {
  return [
    {
      type: 'setPassword' as const,
      params: ({ context, event }: { context: AuthnContext; event: AuthnEvent }) => {
        const e = event as NewPasswordEvent
        return {
          userId: context.userId,
          passwordHash: e.newPasswordHash ?? '',
          changedAt: e.now,
          historyCount: context.policy.password.age.historyCount,
        }
      },
    },
    'applyNewPassword' as const,
    'revokeIfAsked' as const,
  ]
}

type RouteAction =
  | ReturnType<typeof resetFailures>
  | 'resetFailuresUnlessSession'
  | ReturnType<typeof activateIfToken>
  | ReturnType<typeof newPasswordActions>[number]
  | 'applyFactors'
  | 'enrollEventFactor'
  | 'factorAccepted'
  | 'clearChallenge'
  | 'clearNonce'
  | 'useSentCode'

/**
 * Whether the evaluation order can pick `step` once `update` is applied: a password changed here
 * is neither expired nor due, and a handled warning is not shown again (a property in
 * test/transitions.test.ts proves it), so those transitions are not declared at all.
 */
function isPossibleAfter(step: NextStep, update: Update): boolean {
  if (update.passwordChanged === true && (step === 'PASSWORD_EXPIRED' || step === 'PASSWORD_WARN')) return false
  // A factor verified or enrolled here is not asked for again; a skipped enrollment is not offered again.
  if ((update.mfaVerified === true || update.enrolledHere === true) && step === 'MFA_REQUIRED') return false
  if (update.enrollHandled === true && step === 'MFA_ENROLL') return false
  return !(update.warnHandled === true && step === 'PASSWORD_WARN')
}

/**
 * One guarded transition per step of the evaluation order; the first whose guard holds is taken.
 * SUCCESS also remembers and issues the session token carried by the event.
 */
function route(update: Update, extra: ReadonlyArray<RouteAction>) {
  return EVALUATION_ORDER.filter(([step]) => isPossibleAfter(step, update)).map(([step]) => ({
    guard: { type: 'nextIs' as const, params: { step, update } },
    target: step,
    actions: [
      'touch' as const,
      { type: 'advance' as const, params: update },
      ...extra,
      ...(step === 'SUCCESS'
        ? [
            'rememberSessionToken' as const,
            {
              type: 'issueSessionToken' as const,
              params: ({ context, event }: { context: AuthnContext; event: AuthnEvent }) => ({
                userId: context.userId,
                tokenHash: (event as TokenEvent).sessionTokenHash,
                expiresAt: event.now + context.sessionLifetimeMs,
                kind: context.stepUp === undefined || context.stepUp === null ? ('session' as const) : ('stepup' as const),
              }),
            },
          ]
        : []),
    ],
  }))
}
