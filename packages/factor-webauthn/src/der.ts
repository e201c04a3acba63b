/**
 * Strict DER for ECDSA signatures (`SEQUENCE { r INTEGER, s INTEGER }`, X9.62). The ASN.1 reader
 * under @simplewebauthn/server accepts some non-DER forms (another tag class on the outer
 * SEQUENCE, for one), so several byte strings verify as one signature. Assertions are single-use
 * anyway; refusing every form but the canonical one keeps "one changed byte fails" true.
 */

/** Reads a DER length at `at`: `[length, next offset]`, or null when absent or not minimal. */
const readLength = (b: Uint8Array, at: number): readonly [number, number] | null => {
  const first = b[at]
  if (first === undefined) return null
  if (first < 0x80) return [first, at + 1]
  if (first !== 0x81) return null // signatures are under 256 bytes
  const n = b[at + 1]
  return n === undefined || n < 0x80 ? null : [n, at + 2]
}

/** Reads a positive, minimally encoded INTEGER at `at`; the offset after it, or null. */
const readPositiveInteger = (b: Uint8Array, at: number): number | null => {
  if (b[at] !== 0x02) return null
  const len = readLength(b, at + 1)
  if (len === null) return null
  const [n, start] = len
  const end = start + n
  if (n === 0 || end > b.length) return null
  const first = b[start] ?? 0
  if ((first & 0x80) !== 0) return null // negative
  if (first === 0 && (n === 1 || ((b[start + 1] ?? 0) & 0x80) === 0)) return null // zero, or a needless leading 0
  return end
}

/** Whether `sig` is exactly one DER `SEQUENCE` of two positive, minimally encoded INTEGERs. */
export const isStrictDerEcdsaSignature = (sig: Uint8Array): boolean => {
  if (sig[0] !== 0x30) return false
  const len = readLength(sig, 1)
  if (len === null) return false
  const [n, start] = len
  if (start + n !== sig.length) return false
  const afterR = readPositiveInteger(sig, start)
  if (afterR === null) return false
  return readPositiveInteger(sig, afterR) === sig.length
}
