import { describe, expect, it } from 'vitest'
import { signRequest, verifyResponse, type DuoKeys } from '../src/index.js'

// Known answers from Duo Web v2's own tests (duo_nodejs `tests/duo.js`).
const IKEY = 'DIXXXXXXXXXXXXXXXXXX'
const WRONG_IKEY = 'DIXXXXXXXXXXXXXXXXXY'
const SKEY = 'deadbeef'.repeat(5)
const AKEY = 'useacustomerprovidedapplicationsecretkey'
const USER = 'testuser'
const INVALID_RESPONSE = 'AUTH|INVALID|SIG'
/** `testuser|DIXXXXXXXXXXXXXXXXXX|1300157874` (2011-03-15). */
const EXPIRED_RESPONSE = 'AUTH|dGVzdHVzZXJ8RElYWFhYWFhYWFhYWFhYWFhYWFh8MTMwMDE1Nzg3NA==|cb8f4d60ec7c261394cd5ee5a17e46ca7440d702'
/** `testuser|DIXXXXXXXXXXXXXXXXXX|2247140921` (2041-03-17). */
const FUTURE_RESPONSE = 'AUTH|dGVzdHVzZXJ8RElYWFhYWFhYWFhYWFhYWFhYWFh8MjI0NzE0MDkyMQ==|d5fa72f8ba5f3d37d70dad615ff4901a77d46989'
/** A genuine AUTH half whose payload has four fields (`…|1615727243|invalidextradata`). */
const WRONG_PARAMS_RESPONSE = 'AUTH|dGVzdHVzZXJ8RElYWFhYWFhYWFhYWFhYWFhYWFh8MTYxNTcyNzI0M3xpbnZhbGlkZXh0cmFkYXRh|6cdbec0fbfa0d3f335c76b0786a4a18eac6cdca7'
/** A genuine APP half (AKEY) whose payload has four fields. */
const WRONG_PARAMS_APP = 'APP|dGVzdHVzZXJ8RElYWFhYWFhYWFhYWFhYWFhYWFh8MTYxNTcyNzI0M3xpbnZhbGlkZXh0cmFkYXRh|7c2065ea122d028b03ef0295a4b4c5521823b9b5'

const KEYS: DuoKeys = { ikey: IKEY, skey: SKEY, akey: AKEY }
const NOW = Date.UTC(2026, 0, 1, 12)
const appHalf = (akey: string): string => signRequest({ ...KEYS, akey }, USER, NOW).split(':')[1] ?? ''
const VALID_APP = appHalf(AKEY)
const INVALID_APP = appHalf('invalid'.repeat(8))

describe('signRequest (Duo Web v2 sign_request)', () => {
  it('signs TX with the secret key (expires in 300 s) and APP with the application key (expires in 3600 s)', () => {
    const at = Date.UTC(2026, 0, 1, 12, 0, 0, 999)
    const seconds = Math.floor(at / 1000)
    const [tx = '', app = ''] = signRequest(KEYS, USER, at).split(':')
    expect(tx.split('|')[0]).toBe('TX')
    expect(Buffer.from(tx.split('|')[1] ?? '', 'base64').toString()).toBe(`${USER}|${IKEY}|${seconds + 300}`)
    expect(tx.split('|')[2]).toMatch(/^[0-9a-f]{40}$/)
    expect(app.split('|')[0]).toBe('APP')
    expect(Buffer.from(app.split('|')[1] ?? '', 'base64').toString()).toBe(`${USER}|${IKEY}|${seconds + 3600}`)
  })

  it('a known request: the HMAC-SHA1 of each half with its key (the library gives the same at that time)', () => {
    // 1767268800 = 2026-01-01T12:00:00Z.
    expect(signRequest(KEYS, USER, 1_767_268_800_000)).toBe(
      'TX|dGVzdHVzZXJ8RElYWFhYWFhYWFhYWFhYWFhYWFh8MTc2NzI2OTEwMA==|e8e473943d7d18abffdd161ce5a7b977ce620461:' +
        'APP|dGVzdHVzZXJ8RElYWFhYWFhYWFhYWFhYWFhYWFh8MTc2NzI3MjQwMA==|d77f71435a0b9f3521c7682121af1efc95d21557',
    )
  })

  it.each([
    ['an empty username', KEYS, '', /username/],
    ['a username with "|"', KEYS, 'in|valid', /username/],
    ['an invalid integration key', { ...KEYS, ikey: 'invalid' }, USER, /integration key/],
    ['an invalid secret key', { ...KEYS, skey: 'invalid' }, USER, /secret key/],
    ['an invalid application key', { ...KEYS, akey: 'invalid' }, USER, /application key/],
  ])('refuses %s', (_name, keys, user, message) => {
    expect(() => signRequest(keys, user, NOW)).toThrow(message)
  })
})

