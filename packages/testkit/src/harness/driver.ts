import type { OperationName } from '@authn-machine/core'

export type LifecycleOp = 'unlock' | 'suspend' | 'unsuspend' | 'deactivate' | 'expirePassword'

/** A response as it comes off the wire: HTTP status and parsed JSON body. */
export interface WireResponse {
  readonly status: number
  readonly body: unknown
}

/** A message a sending factor delivered (SMS, voice call, email), as a dev outbox lists it. */
export interface OutboxMessage {
  readonly id?: string
  readonly channel: string
  /** E.164 phone number or email address. */
  readonly to: string
  readonly text: string
  /** `mfa-activation`, `mfa-challenge`, … */
  readonly purpose: string
  /** ISO 8601. */
  readonly createdAt: string
}

/** The operations the harness drives, by their names in the operation table (core `OPERATIONS`). */
export const DRIVER_OPERATIONS = [
  'authenticate',
  'changePassword',
  'resetPassword',
  'skip',
  'previous',
  'cancel',
  'redeemSessionToken',
  'enrollFactor',
  'activateFactor',
  'verifyFactor',
  'resendActivation',
  'resendChallenge',
  'forgotPassword',
  'unlockAccount',
  'verifyRecoveryFactor',
  'resendRecoveryChallenge',
  'verifyRecoveryToken',
  'answerRecoveryQuestion',
] as const satisfies ReadonlyArray<OperationName>
export type DriverOperation = (typeof DRIVER_OPERATIONS)[number]

/**
 * The operations of push (docs/adr/0031-push.md): the activation link, the activation's poll, and
 * the device's own endpoints. Optional: without all of them the harness generates no push commands.
 */
export const PUSH_DRIVER_OPERATIONS = ['sendActivationLink', 'pollFactorActivation', 'activatePushDevice', 'listPushChallenges', 'answerPushChallenge'] as const satisfies ReadonlyArray<OperationName>
export type PushDriverOperation = (typeof PUSH_DRIVER_OPERATIONS)[number]

/**
 * What the model-based harness drives: one method per operation of {@link DRIVER_OPERATIONS},
 * each taking the JSON body a client would send (path parameters such as `factorId` among its
 * fields). Implemented in-process over the engine and over HTTP against any base URL, so other
 * implementations can run the same command sequences.
 */
export type Driver = { readonly [K in DriverOperation]: (body: unknown) => Promise<WireResponse> } & { readonly [K in PushDriverOperation]?: (body: unknown) => Promise<WireResponse> } & {
  /**
   * An administrator's `POST /api/v1/users/{id or login}/lifecycle/{operation}` as a trusted caller
   * (`operation` in the engine's spelling: `expirePassword` is `expire_password` on the wire).
   * Optional: without it the harness generates no lifecycle commands.
   */
  readonly lifecycle?: (user: string, operation: LifecycleOp) => Promise<WireResponse>
  /**
   * Moves the implementation's clock forward, when the driver controls it (in-process). Drivers
   * that cannot (HTTP against a live server) return false, and the harness then generates no
   * time-dependent commands.
   */
  readonly advanceClock: (ms: number) => boolean
  /**
   * The messages delivered to `to` (a phone number or email address), newest first, from the
   * implementation's development outbox; `null` when it serves none. Optional: without an outbox
   * the harness generates no commands that send codes (SMS, voice call, email).
   */
  readonly readOutbox?: (to: string) => Promise<ReadonlyArray<OutboxMessage> | null>
  /**
   * Opens an SP-initiated step-up to an app as a trusted caller (`{ appId }`; the reference
   * server's `POST /api/v1/apps/{appId}/step-up`, not an Okta endpoint). Optional: without it, or
   * without apps in the seed, the harness opens no step-up that waits for its user.
   */
  readonly openStepUp?: (body: unknown) => Promise<WireResponse>
  /**
   * Follows the `original` link of a step-up SUCCESS (`GET /login/step-up/redirect?stateToken=…`):
   * a redirect is answered as `{ status: 302, body: { location } }`, anything else as it came.
   * Optional: without it the harness sends no step-up (`audience`) at all.
   */
  readonly stepUpRedirect?: (token: string) => Promise<WireResponse>
}
