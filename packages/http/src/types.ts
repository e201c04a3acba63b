import type { AuthnFailure } from '@authn-machine/core'

/**
 * Marks a request body the glue stopped reading because it was larger than the handler's
 * `bodyLimit`. The handler answers 413 for it, with the same CORS headers as any other answer.
 */
export const BODY_TOO_LARGE: unique symbol = Symbol('authn-machine.body-too-large')
export type BodyTooLarge = typeof BODY_TOO_LARGE

export type HeaderValue = string | ReadonlyArray<string> | undefined

/** A plain HTTP request, as any server framework can produce it. */
export interface HttpRequest {
  /** `POST`, `OPTIONS`, … (any case). */
  readonly method: string
  /** Path plus query string, e.g. `/api/v1/authn/factors/ost1/verify?rememberDevice=true`. */
  readonly url: string
  /** Header names in any case (node:http gives them lower-cased). */
  readonly headers: Readonly<Record<string, HeaderValue>>
  /** The raw body: bytes or a string, `null` when there is none, or {@link BODY_TOO_LARGE}. */
  readonly body: string | Uint8Array | null | BodyTooLarge
  /** The TCP peer's address. */
  readonly remoteAddress: string | null
  /** Arrived over TLS: chooses `https://` for the base URL taken from the `Host` header. Default false. */
  readonly secure?: boolean
  /**
   * The id the host already gave this request (for its own log line), answered as
   * `X-Okta-Request-Id`. Default: a fresh one. Set by the server, never taken from a client's header;
   * an id that is not 1–128 letters, digits, `-`, `_` or `.` is replaced by a fresh one.
   */
  readonly requestId?: string
}

/** A plain HTTP response: the glue copies it to its framework's reply. */
export interface HttpResponse {
  readonly status: number
  /** Lower-case header names. Every response of the handler has `x-okta-request-id`. */
  readonly headers: Readonly<Record<string, string>>
  /** JSON text, or bytes for the few binary answers (a factor's QR code PNG). */
  readonly body: string | Uint8Array
}

/**
 * The framework-agnostic handler of every `/api/v1/authn` route, `POST /api/v1/sessions` and, for
 * trusted callers, `POST /api/v1/users/{userId}/lifecycle/{operation}`.
 */
export interface AuthnHttpHandler {
  (request: HttpRequest): Promise<HttpResponse>
  /** Largest accepted body in bytes; glue reading a stream stops there and passes {@link BODY_TOO_LARGE}. */
  readonly bodyLimit: number
  /**
   * Whether a path belongs to this handler (its routes, anything under `/api/v1/authn` and
   * `/api/v1/sessions`, or under a user's `/api/v1/users/{userId}/lifecycle`), whatever the method.
   */
  readonly handles: (path: string) => boolean
  /** An Okta error response (with the CORS headers for the request's origin), for failures glue detects itself. */
  readonly error: (request: Pick<HttpRequest, 'headers'> & Pick<Partial<HttpRequest>, 'requestId'>, failure: AuthnFailure) => HttpResponse
  /**
   * The route template a path (a query is ignored) belongs to, e.g.
   * `/api/v1/authn/factors/{factorId}/verify`, for log lines and metrics, which must not hold the
   * raw path (it can carry a recovery token). Null for a path the handler does not route.
   */
  readonly routeOf: (path: string) => string | null
}

/** The response header that carries a request's id, as Okta sends it. */
export const REQUEST_ID_HEADER = 'x-okta-request-id'
