import { randomBytes } from 'node:crypto'
import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import {
  NONCE_LENGTH,
  creationOptions,
  decodeBase64,
  isCounterRegression,
  isStrictDerEcdsaSignature,
  isNonce,
  makeNonce,
  requestOptions,
  verifyAssertion,
  verifyAssertionAny,
  verifyRegistration,
  type RegisteredCredential,
} from '../src/index.js'
import { ALGS, FLAG_AT, FLAG_UP, FMTS, b64url, createSoftAuthenticator, flipByte, toUrlAlphabet, type Alg, type SoftAuthenticator } from './authenticator.js'

const RP_ID = 'login.example.test'
const ORIGIN = `https://${RP_ID}`
const EXPECTED = { origin: ORIGIN, rpId: RP_ID }
const nonce = (): string => makeNonce((n) => randomBytes(n))

/** Enrolls `authenticator` and gives the stored credential; fails the test when refused. */
const register = async (authenticator: SoftAuthenticator): Promise<RegisteredCredential> => {
  const n = nonce()
  const result = await verifyRegistration(authenticator.create({ challenge: n, origin: ORIGIN }), { nonce: n, ...EXPECTED })
  if (!result.ok) throw new Error(`registration refused: ${result.reason} ${result.detail}`)
  return result.credential
}

/**
 * Okta's Factors API reference, "Activate WebAuthn request example" (okta/okta-developer-docs,
 * packages/@okta/vuepress-site/docs/reference/api/factors/index.md): a `packed` self attestation
 * (ES256, no x5c) made for https://rain.okta1.com. Copied byte for byte; its signature verifying
 * is the proof the copy is exact.
 */
const OKTA_DOCS_ACTIVATION = {
  attestation:
    'o2NmbXRmcGFja2VkZ2F0dFN0bXSiY2FsZyZjc2lnWEgwRgIhAMvf2+dzXlHZN1um38Y8aFzrKvX0k5dt/hnDu9lahbR4AiEAuwtMg3IoaElWMp00QrP/+3Po/6LwXfmYQVfsnsQ+da1oYXV0aERhdGFYxkgb9OHGifjS2dG03qLRqvXrDIRyfGAuc+GzF1z20/eVRV2wvl6tzgACNbzGCmSLCyXx8FUDAEIBvWNHOcE3QDUkDP/HB1kRbrIOoZ1dR874ZaGbMuvaSVHVWN2kfNiO4D+HlAzUEFaqlNi5FPqKw+mF8f0XwdpEBlClAQIDJiABIVgg0a6oo3W0JdYPu6+eBrbr0WyB3uJLI3ODVgDfQnpgafgiWCB4fFo/5iiVrFhB8pNH2tbBtKewyAHuDkRolcCnVaCcmQ==',
  clientData:
    'eyJjaGFsbGVuZ2UiOiJVSk5wYW9sVWt0dF9vcEZPNXJMYyIsIm9yaWdpbiI6Imh0dHBzOi8vcmFpbi5va3RhMS5jb20iLCJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIn0=',
} as const
const OKTA_DOCS_EXPECTED = { nonce: 'UJNpaolUktt_opFO5rLc', origin: 'https://rain.okta1.com', rpId: 'rain.okta1.com' } as const

describe('creationOptions (Okta activation object)', () => {
  it("is Okta's shape: direct attestation, UV preferred, no resident key, ES256/RS256 (+EdDSA), rp without id, user.id as given", () => {
    const options = creationOptions({
      nonce: 'cdsZ1V10E0BGE4GcG3IK',
      user: { id: '00u15s1KDETTQMQYABRL', name: 'dade.murphy@example.com', displayName: 'Dade Murphy' },
      rpName: 'Example Org',
      excludeCredentialIds: ['AQID', 'BAUG'],
    })
    expect(options).toStrictEqual({
      attestation: 'direct',
      authenticatorSelection: { userVerification: 'preferred', requireResidentKey: false },
      challenge: 'cdsZ1V10E0BGE4GcG3IK',
      excludeCredentials: [
        { type: 'public-key', id: 'AQID' },
        { type: 'public-key', id: 'BAUG' },
      ],
      pubKeyCredParams: [
        { type: 'public-key', alg: -7 },
        { type: 'public-key', alg: -257 },
        { type: 'public-key', alg: -8 },
      ],
      rp: { name: 'Example Org' },
      user: { displayName: 'Dade Murphy', name: 'dade.murphy@example.com', id: '00u15s1KDETTQMQYABRL' },
    })
    expect(Object.keys(options)).toEqual(['attestation', 'authenticatorSelection', 'challenge', 'excludeCredentials', 'pubKeyCredParams', 'rp', 'user'])
    expect('id' in options.rp).toBe(false)
  })
  it('has an empty excludeCredentials by default and a timeout only when asked', () => {
    const base = { nonce: 'XqGHtE0hRLnTJ1aAySZ2', user: { id: '00u1', name: 'a', displayName: 'A' }, rpName: 'R' }
    expect(creationOptions(base).excludeCredentials).toEqual([])
    expect('timeout' in creationOptions(base)).toBe(false)
    expect(creationOptions({ ...base, timeoutMs: 60_000 }).timeout).toBe(60_000)
  })
})

