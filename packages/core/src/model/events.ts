import * as t from 'io-ts'
import { FactorId, TokenHash } from './ids.js'
import { EnrolledFactor } from './user.js'
import { SentCode } from './sent-code.js'

const Now = t.type({ now: t.number })

/** How a factor verification ended (the engine verified before deciding). */
export const FactorOutcome = t.keyof({ accepted: null, rejected: null, replayed: null }, 'FactorOutcome')
export type FactorOutcome = t.TypeOf<typeof FactorOutcome>

export const PasswordCandidateCodec = t.type(
  {
    length: t.number,
    lowerCase: t.number,
    upperCase: t.number,
    numbers: t.number,
    symbols: t.number,
    containsUsernamePart: t.boolean,
    containsFirstName: t.boolean,
    containsLastName: t.boolean,
    reusesHistory: t.boolean,
  },
  'PasswordCandidate',
)

const ev = <T extends string, P extends t.Props>(type: T, props: P) =>
  t.intersection([t.type({ type: t.literal(type) }), Now, t.type(props)], type)

/**
 * Every event of the authentication machine. Events are the operations together with their
 * already-checked outcomes; time (`now`) and fresh token hashes arrive inside them. They are what the
 * per-transaction log stores, so they never hold a plaintext secret.
 */
/**
 * A nonce as an event gives it. A family a third party verifies (push) re-states the verification it
 * started when a poll reports how it ended: `denied` (the device refused) or timed out, `reported`
 * once a poll has shown that outcome, so that the next verification starts a new one.
 */
const HeldNonceEvent = t.intersection([t.type({ nonce: t.string, expiresAt: t.number }), t.partial({ denied: t.boolean, reported: t.boolean })])

export const AuthnEvent = t.union(
  [
    /** The primary credential (password or activation token) was verified by the shell. */
    ev('primary.verified', { sessionTokenHash: TokenHash }),
    /**
     * The password did not match (or the user is unknown: then no machine runs at all). The
     * failure was recorded before deciding: `lockedAfter` is whether that left the account locked.
     */
    ev('primary.rejected', { lockedAfter: t.boolean }),
    /** Get the current state; extends the sliding expiry. */
    ev('transaction.read', {}),
    ev('transaction.cancel', {}),
    ev('transaction.previous', {}),
    ev('transaction.skip', { sessionTokenHash: TokenHash }),
    ev('password.change', {
      oldPasswordValid: t.boolean,
      candidate: PasswordCandidateCodec,
      /** PHC hash of the new password; null when the candidate was refused before hashing. */
      newPasswordHash: t.union([t.string, t.null]),
      revokeSessions: t.boolean,
      sessionTokenHash: TokenHash,
    }),
    ev('password.reset', {
      candidate: PasswordCandidateCodec,
      newPasswordHash: t.union([t.string, t.null]),
      revokeSessions: t.boolean,
      sessionTokenHash: TokenHash,
    }),
    /**
     * A factor was enrolled (its profile as clients see it). `activation: required`: it waits in
     * MFA_ENROLL_ACTIVATE for a first verification; `none`: it is ACTIVE at once (a question).
     */
    t.intersection([
      ev('factor.enroll', { factor: EnrolledFactor, activation: t.keyof({ required: null, none: null }), sessionTokenHash: TokenHash }),
      /**
       * `sent`: the code sent for the activation of a family that sends codes (SMS, call, email).
       * `nonce`: the verification started for the activation of a family a third party verifies (Duo).
       */
      t.partial({ sent: SentCode, nonce: t.type({ nonce: t.string, expiresAt: t.number }) }),
    ]),
    /** A verification of the factor being activated: accepted, rejected or a replayed code. */
    ev('factor.activate', { factorId: FactorId, outcome: FactorOutcome, counter: t.union([t.number, t.null]), sessionTokenHash: TokenHash }),
    /**
     * A verification of an enrolled factor. `lockedAfter`: the failure was recorded before deciding
     * and that locked the account. `rememberDevice`: the user asked to remember the device the
     * transaction began on (a trusted caller's device token).
     */
    t.intersection([
      ev('factor.verify', {
        factorId: FactorId,
        outcome: FactorOutcome,
        counter: t.union([t.number, t.null]),
        answerKind: t.keyof({ passCode: null, answer: null }),
        lockedAfter: t.boolean,
        rememberDevice: t.boolean,
        sessionTokenHash: TokenHash,
      }),
      /**
       * `challenge`: the factor's server asked for the next code instead (RSA's next-tokencode mode,
       * docs/adr/0027-factor-rsa.md): the outcome is `rejected`, not counted, and the server's state
       * is kept in the transaction until `expiresAt`, to be sent with the next code.
       */
      t.partial({ challenge: t.type({ nonce: t.string, expiresAt: t.number }) }),
    ]),
    /**
     * A code was made for a factor that sends one (SMS, call, email): a verification without a
     * code (MFA_REQUIRED, MFA_CHALLENGE), or a resend (`resend: true`, MFA_CHALLENGE and
     * MFA_ENROLL_ACTIVATE). Delivered only once the step that accepted it is saved.
     */
    ev('factor.challenge', { factorId: FactorId, sent: SentCode, resend: t.boolean }),
    /**
     * A nonce was issued for a factor whose client signs one (WebAuthn, U2F): a verification
     * without an answer (MFA_REQUIRED, MFA_CHALLENGE). The nonce is public: it is what the client
     * signs (docs/adr/0029-challenge-factors.md). For a family a third party verifies (Duo) it
     * names the verification started, or still waited for, by a poll (MFA_ENROLL_ACTIVATE too).
     */
    ev('factor.nonce', { factorId: FactorId, nonce: HeldNonceEvent }),
    /**
     * The third party's signed response for the verification `nonce` started (Duo, posted to the
     * `complete` link) was checked and holds: the client's next poll finishes the verification or
     * activation (docs/adr/0030-delegated-factors.md).
     */
    ev('factor.confirm', { factorId: FactorId, nonce: t.type({ nonce: t.string, expiresAt: t.number }) }),
    /**
     * The user's device answered the verification `nonce` started with a refusal (push: denied, or
     * the wrong number picked; docs/adr/0031-push.md), signed by the device's key and checked: the
     * client's next poll shows REJECTED and the transaction stays in MFA_CHALLENGE.
     */
    ev('factor.deny', { factorId: FactorId, nonce: t.type({ nonce: t.string, expiresAt: t.number }) }),
  ],
  'AuthnEvent',
)
export type AuthnEvent = t.TypeOf<typeof AuthnEvent>
export type AuthnEventType = AuthnEvent['type']
