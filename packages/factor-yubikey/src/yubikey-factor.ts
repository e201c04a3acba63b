import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { CAUSES, failure, type AuthnFailure, type Enrollment, type SeededFactor, type Verification, type VerifyingFactor } from '@authn-machine/core'
import { YubikeyKey, canonicalPublicId, credentialIdOf } from './key.js'
import type { YubikeyKeySource } from './key-source.js'
import { MALFORMED_OTP_CAUSE, checkOtp, splitOtp, type SplitOtp } from './otp.js'
import { PassCodeAnswer, YubikeyEnrollRequest, YubikeyProfile } from './requests.js'
import { YubikeySecret } from './secret.js'
import type { YubicoValidationOptions } from './validation-client.js'
import { createYubikeyValidationFactor, type YubikeyValidationSecret } from './validation-mode.js'
import { parseYubicoCsvRow } from './yubico-csv.js'

export { MALFORMED_OTP_CAUSE }

/** Local mode: OTPs checked against the keys an admin uploaded. */
export interface YubikeyLocalOptions {
  /** Where the keys an admin uploaded are found, by public id (see `keySourceOf`, `keySourceFromYubicoCsv`). */
  readonly keys: YubikeyKeySource
  readonly validation?: undefined
}

/** Validation-server mode: OTPs checked by Yubico validation servers (protocol 2.0); no keys here. */
export interface YubikeyValidationModeOptions {
  readonly validation: YubicoValidationOptions
  readonly keys?: undefined
}

/** One mode or the other. */
export type YubikeyOptions = YubikeyLocalOptions | YubikeyValidationModeOptions

type YubikeyEnrollment = Enrollment<YubikeyProfile, YubikeySecret>

const REJECTED: Verification<never> = { _tag: 'Rejected' }
const REPLAYED: Verification<never> = { _tag: 'Replayed' }
const mismatch = (): AuthnFailure => failure('E0000068', [CAUSES.passcodeMismatch])
const malformed = (): AuthnFailure => failure('E0000001', [MALFORMED_OTP_CAUSE], 'factorEnrollRequest')
const unreadableSecret = (): AuthnFailure => failure('E0000009', ['The factor secret could not be read.'])
const unusableKey = (): AuthnFailure => failure('E0000009', ['The YubiKey key could not be used.'])
const storeUnavailable = (): AuthnFailure => failure('E0000009', ['The YubiKey key store could not be read.'])
const seedRefusal = (cause: string): AuthnFailure => failure('E0000001', [cause], 'factor')

/** A key from the source, decoded (so a source may give upper-case hex); a key the codec refuses is a server fault. */
const lookUp = (keys: YubikeyKeySource, publicId: string): TE.TaskEither<AuthnFailure, YubikeyKey | null> =>
  pipe(
    TE.tryCatch(() => keys(publicId)(), storeUnavailable),
    TE.chainEitherK(E.mapLeft(storeUnavailable)),
    TE.chainEitherK((raw) => {
      if (raw === null) return E.right(null)
      const key = YubikeyKey.decode(raw)
      if (key._tag === 'Left') return E.left(unusableKey())
      // A source that answers with another key's row has no key for this public id.
      return E.right(key.right.publicId === publicId ? key.right : null)
    }),
  )

const enrollmentOf = (key: YubikeyKey, enrolledCounter: number | null): YubikeyEnrollment => ({
  profile: { credentialId: credentialIdOf(key.serial) },
  secret: { publicId: key.publicId, privateId: key.privateId, aesKey: key.aesKey, enrolledCounter },
  activation: 'none',
})

/** The greatest position used so far, or `invalid` when `lastCounter` is not a usable integer (fail closed). */
const usedUpTo = (lastCounter: number | null, enrolledCounter: number | null): number | null | 'invalid' => {
  if (lastCounter !== null && !Number.isSafeInteger(lastCounter)) return 'invalid'
  if (lastCounter === null) return enrolledCounter
  return enrolledCounter === null ? lastCounter : Math.max(lastCounter, enrolledCounter)
}

/** Enrolls with the OTP the key typed: its public id names an uploaded key, and the OTP must be that key's. */
const enrollWith = (keys: YubikeyKeySource, otp: SplitOtp): TE.TaskEither<AuthnFailure, YubikeyEnrollment> =>
  pipe(
    lookUp(keys, otp.publicId),
    TE.chainEitherK((key) => {
      if (key === null) return E.left(mismatch())
      const check = checkOtp(otp, key)
      if (check._tag === 'Invalid') return E.left(check.reason === 'key' ? unusableKey() : mismatch())
      return E.right(enrollmentOf(key, check.position))
    }),
  )

/**
 * A seeded YubiKey: `secret` is one Yubico-format CSV row (`serial,publicId,privateId,aesKey`),
 * or the public id of a key in the key source. Its `credentialId`, when given, must be the key's.
 */