describe('requestOptions (Okta challenge object)', () => {
  it('is { challenge, userVerification: preferred, extensions: {} }', () => {
    expect(requestOptions({ nonce: 'XqGHtE0hRLnTJ1aAySZ2' })).toStrictEqual({ challenge: 'XqGHtE0hRLnTJ1aAySZ2', userVerification: 'preferred', extensions: {} })
  })
  it('adds allowCredentials and timeout only when given', () => {
    expect(requestOptions({ nonce: 'XqGHtE0hRLnTJ1aAySZ2', allowCredentialIds: ['AQID'], timeoutMs: 30_000 })).toStrictEqual({
      challenge: 'XqGHtE0hRLnTJ1aAySZ2',
      userVerification: 'preferred',
      extensions: {},
      allowCredentials: [{ type: 'public-key', id: 'AQID' }],
      timeout: 30_000,
    })
  })
})

describe('makeNonce', () => {
  it('draws 20 characters of [A-Za-z0-9], every one of the 62 in use', () => {
    const seen = new Set<string>()
    for (let i = 0; i < 500; i++) {
      const n = nonce()
      expect(n).toMatch(/^[A-Za-z0-9]{20}$/)
      expect(isNonce(n)).toBe(true)
      for (const c of n) seen.add(c)
    }
    expect(seen.size).toBe(62)
  })
  test.prop([fc.uint8Array({ minLength: 1, maxLength: 64 }).filter((a) => a.some((b) => b < 248))])(
    'any random source with usable bytes gives a nonce of the right shape (bytes 248 to 255 skipped)',
    (cycle) => {
      let i = 0
      const n = makeNonce((k) => Uint8Array.from({ length: k }, () => cycle[i++ % cycle.length] ?? 0))
      expect(n).toHaveLength(NONCE_LENGTH)
      expect(isNonce(n)).toBe(true)
    },
  )
  it('refuses a source that gives only unusable bytes (RangeError, not a loop)', () => {
    expect(() => makeNonce((k) => new Uint8Array(k).fill(0xff))).toThrow(RangeError)
  })
  it('a 20-character nonce comes back unchanged through strToBin and base64url (15 bytes)', () => {
    const n = nonce()
    expect(decodeBase64(n)).toHaveLength(15)
    expect(b64url(decodeBase64(n) ?? new Uint8Array())).toBe(n)
  })
})

describe('decodeBase64 (lenient)', () => {
  it('reads both alphabets, padding optional', () => {
    for (const s of ['+/8=', '+/8', '-_8', '-_8=', '+_8']) expect(Buffer.from(decodeBase64(s) ?? []).toString('hex'), s).toBe('fbff')
  })
  it('refuses what no encoder writes', () => {
    for (const s of ['', '=', 'a', 'abcde', 'ab=', 'a===', 'ab c', 'ab\n', 'é', '%%%%', 'ab==cd']) expect(decodeBase64(s), JSON.stringify(s)).toBeNull()
    for (const v of [undefined, null, 3, {}, ['AQID']]) expect(decodeBase64(v)).toBeNull()
  })
  test.prop([fc.uint8Array({ minLength: 1, maxLength: 80 })])('base64 and base64url of any bytes decode to them', (bytes) => {
    expect(decodeBase64(Buffer.from(bytes).toString('base64'))).toEqual(bytes)
    expect(decodeBase64(Buffer.from(bytes).toString('base64url'))).toEqual(bytes)
  })
})

