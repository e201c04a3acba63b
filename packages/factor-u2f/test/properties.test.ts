import { createPublicKey } from 'node:crypto'
import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { decodeBase64, isNonce, makeNonce, NONCE_ALPHABET, spkiOfCertificate, verifyRegistration, verifySignature } from '../src/index.js'
import { makeCertificate } from './certificate.js'
import { createSoftwareToken, freshKeyPair, websafe } from './token.js'

const APP_ID = 'https://acme.okta.example'
const NONCE = 'n0nceN0NCEn0nceN0NCE'
const bytesOf = (encoded: string): Buffer => decodeBase64(encoded) ?? Buffer.alloc(0)
const flipped = (bytes: Buffer, index: number, mask: number): string => {
  const copy = Buffer.from(bytes)
  copy[index] = (copy[index] ?? 0) ^ mask
  return websafe(copy)
}
/** A position in `bytes` and a non-zero XOR mask: one altered byte. */
const arbFlip = (bytes: Buffer) => fc.tuple(fc.integer({ min: 0, max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }))

/** One registration with the spec's attestation certificate, and where its certificate and key sit. */
const spec = (() => {
  const token = createSoftwareToken()
  const answer = token.register(APP_ID, NONCE)
  const data = bytesOf(answer.registrationData)
  const certificateStart = 67 + (data[66] ?? 0)
  const certificateEnd = certificateStart + 4 + data.readUInt16BE(certificateStart + 2)
  const spki = Buffer.from(spkiOfCertificate(data.subarray(certificateStart, certificateEnd)) ?? [])
  const spkiStart = data.indexOf(spki, certificateStart)
  const registration = verifyRegistration(answer, { nonce: NONCE, appId: APP_ID })
  if (!registration.ok || spkiStart < 0) throw new Error('the reference registration must verify')
  const signed = token.sign(APP_ID, NONCE, registration.keyHandle)
  return { answer, data, certificateStart, certificateEnd, spkiStart, spkiEnd: spkiStart + spki.length, registration, signed }
})()

/** One registration whose attestation certificate is issued by a root given as the attestation policy. */
const rooted = (() => {
  const root = freshKeyPair()
  const device = freshKeyPair()
  const rootCertificate = makeCertificate({ subject: 'U2F Root', issuer: 'U2F Root', serial: 1, publicKey: createPublicKey(root.privateKey), issuerKey: root.privateKey })
  const certificate = makeCertificate({ subject: 'U2F Device', issuer: 'U2F Root', serial: 2, publicKey: createPublicKey(device.privateKey), issuerKey: root.privateKey })
  const answer = createSoftwareToken({ privateKey: device.privateKey, certificate }).register(APP_ID, NONCE)
  const expected = { nonce: NONCE, appId: APP_ID, attestationRoots: [rootCertificate.toString('base64')] }
  if (!verifyRegistration(answer, expected).ok) throw new Error('the rooted registration must verify')
  return { answer, data: bytesOf(answer.registrationData), expected }
})()

