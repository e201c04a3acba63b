import * as t from 'io-ts'
import { ScureBase32Plugin } from 'otplib'

const base32 = new ScureBase32Plugin()

/** Shortest key accepted: 80 bits, the length of Okta's own 16-character example secrets (seeded factors). */
export const MIN_SECRET_BYTES = 10
/** Longest key accepted (otplib's bound: a SHA-512 block). */
export const MAX_SECRET_BYTES = 64
/** Length of the keys this package generates: 160 bits, RFC 4226 §4 R6's recommendation. */
export const GENERATED_SECRET_BYTES = 20

export interface SharedSecretBrand {
  readonly SharedSecret: unique symbol
}
/** A shared key in canonical base32 (RFC 4648: upper case, no padding), as stored and as shown to the client. */
export type SharedSecret = t.Branded<string, SharedSecretBrand>

const decodeBase32 = (s: string): Uint8Array | null => {
  try {
    return base32.decode(s)
  } catch {
    return null
  }
}

/** The canonical form of a base32 key (case, spaces and `=` padding ignored), or null when it is not one or has the wrong length. */
export const canonicalSecret = (s: string): SharedSecret | null => {
  const c = s.replace(/[\s=]/g, '').toUpperCase()
  if (!/^[A-Z2-7]+$/.test(c)) return null
  const bytes = decodeBase32(c)
  return bytes !== null && bytes.length >= MIN_SECRET_BYTES && bytes.length <= MAX_SECRET_BYTES ? (c as SharedSecret) : null
}

/** The key bytes of a secret, or null for a value that did not come through the codec. */
export const secretBytes = (secret: string): Uint8Array | null => (canonicalSecret(secret) === secret ? decodeBase32(secret) : null)

/** Base32 (canonical) of raw key bytes. */
export const encodeSecret = (bytes: Uint8Array): SharedSecret => base32.encode(bytes, { padding: false }) as SharedSecret

/**
 * The stored secret: a base32 key of 10 to 64 bytes. Decoding accepts lower case, spaces and `=`
 * padding (hand-written seeds) and yields the canonical form, which encodes as itself.
 */
export const SharedSecret = new t.Type<SharedSecret, string, unknown>(
  'SharedSecret',
  (u): u is SharedSecret => typeof u === 'string' && canonicalSecret(u) === u,
  (u, c) => {
    if (typeof u !== 'string') return t.failure(u, c, 'a base32 string')
    const k = canonicalSecret(u)
    return k === null ? t.failure(u, c, `a base32 key of ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES} bytes`) : t.success(k)
  },
  (a) => a,
)
