import * as TE from 'fp-ts/lib/TaskEither.js'
import * as t from 'io-ts'
import { ProfileOnlyEnrollRequest, failure, type ChallengingFactor, type Enrollment, type Registration, type SeededFactor, type Verification } from '@authn-machine/core'
import { makeNonce } from './nonce.js'
import { DEFAULT_TIMEOUT_SECONDS, U2F_VERSION, registrationRequest, verifyRegistration, verifySignature } from './protocol.js'

/** The enroll request: an optional `profile` object (its members unused); the authenticator answers at activation. */
export const U2fEnrollRequest = ProfileOnlyEnrollRequest

/** The stored profile: nothing while pending; then the key handle (`credentialId`), the app id and the version (Okta's MFA_CHALLENGE shows them). */
export const U2fProfile = t.exact(t.partial({ credentialId: t.string, appId: t.string, version: t.literal(U2F_VERSION) }), 'U2fProfile')
export type U2fProfile = t.TypeOf<typeof U2fProfile>

/** The sealed secret: the enrollment's registration challenge while pending, then the registered user key and its app id. */
export const U2fSecret = t.union(
  [t.type({ pending: t.type({ nonce: t.string, expiresAt: t.number }) }), t.type({ publicKey: t.string, appId: t.string })],
  'U2fSecret',
)
export type U2fSecret = t.TypeOf<typeof U2fSecret>

/** An activation's answer (`u2f.register`) or a verification's (`u2f.sign`), verbatim. */
export const U2fAnswer = t.union(
  [t.type({ registrationData: t.string, clientData: t.string }), t.type({ signatureData: t.string, clientData: t.string })],
  'u2fAnswer',
)
export type U2fAnswer = t.TypeOf<typeof U2fAnswer>

export interface U2fOptions {
  /** How long an issued nonce may be answered. Default 60 s: the client is told 20 s (Okta's `timeoutSeconds`), the server allows for the round trips. */
  readonly nonceLifetimeMs?: number
  /** U2F trusted facets: further client-data origins accepted besides the app id. Default none. */
  readonly facets?: ReadonlyArray<string>
  /** Attestation roots (base64 DER): when given, a token whose certificate none of them issued is refused. Default: any attestation. */
  readonly attestationRoots?: ReadonlyArray<string>
}

const isPending = (s: U2fSecret): s is Extract<U2fSecret, { pending: unknown }> => 'pending' in s

/**
 * Okta's legacy U2F factor (`u2f`/`FIDO`, docs/adr/0029-challenge-factors.md): enrollment shows a
 * registration request (`U2F_V2`, the org's origin as `appId`, a nonce); activation checks the
 * token's registration (attestation signature over the nonce and key) and keeps its key handle and
 * user key; verification issues a nonce (MFA_CHALLENGE) and checks the signature, user presence
 * and a counter that must grow.
 */
export const createU2fFactor = (o: U2fOptions = {}): ChallengingFactor<U2fProfile, U2fSecret, U2fAnswer> => {
  const lifetimeMs = o.nonceLifetimeMs ?? 60_000
  const facets = o.facets === undefined ? {} : { facets: o.facets }
  return {
    factorType: 'u2f',
    provider: 'FIDO',
    idPrefix: 'fuf',
    profileCodec: U2fProfile,
    secretCodec: U2fSecret,
    enrollRequestCodec: U2fEnrollRequest,
    answerCodec: U2fAnswer,
    enroll: (_request, _subject, ctx) =>
      TE.right<never, Enrollment<U2fProfile, U2fSecret>>({
        profile: {},
        secret: { pending: { nonce: makeNonce(ctx.random.bytes), expiresAt: ctx.now + lifetimeMs } },
        activation: 'required',
      }),
    // A registered token as a seed gives it: its key handle and app id in the profile, its user key as the secret.
    seed: (seeded: SeededFactor) => {
      const credentialId = seeded.profile['credentialId']
      const appId = seeded.profile['appId']
      if (typeof credentialId !== 'string' || typeof appId !== 'string' || seeded.secret === undefined)
        return TE.left(failure('E0000001', ['A seeded u2f factor needs profile.credentialId (the key handle), profile.appId and secret (the user key, base64url).']))
      return TE.right({ profile: { credentialId, appId, version: U2F_VERSION }, secret: { publicKey: seeded.secret, appId }, activation: 'none' as const })
    },
    profileView: (p) => ({ ...p }),
    activationView: (_profile, secret, links) =>
      isPending(secret) && links.origin !== undefined
        ? { ...registrationRequest({ nonce: secret.pending.nonce, appId: links.origin, timeoutSeconds: DEFAULT_TIMEOUT_SECONDS }) }
        : null,
    challenges: {
      lifetimeMs,
      nonce: (ctx) => makeNonce(ctx.random.bytes),
      view: (_profile, nonce) => ({ nonce: nonce.nonce, timeoutSeconds: DEFAULT_TIMEOUT_SECONDS }),
    },
    register: (pending, answer, ctx) => {
      const rejected = TE.right<never, Registration<U2fProfile, U2fSecret>>({ _tag: 'Rejected' })
      if (!isPending(pending) || !('registrationData' in answer) || ctx.now >= pending.pending.expiresAt) return rejected
      const r = verifyRegistration(answer, { nonce: pending.pending.nonce, appId: ctx.origin, ...facets, ...(o.attestationRoots === undefined ? {} : { attestationRoots: o.attestationRoots }) })
      if (!r.ok) return rejected
      return TE.right({
        _tag: 'Registered',
        profile: { credentialId: r.keyHandle, appId: ctx.origin, version: U2F_VERSION },
        secret: { publicKey: r.publicKey, appId: ctx.origin },
        counter: null,
      })
    },
    verify: (secret, answer, nonce, lastCounter) => {
      if (isPending(secret) || !('signatureData' in answer) || nonce === null) return TE.right<never, Verification<U2fSecret>>({ _tag: 'Rejected' })
      const r = verifySignature(answer, { nonce: nonce.nonce, appId: secret.appId, publicKey: secret.publicKey, lastCounter: lastCounter ?? 0, ...facets })
      // A genuine signature whose counter did not grow: a replayed response, or a cloned token.
      if (!r.ok) return TE.right({ _tag: r.reason === 'counter' ? 'Replayed' : 'Rejected' })
      return TE.right({ _tag: 'Accepted', counter: r.counter })
    },
  }
}
