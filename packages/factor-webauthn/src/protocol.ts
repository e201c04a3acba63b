/**
 * The WebAuthn protocol as Okta's /api/v1/authn speaks it: the options Okta shows the browser, and
 * the checks of what the browser sends back, on top of @simplewebauthn/server. Pure functions of
 * their inputs (no clock, no store, no randomness but the one passed in); the verifications are
 * async only because WebCrypto is, and never reject.
 */
import { verifyAuthenticationResponse, verifyRegistrationResponse } from '@simplewebauthn/server'
import { cose, decodeAttestationObject, decodeCredentialPublicKey, parseAuthenticatorData } from '@simplewebauthn/server/helpers'
import { decodeBase64, toBase64Url } from './base64.js'
import { isStrictDerEcdsaSignature } from './der.js'

/** COSE algorithms offered and accepted: ES256 and RS256 (Okta's two), then EdDSA (Ed25519). */
export const WEBAUTHN_ALGORITHMS = [-7, -257, -8] as const
export type WebauthnAlgorithm = (typeof WEBAUTHN_ALGORITHMS)[number]

export interface PublicKeyDescriptor {
  readonly type: 'public-key'
  /** The credential id, base64url (the widget reads it with `strToBin`, which takes either alphabet). */
  readonly id: string
}

// ---------------------------------------------------------------------------------------------
// Enrollment: the activation object

export interface CreationOptionsInput {
  /** The enrollment's challenge, as `makeNonce` draws it. */
  readonly nonce: string
  /**
   * `id` is the user's id string as is; the widget turns it into bytes with `strToBin` (base64),
   * so it should be base64 characters, a multiple of 4 long, as Okta's 20-character ids are.
   */
  readonly user: { readonly id: string; readonly name: string; readonly displayName: string }
  /** The relying party's display name (Okta: the org's name). */
  readonly rpName: string
  /** The user's credentials already enrolled (base64url ids), so an authenticator is not enrolled twice. */
  readonly excludeCredentialIds?: ReadonlyArray<string>
  /** How long the browser may wait for the user, in milliseconds. Omitted: no `timeout` field. */
  readonly timeoutMs?: number
}

/**
 * Okta's `factor._embedded.activation` for `webauthn`: PublicKeyCredentialCreationOptions with
 * the binary fields as strings. There is no `rp.id`: the RP ID is the host of the page, so
 * verification expects the org's host and origin.
 */
export interface CreationOptions {
  readonly attestation: 'direct'
  readonly authenticatorSelection: { readonly userVerification: 'preferred'; readonly requireResidentKey: false }
  readonly challenge: string
  readonly excludeCredentials: ReadonlyArray<PublicKeyDescriptor>
  readonly pubKeyCredParams: ReadonlyArray<{ readonly type: 'public-key'; readonly alg: WebauthnAlgorithm }>
  readonly rp: { readonly name: string }
  readonly user: { readonly displayName: string; readonly name: string; readonly id: string }
  readonly timeout?: number
}

const descriptorsOf = (ids: ReadonlyArray<string>): ReadonlyArray<PublicKeyDescriptor> => ids.map((id) => ({ type: 'public-key', id }))

/** The activation object of a new `webauthn` enrollment, fields in Okta's order. */
export const creationOptions = (input: CreationOptionsInput): CreationOptions => ({
  attestation: 'direct',
  authenticatorSelection: { userVerification: 'preferred', requireResidentKey: false },
  challenge: input.nonce,
  excludeCredentials: descriptorsOf(input.excludeCredentialIds ?? []),
  pubKeyCredParams: WEBAUTHN_ALGORITHMS.map((alg) => ({ type: 'public-key', alg })),
  rp: { name: input.rpName },
  user: { displayName: input.user.displayName, name: input.user.name, id: input.user.id },
  ...(input.timeoutMs === undefined ? {} : { timeout: input.timeoutMs }),
})

// ---------------------------------------------------------------------------------------------
// Verification: the challenge object

export interface RequestOptionsInput {
  readonly nonce: string
  /**
   * Okta does not put the credential ids in the challenge: the widget builds `allowCredentials`
   * from `factor.profile.credentialId` (by id) or from each of `_embedded.factors` (by type), and
   * overrides any list here. Given, they are added as `allowCredentials` for other clients.
   */
  readonly allowCredentialIds?: ReadonlyArray<string>
  readonly timeoutMs?: number
}

