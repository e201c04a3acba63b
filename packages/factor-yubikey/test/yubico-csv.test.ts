import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { expectLeft, expectRight, run } from '@authn-machine/testkit'
import { keySourceFromYubicoCsv, keySourceOf, parseYubicoCsv, parseYubicoCsvRow, type YubikeyKey } from '../src/index.js'
import { arbKey } from './otp-generator.js'

const A: YubikeyKey = { serial: 4102994, publicId: 'ccccccdvnbhl', privateId: 'a1b2c3d4e5f6', aesKey: '5b3c9a0f7d2e4b6a8c1d3e5f7a9b0c2d' }
const B: YubikeyKey = { serial: 7886622, publicId: 'ccccccrtkjbe', privateId: '0f1e2d3c4b5a', aesKey: 'd2c4e6f8a0b1c3d5e7f9a1b3c5d7e9f0' }
const C: YubikeyKey = { serial: 12, publicId: 'vvcccccccccb', privateId: '00000000000a', aesKey: '000102030405060708090a0b0c0d0e0f' }

/** A Personalization Tool log in Yubico format, as an admin might upload it (CRLF, comments, a spreadsheet's quotes, upper case). */
const LOG = [
  'LOGGING START,11/30/26 10:15 AM',
  `${A.serial},${A.publicId},${A.privateId},${A.aesKey},,2026-11-30T10:15:31,`,
  '# second key, written with its access code',
  `${B.serial},${B.publicId.toUpperCase()},${B.privateId.toUpperCase()},${B.aesKey.toUpperCase()},0a0b0c0d0e0f,2026-11-30T10:16:02,,0 # slot 2`,
  '',
  `"${C.serial}","${C.publicId}","${C.privateId}","${C.aesKey}"`,
  '   ',
].join('\r\n')

describe('Yubico-format CSV', () => {
  it('reads serial, public id, private id and AES key from each row; skips blank, comment and LOGGING START lines', () => {
    expect(expectRight(parseYubicoCsv(LOG))).toEqual([A, B, C])
    expect(expectRight(parseYubicoCsv(''))).toEqual([])
  })

  it('reports every problem with its line number', () => {
    const text = [
      `${A.serial},${A.publicId},${A.privateId},${A.aesKey}`,
      'Yubico OTP,11/30/2026 10:15 AM,1,ccccccdvnbhl,a1b2c3d4e5f6,5b3c9a0f7d2e4b6a8c1d3e5f7a9b0c2d,,,0,0,0,0,0,0,0,0,0,0',
      `${B.serial},${B.publicId}c,${B.privateId},${B.aesKey}`,
      `${B.serial},${B.publicId},${B.privateId}0,${B.aesKey}`,
      `${B.serial},${B.publicId},${B.privateId},${B.aesKey}${B.aesKey}`,
      `${B.serial},${B.publicId},${B.privateId}`,
      `${C.serial},${A.publicId},${C.privateId},${C.aesKey}`,
      `1234567890123,${C.publicId},${C.privateId},${C.aesKey}`,
      `,,${C.privateId},${C.aesKey}`,
    ].join('\n')
    const problems = expectLeft(parseYubicoCsv(text))
    expect(problems).toHaveLength(8)
    expect(problems.map((p) => p.slice(0, p.indexOf(':', 5)))).toEqual(['line 2', 'line 3', 'line 4', 'line 5', 'line 6', 'line 7', 'line 8', 'line 9'])
    expect(problems[0]).toContain('Traditional format')
    expect(problems[1]).toMatch(/^line 3: publicId: a public id of 2 to 32 modhex/)
    expect(problems[2]).toMatch(/^line 4: privateId: a private id of 12 hex digits/)
    expect(problems[3]).toMatch(/^line 5: aesKey: an AES-128 key of 32 hex digits/)
    expect(problems[4]).toMatch(/^line 6: expected at least 4 comma-separated fields/)
    expect(problems[5]).toBe(`line 7: publicId: ${A.publicId} is already on line 1`)
  })

  test.prop([fc.uniqueArray(arbKey, { maxLength: 8, selector: (k) => k.publicId })])('keys written as rows read back as the same keys', (keys) => {
    const text = keys.map((k) => `${k.serial},${k.publicId},${k.privateId},${k.aesKey},,2026-11-30T10:15:31,`).join('\n')
    expect(expectRight(parseYubicoCsv(text))).toEqual(keys)
    for (const k of keys) expect(expectRight(parseYubicoCsvRow(`${k.serial},${k.publicId},${k.privateId},${k.aesKey}`))).toEqual(k)
  })
})

describe('key sources', () => {
  it('a source over a CSV finds a key by public id (any case); an unknown one is null', async () => {
    const keys = expectRight(keySourceFromYubicoCsv(LOG))
    expect(expectRight(await run(keys(B.publicId)))).toEqual(B)
    expect(expectRight(await run(keys(A.publicId.toUpperCase())))).toEqual(A)
    expect(expectRight(await run(keys('ccccccvvvvvv')))).toBeNull()
    expect(keySourceFromYubicoCsv('x,y')._tag).toBe('Left')
  })

  it('keySourceOf throws a RangeError for a malformed key or two keys with one public id, at construction', () => {
    expect(() => keySourceOf([A, { ...B, publicId: A.publicId.toUpperCase() }])).toThrow(RangeError)
    expect(() => keySourceOf([{ ...A, aesKey: 'abc' }])).toThrow(RangeError)
    expect(() => keySourceOf([{ ...A, serial: -1 }])).toThrow(RangeError)
  })
})
