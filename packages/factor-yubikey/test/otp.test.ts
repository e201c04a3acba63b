import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import {
  CAPS_LOCK_FLAG,
  CRC_RESIDUE,
  MAX_POSITION,
  MODHEX_ALPHABET,
  bytesToModhex,
  checkOtp,
  crc16,
  decryptToken,
  hasValidCrc,
  isModhex,
  modhexToBytes,
  positionOf,
  splitOtp,
} from '../src/index.js'
import { arbFields, arbKey, otpOf, plainToken } from './otp-generator.js'

/** yubico-c, ykparse(1): the example key and OTP, and what they decode to. */
const YKPARSE = {
  key: { publicId: 'dteffuje', privateId: '8792ebfe26cc', aesKey: 'ecde18dbe76fbd0c33330f1c354871db' },
  otp: 'dteffujedcflcindvdbrblehecuitvjkjevvehjd',
  token: { privateId: '8792ebfe26cc', sessionCounter: 19, timestamp: 0x00c0a8, sessionUse: 16, random: 0x08b4 },
} as const
/** python-yubiotp's doctest: the ASCII key "0123456789abcdef" and the OTP it makes. */
const YUBIOTP = {
  key: { publicId: 'cclngiuv', privateId: '0123456789ab', aesKey: Buffer.from('0123456789abcdef', 'ascii').toString('hex') },
  otp: 'cclngiuvttkhthcilurtkerbjnnkljfkjccklkhl',
  token: { privateId: '0123456789ab', sessionCounter: 5, timestamp: 0x0153f8, sessionUse: 0, random: 0x1234 },
} as const

const split = (otp: string) => {
  const s = splitOtp(otp)
  if (s === null) throw new Error(`not an OTP: ${otp}`)
  return s
}

describe('modhex', () => {
  it('maps c b d e f g h i j k l n r t u v to 0 to f', () => {
    expect(MODHEX_ALPHABET).toBe('cbdefghijklnrtuv')
    expect(bytesToModhex(Uint8Array.from([0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef]))).toBe('cbdefghijklnrtuv')
    expect(Buffer.from(modhexToBytes('vvcc') ?? []).toString('hex')).toBe('ff00')
  })
  test.prop([fc.uint8Array({ maxLength: 40 })])('bytes -> modhex -> bytes is the identity', (bytes) => {
    const m = bytesToModhex(bytes)
    expect(isModhex(m)).toBe(true)
    expect(modhexToBytes(m)).toEqual(bytes)
  })
  it('refuses an odd length and characters outside the alphabet (upper case included)', () => {
    for (const s of ['c', 'ccc', 'ca', 'cC', '0c', 'cc ', 'é'.repeat(2)]) expect(modhexToBytes(s), s).toBeNull()
  })
})

describe('CRC-16 (ISO 13239)', () => {
  it('a whole token leaves the residue 0xf0b8; the stored CRC is the complement of the first 14 bytes, little-endian (yubico-c)', () => {
    expect(crc16(Buffer.from('8792ebfe26cc130030c20011c89f23c8', 'hex'))).toBe(CRC_RESIDUE)
    expect(~crc16(Buffer.from('8792ebfe26cc130030c20011c89f', 'hex')) & 0xffff).toBe(0xc823)
  })
  test.prop([arbFields('8792ebfe26cc'), fc.integer({ min: 0, max: 127 })])('every built token has a right CRC, and any single flipped bit breaks it', (f, bit) => {
    const plain = plainToken(f)
    expect(hasValidCrc(plain)).toBe(true)
    plain[bit >> 3] = (plain[bit >> 3] ?? 0) ^ (1 << (bit & 7))
    expect(hasValidCrc(plain)).toBe(false)
  })
})

