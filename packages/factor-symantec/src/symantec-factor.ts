import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { CAUSES, failure, type AuthnFailure, type Enrollment, type FactorContext, type SeededFactor, type Verification, type VerifyingFactor } from '@authn-machine/core'
import { classify, type ReasonClass } from './reason-codes.js'
import { PassCodeAnswer, SymantecEnrollRequest, SymantecProfile, SymantecSecret, canonicalCredentialId, isSecurityCode } from './requests.js'
import type { VipStatus } from './soap.js'
import { createVipClient, type VipClient, type VipClientOptions, type VipError } from './vip-client.js'

export interface SymantecOptions extends VipClientOptions {
  /**
   * Reason codes the configured service answers for a code used before (4 hex digits). Such an
   * answer is `Replayed` (403 E0000082). Default: none (VIP answers a reused code as invalid,
   * 49B5, which is `Rejected`).
   */
  readonly replayReasonCodes?: ReadonlyArray<string>
}

/** A VIP factor, and the way to close its pooled connections. */
export type SymantecFactor = VerifyingFactor<SymantecProfile, SymantecSecret, PassCodeAnswer> & {
  /** Closes the factor's HTTPS agent (a server's shutdown). */
  readonly close: () => void
}

type SymantecEnrollment = Enrollment<SymantecProfile, SymantecSecret>

/** The cause of an enroll request whose fields are not shaped as a credential id and two codes (400 E0000001). */
export const MALFORMED_ENROLL_CAUSES = {
  credentialId: 'credentialId: A VIP credential id is 4 to 40 letters and digits (VSMT14393584).',
  passCode: 'passCode: A VIP security code is 6 to 8 digits.',
  nextPassCode: 'nextPassCode: A VIP security code is 6 to 8 digits, the one after passCode.',
} as const

/** The cause of 403 E0000068 for a credential the service reports disabled or locked. */
export const DISABLED_CAUSE = 'Your VIP credential is disabled or locked. Contact your administrator.'
/** The cause of 400 E0000074 when the service gives no verdict (down, slow, TLS refused, unreadable answer). */
export const UNAVAILABLE_CAUSE = 'The Symantec VIP service could not check the code. Try again later.'

const REJECTED: Verification<never> = { _tag: 'Rejected' }
const REPLAYED: Verification<never> = { _tag: 'Replayed' }
const ACCEPTED: Verification<never> = { _tag: 'Accepted', counter: null }

const serviceError = (): AuthnFailure => failure('E0000074', [UNAVAILABLE_CAUSE])
const disabled = (): AuthnFailure => failure('E0000068', [DISABLED_CAUSE])
const mismatch = (): AuthnFailure => failure('E0000068', [CAUSES.passcodeMismatch])
const replayed = (): AuthnFailure => failure('E0000082', [])
const unreadableSecret = (): AuthnFailure => failure('E0000009', ['The factor secret could not be read.'])

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'
/** A request id for the service (`Id`): 20 random letters and digits. */
const requestIdOf = (ctx: FactorContext): string => Array.from(ctx.random.bytes(20), (b) => ID_ALPHABET.charAt(b % ID_ALPHABET.length)).join('')

/** Every transport failure is the same answer: no verdict on the code, nothing counted. */
const fromVipError = (_e: VipError): AuthnFailure => serviceError()

/** The reason class of a status (the service's own words are not shown to the user). */
const classOf = (replayCodes: ReadonlySet<string>) => (status: VipStatus): ReasonClass => classify(status.reasonCode, replayCodes)

/**
 * Symantec VIP (`token`, provider `SYMANTEC`, ids `ufv…`). Codes are checked by the VIP
 * validation service over SOAP 1.1 with mutual TLS (`createVipClient`: one HTTPS agent holding
 * this org's client certificate). `enroll` takes `profile.credentialId`, `passCode` and
 * `nextPassCode` and asks the service to `Synchronize` the credential with the two consecutive
 * codes; the factor is ACTIVE at once. `verify` asks `Validate(TokenId, OTP)`: success is
 * `Accepted` (no counter: the service keeps each code single-use), an invalid code `Rejected`,
 * a code the service reports as used before `Replayed`. A credential the service reports disabled
 * or locked answers 403 E0000068 with `DISABLED_CAUSE`; a service that is down, slow, refuses
 * the TLS handshake or answers something unreadable answers 400 E0000074 (Factor Service Error).
 * Neither is counted toward lockout. Throws a TypeError (at construction only) for bad options.
 */
export function createSymantecFactor(options: SymantecOptions): SymantecFactor {
  return symantecFactorWith(createVipClient(options), options.replayReasonCodes ?? [])
}

