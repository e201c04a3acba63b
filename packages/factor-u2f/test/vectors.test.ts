import { createHash, X509Certificate } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { parseRegistrationData, parseSignatureData, verifyRegistration, verifySignature } from '../src/index.js'
import { p256KeyPair, registrationResponse, SPEC_ATTESTATION, signResponse, specAttestation, websafe } from './token.js'

const sha256Hex = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex')
const hex = (text: string): Buffer => Buffer.from(text, 'hex')

/** The channel-id key the spec's browser put in its client data. */
const CID_PUBKEY = '{"kty":"EC","crv":"P-256","x":"HzQwlfXX7Q4S5MtCCnZUNBw3RMzPO9tOyWjBqRl4tJ8","y":"XVguGFLIZx1fXg3wNqfdbn75hi4-_7-BxhMljw42Ht4"}'

/** FIDO U2F Raw Message Formats, §"Registration Example" (full bytes as reproduced in Yubico's java-u2flib-server test vectors). */
const SPEC_REGISTRATION = {
  appId: 'http://example.com',
  challenge: 'vqrS6WXDe1JUs5_c3i4-LkKIHRr-3XVb3azuA5TifHo',
  clientData: `{"typ":"navigator.id.finishEnrollment","challenge":"vqrS6WXDe1JUs5_c3i4-LkKIHRr-3XVb3azuA5TifHo","cid_pubkey":${CID_PUBKEY},"origin":"http://example.com"}`,
  clientDataHash: '4142d21c00d94ffb9d504ada8f99b721f4b191ae4e37ca0140f696b6983cfacb',
  appIdHash: 'f0e6a6a97042a4f1f1c87f5f7d44315b2d852c2df5c7991cc66241bf7072d1c4',
  userPrivateKey: '9a9684b127c5e3a706d618c86401c7cf6fd827fd0bc18d24b0eb842e36d16df1',
  userKey:
    '04b174bc49c7ca254b70d2e5c207cee9cf174820ebd77ea3c65508c26da51b657c1cc6b952f8621697936482da0a6d3d3826a59095daf6cd7c03e2e60385d2f6d9',
  keyHandle:
    '2a552dfdb7477ed65fd84133f86196010b2215b57da75d315b7b9e8fe2e3925a6019551bab61d16591659cbaf00b4950f7abfe6660e2e006f76868b772d70c25',
  signature:
    '304502201471899bcc3987e62e8202c9b39c33c19033f7340352dba80fcab017db9230e402210082677d673d891933ade6f617e5dbde2e247e70423fd5ad7804a6d3d3961ef871',
} as const
const specRegistrationData = (): Buffer =>
  Buffer.concat([hex('05'), hex(SPEC_REGISTRATION.userKey), hex('40'), hex(SPEC_REGISTRATION.keyHandle), hex(SPEC_ATTESTATION.certificate), hex(SPEC_REGISTRATION.signature)])

/** FIDO U2F Raw Message Formats, §"Authentication Example". The origin is a facet of the app id, not the app id. */
const SPEC_AUTHENTICATION = {
  appId: 'https://gstatic.com/securitykey/a/example.com',
  origin: 'http://example.com',
  challenge: 'opsXqUifDriAAmWclinfbS0e-USY0CgyJHe_Otd7z8o',
  clientData: `{"typ":"navigator.id.getAssertion","challenge":"opsXqUifDriAAmWclinfbS0e-USY0CgyJHe_Otd7z8o","cid_pubkey":${CID_PUBKEY},"origin":"http://example.com"}`,
  clientDataHash: 'ccd6ee2e47baef244d49a222db496bad0ef5b6f93aa7cc4d30c4821b3b9dbc57',
  appIdHash: '4b0be934baebb5d12d26011b69227fa5e86df94e7d94aa2949a89f2d493992ca',
  userPrivateKey: 'ffa1e110dde5a2f8d93c4df71e2d4337b7bf5ddb60c75dc2b6b81433b54dd3c0',
  userKey:
    '04d368f1b665bade3c33a20f1e429c7750d5033660c019119d29aa4ba7abc04aa7c80a46bbe11ca8cb5674d74f31f8a903f6bad105fb6ab74aefef4db8b0025e1d',
  signatureData:
    '0100000001304402204b5f0cd17534cedd8c34ee09570ef542a353df4436030ce43d406de870b847780220267bb998fac9b7266eb60e7cb0b5eabdfd5ba9614f53c7b22272ec10047a923f',
} as const

