import { createHash, verify, X509Certificate, type KeyObject } from 'node:crypto'
import { decodeBase64, toBase64, toBase64Url } from './base64.js'
import { AUTHENTICATION_TYP, checkClientData, REGISTRATION_TYP, type ClientDataFailure } from './client-data.js'
import { spkiOfCertificate } from './der.js'
import { isP256Key, spkiKeyOf, userKeyOf } from './keys.js'
import { parseRegistrationData, parseSignatureData, USER_PRESENCE_FLAG } from './messages.js'

/** The only U2F protocol version Okta speaks. */
export const U2F_VERSION = 'U2F_V2'
/** Okta's `timeoutSeconds` for U2F activation and challenges. */
export const DEFAULT_TIMEOUT_SECONDS = 20

const sha256 = (data: Uint8Array | string): Buffer => createHash('sha256').update(data).digest()

/** ECDSA-SHA256 over `message`; false (never a throw) for a malformed signature or key. */
const verifies = (message: Uint8Array, key: KeyObject, signature: Uint8Array): boolean => {
  try {
    return verify('sha256', message, key, signature)
  } catch {
    return false
  }
}

// ---------------------------------------------------------------------------------------------
// Enrollment

/** Okta's `factor._embedded.activation` for a `u2f` factor in `MFA_ENROLL_ACTIVATE`. */
export interface U2fActivation {
  readonly version: typeof U2F_VERSION
  /** The org's origin; the browser puts it in the client data as `origin`. */
  readonly appId: string
  /** The registration challenge (`makeNonce`), handed to `u2f.register` as `challenge`. */
  readonly nonce: string
  readonly timeoutSeconds: number
}

/** The activation object shown after a `u2f` enrollment: what the browser passes to `u2f.register`. */
export const registrationRequest = (input: { readonly nonce: string; readonly appId: string; readonly timeoutSeconds: number }): U2fActivation => ({
  version: U2F_VERSION,
  appId: input.appId,
  nonce: input.nonce,
  timeoutSeconds: input.timeoutSeconds,
})

/** The activation answer, verbatim from `u2f.register` (websafe base64 without padding; any base64 is accepted). */
export interface RegistrationAnswer {
  readonly registrationData: string
  readonly clientData: string
}

/** What the activation answer is checked against. */
export interface RegistrationExpectation {
  /** The nonce issued with the activation object (still unused and unexpired: the caller's check). */
  readonly nonce: string
  readonly appId: string
  /** Further accepted client-data origins (U2F trusted facets). None by default: the origin must be `appId`. */
  readonly facets?: ReadonlyArray<string>
  /**
   * Attestation policy (optional). When given, the attestation certificate must be one of these
   * certificates (base64 DER), or be issued and signed by one of them; otherwise `attestation`.
   * When absent, any attestation certificate is accepted, as long as its key signed the response.
   */
  readonly attestationRoots?: ReadonlyArray<string>
}

/**
 * Why an activation is refused:
 * - `clientData`, `typ`, `challenge`, `origin`: the client data is undecodable or differs;
 * - `registrationData`: undecodable, or not a registration response (or a user key off P-256);
 * - `certificate`: no P-256 key can be read from the attestation certificate;
 * - `signature`: the attestation key did not sign this response;
 * - `attestation`: the certificate is outside `attestationRoots`.
 */
export type RegistrationFailure = ClientDataFailure | 'registrationData' | 'certificate' | 'signature' | 'attestation'

/** A verified registration: what to store for the factor (with counter 0). */
export interface U2fRegistration {
  readonly ok: true
  /** The key handle, base64url: Okta's `profile.credentialId`. */
  readonly keyHandle: string
  /** The user's public key, base64url of the 65-byte uncompressed point. */
  readonly publicKey: string
  /** The attestation certificate, standard base64 of its DER. */
  readonly attestationCertificate: string
}

export type RegistrationResult = U2fRegistration | { readonly ok: false; readonly reason: RegistrationFailure }

/** The attestation key: from the parsed certificate, or from a DER walk when node:crypto refuses it. */
const attestationKeyOf = (certificate: Uint8Array): KeyObject | null => {
  try {
    const key = new X509Certificate(certificate).publicKey
    return isP256Key(key) ? key : null
  } catch {
    const spki = spkiOfCertificate(certificate)
    return spki === null ? null : spkiKeyOf(spki)
  }
}

const parseCertificate = (der: Uint8Array): X509Certificate | null => {
  try {
    return new X509Certificate(der)
  } catch {
    return null
  }
}

/** True when `certificate` is one of `roots`, or is issued and signed by one of them. */
const isTrusted = (certificate: Uint8Array, roots: ReadonlyArray<string>): boolean => {
  const leaf = parseCertificate(certificate)
  if (leaf === null) return false
  return roots.some((encoded) => {
    const der = decodeBase64(encoded)
    const root = der === null ? null : parseCertificate(der)
    if (root === null) return false
    if (root.raw.equals(leaf.raw)) return true
    try {
      return leaf.checkIssued(root) && leaf.verify(root.publicKey)
    } catch {
      return false
    }
  })
}

/**
 * Verifies a U2F registration (`u2f.register`'s answer) for an activation: the client data
 * (`navigator.id.finishEnrollment`, the nonce, the app id as origin), then the registration
 * response, whose attestation signature over `0x00 | SHA-256(appId) | SHA-256(clientData) |
 * keyHandle | userKey` must verify with the attestation certificate's key. Never throws.
 */
