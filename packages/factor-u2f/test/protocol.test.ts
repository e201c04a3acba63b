import { createPublicKey, generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  AUTHENTICATION_TYP,
  decodeBase64,
  isNonce,
  makeNonce,
  parseRegistrationData,
  registrationRequest,
  REGISTRATION_TYP,
  signRequest,
  spkiOfCertificate,
  verifyRegistration,
  verifySignature,
  type RegistrationAnswer,
} from '../src/index.js'
import { makeCertificate } from './certificate.js'
import { createSoftwareToken, freshKeyPair, SPEC_ATTESTATION, websafe, type Attestation } from './token.js'

const APP_ID = 'https://acme.okta.example'
const bytesOf = (encoded: string): Buffer => decodeBase64(encoded) ?? Buffer.alloc(0)

/** A token and its registration answer for a fresh nonce. */
const registerFresh = () => {
  const token = createSoftwareToken()
  const nonce = makeNonce(randomBytes)
  return { token, nonce, answer: token.register(APP_ID, nonce) }
}

/** A token, a registration for a fresh nonce, and what the server would store. */
const enrolled = () => {
  const token = createSoftwareToken()
  const nonce = makeNonce(randomBytes)
  const answer = token.register(APP_ID, nonce)
  const registration = verifyRegistration(answer, { nonce, appId: APP_ID })
  if (!registration.ok) throw new Error(`registration refused: ${registration.reason}`)
  return { token, answer, registration }
}

describe('wire shapes', () => {
  it('registrationRequest is the activation object Okta embeds for u2f', () => {
    expect(registrationRequest({ nonce: 'XqGHtE0hRLnTJ1aAySZ2', appId: 'https://localhost:3000', timeoutSeconds: 20 })).toEqual({
      version: 'U2F_V2',
      appId: 'https://localhost:3000',
      nonce: 'XqGHtE0hRLnTJ1aAySZ2',
      timeoutSeconds: 20,
    })
  })
  it('signRequest gives the _embedded.challenge and the factor profile of MFA_CHALLENGE', () => {
    expect(signRequest({ nonce: 'KcB1tjPU4464e8nTPnur', appId: APP_ID, keyHandle: 'WVO-QyHE', timeoutSeconds: 20 })).toEqual({
      challenge: { nonce: 'KcB1tjPU4464e8nTPnur', timeoutSeconds: 20 },
      profile: { credentialId: 'WVO-QyHE', appId: APP_ID, version: 'U2F_V2' },
    })
  })
})

describe('makeNonce', () => {
  it('gives 20 characters of [A-Za-z0-9]', () => {
    for (let i = 0; i < 50; i += 1) expect(isNonce(makeNonce(randomBytes))).toBe(true)
  })
  it('skips the bytes that would bias the draw, and throws only for a source that never gives usable bytes', () => {
    let calls = 0
    const mostlyHigh = (size: number): Uint8Array => (calls++ === 0 ? new Uint8Array(size).fill(255) : new Uint8Array(size).fill(61))
    expect(makeNonce(mostlyHigh)).toBe('9'.repeat(20))
    expect(() => makeNonce((size) => new Uint8Array(size).fill(248))).toThrow(RangeError)
  })
})

