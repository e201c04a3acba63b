import type * as TE from 'fp-ts/lib/TaskEither.js'
import type { HashQueueOptions } from './hash-queue.js'
import {
  type App,
  type AppSource,
  type AuditSink,
  type Clock,
  type Hasher,
  type LogEntry,
  type OktaErrorBody,
  type PolicySource,
  type Random,
  type RequestContext,
  type StepStore,
  type FactorStore,
  type SecretBox,
  type Factor,
  type MessageSender,
  type TransactionId,
  type TransactionJson,
  type TransactionRecord,
  type TransactionStore,
  type UserId,
  type UserRecord,
  type UserStore,
} from '@authn-machine/core'

/** Lifetimes the spec leaves open; see docs/adr/0003-tokens-and-lifetimes.md. */
export interface AuthnSettings {
  /** Sliding lifetime of a state token, extended by every accepted request. Default 5 minutes. */
  readonly stateTokenLifetimeMs: number
  /** Absolute cap on a state token's life, however often it slides. Default 60 minutes. */
  readonly stateTokenMaxLifetimeMs: number
  /** Lifetime of a one-time session token. Default 5 minutes (Okta's). */
  readonly sessionTokenLifetimeMs: number
  /** How often a step that lost a compare-and-set race is retried on the fresh state. Default 2. */
  readonly conflictRetries: number
  /**
   * How long a reserved attempt holds its place if its process dies before settling it. Default
   * 30 s: far above one hash, so live attempts never lapse (docs/adr/0008-credential-state.md).
   */
  readonly attemptLeaseMs: number
  /**
   * How long a password attempt waits for the attempts ahead of it when all the account's remaining
   * attempts are being verified. Past it: 429 E0000047. Default 10 s.
   */
  readonly attemptWaitMs: number
  /** The longest a message delivery may take before it counts as failed (400 E0000074). Default 15 s. */
  readonly deliveryTimeoutMs: number
  /**
   * The password-hashing queue (ADR 0014): hashes at once (default: the available parallelism)
   * and hashes waiting (default 64); past it, 429 E0000047. Null: no queue (the hasher is called
   * directly, e.g. when it queues by itself).
   */
  readonly hashQueue: HashQueueOptions | null
}

export const DEFAULT_SETTINGS: AuthnSettings = {
  stateTokenLifetimeMs: 5 * 60_000,
  stateTokenMaxLifetimeMs: 60 * 60_000,
  sessionTokenLifetimeMs: 5 * 60_000,
  conflictRetries: 2,
  attemptLeaseMs: 30_000,
  attemptWaitMs: 10_000,
  deliveryTimeoutMs: 15_000,
  hashQueue: {},
}

export interface AuthnDeps {
  readonly transactions: TransactionStore
  readonly users: UserStore
  /** The atomic unit of work over the same storage: every step's whole write goes through it. */
  readonly steps: StepStore
  /** Users' enrolled factors, in their own rows. */
  readonly factors: FactorStore
  /** Seals factor secrets before any store sees them (`createSecretBox`). */
  readonly secrets: SecretBox
  /** The factor families served, one plug-in per `factorType/provider` (`packages/factor-*`). */
  readonly factorPlugins?: ReadonlyArray<Factor>
  /**
   * Delivers the codes of the families that send one (SMS, call, email), after the step that made
   * the code is saved (`packages/message-senders`: dev outbox, SMTP, Twilio, webhook). Without it,
   * such a family answers 400 E0000074 when it would send.
   */
  readonly messages?: MessageSender
  readonly policies: PolicySource
  /**
   * The apps step-ups target (`audience`, SP-initiated step-up; docs/adr/0028-step-up.md). Without
   * it no app is known: an `audience` is 400 E0000001 and no step-up can be opened.
   */
  readonly apps?: AppSource
  readonly hasher: Hasher
  readonly clock: Clock
  readonly random: Random
  readonly audit: AuditSink
  readonly settings?: Partial<AuthnSettings>
  /** Waits `ms` (an attempt waiting for the ones ahead of it). Default: a timer. */
  readonly sleep?: (ms: number) => Promise<void>
}

/** Who is calling and where responses' links must point. */
export interface Call {
  /** Absolute origin for `_links` hrefs, e.g. `https://login.example.com` (no trailing slash needed). */
  readonly baseUrl: string
  readonly context: RequestContext
}

