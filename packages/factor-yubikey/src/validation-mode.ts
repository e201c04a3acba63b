import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import * as t from 'io-ts'
import { CAUSES, failure, type AuthnFailure, type Enrollment, type FactorContext, type SeededFactor, type Verification, type VerifyingFactor } from '@authn-machine/core'
import { PublicId, canonicalPublicId } from './key.js'
import { MALFORMED_OTP_CAUSE, splitOtp } from './otp.js'
import { PassCodeAnswer, YubikeyEnrollRequest, YubikeyProfile } from './requests.js'
import { positionOf } from './token.js'
import { createYubicoValidationClient, type ValidationAnswer, type ValidationError, type YubicoValidationClient, type YubicoValidationOptions } from './validation-client.js'
import type { WsapiStatus } from './wsapi.js'

/**
 * What is stored for a YubiKey enrolled in validation-server mode: its public id only. The key
 * material stays with the validation server, which also keeps each OTP single-use.
 */
export const YubikeyValidationSecret = t.exact(t.type({ publicId: PublicId }), 'YubikeyValidationSecret')
export type YubikeyValidationSecret = t.TypeOf<typeof YubikeyValidationSecret>

/** The cause of 400 E0000074 when the validation servers give no verdict (down, slow, an answer not signed or not about this OTP). */
export const VALIDATION_UNAVAILABLE_CAUSE = 'The YubiKey validation service could not check the code. Try again later.'

const REJECTED: Verification<never> = { _tag: 'Rejected' }
const REPLAYED: Verification<never> = { _tag: 'Replayed' }

const mismatch = (): AuthnFailure => failure('E0000068', [CAUSES.passcodeMismatch])
const replayed = (): AuthnFailure => failure('E0000082', [])
const malformed = (): AuthnFailure => failure('E0000001', [MALFORMED_OTP_CAUSE], 'factorEnrollRequest')
const unavailable = (): AuthnFailure => failure('E0000074', [VALIDATION_UNAVAILABLE_CAUSE])
const refusedRequest = (status: WsapiStatus): AuthnFailure => failure('E0000009', [`The YubiKey validation service refused this server's request (${status}).`])
const unreadableSecret = (): AuthnFailure => failure('E0000009', ['The factor secret could not be read.'])
const seedRefusal = (cause: string): AuthnFailure => failure('E0000001', [cause], 'factor')

/** What an answer means, before enrollment or verification words it. */
type Outcome =
  | { readonly _tag: 'Valid'; readonly position: number | null }
  | { readonly _tag: 'Invalid' }
  | { readonly _tag: 'Replayed' }
  | { readonly _tag: 'Failed'; readonly failure: AuthnFailure }

/**
 * The statuses, decided:
 * - `OK`: valid (its position when the signed answer gives the token's counters);
 * - `BAD_OTP`, `DELAYED_OTP`: a wrong code; `REPLAYED_OTP`: a code used before;
 * - `BAD_SIGNATURE`, `MISSING_PARAMETER`, `NO_SUCH_CLIENT`, `OPERATION_NOT_ALLOWED`: this server's
 *   request or configuration is wrong (500 E0000009, the same at every server of the list);
 * - `BACKEND_ERROR`, `NOT_ENOUGH_ANSWERS`: the service has no verdict (400 E0000074);
 * - `REPLAYED_REQUEST`: this OTP with this nonce was seen before, so an earlier attempt of this very
 *   request reached the service; no retry (a new nonce could only find the OTP used), no verdict.
 */
const outcomeOf = (answer: ValidationAnswer): Outcome => {
  switch (answer.status) {
    case 'OK':
      return {
        _tag: 'Valid',
        position: answer.sessionCounter === null || answer.sessionUse === null ? null : positionOf({ sessionCounter: answer.sessionCounter, sessionUse: answer.sessionUse }),
      }
    case 'BAD_OTP':
    case 'DELAYED_OTP':
      return { _tag: 'Invalid' }
    case 'REPLAYED_OTP':
      return { _tag: 'Replayed' }
    case 'BAD_SIGNATURE':
    case 'MISSING_PARAMETER':
    case 'NO_SUCH_CLIENT':
    case 'OPERATION_NOT_ALLOWED':
      return { _tag: 'Failed', failure: refusedRequest(answer.status) }
    case 'BACKEND_ERROR':
    case 'NOT_ENOUGH_ANSWERS':
    case 'REPLAYED_REQUEST':
      return { _tag: 'Failed', failure: unavailable() }
  }
}

/** No answer to rely on: nothing is said about the code. */
const fromValidationError = (_e: ValidationError): AuthnFailure => unavailable()

/** A fresh nonce for one request: 32 hex digits from the factor context's randomness. */
const nonceOf = (ctx: FactorContext): string => Buffer.from(ctx.random.bytes(16)).toString('hex')