describe('registration with a software token', () => {
  it('verifies and gives what the factor stores', () => {
    const { answer, registration } = enrolled()
    const parsed = parseRegistrationData(bytesOf(answer.registrationData))
    expect(registration.keyHandle).toBe(websafe(parsed?.keyHandle ?? new Uint8Array()))
    expect(registration.publicKey).toBe(websafe(parsed?.userKey ?? new Uint8Array()))
    expect(bytesOf(registration.publicKey)).toHaveLength(65)
  })

  it('accepts standard base64 with padding as well as websafe base64 without', () => {
    const token = createSoftwareToken()
    const answer = token.register(APP_ID, 'abcdefghij0123456789')
    const standard = { registrationData: bytesOf(answer.registrationData).toString('base64'), clientData: bytesOf(answer.clientData).toString('base64') }
    expect(verifyRegistration(standard, { nonce: 'abcdefghij0123456789', appId: APP_ID }).ok).toBe(true)
  })

  it('refuses a wrong app id, a wrong typ, a wrong nonce', () => {
    const token = createSoftwareToken()
    const nonce = makeNonce(randomBytes)
    expect(verifyRegistration(token.register(APP_ID, nonce), { nonce, appId: 'https://evil.example' })).toEqual({ ok: false, reason: 'origin' })
    expect(verifyRegistration(token.register(APP_ID, nonce), { nonce, appId: `${APP_ID}/` })).toEqual({ ok: false, reason: 'origin' })
    expect(verifyRegistration(token.register(APP_ID, nonce, { typ: AUTHENTICATION_TYP }), { nonce, appId: APP_ID })).toEqual({ ok: false, reason: 'typ' })
    expect(verifyRegistration(token.register(APP_ID, nonce), { nonce: makeNonce(randomBytes), appId: APP_ID })).toEqual({ ok: false, reason: 'challenge' })
    // The browser reports the right origin, but the token was asked for another app id.
    const other = token.register('https://evil.example', nonce, { origin: APP_ID })
    expect(verifyRegistration(other, { nonce, appId: APP_ID })).toEqual({ ok: false, reason: 'signature' })
  })

  it('refuses a tampered attestation signature, and a certificate whose key did not sign', () => {
    const { answer, nonce } = registerFresh()
    const data = bytesOf(answer.registrationData)
    const last = data.length - 1
    data[last] = (data[last] ?? 0) ^ 0x01
    expect(verifyRegistration({ ...answer, registrationData: websafe(data) }, { nonce, appId: APP_ID })).toEqual({ ok: false, reason: 'signature' })
    const mismatched: Attestation = { privateKey: freshKeyPair().privateKey, certificate: Buffer.from(SPEC_ATTESTATION.certificate, 'hex') }
    const forged = createSoftwareToken(mismatched).register(APP_ID, nonce)
    expect(verifyRegistration(forged, { nonce, appId: APP_ID })).toEqual({ ok: false, reason: 'signature' })
  })

  it('refuses a user key that is not a P-256 point', () => {
    const { answer, nonce } = registerFresh()
    const data = bytesOf(answer.registrationData)
    data.fill(0x01, 2, 66)
    expect(verifyRegistration({ ...answer, registrationData: websafe(data) }, { nonce, appId: APP_ID })).toEqual({ ok: false, reason: 'registrationData' })
  })

  it('refuses a certificate without a P-256 key', () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' })
    const certificate = makeCertificate({ subject: 'U2F P-384', issuer: 'U2F P-384', serial: 7, publicKey: p384.publicKey, issuerKey: p384.privateKey })
    const answer = createSoftwareToken({ privateKey: p384.privateKey, certificate }).register(APP_ID, 'abcdefghij0123456789')
    expect(verifyRegistration(answer, { nonce: 'abcdefghij0123456789', appId: APP_ID })).toEqual({ ok: false, reason: 'certificate' })
  })

  it('reads the key of a certificate node:crypto refuses with a DER walk', () => {
    const attestation = freshKeyPair()
    const publicKey = createPublicKey(attestation.privateKey)
    const certificate = makeCertificate({ subject: 'U2F Odd', issuer: 'U2F Odd', serial: 9, publicKey, issuerKey: attestation.privateKey, signatureTag: 0x04 })
    expect(() => new X509Certificate(certificate)).toThrow()
    expect(Buffer.from(spkiOfCertificate(certificate) ?? []).equals(publicKey.export({ format: 'der', type: 'spki' }))).toBe(true)
    const answer = createSoftwareToken({ privateKey: attestation.privateKey, certificate }).register(APP_ID, 'abcdefghij0123456789')
    const result = verifyRegistration(answer, { nonce: 'abcdefghij0123456789', appId: APP_ID })
    expect(result.ok && result.attestationCertificate).toBe(certificate.toString('base64'))
  })

  describe('attestation policy (attestationRoots)', () => {
    const root = freshKeyPair()
    const rootCertificate = makeCertificate({ subject: 'U2F Root', issuer: 'U2F Root', serial: 1, publicKey: createPublicKey(root.privateKey), issuerKey: root.privateKey })
    const device = freshKeyPair()
    const deviceCertificate = makeCertificate({ subject: 'U2F Device', issuer: 'U2F Root', serial: 2, publicKey: createPublicKey(device.privateKey), issuerKey: root.privateKey })
    const roots = [rootCertificate.toString('base64')]
    const register = (certificate: Buffer) => createSoftwareToken({ privateKey: device.privateKey, certificate }).register(APP_ID, 'abcdefghij0123456789')
    const expected = { nonce: 'abcdefghij0123456789', appId: APP_ID, attestationRoots: roots }

    it('accepts a certificate issued by a root, and the root itself', () => {
      expect(verifyRegistration(register(deviceCertificate), expected).ok).toBe(true)
      const self = createSoftwareToken({ privateKey: root.privateKey, certificate: rootCertificate }).register(APP_ID, 'abcdefghij0123456789')
      expect(verifyRegistration(self, expected).ok).toBe(true)
    })

    it('refuses a certificate whose own signature was tampered (accepted without a policy, certificate given back as sent)', () => {
      const tampered = Buffer.from(deviceCertificate)
      const last = tampered.length - 1
      tampered[last] = (tampered[last] ?? 0) ^ 0x01
      expect(verifyRegistration(register(tampered), expected)).toEqual({ ok: false, reason: 'attestation' })
      const lax = verifyRegistration(register(tampered), { nonce: expected.nonce, appId: APP_ID })
      expect(lax.ok && lax.attestationCertificate).toBe(tampered.toString('base64'))
    })

    it('refuses a certificate naming the root as issuer but signed by another key, and the spec certificate', () => {
      const impostor = makeCertificate({ subject: 'U2F Device', issuer: 'U2F Root', serial: 3, publicKey: createPublicKey(device.privateKey), issuerKey: device.privateKey })
      expect(verifyRegistration(register(impostor), expected)).toEqual({ ok: false, reason: 'attestation' })
      const spec = createSoftwareToken().register(APP_ID, 'abcdefghij0123456789')
      expect(verifyRegistration(spec, expected)).toEqual({ ok: false, reason: 'attestation' })
      expect(verifyRegistration(register(deviceCertificate), { ...expected, attestationRoots: ['not base64!', ''] })).toEqual({ ok: false, reason: 'attestation' })
    })
  })
})

