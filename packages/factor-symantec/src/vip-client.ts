import type { ClientRequest } from 'node:http'
import { Agent, request } from 'node:https'
import type { TaskEither } from 'fp-ts/lib/TaskEither.js'
import { parseVipStatus, synchronizeEnvelope, validateEnvelope, type VipStatus } from './soap.js'

/** Where the VIP service is and the credential (client certificate) it knows this org by. */
export interface VipClientOptions {
  /** The `https:` URL the SOAP requests are posted to (the validation service, `…/val/soap`). */
  readonly endpoint: string
  /** The client certificate (PEM; chain allowed) from VIP Manager. */
  readonly clientCert: string
  /** Its private key (PEM), encrypted when `passphrase` is given. */
  readonly clientKey: string
  readonly passphrase?: string
  /** CA certificates (PEM) to trust for the service instead of the system's. */
  readonly ca?: string
  /** The most a request may take, connection and TLS handshake included (ms). */
  readonly timeoutMs: number
}

/** Why the service gave no usable answer. Every one is a transport problem, never a verdict on the code. */
export type VipError =
  /** No connection, the TLS handshake refused (no client certificate, an untrusted one), or the connection lost. */
  | { readonly _tag: 'Unreachable'; readonly cause: unknown }
  /** No answer within `timeoutMs`. */
  | { readonly _tag: 'Timeout' }
  /** An answer that is not a VIP response envelope with a reason code (HTTP status given). */
  | { readonly _tag: 'Malformed'; readonly httpStatus: number }

/** A client of the VIP validation service for one configured credential. */
export interface VipClient {
  /** `Validate(TokenId, OTP)`; never rejects. */
  readonly validate: (requestId: string, tokenId: string, otp: string) => TaskEither<VipError, VipStatus>
  /** `Synchronize(TokenId, OTP1, OTP2)`: two consecutive codes; never rejects. */
  readonly synchronize: (requestId: string, tokenId: string, otp1: string, otp2: string) => TaskEither<VipError, VipStatus>
  /** Closes the pooled connections (the client may not be used afterwards). */
  readonly close: () => void
}

/** The largest response read (bytes); a VIP response is well under 2 KiB. */
export const MAX_RESPONSE_BYTES = 64 * 1024

const nonEmpty = (name: string, v: unknown): string => {
  if (typeof v !== 'string' || v.trim() === '') throw new TypeError(`createVipClient: \`${name}\` must be a non-empty string`)
  return v
}

/**
 * A VIP client with its own `https.Agent` holding the client certificate and key: one agent per
 * configured credential, never the global agent, so a pooled TLS connection made with one
 * certificate is never reused for another. Throws a TypeError (at construction only) for an
 * endpoint that is not an `https:` URL, a missing certificate or key, or a timeout that is not a
 * positive number. A request never rejects: every failure is a `VipError`.
 */
export function createVipClient(options: VipClientOptions): VipClient {
  const url = new URL(nonEmpty('endpoint', options.endpoint))
  if (url.protocol !== 'https:') throw new TypeError('createVipClient: `endpoint` must be an https: URL')
  const cert = nonEmpty('clientCert', options.clientCert)
  const key = nonEmpty('clientKey', options.clientKey)
  const { timeoutMs } = options
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new TypeError('createVipClient: `timeoutMs` must be a positive number')
  const agent = new Agent({
    cert,
    key,
    ...(options.passphrase === undefined ? {} : { passphrase: options.passphrase }),
    ...(options.ca === undefined ? {} : { ca: options.ca }),
    keepAlive: true,
    maxSockets: 16,
    timeout: timeoutMs,
  })

  const post = (xml: string): TaskEither<VipError, VipStatus> => () =>
    new Promise((resolve) => {
      let settled = false
      const held: { req?: ClientRequest } = {}
      // One deadline for everything: connection, handshake, request and the whole response.
      const timer = setTimeout(() => {
        fail({ _tag: 'Timeout' })
        held.req?.destroy()
      }, timeoutMs)
      const settle = (r: { _tag: 'Left'; left: VipError } | { _tag: 'Right'; right: VipStatus }): void => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        resolve(r)
      }
      const fail = (left: VipError): void => settle({ _tag: 'Left', left })
      const payload = Buffer.from(xml, 'utf8')
      let req: ClientRequest
      try {
        req = request(url, {
          method: 'POST',
          agent,
          headers: { 'content-type': 'text/xml; charset=utf-8', 'content-length': payload.length, soapaction: '""' },
        })
      } catch (cause) {
        // A key that does not open with the passphrase, or a certificate that is not PEM, may fail here.
        fail({ _tag: 'Unreachable', cause })
        return
      }
      held.req = req
      req.on('error', (cause) => fail({ _tag: 'Unreachable', cause }))
      req.on('response', (res) => {
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (chunk: Buffer) => {
          size += chunk.length
          if (size > MAX_RESPONSE_BYTES) {
            fail({ _tag: 'Malformed', httpStatus: res.statusCode ?? 0 })
            req.destroy()
            return
          }
          chunks.push(chunk)
        })
        res.on('error', (cause) => fail({ _tag: 'Unreachable', cause }))
        res.on('end', () => {
          const status = parseVipStatus(Buffer.concat(chunks).toString('utf8'))
          // A SOAP 1.1 fault comes with 500; only a response carrying a reason code is an answer.
          if (status === null) fail({ _tag: 'Malformed', httpStatus: res.statusCode ?? 0 })
          else settle({ _tag: 'Right', right: status })
        })
      })
      req.end(payload)
    })

  return {
    validate: (requestId, tokenId, otp) => post(validateEnvelope(requestId, tokenId, otp)),
    synchronize: (requestId, tokenId, otp1, otp2) => post(synchronizeEnvelope(requestId, tokenId, otp1, otp2)),
    close: () => agent.destroy(),
  }
}
