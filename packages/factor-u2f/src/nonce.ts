/** The nonce alphabet: Okta's nonces are 20 alphanumerics (`XqGHtE0hRLnTJ1aAySZ2`). */
export const NONCE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
/** Nonce length: 20 base64 characters are exactly 15 bytes, so a browser round-trips them unchanged. */
export const NONCE_LENGTH = 20

/** Bytes at or above this are dropped, so that `byte % 62` is uniform. */
const UNBIASED_LIMIT = NONCE_ALPHABET.length * Math.floor(256 / NONCE_ALPHABET.length)
const MAX_ROUNDS = 64

/**
 * A fresh nonce of 20 characters from `[A-Za-z0-9]`, drawn without bias from `randomBytes`
 * (node:crypto `randomBytes` in production, a seeded source in tests). Throws a `RangeError`
 * only when the source keeps giving unusable bytes (a broken source).
 */
export const makeNonce = (randomBytes: (size: number) => Uint8Array): string => {
  let nonce = ''
  for (let round = 0; round < MAX_ROUNDS && nonce.length < NONCE_LENGTH; round += 1) {
    for (const byte of randomBytes(2 * NONCE_LENGTH)) {
      if (byte < UNBIASED_LIMIT && nonce.length < NONCE_LENGTH) nonce += NONCE_ALPHABET[byte % NONCE_ALPHABET.length] ?? ''
    }
  }
  if (nonce.length < NONCE_LENGTH) throw new RangeError('makeNonce: the random source gave no usable bytes')
  return nonce
}

/** True for a string shaped as our nonces: 20 characters of `[A-Za-z0-9]`. */
export const isNonce = (value: string): boolean => /^[A-Za-z0-9]{20}$/.test(value)
