import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { createSocket, type Socket } from 'node:dgram'
import { isIPv6 } from 'node:net'
import * as E from 'fp-ts/lib/Either.js'
import type * as TE from 'fp-ts/lib/TaskEither.js'
import radius from 'radius'

/** A RADIUS server: where to send Access-Requests, and the secret shared with it. */
export interface RadiusServer {
  readonly host: string
  readonly port: number
  readonly secret: string
}

export interface RadiusClientOptions {
  readonly server: RadiusServer
  /** How long to wait for a reply to one transmission (default 1000 ms). */
  readonly timeoutMs?: number
  /** Retransmissions after the first one, same identifier and authenticator (default 1: two tries in all). */
  readonly retries?: number
  /** The `NAS-Identifier` sent with every request (default `authn-machine`). */
  readonly nasIdentifier?: string
  /**
   * Refuse a reply without a `Message-Authenticator` (default false: some servers sign replies
   * with the Response Authenticator only). A reply that carries one is always checked.
   */
  readonly requireMessageAuthenticator?: boolean
}

/** The server's verdict on one Access-Request. */
export type RadiusReply =
  | { readonly _tag: 'Accept' }
  | { readonly _tag: 'Reject'; readonly replyMessage: string | null }
  /** Access-Challenge: the server wants another answer (RSA's next-tokencode and new-PIN modes), sent back with `state`. */
  | { readonly _tag: 'Challenge'; readonly state: Uint8Array; readonly replyMessage: string | null }

/** No verdict: nothing came back in time, the reply was not signed with our secret, or the socket failed. */
export type RadiusError =
  | { readonly _tag: 'Timeout'; readonly attempts: number }
  | { readonly _tag: 'Unauthenticated'; readonly reason: string }
  | { readonly _tag: 'SocketError'; readonly cause: unknown }

export interface RadiusClient {
  /** One Access-Request (PAP) for `userName` with `password`; `state` answers an Access-Challenge. Never throws. */
  readonly authenticate: (userName: string, password: string, state?: Uint8Array) => TE.TaskEither<RadiusError, RadiusReply>
}

const CODE_ACCESS_ACCEPT = 2
const CODE_ACCESS_REJECT = 3
const CODE_ACCESS_CHALLENGE = 11
const ATTR_REPLY_MESSAGE = 18
const ATTR_STATE = 24
const ATTR_MESSAGE_AUTHENTICATOR = 80
const HEADER = 20
/** RFC 2865 §5.2: a User-Password is at most 128 bytes. */
export const MAX_PASSWORD_BYTES = 128
/** RFC 2865 §5.1: a User-Name is at most 253 bytes. */
export const MAX_USER_NAME_BYTES = 253

const DEFAULT_TIMEOUT_MS = 1_000
const DEFAULT_RETRIES = 1

interface RawAttribute {
  readonly type: number
  /** Offset of the value in the packet. */
  readonly at: number
  readonly value: Buffer
}

/** The attributes of a packet, or null when their lengths do not add up to the packet's. */
const attributesOf = (packet: Buffer, length: number): ReadonlyArray<RawAttribute> | null => {
  const out: RawAttribute[] = []
  let i = HEADER
  while (i < length) {
    if (i + 2 > length) return null
    const type = packet.readUInt8(i)
    const len = packet.readUInt8(i + 1)
    if (len < 2 || i + len > length) return null
    out.push({ type, at: i + 2, value: packet.subarray(i + 2, i + len) })
    i += len
  }
  return out
}

const equal = (a: Buffer, b: Buffer): boolean => a.length === b.length && timingSafeEqual(a, b)

/**
 * Checks a reply against the request it answers (RFC 2865 §3, RFC 3579 §3.2): the Response
 * Authenticator `MD5(Code‖ID‖Length‖RequestAuth‖Attributes‖Secret)`, and the
 * Message-Authenticator, when present (or when required), `HMAC-MD5(secret, reply with the
 * request authenticator in place and the attribute zeroed)`. The verdict, or why it is refused.
 */
export const checkReply = (
  reply: Buffer,
  requestAuthenticator: Buffer,
  secret: string,
  requireMessageAuthenticator: boolean,
): { readonly ok: true; readonly attributes: ReadonlyArray<RawAttribute>; readonly code: number } | { readonly ok: false; readonly reason: string } => {
  if (reply.length < HEADER) return { ok: false, reason: 'reply shorter than a RADIUS header' }
  const length = reply.readUInt16BE(2)
  if (length < HEADER || length > reply.length) return { ok: false, reason: 'reply length field out of range' }
  const packet = Buffer.from(reply.subarray(0, length))
  const attributes = attributesOf(packet, length)
  if (attributes === null) return { ok: false, reason: 'malformed attributes' }
  const given = Buffer.from(packet.subarray(4, HEADER))
  requestAuthenticator.copy(packet, 4)
  const expected = createHash('md5').update(packet).update(secret, 'utf8').digest()
  if (!equal(given, expected)) return { ok: false, reason: 'Response Authenticator mismatch (shared secret?)' }
  const mas = attributes.filter((a) => a.type === ATTR_MESSAGE_AUTHENTICATOR)
  if (mas.length > 1) return { ok: false, reason: 'more than one Message-Authenticator' }
  const ma = mas[0]
  if (ma === undefined) return requireMessageAuthenticator ? { ok: false, reason: 'no Message-Authenticator' } : { ok: true, attributes, code: packet.readUInt8(0) }
  if (ma.value.length !== 16) return { ok: false, reason: 'Message-Authenticator of the wrong length' }
  const givenMa = Buffer.from(ma.value)
  packet.fill(0, ma.at, ma.at + 16)
  const expectedMa = createHmac('md5', secret).update(packet).digest()
  return equal(givenMa, expectedMa) ? { ok: true, attributes, code: packet.readUInt8(0) } : { ok: false, reason: 'Message-Authenticator mismatch (shared secret?)' }
}

