import { createRequire } from 'node:module'
import { fc, test } from '@fast-check/vitest'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { signAuth, signRequest, verifyResponse, type DuoKeys } from '../src/index.js'

/** Duo's own Node.js library (CommonJS), used only as an oracle. */
interface DuoWeb {
  readonly sign_request: (ikey: string, skey: string, akey: string, user: string) => string
  readonly verify_response: (ikey: string, skey: string, akey: string, sigResponse: string) => string | null
}
const duo = createRequire(import.meta.url)('@duosecurity/duo_web') as DuoWeb

const arbKeys: fc.Arbitrary<DuoKeys> = fc.record({
  ikey: fc.stringMatching(/^DI[A-Z0-9]{18}$/),
  skey: fc.stringMatching(/^[A-Za-z0-9]{40}$/),
  akey: fc.stringMatching(/^[A-Za-z0-9]{40,64}$/),
})
const arbUser = fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }).filter((u) => !u.includes('|'))

afterEach(() => {
  vi.useRealTimers()
})

describe('against @duosecurity/duo_web (the reference implementation)', () => {
  test.prop([arbKeys, arbUser])('the library verifies the APP half of a request we sign, with an AUTH half Duo would sign', (keys, user) => {
    // The library reads the real clock: sign as of now.
    const now = Date.now()
    const app = signRequest(keys, user, now).split(':')[1] ?? ''
    const auth = signAuth(keys, user, Math.floor(now / 1000) + 300)
    expect(duo.verify_response(keys.ikey, keys.skey, keys.akey, `${auth}:${app}`)).toBe(user)
    expect(verifyResponse(keys, `${auth}:${app}`, now)).toEqual({ ok: true, user })
  })

  test.prop([arbKeys, arbUser, fc.integer({ min: 946_684_800, max: 4_000_000_000 })])(
    'at the same second, our request is the library\'s, byte for byte',
    (keys, user, seconds) => {
      vi.useFakeTimers({ toFake: ['Date'] })
      vi.setSystemTime(seconds * 1000)
      const theirs = duo.sign_request(keys.ikey, keys.skey, keys.akey, user)
      expect(signRequest(keys, user, seconds * 1000)).toBe(theirs)
      vi.useRealTimers()
    },
  )

  test.prop([arbKeys, arbUser])('a response the library accepts (its request, an AUTH half signed as Duo does) is accepted by ours, for the same user', (keys, user) => {
    const app = duo.sign_request(keys.ikey, keys.skey, keys.akey, user).split(':')[1] ?? ''
    const now = Date.now()
    const response = `${signAuth(keys, user, Math.floor(now / 1000) + 300)}:${app}`
    expect(duo.verify_response(keys.ikey, keys.skey, keys.akey, response)).toBe(user)
    expect(verifyResponse(keys, response, now)).toEqual({ ok: true, user })
  })

  test.prop([arbKeys, arbUser, fc.string({ maxLength: 200 }), fc.nat({ max: 300 }), fc.nat({ max: 300 })])(
    'on altered responses, we accept nothing the library refuses',
    (keys, user, junk, cut, at) => {
      const now = Date.now()
      const app = signRequest(keys, user, now).split(':')[1] ?? ''
      const valid = `${signAuth(keys, user, Math.floor(now / 1000) + 300)}:${app}`
      const altered = valid.slice(0, cut % (valid.length + 1)) + junk + valid.slice((cut + at) % (valid.length + 1))
      const ours = verifyResponse(keys, altered, now)
      const theirs = duo.verify_response(keys.ikey, keys.skey, keys.akey, altered)
      if (ours.ok) expect(theirs).toBe(ours.user)
    },
  )

  it('the library test vector response verifies in both', () => {
    const keys: DuoKeys = { ikey: 'DIXXXXXXXXXXXXXXXXXX', skey: 'deadbeef'.repeat(5), akey: 'useacustomerprovidedapplicationsecretkey' }
    const app = signRequest(keys, 'testuser', Date.now()).split(':')[1] ?? ''
    const response = `AUTH|dGVzdHVzZXJ8RElYWFhYWFhYWFhYWFhYWFhYWFh8MjI0NzE0MDkyMQ==|d5fa72f8ba5f3d37d70dad615ff4901a77d46989:${app}`
    expect(duo.verify_response(keys.ikey, keys.skey, keys.akey, response)).toBe('testuser')
    expect(verifyResponse(keys, response, Date.now())).toEqual({ ok: true, user: 'testuser' })
  })
})