const seedWith = (keys: YubikeyKeySource, seeded: SeededFactor): TE.TaskEither<AuthnFailure, YubikeyEnrollment> => {
  const given = seeded.secret
  if (given === undefined) return TE.left(seedRefusal('secret: a Yubico-format row (serial,publicId,privateId,aesKey) or a public id of the key store is required'))
  const key: TE.TaskEither<AuthnFailure, YubikeyKey> = given.includes(',')
    ? TE.fromEither(pipe(parseYubicoCsvRow(given), E.mapLeft((problems) => seedRefusal(`secret: ${problems.join('; ')}`))))
    : pipe(
        TE.fromNullable(seedRefusal('secret: not a public id (2 to 32 modhex characters) nor a Yubico-format row'))(canonicalPublicId(given.trim())),
        TE.chain((publicId) => pipe(lookUp(keys, publicId), TE.chain(TE.fromNullable(seedRefusal(`secret: no key with the public id ${publicId} in the key store`))))),
      )
  return pipe(
    key,
    TE.filterOrElse(
      (k) => seeded.profile['credentialId'] === undefined || seeded.profile['credentialId'] === credentialIdOf(k.serial),
      (k) => seedRefusal(`credentialId: the key's serial number is ${credentialIdOf(k.serial)}`),
    ),
    TE.map((k) => enrollmentOf(k, null)),
  )
}

/**
 * YubiKey OTP (`token:hardware`, provider `YUBICO`, ids `ykf…`), checked locally as Okta does:
 * no validation service, the keys come from the admin (`keys`). `enroll` takes the OTP the key
 * types (`passCode`): its public id must name an uploaded key and the OTP must be that key's;
 * the factor is ACTIVE at once, its `credentialId` the key's 12-digit serial. `verify` decrypts
 * the OTP (AES-128-ECB), checks the CRC-16 and the private id, and accepts it only when its
 * one-time position (`sessionCounter * 256 + sessionUse`) is above every position used before
 * (the enrollment OTP's and `lastCounter`); an earlier or equal one is `Replayed`.
 */
export function createYubikeyFactor(options: YubikeyLocalOptions): VerifyingFactor<YubikeyProfile, YubikeySecret, PassCodeAnswer>
/**
 * The same factor in validation-server mode (`{ validation: { urls, clientId, apiKey, timeoutMs } }`):
 * see `createYubikeyValidationFactor`. Its secret is the key's public id only.
 */
export function createYubikeyFactor(options: YubikeyValidationModeOptions): VerifyingFactor<YubikeyProfile, YubikeyValidationSecret, PassCodeAnswer>
export function createYubikeyFactor(
  options: YubikeyOptions,
): VerifyingFactor<YubikeyProfile, YubikeySecret, PassCodeAnswer> | VerifyingFactor<YubikeyProfile, YubikeyValidationSecret, PassCodeAnswer> {
  const keys = (options as YubikeyOptions | undefined)?.keys
  const validation = (options as YubikeyOptions | undefined)?.validation
  if (keys !== undefined && validation !== undefined) throw new TypeError('createYubikeyFactor: give `keys` (local mode) or `validation` (validation-server mode), not both')
  if (validation !== undefined) return createYubikeyValidationFactor(validation)
  if (typeof keys !== 'function') throw new TypeError('createYubikeyFactor: `keys` must be a key source (publicId => TaskEither)')
  return localFactor(keys)
}

/** The local mode over a key source. */
const localFactor = (keys: YubikeyKeySource): VerifyingFactor<YubikeyProfile, YubikeySecret, PassCodeAnswer> => {
  return {
    factorType: 'token:hardware',
    provider: 'YUBICO',
    idPrefix: 'ykf',
    profileCodec: YubikeyProfile,
    secretCodec: YubikeySecret,
    enrollRequestCodec: YubikeyEnrollRequest,
    answerCodec: PassCodeAnswer,
    enroll: (request) => {
      const otp = request.passCode === undefined ? null : splitOtp(request.passCode)
      return otp === null ? TE.left(malformed()) : enrollWith(keys, otp)
    },
    seed: (seeded) => seedWith(keys, seeded),
    verify: (secret, answer, lastCounter) => {
      if (!YubikeySecret.is(secret)) return TE.left(unreadableSecret())
      const otp = splitOtp(answer.passCode)
      if (otp === null) return TE.right(REJECTED)
      const check = checkOtp(otp, secret)
      if (check._tag === 'Invalid') return check.reason === 'key' ? TE.left(unusableKey()) : TE.right(REJECTED)
      const used = usedUpTo(lastCounter, secret.enrolledCounter)
      if (used === 'invalid') return TE.right(REJECTED)
      return TE.right(used !== null && check.position <= used ? REPLAYED : { _tag: 'Accepted', counter: check.position })
    },
    profileView: (profile) => ({ credentialId: profile.credentialId }),
    activationView: () => null,
  }
}

