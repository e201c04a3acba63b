import type { TaskEither } from 'fp-ts/lib/TaskEither.js'
import type { EpochMs } from '../model/ids.js'

/**
 * A message to the user through one channel: a one-time code (SMS, voice call, email) or a link
 * (recovery email). Delivered after the step that made it was committed, at most once
 * (docs/adr/0008-credential-state.md); `id` is unique per message, so a sender can deduplicate.
 */
export interface OutboundMessage {
  readonly id: string
  readonly channel: 'sms' | 'call' | 'email'
  /** E.164 phone number (`sms`, `call`) or email address (`email`). */
  readonly to: string
  /** The email subject; ignored by SMS and voice. */
  readonly subject: string
  /** The text to send (SMS body, email text part, or what a voice call says). */
  readonly text: string
  /** What the message is for: the kind of code or link, for templates, logs and the dev outbox. */
  readonly purpose: 'mfa-challenge' | 'mfa-activation' | 'recovery-code' | 'recovery-link'
  readonly createdAt: EpochMs
}

/** Why a delivery failed: the provider refused it, or could not be reached in time. */
export type DeliveryError =
  | { readonly _tag: 'Refused'; readonly detail: string }
  | { readonly _tag: 'Unreachable'; readonly detail: string }

/**
 * Delivers messages to the outside world (the dev outbox, SMTP, an SMS/voice provider, a webhook).
 * Every implementation bounds each call with a timeout and never throws.
 */
export interface MessageSender {
  readonly send: (message: OutboundMessage) => TaskEither<DeliveryError, void>
}
