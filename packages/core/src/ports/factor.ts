import type { TaskEither } from 'fp-ts/lib/TaskEither.js'
import type * as t from 'io-ts'
import type { AuthnFailure } from '../errors/catalogue.js'
import type { SentCode } from '../model/sent-code.js'
import type { EpochMs } from '../model/ids.js'
import type { FactorProvider, FactorType } from '../model/status.js'
import type { Hasher, Random } from './services.js'

/** `factorType/provider`, the key a factor plugin is registered under (`token:software:totp/GOOGLE`). */
export type FactorKey = `${FactorType}/${FactorProvider}`
export const factorKey = (factorType: FactorType, provider: FactorProvider): FactorKey => `${factorType}/${provider}`

/** What a factor plugin may use: randomness, the password hasher (for answers), the time. */
export interface FactorContext {
  readonly random: Random
  readonly hasher: Hasher
  readonly now: EpochMs
}

/** Who enrolls: what a factor may put in its profile (TOTP's `credentialId` is the login). */
export interface FactorSubject {
  readonly login: string
  readonly email: string | null
}

/**
 * A new enrollment: its public profile (stored as is, rendered through `profileView`) and its
 * secret (sealed by the SecretBox before it is stored). `activation`: `required` when the factor
 * is PENDING_ACTIVATION until a first verification (TOTP), `none` when it is ACTIVE at once
 * (security question).
 */
export interface Enrollment<P, S> {
  readonly profile: P
  readonly secret: S
  readonly activation: 'required' | 'none'
}

/**
 * A verification's outcome. `counter`: the one-time position the accepted answer used (TOTP's
 * time step, HOTP's counter); the store accepts it at most once, atomically, and only when it is
 * greater than the last one used (so a code is never accepted twice, even by parallel requests).
 * `secret`: the secret to store after the verification, when it changes (HOTP resynchronisation).
 */
export type Verification<S> =
  | { readonly _tag: 'Accepted'; readonly counter: number | null; readonly secret?: S }
  /** The answer does not match: 403 E0000068 (or E0000087 for a recovery question), counted toward lockout. */
  | { readonly _tag: 'Rejected' }
  /** The code is right but its one-time position was used already (≤ `lastCounter`): 403 E0000082. */
  | { readonly _tag: 'Replayed' }
  /**
   * The factor's server wants the next code instead (RSA's next-tokencode mode): 403 E0000068 asking
   * for it, not counted; `state` (the server's, as a string) is kept in the transaction for
   * `lifetimeMs` and handed back to `verify` with the next answer.
   */
  | { readonly _tag: 'Challenged'; readonly state: string; readonly lifetimeMs: number }

/** An enrolled factor as an org seed gives it: its profile fields, and its secret or answer in clear. */
export interface SeededFactor {
  readonly profile: Readonly<Record<string, unknown>>
  /** A shared secret (TOTP, HOTP: base32). */
  readonly secret?: string
  /** A security answer (hashed on load). */
  readonly answer?: string
}

/**
 * What every factor family's plug-in (`packages/factor-*`) has. Every codec refuses what it does
 * not accept (the engine answers 400 E0000001 with the codec's causes).
 */
export interface FactorBase<P, S, A> {
  readonly factorType: FactorType
  readonly provider: FactorProvider
  /** Okta's id prefix for this family (`ost` Okta Verify TOTP, `uft` Google TOTP, `ufs` question, …). */
  readonly idPrefix: string
  /** The profile as stored (and as the seed gives it). */
  readonly profileCodec: t.Type<P, unknown, unknown>
  /** The secret as stored, once unsealed (TOTP's shared secret, the answer's hash; `null` for a family that sends codes). */
  readonly secretCodec: t.Type<S, unknown, unknown>
  /** The `profile` of an enroll request (`POST /api/v1/authn/factors`), and the rest of its body. */
  readonly enrollRequestCodec: t.Type<EnrollRequest, unknown, unknown>
  /** A verification's body fields (`{ passCode }`, `{ answer }`), for activation and verification. */
  readonly answerCodec: t.Type<A, unknown, unknown>
  /** A new enrollment from the request; a refusal is an Okta failure (E0000001 with causes). */
  readonly enroll: (request: EnrollRequest, subject: FactorSubject, ctx: FactorContext) => TaskEither<AuthnFailure, Enrollment<P, S>>
  /** An enrollment from an org seed (known secret), ACTIVE at once; a refusal names what is wrong. */
  readonly seed: (seeded: SeededFactor, subject: FactorSubject, ctx: FactorContext) => TaskEither<AuthnFailure, Enrollment<P, S>>
  /** The profile as clients see it (the renderer masks `phoneNumber` and `email` as Okta does). */
  readonly profileView: (profile: P) => Readonly<Record<string, unknown>>
  /**
   * `factor._embedded.activation` while PENDING_ACTIVATION (TOTP: shared secret, QR code link), or
   * null. `links.qrcode` is the absolute URL at which the server serves this enrollment's QR code;
   * `links.origin` the origin the binding serves (U2F's `appId`).
   */
  readonly activationView: (profile: P, secret: S, links: { readonly qrcode: string; readonly origin?: string }) => Readonly<Record<string, unknown>> | null
  /** The family's catalogue, when it has one (the security questions: `[{ question, questionText }]`). */
  readonly catalogue?: ReadonlyArray<Readonly<Record<string, unknown>>>
  /**
   * The QR code of a pending enrollment as a PNG, when the family has one (TOTP). `activation`: the
   * sealed activation token of an enrollment a device carries out (push), with its factor and origin.
   */
  readonly qrCode?: (profile: P, secret: S, issuer: string, activation?: { readonly token: string; readonly factorId: string; readonly origin: string }) => Promise<Uint8Array>
}

