/**
 * The CRC-16 a YubiKey puts in its token: ISO/IEC 13239 (the X.25 polynomial x^16 + x^12 + x^5 + 1,
 * processed least significant bit first, i.e. reflected 0x8408), initial value 0xffff, no final
 * complement.
 */
export const crc16 = (bytes: Uint8Array): number => {
  let crc = 0xffff
  for (const b of bytes) {
    crc ^= b
    for (let bit = 0; bit < 8; bit++) crc = (crc & 1) === 1 ? (crc >>> 1) ^ 0x8408 : crc >>> 1
  }
  return crc
}

/**
 * The CRC over a whole token (its last two bytes being the complemented CRC of the first 14,
 * little-endian) is always this residue, so checking a token is one comparison.
 */
export const CRC_RESIDUE = 0xf0b8

/** Whether a token's CRC is right (the CRC over all its bytes equals the residue). */
export const hasValidCrc = (token: Uint8Array): boolean => crc16(token) === CRC_RESIDUE
