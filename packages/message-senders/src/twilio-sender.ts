import type { DeliveryError, MessageSender, OutboundMessage } from '@authn-machine/core'
import * as E from 'fp-ts/lib/Either.js'
import type { TaskEither } from 'fp-ts/lib/TaskEither.js'
import { excerpt, refused, unreachable } from './delivery-error.js'
import { type FetchFn, httpPost } from './http-post.js'

export interface TwilioSenderOptions {
  readonly accountSid: string
  readonly authToken: string
  /** The sending number (E.164) or messaging-service sender. */
  readonly from: string
  /** Default `https://api.twilio.com`; any service speaking Twilio's 2010-04-01 REST shape fits. */
  readonly baseUrl?: string
  /** Bound on each call, answer body included (default 10 000 ms). */
  readonly timeoutMs?: number
  /** Default: Node's built-in `fetch`. */
  readonly fetch?: FetchFn
}

/** Escapes text for an XML element body or attribute value. */
export const escapeXml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c)

/** The TwiML a voice call plays: the message text, read out once. */
export const sayTwiml = (text: string): string => `<Response><Say>${escapeXml(text)}</Say></Response>`

const twilioError = (status: number, body: string): string => {
  try {
    const parsed: unknown = JSON.parse(body)
    if (typeof parsed === 'object' && parsed !== null) {
      const { code, message } = parsed as { code?: unknown; message?: unknown }
      if (typeof code === 'number' || typeof message === 'string') {
        return `Twilio ${status} error ${String(code)}: ${excerpt(String(message))}`
      }
    }
  } catch {
    // not JSON: fall through
  }
  return `Twilio ${status}: ${excerpt(body)}`
}

/**
 * SMS (`Messages.json`) and voice (`Calls.json` with inline TwiML) through Twilio's REST API, or
 * any provider speaking its shape. `email` messages are `Refused`. 2xx is delivered; 4xx is
 * `Refused` with Twilio's error code and message; 5xx, a network error or the timeout is
 * `Unreachable`. Never throws; the text and the auth token never appear in a `detail`.
 */
export function createTwilioSender(options: TwilioSenderOptions): MessageSender {
  const baseUrl = new URL(options.baseUrl ?? 'https://api.twilio.com').href.replace(/\/+$/, '')
  const timeoutMs = options.timeoutMs ?? 10_000
  const fetchFn: FetchFn = options.fetch ?? ((input, init) => fetch(input, init))
  const account = `${baseUrl}/2010-04-01/Accounts/${encodeURIComponent(options.accountSid)}`
  const authorization = `Basic ${Buffer.from(`${options.accountSid}:${options.authToken}`, 'utf8').toString('base64')}`

  const post = async (resource: 'Messages' | 'Calls', fields: Record<string, string>): Promise<E.Either<DeliveryError, void>> => {
    const answer = await httpPost(
      fetchFn,
      'Twilio',
      `${account}/${resource}.json`,
      {
        headers: {
          authorization,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: new URLSearchParams(fields).toString(),
      },
      timeoutMs,
    )
    if (E.isLeft(answer)) return answer
    const { status, body } = answer.right
    if (status >= 200 && status < 300) return E.right(undefined)
    if (status >= 400 && status < 500) return E.left(refused(twilioError(status, body)))
    return E.left(unreachable(`Twilio answered ${status}`))
  }

  const send = (m: OutboundMessage): TaskEither<DeliveryError, void> => () => {
    switch (m.channel) {
      case 'sms':
        return post('Messages', { To: m.to, From: options.from, Body: m.text })
      case 'call':
        return post('Calls', { To: m.to, From: options.from, Twiml: sayTwiml(m.text) })
      case 'email':
        return Promise.resolve(E.left(refused('the Twilio sender delivers sms and call messages, not email')))
    }
  }

  return { send }
}
