export type LifecycleOp = 'unlock' | 'suspend' | 'unsuspend' | 'deactivate' | 'expirePassword'

/** A response as it comes off the wire: HTTP status and parsed JSON body. */
export interface WireResponse {
  readonly status: number
  readonly body: unknown
}

/**
 * What the model-based harness drives: one method per `/api/v1/authn` operation, each taking the
 * JSON body a client would send. Implemented in-process over the engine and over HTTP against any
 * base URL, so other implementations can run the same command sequences.
 */
export interface Driver {
  /** `POST /api/v1/authn` (primary authentication, activation token, or get-state). */
  readonly authenticate: (body: unknown) => Promise<WireResponse>
  /** `POST /api/v1/authn/credentials/change_password` */
  readonly changePassword: (body: unknown) => Promise<WireResponse>
  /** `POST /api/v1/authn/credentials/reset_password` */
  readonly resetPassword: (body: unknown) => Promise<WireResponse>
  /** `POST /api/v1/authn/skip` */
  readonly skip: (body: unknown) => Promise<WireResponse>
  /** `POST /api/v1/authn/previous` */
  readonly previous: (body: unknown) => Promise<WireResponse>
  /** `POST /api/v1/authn/cancel` */
  readonly cancel: (body: unknown) => Promise<WireResponse>
  /** `POST /api/v1/sessions` with `{ sessionToken }`: one-time redemption (200, else 401 E0000004). */
  readonly redeemSessionToken: (body: unknown) => Promise<WireResponse>
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
}