describe('any altered byte is refused', () => {
  test.prop([arbFlip(spec.data)], { numRuns: 300 })(
    'registrationData: refused, except inside the certificate, where the altered certificate is what comes back and its key is the same',
    ([index, mask]) => {
      const result = verifyRegistration({ ...spec.answer, registrationData: flipped(spec.data, index, mask) }, { nonce: NONCE, appId: APP_ID })
      const inCertificate = index >= spec.certificateStart && index < spec.certificateEnd
      if (!inCertificate) expect(result.ok).toBe(false)
      else if (result.ok) {
        expect(result.attestationCertificate).not.toBe(spec.registration.attestationCertificate)
        // Inside the key's encoding, only a change that leaves the key as it was (the BIT STRING's
        // unused-bits count, which a P-256 point ignores) still verifies the attestation signature.
        if (index >= spec.spkiStart && index < spec.spkiEnd) {
          const key = spkiOfCertificate(Buffer.from(result.attestationCertificate, 'base64'))
          expect(createPublicKey({ key: Buffer.from(key ?? []), format: 'der', type: 'spki' }).export({ format: 'jwk' })).toEqual(
            createPublicKey({ key: Buffer.from(spkiOfCertificate(spec.data.subarray(spec.certificateStart, spec.certificateEnd)) ?? []), format: 'der', type: 'spki' }).export({ format: 'jwk' }),
          )
        }
      }
    },
  )

  test.prop([arbFlip(rooted.data)], { numRuns: 300 })('registrationData under an attestation policy: refused, certificate included', ([index, mask]) => {
    expect(verifyRegistration({ ...rooted.answer, registrationData: flipped(rooted.data, index, mask) }, rooted.expected).ok).toBe(false)
  })

  const registrationClientData = bytesOf(spec.answer.clientData)
  test.prop([arbFlip(registrationClientData)])('registration clientData', ([index, mask]) => {
    expect(verifyRegistration({ ...spec.answer, clientData: flipped(registrationClientData, index, mask) }, { nonce: NONCE, appId: APP_ID }).ok).toBe(false)
  })

  const expected = { nonce: NONCE, appId: APP_ID, publicKey: spec.registration.publicKey, lastCounter: 0 }
  const signatureData = bytesOf(spec.signed.signatureData)
  test.prop([arbFlip(signatureData)], { numRuns: 300 })('signatureData', ([index, mask]) => {
    expect(verifySignature({ ...spec.signed, signatureData: flipped(signatureData, index, mask) }, expected).ok).toBe(false)
  })

  const signClientData = bytesOf(spec.signed.clientData)
  test.prop([arbFlip(signClientData)])('sign clientData', ([index, mask]) => {
    expect(verifySignature({ ...spec.signed, clientData: flipped(signClientData, index, mask) }, expected).ok).toBe(false)
  })

  test.prop([arbFlip(bytesOf(spec.registration.publicKey))])('the stored user key', ([index, mask]) => {
    const result = verifySignature(spec.signed, { ...expected, publicKey: flipped(bytesOf(spec.registration.publicKey), index, mask) })
    expect(result.ok).toBe(false)
  })
})

describe('round trips', () => {
  const arbAppId = fc.webUrl({ withQueryParameters: false, withFragments: false })
  const arbNonce = fc.string({ unit: fc.constantFrom(...NONCE_ALPHABET), minLength: 20, maxLength: 20 })

  test.prop([arbAppId, arbNonce, fc.array(arbNonce, { minLength: 1, maxLength: 3 })], { numRuns: 40 })(
    'a registration verifies, then each signature with the stored key and a greater counter',
    (appId, enrollNonce, signNonces) => {
      const token = createSoftwareToken()
      const registration = verifyRegistration(token.register(appId, enrollNonce), { nonce: enrollNonce, appId })
      expect(registration.ok).toBe(true)
      if (!registration.ok) return
      let lastCounter = 0
      for (const nonce of signNonces) {
        const result = verifySignature(token.sign(appId, nonce, registration.keyHandle), { nonce, appId, publicKey: registration.publicKey, lastCounter })
        expect(result).toEqual({ ok: true, counter: lastCounter + 1 })
        lastCounter += 1
      }
    },
  )

  test.prop([fc.uint8Array({ maxLength: 300 }), fc.boolean(), fc.boolean()])('base64: standard or URL-safe, padded or not, decodes to the bytes', (bytes, urlSafe, padded) => {
    const text = Buffer.from(bytes).toString(urlSafe ? 'base64url' : 'base64')
    const withPadding = padded ? text.padEnd(Math.ceil(text.length / 4) * 4, '=') : text.replace(/=+$/, '')
    expect(decodeBase64(withPadding)).toEqual(Buffer.from(bytes))
  })

  test.prop([fc.infiniteStream(fc.integer({ min: 0, max: 255 }))])('makeNonce gives 20 alphanumerics from any source of bytes with enough usable ones', (stream) => {
    const source = (size: number): Uint8Array => Uint8Array.from(stream.take(size))
    expect(isNonce(makeNonce(source))).toBe(true)
  })
})

describe('never throws', () => {
  const arbText = fc.oneof(fc.string(), fc.base64String(), fc.uint8Array({ maxLength: 400 }).map((b) => websafe(b)))
  test.prop([arbText, arbText, arbText, arbText])('on any strings', (a, b, c, d) => {
    expect(verifyRegistration({ registrationData: a, clientData: b }, { nonce: c, appId: d }).ok).toBe(false)
    expect(verifySignature({ signatureData: a, clientData: b }, { nonce: c, appId: d, publicKey: a, lastCounter: 0 }).ok).toBe(false)
  })
  test.prop([fc.uint8Array({ maxLength: 600 })])('on registrationData built from a valid prefix and any tail', (tail) => {
    const registrationData = websafe(Buffer.concat([spec.data.subarray(0, 67 + 64 + 2), tail]))
    expect(verifyRegistration({ ...spec.answer, registrationData }, { nonce: NONCE, appId: APP_ID }).ok).toBe(false)
  })
})
