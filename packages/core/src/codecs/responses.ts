import * as t from 'io-ts'
import { ERROR_CATALOGUE } from '../errors/catalogue.js'
import { AuthnStatus, EnrollmentRequirement, FactorProvider, FactorResult, FactorStatus, FactorType, RecoveryType, UserStatus } from '../model/status.js'
import { annotate } from './json-schema.js'

/**
 * The bodies the API answers, as codecs: what `renderTransaction`, `renderRecovery`,
 * `renderError` and the binding's session and lifecycle answers produce. They describe the wire
 * (the OpenAPI document is generated from them, and the end-to-end suites check every response
 * against it); the server never decodes its own answers with them.
 */

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/

/** An instant as ISO 8601 / RFC 3339 text, e.g. `2026-01-01T00:05:00.000Z`. */
export const DateTimeString = annotate(
  t.refinement(t.string, (s) => ISO_INSTANT.test(s), 'DateTime'),
  { format: 'date-time' },
)

/** An absolute `http(s)` URL. */
export const UrlString = annotate(
  t.refinement(t.string, (s) => /^https?:\/\/[^\s/]+(?:\/\S*)?$/.test(s), 'Url'),
  { format: 'uri', pattern: '^https?://' },
)

const described = <C extends t.Any>(codec: C, description: string) => annotate(codec, { description })

/** A HAL link (spec §6.9): where to go next, and with which methods. */
export const LinkObject = t.exact(
  t.intersection([
    t.type({ href: UrlString }),
    t.partial({
      name: described(t.string, 'The link\'s name: the factor type for `resend`, the operation for `next`.'),
      type: described(t.string, 'The media type of what the link points at (`image/png` for a QR code).'),
      hints: t.exact(t.type({ allow: t.readonlyArray(t.keyof({ GET: null, POST: null })) })),
    }),
  ]),
  'Link',
)
export type LinkObject = t.TypeOf<typeof LinkObject>

/** HAL `_links`: each relation (`next`, `prev`, `cancel`, `skip`, `resend`, `verify`, …) to a link or a list of links. */
export const LinksObject = t.record(t.string, t.union([LinkObject, t.readonlyArray(LinkObject)]), 'Links')
export type LinksObject = t.TypeOf<typeof LinksObject>

/** `_embedded.user` (spec §6.1). */
export const UserObject = t.exact(
  t.intersection([
    t.type({
      id: t.string,
      profile: t.exact(
        t.intersection([
          t.type({ login: t.string, firstName: t.string, lastName: t.string }),
          t.partial({ locale: t.string, timeZone: t.string }),
        ]),
      ),
    }),
    t.partial({
      passwordChanged: DateTimeString,
      recovery_question: described(t.exact(t.type({ question: t.string })), 'In RECOVERY: the question the user answers.'),
    }),
  ]),
  'User',
)
export type UserObject = t.TypeOf<typeof UserObject>

/**
 * A factor (spec §6.2, §6.3): an enrolled one (MFA_REQUIRED, MFA_CHALLENGE, MFA_ENROLL_ACTIVATE) or an
 * entry of the enrollment catalogue (MFA_ENROLL, with `status` and `enrollment`). Its profile is the
 * family's, with phone numbers and email addresses masked.
 */
export const FactorObject = t.exact(
  t.intersection([
    t.type({ factorType: FactorType, provider: FactorProvider }),
    t.partial({
      id: t.string,
      vendorName: t.string,
      status: FactorStatus,
      enrollment: EnrollmentRequirement,
      profile: t.UnknownRecord,
      _embedded: t.exact(
        t.partial({
          activation: described(
            t.UnknownRecord,
            'The family\'s activation data (TOTP: the shared secret and a `qrcode` link; WebAuthn: the creation options; U2F: the registration request; Duo: `host`, `signature`, `factorResult` and the `complete` and `script` links).',
          ),
          challenge: described(t.UnknownRecord, 'MFA_CHALLENGE of a family that signs a nonce: the nonce to sign (WebAuthn: `challenge`; U2F: `nonce`, `timeoutSeconds`).'),
          verification: described(
            t.UnknownRecord,
            'MFA_CHALLENGE of a family a third party verifies (Duo): its request (`host`, `signature`, `factorResult`) and links (`complete`: where its response is posted; `script`: its frame script).',
          ),
        }),
      ),
      _links: LinksObject,
    }),
  ]),
  'Factor',
)
export type FactorObject = t.TypeOf<typeof FactorObject>

