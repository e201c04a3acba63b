/**
 * The APNs sender (docs/adr/0031-push.md): a `PushGateway` that posts a challenge as an alert to
 * Apple's push service over one HTTP/2 connection, authenticated by an ES256 provider token.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto'
import { connect, constants, type ClientHttp2Session, type ClientHttp2Stream, type OutgoingHttpHeaders } from 'node:http2'
import { rootCertificates } from 'node:tls'
import { SignJWT } from 'jose'
import type { PushChallenge, PushDeliveryError, PushGateway, PushTarget } from './gateway.js'

/** Apple's production push service. */
export const APNS_ORIGIN = 'https://api.push.apple.com'
/** The most a delivery may take by default, connection and TLS handshake included (ms). */
export const APNS_DEFAULT_TIMEOUT_MS = 5_000
/** How long a provider token is reused by default (ms): Apple accepts 20–60 min and refuses renewing more than once per 20 min. */
export const APNS_DEFAULT_TOKEN_LIFETIME_MS = 50 * 60_000
/** The largest notification payload APNs accepts for an alert (bytes). */
export const APNS_MAX_PAYLOAD_BYTES = 4096
/** The largest response body read (bytes); an APNs error body is well under 1 KiB. */
export const APNS_MAX_RESPONSE_BYTES = 64 * 1024

/** Where APNs is and the credential (token-based, a `.p8` signing key) this app is known by. */
export interface ApnsConfig {
  /** The service origin (`https:`); defaults to `APNS_ORIGIN`. */
  readonly origin?: string
  /** The Apple developer team id (10 characters). */
  readonly teamId: string
  /** The id of the signing key (10 characters). */
  readonly keyId: string
  /** The signing key: PKCS#8 PEM of a P-256 key (Apple's `.p8` file). */
  readonly privateKey: string
  /** The app's bundle id, sent as `apns-topic`. */
  readonly topic: string
  /** A CA certificate (PEM) trusted besides the system's: tests and private deployments. */
  readonly ca?: string | Buffer
  /** The most a delivery may take, connection, TLS handshake and one token retry included (ms). */
  readonly timeoutMs?: number
  /** How long a provider token is reused (ms), at most 60 minutes. */
  readonly tokenLifetimeMs?: number
  /** The clock (epoch milliseconds); defaults to `Date.now`. */
  readonly now?: () => number
}

/** An APNs gateway; `close` ends its connection (the gateway may not be used afterwards). */
export type ApnsGateway = PushGateway & { readonly close: () => Promise<void> }

/** What the device receives: the alert it shows and the challenge its app answers. */
export interface ApnsPayload {
  readonly aps: {
    readonly alert: { readonly title: string; readonly body: string }
    readonly category: 'PUSH_CHALLENGE'
    readonly 'mutable-content': 1
  }
  readonly challenge: PushChallenge
}

const APPLE_ID = /^[A-Z0-9]{10}$/
const TOPIC = /^[A-Za-z0-9._-]{1,255}$/
const PUSH_TOKEN = /^[0-9a-fA-F]{64,200}$/
const MAX_TOKEN_LIFETIME_MS = 60 * 60_000
/** A newer challenge for the same factor replaces the older one on the device: at most 64 bytes, sent only when plain ASCII. */
const COLLAPSE_ID = /^[\x21-\x7e]{1,64}$/
const MAX_REASON_LENGTH = 128

const invalid = (field: string, what: string): never => {
  throw new TypeError(`createApnsGateway: \`${field}\` ${what}`)
}

const positive = (field: string, v: unknown, fallback: number, max = Number.MAX_SAFE_INTEGER): number => {
  if (v === undefined) return fallback
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > max) return invalid(field, `must be a positive number of milliseconds (at most ${max})`)
  return v
}