/** The factor over a given VIP client (a test's, or one shared with other tooling). */
export function symantecFactorWith(client: VipClient, replayReasonCodes: ReadonlyArray<string> = []): SymantecFactor {
  for (const code of replayReasonCodes)
    if (!/^[0-9A-Fa-f]{4}$/.test(code) || code === '0000') throw new TypeError(`symantecFactorWith: replay reason code ${code} is not 4 hex digits other than 0000`)
  const replayCodes: ReadonlySet<string> = new Set(replayReasonCodes.map((c) => c.toUpperCase()))
  const classOfStatus = classOf(replayCodes)

  const enroll = (request: { readonly profile: Readonly<Record<string, unknown>>; readonly passCode?: string; readonly nextPassCode?: string }, ctx: FactorContext): TE.TaskEither<AuthnFailure, SymantecEnrollment> => {
    const raw = request.profile['credentialId']
    const credentialId = typeof raw === 'string' ? canonicalCredentialId(raw) : null
    const { passCode, nextPassCode } = request
    const causes = [
      ...(credentialId === null ? [MALFORMED_ENROLL_CAUSES.credentialId] : []),
      ...(passCode !== undefined && isSecurityCode(passCode) ? [] : [MALFORMED_ENROLL_CAUSES.passCode]),
      ...(nextPassCode !== undefined && isSecurityCode(nextPassCode) ? [] : [MALFORMED_ENROLL_CAUSES.nextPassCode]),
    ]
    if (credentialId === null || passCode === undefined || nextPassCode === undefined || causes.length > 0) return TE.left(failure('E0000001', causes, 'factorEnrollRequest'))
    return pipe(
      client.synchronize(requestIdOf(ctx), credentialId, passCode, nextPassCode),
      TE.mapLeft(fromVipError),
      TE.chainEitherK((status): E.Either<AuthnFailure, SymantecEnrollment> => {
        switch (classOfStatus(status)) {
          case 'success':
            return E.right({ profile: { credentialId }, secret: { tokenId: credentialId }, activation: 'none' })
          case 'invalid':
          case 'syncRequired':
            return E.left(mismatch())
          case 'replayed':
            return E.left(replayed())
          case 'disabled':
            return E.left(disabled())
          case 'unexpected':
            return E.left(serviceError())
        }
      }),
    )
  }

  const seed = (seeded: SeededFactor): TE.TaskEither<AuthnFailure, SymantecEnrollment> => {
    const raw = seeded.profile['credentialId'] ?? seeded.secret
    const credentialId = typeof raw === 'string' ? canonicalCredentialId(raw) : null
    return credentialId === null
      ? TE.left(failure('E0000001', [MALFORMED_ENROLL_CAUSES.credentialId], 'factor'))
      : TE.right({ profile: { credentialId }, secret: { tokenId: credentialId }, activation: 'none' })
  }

  const verify = (secret: SymantecSecret, answer: PassCodeAnswer, ctx: FactorContext): TE.TaskEither<AuthnFailure, Verification<SymantecSecret>> => {
    if (!SymantecSecret.is(secret)) return TE.left(unreadableSecret())
    // Not a security code: wrong, without asking the service.
    if (!isSecurityCode(answer.passCode)) return TE.right(REJECTED)
    return pipe(
      client.validate(requestIdOf(ctx), secret.tokenId, answer.passCode),
      TE.mapLeft(fromVipError),
      TE.chainEitherK((status): E.Either<AuthnFailure, Verification<SymantecSecret>> => {
        switch (classOfStatus(status)) {
          case 'success':
            return E.right(ACCEPTED)
          case 'invalid':
          case 'syncRequired':
            return E.right(REJECTED)
          case 'replayed':
            return E.right(REPLAYED)
          case 'disabled':
            return E.left(disabled())
          case 'unexpected':
            return E.left(serviceError())
        }
      }),
    )
  }

  return {
    factorType: 'token',
    provider: 'SYMANTEC',
    idPrefix: 'ufv',
    profileCodec: SymantecProfile,
    secretCodec: SymantecSecret,
    enrollRequestCodec: SymantecEnrollRequest,
    answerCodec: PassCodeAnswer,
    enroll: (request, _subject, ctx) => enroll(request, ctx),
    seed: (seeded) => seed(seeded),
    verify: (secret, answer, _lastCounter, ctx) => verify(secret, answer, ctx),
    profileView: (profile) => ({ credentialId: profile.credentialId }),
    activationView: () => null,
    close: client.close,
  }
}
