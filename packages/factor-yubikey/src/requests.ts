import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import type { EnrollRequest } from '@authn-machine/core'

const EnrollBody = t.intersection([t.type({ passCode: t.string }), t.partial({ profile: t.UnknownRecord, nextPassCode: t.string })])

/**
 * An enroll request of a YubiKey: `passCode` (a string, the OTP the key types; required) and an
 * optional `profile` object (default `{}`, its fields unused). The OTP's format is checked by
 * `enroll`.
 */
export const YubikeyEnrollRequest = new t.Type<EnrollRequest, unknown, unknown>(
  'factorEnrollRequest',
  (u): u is EnrollRequest => EnrollBody.is(u) && t.UnknownRecord.is((u as { profile?: unknown }).profile),
  (u, c) =>
    pipe(
      EnrollBody.validate(u, c),
      E.map((b): EnrollRequest => ({ profile: b.profile ?? {}, passCode: b.passCode })),
    ),
  (a) => a,
)

/** A verification body: `passCode`, a string. Its format is checked by `verify` (a malformed OTP is Rejected, 403, as a wrong one is). */
export const PassCodeAnswer = t.exact(t.type({ passCode: t.string }), 'passCodeAnswer')
export type PassCodeAnswer = t.TypeOf<typeof PassCodeAnswer>

/** The stored profile of a YubiKey factor: `credentialId`, the key's serial number in 12 digits (`000004102994`). */
export const YubikeyProfile = t.exact(t.type({ credentialId: t.string }), 'YubikeyProfile')
export type YubikeyProfile = t.TypeOf<typeof YubikeyProfile>
