import { hash as argonHash, type Options } from '@node-rs/argon2'
import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { ARGON2ID_OWASP, argon2NeedsRehash, argon2ParamsOf, createArgon2Hasher, parseArgon2Hash, sameArgon2Params, type Argon2Params } from '../src/index.js'

const NAMES = ['argon2d', 'argon2i', 'argon2id'] as const
/** Standard base64 without padding, as the PHC format writes salts and hashes. */
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64').replace(/=+$/, '')

/**
 * A PHC string with these parameters (the salt and output are random bytes: the parser does not
 * verify). `withoutVersion`: the pre-1.3 form without `v=`, which means 0x10.
 */
const phc = (p: Argon2Params, salt: Uint8Array, out: Uint8Array, withoutVersion = false): string =>
  `$${NAMES[p.algorithm] ?? 'argon2id'}${withoutVersion ? '' : `$v=${p.version === 1 ? 19 : 16}`}$m=${p.memoryCost},t=${p.timeCost},p=${p.parallelism}$${b64(salt)}$${b64(out)}`

/** Parameters inside the library's limits (m >= 8 p KiB, salt >= 8 bytes, output >= 4 bytes). */
const arbParams: fc.Arbitrary<Argon2Params> = fc
  .record({
    algorithm: fc.constantFrom(0, 1, 2),
    version: fc.constantFrom(0, 1),
    parallelism: fc.integer({ min: 1, max: 16 }),
    extraMemory: fc.integer({ min: 0, max: 2 ** 32 - 1 - 128 }),
    timeCost: fc.integer({ min: 1, max: 2 ** 32 - 1 }),
    outputLen: fc.integer({ min: 4, max: 128 }),
    saltLen: fc.integer({ min: 8, max: 64 }),
  })
  .map(({ extraMemory, ...p }) => ({ ...p, memoryCost: 8 * p.parallelism + extraMemory }))

const withBytes = (p: Argon2Params) => fc.tuple(fc.uint8Array({ minLength: p.saltLen, maxLength: p.saltLen }), fc.uint8Array({ minLength: p.outputLen, maxLength: p.outputLen }))

/** The options that make strings with exactly these parameters. */
const optionsOf = (p: Argon2Params): Options => ({
  algorithm: p.algorithm as NonNullable<Options['algorithm']>,
  version: p.version as NonNullable<Options['version']>,
  memoryCost: p.memoryCost,
  timeCost: p.timeCost,
  parallelism: p.parallelism,
  outputLen: p.outputLen,
  ...(p.saltLen === 16 ? {} : { salt: new Uint8Array(p.saltLen) }),
})

/** One parameter changed to another valid value. */
const arbOneChanged = (p: Argon2Params): fc.Arbitrary<Argon2Params> =>
  fc.oneof(
    fc.constantFrom(0, 1, 2).filter((a) => a !== p.algorithm).map((algorithm) => ({ ...p, algorithm })),
    fc.constant({ ...p, version: 1 - p.version }),
    fc.integer({ min: 8 * p.parallelism, max: 2 ** 32 - 1 }).filter((m) => m !== p.memoryCost).map((memoryCost) => ({ ...p, memoryCost })),
    fc.integer({ min: 1, max: 2 ** 32 - 1 }).filter((t) => t !== p.timeCost).map((timeCost) => ({ ...p, timeCost })),
    fc.integer({ min: 1, max: 16 }).filter((n) => n !== p.parallelism).map((parallelism) => ({ ...p, parallelism, memoryCost: Math.max(p.memoryCost, 8 * parallelism) })),
    fc.integer({ min: 4, max: 128 }).filter((n) => n !== p.outputLen).map((outputLen) => ({ ...p, outputLen })),
    fc.integer({ min: 8, max: 64 }).filter((n) => n !== p.saltLen).map((saltLen) => ({ ...p, saltLen })),
  )