/** Okta developer docs, Factors API: "Activate U2F Request Example" and its response (credentialId). */
const OKTA_ACTIVATION = {
  appId: 'https://localhost:3000',
  nonce: 'XqGHtE0hRLnTJ1aAySZ2',
  registrationData:
    'BQTEMUyOM8h1TiZG4DL-RdMr-tYgTYSf62Y52AmwEFTiSYWIRVO5L-MwWdRJOthmV3J3JrqpmGfmFb820-awx1YIQFlTvkMhxItHlpkzahEqicpw7SIH9yMfTn2kaDcC6JaLKPfV5ds0vzuxF1JJj3gCM01bRC-HWI4nCVgc-zaaoRgwggEcMIHDoAMCAQICCwD52fCSMoNczORdMAoGCCqGSM49BAMCMBUxEzARBgNVBAMTClUyRiBJc3N1ZXIwGhcLMDAwMTAxMDAwMFoXCzAwMDEwMTAwMDBaMBUxEzARBgNVBAMTClUyRiBEZXZpY2UwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQFKJupuUgPQcRHUphaW5JPfLvkkwlEwlHKk_ntSp7MS4aTHJyGnpziqncrjiTC_oUVtb-wN-y_t_IMIjueGkhxMAoGCCqGSM49BAMCA0gAMEUCIQDBo6aOLxanIUYnBX9iu3KMngPnobpi0EZSTkVtLC8_cwIgC1945RGqGBKfbyNtkhMifZK05n7fU-gW37Bdnci5D94wRQIhAJv3VvclbRkHAQhaUR8rr8qFTg9iF-GtHoXU95vWaQdyAiAbEr-440U4dQAZF-Sj8G2fxgh5DkgkkWpyUHZhz7N9ew',
  clientData:
    'eyJ0eXAiOiJuYXZpZ2F0b3IuaWQuZmluaXNoRW5yb2xsbWVudCIsImNoYWxsZW5nZSI6IlhxR0h0RTBoUkxuVEoxYUF5U1oyIiwib3JpZ2luIjoiaHR0cHM6Ly9sb2NhbGhvc3Q6MzAwMCIsImNpZF9wdWJrZXkiOiJ1bnVzZWQifQ',
  credentialId: 'WVO-QyHEi0eWmTNqESqJynDtIgf3Ix9OfaRoNwLoloso99Xl2zS_O7EXUkmPeAIzTVtEL4dYjicJWBz7NpqhGA',
} as const

/** Okta developer docs, Factors API: "Request Example for Signed Assertion" (standard base64 client data, websafe signature data). */
const OKTA_VERIFY = {
  appId: 'https://localhost:3000',
  nonce: 'KcB-tjPU4464e8nTPnur',
  clientData:
    'eyJ0eXAiOiJuYXZpZ2F0b3IuaWQuZ2V0QXNzZXJ0aW9uIiwiY2hhbGxlbmdlIjoiS2NCLXRqUFU0NDY0ZThuVFBudXIiLCJvcmlnaW4iOiJodHRwczovL2xvY2FsaG9zdDozMDAwIiwiY2lkX3B1YmtleSI6InVudXNlZCJ9',
  signatureData: 'AQAAACYwRgIhAKPktdpH0T5mlPSm_9uGW5w-VaUy-LhI9tIacexpgItkAiEAncRVZURVPOq7zDwIw-OM5LtSkdAxOkfv0ZDVUx3UFHc',
} as const

