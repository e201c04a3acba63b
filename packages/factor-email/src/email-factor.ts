import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import validator from 'validator'
import type { AuthnFailure, CodeMessage, CodePurpose, SendingFactor } from '@authn-machine/core'
import { codeSentence, nullable, readProfile, refusal, sentCodeEnrollRequest, sentCodeFactor } from '@authn-machine/factor-sms/sent-code'
import type { PassCodeAnswer, ProfileReader } from '@authn-machine/factor-sms/sent-code'

/** The longest address accepted (Okta's limit for an email factor's profile). */
export const MAX_EMAIL_LENGTH = 100

/**
 * Whether `s` is an address a code can be sent to: at most 100 characters, and an address by
 * validator's `isEmail` (no display name, a domain with a top-level domain, no IP-address domain,
 * no underscore in the domain).
 */
export const isEmailAddress = (s: string): boolean =>
  s.length <= MAX_EMAIL_LENGTH &&
  validator.isEmail(s, { allow_display_name: false, require_tld: true, allow_ip_domain: false, allow_underscores: false, ignore_max_length: false })

/** An email address (the same rule when stored as when enrolled: `isEmailAddress`). */
export const EmailAddress = t.refinement(t.string, isEmailAddress, 'EmailAddress')
export type EmailAddress = t.TypeOf<typeof EmailAddress>

/** The stored profile: the address the codes are sent to. */
export const EmailProfile = t.exact(t.type({ email: EmailAddress }), 'EmailProfile')
export type EmailProfile = t.TypeOf<typeof EmailProfile>

/** The profile of an enroll request: `email`, a string, optional (`null` too): by default the user's primary email. */
export const EmailEnrollProfile = t.partial({ email: nullable(t.string) }, 'EmailEnrollProfile')

/** An enroll request: `{}`, `{ profile: {} }` or `{ profile: { email } }` (shape only: `enroll` checks the address). */
export const EmailEnrollRequest = sentCodeEnrollRequest(EmailEnrollProfile)

export const NO_EMAIL = 'profile.email: The field cannot be left blank: the user has no primary email address.'

/** An address as shown in a cause: as given, cut after 100 characters. */
const shown = (s: string): string => (s.length > MAX_EMAIL_LENGTH ? `${s.slice(0, MAX_EMAIL_LENGTH)}…` : s)

/** The address of a request or seed profile, else the user's primary email; or the refusal with its cause. */
const emailProfileOf: ProfileReader<EmailProfile> = (profile, subject, source) =>
  pipe(
    readProfile(EmailEnrollProfile, profile, source),
    E.chain(({ email }): E.Either<AuthnFailure, EmailProfile> => {
      const given = email === undefined || email === null || email === '' ? null : email
      const address = given ?? subject.email
      if (address === null) return E.left(refusal(source, [NO_EMAIL]))
      if (address.length > MAX_EMAIL_LENGTH) return E.left(refusal(source, [`profile.email: An email address has at most ${MAX_EMAIL_LENGTH} characters.`]))
      if (!isEmailAddress(address)) return E.left(refusal(source, [`profile.email: '${shown(address)}' is not a valid email address.`]))
      return E.right({ email: address })
    }),
  )

/** The subject of every code's email. */
export const EMAIL_SUBJECT = 'Your one-time verification code'

/** The email: the subject above, the code's sentence, and what to do with an unexpected code. */
const emailMessage = (profile: EmailProfile, code: string, purpose: CodePurpose): CodeMessage => ({
  to: profile.email,
  subject: EMAIL_SUBJECT,
  text: `${codeSentence(code, purpose)}\n\nIf you did not ask for this code, you can ignore this email.`,
})

/**
 * Email (`email`, provider `OKTA`, ids `emf…`): the address of the request's `profile.email`, else
 * the user's primary email (Okta: "Uses the user's primary email; no profile needed"), to which the
 * engine sends a 6-digit code (at most one every 5 s: 429 E0000118). Enrolled PENDING_ACTIVATION
 * until a sent code is entered; seeded ACTIVE. No secret; the answer is `{ passCode }`, checked by
 * the engine. The renderer masks the `email` of the profile view (`d...e@example.com`).
 */
export function createEmailFactor(): SendingFactor<EmailProfile, null, PassCodeAnswer> {
  return sentCodeFactor({
    factorType: 'email',
    idPrefix: 'emf',
    profileCodec: EmailProfile,
    enrollRequestCodec: EmailEnrollRequest,
    readProfile: emailProfileOf,
    profileView: (profile) => ({ email: profile.email }),
    delivery: { channel: 'email', codeLength: 6, resendAfterMs: 5_000, throttledCode: 'E0000118', message: emailMessage },
  })
}