describe("Okta's documented activation (Factors API reference)", () => {
  it('verifies: packed self attestation, ES256, its AAGUID and counter', async () => {
    const result = await verifyRegistration(OKTA_DOCS_ACTIVATION, OKTA_DOCS_EXPECTED)
    expect(result.ok, JSON.stringify(result)).toBe(true)
    if (!result.ok) return
    expect(result.credential.fmt).toBe('packed')
    expect(result.credential.aaguid).toBe('adce0002-35bc-c60a-648b-0b25f1f05503')
    expect(result.credential.counter).toBe(1571864158)
    // The docs' response shows another credentialId (l3Br0n…): the example's two halves do not belong together.
    expect(result.credential.id.startsWith('Ab1jRznBN0A1')).toBe(true)
  })
  it('fails for another challenge, origin or RP ID, and with one byte changed', async () => {
    for (const expected of [
      { ...OKTA_DOCS_EXPECTED, nonce: 'UJNpaolUktt_opFO5rLd' },
      { ...OKTA_DOCS_EXPECTED, origin: 'https://rain.okta2.com' },
      { ...OKTA_DOCS_EXPECTED, rpId: 'okta1.com' },
    ])
      expect((await verifyRegistration(OKTA_DOCS_ACTIVATION, expected)).ok).toBe(false)
    // The last byte of the attestation object is the COSE key's y: the self signature no longer holds.
    const last = Buffer.from(OKTA_DOCS_ACTIVATION.attestation, 'base64').length - 1
    const tampered = { ...OKTA_DOCS_ACTIVATION, attestation: flipByte(OKTA_DOCS_ACTIVATION.attestation, last, 1) }
    expect(await verifyRegistration(tampered, OKTA_DOCS_EXPECTED)).toMatchObject({ ok: false, reason: 'rejected' })
  })
})

