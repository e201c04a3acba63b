import { timingSafeEqual } from 'node:crypto'
import { hasValidCrc } from './crc16.js'
import { MAX_PUBLIC_ID_LENGTH, MIN_PUBLIC_ID_LENGTH } from './key.js'
import { modhexToBytes } from './modhex.js'
import { PRIVATE_ID_BYTES, TOKEN_BYTES, decryptToken, positionOf, readToken, type YubikeyToken } from './token.js'

/** Modhex characters of the encrypted token at the end of every OTP. */
export const TOKEN_MODHEX_LENGTH = 2 * TOKEN_BYTES
/** Shortest OTP accepted: a 2-character public id and the token. */
export const MIN_OTP_LENGTH = MIN_PUBLIC_ID_LENGTH + TOKEN_MODHEX_LENGTH
/** Longest OTP accepted: a 32-character public id and the token. Okta's OTPs have 44 (a 12-character public id). */
export const MAX_OTP_LENGTH = MAX_PUBLIC_ID_LENGTH + TOKEN_MODHEX_LENGTH

/** The cause of a refused enrollment whose `passCode` is not shaped as a YubiKey OTP (400 E0000001). */
export const MALFORMED_OTP_CAUSE = `passCode: A YubiKey OTP is ${MIN_OTP_LENGTH} to ${MAX_OTP_LENGTH} modhex characters (cbdefghijklnrtuv).`

/** An OTP taken apart: the public id in clear, and the encrypted token. */
export interface SplitOtp {
  readonly publicId: string
  readonly block: Uint8Array
}

/**
 * Takes an OTP apart: everything but the last 32 characters is the public id. Null when the OTP
 * is malformed: not 34 to 64 characters, an odd number of them, or a character outside modhex.
 * Upper case is read as lower case.
 */
export const splitOtp = (otp: string): SplitOtp | null => {
  if (otp.length < MIN_OTP_LENGTH || otp.length > MAX_OTP_LENGTH || otp.length % 2 !== 0) return null
  const lower = otp.toLowerCase()
  const publicId = lower.slice(0, lower.length - TOKEN_MODHEX_LENGTH)
  const block = modhexToBytes(lower.slice(lower.length - TOKEN_MODHEX_LENGTH))
  return block === null || modhexToBytes(publicId) === null ? null : { publicId, block }
}

/** The key material an OTP is checked against (lower-case modhex and hex, as the codecs give them). */
export interface OtpKey {
  readonly publicId: string
  readonly privateId: string
  readonly aesKey: string
}

/** The outcome of checking an OTP against a key. */
export type OtpCheck =
  | { readonly _tag: 'Valid'; readonly token: YubikeyToken; readonly position: number }
  /** `publicId`: not this key's OTP; `crc`: not decrypted by this key, or altered; `privateId`: the token's uid is not the key's; `key`: the key material is unusable. */
  | { readonly _tag: 'Invalid'; readonly reason: 'publicId' | 'crc' | 'privateId' | 'key' }

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && timingSafeEqual(a, b)

/** The bytes of a hex string of exactly `length` bytes, or null. */
const hexBytes = (hex: string, length: number): Buffer | null => {
  const b = Buffer.from(hex, 'hex')
  return b.length === length && b.toString('hex') === hex.toLowerCase() ? b : null
}

/**
 * Checks an OTP against a key, with no state: same public id, a token that decrypts (AES-128-ECB)
 * to a right CRC-16, the key's private id. A valid OTP's one-time position is given; whether it
 * was used already is the caller's question.
 */
export const checkOtp = (otp: SplitOtp, key: OtpKey): OtpCheck => {
  if (otp.publicId !== key.publicId) return { _tag: 'Invalid', reason: 'publicId' }
  const aesKey = hexBytes(key.aesKey, 16)
  const privateId = hexBytes(key.privateId, PRIVATE_ID_BYTES)
  if (aesKey === null || privateId === null) return { _tag: 'Invalid', reason: 'key' }
  const plain = decryptToken(aesKey, otp.block)
  if (plain === null) return { _tag: 'Invalid', reason: 'key' }
  if (!hasValidCrc(plain)) return { _tag: 'Invalid', reason: 'crc' }
  if (!sameBytes(plain.subarray(0, PRIVATE_ID_BYTES), privateId)) return { _tag: 'Invalid', reason: 'privateId' }
  const token = readToken(plain)
  return { _tag: 'Valid', token, position: positionOf(token) }
}
