import { OPERATIONS, type OperationName } from '@authn-machine/core'
import { DRIVER_OPERATIONS, PUSH_DRIVER_OPERATIONS, type Driver, type DriverOperation, type LifecycleOp, type OutboxMessage, type PushDriverOperation, type WireResponse } from './driver.js'

export interface HttpDriverOptions {
  /** The implementation's base URL, e.g. `http://127.0.0.1:8080`. */
  readonly baseUrl: string
  /** Extra headers on every request (e.g. `authorization: SSWS …` for a trusted caller). */
  readonly headers?: Readonly<Record<string, string>>
  /** Per-request timeout. Default 10 s. */
  readonly timeoutMs?: number
}

/** The path of a driver operation, from the operation table. */
const PATHS = Object.fromEntries(OPERATIONS.map((o) => [o.name, o.path])) as Readonly<Record<OperationName, string>>

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

/** A path template with its parameters (`{factorId}`, `{factorType:sms|call}`) filled from the body. */
const fill = (template: string, body: unknown): string =>
  template.replace(/\{(\w+)(?::[\w|]+)?\}/g, (_, name: string) => {
    const value = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined
    return encodeURIComponent(typeof value === 'string' ? value : '')
  })

const isMessage = (x: unknown): x is OutboxMessage =>
  typeof x === 'object' &&
  x !== null &&
  ['channel', 'to', 'text', 'purpose', 'createdAt'].every((k) => typeof (x as Record<string, unknown>)[k] === 'string')

/**
 * `GET /__dev/outbox?to=…` (the reference server's `--dev-outbox`), with the driver's headers (its
 * API token): the messages to `to`, newest first; `null` on a 404 (no outbox served).
 */
export const readDevOutbox = async (o: HttpDriverOptions, to: string): Promise<ReadonlyArray<OutboxMessage> | null> => {
  const res = await fetch(new URL(`/__dev/outbox?to=${encodeURIComponent(to)}`, o.baseUrl), {
    headers: { accept: 'application/json', ...o.headers },
    signal: AbortSignal.timeout(o.timeoutMs ?? 10_000),
  })
  if (res.status === 404) return null
  const body = (await res.json().catch(() => null)) as unknown
  if (res.status !== 200 || !Array.isArray(body) || !body.every(isMessage))
    throw new Error(`GET /__dev/outbox answered ${res.status} ${JSON.stringify(body)}: expected a JSON array of messages`)
  return body
}

/** `GET /login/step-up/redirect?stateToken=…` without following it: a redirect as `{ location }`, else the JSON answer. */
export const followStepUp = async (o: HttpDriverOptions, token: string): Promise<WireResponse> => {
  const res = await fetch(new URL(`/login/step-up/redirect?stateToken=${encodeURIComponent(token)}`, o.baseUrl), {
    redirect: 'manual',
    headers: { accept: 'application/json' },
    signal: AbortSignal.timeout(o.timeoutMs ?? 10_000),
  })
  const text = await res.text()
  if (res.status >= 300 && res.status < 400) return { status: res.status, body: { location: res.headers.get('location') } }
  let parsed: unknown = text
  try {
    parsed = text === '' ? null : (JSON.parse(text) as unknown)
  } catch {
    // Not JSON: reported as it is.
  }
  return { status: res.status, body: parsed }
}

/** A Driver that speaks HTTP to any implementation of `/api/v1/authn`. It does not control time. */
export const createHttpDriver = (o: HttpDriverOptions): Driver => ({
  ...(Object.fromEntries(DRIVER_OPERATIONS.map((name) => [name, (b: unknown) => postJson(o, fill(PATHS[name], b), b)])) as {
    readonly [K in DriverOperation]: (body: unknown) => Promise<WireResponse>
  }),
  ...(Object.fromEntries(PUSH_DRIVER_OPERATIONS.map((name) => [name, (b: unknown) => postJson(o, fill(PATHS[name], b), b)])) as {
    readonly [K in PushDriverOperation]: (body: unknown) => Promise<WireResponse>
  }),
  advanceClock: () => false,
  readOutbox: (to: string) => readDevOutbox(o, to),
  stepUpRedirect: (token: string) => followStepUp(o, token),
  // Lifecycle operations need an administrator: only with an `authorization` header.
  ...(o.headers?.['authorization'] === undefined
    ? {}
    : {
        lifecycle: (user: string, op: LifecycleOp) =>
          postJson(o, `/api/v1/users/${encodeURIComponent(user)}/lifecycle/${op === 'expirePassword' ? 'expire_password' : op}`, {}),
        openStepUp: (b: unknown) => postJson(o, fill(PATHS.openStepUp, b), b),
      }),
})