/** Okta's `_embedded.challenge` for a `webauthn` verification (by factor id or by type). */
export interface RequestOptions {
  readonly challenge: string
  readonly userVerification: 'preferred'
  readonly extensions: Readonly<Record<string, never>>
  readonly allowCredentials?: ReadonlyArray<PublicKeyDescriptor>
  readonly timeout?: number
}

/** The challenge object of a verification: `{ challenge, userVerification: 'preferred', extensions: {} }`, plus the optional fields asked for. */
export const requestOptions = (input: RequestOptionsInput): RequestOptions => ({
  challenge: input.nonce,
  userVerification: 'preferred',
  extensions: {},
  ...(input.allowCredentialIds === undefined ? {} : { allowCredentials: descriptorsOf(input.allowCredentialIds) }),
  ...(input.timeoutMs === undefined ? {} : { timeout: input.timeoutMs }),
})

// ---------------------------------------------------------------------------------------------
// Nonces

const NONCE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
export const NONCE_LENGTH = 20
/** Bytes at or above this are dropped, so each of the 62 characters is equally likely. */
const NONCE_BYTE_LIMIT = 248
const NONCE_MAX_DRAWS = 64

/**
 * A challenge as Okta draws them: 20 characters of `[A-Za-z0-9]`. 20 base64 characters are exactly
 * 15 bytes, so the widget's `strToBin` and the browser's base64url give back the same string in
 * `clientDataJSON.challenge`. `randomBytes(n)` must give `n` uniform random bytes; it throws a
 * `RangeError` when 64 draws of it were not enough (a broken source).
 */
export const makeNonce = (randomBytes: (n: number) => Uint8Array): string => {
  let nonce = ''
  for (let draw = 0; draw < NONCE_MAX_DRAWS; draw++) {
    for (const b of randomBytes(32)) {
      if (b >= NONCE_BYTE_LIMIT) continue
      nonce += NONCE_ALPHABET.charAt(b % NONCE_ALPHABET.length)
      if (nonce.length === NONCE_LENGTH) return nonce
    }
  }
  throw new RangeError('makeNonce: the random source gave too few usable bytes')
}

/** Whether `s` is shaped as `makeNonce` makes them. */
export const isNonce = (s: unknown): s is string => typeof s === 'string' && /^[A-Za-z0-9]{20}$/.test(s)

/**
 * What `clientDataJSON.challenge` holds for `nonce`: the browser got `strToBin(nonce)` and writes
 * it back as base64url. For a `makeNonce` nonce this is the nonce itself; null when the nonce is
 * not base64 at all (then nothing can match it).
 */
const expectedChallengeOf = (nonce: string): string | null => {
  const bytes = decodeBase64(nonce)
  return bytes === null ? null : toBase64Url(bytes)
}

// ---------------------------------------------------------------------------------------------
// Results

/**
 * Why an answer was refused. `malformed`: a field is missing or not base64, or the data cannot be
 * parsed. `rejected`: it parses but does not verify (challenge, origin, RP ID, type, user
 * presence, attestation, signature, algorithm). `counter`: a valid signature whose signature
 * counter did not move past the stored one (a cloned authenticator or a replay).
 */
export type WebauthnFailure =
  | { readonly ok: false; readonly reason: 'malformed'; readonly detail: string }
  | { readonly ok: false; readonly reason: 'rejected'; readonly detail: string }
  | { readonly ok: false; readonly reason: 'counter'; readonly detail: string; readonly credentialId: string }

const malformed = (detail: string): WebauthnFailure => ({ ok: false, reason: 'malformed', detail })
const rejected = (detail: string): WebauthnFailure => ({ ok: false, reason: 'rejected', detail })
const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e))

/** What to keep of a registered credential. Binary fields are base64url. */
export interface RegisteredCredential {
  /** The credential id from the authenticator data (the factor profile's `credentialId`). */
  readonly id: string
  /** The COSE public key. */
  readonly publicKey: string
  readonly counter: number
  readonly transports?: ReadonlyArray<string>
  /** The authenticator model, `xxxxxxxx-xxxx-…` (all zeros for `none` and for U2F keys). */
  readonly aaguid: string
  /** The attestation format: `none`, `packed`, `fido-u2f`, `tpm`, `android-key`, `android-safetynet`, `apple`. */
  readonly fmt: string
}