export const verifyRegistration = (answer: RegistrationAnswer, expected: RegistrationExpectation): RegistrationResult => {
  const clientData = checkClientData(answer.clientData, { ...expected, typ: REGISTRATION_TYP })
  if (!clientData.ok) return clientData
  const bytes = decodeBase64(answer.registrationData)
  const response = bytes === null ? null : parseRegistrationData(bytes)
  if (response === null || userKeyOf(response.userKey) === null) return { ok: false, reason: 'registrationData' }
  const attestationKey = attestationKeyOf(response.certificate)
  if (attestationKey === null) return { ok: false, reason: 'certificate' }
  const signed = Buffer.concat([Buffer.of(0x00), sha256(expected.appId), sha256(clientData.bytes), response.keyHandle, response.userKey])
  if (!verifies(signed, attestationKey, response.signature)) return { ok: false, reason: 'signature' }
  if (expected.attestationRoots !== undefined && !isTrusted(response.certificate, expected.attestationRoots)) {
    return { ok: false, reason: 'attestation' }
  }
  return {
    ok: true,
    keyHandle: toBase64Url(response.keyHandle),
    publicKey: toBase64Url(response.userKey),
    attestationCertificate: toBase64(response.certificate),
  }
}

// ---------------------------------------------------------------------------------------------
// Authentication

/** Okta's `_embedded.challenge` for a `u2f` factor in `MFA_CHALLENGE`. */
export interface U2fChallenge {
  readonly nonce: string
  readonly timeoutSeconds: number
}

/** Okta's `profile` of a `u2f` factor in `MFA_CHALLENGE`: `credentialId` is the key handle. */
export interface U2fChallengeProfile {
  readonly credentialId: string
  readonly appId: string
  readonly version: typeof U2F_VERSION
}

/**
 * What `MFA_CHALLENGE` shows for a `u2f` factor, in two parts: `challenge` goes in the
 * transaction's `_embedded.challenge`, `profile` in the factor's `profile`. The browser passes
 * them to `u2f.sign` (`challenge.nonce` as `challenge`, `profile.credentialId` as `keyHandle`).
 */
export const signRequest = (input: {
  readonly nonce: string
  readonly appId: string
  readonly keyHandle: string
  readonly timeoutSeconds: number
}): { readonly challenge: U2fChallenge; readonly profile: U2fChallengeProfile } => ({
  challenge: { nonce: input.nonce, timeoutSeconds: input.timeoutSeconds },
  profile: { credentialId: input.keyHandle, appId: input.appId, version: U2F_VERSION },
})

/** The verify answer, verbatim from `u2f.sign`. */
export interface SignatureAnswer {
  readonly signatureData: string
  readonly clientData: string
}

/** What the verify answer is checked against: the challenge issued and the stored registration. */
export interface SignatureExpectation {
  readonly nonce: string
  readonly appId: string
  /** Further accepted client-data origins (U2F trusted facets). None by default: the origin must be `appId`. */
  readonly facets?: ReadonlyArray<string>
  /** The stored user key (`U2fRegistration.publicKey`): base64 of the 65-byte point. */
  readonly publicKey: string
  /** The greatest counter accepted so far (0 after registration). */
  readonly lastCounter: number
}

/**
 * Why a verification is refused:
 * - `clientData`, `typ`, `challenge`, `origin`: the client data is undecodable or differs;
 * - `signatureData`: undecodable or too short; `publicKey`: the stored key is unusable;
 * - `signature`: the user key did not sign this response;
 * - `userPresence`: a genuine signature, but the user did not touch the token;
 * - `counter`: a genuine signature whose counter is not above `lastCounter` (a replay or a cloned token).
 */
export type SignatureFailure = ClientDataFailure | 'signatureData' | 'publicKey' | 'signature' | 'userPresence' | 'counter'

export type SignatureResult =
  | { readonly ok: true; readonly counter: number }
  | { readonly ok: false; readonly reason: SignatureFailure; readonly counter?: number }

/**
 * Verifies a U2F authentication (`u2f.sign`'s answer): the client data (`navigator.id.getAssertion`,
 * the nonce, the app id as origin), then the signature over `SHA-256(appId) | userPresence |
 * counter | SHA-256(clientData)` with the stored user key, then user presence, then the counter,
 * which must be above `lastCounter`. On success the new counter is to be stored. Never throws.
 * Refusals for `userPresence` and `counter` come only after the signature verified, and carry the
 * token's counter.
 */
export const verifySignature = (answer: SignatureAnswer, expected: SignatureExpectation): SignatureResult => {
  const clientData = checkClientData(answer.clientData, { ...expected, typ: AUTHENTICATION_TYP })
  if (!clientData.ok) return clientData
  const bytes = decodeBase64(answer.signatureData)
  const response = bytes === null ? null : parseSignatureData(bytes)
  if (response === null) return { ok: false, reason: 'signatureData' }
  const rawKey = decodeBase64(expected.publicKey)
  const userKey = rawKey === null ? null : userKeyOf(rawKey)
  if (userKey === null) return { ok: false, reason: 'publicKey' }
  const signed = Buffer.concat([sha256(expected.appId), response.signedPrefix, sha256(clientData.bytes)])
  if (!verifies(signed, userKey, response.signature)) return { ok: false, reason: 'signature' }
  if ((response.userPresence & USER_PRESENCE_FLAG) === 0) return { ok: false, reason: 'userPresence', counter: response.counter }
  if (!(response.counter > expected.lastCounter)) return { ok: false, reason: 'counter', counter: response.counter }
  return { ok: true, counter: response.counter }
}
