import * as t from 'io-ts'
import type { EnrollRequest } from '../ports/factor.js'
import { annotate } from './json-schema.js'

/**
 * A string of at most `max` UTF-16 units, refusing 4-byte (supplementary) characters as Okta does,
 * and NUL, which no JSON store (PostgreSQL jsonb) can keep.
 */
const bounded = (max: number, name: string) =>
  annotate(t.refinement(t.string, (s) => s.length <= max && !/[\uD800-\uDFFF]/.test(s) && !s.includes('\u0000'), name), {
    maxLength: max,
    description: 'No NUL, and no character outside the Basic Multilingual Plane.',
  })

/** A non-empty `bounded` string. */
const nonEmpty = <C extends t.Type<string, string, unknown>>(codec: C, name: string) =>
  annotate(t.refinement(codec, (s: string) => s.length > 0, name), { minLength: 1 })

const StateTokenString = nonEmpty(bounded(256, 'StateToken'), 'StateToken')

/** Whether `s` is well-formed UTF-16: every surrogate in a pair (a lone one cannot be encoded or hashed). */
const isWellFormed = (s: string): boolean => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s)

/**
 * A password: at most `max` characters counted as code points, so an emoji counts as one and is
 * accepted (users may pick any Unicode); no NUL, no lone surrogate. The name is the cause shown.
 */
const passwordString = (max: number) =>
  annotate(
    t.refinement(t.string, (s) => [...s].length <= max && isWellFormed(s) && !s.includes('\u0000'), `a password of at most ${max} characters, without NUL or unpaired surrogates`),
    { maxLength: max, description: 'Counted in code points (an emoji is one); no NUL, no unpaired surrogate.' },
  )

export const PrimaryAuthRequest = t.partial(
  {
    username: bounded(256, 'string (max 256)'),
    password: passwordString(256),
    token: bounded(256, 'string (max 256)'),
    stateToken: bounded(256, 'string (max 256)'),
    audience: bounded(256, 'string (max 256)'),
    relayState: bounded(2048, 'string (max 2048)'),
    options: t.partial({ multiOptionalFactorEnroll: t.boolean, warnBeforePasswordExpired: t.boolean }),
    context: t.partial({ deviceToken: bounded(32, 'string (max 32)') }),
  },
  'authRequest',
)
export type PrimaryAuthRequest = t.TypeOf<typeof PrimaryAuthRequest>

export const StateTokenRequest = t.type({ stateToken: StateTokenString }, 'stateTokenRequest')
export type StateTokenRequest = t.TypeOf<typeof StateTokenRequest>

export const ChangePasswordRequest = t.intersection(
  [
    t.type({
      stateToken: StateTokenString,
      oldPassword: passwordString(256),
      newPassword: passwordString(256),
    }),
    t.partial({ revokeSessions: t.boolean }),
  ],
  'changePasswordRequest',
)
export type ChangePasswordRequest = t.TypeOf<typeof ChangePasswordRequest>

export const ResetPasswordRequest = t.intersection(
  [t.type({ stateToken: StateTokenString, newPassword: passwordString(256) }), t.partial({ revokeSessions: t.boolean })],
  'resetPasswordRequest',
)
export type ResetPasswordRequest = t.TypeOf<typeof ResetPasswordRequest>

/** A boolean sent as JSON or as a query-string value (`rememberDevice=true`; SDKs differ, spec §4.10). */
const Flag = t.union([t.boolean, t.keyof({ true: null, false: null })], 'boolean')
export const flagValue = (f: boolean | 'true' | 'false' | undefined): boolean => f === true || f === 'true'

const FactorIdString = nonEmpty(bounded(64, 'string (max 64)'), 'FactorId')

/** `POST /api/v1/authn/factors` (spec §4.6); the profile is read by the factor family's codec. */
export const EnrollFactorRequest = t.intersection(
  [
    t.type({ stateToken: StateTokenString, factorType: bounded(64, 'string (max 64)'), provider: bounded(64, 'string (max 64)') }),
    t.partial({
      profile: t.UnknownRecord,
      passCode: bounded(256, 'string (max 256)'),
      nextPassCode: bounded(256, 'string (max 256)'),
      /** Replace the user's unverified phone with this one (a query parameter; okta-auth-js sends `profile.updatePhone` there). */
      updatePhone: Flag,
    }),
  ],
  'factorEnrollRequest',
)
export type EnrollFactorRequest = t.TypeOf<typeof EnrollFactorRequest>

/** A resend of a sent code (spec §4.8, §4.11): the factor in the path; SDKs' extra fields are ignored. */
export const FactorResendRequest = t.type({ stateToken: StateTokenString, factorId: FactorIdString }, 'factorResendRequest')
export type FactorResendRequest = t.TypeOf<typeof FactorResendRequest>

/**
 * Duo's callback (spec §4.9): the fields its frame's script form-posts, the state token the page's
 * form adds, and the factor id of the path. `id` (the factor id again) is sent by Okta's pages and ignored.
 */
export const DuoCallbackRequest = t.intersection(
  [t.type({ stateToken: StateTokenString, factorId: FactorIdString, sig_response: t.string }), t.partial({ id: t.string })],
  'duoCallbackRequest',
)
export type DuoCallbackRequest = t.TypeOf<typeof DuoCallbackRequest>

/** Activation and verification of a factor (spec §4.7, §4.10): the answer fields are the family's. */
export const FactorAnswerRequest = t.intersection(
  [t.type({ stateToken: StateTokenString, factorId: FactorIdString }), t.partial({ rememberDevice: Flag, autoPush: Flag })],
  'factorVerifyRequest',
)
export type FactorAnswerRequest = t.TypeOf<typeof FactorAnswerRequest>

