import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { run, expectRight } from '@authn-machine/testkit'
import { createSeededRandom } from '@authn-machine/testkit/fixtures'
import { DUO_LIFETIME_MS, NONCE_ALPHABET, applicationKeyFor, createDuoFactor, isNonce, makeNonce, signAuth, signRequest, verifyResponse, type DuoKeys } from '../src/index.js'
import { duoResponse } from './duo-service.js'
import { ctxAt, viewOf } from './support.js'

const KEYS: DuoKeys = { ikey: 'DIABCDEFGHIJKLMNOPQR', skey: 'S'.repeat(40), akey: 'A'.repeat(40) }
const f = createDuoFactor({ integrationKey: KEYS.ikey, secretKey: KEYS.skey, applicationKey: KEYS.akey, apiHost: '127.0.0.1:8443' })

const arbUser = fc.string({ minLength: 1, maxLength: 40 }).filter((u) => !u.includes('|'))
const arbNonce = fc.stringMatching(/^[A-Za-z0-9]{20}$/)
const arbStart = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) })
/** Within the verification: from its start to the millisecond before its end. */
const arbElapsed = fc.integer({ min: 0, max: DUO_LIFETIME_MS - 1 })

/** Duo's response to the request of the verification `nonce` started at `start`, as Duo signs it at `answeredAt`. */
const responseFor = (user: string, nonce: string, start: number, duoUser = user, answeredAt = start): string => {
  const signature = viewOf(f, { credentialId: user }, { nonce, expiresAt: start + DUO_LIFETIME_MS })['signature'] as string
  return duoResponse(KEYS, signature, duoUser, answeredAt)
}
const confirm = async (user: string, sigResponse: string, nonce: string, start: number, now: number) =>
  expectRight(await run(f.delegation.confirm({ credentialId: user }, { sig_response: sigResponse }, { nonce, expiresAt: start + DUO_LIFETIME_MS }, ctxAt(now, now))))

describe('the factor, for any verification', () => {
  test.prop([arbUser, arbNonce, arbStart, arbElapsed])("Duo's response to a verification's request confirms it, at any time within it", async (user, nonce, start, elapsed) => {
    // Duo answers some time after the request was shown; the response is posted at once.
    expect(await confirm(user, responseFor(user, nonce, start, user, start + elapsed), nonce, start, start + elapsed)).toBe('confirmed')
  })

  test.prop([arbUser, arbNonce, arbNonce, arbStart, arbElapsed])('a response to verification A is rejected for verification B', async (user, a, b, start, elapsed) => {
    fc.pre(a !== b)
    expect(await confirm(user, responseFor(user, a, start, user, start + elapsed), b, start, start + elapsed)).toBe('rejected')
  })

  test.prop([arbUser, arbUser, arbNonce, arbStart, arbElapsed])("another user's response is rejected", async (user, other, nonce, start, elapsed) => {
    fc.pre(user !== other)
    expect(await confirm(user, responseFor(user, nonce, start, other, start + elapsed), nonce, start, start + elapsed)).toBe('rejected')
    expect(await confirm(other, responseFor(user, nonce, start, user, start + elapsed), nonce, start, start + elapsed)).toBe('rejected')
  })

  test.prop([arbUser, arbNonce, arbStart, fc.integer({ min: 0, max: 10 * DUO_LIFETIME_MS })])('at or after the verification\'s end, rejected', async (user, nonce, start, after) => {
    // Duo's halves still hold then (AUTH signed just before, APP good for an hour): the verification's end refuses it.
    const at = start + DUO_LIFETIME_MS + after
    const response = responseFor(user, nonce, start, user, at - 1)
    expect(verifyResponse({ ...KEYS, akey: applicationKeyFor(KEYS.akey, nonce) }, response, at)).toEqual({ ok: true, user })
    expect(await confirm(user, response, nonce, start, at)).toBe('rejected')
  })

  test.prop([arbUser, arbNonce, arbStart, fc.nat(), fc.integer({ min: 1, max: 0x10ffff }).filter((c) => c < 0xd800 || c > 0xdfff)])(
    'any single-character change to a valid sig_response is rejected',
    async (user, nonce, start, at, code) => {
      const valid = responseFor(user, nonce, start)
      const i = at % valid.length
      const replacement = String.fromCodePoint(code)
      fc.pre(replacement !== valid[i])
      const altered = valid.slice(0, i) + replacement + valid.slice(i + 1)
      expect(await confirm(user, altered, nonce, start, start)).toBe('rejected')
    },
  )

  test.prop([arbUser, arbNonce, arbStart, fc.nat()])('a valid sig_response with a character dropped, or one added, is rejected', async (user, nonce, start, at) => {
    const valid = responseFor(user, nonce, start)
    const i = at % valid.length
    expect(await confirm(user, valid.slice(0, i) + valid.slice(i + 1), nonce, start, start)).toBe('rejected')
    expect(await confirm(user, valid.slice(0, i) + 'A' + valid.slice(i), nonce, start, start)).toBe('rejected')
  })

  test.prop([fc.string({ maxLength: 300 }), arbNonce, arbStart])('any string as sig_response: rejected, never a throw', async (junk, nonce, start) => {
    expect(await confirm('dade', junk, nonce, start, start)).toBe('rejected')
  })

  test.prop([arbUser, arbNonce, arbStart])('the view is pure: the same verification shows the same request, at any poll', (user, nonce, start) => {
    const s = { nonce, expiresAt: start + DUO_LIFETIME_MS }
    expect(viewOf(f, { credentialId: user }, s)).toEqual(viewOf(f, { credentialId: user }, { ...s }))
  })
})

