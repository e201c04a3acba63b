/** One DER element: its tag, where its contents start, and where it ends. */
export interface DerElement {
  readonly tag: number
  readonly start: number
  readonly contentStart: number
  readonly end: number
}

/** DER tag of a SEQUENCE. */
export const SEQUENCE = 0x30

/**
 * Reads the header of the DER element at `offset` (single-byte tags; definite lengths of up to
 * four bytes, as X.509 needs). Null when the header is malformed or the element runs past `end`.
 */
export const readDerElement = (der: Uint8Array, offset: number, end: number = der.length): DerElement | null => {
  if (offset + 2 > end) return null
  const tag = der[offset] ?? 0
  if ((tag & 0x1f) === 0x1f) return null
  const first = der[offset + 1] ?? 0
  let length = first
  let contentStart = offset + 2
  if (first >= 0x80) {
    const count = first & 0x7f
    if (count === 0 || count > 4 || offset + 2 + count > end) return null
    length = 0
    for (let i = 0; i < count; i += 1) length = length * 256 + (der[offset + 2 + i] ?? 0)
    if (length < 0x80 || (count > 1 && length < 256 ** (count - 1))) return null // not the shortest form
    contentStart += count
  }
  const elementEnd = contentStart + length
  return elementEnd > end ? null : { tag, start: offset, contentStart, end: elementEnd }
}

/**
 * The SubjectPublicKeyInfo of an X.509 certificate, found by walking its DER without parsing
 * the rest: `Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL,
 * serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo, … } … }`.
 * For certificates a full parser refuses (old attestation certificates with a malformed
 * signature BIT STRING). Null when the walk fails.
 */
export const spkiOfCertificate = (der: Uint8Array): Uint8Array | null => {
  const certificate = readDerElement(der, 0)
  if (certificate === null || certificate.tag !== SEQUENCE) return null
  const tbs = readDerElement(der, certificate.contentStart, certificate.end)
  if (tbs === null || tbs.tag !== SEQUENCE) return null
  let element = readDerElement(der, tbs.contentStart, tbs.end)
  if (element !== null && element.tag === 0xa0) element = readDerElement(der, element.end, tbs.end)
  // serialNumber, signature, issuer, validity, subject: five elements before the key.
  for (let skipped = 0; skipped < 5 && element !== null; skipped += 1) element = readDerElement(der, element.end, tbs.end)
  return element === null || element.tag !== SEQUENCE ? null : der.subarray(element.start, element.end)
}
