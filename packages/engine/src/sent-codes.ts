import * as E from 'fp-ts/lib/Either.js'
import {
  DEFAULT_SENT_CODE_POLICY,
  failure,
  type AuthnFailure,
  type CodePurpose,
  type EpochMs,
  type FactorOutcome,
  type MessageSender,
  type OutboundMessage,
  type Policies,
  type Random,
  type SecretBox,
  type SendingFactor,
  type SentCode,
} from '@authn-machine/core'

/** A family that sends codes, as the engine holds it among others. */
export type AnySendingFactor = SendingFactor<unknown, unknown, unknown>

/** What a sent code is bound to: its MAC covers the transaction, the factor and the code. */
const PURPOSE = 'sent-code'
const bound = (transactionId: string, factorId: string, code: string): string => `${transactionId}/${factorId}/${code}`

const b64url = (b: Uint8Array): string => Buffer.from(b).toString('base64url')

/**
 * `length` decimal digits, uniformly distributed: bytes of 250 or more are drawn again (250 is
 * the largest multiple of 10 that fits a byte), so no digit is more likely than another.
 */
export const randomDigits = (random: Random, length: number): string => {
  let out = ''
  while (out.length < length) {
    for (const b of random.bytes(length * 2)) {
      if (b < 250 && out.length < length) out += String(b % 10)
    }
  }
  return out
}

/** Why a delivery failed (audited as `delivery.failed.<channel>.<reason>`), and the client's answer. */
export interface DeliveryFailure {
  readonly reason: 'Refused' | 'Unreachable' | 'Timeout' | 'Threw' | 'NoSender'
  readonly failure: AuthnFailure
}

const CHANNEL_NAMES = { sms: 'SMS', call: 'call', email: 'email' } as const

export interface IssuedCode {
  readonly sent: SentCode
  /** The message carrying the code in clear: kept by the shell only until the step is saved, then delivered once. */
  readonly message: OutboundMessage
}

/**
 * The engine's one-time codes sent by SMS, voice call or email (docs/adr/0010-sent-codes.md):
 * made here, the same for every family that sends one; only their keyed MAC goes into the
 * transaction; delivered once the step that made them is saved, bounded by a timeout.
 */
export const createSentCodes = (deps: { readonly random: Random; readonly secrets: SecretBox; readonly messages?: MessageSender | undefined }, deliveryTimeoutMs: number) => {
  /** A fresh code and its stored form (the MAC, its bounds): what every sent code is made of. */
  const made = (
    delivery: AnySendingFactor['delivery'],
    target: { readonly transactionId: string; readonly factorId: string; readonly factorType: SentCode['factorType'] },
    policies: Policies,
    now: EpochMs,
  ): { readonly code: string; readonly sent: SentCode } => {
    const policy = policies.sentCode ?? DEFAULT_SENT_CODE_POLICY
    const code = randomDigits(deps.random, delivery.codeLength)
    return {
      code,
      sent: {
        factorId: target.factorId as SentCode['factorId'],
        factorType: target.factorType,
        codeMac: deps.secrets.mac(bound(target.transactionId, target.factorId, code), PURPOSE),
        sentAt: now,
        expiresAt: now + policy.lifetimeMinutes * 60_000,
        attemptsLeft: policy.maxAttempts,
        resendAfter: now + delivery.resendAfterMs,
        throttledCode: delivery.throttledCode,
      },
    }
  }

  const noSender = (): AuthnFailure => failure('E0000074', ['No message sender is configured for this server.'])

  /** A new code for `factorId` in transaction `transactionId`, and the message that carries it. */
  const issue = (
    plugin: AnySendingFactor,
    profile: unknown,
    target: { readonly transactionId: string; readonly factorId: string; readonly factorType: SentCode['factorType'] },
    policies: Policies,
    now: EpochMs,
    purpose: CodePurpose,
  ): E.Either<AuthnFailure, IssuedCode> => {
    if (deps.messages === undefined) return E.left(noSender())
    const d = plugin.delivery
    const { code, sent } = made(d, target, policies, now)
    let carried: ReturnType<typeof d.message>
    try {
      carried = d.message(profile, code, purpose)
    } catch {
      return E.left(failure('E0000009', ['The message could not be written.']))
    }
    return E.right({
      sent,
      message: {
        id: `msg${b64url(deps.random.bytes(16))}`,
        channel: d.channel,
        to: carried.to,
        subject: carried.subject,
        text: carried.text,
        purpose,
        createdAt: now,
      },
    })
  }

  /**
   * A code made, MAC'd and bounded exactly as `issue` makes one, that no message carries: a decoy
   * recovery's (docs/adr/0012-recovery.md), which must cost and answer what a real one does.
   */
  const issueUndelivered = (
    delivery: AnySendingFactor['delivery'],
    target: { readonly transactionId: string; readonly factorId: string; readonly factorType: SentCode['factorType'] },
    policies: Policies,
    now: EpochMs,
  ): E.Either<AuthnFailure, SentCode> => (deps.messages === undefined ? E.left(noSender()) : E.right(made(delivery, target, policies, now).sent))

  /**
   * Whether `passCode` is the open code sent for `factorId` in this transaction: not another
   * factor's, not expired, not used up (single use: an accepted code has no attempts left).
   */
  const check = (sent: SentCode | null | undefined, transactionId: string, factorId: string, passCode: string, now: EpochMs): FactorOutcome => {
    if (sent === null || sent === undefined || sent.factorId !== factorId || now >= sent.expiresAt || sent.attemptsLeft <= 0) return 'rejected'
    return deps.secrets.verifyMac(bound(transactionId, factorId, passCode), PURPOSE, sent.codeMac) ? 'accepted' : 'rejected'
  }

  /** Delivers once; a refusal, an unreachable provider, a throw or a timeout is Okta's failed send (400 E0000074). */
  const deliver = async (message: OutboundMessage): Promise<E.Either<DeliveryFailure, void>> => {
    const sender = deps.messages
    const failed = (reason: DeliveryFailure['reason']): E.Either<DeliveryFailure, void> =>
      E.left({ reason, failure: failure('E0000074', [`The ${CHANNEL_NAMES[message.channel]} could not be sent. Try again with resend.`]) })
    if (sender === undefined) return failed('NoSender')
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<E.Either<{ readonly _tag: 'Timeout' }, void>>((resolve) => {
      timer = setTimeout(() => resolve(E.left({ _tag: 'Timeout' })), deliveryTimeoutMs)
    })
    try {
      const r = await Promise.race([sender.send(message)(), timeout])
      return E.isRight(r) ? r : failed(r.left._tag)
    } catch {
      return failed('Threw')
    } finally {
      if (timer !== undefined) clearTimeout(timer)
    }
  }

  return { issue, issueUndelivered, check, deliver }
}

export type SentCodes = ReturnType<typeof createSentCodes>
