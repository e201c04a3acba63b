import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { CAUSES, failure, type AuthnFailure, type Enrollment, type IssuedNonce, type SeededFactor, type Verification, type VerifyingFactor } from '@authn-machine/core'
import { createRadiusClient, type RadiusClient, type RadiusClientOptions, type RadiusError, type RadiusReply } from './radius-client.js'
import { PassCodeAnswer, RsaEnrollRequest, RsaProfile, RsaSecret, isCredentialId, isPassCode } from './requests.js'

/** A factor whose passcodes a RADIUS server checks: RSA SecurID (`token`/`RSA`) or On-Prem MFA (`token`/`DEL_OATH`). */
export type RadiusFactor = VerifyingFactor<RsaProfile, RsaSecret, PassCodeAnswer>

export type RsaOptions = RadiusClientOptions

/** The causes of an enroll request whose fields are malformed (400 E0000001). */
export const MALFORMED_ENROLL_CAUSES = {
  credentialId: 'credentialId: A user name is 1 to 253 bytes, without control characters or surrounding spaces.',
  passCode: 'passCode: A passcode is 4 to 64 letters and digits (PIN and tokencode).',
} as const

/** The cause of 400 E0000074 when the RADIUS server gives no verdict (down, slow, wrong shared secret). */
export const UNAVAILABLE_CAUSE = 'The authentication server could not check the passcode. Try again later.'

/**
 * The cause of 403 E0000068 for an Access-Challenge (RSA's next-tokencode mode): the user is told
 * to wait for the next code, which goes to the server with the State the challenge carried.
 */
export const NEXT_CODE_CAUSE = CAUSES.nextCode

/**
 * How long the transaction keeps the State of an Access-Challenge for the next code: long enough
 * for a token's code to change (60 s) and be typed, short of the server forgetting it.
 */
export const CHALLENGE_STATE_LIFETIME_MS = 3 * 60_000

const REJECTED: Verification<never> = { _tag: 'Rejected' }
const ACCEPTED: Verification<never> = { _tag: 'Accepted', counter: null }

const serviceError = (_e: RadiusError): AuthnFailure => failure('E0000074', [UNAVAILABLE_CAUSE])
const mismatch = (): AuthnFailure => failure('E0000068', [CAUSES.passcodeMismatch])
const nextCode = (): AuthnFailure => failure('E0000068', [NEXT_CODE_CAUSE])
const unreadableSecret = (): AuthnFailure => failure('E0000009', ['The factor secret could not be read.'])

/**
 * RSA SecurID (`token`, provider `RSA`, ids `rsa…`), checked over RADIUS as Okta's On-Prem MFA
 * agent does (`createRadiusClient`). `enroll` takes `profile.credentialId` (the RADIUS user name)
 * and `passCode`, and sends them in an Access-Request: Access-Accept makes the factor ACTIVE at
 * once; Access-Reject is 403 E0000068. `verify` sends `passCode` the same way: Access-Accept is
 * `Accepted` (no counter: the server keeps each code single-use), Access-Reject `Rejected`. An
 * Access-Challenge to a verification (next-tokencode mode) is `Challenged` with the server's State:
 * the engine answers 403 E0000068 with `NEXT_CODE_CAUSE`, counts nothing, keeps the State in the
 * transaction and hands it back with the next code, which is sent with it. An Access-Challenge to
 * an enrollment is 403 E0000068 with the same cause (enrollment has no transaction state to keep
 * it in: the user enrolls with the next code). A server that is down, slow or does not sign its reply with the shared secret
 * answers 400 E0000074 (Factor Service Error). A malformed passcode is `Rejected` without asking
 * the server. Throws a TypeError (at construction only) for bad options.
 */
export function createRsaFactor(options: RsaOptions): RadiusFactor {
  return radiusFactorWith(createRadiusClient(options), 'RSA', 'rsa')
}

/**
 * On-Prem MFA (`token`, provider `DEL_OATH`, ids `dot…`): the same RADIUS path as RSA SecurID,
 * with its own server and options.
 */
