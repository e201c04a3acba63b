import type { Driver, LifecycleOp, WireResponse } from './driver.js'

export interface HttpDriverOptions {
  /** The implementation's base URL, e.g. `http://127.0.0.1:8080`. */
  readonly baseUrl: string
  /** Extra headers on every request (e.g. `authorization: SSWS …` for a trusted caller). */
  readonly headers?: Readonly<Record<string, string>>
  /** Per-request timeout. Default 10 s. */
  readonly timeoutMs?: number
}

const PATHS = {
  authenticate: '/api/v1/authn',
  changePassword: '/api/v1/authn/credentials/change_password',
  resetPassword: '/api/v1/authn/credentials/reset_password',
  skip: '/api/v1/authn/skip',
  previous: '/api/v1/authn/previous',
  cancel: '/api/v1/authn/cancel',
  redeemSessionToken: '/api/v1/sessions',
} as const

/** POSTs JSON to `path` and parses the answer; a body that is not JSON is kept as text. */
export const postJson = async (o: HttpDriverOptions, path: string, body: unknown): Promise<WireResponse> => {
  const res = await fetch(new URL(path, o.baseUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...o.headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(o.timeoutMs ?? 10_000),
  })
  const text = await res.text()
  let parsed: unknown = text
  try {
    parsed = text === '' ? null : (JSON.parse(text) as unknown)
  } catch {
    // Not JSON: the harness reports it as it is.
  }
  return { status: res.status, body: parsed }
}

/** A Driver that speaks HTTP to any implementation of `/api/v1/authn`. It does not control time. */
export const createHttpDriver = (o: HttpDriverOptions): Driver => ({
  authenticate: (b) => postJson(o, PATHS.authenticate, b),
  changePassword: (b) => postJson(o, PATHS.changePassword, b),
  resetPassword: (b) => postJson(o, PATHS.resetPassword, b),
  skip: (b) => postJson(o, PATHS.skip, b),
  previous: (b) => postJson(o, PATHS.previous, b),
  cancel: (b) => postJson(o, PATHS.cancel, b),
  redeemSessionToken: (b) => postJson(o, PATHS.redeemSessionToken, b),
  advanceClock: () => false,
  // Lifecycle operations need an administrator: only with an `authorization` header.
  ...(o.headers?.['authorization'] === undefined
    ? {}
    : {
        lifecycle: (user: string, op: LifecycleOp) =>
          postJson(o, `/api/v1/users/${encodeURIComponent(user)}/lifecycle/${op === 'expirePassword' ? 'expire_password' : op}`, {}),
      }),
})
