import type { TaskEither } from 'fp-ts/lib/TaskEither.js'
import { decodeApiKey, hasValidSignature, isWsapiStatus, parseWsapiAnswer, signed, verifyUrlOf, type WsapiStatus } from './wsapi.js'

/** Where the validation servers are and how this client is known to them. */
export interface YubicoValidationOptions {
  /**
   * The validation servers, tried in order: the next one only when one gives no answer
   * (connection refused or lost, timeout, an HTTP status other than 200). A URL without a path
   * gets `/wsapi/2.0/verify`. http or https: answers are signed either way, https keeps the OTP
   * private on the way.
   */
  readonly urls: ReadonlyArray<string>
  /** The client id Yubico (or the server's admin) gave with the API key: digits. */
  readonly clientId: string
  /** The API key, base64 as given: the HMAC-SHA1 key of requests and answers. */
  readonly apiKey: string
  /** The most one server may take to answer, connection included (ms). Several servers: at most `urls.length` times this. */
  readonly timeoutMs: number
  /** `sl`: the percentage of the server's sync pool that must agree (0 to 100); default the server's. */
  readonly syncLevel?: number
  /** `timeout`: the seconds the server may wait for its sync pool; default the server's. */
  readonly serverTimeoutSeconds?: number
}

/** Why there is no answer to rely on. None of them says anything about the OTP. */
export type ValidationError =
  /** No server answered: each refused the connection, lost it, timed out or answered a status other than 200. */
  | { readonly _tag: 'Unreachable'; readonly causes: ReadonlyArray<string> }
  /** An answer that is not a signed protocol 2.0 answer to this request: unreadable, no status, a wrong signature, or another `otp` or `nonce`. */
  | { readonly _tag: 'Untrusted'; readonly reason: 'unreadable' | 'signature' | 'otp' | 'nonce' | 'status' }

/**
 * A trusted answer: signed with the API key, about this OTP and this nonce. `sessionCounter` and
 * `sessionUse` are the token's counters when the server gave them (it does when asked for
 * `timestamp=1`); they are signed too. An answer that is not a verdict (`NO_SUCH_CLIENT`,
 * `BACKEND_ERROR`…) is given whether or not it is signed: it cannot lead to an acceptance.
 */
export interface ValidationAnswer {
  readonly status: WsapiStatus
  readonly signed: boolean
  readonly sessionCounter: number | null
  readonly sessionUse: number | null
}

/** A client of the Yubico validation protocol 2.0. */
export interface YubicoValidationClient {
  /** Asks the servers about `otp` with `nonce` (16 to 40 letters and digits, random, never reused: see `isNonce`). Never rejects. */
  readonly verify: (otp: string, nonce: string) => TaskEither<ValidationError, ValidationAnswer>
}

/** The largest answer read (bytes); a protocol answer is a few hundred. */
export const MAX_ANSWER_BYTES = 8 * 1024

/** The statuses that are a verdict on the OTP: only a signed answer about this OTP and nonce is taken. */
const VERDICTS: ReadonlySet<WsapiStatus> = new Set(['OK', 'BAD_OTP', 'REPLAYED_OTP', 'DELAYED_OTP'])

/** Whether `nonce` is what the protocol allows: 16 to 40 letters and digits. */
export const isNonce = (nonce: string): boolean => /^[A-Za-z0-9]{16,40}$/.test(nonce)

const counterField = (v: string | undefined, max: number): number | null => {
  if (v === undefined || !/^\d{1,6}$/.test(v)) return null
  const n = Number(v)
  return n <= max ? n : null
}

/** The options, checked: a TypeError (at construction only) names the first problem. */
const checked = (o: YubicoValidationOptions): { readonly urls: ReadonlyArray<string>; readonly key: Uint8Array } => {
  if (typeof o !== 'object' || o === null) throw new TypeError('createYubicoValidationClient: options are required')
  if (!Array.isArray(o.urls) || o.urls.length === 0) throw new TypeError('createYubicoValidationClient: `urls` must name at least one validation server')
  const urls = o.urls.map((u: unknown) => {
    const v = typeof u === 'string' ? verifyUrlOf(u) : null
    if (v === null) throw new TypeError(`createYubicoValidationClient: ${String(u)} is not an http(s) URL without credentials, query or fragment`)
    return v
  })
  if (typeof o.clientId !== 'string' || !/^\d{1,20}$/.test(o.clientId)) throw new TypeError('createYubicoValidationClient: `clientId` must be the client id, digits')
  const key = typeof o.apiKey === 'string' ? decodeApiKey(o.apiKey) : null
  if (key === null) throw new TypeError('createYubicoValidationClient: `apiKey` must be the API key, base64 of 1 to 64 bytes')
  if (typeof o.timeoutMs !== 'number' || !Number.isFinite(o.timeoutMs) || o.timeoutMs <= 0) throw new TypeError('createYubicoValidationClient: `timeoutMs` must be a positive number')
  if (o.syncLevel !== undefined && !(Number.isInteger(o.syncLevel) && o.syncLevel >= 0 && o.syncLevel <= 100))
    throw new TypeError('createYubicoValidationClient: `syncLevel` must be an integer from 0 to 100')
  if (o.serverTimeoutSeconds !== undefined && !(Number.isInteger(o.serverTimeoutSeconds) && o.serverTimeoutSeconds > 0))
    throw new TypeError('createYubicoValidationClient: `serverTimeoutSeconds` must be a positive integer')
  return { urls, key }
}

