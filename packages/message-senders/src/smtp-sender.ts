import { createHash } from 'node:crypto'
import type { DeliveryError, MessageSender, OutboundMessage } from '@authn-machine/core'
import * as E from 'fp-ts/lib/Either.js'
import type { TaskEither } from 'fp-ts/lib/TaskEither.js'
import { createTransport } from 'nodemailer'
import { excerpt, refused, unreachable } from './delivery-error.js'

export interface SmtpSenderOptions {
  /**
   * `smtp://user:pass@host:port` (plain, upgraded with STARTTLS when the server offers it) or
   * `smtps://user:pass@host:port` (TLS from the start). User and password are URL-decoded; with
   * no user no AUTH is attempted. Default ports: 587 (`smtp`), 465 (`smtps`).
   */
  readonly url: string
  /** The From header and envelope sender, e.g. `"Example" <no-reply@example.com>`. */
  readonly from: string
  /** Bound on each call, from connecting to the server's last reply (default 10 000 ms). */
  readonly timeoutMs?: number
  /** TLS settings. `rejectUnauthorized: false` is for tests with a throw-away certificate only. */
  readonly tls?: { readonly ca?: string; readonly rejectUnauthorized?: boolean }
}

interface SmtpEndpoint {
  readonly host: string
  readonly port: number
  readonly secure: boolean
  readonly auth: { readonly user: string; readonly pass: string } | undefined
}

/** Parses the SMTP URL. Its error never repeats the URL, which holds the password. */
export const parseSmtpUrl = (url: string): SmtpEndpoint => {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new TypeError('SMTP url is not a valid URL (expected smtp://user:pass@host:port or smtps://…)')
  }
  if (parsed.protocol !== 'smtp:' && parsed.protocol !== 'smtps:') {
    throw new TypeError(`SMTP url scheme must be smtp: or smtps:, got ${parsed.protocol}`)
  }
  const secure = parsed.protocol === 'smtps:'
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1')
  if (host === '') throw new TypeError('SMTP url has no host')
  const user = decodeURIComponent(parsed.username)
  return {
    host,
    port: parsed.port === '' ? (secure ? 465 : 587) : Number(parsed.port),
    secure,
    auth: user === '' ? undefined : { user, pass: decodeURIComponent(parsed.password) },
  }
}

const dotAtom = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/

/**
 * The Message-ID for a message: `<id@domain-of-from>`, so that a retry of the same message carries
 * the same Message-ID. An id that is not a valid dot-atom is replaced by its SHA-256 (hex).
 */
export const messageIdFor = (id: string, from: string): string => {
  const domain = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from)?.[1] ?? 'authn-machine.invalid'
  const local = dotAtom.test(id) ? id : createHash('sha256').update(id, 'utf8').digest('hex')
  return `<${local}@${domain}>`
}

class DeadlineExceeded extends Error {
  override readonly name = 'DeadlineExceeded'
}

interface SmtpFailure {
  readonly code?: unknown
  readonly responseCode?: unknown
  readonly permanent?: unknown
  readonly command?: unknown
  readonly response?: unknown
}

const classify = (e: unknown, timeoutMs: number): DeliveryError => {
  if (e instanceof DeadlineExceeded) return unreachable(`SMTP: no answer within ${timeoutMs} ms`)
  const f: SmtpFailure = typeof e === 'object' && e !== null ? e : {}
  const code = typeof f.code === 'string' ? f.code : 'ERROR'
  const reply = typeof f.response === 'string' ? `: ${excerpt(f.response)}` : ''
  const command = typeof f.command === 'string' ? ` after ${f.command.split(' ')[0] ?? ''}` : ''
  if (code === 'EAUTH' || code === 'ENOAUTH') return refused(`SMTP authentication failed${reply}`)
  if (f.permanent === true) return refused(`SMTP ${code}${command}${reply}`)
  if (code === 'ETIMEDOUT') return unreachable(`SMTP: no answer within ${timeoutMs} ms`)
  return unreachable(`SMTP ${code}${command}${reply}`)
}

/**
 * Email over SMTP with nodemailer (one connection per message). Only `email` messages: `sms` and
 * `call` are `Refused`. Headers: From, To, Subject, `Message-ID` derived from `message.id`,
 * `X-Authn-Purpose`. Failed AUTH or a permanent (5xx) reply is `Refused`; a connection failure,
 * a transient reply or the timeout is `Unreachable`. Never throws and never logs: neither the text
 * nor the credentials appear in a `detail`. Throws at creation for a malformed `url`.
 */
export function createSmtpSender(options: SmtpSenderOptions): MessageSender {
  const endpoint = parseSmtpUrl(options.url)
  const timeoutMs = options.timeoutMs ?? 10_000
  const tls = options.tls ?? {}
  const transport = createTransport({
    host: endpoint.host,
    port: endpoint.port,
    secure: endpoint.secure,
    auth: endpoint.auth === undefined ? undefined : { user: endpoint.auth.user, pass: endpoint.auth.pass },
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    tls: {
      ...(tls.ca === undefined ? {} : { ca: tls.ca }),
      ...(tls.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: tls.rejectUnauthorized }),
    },
    logger: false,
    debug: false,
    disableFileAccess: true,
    disableUrlAccess: true,
  })

  const deliver = async (m: OutboundMessage): Promise<E.Either<DeliveryError, void>> => {
    const abort = new AbortController()
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        abort.abort()
        reject(new DeadlineExceeded())
      }, timeoutMs)
    })
    try {
      await Promise.race([
        transport.sendMail({
          from: options.from,
          to: m.to,
          subject: m.subject,
          text: m.text,
          messageId: messageIdFor(m.id, options.from),
          headers: { 'X-Authn-Purpose': m.purpose },
          signal: abort.signal,
        }),
        deadline,
      ])
      return E.right(undefined)
    } catch (e) {
      return E.left(classify(e, timeoutMs))
    } finally {
      clearTimeout(timer)
    }
  }

  const send = (m: OutboundMessage): TaskEither<DeliveryError, void> =>
    m.channel === 'email'
      ? () => deliver(m)
      : () => Promise.resolve(E.left(refused(`the SMTP sender delivers email messages, not ${m.channel}`)))

  return { send }
}
