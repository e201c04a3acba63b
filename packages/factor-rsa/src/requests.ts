import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import type { EnrollRequest } from '@authn-machine/core'
import { MAX_PASSWORD_BYTES, MAX_USER_NAME_BYTES } from './radius-client.js'

const hasControlCharacter = (s: string): boolean => {
  for (let i = 0; i < s.length; i += 1) {
    const c = s.charCodeAt(i)
    if (c < 0x20 || c === 0x7f) return true
  }
  return false
}

/**
 * A RADIUS user name (the RSA user name Okta calls `credentialId`): 1 to 253 bytes of UTF-8,
 * with no control characters and no surrounding spaces. Kept as given (the server decides on case).
 */
export const isCredentialId = (s: string): boolean =>
  s.length > 0 && s === s.trim() && !hasControlCharacter(s) && Buffer.byteLength(s, 'utf8') <= MAX_USER_NAME_BYTES

/**
 * A passcode (PIN followed by the tokencode, or a tokencode alone): 4 to 64 letters and digits.
 * Longer than RFC 2865 allows, or anything else, is malformed.
 */
export const isPassCode = (s: string): boolean => /^[A-Za-z0-9]{4,64}$/.test(s) && s.length <= MAX_PASSWORD_BYTES

/** A credential id codec: refuses what `isCredentialId` refuses. */
export const CredentialId = new t.Type<string, string, unknown>(
  'CredentialId',
  (u): u is string => typeof u === 'string' && isCredentialId(u),
  (u, c) => (typeof u === 'string' && isCredentialId(u) ? t.success(u) : t.failure(u, c, 'a user name of 1 to 253 bytes, no control characters')),
  (a) => a,
)

/** The stored profile: `credentialId`, the user name the RADIUS server knows, as Okta shows it. */
export const RsaProfile = t.exact(t.type({ credentialId: CredentialId }), 'RsaProfile')
export type RsaProfile = t.TypeOf<typeof RsaProfile>

/**
 * What `verify` needs (sealed by the engine as every factor secret): the RADIUS `userName`.
 * Nothing here is a shared secret: the passcodes are checked by the server.
 */
export const RsaSecret = t.exact(t.type({ userName: CredentialId }), 'RsaSecret')
export type RsaSecret = t.TypeOf<typeof RsaSecret>

const EnrollBody = t.type({ profile: t.type({ credentialId: t.string }), passCode: t.string })

/**
 * An enroll request (spec §4.6): `profile.credentialId` and `passCode`, both required strings;
 * their formats are checked by `enroll`.
 */
export const RsaEnrollRequest = new t.Type<EnrollRequest, unknown, unknown>(
  'factorEnrollRequest',
  (u): u is EnrollRequest => EnrollBody.is(u),
  (u, c) =>
    pipe(
      EnrollBody.validate(u, c),
      E.map((b): EnrollRequest => ({ profile: { credentialId: b.profile.credentialId }, passCode: b.passCode })),
    ),
  (a) => a,
)

/** A verification body: `passCode`, a string (its format is checked by `verify`). */
export const PassCodeAnswer = t.exact(t.type({ passCode: t.string }), 'passCodeAnswer')
export type PassCodeAnswer = t.TypeOf<typeof PassCodeAnswer>