const replyMessageOf = (attributes: ReadonlyArray<RawAttribute>): string | null => {
  const parts = attributes.filter((a) => a.type === ATTR_REPLY_MESSAGE).map((a) => a.value.toString('utf8'))
  return parts.length === 0 ? null : parts.join('')
}

const verdictOf = (code: number, attributes: ReadonlyArray<RawAttribute>): RadiusReply | RadiusError => {
  switch (code) {
    case CODE_ACCESS_ACCEPT:
      return { _tag: 'Accept' }
    case CODE_ACCESS_REJECT:
      return { _tag: 'Reject', replyMessage: replyMessageOf(attributes) }
    case CODE_ACCESS_CHALLENGE: {
      const state = attributes.find((a) => a.type === ATTR_STATE)
      return state === undefined
        ? { _tag: 'Unauthenticated', reason: 'Access-Challenge without State' }
        : { _tag: 'Challenge', state: Uint8Array.from(state.value), replyMessage: replyMessageOf(attributes) }
    }
    default:
      return { _tag: 'Unauthenticated', reason: `unexpected reply code ${code}` }
  }
}

const isReply = (r: RadiusReply | RadiusError): r is RadiusReply => r._tag === 'Accept' || r._tag === 'Reject' || r._tag === 'Challenge'

/**
 * A RADIUS client (RFC 2865 PAP over UDP, `node:dgram`). Each request gets its own socket, a
 * random identifier and Request Authenticator, and a Message-Authenticator (RFC 3579, the
 * Blast-RADIUS defence); it is sent again, unchanged, after each `timeoutMs` without a reply, up
 * to `retries` times. A reply is taken only when its identifier matches and it is signed with
 * the shared secret (`checkReply`); one that is not ends the request as `Unauthenticated`. The
 * packets are encoded by the `radius` codec (User-Password hiding included). Throws a TypeError
 * (at construction only) for bad options.
 */
export function createRadiusClient(options: RadiusClientOptions): RadiusClient {
  const { server } = options
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const retries = options.retries ?? DEFAULT_RETRIES
  const nasIdentifier = options.nasIdentifier ?? 'authn-machine'
  const requireMa = options.requireMessageAuthenticator ?? false
  if (typeof server.host !== 'string' || server.host.length === 0) throw new TypeError('createRadiusClient: server.host is required')
  if (!Number.isInteger(server.port) || server.port < 1 || server.port > 65535) throw new TypeError('createRadiusClient: server.port must be 1 to 65535')
  if (typeof server.secret !== 'string' || server.secret.length === 0) throw new TypeError('createRadiusClient: server.secret is required')
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 60_000) throw new TypeError('createRadiusClient: timeoutMs must be an integer from 1 to 60000')
  if (!Number.isInteger(retries) || retries < 0 || retries > 10) throw new TypeError('createRadiusClient: retries must be an integer from 0 to 10')

  const exchange = (userName: string, password: string, state: Uint8Array | undefined): Promise<RadiusReply | RadiusError> =>
    new Promise((resolve) => {
      let socket: Socket
      let packet: Buffer
      const identifier = randomBytes(1).readUInt8(0)
      const authenticator = randomBytes(16)
      try {
        const attributes: Array<[string, string | Buffer]> = [
          ['User-Name', userName],
          ['User-Password', password],
          ['NAS-Identifier', nasIdentifier],
        ]
        if (state !== undefined) attributes.push(['State', Buffer.from(state)])
        packet = radius.encode({ code: 'Access-Request', secret: server.secret, identifier, authenticator, attributes, add_message_authenticator: true })
        socket = createSocket(isIPv6(server.host) ? 'udp6' : 'udp4')
      } catch (cause) {
        resolve({ _tag: 'SocketError', cause })
        return
      }
      let attempts = 0
      let timer: NodeJS.Timeout | undefined
      let done = false
      const finish = (r: RadiusReply | RadiusError): void => {
        if (done) return
        done = true
        if (timer !== undefined) clearTimeout(timer)
        socket.removeAllListeners('message')
        socket.on('error', () => {})
        try {
          socket.close()
        } catch {
          // already closed
        }
        resolve(r)
      }
      const transmit = (): void => {
        if (attempts > retries) {
          finish({ _tag: 'Timeout', attempts })
          return
        }
        attempts += 1
        socket.send(packet, server.port, server.host, (err) => {
          if (err) finish({ _tag: 'SocketError', cause: err })
        })
        timer = setTimeout(transmit, timeoutMs)
      }
      socket.on('error', (cause) => finish({ _tag: 'SocketError', cause }))
      socket.on('message', (msg, rinfo) => {
        // Replies from elsewhere, or to another request, are not ours.
        if (rinfo.port !== server.port || msg.length < HEADER || msg.readUInt8(1) !== identifier) return
        const checked = checkReply(msg, authenticator, server.secret, requireMa)
        finish(checked.ok ? verdictOf(checked.code, checked.attributes) : { _tag: 'Unauthenticated', reason: checked.reason })
      })
      transmit()
    })

  return {
    authenticate: (userName, password, state) => () =>
      exchange(userName, password, state).then(
        (r): E.Either<RadiusError, RadiusReply> => (isReply(r) ? E.right(r) : E.left(r)),
        (cause: unknown): E.Either<RadiusError, RadiusReply> => E.left({ _tag: 'SocketError', cause }),
      ),
  }
}
