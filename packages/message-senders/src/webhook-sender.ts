import { createHmac, timingSafeEqual } from 'node:crypto'
import type { DeliveryError, MessageSender, OutboundMessage } from '@authn-machine/core'
import * as E from 'fp-ts/lib/Either.js'
import type { TaskEither } from 'fp-ts/lib/TaskEither.js'
import { refused, unreachable } from './delivery-error.js'
import { type FetchFn, httpPost } from './http-post.js'
import { toMessageJson } from './message-json.js'

export interface WebhookSenderOptions {
  readonly url: string
  /** The HMAC-SHA256 key shared with the receiver. */
  readonly secret: string
  /** Bound on each call, answer body included (default 10 000 ms). */
  readonly timeoutMs?: number
  /** Default: Node's built-in `fetch`. */
  readonly fetch?: FetchFn
}

/** `sha256=<hex>`: the `X-Authn-Signature` value for a raw body. */
export const webhookSignature = (rawBody: string | Uint8Array, secret: string): string =>
  `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`

/** For receivers: whether `header` is the signature of `rawBody` under `secret` (constant time). */
export const verifyWebhookSignature = (rawBody: string | Uint8Array, header: string | undefined, secret: string): boolean => {
  if (header === undefined) return false
  const expected = Buffer.from(webhookSignature(rawBody, secret), 'utf8')
  const given = Buffer.from(header, 'utf8')
  return expected.length === given.length && timingSafeEqual(expected, given)
}

/**
 * POSTs each message as JSON (`{ id, channel, to, subject, text, purpose, createdAt: ISO }`) with
 * `X-Authn-Signature: sha256=<hex HMAC of the raw body>` and `X-Authn-Message-Id`. 2xx is
 * delivered, 4xx `Refused`, anything else (other statuses, network error, timeout) `Unreachable`.
 * Never throws.
 */
export function createWebhookSender(options: WebhookSenderOptions): MessageSender {
  const url = new URL(options.url).href
  const timeoutMs = options.timeoutMs ?? 10_000
  const fetchFn: FetchFn = options.fetch ?? ((input, init) => fetch(input, init))

  const send = (m: OutboundMessage): TaskEither<DeliveryError, void> => async () => {
    const body = JSON.stringify(toMessageJson(m))
    const answer = await httpPost(
      fetchFn,
      'webhook',
      url,
      {
        headers: {
          'content-type': 'application/json',
          'x-authn-signature': webhookSignature(body, options.secret),
          'x-authn-message-id': m.id,
        },
        body,
      },
      timeoutMs,
    )
    if (E.isLeft(answer)) return answer
    const { status } = answer.right
    if (status >= 200 && status < 300) return E.right(undefined)
    if (status >= 400 && status < 500) return E.left(refused(`webhook answered ${status}`))
    return E.left(unreachable(`webhook answered ${status}`))
  }

  return { send }
}
