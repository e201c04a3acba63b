import { parseOptions, type Options } from '@node-rs/argon2'

/**
 * What a stored argon2 hash (a PHC string, `$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) says it was
 * made with, in `@node-rs/argon2`'s numbering: `algorithm` 0 argon2d, 1 argon2i, 2 argon2id;
 * `version` 0 for 0x10 (also a string without `v=`), 1 for 0x13 (`v=19`). Lengths in bytes.
 */
export interface Argon2Params {
  readonly algorithm: number
  readonly version: number
  readonly memoryCost: number
  readonly timeCost: number
  readonly parallelism: number
  readonly outputLen: number
  readonly saltLen: number
}

/**
 * The library's defaults (its documentation; `Algorithm` and `Version` are const enums, which
 * `verbatimModuleSyntax` cannot import as values, hence the numbers). It draws 16-byte salts.
 */
const DEFAULTS: Argon2Params = { algorithm: 2, version: 1, memoryCost: 19_456, timeCost: 2, parallelism: 1, outputLen: 32, saltLen: 16 }

/** The parameters `hash(plain, options)` writes into the strings it makes. */
export const argon2ParamsOf = (options: Options): Argon2Params => ({
  algorithm: options.algorithm ?? DEFAULTS.algorithm,
  version: options.version ?? DEFAULTS.version,
  memoryCost: options.memoryCost ?? DEFAULTS.memoryCost,
  timeCost: options.timeCost ?? DEFAULTS.timeCost,
  parallelism: options.parallelism ?? DEFAULTS.parallelism,
  outputLen: options.outputLen ?? DEFAULTS.outputLen,
  saltLen: options.salt?.length ?? DEFAULTS.saltLen,
})

/**
 * The parameters of a PHC string, or null when it is not an argon2 one the library can read. Read
 * by the library's own parser (`parseOptions`, the one `verify` runs), not by a second one of ours:
 * two parsers could disagree about a string one of them verifies (parameters in another order,
 * `keyid`/`data`, a missing `v=`), and then a hash could be rehashed for ever or never.
 */
export const parseArgon2Hash = (hash: string): Argon2Params | null => {
  try {
    const p = parseOptions(hash)
    return { algorithm: p.algorithm, version: p.version, memoryCost: p.memoryCost, timeCost: p.timeCost, parallelism: p.parallelism, outputLen: p.outputLen, saltLen: p.saltLen }
  } catch {
    return null
  }
}

/** Every parameter equal. */
export const sameArgon2Params = (a: Argon2Params, b: Argon2Params): boolean =>
  a.algorithm === b.algorithm &&
  a.version === b.version &&
  a.memoryCost === b.memoryCost &&
  a.timeCost === b.timeCost &&
  a.parallelism === b.parallelism &&
  a.outputLen === b.outputLen &&
  a.saltLen === b.saltLen

/**
 * `Hasher.needsRehash` for a hasher that hashes with `options`: true unless the hash is an argon2
 * PHC string with exactly the parameters `options` produce. So a hash of another algorithm
 * (bcrypt, argon2i) or one the library cannot read needs a rehash: that is safe only because the
 * engine asks about a hash that has just VERIFIED the password (this hasher verifies no other
 * algorithm, so in practice only a hasher that also verifies a legacy scheme ever gets there).
 * A difference either way counts, weaker or stronger (as PHP's `password_needs_rehash`): lowering
 * the cost is a decision the operator took. Not visible in the string, so never a reason: a
 * changed `secret` (pepper), under which old hashes no longer verify at all.
 */
export const argon2NeedsRehash = (options: Options): ((hash: string) => boolean) => {
  const wanted = argon2ParamsOf(options)
  return (hash) => {
    const stored = parseArgon2Hash(hash)
    return stored === null || !sameArgon2Params(stored, wanted)
  }
}