/** The body of a response, at most MAX_ANSWER_BYTES (null beyond), read under the request's signal. */
const readCapped = async (res: Response): Promise<string | null> => {
  if (res.body === null) return ''
  const chunks: Uint8Array[] = []
  let size = 0
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    size += chunk.length
    if (size > MAX_ANSWER_BYTES) return null
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** One server asked once: its answer's text, or why there was none. */
const ask = async (url: string, query: URLSearchParams, timeoutMs: number): Promise<{ readonly text: string | null } | { readonly error: string }> => {
  try {
    const res = await fetch(`${url}?${query.toString()}`, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error', headers: { accept: 'text/plain' } })
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => undefined)
      return { error: `${url}: HTTP ${res.status}` }
    }
    return { text: await readCapped(res) }
  } catch (e) {
    const name = e instanceof Error ? e.name : ''
    return { error: `${url}: ${name === 'TimeoutError' || name === 'AbortError' ? `no answer within ${timeoutMs} ms` : e instanceof Error ? e.message : String(e)}` }
  }
}

/** Reads a server's answer to the request for `otp` with `nonce`. */
export const readAnswer = (text: string | null, key: Uint8Array, otp: string, nonce: string): ValidationError | ValidationAnswer => {
  const fields = text === null ? null : parseWsapiAnswer(text)
  if (fields === null) return { _tag: 'Untrusted', reason: 'unreadable' }
  const status = fields.get('status')
  if (status === undefined || !isWsapiStatus(status)) return { _tag: 'Untrusted', reason: 'status' }
  const isSigned = hasValidSignature(fields, key)
  if (VERDICTS.has(status)) {
    if (!isSigned) return { _tag: 'Untrusted', reason: 'signature' }
    if (fields.get('otp') !== otp) return { _tag: 'Untrusted', reason: 'otp' }
    if (fields.get('nonce') !== nonce) return { _tag: 'Untrusted', reason: 'nonce' }
  }
  return {
    status,
    signed: isSigned,
    sessionCounter: isSigned ? counterField(fields.get('sessioncounter'), 0xffff) : null,
    sessionUse: isSigned ? counterField(fields.get('sessionuse'), 0xff) : null,
  }
}

/**
 * A client of the Yubico validation protocol 2.0 (`GET /wsapi/2.0/verify`) with `fetch`. Each
 * request carries `id`, `otp`, `nonce` and `timestamp=1` (for the token's counters), with `sl`
 * and `timeout` when configured, signed (`h`); the servers are tried in order until one answers,
 * each within `timeoutMs` (AbortSignal). A server's answer ends the request, whatever it says: it
 * is read, its signature checked and, for a verdict, its `otp` and `nonce` compared with the
 * request's. Throws a TypeError (at construction only) for bad options.
 */
export function createYubicoValidationClient(options: YubicoValidationOptions): YubicoValidationClient {
  const { urls, key } = checked(options)
  const { clientId, timeoutMs, syncLevel, serverTimeoutSeconds } = options
  return {
    verify: (otp, nonce) => async () => {
      const fields = new Map<string, string>([
        ['id', clientId],
        ['otp', otp],
        ['nonce', nonce],
        ['timestamp', '1'],
        ...(syncLevel === undefined ? [] : [['sl', String(syncLevel)] as const]),
        ...(serverTimeoutSeconds === undefined ? [] : [['timeout', String(serverTimeoutSeconds)] as const]),
      ])
      const query = new URLSearchParams([...signed(fields, key)])
      const causes: string[] = []
      for (const url of urls) {
        const reply = await ask(url, query, timeoutMs)
        if ('error' in reply) {
          causes.push(reply.error)
          continue
        }
        const answer = readAnswer(reply.text, key, otp, nonce)
        return '_tag' in answer ? { _tag: 'Left', left: answer } : { _tag: 'Right', right: answer }
      }
      return { _tag: 'Left', left: { _tag: 'Unreachable', causes } }
    },
  }
}
