/** The characters of a nonce: Okta's nonces are 20 alphanumerics. */
export const NONCE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
/** Characters in a nonce. */
export const NONCE_LENGTH = 20

/** 248 = 4 × 62: a byte below it maps onto the alphabet uniformly (`byte % 62`); the rest are drawn again. */
const ACCEPTED_BELOW = Math.floor(256 / NONCE_ALPHABET.length) * NONCE_ALPHABET.length
/** Draws before a source is judged broken (a fair source needs more than one with a chance of about 10⁻⁴⁰). */
const MAX_DRAWS = 32

/**
 * A nonce of 20 characters of `[A-Za-z0-9]`, each uniform: bytes from `randomBytes` at or above
 * 248 are dropped (rejection sampling), so no character is likelier than another. Throws a
 * `RangeError` only for a source that keeps giving unusable bytes.
 */
export const makeNonce = (randomBytes: (size: number) => Uint8Array): string => {
  const chars: string[] = []
  for (let draw = 0; draw < MAX_DRAWS && chars.length < NONCE_LENGTH; draw += 1) {
    const bytes = randomBytes(NONCE_LENGTH + 8)
    for (let i = 0; i < bytes.length && chars.length < NONCE_LENGTH; i += 1) {
      const byte = bytes[i] ?? 255
      if (byte < ACCEPTED_BELOW) chars.push(NONCE_ALPHABET.charAt(byte % NONCE_ALPHABET.length))
    }
  }
  if (chars.length < NONCE_LENGTH) throw new RangeError('makeNonce: the random source gave no usable bytes')
  return chars.join('')
}

/** True for a string shaped as a nonce: 20 characters of `[A-Za-z0-9]`. */
export const isNonce = (value: string): boolean => /^[A-Za-z0-9]{20}$/.test(value)
