import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import type { AuthnFailure, CodeMessage, CodePurpose, SendingFactor } from '@authn-machine/core'
import { E164, PhoneEnrollProfile, codeSentence, nullable, phoneNumberOf, readProfile, refusal, sentCodeEnrollRequest, sentCodeFactor } from '@authn-machine/factor-sms'
import type { PassCodeAnswer, ProfileReader, ProfileSource } from '@authn-machine/factor-sms'

/** The most digits an extension may have. */
export const MAX_EXTENSION_DIGITS = 15

const isExtension = (s: string): boolean => s.length <= MAX_EXTENSION_DIGITS && /^[0-9]+$/u.test(s)

/** A phone extension: 1 to 15 ASCII digits, dialled once the call is answered. */
export const PhoneExtension = t.refinement(t.string, isExtension, 'PhoneExtension')
export type PhoneExtension = t.TypeOf<typeof PhoneExtension>

/** The stored profile: the phone number in E.164, and its extension when it has one. */
export const CallProfile = t.exact(t.intersection([t.type({ phoneNumber: E164 }), t.partial({ phoneExtension: PhoneExtension })]), 'CallProfile')
export type CallProfile = t.TypeOf<typeof CallProfile>

/** `phoneExtension` as a request may give it: a string, or `null`. */
const ExtensionField = t.partial({ phoneExtension: nullable(t.string) })

/**
 * The profile of an enroll request: SMS's (`phoneNumber`, `updatePhone`) and `phoneExtension`, a
 * string (`null` or `""`: no extension).
 */
export const CallEnrollProfile = t.intersection([PhoneEnrollProfile, ExtensionField], 'CallEnrollProfile')

/** An enroll request: `{ profile: { phoneNumber, phoneExtension?, updatePhone? } }` (shape only: `enroll` checks the values). */
export const CallEnrollRequest = sentCodeEnrollRequest(CallEnrollProfile)

/** The extension of a request or seed profile: none, 1 to 15 digits, or the refusal. */
const extensionOf = (profile: Readonly<Record<string, unknown>>, source: ProfileSource): E.Either<AuthnFailure, PhoneExtension | null> =>
  pipe(
    readProfile(ExtensionField, profile, source),
    E.chain(({ phoneExtension: x }) => {
      if (x === undefined || x === null || x === '') return E.right(null)
      if (isExtension(x)) return E.right(x)
      const shown = x.length > 20 ? `${x.slice(0, 20)}…` : x
      return E.left(refusal(source, [`profile.phoneExtension: '${shown}' is not a valid extension (1 to ${MAX_EXTENSION_DIGITS} digits).`]))
    }),
  )

const callProfileOf: ProfileReader<CallProfile> = (profile, _subject, source) =>
  pipe(
    E.Do,
    E.apS('phoneNumber', phoneNumberOf(profile, source)),
    E.apS('phoneExtension', extensionOf(profile, source)),
    E.map(({ phoneNumber, phoneExtension }) => ({ phoneNumber, ...(phoneExtension === null ? {} : { phoneExtension }) })),
  )

/** A code as a voice reads it: its digits one by one (`1, 2, 3, 4, 5`), so text-to-speech does not say "twelve thousand". */
export const spokenDigits = (code: string): string => [...code].join(', ')

/** What the voice says: the code digit by digit, twice. */
const callMessage = (profile: CallProfile, code: string, purpose: CodePurpose): CodeMessage => {
  const spoken = spokenDigits(code)
  return { to: profile.phoneNumber, subject: '', text: `${codeSentence(spoken, purpose)} Again, your code is ${spoken}.` }
}

/**
 * Voice call (`call`, provider `OKTA`, ids `clf…`): a phone number (E.164, the rules of
 * `@authn-machine/factor-sms`) and an optional extension; the engine has a voice read a 5-digit
 * code, digit by digit and twice (at most one call every 30 s: 429 E0000133). Enrolled
 * PENDING_ACTIVATION until a code is entered; seeded ACTIVE. No secret; the answer is
 * `{ passCode }`, checked by the engine. The renderer masks the `phoneNumber` of the profile view.
 */
export function createCallFactor(): SendingFactor<CallProfile, null, PassCodeAnswer> {
  return sentCodeFactor({
    factorType: 'call',
    idPrefix: 'clf',
    profileCodec: CallProfile,
    enrollRequestCodec: CallEnrollRequest,
    readProfile: callProfileOf,
    profileView: (profile) => ({ phoneNumber: profile.phoneNumber, ...(profile.phoneExtension === undefined ? {} : { phoneExtension: profile.phoneExtension }) }),
    delivery: { channel: 'call', codeLength: 5, resendAfterMs: 30_000, throttledCode: 'E0000133', message: callMessage },
  })
}