describe('argon2 parameters of a stored hash (docs/adr/0015-password-rehash.md)', () => {
  test.prop([arbParams.chain((p) => fc.tuple(fc.constant(p), withBytes(p)))], { numRuns: 300 })(
    'parseArgon2Hash reads back the parameters of any argon2 PHC string',
    ([p, [salt, out]]) => {
      expect(parseArgon2Hash(phc(p, salt, out))).toEqual(p)
      // No `v=`: version 0x10, as argon2's reference implementation reads it.
      expect(parseArgon2Hash(phc(p, salt, out, true))).toEqual({ ...p, version: 0 })
    },
  )

  test.prop([arbParams.chain((p) => fc.tuple(fc.constant(p), withBytes(p)))], { numRuns: 200 })(
    'a hash with exactly the configured parameters needs no rehash',
    ([p, [salt, out]]) => {
      expect(sameArgon2Params(argon2ParamsOf(optionsOf(p)), p)).toBe(true)
      expect(argon2NeedsRehash(optionsOf(p))(phc(p, salt, out))).toBe(false)
    },
  )

  test.prop([arbParams.chain((p) => fc.tuple(fc.constant(p), arbOneChanged(p).chain((q) => fc.tuple(fc.constant(q), withBytes(q)))))], { numRuns: 300 })(
    'a hash that differs from the configured parameters in any one of them (algorithm, version, m, t, p, output or salt length), weaker or stronger, needs a rehash',
    ([configured, [stored, [salt, out]]]) => {
      expect(sameArgon2Params(configured, stored)).toBe(false)
      expect(argon2NeedsRehash(optionsOf(configured))(phc(stored, salt, out))).toBe(true)
    },
  )

  test.prop([fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('', '$', '$argon2id$', '$trivial$abc', '$2b$10$abcdefghijklmnopqrstuuJ9N1jGm0s8m0bZ0y7h0Xqz8w7Yl9ZyS'))], { numRuns: 500 })(
    'any string the parser cannot read needs a rehash (it is only asked after a verification), and nothing throws',
    (s) => {
      const parsed = parseArgon2Hash(s)
      const needs = argon2NeedsRehash(ARGON2ID_OWASP)(s)
      if (parsed === null) expect(needs).toBe(true)
      else expect(needs).toBe(!sameArgon2Params(parsed, argon2ParamsOf(ARGON2ID_OWASP)))
    },
  )

  it('unreadable argon2 strings: leading zeros, a missing parameter, a short salt or output, costs below the minimum, other text around it', () => {
    const ok = phc(argon2ParamsOf(ARGON2ID_OWASP), new Uint8Array(16), new Uint8Array(32))
    expect(parseArgon2Hash(ok)).not.toBeNull()
    for (const bad of [
      ok.replace('m=19456', 'm=019456'),
      ok.replace(',p=1', ''),
      ok.replace('m=19456', 'm=4294967296'),
      ok.replace('m=19456', 'm=7'),
      ok.replace('t=2', 't=0'),
      ok.replace('v=19', 'v=20'),
      ok.slice(0, ok.lastIndexOf('$')),
      `${ok.slice(0, ok.lastIndexOf('$'))}$AAAA`,
      ` ${ok}`,
      `${ok}\n`,
      `${ok}$extra`,
      `${ok}=`,
    ])
      expect([bad, parseArgon2Hash(bad)]).toEqual([bad, null])
  })

  it('real hashes: the configured parameters need no rehash; weaker, stronger, argon2i, version 0x10, another output length and other algorithms do', async () => {
    const current: Options = { algorithm: 2, memoryCost: 64, timeCost: 2, parallelism: 1 }
    const needs = createArgon2Hasher(current).needsRehash
    if (needs === undefined) throw new Error('the argon2 hasher tells which hashes need a rehash')
    expect(needs(await argonHash('pw', current))).toBe(false)
    for (const other of [
      { ...current, memoryCost: 32, timeCost: 1 },
      { ...current, memoryCost: 128 },
      { ...current, timeCost: 3 },
      { ...current, parallelism: 2 },
      { ...current, algorithm: 1 as const },
      { ...current, version: 0 as const },
      { ...current, outputLen: 16 },
    ])
      expect([other, needs(await argonHash('pw', other))]).toEqual([other, true])
    expect(needs('$2b$10$abcdefghijklmnopqrstuuJ9N1jGm0s8m0bZ0y7h0Xqz8w7Yl9ZyS')).toBe(true)
    // The default hasher and the default parameters agree.
    expect(createArgon2Hasher().needsRehash?.(phc(argon2ParamsOf(ARGON2ID_OWASP), new Uint8Array(16), new Uint8Array(32)))).toBe(false)
    expect(argon2ParamsOf({})).toEqual(argon2ParamsOf(ARGON2ID_OWASP))
  })
})
