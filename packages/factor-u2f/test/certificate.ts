import { sign, type KeyObject } from 'node:crypto'

/** A DER element: tag, definite length, contents. */
const der = (tag: number, ...contents: ReadonlyArray<Uint8Array>): Buffer => {
  const body = Buffer.concat(contents)
  const n = body.length
  const length = n < 0x80 ? Buffer.of(n) : n < 0x100 ? Buffer.of(0x81, n) : Buffer.of(0x82, n >> 8, n & 0xff)
  return Buffer.concat([Buffer.of(tag), length, body])
}
const sequence = (...items: ReadonlyArray<Uint8Array>): Buffer => der(0x30, ...items)
const ECDSA_WITH_SHA256 = sequence(Buffer.from('06082a8648ce3d040302', 'hex'))
const COMMON_NAME = Buffer.from('0603550403', 'hex')
const nameOf = (cn: string): Buffer => sequence(der(0x31, sequence(COMMON_NAME, der(0x0c, Buffer.from(cn, 'utf8')))))
const utcTime = (text: string): Buffer => der(0x17, Buffer.from(text, 'ascii'))

/** What the attestation certificate of a software token says. */
export interface CertificateFields {
  readonly subject: string
  readonly issuer: string
  readonly serial: number
  /** The key the certificate is for. */
  readonly publicKey: KeyObject
  /** The issuer's key, which signs the certificate (the subject's own key for a self-signed one). */
  readonly issuerKey: KeyObject
  /** The tag of the outer signature: 0x03 (BIT STRING), or anything else to build a certificate node:crypto refuses. */
  readonly signatureTag?: number
}

/** A minimal X.509 v3 certificate (no extensions) signed with ECDSA-SHA256, as DER. */
export const makeCertificate = (fields: CertificateFields): Buffer => {
  const tbs = sequence(
    der(0xa0, der(0x02, Buffer.of(0x02))),
    der(0x02, Buffer.of(0x01, (fields.serial >> 8) & 0xff, fields.serial & 0xff)),
    ECDSA_WITH_SHA256,
    nameOf(fields.issuer),
    sequence(utcTime('200101000000Z'), utcTime('491231235959Z')),
    nameOf(fields.subject),
    fields.publicKey.export({ format: 'der', type: 'spki' }),
  )
  const signature = sign('sha256', tbs, fields.issuerKey)
  return sequence(tbs, ECDSA_WITH_SHA256, der(fields.signatureTag ?? 0x03, Buffer.of(0x00), signature))
}