describe('authentication with a software token', () => {
  it('verifies successive signatures, each with a greater counter', () => {
    const { token, registration } = enrolled()
    let lastCounter = 0
    for (let i = 0; i < 3; i += 1) {
      const nonce = makeNonce(randomBytes)
      const answer = token.sign(APP_ID, nonce, registration.keyHandle)
      const result = verifySignature(answer, { nonce, appId: APP_ID, publicKey: registration.publicKey, lastCounter })
      expect(result).toEqual({ ok: true, counter: lastCounter + 1 })
      lastCounter = result.ok ? result.counter : lastCounter
    }
  })

  it('refuses a wrong app id, a wrong typ, a wrong nonce', () => {
    const { token, registration } = enrolled()
    const nonce = makeNonce(randomBytes)
    const expected = { nonce, appId: APP_ID, publicKey: registration.publicKey, lastCounter: 0 }
    expect(verifySignature(token.sign(APP_ID, nonce, registration.keyHandle), { ...expected, appId: `${APP_ID}/` })).toEqual({ ok: false, reason: 'origin' })
    expect(verifySignature(token.sign(APP_ID, nonce, registration.keyHandle, { typ: REGISTRATION_TYP }), expected)).toEqual({ ok: false, reason: 'typ' })
    expect(verifySignature(token.sign(APP_ID, nonce, registration.keyHandle), { ...expected, nonce: makeNonce(randomBytes) })).toEqual({ ok: false, reason: 'challenge' })
    const elsewhere = token.sign('https://evil.example', nonce, registration.keyHandle, { origin: APP_ID })
    expect(verifySignature(elsewhere, expected)).toEqual({ ok: false, reason: 'signature' })
  })

  it('refuses a genuine signature without user presence (UP = 0)', () => {
    const { token, registration } = enrolled()
    const nonce = makeNonce(randomBytes)
    const answer = token.sign(APP_ID, nonce, registration.keyHandle, { userPresence: 0x00 })
    expect(verifySignature(answer, { nonce, appId: APP_ID, publicKey: registration.publicKey, lastCounter: 0 })).toEqual({ ok: false, reason: 'userPresence', counter: 1 })
  })

  it('refuses a counter that does not increase (replay or cloned token), but only for a genuine signature', () => {
    const { token, registration } = enrolled()
    const nonce = makeNonce(randomBytes)
    const expected = { nonce, appId: APP_ID, publicKey: registration.publicKey, lastCounter: 5 }
    expect(verifySignature(token.sign(APP_ID, nonce, registration.keyHandle, { counter: 5 }), expected)).toEqual({ ok: false, reason: 'counter', counter: 5 })
    expect(verifySignature(token.sign(APP_ID, nonce, registration.keyHandle, { counter: 2 }), expected)).toEqual({ ok: false, reason: 'counter', counter: 2 })
    expect(verifySignature(token.sign(APP_ID, nonce, registration.keyHandle, { counter: 6 }), expected)).toEqual({ ok: true, counter: 6 })
    expect(verifySignature(token.sign(APP_ID, nonce, registration.keyHandle, { counter: 0xffffffff }), expected)).toEqual({ ok: true, counter: 0xffffffff })
  })

  it('refuses a tampered signature, another key, and an unusable stored key', () => {
    const { token, registration } = enrolled()
    const other = enrolled().registration
    const nonce = makeNonce(randomBytes)
    const answer = token.sign(APP_ID, nonce, registration.keyHandle)
    const data = bytesOf(answer.signatureData)
    const last = data.length - 1
    data[last] = (data[last] ?? 0) ^ 0x80
    const expected = { nonce, appId: APP_ID, publicKey: registration.publicKey, lastCounter: 0 }
    expect(verifySignature({ ...answer, signatureData: websafe(data) }, expected)).toEqual({ ok: false, reason: 'signature' })
    expect(verifySignature(answer, { ...expected, publicKey: other.publicKey })).toEqual({ ok: false, reason: 'signature' })
    expect(verifySignature(answer, { ...expected, publicKey: websafe(Buffer.alloc(65, 4)) })).toEqual({ ok: false, reason: 'publicKey' })
    expect(verifySignature(answer, { ...expected, publicKey: '%%%' })).toEqual({ ok: false, reason: 'publicKey' })
  })
})