/**
 * A family whose answer is checked against its stored secret (TOTP, HOTP, a security question).
 * The engine verifies BEFORE deciding and passes the outcome to the machine inside the event; the
 * machine never calls a factor.
 */
export interface VerifyingFactor<P, S, A> extends FactorBase<P, S, A> {
  /**
   * Checks an answer against the secret; `lastCounter` is the last one-time position used, if any;
   * `challenge`, the state this transaction keeps from the factor's server asking for the next code
   * (a `Challenged` verification of this factor, unexpired), or null.
   */
  readonly verify: (secret: S, answer: A, lastCounter: number | null, ctx: FactorContext, challenge?: IssuedNonce | null) => TaskEither<AuthnFailure, Verification<S>>
  readonly delivery?: undefined
  readonly challenges?: undefined
  readonly delegation?: undefined
}

/** The channel a sent code travels by. */
export type DeliveryChannel = 'sms' | 'call' | 'email'

/** What a sent code is for (the message's wording). */
export type CodePurpose = 'mfa-activation' | 'mfa-challenge' | 'recovery-code'

/** The message that carries one code: recipient and wording (the engine adds id, channel, time). */
export interface CodeMessage {
  /** E.164 phone number (`sms`, `call`) or email address (`email`). */
  readonly to: string
  /** The email subject; ignored by SMS and voice. */
  readonly subject: string
  readonly text: string
}

/**
 * How a family that SENDS a one-time code (SMS, voice call, email) sends it. The engine owns the
 * code itself, the same for every such family (docs/adr/0010-sent-codes.md): random digits, only
 * their keyed MAC kept in the transaction, a lifetime and a number of attempts from the policy,
 * single use, and the family's resend throttle.
 */
export interface Delivery<P> {
  readonly channel: DeliveryChannel
  /** Digits in a code (Okta: 6 for SMS and email, 5 for a voice call). */
  readonly codeLength: number
  /** No new code for this family in a transaction until this long after the last one (SMS and call 30 s, email 5 s). */
  readonly resendAfterMs: number
  /** The 429 a send inside the throttle answers (E0000109 SMS, E0000133 call, E0000118 email). */
  readonly throttledCode: SentCode['throttledCode']
  /** The message that carries `code` to the enrolled destination. */
  readonly message: (profile: P, code: string, purpose: CodePurpose) => CodeMessage
}

/**
 * A family that sends a one-time code (SMS, call, email): no stored secret (`S` is `null`), an
 * answer `{ passCode }` checked by the engine against the code it sent in this transaction.
 */
export interface SendingFactor<P, S, A> extends FactorBase<P, S, A> {
  readonly delivery: Delivery<P>
  readonly verify?: undefined
  readonly challenges?: undefined
  readonly delegation?: undefined
}

/**
 * A challenge this transaction issued for a factor (WebAuthn, U2F: docs/adr/0029-challenge-factors.md):
 * a nonce the client's authenticator signs, answerable until `expiresAt`, once.
 */
export interface IssuedNonce {
  readonly nonce: string
  readonly expiresAt: EpochMs
}

/**
 * What a challenge-answering family may use besides a factor context: the origin the binding serves
 * (`https://login.example.com`), which a WebAuthn client data's `origin` and a U2F `appId` must be.
 */
export interface ChallengeContext extends FactorContext {
  readonly origin: string
}

