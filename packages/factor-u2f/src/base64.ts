/** Standard or URL-safe base64 characters, with at most two `=` of padding at the end. */
const LENIENT_BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/

/**
 * Decodes base64 leniently, as Okta does for binary inputs: the standard alphabet (`+/`) or the
 * URL-safe one (`-_`), padding optional. Null for anything else: a character outside both
 * alphabets (whitespace included), misplaced or excess padding, or an impossible length.
 */
export const decodeBase64 = (text: string): Buffer | null => {
  if (!LENIENT_BASE64.test(text)) return null
  const body = text.replace(/=+$/, '')
  if (body.length % 4 === 1) return null
  if (text.length !== body.length && text.length % 4 !== 0) return null
  return Buffer.from(body.replace(/-/g, '+').replace(/_/g, '/'), 'base64')
}

/** Base64url without padding: how key handles (`credentialId`) and user keys are emitted. */
export const toBase64Url = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url')

/** Standard base64 with padding: how the attestation certificate is emitted. */
export const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64')