/** A count of characters, minutes or days. */
const Count = annotate(
  t.refinement(t.number, (n) => Number.isInteger(n) && n >= 0, 'Count'),
  { type: 'integer', minimum: 0 },
)

/** The password policy of PASSWORD_WARN, PASSWORD_EXPIRED and PASSWORD_RESET (spec §6.5). */
export const PasswordPolicyObject = t.exact(
  t.intersection([
    t.type({
      complexity: t.exact(
        t.intersection([
          t.type({ minLength: Count, minLowerCase: Count, minUpperCase: Count, minNumber: Count, minSymbol: Count, excludeUsername: t.boolean }),
          t.partial({ excludeAttributes: t.readonlyArray(t.string) }),
        ]),
      ),
      age: t.exact(t.type({ minAgeMinutes: Count, historyCount: Count })),
    }),
    t.partial({ expiration: t.exact(t.type({ passwordExpireDays: Count })) }),
  ]),
  'PasswordPolicy',
)

/** The remember-device policy of MFA_REQUIRED and MFA_CHALLENGE (spec §6.6). */
export const RememberDevicePolicyObject = t.exact(
  t.type({
    allowRememberDevice: t.boolean,
    rememberDeviceLifetimeInMinutes: Count,
    rememberDeviceByDefault: t.boolean,
    factorsPolicyInfo: t.UnknownRecord,
  }),
  'RememberDevicePolicy',
)

/** `_embedded` of a transaction. */
export const EmbeddedObject = t.exact(
  t.partial({
    user: UserObject,
    factors: described(t.readonlyArray(FactorObject), 'MFA_REQUIRED: the enrolled factors to choose from; MFA_ENROLL: the factors that may be enrolled.'),
    factor: described(FactorObject, 'MFA_ENROLL_ACTIVATE and MFA_CHALLENGE: the factor being activated or verified.'),
    policy: t.union([PasswordPolicyObject, RememberDevicePolicyObject]),
    challenge: described(t.UnknownRecord, 'MFA_CHALLENGE by factor type (WebAuthn): the nonce every factor of the type may sign (`challenge`).'),
    target: described(
      t.exact(t.type({ type: t.literal('APP'), name: t.string, label: t.string, _links: LinksObject })),
      'A step-up (type SESSION_STEP_UP): the app being signed in to (spec §6.7).',
    ),
    authentication: described(
      t.exact(
        t.type({
          protocol: t.keyof({ 'SAML2.0': null, 'SAML1.1': null, 'WS-FED': null }),
          issuer: t.exact(t.type({ id: t.string, name: t.string, uri: t.string })),
        }),
      ),
      'A step-up (type SESSION_STEP_UP): how the app is signed in to (spec §6.8).',
    ),
  }),
  'Embedded',
)

/** The channel a recovery code went through, as the wire spells it (spec §3.3). */
export const RecoveryFactorType = t.keyof({ SMS: null, call: null, EMAIL: null }, 'RecoveryFactorType')

/**
 * The transaction object (spec §5.1, §5.2): its `status` says which members it has. A transaction in
 * progress has `stateToken`, `expiresAt`, `_embedded` and `_links`; LOCKED_OUT only a link to
 * unlock; SUCCESS a `sessionToken` (not after an unlock).
 */
export const TransactionObject = t.exact(
  t.intersection([
    t.type({ status: AuthnStatus }),
    t.partial({
      stateToken: described(
        t.string,
        'The transaction\'s state token: send it with the next request. Absent once the transaction is over, but for a step-up SUCCESS, where it is the one-time token of the `original` link.',
      ),
      type: described(t.literal('SESSION_STEP_UP'), 'A step-up to an app (spec §4.2, §4.3): every state of it, UNAUTHENTICATED to SUCCESS.'),
      expiresAt: described(DateTimeString, 'When the state token (in SUCCESS: the session token) expires.'),
      relayState: described(t.string, 'The relay state given when the transaction started, as it was.'),
      recoveryType: RecoveryType,
      factorResult: FactorResult,
      factorType: described(
        t.union([RecoveryFactorType, t.literal('webauthn')]),
        'RECOVERY_CHALLENGE: where the recovery code went; MFA_CHALLENGE by factor type: the type (`webauthn`).',
      ),
      challengeType: described(t.keyof({ FACTOR: null, FACTOR_TYPE: null }), 'MFA_CHALLENGE of WebAuthn by factor type: `FACTOR_TYPE`.'),
      recoveryToken: described(t.string, 'RECOVERY started by a trusted caller without a factor type: the recovery token to hand to the user.'),
      sessionToken: described(t.string, 'SUCCESS: a one-time token to exchange for a session (`POST /api/v1/sessions`).'),
      _embedded: EmbeddedObject,
      _links: LinksObject,
    }),
  ]),
  'Transaction',
)
export type TransactionObject = t.TypeOf<typeof TransactionObject>