describe.each(ALGS)('%s', (alg: Alg) => {
  describe.each(FMTS)('%s attestation', (fmt) => {
    it('registers, then asserts, and the counter moves', async () => {
      const authenticator = createSoftAuthenticator({ alg, fmt, rpId: RP_ID })
      const credential = await register(authenticator)
      expect(credential).toMatchObject({ id: authenticator.id, counter: 0, fmt, aaguid: '5ca1ab1e-0000-4000-8000-0000c0ffee00' })
      expect(decodeBase64(credential.publicKey)).not.toBeNull()
      const n1 = nonce()
      const first = await verifyAssertion(authenticator.get({ challenge: n1, origin: ORIGIN }), { nonce: n1, ...EXPECTED, credential })
      expect(first).toEqual({ ok: true, newCounter: 1 })
      const n2 = nonce()
      const second = await verifyAssertion(authenticator.get({ challenge: n2, origin: ORIGIN }), { nonce: n2, ...EXPECTED, credential: { ...credential, counter: 1 } })
      expect(second).toEqual({ ok: true, newCounter: 2 })
    })
  })

  it('registration: refuses another challenge, origin, RP ID, type, or no user presence', async () => {
    const authenticator = createSoftAuthenticator({ alg, rpId: RP_ID })
    const n = nonce()
    const cases = [
      { answer: authenticator.create({ challenge: nonce(), origin: ORIGIN }), why: 'challenge' },
      { answer: authenticator.create({ challenge: n, origin: 'https://evil.example.test' }), why: 'origin' },
      { answer: authenticator.create({ challenge: n, origin: ORIGIN, rpId: 'evil.example.test' }), why: 'RP ID' },
      { answer: authenticator.create({ challenge: n, origin: ORIGIN, type: 'webauthn.get' }), why: 'type' },
      { answer: authenticator.create({ challenge: n, origin: ORIGIN, flags: FLAG_AT }), why: 'user presence' },
    ]
    for (const { answer, why } of cases) expect(await verifyRegistration(answer, { nonce: n, ...EXPECTED }), why).toMatchObject({ ok: false, reason: 'rejected' })
  })

  it('registration: a packed self attestation over other client data is refused', async () => {
    const authenticator = createSoftAuthenticator({ alg, fmt: 'packed', rpId: RP_ID })
    const n = nonce()
    const created = authenticator.create({ challenge: n, origin: ORIGIN })
    // Same challenge, origin and type, one member more: no longer the client data that was signed.
    const other = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(created.clientData, 'base64').toString()), extra: 1 })).toString('base64')
    expect(await verifyRegistration({ ...created, clientData: other }, { nonce: n, ...EXPECTED })).toMatchObject({ ok: false, reason: 'rejected' })
  })

  it('assertion: refuses another challenge, origin, RP ID, type, or no user presence', async () => {
    const authenticator = createSoftAuthenticator({ alg, rpId: RP_ID })
    const credential = await register(authenticator)
    const n = nonce()
    const cases = [
      { answer: authenticator.get({ challenge: nonce(), origin: ORIGIN }), why: 'challenge' },
      { answer: authenticator.get({ challenge: n, origin: 'https://evil.example.test' }), why: 'origin' },
      { answer: authenticator.get({ challenge: n, origin: ORIGIN, rpId: 'evil.example.test' }), why: 'RP ID' },
      { answer: authenticator.get({ challenge: n, origin: ORIGIN, type: 'webauthn.create' }), why: 'type' },
      { answer: authenticator.get({ challenge: n, origin: ORIGIN, flags: 0 }), why: 'user presence' },
    ]
    for (const { answer, why } of cases)
      expect(await verifyAssertion(answer, { nonce: n, ...EXPECTED, credential }), why).toMatchObject({ ok: false, reason: 'rejected' })
  })

  it('assertion: a changed signature or authenticator data is refused', async () => {
    const authenticator = createSoftAuthenticator({ alg, rpId: RP_ID })
    const credential = await register(authenticator)
    const n = nonce()
    const answer = authenticator.get({ challenge: n, origin: ORIGIN })
    const badSignature = { ...answer, signatureData: flipByte(answer.signatureData, 60, 0x01) }
    const badCounter = { ...answer, authenticatorData: flipByte(answer.authenticatorData, 36, 0x80) }
    const refused = await verifyAssertion(badSignature, { nonce: n, ...EXPECTED, credential })
    expect(refused).toMatchObject({ ok: false, reason: 'rejected' })
    // Ed25519 and RSA signatures of the right length are checked and found wrong (`verified: false`, no throw).
    if (alg !== 'ES256') expect(refused).toMatchObject({ detail: 'the signature does not verify' })
    expect(await verifyAssertion(badCounter, { nonce: n, ...EXPECTED, credential })).toMatchObject({ ok: false, reason: 'rejected' })
    expect(await verifyAssertion(answer, { nonce: n, ...EXPECTED, credential })).toMatchObject({ ok: true })
  })

  it('assertion: the key of another credential does not verify it', async () => {
    const mine = createSoftAuthenticator({ alg, rpId: RP_ID, freshKey: true })
    const theirs = createSoftAuthenticator({ alg, rpId: RP_ID, freshKey: true })
    const theirCredential = await register(theirs)
    const n = nonce()
    const answer = mine.get({ challenge: n, origin: ORIGIN })
    expect(await verifyAssertion(answer, { nonce: n, ...EXPECTED, credential: theirCredential })).toMatchObject({ ok: false, reason: 'rejected' })
  })
})