export type RegistrationResult = { readonly ok: true; readonly credential: RegisteredCredential } | WebauthnFailure

/** The stored side of an assertion: a credential as `verifyRegistration` gave it (at least these fields). */
export interface StoredCredential {
  readonly id: string
  readonly publicKey: string
  readonly counter: number
}

export type AssertionResult = { readonly ok: true; readonly newCounter: number } | WebauthnFailure
export type AnyAssertionResult = { readonly ok: true; readonly credentialId: string; readonly newCounter: number } | WebauthnFailure

/** Where the answer must come from. `origin` and `rpId` may list several (custom domains; a legacy U2F appId). */
export interface Expected {
  readonly nonce: string
  readonly origin: string | ReadonlyArray<string>
  readonly rpId: string | ReadonlyArray<string>
}

const listOf = (v: string | ReadonlyArray<string>): string[] => (typeof v === 'string' ? [v] : [...v])

// ---------------------------------------------------------------------------------------------
// Registration

/** Okta's activation body (without the state token): base64 of `attestationObject` and of `clientDataJSON`. */
export interface AttestationAnswer {
  readonly attestation: string
  readonly clientData: string
}

/**
 * Checks an enrollment's answer: `webauthn.create`, the challenge, origin and RP ID, user presence
 * (user verification is preferred, not required), an accepted algorithm and the attestation
 * statement (no trust anchors: self attestation and unknown roots are accepted, as Okta does
 * by default). Never rejects.
 */
export const verifyRegistration = async (answer: AttestationAnswer, expected: Expected): Promise<RegistrationResult> => {
  try {
    const attestation = decodeBase64(answer.attestation)
    const clientData = decodeBase64(answer.clientData)
    if (attestation === null) return malformed('attestation is not base64')
    if (clientData === null) return malformed('clientData is not base64')
    const expectedChallenge = expectedChallengeOf(expected.nonce)
    if (expectedChallenge === null) return rejected('the nonce is not base64')
    let credentialId: string
    try {
      const authData = decodeAttestationObject(attestation).get('authData')
      const parsed = parseAuthenticatorData(authData)
      if (parsed.credentialID === undefined) return malformed('no attested credential data')
      credentialId = toBase64Url(parsed.credentialID)
    } catch (e) {
      return malformed(`attestation: ${messageOf(e)}`)
    }
    const verification = await verifyRegistrationResponse({
      response: {
        id: credentialId,
        rawId: credentialId,
        type: 'public-key',
        clientExtensionResults: {},
        response: { clientDataJSON: toBase64Url(clientData), attestationObject: toBase64Url(attestation) },
      },
      expectedChallenge,
      expectedOrigin: listOf(expected.origin),
      expectedRPID: listOf(expected.rpId),
      requireUserVerification: false,
      supportedAlgorithmIDs: [...WEBAUTHN_ALGORITHMS],
    })
    if (!verification.verified) return rejected('the attestation statement does not verify')
    const info = verification.registrationInfo
    if (info.credential.id !== credentialId) return rejected('credential id mismatch')
    return {
      ok: true,
      credential: {
        id: credentialId,
        publicKey: toBase64Url(info.credential.publicKey),
        counter: info.credential.counter,
        ...(info.credential.transports === undefined ? {} : { transports: [...info.credential.transports] }),
        aaguid: info.aaguid,
        fmt: info.fmt,
      },
    }
  } catch (e) {
    return rejected(messageOf(e))
  }
}

// ---------------------------------------------------------------------------------------------
// Assertion

/** Okta's verification body (without the state token): base64 of the assertion's three buffers. No credential id, no user handle. */
export interface AssertionAnswer {
  readonly clientData: string
  readonly authenticatorData: string
  readonly signatureData: string
}

interface DecodedAssertion {
  readonly response: { readonly clientDataJSON: string; readonly authenticatorData: string; readonly signature: string }
  readonly signatureBytes: Uint8Array
}