describe('the protocol', () => {
  test.prop([arbUser, arbStart, fc.integer({ min: 1, max: 10_000 })])('an AUTH half expires at its second: accepted before, refused from then on', (user, start, ttl) => {
    const app = signRequest(KEYS, user, start).split(':')[1] ?? ''
    const exp = Math.floor(start / 1000) + ttl
    const response = `${signAuth(KEYS, user, exp)}:${app}`
    const appExp = Math.floor(start / 1000) + 3600
    if (exp <= appExp) expect(verifyResponse(KEYS, response, exp * 1000 - 1)).toEqual({ ok: true, user })
    expect(verifyResponse(KEYS, response, exp * 1000)).toMatchObject({ ok: false, reason: 'expired', half: 'AUTH' })
  })

  test.prop([arbUser, arbStart])('an APP half expires an hour after its request', (user, start) => {
    const app = signRequest(KEYS, user, start).split(':')[1] ?? ''
    const appExp = Math.floor(start / 1000) + 3600
    const response = `${signAuth(KEYS, user, appExp + 100)}:${app}`
    expect(verifyResponse(KEYS, response, appExp * 1000 - 1)).toEqual({ ok: true, user })
    expect(verifyResponse(KEYS, response, appExp * 1000)).toMatchObject({ ok: false, reason: 'expired', half: 'APP' })
  })

  test.prop([fc.string(), fc.string()])('signRequest refuses a username with "|"', (a, b) => {
    expect(() => signRequest(KEYS, `${a}|${b}`, 0)).toThrow(RangeError)
  })
})

describe('nonces', () => {
  test.prop([fc.uint8Array({ minLength: 28, maxLength: 28 })])('any source: 20 alphanumerics (or a RangeError for a source of unusable bytes)', (block) => {
    const source = () => block
    if (block.filter((b) => b < 248).length === 0) expect(() => makeNonce(source)).toThrow(RangeError)
    else expect(isNonce(makeNonce(source))).toBe(true)
  })

  test.prop([fc.array(fc.uint8Array({ minLength: 28, maxLength: 28 }), { minLength: 32, maxLength: 32 })])(
    'bytes at or above 248 are dropped; each byte below gives the character at byte % 62, in order',
    (blocks) => {
      const usable = blocks.flatMap((block) => [...block]).filter((byte) => byte < 248)
      fc.pre(usable.length >= 20)
      let call = 0
      const nonce = makeNonce(() => blocks[call++] ?? new Uint8Array(28))
      expect(nonce).toBe(usable.slice(0, 20).map((byte) => NONCE_ALPHABET[byte % 62]).join(''))
    },
  )

  test.prop([fc.constant(null)], { numRuns: 1 })('over many draws, every character of the alphabet appears at its share', () => {
    const counts = new Map<string, number>()
    const random = createSeededRandom('distribution')
    for (let i = 0; i < 5_000; i += 1) for (const c of makeNonce(random.bytes)) counts.set(c, (counts.get(c) ?? 0) + 1)
    expect(counts.size).toBe(62)
    const expected = (5_000 * 20) / 62
    for (const n of counts.values()) expect(Math.abs(n - expected) / expected).toBeLessThan(0.15)
  })
})