export function createOnPremMfaFactor(options: RsaOptions): RadiusFactor {
  return radiusFactorWith(createRadiusClient(options), 'DEL_OATH', 'dot')
}

/** A RADIUS-checked factor over a given client (a test's, or one shared by two providers). */
export function radiusFactorWith(client: RadiusClient, provider: 'RSA' | 'DEL_OATH', idPrefix: string): RadiusFactor {
  const enroll = (request: { readonly profile: Readonly<Record<string, unknown>>; readonly passCode?: string }): TE.TaskEither<AuthnFailure, Enrollment<RsaProfile, RsaSecret>> => {
    const raw = request.profile['credentialId']
    const credentialId = typeof raw === 'string' && isCredentialId(raw) ? raw : null
    const { passCode } = request
    const causes = [
      ...(credentialId === null ? [MALFORMED_ENROLL_CAUSES.credentialId] : []),
      ...(passCode !== undefined && isPassCode(passCode) ? [] : [MALFORMED_ENROLL_CAUSES.passCode]),
    ]
    if (credentialId === null || passCode === undefined || causes.length > 0) return TE.left(failure('E0000001', causes, 'factorEnrollRequest'))
    return pipe(
      client.authenticate(credentialId, passCode),
      TE.mapLeft(serviceError),
      TE.chainEitherK((reply: RadiusReply): E.Either<AuthnFailure, Enrollment<RsaProfile, RsaSecret>> => {
        switch (reply._tag) {
          case 'Accept':
            return E.right({ profile: { credentialId }, secret: { userName: credentialId }, activation: 'none' })
          case 'Reject':
            return E.left(mismatch())
          case 'Challenge':
            return E.left(nextCode())
        }
      }),
    )
  }

  const seed = (seeded: SeededFactor): TE.TaskEither<AuthnFailure, Enrollment<RsaProfile, RsaSecret>> => {
    const raw = seeded.profile['credentialId'] ?? seeded.secret
    return typeof raw === 'string' && isCredentialId(raw)
      ? TE.right({ profile: { credentialId: raw }, secret: { userName: raw }, activation: 'none' })
      : TE.left(failure('E0000001', [MALFORMED_ENROLL_CAUSES.credentialId], 'factor'))
  }

  const verify = (secret: RsaSecret, answer: PassCodeAnswer, kept: IssuedNonce | null): TE.TaskEither<AuthnFailure, Verification<RsaSecret>> => {
    if (!RsaSecret.is(secret)) return TE.left(unreadableSecret())
    if (typeof answer.passCode !== 'string' || !isPassCode(answer.passCode)) return TE.right(REJECTED)
    // The State of the Access-Challenge this transaction keeps, sent back with the next code.
    const state = kept === null ? undefined : Buffer.from(kept.nonce, 'base64')
    return pipe(
      client.authenticate(secret.userName, answer.passCode, state !== undefined && state.length > 0 ? Uint8Array.from(state) : undefined),
      TE.mapLeft(serviceError),
      TE.chainEitherK((reply: RadiusReply): E.Either<AuthnFailure, Verification<RsaSecret>> => {
        switch (reply._tag) {
          case 'Accept':
            return E.right(ACCEPTED)
          case 'Reject':
            return E.right(REJECTED)
          case 'Challenge':
            return E.right({ _tag: 'Challenged', state: Buffer.from(reply.state).toString('base64'), lifetimeMs: CHALLENGE_STATE_LIFETIME_MS })
        }
      }),
    )
  }

  return {
    factorType: 'token',
    provider,
    idPrefix,
    profileCodec: RsaProfile,
    secretCodec: RsaSecret,
    enrollRequestCodec: RsaEnrollRequest,
    answerCodec: PassCodeAnswer,
    enroll: (request) => enroll(request),
    seed: (seeded) => seed(seeded),
    verify: (secret, answer, _lastCounter, _ctx, kept) => verify(secret, answer, kept ?? null),
    profileView: (profile) => ({ credentialId: profile.credentialId }),
    activationView: () => null,
  }
}
