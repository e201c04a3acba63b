import * as t from 'io-ts'
import { AesKey, Position, PrivateId, PublicId } from './key.js'

/**
 * What is stored for an enrolled YubiKey (sealed by the engine's SecretBox, as every factor
 * secret): the key material its OTPs are checked against, and `enrolledCounter`, the one-time
 * position of the OTP that enrolled it (null for a seeded factor). The factor row's `lastCounter`
 * starts at null, so `verify` refuses positions at or below the greater of the two.
 */
export const YubikeySecret = t.exact(
  t.type({
    publicId: PublicId,
    privateId: PrivateId,
    aesKey: AesKey,
    enrolledCounter: t.union([Position, t.null]),
  }),
  'YubikeySecret',
)
export type YubikeySecret = t.TypeOf<typeof YubikeySecret>