/**
 * YubiKey OTP in validation-server mode: OTPs are checked by Yubico validation servers (protocol
 * 2.0, `createYubicoValidationClient`) instead of against uploaded keys. `enroll` asks the
 * servers about the typed OTP; its public id becomes the factor's `credentialId` and its secret.
 * `verify` refuses an OTP of another public id without asking, then asks; `OK` is `Accepted`
 * with the token's position when the answer gives its counters (so the engine's `lastCounter`
 * guards it too, and a position at or below `lastCounter` is `Replayed`), `REPLAYED_OTP` is
 * `Replayed`, `BAD_OTP` `Rejected`. No verdict is 400 E0000074, a refused request 500 E0000009.
 */
export function createYubikeyValidationFactor(options: YubicoValidationOptions): VerifyingFactor<YubikeyProfile, YubikeyValidationSecret, PassCodeAnswer> {
  return yubikeyValidationFactorWith(createYubicoValidationClient(options))
}

/** The validation-server mode over a given client. */
export function yubikeyValidationFactorWith(client: YubicoValidationClient): VerifyingFactor<YubikeyProfile, YubikeyValidationSecret, PassCodeAnswer> {
  const ask = (otp: string, ctx: FactorContext): TE.TaskEither<AuthnFailure, Outcome> =>
    pipe(
      TE.tryCatch(() => client.verify(otp, nonceOf(ctx))(), () => ({ _tag: 'Unreachable' as const, causes: ['the client threw'] })),
      TE.chainEitherK((r) => r),
      TE.mapLeft(fromValidationError),
      TE.map(outcomeOf),
    )

  const enrollmentOf = (publicId: string): Enrollment<YubikeyProfile, YubikeyValidationSecret> => ({
    profile: { credentialId: publicId },
    secret: { publicId },
    activation: 'none',
  })

  const seed = (seeded: SeededFactor): TE.TaskEither<AuthnFailure, Enrollment<YubikeyProfile, YubikeyValidationSecret>> => {
    const fromSecret = seeded.secret === undefined ? undefined : canonicalPublicId(seeded.secret.trim())
    const raw = seeded.profile['credentialId']
    const fromProfile = typeof raw === 'string' ? canonicalPublicId(raw.trim()) : raw === undefined ? undefined : null
    if (fromSecret === null || fromProfile === null || (fromSecret === undefined && fromProfile === undefined))
      return TE.left(seedRefusal('secret: the public id of the YubiKey (2 to 32 modhex characters); its keys stay with the validation server'))
    if (fromSecret !== undefined && fromProfile !== undefined && fromSecret !== fromProfile) return TE.left(seedRefusal(`credentialId: the key's public id is ${fromSecret}`))
    return TE.right(enrollmentOf(fromSecret ?? fromProfile ?? ''))
  }

  return {
    factorType: 'token:hardware',
    provider: 'YUBICO',
    idPrefix: 'ykf',
    profileCodec: YubikeyProfile,
    secretCodec: YubikeyValidationSecret,
    enrollRequestCodec: YubikeyEnrollRequest,
    answerCodec: PassCodeAnswer,
    enroll: (request, _subject, ctx) => {
      const otp = request.passCode === undefined ? null : splitOtp(request.passCode)
      if (otp === null || request.passCode === undefined) return TE.left(malformed())
      return pipe(
        ask(request.passCode.toLowerCase(), ctx),
        TE.chainEitherK((o): E.Either<AuthnFailure, Enrollment<YubikeyProfile, YubikeyValidationSecret>> => {
          switch (o._tag) {
            case 'Valid':
              return E.right(enrollmentOf(otp.publicId))
            case 'Invalid':
              return E.left(mismatch())
            case 'Replayed':
              return E.left(replayed())
            case 'Failed':
              return E.left(o.failure)
          }
        }),
      )
    },
    seed: (seeded) => seed(seeded),
    verify: (secret, answer, lastCounter, ctx) => {
      if (!YubikeyValidationSecret.is(secret)) return TE.left(unreadableSecret())
      const otp = splitOtp(answer.passCode)
      // Not an OTP, or another key's: wrong, without asking the service.
      if (otp === null || otp.publicId !== secret.publicId) return TE.right(REJECTED)
      // A lastCounter that is not a usable integer fails closed.
      if (lastCounter !== null && !Number.isSafeInteger(lastCounter)) return TE.right(REJECTED)
      return pipe(
        ask(answer.passCode.toLowerCase(), ctx),
        TE.chainEitherK((o): E.Either<AuthnFailure, Verification<YubikeyValidationSecret>> => {
          switch (o._tag) {
            case 'Valid':
              // The service said OK, but the engine saw this position or a later one used: a replay all the same.
              if (o.position !== null && lastCounter !== null && o.position <= lastCounter) return E.right(REPLAYED)
              return E.right({ _tag: 'Accepted', counter: o.position })
            case 'Invalid':
              return E.right(REJECTED)
            case 'Replayed':
              return E.right(REPLAYED)
            case 'Failed':
              return E.left(o.failure)
          }
        }),
      )
    },
    profileView: (profile) => ({ credentialId: profile.credentialId }),
    activationView: () => null,
  }
}
