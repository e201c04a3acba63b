import { createPublicKey, type KeyObject } from 'node:crypto'

/** Bytes of an uncompressed P-256 point: `0x04 | x (32) | y (32)`. */
export const USER_KEY_BYTES = 65

/** The DER of `SubjectPublicKeyInfo { id-ecPublicKey, prime256v1 }` up to the point's BIT STRING contents. */
export const P256_SPKI_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex')

/** A node:crypto key, or null when the bytes are not a P-256 key of that form (or not on the curve). */
const tryKey = (make: () => KeyObject): KeyObject | null => {
  try {
    return make()
  } catch {
    return null
  }
}

/** True for an EC key on P-256, the only curve U2F allows. */
export const isP256Key = (key: KeyObject): boolean =>
  key.type === 'public' && key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1'

/**
 * The public key of a U2F user key (65 bytes, uncompressed): the fixed 26-byte SPKI prefix and
 * the point. Null unless the bytes are an uncompressed point on P-256.
 */
export const userKeyOf = (raw: Uint8Array): KeyObject | null => {
  if (raw.length !== USER_KEY_BYTES || raw[0] !== 0x04) return null
  return tryKey(() => createPublicKey({ key: Buffer.concat([P256_SPKI_PREFIX, raw]), format: 'der', type: 'spki' }))
}

/** A P-256 public key from the DER of a SubjectPublicKeyInfo, or null. */
export const spkiKeyOf = (spki: Uint8Array): KeyObject | null => {
  const key = tryKey(() => createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }))
  return key !== null && isP256Key(key) ? key : null
}