const signingKey = (pem: unknown): KeyObject => {
  if (typeof pem !== 'string' || pem.trim() === '') return invalid('privateKey', 'must be a PEM string (PKCS#8, P-256)')
  let key: KeyObject
  try {
    key = createPrivateKey(pem)
  } catch {
    return invalid('privateKey', 'is not a readable private key (PKCS#8 PEM, P-256)')
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') return invalid('privateKey', 'must be an EC P-256 key')
  return key
}

const originOf = (v: unknown): string => {
  if (typeof v !== 'string') return invalid('origin', 'must be an https: URL')
  let url: URL
  try {
    url = new URL(v)
  } catch {
    return invalid('origin', 'must be an https: URL')
  }
  if (url.protocol !== 'https:' || (url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '' || url.username !== '') {
    return invalid('origin', 'must be an https: origin (no path, query or credentials)')
  }
  return url.origin
}

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8')

/** The payload for a challenge, as JSON; `userAgent` is dropped when the whole would exceed `APNS_MAX_PAYLOAD_BYTES`. */
export const apnsPayload = (challenge: PushChallenge): string | null => {
  const encode = (c: PushChallenge): string => {
    const payload: ApnsPayload = {
      aps: {
        alert: { title: 'Sign-in request', body: `Approve the sign-in of ${c.context.login}?` },
        category: 'PUSH_CHALLENGE',
        'mutable-content': 1,
      },
      challenge: c,
    }
    return JSON.stringify(payload)
  }
  const full = encode(challenge)
  if (bytes(full) <= APNS_MAX_PAYLOAD_BYTES) return full
  if (challenge.context.userAgent === null) return null
  const slim = encode({ ...challenge, context: { ...challenge.context, userAgent: null } })
  return bytes(slim) <= APNS_MAX_PAYLOAD_BYTES ? slim : null
}

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_)|CERT|ISSUER|SIGNATURE|SELF_SIGNED/

/** A short reason for a transport failure: `TLS` for a refused handshake, else the error code. */
const transportReason = (e: unknown): string => {
  // A stream cancelled because its connection failed carries the connection's error as its cause.
  if (e instanceof Error && 'code' in e && e.code === 'ERR_HTTP2_STREAM_CANCEL' && e.cause !== undefined) return transportReason(e.cause)
  const code = typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : undefined
  if (code === undefined) return 'Unreachable'
  return TLS_CODE.test(code) ? 'TLS' : code
}

/** The `reason` of an APNs error body, or `HTTP <status>`. */
const reasonOf = (status: number, body: string): string => {
  try {
    const parsed: unknown = JSON.parse(body)
    if (typeof parsed === 'object' && parsed !== null && 'reason' in parsed) {
      const { reason } = parsed
      if (typeof reason === 'string' && reason !== '' && reason.length <= MAX_REASON_LENGTH) return reason
    }
  } catch {
    // not JSON: fall through
  }
  return `HTTP ${status}`
}

type Exchange = { readonly status: number; readonly body: string } | { readonly failure: string }

const unavailable = (reason: string): PushDeliveryError => ({ _tag: 'unavailable', reason })
const rejected = (reason: string): PushDeliveryError => ({ _tag: 'rejected', reason })

/**
 * An APNs gateway. Throws a TypeError (at creation only) naming the bad field of `config`. It
 * keeps one HTTP/2 connection (unreferenced: it never keeps the process alive), opened at the
 * first delivery and again after it closed, failed or was told to go away; and one provider
 * token, renewed after `tokenLifetimeMs` or when APNs says it expired. A delivery never rejects.
 */
export function createApnsGateway(config: ApnsConfig): ApnsGateway {
  const origin = originOf(config.origin ?? APNS_ORIGIN)
  const teamId = APPLE_ID.test(String(config.teamId)) ? config.teamId : invalid('teamId', 'must be 10 upper-case letters or digits')
  const keyId = APPLE_ID.test(String(config.keyId)) ? config.keyId : invalid('keyId', 'must be 10 upper-case letters or digits')
  const key = signingKey(config.privateKey)
  const topic = typeof config.topic === 'string' && TOPIC.test(config.topic) ? config.topic : invalid('topic', 'must be a bundle id')
  if (config.ca !== undefined && ((typeof config.ca !== 'string' && !Buffer.isBuffer(config.ca)) || config.ca.length === 0)) invalid('ca', 'must be a non-empty PEM')
  const ca = config.ca === undefined ? undefined : [...rootCertificates, config.ca]
  const timeoutMs = positive('timeoutMs', config.timeoutMs, APNS_DEFAULT_TIMEOUT_MS)
  const tokenLifetimeMs = positive('tokenLifetimeMs', config.tokenLifetimeMs, APNS_DEFAULT_TOKEN_LIFETIME_MS, MAX_TOKEN_LIFETIME_MS)
  if (config.now !== undefined && typeof config.now !== 'function') invalid('now', 'must be a function')
  const now = config.now ?? Date.now

  // The provider token: one signature per lifetime, shared by concurrent deliveries.
  let token: { readonly jwt: Promise<string>; readonly issuedAt: number } | undefined
  const providerToken = (): Promise<string> => {
    const t = now()
    if (token !== undefined && t >= token.issuedAt && t - token.issuedAt < tokenLifetimeMs) return token.jwt
    const jwt = new SignJWT({ iss: teamId, iat: Math.floor(t / 1000) }).setProtectedHeader({ alg: 'ES256', kid: keyId }).sign(key)
    const minted = { jwt, issuedAt: t }
    token = minted
    jwt.catch(() => {
      if (token === minted) token = undefined
    })
    return jwt
  }
  const dropToken = (jwt: Promise<string>): void => {
    if (token?.jwt === jwt) token = undefined
  }

  // The connection: reused while it is open, replaced once it closed, failed or got a GOAWAY.
  let session: ClientHttp2Session | undefined
  let closed = false
  const sessionErrors = new WeakMap<ClientHttp2Session, unknown>()
  const currentSession = (): ClientHttp2Session => {
    if (session !== undefined && !session.closed && !session.destroyed) return session
    const s = connect(origin, ca === undefined ? {} : { ca })
    s.unref()
    const forget = (): void => {
      if (session === s) session = undefined
    }
    s.on('error', (e: unknown) => {
      sessionErrors.set(s, e)
      forget()
    })
    s.on('goaway', forget)
    s.on('close', forget)
    session = s
    return s
  }
  const dropSession = (s: ClientHttp2Session): void => {
    if (session === s) session = undefined
    s.destroy()
  }

  /** One request on the shared connection; resolves (never rejects) once its stream closed. */
  const exchange = (headers: OutgoingHttpHeaders, body: string, started: (stream: ClientHttp2Stream, s: ClientHttp2Session) => void): Promise<Exchange> =>
    new Promise((resolve) => {
      let s: ClientHttp2Session
      let stream: ClientHttp2Stream
      try {
        s = currentSession()
        stream = s.request(headers)
      } catch (e) {
        resolve({ failure: transportReason(e) })
        return
      }
      started(stream, s)
      let status: number | undefined
      let error: unknown
      const chunks: Buffer[] = []
      let size = 0
      stream.on('response', (h) => {
        status = Number(h[':status'])
      })
      stream.on('data', (chunk: Buffer) => {
        if (size >= APNS_MAX_RESPONSE_BYTES) return
        const part = chunk.subarray(0, APNS_MAX_RESPONSE_BYTES - size)
        chunks.push(part)
        size += part.length
        if (size >= APNS_MAX_RESPONSE_BYTES) stream.close(constants.NGHTTP2_CANCEL)
      })
      stream.on('error', (e: unknown) => {
        error = e
      })
      stream.on('close', () => {
        if (status !== undefined && Number.isInteger(status)) {
          resolve({ status, body: Buffer.concat(chunks).toString('utf8') })
          return
        }
        const cause = error ?? sessionErrors.get(s)
        if (cause !== undefined) resolve({ failure: transportReason(cause) })
        else resolve({ failure: stream.rstCode !== undefined && stream.rstCode !== constants.NGHTTP2_NO_ERROR ? `StreamReset ${stream.rstCode}` : 'NoResponse' })
      })
      stream.end(body)
    })

  const send = (target: PushTarget, challenge: PushChallenge): Promise<PushDeliveryError | null> => {
    if (target.pushToken === null) return Promise.resolve(rejected('NoPushToken'))
    if (!PUSH_TOKEN.test(target.pushToken)) return Promise.resolve(rejected('BadDeviceToken'))
    if (closed) return Promise.resolve(unavailable('Closed'))
    const body = apnsPayload(challenge)
    if (body === null) return Promise.resolve(rejected('PayloadTooLarge'))
    const expiration = Number.isFinite(challenge.expiresAt) ? Math.max(0, Math.floor(challenge.expiresAt / 1000)) : 0
    const baseHeaders: OutgoingHttpHeaders = {
      ':method': 'POST',
      ':path': `/3/device/${target.pushToken}`,
      'apns-topic': topic,
      'apns-push-type': 'alert',
      'apns-priority': '10',
      'apns-expiration': String(expiration),
      ...(COLLAPSE_ID.test(challenge.factorId) ? { 'apns-collapse-id': challenge.factorId } : {}),
      'content-type': 'application/json',
    }

    return new Promise((resolve) => {
      let settled = false
      let inFlight: { stream: ClientHttp2Stream; session: ClientHttp2Session } | undefined
      const finish = (outcome: PushDeliveryError | null): void => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        resolve(outcome)
      }
      // One deadline for everything: token, connection, handshake, both attempts and the answers.
      const timer = setTimeout(() => {
        finish(unavailable('Timeout'))
        if (inFlight === undefined) return
        const { stream, session: s } = inFlight
        if (!stream.closed && !stream.destroyed) stream.close(constants.NGHTTP2_CANCEL)
        // A connection that never came up is not worth waiting for again.
        if (s.connecting) dropSession(s)
      }, timeoutMs)

      const attempt = async (): Promise<{ readonly jwt: Promise<string>; readonly answer: Exchange } | null> => {
        const jwt = providerToken()
        const bearer = await jwt
        if (settled) return null
        const answer = await exchange({ ...baseHeaders, authorization: `bearer ${bearer}` }, body, (stream, s) => {
          inFlight = { stream, session: s }
        })
        return { jwt, answer }
      }
      const run = async (): Promise<PushDeliveryError | null> => {
        let result = await attempt()
        if (result !== null && 'status' in result.answer && result.answer.status === 403) {
          const reason = reasonOf(403, result.answer.body)
          if (reason === 'ExpiredProviderToken' || reason === 'InvalidProviderToken') {
            dropToken(result.jwt)
            result = await attempt()
          }
        }
        if (result === null) return unavailable('Timeout')
        const { answer } = result
        if ('failure' in answer) return unavailable(answer.failure)
        if (answer.status === 200) return null
        const reason = reasonOf(answer.status, answer.body)
        return answer.status >= 400 && answer.status < 500 && answer.status !== 429 ? rejected(reason) : unavailable(reason)
      }
      run().then(finish, () => finish(unavailable('ProviderToken')))
    })
  }

  const deliver = (target: PushTarget, challenge: PushChallenge): Promise<PushDeliveryError | null> => {
    try {
      return send(target, challenge)
    } catch {
      // Only a challenge or target not of its type gets here (JSON.stringify, a missing field).
      return Promise.resolve(rejected('BadPayload'))
    }
  }

  const close = (): Promise<void> => {
    closed = true
    const s = session
    session = undefined
    if (s === undefined || s.closed || s.destroyed) return Promise.resolve()
    return new Promise((resolve) => {
      // Graceful: streams in flight may finish, but not for longer than a delivery may take.
      const timer = setTimeout(() => s.destroy(), timeoutMs)
      s.close(() => {
        clearTimeout(timer)
        resolve()
      })
    })
  }

  return { deliver, close }
}