/** An activation's outcome for a family whose enrollment is a registration (WebAuthn, U2F). */
export type Registration<P, S> =
  /** The credential registered: the factor's profile and secret from now on, and its counter. */
  | { readonly _tag: 'Registered'; readonly profile: P; readonly secret: S; readonly counter: number | null }
  /** The registration does not answer the enrollment's challenge: 403 E0000068, counted as a wrong code. */
  | { readonly _tag: 'Rejected' }

/**
 * A family whose client signs a nonce the server issued (WebAuthn, U2F). Enrollment issues one in
 * its pending secret (shown by `activationView`) and activation checks a registration against it
 * (`register`); verification without an answer issues one into the transaction (MFA_CHALLENGE)
 * and an answer is checked against it (`verify`).
 */
export interface ChallengingFactor<P, S, A> extends FactorBase<P, S, A> {
  readonly challenges: {
    /** How long an issued nonce may be answered (Okta: U2F 20 s, WebAuthn 60 s). */
    readonly lifetimeMs: number
    /** A new nonce (Okta: 20 alphanumerics). */
    readonly nonce: (ctx: FactorContext) => string
    /** `factor._embedded.challenge` of MFA_CHALLENGE for an issued nonce (WebAuthn: `{ challenge }`, U2F: `{ nonce, timeoutSeconds }`). */
    readonly view: (profile: P, nonce: IssuedNonce, ctx: ChallengeContext) => Readonly<Record<string, unknown>>
  }
  /** Checks an activation's registration against the pending enrollment (its secret holds the nonce). */
  readonly register: (pending: S, answer: A, ctx: ChallengeContext) => TaskEither<AuthnFailure, Registration<P, S>>
  /**
   * Checks an assertion against the nonce this transaction issued for the factor (null: none, or
   * expired) and the stored credential; `lastCounter` is the authenticator's last signature count.
   */
  readonly verify: (secret: S, answer: A, nonce: IssuedNonce | null, lastCounter: number | null, ctx: ChallengeContext) => TaskEither<AuthnFailure, Verification<S>>
  readonly delivery?: undefined
  readonly delegation?: undefined
}

/**
 * Where a started delegated verification sends its user's client: `complete`, the absolute URL the
 * third party's signed response is posted to (Okta: `…/lifecycle/duoCallback`); `script`, the
 * absolute URL of the script that runs the third party's frame.
 */
/** Where the reference binding serves Duo's frame script (Okta's path for it). */
export const DUO_SCRIPT_PATH = '/js/sections/duo/Duo-Web-v2.js'

export interface DelegationLinks {
  readonly complete: string
  readonly script: string
  /**
   * The QR code of an activation a device carries out (push): an absolute link to a PNG of the
   * enrollment URI the plug-in's `device.enrollmentUri` makes, with a sealed activation token.
   */
  readonly qrcode: string
  /** Where an activation link is sent to the user's email or phone instead (spec §4.7.6). */
  readonly send: { readonly email: string; readonly sms: string }
}

/**
 * A started delegated verification as its view shows it: `activation` (MFA_ENROLL_ACTIVATE) or
 * `verification` (MFA_CHALLENGE), and its result so far.
 */
export interface StartedDelegation extends IssuedNonce {
  readonly phase: 'activation' | 'verification'
  readonly factorResult: 'WAITING' | 'REJECTED' | 'TIMEOUT'
}

/** What a family's device is told of a started verification (push: docs/adr/0031-push.md). */
export interface DeviceNotice {
  /**
   * Sealed by the shell (the SecretBox): names the transaction (by its state token's hash), the
   * factor and the verification. The device sends it back with its signed answer.
   */
  readonly handle: string
  readonly started: IssuedNonce
  readonly userId: string
  readonly factorId: string
  readonly login: string
  readonly clientIp: string | null
  readonly userAgent: string | null
}

/**
 * The device of a family whose verifications the user answers on a device it registered (push):
 * its activation (a key and a description, proven by a signature), the notice of each started
 * verification, and the pending verifications it may fetch.
 */