describe('ECDSA signatures: strict DER only', () => {
  const der = (r: Uint8Array, s: Uint8Array): Uint8Array => {
    const int = (v: Uint8Array): Buffer => {
      let i = 0
      while (i < v.length - 1 && v[i] === 0) i++
      const body = Buffer.from(v.subarray(i))
      const padded = (body[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), body]) : body
      return Buffer.concat([Buffer.from([0x02, padded.length]), padded])
    }
    const content = Buffer.concat([int(r), int(s)])
    return Uint8Array.from(Buffer.concat([Buffer.from([0x30, content.length]), content]))
  }
  const nonZero = fc.uint8Array({ minLength: 1, maxLength: 33 }).filter((v) => v.some((b) => b !== 0))
  test.prop([nonZero, nonZero])('the DER of any positive r and s is accepted', (r, s) => {
    expect(isStrictDerEcdsaSignature(der(r, s))).toBe(true)
  })
  it('refuses another outer tag, a wrong length, trailing bytes, negative or padded integers', () => {
    const ok = Buffer.from('3006020101020102', 'hex')
    expect(isStrictDerEcdsaSignature(ok)).toBe(true)
    for (const hex of ['b006020101020102', '3007020101020102', '300602010102010200', '3006020181020102', '300702020001020102', '3006020100020101', '3005020101020100', '', '30', '308106020101020102'])
      expect(isStrictDerEcdsaSignature(Buffer.from(hex, 'hex')), hex).toBe(false)
  })
  it('an ES256 assertion whose signature has another tag class is refused (the library alone accepts it)', async () => {
    const authenticator = createSoftAuthenticator({ alg: 'ES256', rpId: RP_ID })
    const credential = await register(authenticator)
    const n = nonce()
    const answer = authenticator.get({ challenge: n, origin: ORIGIN })
    const retagged = { ...answer, signatureData: flipByte(answer.signatureData, 0, 0x80) }
    expect(await verifyAssertion(retagged, { nonce: n, ...EXPECTED, credential })).toMatchObject({ ok: false, reason: 'rejected', detail: 'the ECDSA signature is not strict DER' })
    expect(await verifyAssertion(answer, { nonce: n, ...EXPECTED, credential })).toMatchObject({ ok: true })
  })
})

describe('signature counter', () => {
  it('a counter at or below the stored one is told apart as `counter` (after the signature verified)', async () => {
    const authenticator = createSoftAuthenticator({ alg: 'ES256', rpId: RP_ID })
    const credential = await register(authenticator)
    for (const [stored, next] of [
      [10, 5],
      [10, 10],
      [3, 0],
    ] as const) {
      authenticator.setCounter(next - 1)
      const n = nonce()
      const result = await verifyAssertion(authenticator.get({ challenge: n, origin: ORIGIN }), { nonce: n, ...EXPECTED, credential: { ...credential, counter: stored } })
      expect(result, `${stored} -> ${next}`).toMatchObject({ ok: false, reason: 'counter', credentialId: credential.id })
    }
  })
  it('an authenticator that keeps no counter (always 0) is accepted', async () => {
    const authenticator = createSoftAuthenticator({ alg: 'EdDSA', rpId: RP_ID, counterStep: 0 })
    const credential = await register(authenticator)
    for (let i = 0; i < 2; i++) {
      const n = nonce()
      expect(await verifyAssertion(authenticator.get({ challenge: n, origin: ORIGIN }), { nonce: n, ...EXPECTED, credential })).toEqual({ ok: true, newCounter: 0 })
    }
  })
  it('a forged assertion with a low counter is `rejected`, not `counter`', async () => {
    const authenticator = createSoftAuthenticator({ alg: 'ES256', rpId: RP_ID, counter: 0 })
    const credential = await register(authenticator)
    const n = nonce()
    const answer = authenticator.get({ challenge: n, origin: ORIGIN })
    const forged = { ...answer, signatureData: flipByte(answer.signatureData, 50, 0x10) }
    expect(await verifyAssertion(forged, { nonce: n, ...EXPECTED, credential: { ...credential, counter: 100 } })).toMatchObject({ ok: false, reason: 'rejected' })
  })
  test.prop([fc.nat({ max: 2 ** 32 - 1 }), fc.nat({ max: 2 ** 32 - 1 })])('isCounterRegression follows WebAuthn §7.2 step 21', (stored, received) => {
    expect(isCounterRegression(stored, received)).toBe(!(stored === 0 && received === 0) && received <= stored)
  })
})

