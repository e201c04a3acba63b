import type { OutboundMessage } from '@authn-machine/core'

let seq = 0

/** A fresh message (unique id) with the given fields overridden. */
export const message = (overrides: Partial<OutboundMessage> = {}): OutboundMessage => {
  seq += 1
  return {
    id: `msg-${seq}`,
    channel: 'sms',
    to: '+15555550100',
    subject: 'Your verification code',
    text: `Your verification code is ${String(100000 + seq)}.`,
    purpose: 'mfa-challenge',
    createdAt: Date.UTC(2026, 0, 2, 3, 4, 5),
    ...overrides,
  }
}