describe('verifyResponse (Duo Web v2 verify_response), on the library test vectors', () => {
  it('a valid response gives the user', () => {
    expect(verifyResponse(KEYS, `${FUTURE_RESPONSE}:${VALID_APP}`, NOW)).toEqual({ ok: true, user: USER })
  })
  it('an invalid AUTH half is refused', () => {
    expect(verifyResponse(KEYS, `${INVALID_RESPONSE}:${VALID_APP}`, NOW)).toEqual({ ok: false, reason: 'signature', half: 'AUTH' })
  })
  it('an expired AUTH half is refused', () => {
    expect(verifyResponse(KEYS, `${EXPIRED_RESPONSE}:${VALID_APP}`, NOW)).toEqual({ ok: false, reason: 'expired', half: 'AUTH' })
    // Expiry 1300157874 s: refused from that second on, accepted the millisecond before.
    const appThen = signRequest(KEYS, USER, 1_300_157_000_000).split(':')[1] ?? ''
    expect(verifyResponse(KEYS, `${EXPIRED_RESPONSE}:${appThen}`, 1_300_157_874_000)).toEqual({ ok: false, reason: 'expired', half: 'AUTH' })
    expect(verifyResponse(KEYS, `${EXPIRED_RESPONSE}:${appThen}`, 1_300_157_873_999)).toEqual({ ok: true, user: USER })
  })
  it('an APP half signed with another application key is refused', () => {
    expect(verifyResponse(KEYS, `${FUTURE_RESPONSE}:${INVALID_APP}`, NOW)).toEqual({ ok: false, reason: 'signature', half: 'APP' })
  })
  it('a genuine AUTH half whose payload has four fields is refused', () => {
    expect(verifyResponse(KEYS, `${WRONG_PARAMS_RESPONSE}:${VALID_APP}`, NOW)).toEqual({ ok: false, reason: 'payload', half: 'AUTH' })
  })
  it('a genuine APP half whose payload has four fields is refused', () => {
    expect(verifyResponse(KEYS, `${FUTURE_RESPONSE}:${WRONG_PARAMS_APP}`, NOW)).toEqual({ ok: false, reason: 'payload', half: 'APP' })
  })
  it('a response for another integration key is refused', () => {
    expect(verifyResponse({ ...KEYS, ikey: WRONG_IKEY }, `${FUTURE_RESPONSE}:${VALID_APP}`, NOW)).toEqual({ ok: false, reason: 'ikey', half: 'AUTH' })
  })
  it('a response that is not two halves is refused', () => {
    for (const r of [FUTURE_RESPONSE, `${FUTURE_RESPONSE}:${VALID_APP}:${VALID_APP}`, '', ':']) expect(verifyResponse(KEYS, r, NOW).ok).toBe(false)
    expect(verifyResponse(KEYS, FUTURE_RESPONSE, NOW)).toEqual({ ok: false, reason: 'format' })
  })
  it('halves in the wrong order are refused', () => {
    expect(verifyResponse(KEYS, `${VALID_APP}:${FUTURE_RESPONSE}`, NOW).ok).toBe(false)
  })
  it('the TX half of a request is not an AUTH half (a request cannot be replayed as a response)', () => {
    const [tx = '', app = ''] = signRequest(KEYS, USER, NOW).split(':')
    expect(verifyResponse(KEYS, `${tx}:${app}`, NOW)).toEqual({ ok: false, reason: 'prefix', half: 'AUTH' })
  })
})