export const SessionTokenRequest = t.type({ sessionToken: bounded(256, 'string (max 256)') }, 'sessionRequest')
export type SessionTokenRequest = t.TypeOf<typeof SessionTokenRequest>

const NonEmpty = (max: number) => nonEmpty(bounded(max, `string (max ${max})`), `string (max ${max})`)

/**
 * `POST /api/v1/authn/recovery/password` and `/recovery/unlock` (spec §4.12, §4.13). `factorType`
 * is read case-insensitively by the engine (an unknown one is 400 E0000001 there).
 */
export const RecoveryStartRequest = t.intersection(
  [
    t.type({ username: NonEmpty(256) }),
    t.partial({ factorType: bounded(64, 'string (max 64)'), relayState: bounded(2048, 'string (max 2048)') }),
  ],
  'recoveryRequest',
)
export type RecoveryStartRequest = t.TypeOf<typeof RecoveryStartRequest>

/** `POST /api/v1/authn/recovery/factors/{sms|call}/verify` (spec §4.14); the factor type comes from the path. */
export const RecoveryVerifyRequest = t.type({ stateToken: StateTokenString, passCode: NonEmpty(64) }, 'recoveryVerifyRequest')
export type RecoveryVerifyRequest = t.TypeOf<typeof RecoveryVerifyRequest>

/** `POST /api/v1/authn/recovery/token` (spec §4.16). */
export const RecoveryTokenRequest = t.intersection(
  [t.type({ recoveryToken: NonEmpty(256) }), t.partial({ relayState: bounded(2048, 'string (max 2048)') })],
  'recoveryTokenRequest',
)
export type RecoveryTokenRequest = t.TypeOf<typeof RecoveryTokenRequest>

/** `POST /api/v1/authn/recovery/answer` (spec §4.17). */
export const RecoveryAnswerRequest = t.type({ stateToken: StateTokenString, answer: bounded(1024, 'string (max 1024)') }, 'recoveryAnswerRequest')
export type RecoveryAnswerRequest = t.TypeOf<typeof RecoveryAnswerRequest>

/**
 * An embedding server (or a trusted caller of the reference server) opens a step-up to an app
 * (spec §4.2; docs/adr/0028-step-up.md): for a user whose session it knows (`login`, and when a
 * factor was last verified in that session, ISO 8601), or for nobody yet (UNAUTHENTICATED).
 */
export const StepUpRequest = t.intersection(
  [
    t.type({ appId: NonEmpty(64) }),
    t.partial({ login: NonEmpty(256), factorVerifiedAt: NonEmpty(64), relayState: bounded(2048, 'string (max 2048)') }),
  ],
  'stepUpRequest',
)
export type StepUpRequest = t.TypeOf<typeof StepUpRequest>

/** Turns io-ts decode errors into Okta `errorCauses` texts: `field: problem`. Pure. */
export const describeDecodeErrors = (errors: t.Errors): ReadonlyArray<string> => {
  const out = new Set<string>()
  for (const e of errors) {
    const path = e.context
      .map((c) => c.key)
      .filter((k) => k !== '' && !/^\d+$/.test(k))
      .join('.')
    const last = e.context[e.context.length - 1]
    const expected = last?.type.name ?? 'value'
    const field = path === '' ? 'body' : path
    out.add(e.value === undefined ? `${field}: The field cannot be left blank` : `${field}: Expected ${expected}`)
  }
  return [...out]
}

/**
 * The enroll request of a family that takes nothing at enrollment (WebAuthn, U2F: the authenticator
 * answers at activation): an optional `profile` object, its members unused.
 */
const ProfileOnlyBody = t.partial({ profile: t.UnknownRecord })
export const ProfileOnlyEnrollRequest = new t.Type<EnrollRequest, unknown, unknown>(
  'factorEnrollRequest',
  (u): u is EnrollRequest => ProfileOnlyBody.is(u),
  (u, c) => {
    const body = ProfileOnlyBody.validate(u, c)
    return body._tag === 'Left' ? body : t.success({ profile: body.right.profile ?? {} })
  },
  (a) => a,
)

/**
 * A device's activation of a push enrollment (docs/adr/0031-push.md): the activation token of the
 * enrollment's QR code and the factor it names. The device's key, description and proof are the
 * family's members (its registration codec reads them).
 */
export const PushDeviceActivationRequest = t.type({ activationToken: nonEmpty(bounded(2048, 'ActivationToken'), 'ActivationToken'), factorId: FactorIdString }, 'pushDeviceActivationRequest')
export type PushDeviceActivationRequest = t.TypeOf<typeof PushDeviceActivationRequest>

/** A device's request for the verifications waiting for it: its factor and user; the family's assertion signs it. */
export const PushChallengesRequest = t.type({ factorId: FactorIdString, userId: nonEmpty(bounded(64, 'string (max 64)'), 'UserId') }, 'pushChallengesRequest')
export type PushChallengesRequest = t.TypeOf<typeof PushChallengesRequest>

/** A device's answer to a verification: the `challengeId` it was given; the family's members carry the signed answer. */
export const PushAnswerRequest = t.type({ challengeId: nonEmpty(bounded(2048, 'ChallengeId'), 'ChallengeId') }, 'pushAnswerRequest')
export type PushAnswerRequest = t.TypeOf<typeof PushAnswerRequest>