export interface DelegationDevice<P, S> {
  /** The enrollment URI a QR code carries (push: `oktaverify://{login}/?t={token}&f={factorId}&s={origin}`). */
  readonly enrollmentUri: (profile: P, activation: { readonly token: string; readonly factorId: string; readonly origin: string }) => string
  /**
   * Checks a device's activation (its body, besides the activation token) for the pending
   * enrollment: `Registered` with the factor's profile and secret from now on, or `Rejected`
   * (403 E0000068). A body of the wrong shape is 400 E0000001 (the codec's causes).
   */
  readonly registrationCodec: t.Type<unknown, unknown, unknown>
  readonly register: (profile: P, registration: unknown, factorId: string, ctx: ChallengeContext) => TaskEither<AuthnFailure, Registration<P, S>>
  /** Tells the device of a started verification, once its step is saved; null when delivered, else why not. */
  readonly notify: (profile: P, secret: S, notice: DeviceNotice, ctx: FactorContext) => Promise<AuthnFailure | null>
  /**
   * The verifications waiting for the device, for a request the device signed (push: a short-lived
   * assertion by its key); a request that does not hold is 401 E0000011.
   */
  readonly pending: (profile: P, request: unknown, factorId: string, ctx: ChallengeContext) => TaskEither<AuthnFailure, ReadonlyArray<unknown>>
}

/**
 * A family whose verification a third party carries out (Duo: docs/adr/0030-delegated-factors.md).
 * Enrollment and verification without an answer start one (a nonce in the transaction, shown through
 * `view`); the third party's signed response, posted to the `complete` link, is checked by `confirm`
 * against the one this transaction started; the client's next poll finishes it. The answer codec
 * decodes the posted response's fields.
 */
export interface DelegatingFactor<P, S, A> extends FactorBase<P, S, A> {
  readonly delegation: {
    /** How long a started verification waits for the third party's response (Duo: 5 minutes, its request's lifetime). */
    readonly lifetimeMs: number
    /**
     * What a poll after that answers: `restart` starts a new verification and keeps waiting (Duo);
     * `report` shows TIMEOUT (push, spec §4.7.5, §4.10) and the client starts a new one.
     */
    readonly timeout: 'restart' | 'report'
    /** How long an activation waits, when it differs from a verification (push: 10 minutes). */
    readonly activationLifetimeMs?: number
    /** A new nonce that names one started verification (Okta's 20 alphanumerics). */
    readonly nonce: (ctx: FactorContext) => string
    /**
     * The factor's `_embedded` for the verification `started`: Duo's `{ activation }` (MFA_ENROLL_ACTIVATE)
     * or `{ verification }` (MFA_CHALLENGE), each `{ host, signature, factorResult, _links }`; push's
     * `{ activation: { expiresAt, factorResult, _links } }` or `{ challenge: { correctAnswer } }`.
     * Pure in its inputs, so every poll shows the same request.
     */
    readonly view: (profile: P, started: StartedDelegation, links: DelegationLinks) => Readonly<Record<string, unknown>> | null
    /**
     * Checks the third party's response against the verification this transaction started (its
     * nonce and lifetime) and the enrolled profile: `confirmed`; `denied`, a genuine refusal by the
     * user (push: denied on the device, or the wrong number picked), recorded and shown as REJECTED;
     * or `rejected`, a response that does not hold (forged, expired, another user's, or signed for
     * another verification), refused with 403 E0000068 and not recorded.
     */
    readonly confirm: (profile: P, response: A, started: IssuedNonce, ctx: ChallengeContext) => TaskEither<AuthnFailure, 'confirmed' | 'denied' | 'rejected'>
    /** The device the user answers on, for a family that has one (push). */
    readonly device?: DelegationDevice<P, S>
  }
  readonly verify?: undefined
  readonly delivery?: undefined
  readonly challenges?: undefined
}

/** A family's plug-in: one that verifies against a stored secret, one that sends codes, one that signs a nonce, or one a third party verifies. */
export type Factor<P = unknown, S = unknown, A = unknown> = VerifyingFactor<P, S, A> | SendingFactor<P, S, A> | ChallengingFactor<P, S, A> | DelegatingFactor<P, S, A>

/** Whether a plug-in answers challenges it issues (WebAuthn, U2F). */
export const isChallenging = <P, S, A>(f: Factor<P, S, A>): f is ChallengingFactor<P, S, A> => 'challenges' in f && f.challenges !== undefined

/** Whether a third party verifies for the plug-in (Duo). */
export const isDelegating = <P, S, A>(f: Factor<P, S, A>): f is DelegatingFactor<P, S, A> => 'delegation' in f && f.delegation !== undefined

/** An enroll request's body beyond `stateToken`, `factorType` and `provider`. */
export interface EnrollRequest {
  readonly profile: Readonly<Record<string, unknown>>
  readonly passCode?: string
  readonly nextPassCode?: string
}

/**
 * A plug-in with its own profile, secret and answer types, as the engine holds it among others
 * (the engine only passes values its codecs produced back to the same plug-in).
 */
export const registered = <P, S, A>(factor: Factor<P, S, A>): Factor => factor as unknown as Factor