describe('verifyAssertionAny (verification by factor type)', () => {
  it("answers which of the user's credentials signed", async () => {
    const a = createSoftAuthenticator({ alg: 'ES256', rpId: RP_ID, freshKey: true })
    const b = createSoftAuthenticator({ alg: 'EdDSA', rpId: RP_ID, freshKey: true })
    const credentials = [await register(a), await register(b)]
    const n = nonce()
    expect(await verifyAssertionAny(b.get({ challenge: n, origin: ORIGIN }), { nonce: n, ...EXPECTED, credentials })).toEqual({
      ok: true,
      credentialId: b.id,
      newCounter: 1,
    })
  })
  it("refuses another user's credential", async () => {
    const mine = createSoftAuthenticator({ alg: 'ES256', rpId: RP_ID, freshKey: true })
    const someoneElses = createSoftAuthenticator({ alg: 'ES256', rpId: RP_ID, freshKey: true })
    const credentials = [await register(mine)]
    await register(someoneElses)
    const n = nonce()
    expect(await verifyAssertionAny(someoneElses.get({ challenge: n, origin: ORIGIN }), { nonce: n, ...EXPECTED, credentials })).toMatchObject({
      ok: false,
      reason: 'rejected',
    })
  })
  it('with no credential it refuses; a counter regression on the signing one is `counter`', async () => {
    const a = createSoftAuthenticator({ alg: 'RS256', rpId: RP_ID })
    const credential = await register(a)
    const n = nonce()
    const answer = a.get({ challenge: n, origin: ORIGIN })
    expect(await verifyAssertionAny(answer, { nonce: n, ...EXPECTED, credentials: [] })).toMatchObject({ ok: false, reason: 'rejected' })
    expect(await verifyAssertionAny(answer, { nonce: n, ...EXPECTED, credentials: [{ ...credential, counter: 7 }] })).toMatchObject({
      ok: false,
      reason: 'counter',
      credentialId: a.id,
    })
  })
})

describe('encodings and garbage', () => {
  it('standard base64 with padding, base64url without, and a mix are all read', async () => {
    const authenticator = createSoftAuthenticator({ alg: 'ES256', rpId: RP_ID })
    const n = nonce()
    const created = authenticator.create({ challenge: n, origin: ORIGIN })
    expect(created.attestation).toMatch(/^[A-Za-z0-9+/]+=*$/)
    const url = { attestation: toUrlAlphabet(created.attestation), clientData: toUrlAlphabet(created.clientData) }
    const mixed = { attestation: created.attestation, clientData: toUrlAlphabet(created.clientData) }
    for (const answer of [created, url, mixed]) expect((await verifyRegistration(answer, { nonce: n, ...EXPECTED })).ok).toBe(true)
    const credential = await register(authenticator)
    const m = nonce()
    const asserted = authenticator.get({ challenge: m, origin: ORIGIN })
    const urlAssertion = {
      clientData: toUrlAlphabet(asserted.clientData),
      authenticatorData: toUrlAlphabet(asserted.authenticatorData),
      signatureData: toUrlAlphabet(asserted.signatureData),
    }
    expect((await verifyAssertion(urlAssertion, { nonce: m, ...EXPECTED, credential })).ok).toBe(true)
  })
  it('a field that is not base64 is `malformed`', async () => {
    const n = nonce()
    expect(await verifyRegistration({ attestation: 'not base64!', clientData: 'AAAA' }, { nonce: n, ...EXPECTED })).toMatchObject({ ok: false, reason: 'malformed' })
    expect(await verifyRegistration({ attestation: 'AAAA', clientData: 'AAAA' }, { nonce: n, ...EXPECTED })).toMatchObject({ ok: false, reason: 'malformed' })
    const credential = { id: 'AQID', publicKey: 'AQID', counter: 0 }
    expect(await verifyAssertion({ clientData: '', authenticatorData: 'AAAA', signatureData: 'AAAA' }, { nonce: n, ...EXPECTED, credential })).toMatchObject({
      ok: false,
      reason: 'malformed',
    })
  })
  test.prop([fc.anything(), fc.anything(), fc.anything(), fc.anything()], { numRuns: 200 })('any inputs give a refusal, never a throw', async (a, b, c, d) => {
    const answer = { attestation: a, clientData: b, authenticatorData: c, signatureData: d } as never
    const credential = { id: 'AQID', publicKey: c, counter: 0 } as never
    for (const r of [
      await verifyRegistration(answer, { nonce: d as never, ...EXPECTED }),
      await verifyRegistration(a as never, b as never),
      await verifyAssertion(answer, { nonce: 'XqGHtE0hRLnTJ1aAySZ2', ...EXPECTED, credential }),
      await verifyAssertion(a as never, b as never),
      await verifyAssertionAny(answer, { nonce: 'XqGHtE0hRLnTJ1aAySZ2', ...EXPECTED, credentials: [credential] }),
      await verifyAssertionAny(answer, c as never),
    ])
      expect(r.ok).toBe(false)
  })
  test.prop([fc.base64String({ minLength: 4, maxLength: 400 }), fc.base64String({ minLength: 4, maxLength: 200 })], { numRuns: 200 })(
    'random base64 gives a refusal, never a throw',
    async (x, y) => {
      expect((await verifyRegistration({ attestation: x, clientData: y }, { nonce: 'XqGHtE0hRLnTJ1aAySZ2', ...EXPECTED })).ok).toBe(false)
      const credential = { id: 'AQID', publicKey: x, counter: 0 }
      expect((await verifyAssertion({ clientData: y, authenticatorData: x, signatureData: y }, { nonce: 'XqGHtE0hRLnTJ1aAySZ2', ...EXPECTED, credential })).ok).toBe(false)
    },
  )
})