describe('published vectors', () => {
  for (const v of [YKPARSE, YUBIOTP]) {
    it(`${v.otp}: public id ${v.key.publicId}, token fields as published`, () => {
      const otp = split(v.otp)
      expect(otp.publicId).toBe(v.key.publicId)
      const check = checkOtp(otp, v.key)
      expect(check).toMatchObject({ _tag: 'Valid', token: v.token, position: v.token.sessionCounter * 256 + v.token.sessionUse })
    })
    it(`the test generator encodes the same fields to the same OTP (${v.otp})`, () => {
      expect(otpOf(v.key, v.token)).toBe(v.otp)
    })
  }
  it('the ykparse token decrypts to 8792ebfe26cc1300a8c00010b4086f5b', () => {
    const plain = decryptToken(Buffer.from(YKPARSE.key.aesKey, 'hex'), split(YKPARSE.otp).block)
    expect(Buffer.from(plain ?? []).toString('hex')).toBe('8792ebfe26cc1300a8c00010b4086f5b')
  })
})

describe('splitOtp and checkOtp', () => {
  it('accepts 34 to 64 characters, an even number; the public id is all but the last 32', () => {
    for (const n of [1, 6, 16]) {
      const otp = 'c'.repeat(2 * n) + 'b'.repeat(32)
      expect(split(otp).publicId).toBe('c'.repeat(2 * n))
    }
    for (const otp of ['', 'b'.repeat(32), 'c'.repeat(33) + 'b'.repeat(32), 'c'.repeat(34) + 'b'.repeat(32), 'c' + 'b'.repeat(32), 'cc' + 'b'.repeat(31) + 'x'])
      expect(splitOtp(otp), otp).toBeNull()
  })
  it('reads upper case as lower case', () => {
    expect(checkOtp(split(YKPARSE.otp.toUpperCase()), YKPARSE.key)._tag).toBe('Valid')
  })
  test.prop([arbKey.chain((k) => fc.tuple(fc.constant(k), arbFields(k.privateId)))])('a generated OTP decodes to its fields, and its position ignores the caps-lock flag', ([key, f]) => {
    const check = checkOtp(split(otpOf(key, f)), key)
    expect(check).toEqual({ _tag: 'Valid', token: { ...f, crc: plainToken(f).readUInt16LE(14) }, position: (f.sessionCounter & 0x7fff) * 256 + f.sessionUse })
    if (check._tag === 'Valid') expect(check.position).toBeLessThanOrEqual(MAX_POSITION)
  })
  it('refuses another public id, a token another key encrypted, another private id; a bad key is reported as such', () => {
    const otp = split(YKPARSE.otp)
    expect(checkOtp(otp, { ...YKPARSE.key, publicId: 'dteffujf' })).toEqual({ _tag: 'Invalid', reason: 'publicId' })
    expect(checkOtp(otp, { ...YKPARSE.key, aesKey: YUBIOTP.key.aesKey })).toEqual({ _tag: 'Invalid', reason: 'crc' })
    expect(checkOtp(otp, { ...YKPARSE.key, privateId: '8792ebfe26cd' })).toEqual({ _tag: 'Invalid', reason: 'privateId' })
    expect(checkOtp(otp, { ...YKPARSE.key, aesKey: 'ecde18' })).toEqual({ _tag: 'Invalid', reason: 'key' })
    expect(checkOtp(otp, { ...YKPARSE.key, privateId: 'zz92ebfe26cc' })).toEqual({ _tag: 'Invalid', reason: 'key' })
  })
  it('positions: the caps-lock flag is not counted; session use is the low byte', () => {
    expect(positionOf({ sessionCounter: 19 | CAPS_LOCK_FLAG, sessionUse: 16 })).toBe(19 * 256 + 16)
    expect(positionOf({ sessionCounter: 0xffff, sessionUse: 0xff })).toBe(MAX_POSITION)
    expect(positionOf({ sessionCounter: 1, sessionUse: 0 })).toBeGreaterThan(positionOf({ sessionCounter: 0, sessionUse: 255 }))
  })
  it('decryptToken refuses a key or block of the wrong size', () => {
    expect(decryptToken(new Uint8Array(15), new Uint8Array(16))).toBeNull()
    expect(decryptToken(new Uint8Array(16), new Uint8Array(32))).toBeNull()
  })
})