describe('FIDO U2F Raw Message Formats: registration example', () => {
  it('the published hashes and keys are consistent with node:crypto', () => {
    expect(sha256Hex(SPEC_REGISTRATION.clientData)).toBe(SPEC_REGISTRATION.clientDataHash)
    expect(sha256Hex(SPEC_REGISTRATION.appId)).toBe(SPEC_REGISTRATION.appIdHash)
    expect(p256KeyPair(SPEC_REGISTRATION.userPrivateKey).point.toString('hex')).toBe(SPEC_REGISTRATION.userKey)
    expect(p256KeyPair(SPEC_ATTESTATION.privateKey).point.toString('hex')).toBe(SPEC_ATTESTATION.publicKey)
    const certificate = new X509Certificate(hex(SPEC_ATTESTATION.certificate))
    expect(certificate.subject).toBe('CN=PilotGnubby-0.4.1-47901280001155957352')
    expect(certificate.issuer).toBe('CN=Gnubby Pilot')
  })

  it('parses into user key, 64-byte key handle, certificate and signature', () => {
    const parsed = parseRegistrationData(specRegistrationData())
    expect(Buffer.from(parsed?.userKey ?? []).toString('hex')).toBe(SPEC_REGISTRATION.userKey)
    expect(Buffer.from(parsed?.keyHandle ?? []).toString('hex')).toBe(SPEC_REGISTRATION.keyHandle)
    expect(Buffer.from(parsed?.certificate ?? []).toString('hex')).toBe(SPEC_ATTESTATION.certificate)
    expect(Buffer.from(parsed?.signature ?? []).toString('hex')).toBe(SPEC_REGISTRATION.signature)
  })

  it('verifies, and gives the key handle, the user key and the certificate', () => {
    const result = verifyRegistration(
      { registrationData: websafe(specRegistrationData()), clientData: websafe(SPEC_REGISTRATION.clientData) },
      { nonce: SPEC_REGISTRATION.challenge, appId: SPEC_REGISTRATION.appId },
    )
    expect(result).toEqual({
      ok: true,
      keyHandle: hex(SPEC_REGISTRATION.keyHandle).toString('base64url'),
      publicKey: hex(SPEC_REGISTRATION.userKey).toString('base64url'),
      attestationCertificate: hex(SPEC_ATTESTATION.certificate).toString('base64'),
    })
  })

  it('a software token reusing the published keys builds a response that verifies the same way', () => {
    const data = registrationResponse({
      appId: SPEC_REGISTRATION.appId,
      clientData: SPEC_REGISTRATION.clientData,
      userKey: hex(SPEC_REGISTRATION.userKey),
      keyHandle: hex(SPEC_REGISTRATION.keyHandle),
      attestation: specAttestation(),
    })
    // ECDSA signatures are randomised: everything but the signature is the published message.
    const unsigned = specRegistrationData().length - SPEC_REGISTRATION.signature.length / 2
    expect(data.subarray(0, unsigned).toString('hex')).toBe(specRegistrationData().subarray(0, unsigned).toString('hex'))
    const result = verifyRegistration({ registrationData: websafe(data), clientData: websafe(SPEC_REGISTRATION.clientData) }, { nonce: SPEC_REGISTRATION.challenge, appId: SPEC_REGISTRATION.appId })
    expect(result.ok).toBe(true)
  })

  it('is refused for another app id, even one whose origin the client data would match', () => {
    const answer = { registrationData: websafe(specRegistrationData()), clientData: websafe(SPEC_REGISTRATION.clientData) }
    expect(verifyRegistration(answer, { nonce: SPEC_REGISTRATION.challenge, appId: 'http://example.com/' })).toEqual({ ok: false, reason: 'origin' })
    expect(verifyRegistration(answer, { nonce: SPEC_REGISTRATION.challenge, appId: 'http://example.com/', facets: ['http://example.com'] })).toEqual({ ok: false, reason: 'signature' })
  })
})

