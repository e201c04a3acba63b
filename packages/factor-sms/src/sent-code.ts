import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import * as t from 'io-ts'
import {
  describeDecodeErrors,
  failure,
  type AuthnFailure,
  type CodePurpose,
  type Delivery,
  type EnrollRequest,
  type Enrollment,
  type FactorSubject,
  type SendingFactor,
} from '@authn-machine/core'

/*
 * The pieces shared by the families that SEND a one-time code (sms, call, email: `SendingFactor`
 * in core/src/ports/factor.ts). They hold no secret and never check a code: the engine draws,
 * keeps (as a MAC) and checks the code it sent (docs/adr/0010-sent-codes.md).
 */

/** A verification or activation body: `passCode`, a string (the engine compares it with the code it sent). */
export const PassCodeAnswer = t.exact(t.type({ passCode: t.string }), 'factorVerifyRequest')
export type PassCodeAnswer = t.TypeOf<typeof PassCodeAnswer>

/** Where a refused profile came from: an enroll request, or an org seed (whose load stops with the causes). */
export type ProfileSource = 'factorEnrollRequest' | 'factor'

/** Okta's refusal: 400 E0000001 "Api validation failed: factorEnrollRequest" (or `factor` for a seed), with causes. */
export const refusal = (source: ProfileSource, causes: ReadonlyArray<string>): AuthnFailure => failure('E0000001', causes, source)

/** A field that SDKs send as `null` when it is not set (the .NET SDK sends every field): `null` means absent. */
export const nullable = <C extends t.Mixed>(codec: C): t.UnionC<[C, t.NullC]> => t.union([codec, t.null])

/**
 * The enroll-request codec of a family whose request profile has the shape `profile` (types only:
 * `enroll` checks the values, with causes). A missing `profile` is `{}`; `passCode` and
 * `nextPassCode`, when present, are strings (and unused: the code is sent after enrollment).
 */
export const sentCodeEnrollRequest = <P extends Readonly<Record<string, unknown>>>(profile: t.Type<P, unknown, unknown>): t.Type<EnrollRequest, unknown, unknown> => {
  const Body = t.intersection([t.type({ profile }), t.partial({ passCode: t.string, nextPassCode: t.string })])
  const withProfile = (u: unknown): unknown => (t.UnknownRecord.is(u) && u['profile'] === undefined ? { ...u, profile: {} } : u)
  return new t.Type<EnrollRequest, unknown, unknown>(
    'factorEnrollRequest',
    (u): u is EnrollRequest => Body.is(u),
    (u, c) =>
      pipe(
        Body.validate(withProfile(u), c),
        E.map(
          (b): EnrollRequest => ({
            profile: b.profile,
            ...(b.passCode === undefined ? {} : { passCode: b.passCode }),
            ...(b.nextPassCode === undefined ? {} : { nextPassCode: b.nextPassCode }),
          }),
        ),
      ),
    (a) => a,
  )
}

/** A request or seed profile read with `shape`, or its refusal with causes naming `profile.<field>`. */
export const readProfile = <P>(shape: t.Type<P, unknown, unknown>, profile: unknown, source: ProfileSource): E.Either<AuthnFailure, P> =>
  pipe(
    t.type({ profile: shape }).decode({ profile }),
    E.bimap((errors) => refusal(source, describeDecodeErrors(errors)), (b) => b.profile),
  )

/** Reads a family's stored profile from an enroll request's or an org seed's profile, or refuses it with causes. */
export type ProfileReader<P> = (profile: Readonly<Record<string, unknown>>, subject: FactorSubject, source: ProfileSource) => E.Either<AuthnFailure, P>

/** What distinguishes one family that sends codes from another (all are provider `OKTA`). */
export interface SentCodeFamily<P> {
  readonly factorType: 'sms' | 'call' | 'email'
  readonly idPrefix: string
  /** The profile as stored. */
  readonly profileCodec: t.Type<P, unknown, unknown>
  /** The enroll request (see `sentCodeEnrollRequest`). */
  readonly enrollRequestCodec: t.Type<EnrollRequest, unknown, unknown>
  /** The stored profile from a request's or a seed's profile, or the refusal. */
  readonly readProfile: ProfileReader<P>
  /** The profile as clients see it, before the renderer masks `phoneNumber` and `email`. */
  readonly profileView: (profile: P) => Readonly<Record<string, unknown>>
  readonly delivery: Delivery<P>
}

/**
 * The plug-in of a family that sends codes: no secret (`null`), the `{ passCode }` answer, no
 * activation view. An enroll request gives a PENDING_ACTIVATION factor (`required`: a sent code
 * must be entered), an org seed an ACTIVE one (`none`). Nothing throws.
 */
export const sentCodeFactor = <P>(family: SentCodeFamily<P>): SendingFactor<P, null, PassCodeAnswer> => {
  const enrollment = (profile: E.Either<AuthnFailure, P>, activation: 'required' | 'none'): TE.TaskEither<AuthnFailure, Enrollment<P, null>> =>
    TE.fromEither(
      pipe(
        profile,
        E.map((p) => ({ profile: p, secret: null, activation })),
      ),
    )
  return {
    factorType: family.factorType,
    provider: 'OKTA',
    idPrefix: family.idPrefix,
    profileCodec: family.profileCodec,
    secretCodec: t.null,
    enrollRequestCodec: family.enrollRequestCodec,
    answerCodec: PassCodeAnswer,
    enroll: (request, subject) => enrollment(family.readProfile(request.profile, subject, 'factorEnrollRequest'), 'required'),
    seed: (seeded, subject) => enrollment(family.readProfile(seeded.profile, subject, 'factor'), 'none'),
    profileView: family.profileView,
    activationView: () => null,
    delivery: family.delivery,
  }
}

/** The sentence that carries a code (`code` as written, or as spoken), worded for its purpose. */
export const codeSentence = (code: string, purpose: CodePurpose): string =>
  purpose === 'mfa-activation'
    ? `Your enrollment code is ${code}.`
    : purpose === 'recovery-code'
      ? `Your account recovery code is ${code}.`
      : `Your verification code is ${code}.`
