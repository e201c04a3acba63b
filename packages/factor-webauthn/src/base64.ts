/**
 * Binary fields on Okta's wire are base64 of either alphabet: the Sign-In Widget sends standard
 * base64 with padding (`btoa`), U2F-era clients and Okta's own examples send base64url without it.
 * Every binary input is read leniently; every identifier this package emits is base64url.
 */

const BASE64_BODY = /^[A-Za-z0-9+/_-]*$/

/**
 * The bytes of `s` read as base64 or base64url (the two alphabets may even be mixed), padding
 * optional; `null` for anything else: not a string, empty, a character outside both alphabets,
 * misplaced or wrong padding, or a length no encoding gives (one character over a multiple of 4).
 */
export const decodeBase64 = (s: unknown): Uint8Array<ArrayBuffer> | null => {
  if (typeof s !== 'string' || s.length === 0) return null
  const body = s.replace(/={1,2}$/, '')
  if (!BASE64_BODY.test(body) || body.length === 0) return null
  if (body.length % 4 === 1) return null
  if (body.length !== s.length && s.length % 4 !== 0) return null
  return Uint8Array.from(Buffer.from(body.replace(/-/g, '+').replace(/_/g, '/'), 'base64'))
}

/** base64url without padding (RFC 4648 §5), the form credential ids are stored and shown in. */
export const toBase64Url = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url')

/** Standard base64 with padding, as the Sign-In Widget's `btoa` writes it. */
export const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