const decodeAssertion = (answer: AssertionAnswer): DecodedAssertion | WebauthnFailure => {
  const clientData = decodeBase64(answer.clientData)
  const authenticatorData = decodeBase64(answer.authenticatorData)
  const signature = decodeBase64(answer.signatureData)
  if (clientData === null) return malformed('clientData is not base64')
  if (authenticatorData === null) return malformed('authenticatorData is not base64')
  if (signature === null) return malformed('signatureData is not base64')
  return {
    response: { clientDataJSON: toBase64Url(clientData), authenticatorData: toBase64Url(authenticatorData), signature: toBase64Url(signature) },
    signatureBytes: signature,
  }
}

const isFailure = (v: DecodedAssertion | WebauthnFailure): v is WebauthnFailure => 'ok' in v

/**
 * Whether the signature counter moved: when either counter is non-zero the new one must be
 * greater (WebAuthn §7.2 step 21). Authenticators that keep no counter send 0 each time.
 */
export const isCounterRegression = (stored: number, received: number): boolean => (received > 0 || stored > 0) && received <= stored

const assertWith = async (decoded: DecodedAssertion, expectedChallenge: string, expected: Expected, credential: StoredCredential): Promise<AssertionResult> => {
  const publicKey = decodeBase64(credential.publicKey)
  if (publicKey === null) return rejected('the stored public key is not base64')
  try {
    // An EC2 key signs with ECDSA, whose signatures must be strict DER (see der.ts).
    if (decodeCredentialPublicKey(publicKey).get(cose.COSEKEYS.kty) === cose.COSEKTY.EC2 && !isStrictDerEcdsaSignature(decoded.signatureBytes))
      return rejected('the ECDSA signature is not strict DER')
    const verification = await verifyAuthenticationResponse({
      response: {
        id: credential.id,
        rawId: credential.id,
        type: 'public-key',
        clientExtensionResults: {},
        response: { ...decoded.response },
      },
      expectedChallenge,
      expectedOrigin: listOf(expected.origin),
      expectedRPID: listOf(expected.rpId),
      // The counter is checked below, after the signature, so that a regression is told apart.
      credential: { id: credential.id, publicKey, counter: 0 },
      requireUserVerification: false,
    })
    if (!verification.verified) return rejected('the signature does not verify')
    const newCounter = verification.authenticationInfo.newCounter
    if (isCounterRegression(credential.counter, newCounter))
      return { ok: false, reason: 'counter', detail: `signature counter ${newCounter} is not above ${credential.counter}`, credentialId: credential.id }
    return { ok: true, newCounter }
  } catch (e) {
    return rejected(messageOf(e))
  }
}

/**
 * Checks a verification's answer against one credential (verification by factor id):
 * `webauthn.get`, the challenge, origin, RP ID, user presence, the signature with the stored key,
 * then the counter (`counter` when it did not move; store `newCounter` on success). Never rejects.
 */
export const verifyAssertion = async (answer: AssertionAnswer, expected: Expected & { readonly credential: StoredCredential }): Promise<AssertionResult> => {
  try {
    const decoded = decodeAssertion(answer)
    if (isFailure(decoded)) return decoded
    const expectedChallenge = expectedChallengeOf(expected.nonce)
    if (expectedChallenge === null) return rejected('the nonce is not base64')
    return await assertWith(decoded, expectedChallenge, expected, expected.credential)
  } catch (e) {
    return rejected(messageOf(e))
  }
}

/**
 * Verification by factor type: the answer names no credential, so each of the user's credentials
 * is tried in turn. The first whose key verifies the signature decides: success (with its id and
 * counter) or `counter`. None: `rejected`. Never rejects.
 */
export const verifyAssertionAny = async (
  answer: AssertionAnswer,
  expected: Expected & { readonly credentials: ReadonlyArray<StoredCredential> },
): Promise<AnyAssertionResult> => {
  try {
    const decoded = decodeAssertion(answer)
    if (isFailure(decoded)) return decoded
    const expectedChallenge = expectedChallengeOf(expected.nonce)
    if (expectedChallenge === null) return rejected('the nonce is not base64')
    const details: string[] = []
    for (const credential of expected.credentials) {
      const result = await assertWith(decoded, expectedChallenge, expected, credential)
      if (result.ok) return { ok: true, credentialId: credential.id, newCounter: result.newCounter }
      if (result.reason === 'counter') return result
      details.push(`${credential.id}: ${result.detail}`)
    }
    return rejected(details.length === 0 ? 'no credential to verify with' : details.join('; '))
  } catch (e) {
    return rejected(messageOf(e))
  }
}