describe('truncated and garbage inputs are refused, never thrown', () => {
  const { token, answer, registration, nonce } = (() => {
    const e = registerFresh()
    const r = verifyRegistration(e.answer, { nonce: e.nonce, appId: APP_ID })
    if (!r.ok) throw new Error('registration refused')
    return { ...e, registration: r }
  })()
  const garbage = ['', '=', '====', 'a', 'ab=c', 'a b', '!!!!', 'AAAA', 'BQ', websafe('{"typ":1}'), websafe('null'), websafe('[]'), websafe(Buffer.of(0xff, 0xfe))]

  it('registration', () => {
    const data = bytesOf(answer.registrationData)
    const cuts = [0, 1, 66, 67, 67 + 64, 67 + 64 + 4, data.length - 71, data.length - 1]
    for (const cut of cuts) {
      const result = verifyRegistration({ ...answer, registrationData: websafe(data.subarray(0, cut)) }, { nonce, appId: APP_ID })
      expect(result.ok, `cut at ${cut}`).toBe(false)
    }
    for (const text of garbage) {
      expect(verifyRegistration({ ...answer, registrationData: text }, { nonce, appId: APP_ID }).ok).toBe(false)
      expect(verifyRegistration({ ...answer, clientData: text }, { nonce, appId: APP_ID }).ok).toBe(false)
    }
    const headerless: RegistrationAnswer = { ...answer, registrationData: websafe(Buffer.concat([data.subarray(0, 67 + 64), Buffer.of(0x30, 0x84, 0xff, 0xff, 0xff, 0xff)])) }
    expect(verifyRegistration(headerless, { nonce, appId: APP_ID })).toEqual({ ok: false, reason: 'registrationData' })
  })

  it('authentication', () => {
    const answer = token.sign(APP_ID, nonce, registration.keyHandle)
    const data = bytesOf(answer.signatureData)
    const expected = { nonce, appId: APP_ID, publicKey: registration.publicKey, lastCounter: 0 }
    for (const cut of [0, 1, 4, 5, 6, 8, data.length - 1]) {
      expect(verifySignature({ ...answer, signatureData: websafe(data.subarray(0, cut)) }, expected).ok, `cut at ${cut}`).toBe(false)
    }
    for (const text of garbage) {
      expect(verifySignature({ ...answer, signatureData: text }, expected).ok).toBe(false)
      expect(verifySignature({ ...answer, clientData: text }, expected).ok).toBe(false)
      expect(verifySignature(answer, { ...expected, publicKey: text }).ok).toBe(false)
    }
  })
})
