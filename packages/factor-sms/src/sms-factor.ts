import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import type { AuthnFailure, CodeMessage, CodePurpose, SendingFactor } from '@authn-machine/core'
import { E164, parsePhone } from './phone-number.js'
import { codeSentence, readProfile, refusal, sentCodeEnrollRequest, sentCodeFactor, type PassCodeAnswer, type ProfileReader, type ProfileSource } from './sent-code.js'

/** The stored profile: the phone number in E.164. */
export const SmsProfile = t.exact(t.type({ phoneNumber: E164 }), 'SmsProfile')
export type SmsProfile = t.TypeOf<typeof SmsProfile>

/** A boolean sent as JSON or as a query-string value (`updatePhone=true`). */
const Flag = t.union([t.boolean, t.keyof({ true: null, false: null })], 'boolean')

/**
 * The profile of a phone family's enroll request (sms, call): `phoneNumber` as the user wrote it,
 * and `updatePhone` (`true`, `false`, `"true"`, `"false"`), which replaces a pending enrollment's
 * number: it is the engine's to read, and accepted and ignored here.
 */
export const PhoneEnrollProfile = t.intersection([t.type({ phoneNumber: t.string }), t.partial({ updatePhone: Flag })], 'PhoneEnrollProfile')

/** An enroll request: `{ profile: { phoneNumber, updatePhone? } }` (shape only: `enroll` checks the number). */
export const SmsEnrollRequest = sentCodeEnrollRequest(PhoneEnrollProfile)

/** The E.164 number of a request or seed profile (`profile.phoneNumber`, see `parsePhone`), or the refusal with its cause. */
export const phoneNumberOf = (profile: unknown, source: ProfileSource): E.Either<AuthnFailure, E164> =>
  pipe(
    readProfile(PhoneEnrollProfile, profile, source),
    E.chain((p) =>
      pipe(
        parsePhone(p.phoneNumber, 'profile.phoneNumber'),
        E.mapLeft((cause) => refusal(source, [cause])),
      ),
    ),
  )

const smsProfileOf: ProfileReader<SmsProfile> = (profile, _subject, source) =>
  pipe(
    phoneNumberOf(profile, source),
    E.map((phoneNumber) => ({ phoneNumber })),
  )

/** The text message: one short sentence with the code. */
const smsMessage = (profile: SmsProfile, code: string, purpose: CodePurpose): CodeMessage => ({ to: profile.phoneNumber, subject: '', text: codeSentence(code, purpose) })

/**
 * SMS (`sms`, provider `OKTA`, ids `mbl…`): a phone number, normalised to E.164, to which the
 * engine texts a 6-digit code (at most one every 30 s: 429 E0000109). Enrolled PENDING_ACTIVATION
 * until a sent code is entered; seeded ACTIVE. No secret; the answer is `{ passCode }`, checked by
 * the engine against the code it sent. The profile view shows the number in full: the renderer
 * masks every `phoneNumber` (`+1 XXX-XXX-2671`).
 */
export function createSmsFactor(): SendingFactor<SmsProfile, null, PassCodeAnswer> {
  return sentCodeFactor({
    factorType: 'sms',
    idPrefix: 'mbl',
    profileCodec: SmsProfile,
    enrollRequestCodec: SmsEnrollRequest,
    readProfile: smsProfileOf,
    profileView: (profile) => ({ phoneNumber: profile.phoneNumber }),
    delivery: { channel: 'sms', codeLength: 6, resendAfterMs: 30_000, throttledCode: 'E0000109', message: smsMessage },
  })
}
