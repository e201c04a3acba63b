import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import type { EnrollRequest } from '@authn-machine/core'

/** A VIP credential id: 4 to 40 letters and digits (`VSMT14393584`), kept in upper case. */
export const canonicalCredentialId = (s: string): string | null => (/^[A-Za-z0-9]{4,40}$/.test(s) ? s.toUpperCase() : null)

/** A VIP security code: 6 to 8 digits. */
export const isSecurityCode = (s: string): boolean => /^[0-9]{6,8}$/.test(s)

/** A credential id codec: decodes to the canonical (upper-case) form, refuses anything else. */
export const CredentialId = new t.Type<string, string, unknown>(
  'CredentialId',
  (u): u is string => typeof u === 'string' && canonicalCredentialId(u) === u,
  (u, c) => {
    const v = typeof u === 'string' ? canonicalCredentialId(u) : null
    return v === null ? t.failure(u, c, 'a VIP credential id of 4 to 40 letters and digits') : t.success(v)
  },
  (a) => a,
)

/** The stored profile of a VIP factor: `credentialId`, as Okta shows it (`VSMT14393584`). */
export const SymantecProfile = t.exact(t.type({ credentialId: CredentialId }), 'SymantecProfile')
export type SymantecProfile = t.TypeOf<typeof SymantecProfile>

/**
 * What `verify` needs (sealed by the engine as every factor secret): the credential's `tokenId`,
 * the id the VIP service knows it by. Nothing here is a shared secret: the codes are checked by
 * the service.
 */
export const SymantecSecret = t.exact(t.type({ tokenId: CredentialId }), 'SymantecSecret')
export type SymantecSecret = t.TypeOf<typeof SymantecSecret>

const EnrollBody = t.type({
  profile: t.type({ credentialId: t.string }),
  passCode: t.string,
  nextPassCode: t.string,
})

/**
 * An enroll request of a VIP credential (spec §4.6): `profile.credentialId`, `passCode` and
 * `nextPassCode` (two consecutive codes), all required strings; their formats are checked by
 * `enroll`.
 */
export const SymantecEnrollRequest = new t.Type<EnrollRequest, unknown, unknown>(
  'factorEnrollRequest',
  (u): u is EnrollRequest => EnrollBody.is(u),
  (u, c) =>
    pipe(
      EnrollBody.validate(u, c),
      E.map((b): EnrollRequest => ({ profile: { credentialId: b.profile.credentialId }, passCode: b.passCode, nextPassCode: b.nextPassCode })),
    ),
  (a) => a,
)

/** A verification body: `passCode`, a string (its format is checked by `verify`). */
export const PassCodeAnswer = t.exact(t.type({ passCode: t.string }), 'passCodeAnswer')
export type PassCodeAnswer = t.TypeOf<typeof PassCodeAnswer>
