import * as E from 'fp-ts/lib/Either.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import * as t from 'io-ts'
import { ProfileOnlyEnrollRequest, failure, type ChallengeContext, type ChallengingFactor, type Enrollment, type Registration, type Verification } from '@authn-machine/core'
import { creationOptions, makeNonce, requestOptions, verifyAssertion, verifyRegistration } from './protocol.js'
import { toBase64Url } from './base64.js'

/** The enroll request: an optional `profile` object (its members unused); the authenticator answers at activation. */
export const WebauthnEnrollRequest = ProfileOnlyEnrollRequest

/** The stored profile: nothing while pending; then the credential id (base64url) and the authenticator's name. */
export const WebauthnProfile = t.exact(t.partial({ credentialId: t.string, authenticatorName: t.string }), 'WebauthnProfile')
export type WebauthnProfile = t.TypeOf<typeof WebauthnProfile>

/** The sealed secret: the enrollment's challenge and user handle while pending, then the registered credential. */
export const WebauthnSecret = t.union(
  [
    t.type({ pending: t.type({ nonce: t.string, expiresAt: t.number, user: t.type({ id: t.string, name: t.string, displayName: t.string }) }) }),
    t.type({ id: t.string, publicKey: t.string, counter: t.number, fmt: t.string, aaguid: t.string }),
  ],
  'WebauthnSecret',
)
export type WebauthnSecret = t.TypeOf<typeof WebauthnSecret>

/** An activation's answer (`attestation`, `clientData`) or a verification's (`clientData`, `authenticatorData`, `signatureData`), base64. */
export const WebauthnAnswer = t.union(
  [t.type({ attestation: t.string, clientData: t.string }), t.type({ clientData: t.string, authenticatorData: t.string, signatureData: t.string })],
  'webauthnAnswer',
)
export type WebauthnAnswer = t.TypeOf<typeof WebauthnAnswer>

export interface WebauthnOptions {
  /** The relying party's name shown by authenticators (Okta: the org's name). Default `authn-machine`. */
  readonly rpName?: string
  /** How long an issued nonce may be answered. Default 60 s. */
  readonly nonceLifetimeMs?: number
}

const isPending = (s: WebauthnSecret): s is Extract<WebauthnSecret, { pending: unknown }> => 'pending' in s

/** Where an answer must come from: the origin the binding serves, and its host as the RP ID (Okta's options name none). */
const expectedOf = (ctx: ChallengeContext, nonce: string) => ({ nonce, origin: ctx.origin, rpId: new URL(ctx.origin).hostname })

/**
 * The WebAuthn factor (`webauthn`/`FIDO`, docs/adr/0029-challenge-factors.md): enrollment shows
 * PublicKeyCredentialCreationOptions with a nonce; activation verifies the attestation with
 * `@simplewebauthn/server` and keeps the credential; verification issues a nonce (MFA_CHALLENGE)
 * and verifies the assertion with the stored public key, its signature counter not going back.
 */
export const createWebauthnFactor = (o: WebauthnOptions = {}): ChallengingFactor<WebauthnProfile, WebauthnSecret, WebauthnAnswer> => {
  const lifetimeMs = o.nonceLifetimeMs ?? 60_000
  const rpName = o.rpName ?? 'authn-machine'
  return {
    factorType: 'webauthn',
    provider: 'FIDO',
    idPrefix: 'fwf',
    profileCodec: WebauthnProfile,
    secretCodec: WebauthnSecret,
    enrollRequestCodec: WebauthnEnrollRequest,
    answerCodec: WebauthnAnswer,
    enroll: (_request, subject, ctx) =>
      TE.right<never, Enrollment<WebauthnProfile, WebauthnSecret>>({
        profile: {},
        secret: {
          pending: {
            nonce: makeNonce(ctx.random.bytes),
            expiresAt: ctx.now + lifetimeMs,
            // The user handle: the login's bytes (base64url), stable per user and never a secret.
            user: { id: toBase64Url(new TextEncoder().encode(subject.login)), name: subject.login, displayName: subject.login },
          },
        },
        activation: 'required',
      }),
    seed: () => TE.left(failure('E0000001', ['A webauthn factor cannot be seeded: its credential is made by an authenticator at activation.'])),
    profileView: (p) => ({ ...p }),
    activationView: (_profile, secret) =>
      isPending(secret) ? { ...creationOptions({ nonce: secret.pending.nonce, user: secret.pending.user, rpName, timeoutMs: lifetimeMs }) } : null,
    challenges: {
      lifetimeMs,
      nonce: (ctx) => makeNonce(ctx.random.bytes),
      view: (_profile, nonce) => ({ ...requestOptions({ nonce: nonce.nonce }) }),
    },
    register: (pending, answer, ctx) => async () => {
      const rejected = E.right<never, Registration<WebauthnProfile, WebauthnSecret>>({ _tag: 'Rejected' })
      if (!isPending(pending) || !('attestation' in answer) || ctx.now >= pending.pending.expiresAt) return rejected
      const r = await verifyRegistration(answer, expectedOf(ctx, pending.pending.nonce))
      if (!r.ok) return rejected
      const c = r.credential
      return E.right({
        _tag: 'Registered',
        profile: { credentialId: c.id, authenticatorName: c.fmt === 'fido-u2f' ? 'Security key (U2F)' : 'Authenticator' },
        secret: { id: c.id, publicKey: c.publicKey, counter: c.counter, fmt: c.fmt, aaguid: c.aaguid },
        counter: c.counter > 0 ? c.counter : null,
      })
    },
    verify: (secret, answer, nonce, lastCounter, ctx) => async () => {
      if (isPending(secret) || !('signatureData' in answer) || nonce === null) return E.right<never, Verification<WebauthnSecret>>({ _tag: 'Rejected' })
      const r = await verifyAssertion(answer, { ...expectedOf(ctx, nonce.nonce), credential: { id: secret.id, publicKey: secret.publicKey, counter: lastCounter ?? secret.counter } })
      // A genuine signature whose counter went back: a replayed assertion, or a cloned authenticator.
      if (!r.ok) return E.right({ _tag: r.reason === 'counter' ? 'Replayed' : 'Rejected' })
      // An authenticator that keeps no counter (0 every time) has no one-time position to spend.
      return E.right({ _tag: 'Accepted', counter: r.newCounter > 0 ? r.newCounter : null })
    },
  }
}
