import * as t from 'io-ts'
import { isModhex } from './modhex.js'
import { MAX_POSITION } from './token.js'

/** Shortest public id accepted (modhex characters): one byte. Okta's keys have 12 (6 bytes). */
export const MIN_PUBLIC_ID_LENGTH = 2
/** Longest public id a YubiKey can be given (modhex characters): 16 bytes. */
export const MAX_PUBLIC_ID_LENGTH = 32
/** The greatest serial number a 12-digit `credentialId` can show. */
export const MAX_SERIAL = 999_999_999_999

/** A string codec that decodes to a canonical form (`canonical` returns null for what it refuses). */
const canonicalString = (name: string, expected: string, canonical: (s: string) => string | null): t.Type<string, string, unknown> =>
  new t.Type<string, string, unknown>(
    name,
    (u): u is string => typeof u === 'string' && canonical(u) === u,
    (u, c) => {
      const v = typeof u === 'string' ? canonical(u) : null
      return v === null ? t.failure(u, c, expected) : t.success(v)
    },
    (a) => a,
  )

/** The canonical form of a public id (lower case), or null when it is not 2 to 32 modhex characters, an even number of them. */
export const canonicalPublicId = (s: string): string | null => {
  const v = s.toLowerCase()
  return v.length >= MIN_PUBLIC_ID_LENGTH && v.length <= MAX_PUBLIC_ID_LENGTH && v.length % 2 === 0 && isModhex(v) ? v : null
}

const canonicalHex = (digits: number) => (s: string): string | null => {
  const v = s.toLowerCase()
  return v.length === digits && /^[0-9a-f]+$/.test(v) ? v : null
}

/** A key's public id: the modhex prefix of its OTPs (2 to 32 characters; upper case is read as lower case). */
export const PublicId = canonicalString('PublicId', 'a public id of 2 to 32 modhex characters (an even number)', canonicalPublicId)
/** A key's private id (`uid`): 6 bytes, 12 hex digits (stored in lower case). */
export const PrivateId = canonicalString('PrivateId', 'a private id of 12 hex digits', canonicalHex(12))
/** A key's AES-128 key: 16 bytes, 32 hex digits (stored in lower case). */
export const AesKey = canonicalString('AesKey', 'an AES-128 key of 32 hex digits', canonicalHex(32))

/** A key's serial number: an integer from 0 to 999999999999 (it is shown as 12 digits). */
export const Serial = new t.Type<number, number, unknown>(
  'Serial',
  (u): u is number => typeof u === 'number' && Number.isSafeInteger(u) && u >= 0 && u <= MAX_SERIAL,
  (u, c) => (typeof u === 'number' && Number.isSafeInteger(u) && u >= 0 && u <= MAX_SERIAL ? t.success(u) : t.failure(u, c, 'a serial number from 0 to 999999999999')),
  (a) => a,
)

/** A one-time position (see `positionOf`): an integer from 0 to MAX_POSITION. */
export const Position = new t.Type<number, number, unknown>(
  'Position',
  (u): u is number => typeof u === 'number' && Number.isSafeInteger(u) && u >= 0 && u <= MAX_POSITION,
  (u, c) => (typeof u === 'number' && Number.isSafeInteger(u) && u >= 0 && u <= MAX_POSITION ? t.success(u) : t.failure(u, c, `a one-time position from 0 to ${MAX_POSITION}`)),
  (a) => a,
)

/**
 * A YubiKey's Yubico OTP credential as an admin uploads it (one row of the Personalization Tool's
 * Yubico-format log; Okta's `POST /api/v1/org/factors/yubikey_token/tokens`).
 */
export const YubikeyKey = t.exact(t.type({ serial: Serial, publicId: PublicId, privateId: PrivateId, aesKey: AesKey }), 'YubikeyKey')
export type YubikeyKey = t.TypeOf<typeof YubikeyKey>

/** The `credentialId` Okta shows for a YubiKey: its serial number, zero-padded to 12 digits (`000004102994`). */
export const credentialIdOf = (serial: number): string => String(serial).padStart(12, '0')
