import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import type { EnrollRequest } from '@authn-machine/core'

const EnrollBody = t.partial({ profile: t.UnknownRecord, passCode: t.string, nextPassCode: t.string })

const toEnrollRequest = (b: t.TypeOf<typeof EnrollBody>): EnrollRequest => ({
  profile: b.profile ?? {},
  ...(b.passCode === undefined ? {} : { passCode: b.passCode }),
  ...(b.nextPassCode === undefined ? {} : { nextPassCode: b.nextPassCode }),
})

/** An enroll request of a token factor: `profile` (an object, default `{}`, its fields unused), `passCode` and `nextPassCode` (strings, unused). */
export const TokenEnrollRequest = new t.Type<EnrollRequest, unknown, unknown>(
  'factorEnrollRequest',
  (u): u is EnrollRequest => EnrollBody.is(u) && t.UnknownRecord.is((u as { profile?: unknown }).profile),
  (u, c) =>
    pipe(
      EnrollBody.validate(u, c),
      E.map(toEnrollRequest),
    ),
  (a) => a,
)

/** A verification body: `passCode`, a string. Its format is checked by `verify` (a wrong one is Rejected, 403, as Okta does). */
export const PassCodeAnswer = t.exact(t.type({ passCode: t.string }), 'passCodeAnswer')
export type PassCodeAnswer = t.TypeOf<typeof PassCodeAnswer>

/** The stored profile of a token factor: `credentialId`, the user's login. */
export const TokenProfile = t.exact(t.type({ credentialId: t.string }), 'TokenProfile')
export type TokenProfile = t.TypeOf<typeof TokenProfile>
