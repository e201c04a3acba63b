import type { DeliveryError, MessageSender, OutboundMessage } from '@authn-machine/core'
import * as E from 'fp-ts/lib/Either.js'
import type { TaskEither } from 'fp-ts/lib/TaskEither.js'
import { isoInstant, type OutboundMessageJson, toMessageJson } from './message-json.js'

export interface DevOutboxOptions {
  /** How many of the most recent messages are kept (default 200); older ones are dropped. */
  readonly capacity?: number
  /** Where the one line per message goes (default: stdout). */
  readonly log?: (line: string) => void
}

export interface DevOutboxFilter {
  /** Only messages to this recipient: emails compared case-insensitively, phone numbers as given. */
  readonly to?: string
}

/**
 * A `MessageSender` for development only: it delivers nothing, keeps the most recent messages in
 * memory and prints each one, **code included**, so a developer can complete a flow by hand.
 */
export interface DevOutbox extends MessageSender {
  /** The kept messages, newest first. */
  readonly messages: (filter?: DevOutboxFilter) => ReadonlyArray<OutboundMessage>
}

const defaultLog = (line: string): void => {
  process.stdout.write(`${line}\n`)
}

/** The line printed for one message: channel, recipient, purpose, subject (email) and the text. */
export const formatDevOutboxLine = (m: OutboundMessage): string => {
  const subject = m.channel === 'email' ? ` subject=${JSON.stringify(m.subject)}` : ''
  return `[dev-outbox] ${m.channel} to ${m.to} (${m.purpose}) at ${isoInstant(m.createdAt)} id=${m.id}${subject} text=${JSON.stringify(m.text)}`
}

const isRecipient = (m: OutboundMessage, to: string): boolean =>
  m.channel === 'email' ? m.to.toLowerCase() === to.toLowerCase() : m.to === to

/**
 * Creates a dev outbox: a fixed-size ring (O(1) per message). `send` always succeeds and never
 * throws, even when `log` does.
 */
export function createDevOutbox(options: DevOutboxOptions = {}): DevOutbox {
  const capacity = options.capacity ?? 200
  if (!Number.isInteger(capacity) || capacity < 1) {
    throw new RangeError(`dev outbox capacity must be a positive integer, got ${capacity}`)
  }
  const log = options.log ?? defaultLog
  const ring: Array<OutboundMessage | undefined> = new Array<OutboundMessage | undefined>(capacity).fill(undefined)
  let next = 0
  let size = 0

  const send = (message: OutboundMessage): TaskEither<DeliveryError, void> => () => {
    ring[next] = message
    next = (next + 1) % capacity
    size = Math.min(size + 1, capacity)
    try {
      log(formatDevOutboxLine(message))
    } catch {
      // The message is kept; a failing log sink must not fail the delivery.
    }
    return Promise.resolve(E.right(undefined))
  }

  const messages = (filter: DevOutboxFilter = {}): ReadonlyArray<OutboundMessage> => {
    const out: OutboundMessage[] = []
    for (let i = 1; i <= size; i++) {
      const m = ring[(next - i + capacity) % capacity]
      if (m !== undefined && (filter.to === undefined || isRecipient(m, filter.to))) out.push(m)
    }
    return out
  }

  return { send, messages }
}

/** The body `GET /__dev/outbox?to=…` answers: the given messages (newest first) as JSON values. */
export function devOutboxJson(messages: ReadonlyArray<OutboundMessage>): ReadonlyArray<OutboundMessageJson> {
  return messages.map(toMessageJson)
}
