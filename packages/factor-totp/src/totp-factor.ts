import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { failure, type AuthnFailure, type VerifyingFactor, type Verification } from '@authn-machine/core'
import {
  GENERATED_SECRET_BYTES,
  PassCodeAnswer,
  SharedSecret,
  TokenEnrollRequest,
  TokenProfile,
  encodeSecret,
  isWellFormedPassCode,
  sameCode,
  secretBytes,
  seedTokenFactor,
  type OtpAlgorithm,
  type OtpDigits,
} from '@authn-machine/factor-hotp'
import { timeStepOf, totpCode, type TotpParameters } from './codes.js'
import { otpauthUri } from './otpauth-uri.js'
import { qrPng } from './qr-code.js'

export type TotpProvider = 'OKTA' | 'GOOGLE'

/** Okta's factor id prefixes: `ost` Okta Verify (OTP), `uft` Google Authenticator. */
export const TOTP_ID_PREFIX: Readonly<Record<TotpProvider, string>> = { OKTA: 'ost', GOOGLE: 'uft' }

export interface TotpOptions {
  /** Digits per code (default 6, Okta's `keyLength`). */
  readonly digits?: OtpDigits
  /** Time step in seconds (default 30, Okta's `timeStep`). */
  readonly step?: number
  /** HMAC hash (default `sha1`, what authenticator apps assume). */
  readonly algorithm?: OtpAlgorithm
  /**
   * Steps accepted around the current one: `past` before it, `future` after it (default 1 and 1:
   * the previous, current and next codes are accepted).
   */
  readonly skew?: { readonly past: number; readonly future: number }
}

export interface TotpConfig extends TotpParameters {
  readonly skew: { readonly past: number; readonly future: number }
}

export const TOTP_DEFAULTS: TotpConfig = { digits: 6, step: 30, algorithm: 'sha1', skew: { past: 1, future: 1 } }

/** The options with their defaults. Throws a RangeError (at construction only) for a step or skew that is not a small non-negative integer. */
export const totpConfig = (o: TotpOptions = {}): TotpConfig => {
  const c: TotpConfig = {
    digits: o.digits ?? TOTP_DEFAULTS.digits,
    step: o.step ?? TOTP_DEFAULTS.step,
    algorithm: o.algorithm ?? TOTP_DEFAULTS.algorithm,
    skew: o.skew ?? TOTP_DEFAULTS.skew,
  }
  if (!Number.isInteger(c.step) || c.step < 1 || c.step > 3600) throw new RangeError(`TOTP step must be an integer from 1 to 3600 seconds, got ${c.step}`)
  for (const k of ['past', 'future'] as const) {
    const v = c.skew[k]
    if (!Number.isInteger(v) || v < 0 || v > 10) throw new RangeError(`TOTP skew.${k} must be an integer from 0 to 10 steps, got ${v}`)
  }
  return c
}

/** The time steps tried for a code at step `current`, in order: the current one, then back in time, then forward. */
export const candidateSteps = (current: number, skew: TotpConfig['skew']): ReadonlyArray<number> => {
  const out = [current]
  for (let i = 1; i <= skew.past; i++) out.push(current - i)
  for (let i = 1; i <= skew.future; i++) out.push(current + i)
  return out
}

const REJECTED: Verification<never> = { _tag: 'Rejected' }
const computeFailed = (): AuthnFailure => failure('E0000009', ['One-time passcode computation failed.'])
const unreadableSecret = (): AuthnFailure => failure('E0000009', ['The factor secret could not be read.'])
const randomFailed = (): AuthnFailure => failure('E0000009', ['Random bytes for the factor secret could not be drawn.'])

/**
 * The first step among the candidates whose code equals `passCode`, or null. Steps at or before
 * `lastCounter` (already used) and before the epoch are not tried, so a replayed code is refused.
 */
export const matchStep = async (
  key: Uint8Array,
  passCode: string,
  current: number,
  lastCounter: number | null,
  c: TotpConfig,
): Promise<number | null> => {
  for (const step of candidateSteps(current, c.skew)) {
    if (step < 0 || (lastCounter !== null && !(step > lastCounter))) continue
    if (sameCode(await totpCode(key, step * c.step, c), passCode)) return step
  }
  return null
}

/** Whether `passCode` is the code of a step in the window that was used already (≤ `lastCounter`). */
export const matchesUsedStep = async (key: Uint8Array, passCode: string, current: number, lastCounter: number | null, c: TotpConfig): Promise<boolean> => {
  if (lastCounter === null) return false
  for (const step of candidateSteps(current, c.skew))
    if (step >= 0 && step <= lastCounter && sameCode(await totpCode(key, step * c.step, c), passCode)) return true
  return false
}

/**
 * RFC 6238 TOTP (`token:software:totp`) for Okta Verify (`OKTA`, ids `ost…`) or Google
 * Authenticator (`GOOGLE`, ids `uft…`). Enrollment draws a 20-byte key from `ctx.random` and is
 * PENDING_ACTIVATION until a first code verifies; `verify` accepts the current step and `skew`
 * steps around it, reports the matched step as `counter`, and refuses steps ≤ `lastCounter`.
 */
export function createTotpFactor(provider: TotpProvider, options: TotpOptions = {}): VerifyingFactor<TokenProfile, SharedSecret, PassCodeAnswer> {
  const c = totpConfig(options)
  return {
    factorType: 'token:software:totp',
    provider,
    idPrefix: TOTP_ID_PREFIX[provider],
    profileCodec: TokenProfile,
    secretCodec: SharedSecret,
    enrollRequestCodec: TokenEnrollRequest,
    answerCodec: PassCodeAnswer,
    enroll: (_request, subject, ctx) =>
      pipe(
        E.tryCatch(() => ctx.random.bytes(GENERATED_SECRET_BYTES), randomFailed),
        E.filterOrElse((b) => b.length === GENERATED_SECRET_BYTES, randomFailed),
        E.map((bytes) => ({ profile: { credentialId: subject.login }, secret: encodeSecret(bytes), activation: 'required' as const })),
        TE.fromEither,
      ),
    seed: (seeded, subject) => seedTokenFactor(seeded, subject),
    verify: (secret, answer, lastCounter, ctx) => {
      if (!isWellFormedPassCode(answer.passCode, c.digits)) return TE.right(REJECTED)
      const key = secretBytes(secret)
      if (key === null) return TE.left(unreadableSecret())
      const nowSeconds = Math.floor(ctx.now / 1000)
      if (!Number.isSafeInteger(nowSeconds) || nowSeconds < 0) return TE.right(REJECTED)
      const current = timeStepOf(nowSeconds, c.step)
      return TE.tryCatch(async (): Promise<Verification<SharedSecret>> => {
        const step = await matchStep(key, answer.passCode, current, lastCounter, c)
        if (step !== null) return { _tag: 'Accepted', counter: step }
        return (await matchesUsedStep(key, answer.passCode, current, lastCounter, c)) ? { _tag: 'Replayed' } : REJECTED
      }, computeFailed)
    },
    profileView: (profile) => ({ credentialId: profile.credentialId }),
    activationView: (_profile, secret, links) => ({
      timeStep: c.step,
      sharedSecret: secret,
      encoding: 'base32',
      keyLength: c.digits,
      _links: { qrcode: { href: links.qrcode, type: 'image/png' } },
    }),
    qrCode: (profile, secret, issuer) =>
      qrPng(otpauthUri({ issuer, account: profile.credentialId, secret, digits: c.digits, period: c.step, algorithm: c.algorithm })),
  }
}
