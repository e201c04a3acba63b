import { createCipheriv } from 'node:crypto'
import { fc } from '@fast-check/vitest'
import { bytesToModhex, crc16, type YubikeyKey } from '../src/index.js'

/** The fields a test chooses for a token; the CRC is computed. */
export interface TokenFields {
  readonly privateId: string
  /** 16 bits as sent (bit 15: caps lock). */
  readonly sessionCounter: number
  readonly timestamp: number
  readonly sessionUse: number
  readonly random: number
}

/** The 16-byte plaintext token of `f`: fields little-endian, then the complemented CRC-16 of the first 14 bytes. */
export const plainToken = (f: TokenFields): Buffer => {
  const b = Buffer.alloc(16)
  Buffer.from(f.privateId, 'hex').copy(b, 0, 0, 6)
  b.writeUInt16LE(f.sessionCounter, 6)
  b.writeUIntLE(f.timestamp, 8, 3)
  b.writeUInt8(f.sessionUse, 11)
  b.writeUInt16LE(f.random, 12)
  b.writeUInt16LE(~crc16(b.subarray(0, 14)) & 0xffff, 14)
  return b
}

/** AES-128-ECB of one block, no padding (what the YubiKey does). */
export const encryptBlock = (aesKeyHex: string, plain: Uint8Array): Buffer => {
  const cipher = createCipheriv('aes-128-ecb', Buffer.from(aesKeyHex, 'hex'), null)
  cipher.setAutoPadding(false)
  return Buffer.concat([cipher.update(plain), cipher.final()])
}

/** The OTP of a plaintext token (possibly tampered with) under `key`: public id, then the modhex of the encrypted block. */
export const otpOfPlain = (key: Pick<YubikeyKey, 'publicId' | 'aesKey'>, plain: Uint8Array): string => key.publicId + bytesToModhex(encryptBlock(key.aesKey, plain))

/** The OTP `key` types with these token fields. */
export const otpOf = (key: Pick<YubikeyKey, 'publicId' | 'aesKey'>, f: TokenFields): string => otpOfPlain(key, plainToken(f))

/** The token fields of one-time position `position` for `key` (other fields fixed unless given). */
export const fieldsAt = (key: Pick<YubikeyKey, 'privateId'>, position: number, extra: Partial<TokenFields> = {}): TokenFields => ({
  privateId: key.privateId,
  sessionCounter: Math.floor(position / 256),
  sessionUse: position % 256,
  timestamp: 0x0a0b0c,
  random: 0x5a5a,
  ...extra,
})

/** The OTP `key` types at one-time position `position`. */
export const otpAt = (key: Pick<YubikeyKey, 'publicId' | 'privateId' | 'aesKey'>, position: number, extra: Partial<TokenFields> = {}): string =>
  otpOf(key, fieldsAt(key, position, extra))

const hexOf = (bytes: number) => fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => Buffer.from(b).toString('hex'))

/** Any key: a serial, a public id of 1 to 16 bytes (usually 6, as Okta's), a private id and an AES key. */
export const arbKey: fc.Arbitrary<YubikeyKey> = fc.record({
  serial: fc.integer({ min: 0, max: 99_999_999 }),
  publicId: fc.oneof({ weight: 3, arbitrary: fc.constant(6) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 16 }) }).chain((n) =>
    fc.uint8Array({ minLength: n, maxLength: n }).map(bytesToModhex),
  ),
  privateId: hexOf(6),
  aesKey: hexOf(16),
})

/** Any token fields of `privateId` (the caps-lock flag included). */
export const arbFields = (privateId: string): fc.Arbitrary<TokenFields> =>
  fc.record({
    privateId: fc.constant(privateId),
    sessionCounter: fc.integer({ min: 0, max: 0xffff }),
    timestamp: fc.integer({ min: 0, max: 0xffffff }),
    sessionUse: fc.integer({ min: 0, max: 0xff }),
    random: fc.integer({ min: 0, max: 0xffff }),
  })
