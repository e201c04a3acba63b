import type { OutboundMessage } from '@authn-machine/core'

/** One message as JSON: what `GET /__dev/outbox` lists and what the webhook sender posts. */
export interface OutboundMessageJson {
  readonly id: string
  readonly channel: OutboundMessage['channel']
  readonly to: string
  readonly subject: string
  readonly text: string
  readonly purpose: OutboundMessage['purpose']
  /** ISO 8601 (UTC) form of `createdAt`. */
  readonly createdAt: string
}

/** ISO 8601 form of an epoch-milliseconds instant; `'Invalid Date'` when out of range. */
export const isoInstant = (ms: number): string => {
  const date = new Date(ms)
  return Number.isNaN(date.getTime()) ? 'Invalid Date' : date.toISOString()
}

export const toMessageJson = (m: OutboundMessage): OutboundMessageJson => ({
  id: m.id,
  channel: m.channel,
  to: m.to,
  subject: m.subject,
  text: m.text,
  purpose: m.purpose,
  createdAt: isoInstant(m.createdAt),
})
