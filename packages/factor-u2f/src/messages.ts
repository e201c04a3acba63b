import { readDerElement, SEQUENCE } from './der.js'
import { USER_KEY_BYTES } from './keys.js'

/** First byte of a registration response ("reserved", for legacy reasons). */
export const REGISTRATION_RESERVED_BYTE = 0x05
/** Bit 0 of the first byte of a sign response: the user touched the token. */
export const USER_PRESENCE_FLAG = 0x01

/** A registration response taken apart (FIDO U2F Raw Message Formats, "Registration Response Message"). */
export interface RegistrationResponse {
  /** The user's P-256 public key, uncompressed (65 bytes). */
  readonly userKey: Uint8Array
  readonly keyHandle: Uint8Array
  /** The attestation certificate, X.509 DER. */
  readonly certificate: Uint8Array
  /** ECDSA-SHA256 signature (DER) by the attestation key. */
  readonly signature: Uint8Array
}

/**
 * Takes a registration response apart: `0x05 | user key (65) | L | key handle (L) |
 * attestation certificate (DER; its length read from its own header) | signature (the rest)`.
 * Null when the bytes cannot be such a message. The certificate and signature are not checked here.
 */
export const parseRegistrationData = (data: Uint8Array): RegistrationResponse | null => {
  if (data.length < 1 + USER_KEY_BYTES + 1 || data[0] !== REGISTRATION_RESERVED_BYTE) return null
  const userKey = data.subarray(1, 1 + USER_KEY_BYTES)
  const handleLength = data[1 + USER_KEY_BYTES] ?? 0
  const handleStart = 2 + USER_KEY_BYTES
  const certificateStart = handleStart + handleLength
  if (handleLength === 0 || certificateStart > data.length) return null
  const certificate = readDerElement(data, certificateStart)
  if (certificate === null || certificate.tag !== SEQUENCE || certificate.end >= data.length) return null
  return {
    userKey,
    keyHandle: data.subarray(handleStart, certificateStart),
    certificate: data.subarray(certificateStart, certificate.end),
    signature: data.subarray(certificate.end),
  }
}

/** A sign response taken apart (FIDO U2F Raw Message Formats, "Authentication Response Message: Success"). */
export interface SignResponse {
  /** The user-presence byte; bit 0 set when the user touched the token. */
  readonly userPresence: number
  /** The token's counter, uint32. */
  readonly counter: number
  /** ECDSA-SHA256 signature (DER) by the user key. */
  readonly signature: Uint8Array
  /** `userPresence | counter`: the five bytes the signature covers, as sent. */
  readonly signedPrefix: Uint8Array
}

/** Takes a sign response apart: `user presence (1) | counter (uint32, big-endian) | signature (the rest)`. Null when too short. */
export const parseSignatureData = (data: Uint8Array): SignResponse | null => {
  if (data.length < 6) return null
  const view = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  return { userPresence: view[0] ?? 0, counter: view.readUInt32BE(1), signature: data.subarray(5), signedPrefix: data.subarray(0, 5) }
}
