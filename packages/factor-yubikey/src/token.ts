import { createDecipheriv } from 'node:crypto'

/** A token (the encrypted part of an OTP) is one AES block. */
export const TOKEN_BYTES = 16
/** The private id (`uid`) at the start of a token. */
export const PRIVATE_ID_BYTES = 6
/** Bit 15 of the session counter: the OTP was typed while caps lock was on. Not part of the counter. */
export const CAPS_LOCK_FLAG = 0x8000
/** The greatest one-time position: session counter 0x7fff, session use 0xff. */
export const MAX_POSITION = 0x7fff * 256 + 0xff

/**
 * The fields of a decrypted token, as the YubiKey lays them out (little-endian):
 * `privateId(6) | sessionCounter(2) | timestamp(3) | sessionUse(1) | random(2) | crc(2)`.
 * The names are those of the Yubico validation protocol (`sessioncounter`, `sessionuse`).
 */
export interface YubikeyToken {
  /** The private id (`uid`), 12 lower-case hex digits. */
  readonly privateId: string
  /** Non-volatile counter, one more at each power-up (and when `sessionUse` wraps); bit 15 is the caps-lock flag. */
  readonly sessionCounter: number
  /** 24-bit timer, about 8 Hz, started at a random value at power-up. */
  readonly timestamp: number
  /** OTPs generated since power-up (8 bits). */
  readonly sessionUse: number
  readonly random: number
  /** The complemented CRC-16 of the first 14 bytes. */
  readonly crc: number
}

/**
 * Decrypts one token: AES-128 in ECB mode over a single block, without padding (node:crypto).
 * Null when `aesKey` is not 16 bytes or `block` not one block.
 */
export const decryptToken = (aesKey: Uint8Array, block: Uint8Array): Uint8Array | null => {
  if (aesKey.length !== 16 || block.length !== TOKEN_BYTES) return null
  try {
    const decipher = createDecipheriv('aes-128-ecb', aesKey, null)
    decipher.setAutoPadding(false)
    const plain = Buffer.concat([decipher.update(block), decipher.final()])
    return plain.length === TOKEN_BYTES ? new Uint8Array(plain) : null
  } catch {
    return null
  }
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')

/** The fields of a decrypted token (16 bytes; the CRC is read, not checked). */
export const readToken = (plain: Uint8Array): YubikeyToken => {
  const b = Buffer.from(plain.buffer, plain.byteOffset, plain.byteLength)
  return {
    privateId: hex(plain.subarray(0, PRIVATE_ID_BYTES)),
    sessionCounter: b.readUInt16LE(6),
    timestamp: b.readUIntLE(8, 3),
    sessionUse: b.readUInt8(11),
    random: b.readUInt16LE(12),
    crc: b.readUInt16LE(14),
  }
}

/**
 * The token's one-time position, a single number that grows with every OTP the key generates:
 * the session counter without its caps-lock flag, then the session use, i.e.
 * `(sessionCounter & 0x7fff) * 256 + sessionUse`. Comparing positions compares the pairs in
 * lexicographic order, as the Yubico validation server does.
 */
export const positionOf = (t: Pick<YubikeyToken, 'sessionCounter' | 'sessionUse'>): number => (t.sessionCounter & ~CAPS_LOCK_FLAG & 0xffff) * 256 + (t.sessionUse & 0xff)