/** The answer to a cancel (spec §4.21): the relay state, and nothing else. */
export const CancelObject = t.exact(t.type({ relayState: t.string }), 'CancelResult')
export type CancelObject = t.TypeOf<typeof CancelObject>

/** What a device's activation answers: the factor it activates (ACTIVE once the enrollment's poll sees it). */
export const PushDeviceObject = t.exact(t.type({ factorId: t.string, userId: t.string, status: t.literal('ACTIVATED') }), 'PushDevice')
export type PushDeviceObject = t.TypeOf<typeof PushDeviceObject>

/** The verifications waiting for a device (the family's challenge objects). */
export const PushChallengesObject = t.exact(t.type({ challenges: t.array(t.UnknownRecord) }), 'PushChallenges')
export type PushChallengesObject = t.TypeOf<typeof PushChallengesObject>

/** What a device's answer did: `APPROVED` (the sign-in's next poll succeeds) or `DENIED` (it shows REJECTED). */
export const PushAnswerObject = t.exact(t.type({ result: t.keyof({ APPROVED: null, DENIED: null }) }), 'PushAnswer')
export type PushAnswerObject = t.TypeOf<typeof PushAnswerObject>

const ErrorCode = t.keyof(ERROR_CATALOGUE, 'ErrorCode')

/** Okta's error object (spec §8.1): `errorLink` repeats the code; `errorId` is random per answer. */
export const ErrorObject = t.exact(
  t.type({
    errorCode: ErrorCode,
    errorSummary: t.string,
    errorLink: ErrorCode,
    errorId: t.string,
    errorCauses: t.readonlyArray(t.exact(t.type({ errorSummary: t.string }))),
  }),
  'Error',
)
export type ErrorObject = t.TypeOf<typeof ErrorObject>

/** The session `POST /api/v1/sessions` creates from a session token (Okta's Sessions API shape). */
export const SessionObject = t.exact(
  t.type({
    id: t.string,
    userId: t.string,
    createdAt: DateTimeString,
    expiresAt: DateTimeString,
    status: t.literal('ACTIVE'),
    lastPasswordVerification: described(DateTimeString, 'When the password was last verified or set in the transaction the session token came from.'),
    lastFactorVerification: described(t.union([DateTimeString, t.null]), 'When a factor was last verified or activated in that transaction; null without one.'),
    amr: described(t.readonlyArray(t.string), 'How the user authenticated: `pwd`, `mfa` once a factor was verified, and one reference per kind of factor (`otp`, `sms`, `tel`, `email`, `kba`, `hwk`, `swk`).'),
    idp: t.exact(t.type({ id: t.string, type: t.literal('OKTA') })),
    mfaActive: described(t.boolean, 'Whether a factor was verified in that transaction.'),
  }),
  'Session',
)
export type SessionObject = t.TypeOf<typeof SessionObject>

/** What a Users API lifecycle operation answers: `{}`, or the user for `expire_password`. */
export const LifecycleObject = t.union(
  [
    t.exact(t.type({})),
    t.exact(
      t.type({
        id: t.string,
        status: UserStatus,
        passwordChanged: t.union([DateTimeString, t.null]),
        profile: t.exact(t.type({ login: t.string, firstName: t.string, lastName: t.string })),
      }),
    ),
  ],
  'LifecycleResult',
)
export type LifecycleObject = t.TypeOf<typeof LifecycleObject>

/** One security question of the catalogue (`GET /api/v1/users/{userId}/factors/questions`, spec §6.3). */
export const SecurityQuestionObject = t.exact(t.type({ question: t.string, questionText: t.string }), 'SecurityQuestion')
export type SecurityQuestionObject = t.TypeOf<typeof SecurityQuestionObject>

/**
 * Every response object, by codec: an OpenAPI document's components (each codec's name is its
 * schema's name). A response codec added here is documented everywhere such a list is read.
 */
export const RESPONSE_OBJECT_CODECS = [
  TransactionObject,
  EmbeddedObject,
  UserObject,
  FactorObject,
  PasswordPolicyObject,
  RememberDevicePolicyObject,
  LinkObject,
  LinksObject,
  CancelObject,
  ErrorObject,
  SessionObject,
  LifecycleObject,
  SecurityQuestionObject,
] as const
