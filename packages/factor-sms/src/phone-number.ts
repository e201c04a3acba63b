import * as E from 'fp-ts/lib/Either.js'
import * as t from 'io-ts'
import { parsePhoneNumberFromString } from 'libphonenumber-js/max'

/** E.164 allows at most 15 digits, the country code included. */
export const MAX_PHONE_DIGITS = 15

/** The longest phone number read, formatting included; a longer one is refused before it is parsed. */
export const MAX_PHONE_INPUT_LENGTH = 40

/** The country of a number written without a leading `+` (Okta's US-centric clients send `4155551234`). */
export const DEFAULT_PHONE_COUNTRY = 'US'

/**
 * A phone number as stored: E.164 (`+14155552671`), a `+` then 2 to 15 digits, the first not 0.
 * Only the form is checked here: whether the number exists is checked once, by `parsePhone`, when
 * it is enrolled or seeded (so a stored number stays readable when the phone metadata changes).
 */
export const E164 = t.refinement(t.string, (s) => /^\+[1-9][0-9]{1,14}$/u.test(s), 'E164')
export type E164 = t.TypeOf<typeof E164>

/** How people write a number: ASCII digits, one leading `+`, and the separators space, `-`, `.`, `(`, `)` and `/`. */
const WRITTEN = /^\+?[0-9 \t\u00a0().\-/]+$/u

/** The E.164 form of a valid number without an extension, else null (a throw of the library counts as "not a number"). */
const e164Of = (s: string): E164 | null => {
  try {
    const phone = parsePhoneNumberFromString(s, { defaultCountry: DEFAULT_PHONE_COUNTRY, extract: false })
    return phone !== undefined && phone.isValid() && phone.ext === undefined && E164.is(phone.number) ? phone.number : null
  } catch {
    return null
  }
}

/**
 * A phone number as written by a user or a client (`(415) 555-2671`, `+44 20 7946 0958`,
 * `+1-415-555-2671`, `415.555.2671`) in E.164 (`+14155552671`), or the cause of its refusal
 * (prefixed with `field`). The number must be valid for its country (libphonenumber-js, full
 * metadata); a number without a leading `+` is read as a US number; at most 15 digits; no letters,
 * no extension. Never throws.
 */
export const parsePhone = (written: string, field: string): E.Either<string, E164> => {
  const s = written.trim()
  if (s === '') return E.left(`${field}: The field cannot be left blank`)
  if (s.length > MAX_PHONE_INPUT_LENGTH) return E.left(`${field}: A phone number has at most ${MAX_PHONE_INPUT_LENGTH} characters.`)
  const invalid = (why: string): E.Either<string, E164> => E.left(`${field}: '${s}' is not a valid phone number${why}.`)
  if (!WRITTEN.test(s)) return invalid(" (only digits, a leading '+', spaces and - . ( ) / are allowed)")
  if (s.replace(/[^0-9]/gu, '').length > MAX_PHONE_DIGITS) return invalid(` (more than ${MAX_PHONE_DIGITS} digits)`)
  const e164 = e164Of(s)
  return e164 === null ? invalid('') : E.right(e164)
}