/** A response: HTTP status and JSON body. Failures are the same shape with an Okta error body. */
export interface Reply<B> {
  readonly status: number
  readonly body: B
}
export type AuthnReply = Reply<TransactionJson>
export type ErrorReply = Reply<OktaErrorBody>
export type Result<B = TransactionJson> = TE.TaskEither<ErrorReply, Reply<B>>

export interface RedeemedSession {
  readonly userId: UserId
  readonly transactionId: TransactionId
  /** How the user authenticated in that transaction (core `sessionFactsOf`): `pwd`, `mfa`, the factors' references. */
  readonly amr: ReadonlyArray<string>
  /** When the password was last verified or set in the transaction; null when none was (a step-up for a session). */
  readonly passwordVerifiedAt: number | null
  /** When a factor was last verified or activated in the transaction; null without one. */
  readonly factorVerifiedAt: number | null
}

/** One method per operation of `/api/v1/authn`. Every method takes the raw JSON body and never throws. */
export interface Authn {
  /** `POST /api/v1/authn`: primary authentication (password or activation token), or get-state. */
  readonly authenticate: (body: unknown, call: Call) => Result
  /** `POST /api/v1/authn` with only `stateToken`. */
  readonly getState: (body: unknown, call: Call) => Result
  /** `POST /api/v1/authn/factors` (MFA_ENROLL). */
  readonly enrollFactor: (body: unknown, call: Call) => Result
  /** `POST /api/v1/authn/factors/{factorId}/lifecycle/activate` (MFA_ENROLL_ACTIVATE). */
  readonly activateFactor: (body: unknown, call: Call) => Result
  /** `POST /api/v1/authn/factors/{factorId}/verify` (MFA_REQUIRED, MFA_CHALLENGE); without `passCode`, a sending factor sends a code. */
  readonly verifyFactor: (body: unknown, call: Call) => Result
  /** `POST /api/v1/authn/factors/{factorId}/lifecycle/activate/poll` (MFA_ENROLL_ACTIVATE): a third party's activation (Duo) waits, or activates once confirmed. */
  readonly pollFactorActivation: (body: unknown, call: Call) => Result
  /** `POST /api/v1/authn/factors/{factorId}/lifecycle/duoCallback`: Duo's signed response (`sig_response`) for the verification the transaction started. */
  readonly duoCallback: (body: unknown, call: Call) => Result
  /** `POST /api/v1/authn/factors/{factorId}/lifecycle/activate/{email|sms}` (MFA_ENROLL_ACTIVATE): a push factor's enrollment link, sent. */
  readonly sendActivationLink: (body: unknown, call: Call) => Result
  /** `POST /api/v1/push/devices/activate`: a push device registers its key with the enrollment's activation token (docs/adr/0031-push.md). */
  readonly activatePushDevice: (body: unknown, call: Call) => Result<{ readonly factorId: string; readonly userId: string; readonly status: 'ACTIVATED' }>
  /** `POST /api/v1/push/challenges/pending`: the verifications waiting for a device, for an assertion signed by its key. */
  readonly listPushChallenges: (body: unknown, call: Call) => Result<{ readonly challenges: ReadonlyArray<Readonly<Record<string, unknown>>> }>
  /** `POST /api/v1/push/challenges/answer`: a device's signed answer to a verification (approve or deny), once. */
  readonly answerPushChallenge: (body: unknown, call: Call) => Result<{ readonly result: 'APPROVED' | 'DENIED' }>
  /** `POST /api/v1/authn/factors/{factorId}/lifecycle/resend` (MFA_ENROLL_ACTIVATE): a new activation code (SMS, call, email). */
  readonly resendActivation: (body: unknown, call: Call) => Result
  /** `POST /api/v1/authn/factors/{factorId}/verify/resend` (MFA_CHALLENGE): a new challenge code (SMS, call, email). */
  readonly resendChallenge: (body: unknown, call: Call) => Result
  /** `GET /api/v1/users/{id}/factors/questions`: the security question catalogue (empty without the question factor). */
  readonly factorQuestions: () => ReadonlyArray<Readonly<Record<string, unknown>>>
  /** The PNG QR code of a pending TOTP enrollment, by the token in its `qrcode` link. */
  readonly factorQrCode: (token: string) => TE.TaskEither<ErrorReply, { readonly contentType: string; readonly body: Uint8Array }>
  readonly changePassword: (body: unknown, call: Call) => Result
  /** `POST /api/v1/authn/credentials/reset_password` (PASSWORD_RESET of a recovery, or of an activation). */
  readonly resetPassword: (body: unknown, call: Call) => Result
  /**
   * `POST /api/v1/authn/recovery/password` (spec §4.12): public callers name a `factorType` (EMAIL,
   * SMS, CALL) and get the same answer whether or not the user exists; trusted callers may omit it
   * and receive the `recoveryToken` (403 E0000095 for an unknown user).
   */
  readonly forgotPassword: (body: unknown, call: Call) => Result
  /** `POST /api/v1/authn/recovery/unlock` (spec §4.13): as `forgotPassword`, to unlock a locked account. */
  readonly unlockAccount: (body: unknown, call: Call) => Result
  /** `POST /api/v1/authn/recovery/factors/{sms|call}/verify` (RECOVERY_CHALLENGE): `{stateToken, passCode}`, the channel as `factorType`. */
  readonly verifyRecoveryFactor: (body: unknown, call: Call) => Result
  /** `POST /api/v1/authn/recovery/factors/{sms|call}/resend` (RECOVERY_CHALLENGE): a new code. */
  readonly resendRecoveryChallenge: (body: unknown, call: Call) => Result
  /** `POST /api/v1/authn/recovery/token` (spec §4.16): redeems a recovery token once; opens a recovery transaction. */
  readonly verifyRecoveryToken: (body: unknown, call: Call) => Result
  /** `POST /api/v1/authn/recovery/answer` (RECOVERY): the recovery question's answer. */
  readonly answerRecoveryQuestion: (body: unknown, call: Call) => Result
  readonly skip: (body: unknown, call: Call) => Result
  readonly previous: (body: unknown, call: Call) => Result
  /** Answers `{ relayState }`, as Okta does. */
  readonly cancel: (body: unknown, call: Call) => Result<{ readonly relayState: string }>
  /** Redeems a one-time session token (`{ sessionToken }`), as a Sessions API would. */
  readonly redeemSessionToken: (body: unknown, call: Call) => Result<RedeemedSession>
  /**
   * An administrator's lifecycle operation on a user (Okta's Users API
   * `/api/v1/users/{id}/lifecycle/…`), written atomically with its credential epoch: every live
   * transaction of the user ends, and lock, suspend and deactivate revoke unredeemed session tokens.
   */
  readonly lifecycle: (userId: string, operation: LifecycleOperation) => Result<LifecycleJson>
  /**
   * Opens an SP-initiated step-up to an app (spec §4.2; docs/adr/0028-step-up.md), for an embedding
   * server or a trusted caller: `{ appId }` answers UNAUTHENTICATED with a state token for the
   * sign-in page; `{ appId, login, factorVerifiedAt? }`, for a user whose session the caller knows,
   * goes straight to what the app's and the org's policies ask of that user (MFA, or SUCCESS).
   */
  readonly openStepUp: (body: unknown, call: Call) => Result
  /**
   * Follows the `original` link of a step-up SUCCESS, once: the app's configured return URL (302),
   * with the user and the transaction the embedding server signs the user in to the app with.
   */
  readonly redeemStepUp: (token: string) => TE.TaskEither<ErrorReply, Reply<{ readonly location: string; readonly appId: string; readonly userId: string; readonly transactionId: string }>>
  /** Adds or replaces an app (the body is checked as an `App`: 400 E0000001 with causes). */
  readonly putApp: (body: unknown) => Result<App>
  /** Removes an app (404 E0000007 when unknown). */
  readonly removeApp: (appId: string) => Result<Record<string, never>>
  /** Every app, by id. */
  readonly listApps: () => Result<ReadonlyArray<App>>
  /** The transaction's log (for audit and replay), by its state token. */
  readonly readLog: (stateToken: string) => TE.TaskEither<ErrorReply, { readonly record: TransactionRecord; readonly log: ReadonlyArray<LogEntry> }>
}

export type LifecycleOperation = 'lock' | 'unlock' | 'suspend' | 'unsuspend' | 'deactivate' | 'expirePassword'
export const LIFECYCLE_OPERATIONS: ReadonlyArray<LifecycleOperation> = ['lock', 'unlock', 'suspend', 'unsuspend', 'deactivate', 'expirePassword']

/** What a lifecycle operation answers: `{}` as Okta does, the user for `expirePassword`. */
export type LifecycleJson =
  | Record<string, never>
  | {
      readonly id: string
      readonly status: UserRecord['status']
      readonly passwordChanged: string | null
      readonly profile: { readonly login: string; readonly firstName: string; readonly lastName: string }
    }