describe('properties', () => {
  // One enrolled authenticator per algorithm, and one assertion of each to tamper with.
  const fixtures = ALGS.map((alg) => {
    const authenticator = createSoftAuthenticator({ alg, rpId: RP_ID })
    const n = nonce()
    return { alg, authenticator, credential: register(authenticator), n, answer: authenticator.get({ challenge: n, origin: ORIGIN }) }
  })
  const FIELDS = ['clientData', 'authenticatorData', 'signatureData'] as const

  test.prop([fc.constantFrom(...fixtures), fc.constantFrom(...FIELDS), fc.nat(), fc.integer({ min: 1, max: 255 })], { numRuns: 300 })(
    'any changed byte of clientData, authenticatorData or signature is refused',
    async (f, field, index, mask) => {
      const credential = await f.credential
      const tampered = { ...f.answer, [field]: flipByte(f.answer[field], index, mask) }
      const result = await verifyAssertion(tampered, { nonce: f.n, ...EXPECTED, credential })
      expect(result.ok).toBe(false)
    },
  )

  test.prop([fc.stringMatching(/^[A-Za-z0-9]{20}$/), fc.constantFrom(...ALGS), fc.boolean()], { numRuns: 40 })(
    'any nonce round-trips through the browser encoding, at enrollment and verification',
    async (n, alg, urlAlphabet) => {
      const authenticator = createSoftAuthenticator({ alg, fmt: 'packed', rpId: RP_ID })
      const created = authenticator.create({ challenge: n, origin: ORIGIN })
      const answer = urlAlphabet ? { attestation: toUrlAlphabet(created.attestation), clientData: toUrlAlphabet(created.clientData) } : created
      const registered = await verifyRegistration(answer, { nonce: n, ...EXPECTED })
      expect(registered.ok).toBe(true)
      if (!registered.ok) return
      const assertion = await verifyAssertion(authenticator.get({ challenge: n, origin: ORIGIN }), { nonce: n, ...EXPECTED, credential: registered.credential })
      expect(assertion).toEqual({ ok: true, newCounter: 1 })
    },
  )

  test.prop([fc.stringMatching(/^[A-Za-z0-9]{20}$/), fc.stringMatching(/^[A-Za-z0-9]{20}$/)], { numRuns: 30 })(
    'an answer to one nonce never passes for another',
    async (n, m) => {
      fc.pre(n !== m)
      const f = fixtures[0]
      if (f === undefined) throw new Error('no fixture')
      const credential = await f.credential
      const answer = f.authenticator.get({ challenge: n, origin: ORIGIN })
      expect((await verifyAssertion(answer, { nonce: m, ...EXPECTED, credential })).ok).toBe(false)
    },
  )
})

describe('flags', () => {
  it('user verification is preferred, not required', async () => {
    const authenticator = createSoftAuthenticator({ alg: 'ES256', rpId: RP_ID })
    const n = nonce()
    const created = authenticator.create({ challenge: n, origin: ORIGIN, flags: FLAG_UP | FLAG_AT })
    const registered = await verifyRegistration(created, { nonce: n, ...EXPECTED })
    expect(registered.ok).toBe(true)
    if (!registered.ok) return
    const m = nonce()
    expect(await verifyAssertion(authenticator.get({ challenge: m, origin: ORIGIN, flags: FLAG_UP }), { nonce: m, ...EXPECTED, credential: registered.credential })).toEqual({
      ok: true,
      newCounter: 1,
    })
  })
})