describe('FIDO U2F Raw Message Formats: authentication example', () => {
  const answer = { signatureData: websafe(hex(SPEC_AUTHENTICATION.signatureData)), clientData: websafe(SPEC_AUTHENTICATION.clientData) }
  const expected = {
    nonce: SPEC_AUTHENTICATION.challenge,
    appId: SPEC_AUTHENTICATION.appId,
    facets: [SPEC_AUTHENTICATION.origin],
    publicKey: websafe(hex(SPEC_AUTHENTICATION.userKey)),
    lastCounter: 0,
  }

  it('the published hashes and keys are consistent with node:crypto', () => {
    expect(sha256Hex(SPEC_AUTHENTICATION.clientData)).toBe(SPEC_AUTHENTICATION.clientDataHash)
    expect(sha256Hex(SPEC_AUTHENTICATION.appId)).toBe(SPEC_AUTHENTICATION.appIdHash)
    expect(p256KeyPair(SPEC_AUTHENTICATION.userPrivateKey).point.toString('hex')).toBe(SPEC_AUTHENTICATION.userKey)
  })

  it('parses into user presence 1 and counter 1', () => {
    const parsed = parseSignatureData(hex(SPEC_AUTHENTICATION.signatureData))
    expect(parsed?.userPresence).toBe(1)
    expect(parsed?.counter).toBe(1)
  })

  it('verifies when the origin is a listed facet of the app id, with counter 1', () => {
    expect(verifySignature(answer, expected)).toEqual({ ok: true, counter: 1 })
  })

  it('is refused without the facet (the origin is not the app id), and as a replay at counter 1', () => {
    expect(verifySignature(answer, { ...expected, facets: [] })).toEqual({ ok: false, reason: 'origin' })
    expect(verifySignature(answer, { ...expected, lastCounter: 1 })).toEqual({ ok: false, reason: 'counter', counter: 1 })
  })

  it('a software token holding the published user key signs answers that verify', () => {
    const data = signResponse({
      appId: SPEC_AUTHENTICATION.appId,
      clientData: SPEC_AUTHENTICATION.clientData,
      userPresence: 1,
      counter: 2,
      privateKey: p256KeyPair(SPEC_AUTHENTICATION.userPrivateKey).privateKey,
    })
    expect(verifySignature({ ...answer, signatureData: websafe(data) }, { ...expected, lastCounter: 1 })).toEqual({ ok: true, counter: 2 })
  })
})

describe('Okta developer docs: activate and verify a u2f factor', () => {
  const activated = verifyRegistration(
    { registrationData: OKTA_ACTIVATION.registrationData, clientData: OKTA_ACTIVATION.clientData },
    { nonce: OKTA_ACTIVATION.nonce, appId: OKTA_ACTIVATION.appId },
  )

  it('the activation verifies with appId https://localhost:3000; the key handle is the documented credentialId', () => {
    expect(activated.ok).toBe(true)
    if (!activated.ok) return
    expect(activated.keyHandle).toBe(OKTA_ACTIVATION.credentialId)
    const certificate = new X509Certificate(Buffer.from(activated.attestationCertificate, 'base64'))
    expect(certificate.subject).toBe('CN=U2F Device')
    expect(certificate.issuer).toBe('CN=U2F Issuer')
  })

  it('the activation is refused with a trailing slash on the app id, and with another nonce', () => {
    const answer = { registrationData: OKTA_ACTIVATION.registrationData, clientData: OKTA_ACTIVATION.clientData }
    expect(verifyRegistration(answer, { nonce: OKTA_ACTIVATION.nonce, appId: 'https://localhost:3000/' })).toEqual({ ok: false, reason: 'origin' })
    expect(verifyRegistration(answer, { nonce: OKTA_ACTIVATION.nonce, appId: 'https://localhost:3000/', facets: ['https://localhost:3000'] })).toEqual({
      ok: false,
      reason: 'signature',
    })
    expect(verifyRegistration(answer, { nonce: 'XqGHtE0hRLnTJ1aAySZ3', appId: OKTA_ACTIVATION.appId })).toEqual({ ok: false, reason: 'challenge' })
  })

  it('the documented verify answer (counter 38) verifies with the activated user key', () => {
    if (!activated.ok) throw new Error('the activation example must verify')
    const expected = { nonce: OKTA_VERIFY.nonce, appId: OKTA_VERIFY.appId, publicKey: activated.publicKey, lastCounter: 0 }
    const answer = { signatureData: OKTA_VERIFY.signatureData, clientData: OKTA_VERIFY.clientData }
    expect(verifySignature(answer, expected)).toEqual({ ok: true, counter: 38 })
    expect(verifySignature(answer, { ...expected, lastCounter: 38 })).toEqual({ ok: false, reason: 'counter', counter: 38 })
    expect(verifySignature(answer, { ...expected, appId: 'https://localhost:3000/', facets: ['https://localhost:3000'] })).toEqual({ ok: false, reason: 'signature' })
  })
})
