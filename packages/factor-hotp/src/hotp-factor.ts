import * as TE from 'fp-ts/lib/TaskEither.js'
import { failure, type AuthnFailure, type VerifyingFactor, type FactorSubject, type SeededFactor, type Verification } from '@authn-machine/core'
import { hotpCode, isWellFormedPassCode, sameCode, type HotpParameters, type OtpAlgorithm, type OtpDigits } from './codes.js'
import { PassCodeAnswer, TokenEnrollRequest, TokenProfile } from './requests.js'
import { SharedSecret, canonicalSecret, secretBytes } from './shared-secret.js'

export interface HotpOptions {
  /** Digits per code (default 6). */
  readonly digits?: OtpDigits
  /** HMAC hash (default `sha1`, RFC 4226's). */
  readonly algorithm?: OtpAlgorithm
  /**
   * RFC 4226 §7.4 look-ahead: how many counters past the expected one are tried (default 10, so
   * 11 values: the expected counter and the 10 after it).
   */
  readonly lookAhead?: number
}

export interface HotpConfig extends HotpParameters {
  readonly lookAhead: number
}

export const HOTP_DEFAULTS: HotpConfig = { digits: 6, algorithm: 'sha1', lookAhead: 10 }

/** The options with their defaults. Throws a RangeError (at construction only) for a look-ahead that is not an integer from 0 to 100. */
export const hotpConfig = (o: HotpOptions = {}): HotpConfig => {
  const c: HotpConfig = {
    digits: o.digits ?? HOTP_DEFAULTS.digits,
    algorithm: o.algorithm ?? HOTP_DEFAULTS.algorithm,
    lookAhead: o.lookAhead ?? HOTP_DEFAULTS.lookAhead,
  }
  if (!Number.isInteger(c.lookAhead) || c.lookAhead < 0 || c.lookAhead > 100)
    throw new RangeError(`HOTP lookAhead must be an integer from 0 to 100, got ${c.lookAhead}`)
  return c
}

/** The cause of the refusal to enroll through authn (§4.6: token:hotp is enrolled with the Factors API only). */
export const HOTP_ENROLL_REFUSAL = 'Factor type token:hotp (provider CUSTOM) cannot be enrolled through the authentication API.'

const REJECTED: Verification<never> = { _tag: 'Rejected' }
const computeFailed = (): AuthnFailure => failure('E0000009', ['One-time passcode computation failed.'])
const unreadableSecret = (): AuthnFailure => failure('E0000009', ['The factor secret could not be read.'])

/** A token factor from a seed: its base32 secret (required) and `credentialId` (default: the login). */
export const seedTokenFactor = (
  seeded: SeededFactor,
  subject: FactorSubject,
): TE.TaskEither<AuthnFailure, { readonly profile: TokenProfile; readonly secret: SharedSecret; readonly activation: 'none' }> => {
  const secret = seeded.secret === undefined ? null : canonicalSecret(seeded.secret)
  const credentialId = typeof seeded.profile['credentialId'] === 'string' ? seeded.profile['credentialId'] : subject.login
  return secret === null
    ? TE.left(failure('E0000001', ['secret: a base32 shared secret of 10 to 64 bytes is required'], 'factor'))
    : TE.right({ profile: { credentialId }, secret, activation: 'none' })
}

/** The counter expected next: 0 for a factor never used, else one past the last used (null when `lastCounter` is not a usable integer). */
export const nextCounter = (lastCounter: number | null): number | null => {
  if (lastCounter === null) return 0
  if (!Number.isSafeInteger(lastCounter)) return null
  return Math.max(0, lastCounter + 1)
}

/** The first counter from `next` to `next + lookAhead` whose code equals `passCode`, or null. */
export const matchCounter = async (key: Uint8Array, passCode: string, next: number, c: HotpConfig): Promise<number | null> => {
  for (let counter = next; counter <= next + c.lookAhead && counter <= Number.MAX_SAFE_INTEGER; counter++) {
    if (sameCode(await hotpCode(key, counter, c), passCode)) return counter
  }
  return null
}

/**
 * RFC 4226 HOTP (`token:hotp`, provider `CUSTOM`, ids `chf…`). Not enrollable through authn (§4.6):
 * `enroll` answers 400 E0000001; factors are seeded (or enrolled with the Factors API). `verify`
 * tries the expected counter (`lastCounter + 1`, or 0) and `lookAhead` counters after it, and
 * reports the matched counter, which resynchronises the factor (counters at or before
 * `lastCounter` are never tried again, so a code is accepted once).
 */
export function createHotpFactor(options: HotpOptions = {}): VerifyingFactor<TokenProfile, SharedSecret, PassCodeAnswer> {
  const c = hotpConfig(options)
  return {
    factorType: 'token:hotp',
    provider: 'CUSTOM',
    idPrefix: 'chf',
    profileCodec: TokenProfile,
    secretCodec: SharedSecret,
    enrollRequestCodec: TokenEnrollRequest,
    answerCodec: PassCodeAnswer,
    enroll: () => TE.left(failure('E0000001', [HOTP_ENROLL_REFUSAL], 'factorEnrollRequest')),
    seed: (seeded, subject) => seedTokenFactor(seeded, subject),
    verify: (secret, answer, lastCounter) => {
      if (!isWellFormedPassCode(answer.passCode, c.digits)) return TE.right(REJECTED)
      const key = secretBytes(secret)
      if (key === null) return TE.left(unreadableSecret())
      const next = nextCounter(lastCounter)
      if (next === null) return TE.right(REJECTED)
      return TE.tryCatch(async (): Promise<Verification<SharedSecret>> => {
        const counter = await matchCounter(key, answer.passCode, next, c)
        if (counter !== null) return { _tag: 'Accepted', counter }
        // The code of a counter already used (the last few): a replay, not a wrong code.
        const earliest = Math.max(0, next - 1 - c.lookAhead)
        const replayed = next > 0 && (await matchCounter(key, answer.passCode, earliest, { ...c, lookAhead: next - 1 - earliest })) !== null
        return replayed ? { _tag: 'Replayed' } : REJECTED
      }, computeFailed)
    },
    profileView: (profile) => ({ credentialId: profile.credentialId }),
    activationView: () => null,
  }
}
