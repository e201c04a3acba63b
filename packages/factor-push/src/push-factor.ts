import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto'
import * as TE from 'fp-ts/lib/TaskEither.js'
import * as t from 'io-ts'
import { jwtVerify, decodeProtectedHeader } from 'jose'
import QRCode from 'qrcode'
import { failure, type AuthnFailure, type DelegatingFactor, type EnrollRequest, type Enrollment, type FactorSubject, type Registration, type SeededFactor } from '@authn-machine/core'
import type { PushChallenge, PushGateway } from './gateway.js'
import { createPushMailbox, type PushMailbox } from './mailbox.js'
import { numberChallengeOf } from './numbers.js'

/** How long a push waits for its answer: 5 minutes (Okta's push notifications expire after 5 minutes). */
export const PUSH_LIFETIME_MS = 5 * 60_000
/** How long an enrollment waits for its device: 10 minutes (Okta's activation example). */
export const ACTIVATION_LIFETIME_MS = 10 * 60_000
/** The longest a device's signed message (proof, assertion, answer) may live. */
export const MAX_MESSAGE_AGE_S = 300
/** The scheme of an enrollment URI, as Okta Verify's QR codes name it. */
export const ENROLLMENT_SCHEME = 'oktaverify'

/** A key as Okta's push profile shows it: the device's public key, DER SubjectPublicKeyInfo in base64. */
const ProfileKey = t.type({ kty: t.literal('PKIX'), use: t.literal('sig'), kid: t.string, x5c: t.array(t.string) })

/** The profile: the login (`credentialId`), and once a device activated, what it told of itself and its key. */
export const PushProfile = t.exact(
  t.intersection([
    t.type({ credentialId: t.string }),
    t.partial({ deviceType: t.string, name: t.string, platform: t.string, version: t.string, keys: t.array(ProfileKey) }),
  ]),
  'PushProfile',
)
export type PushProfile = t.TypeOf<typeof PushProfile>

/** The secret: the device's platform push token (APNs), when it gave one; null while pending. */
export const PushSecret = t.union([t.null, t.type({ pushToken: t.union([t.string, t.null]) })], 'PushSecret')
export type PushSecret = t.TypeOf<typeof PushSecret>

/** A device's answer (`POST /api/v1/push/challenges/answer`): the challenge and its signed response. */
export const PushAnswer = t.type({ challengeId: t.string, challengeResponse: t.string }, 'pushAnswerRequest')
export type PushAnswer = t.TypeOf<typeof PushAnswer>

const Bounded = (max: number, name: string) =>
  new t.Type<string, string, unknown>(name, (u): u is string => typeof u === 'string' && u.length > 0 && u.length <= max, (u, c) => (typeof u === 'string' && u.length > 0 && u.length <= max ? t.success(u) : t.failure(u, c, `${name}: a string of 1 to ${max} characters`)), t.identity)

/** What a device tells of itself at activation. */
export const PushDevice = t.intersection([
  t.type({ name: Bounded(128, 'device.name'), platform: t.keyof({ IOS: null, ANDROID: null, OTHER: null }) }),
  t.partial({ deviceType: Bounded(64, 'device.deviceType'), version: Bounded(64, 'device.version'), pushToken: t.union([Bounded(256, 'device.pushToken'), t.null]) }),
])

/** A device's activation (`POST /api/v1/push/devices/activate`), besides its activation token: its description, public JWK and proof. */
export const PushRegistration = t.type({ factorId: t.string, device: PushDevice, key: t.UnknownRecord, proof: Bounded(8192, 'proof') }, 'pushDeviceActivationRequest')
export type PushRegistration = t.TypeOf<typeof PushRegistration>

/** A device's request for its pending challenges: an assertion signed by its key. */
export const PushPendingRequest = t.type({ factorId: t.string, userId: t.string, assertion: Bounded(8192, 'assertion') }, 'pushChallengesRequest')

const PushEnrollBody = t.partial({ profile: t.UnknownRecord, passCode: t.string, nextPassCode: t.string })
/** The enroll request: nothing is asked of the user (the device activates afterwards). */
export const PushEnrollRequest = new t.Type<EnrollRequest, unknown, unknown>(
  'factorEnrollRequest',
  (u): u is EnrollRequest => PushEnrollBody.is(u),
  (u, c) => {
    const body = PushEnrollBody.validate(u, c)
    return body._tag === 'Left' ? body : t.success({ profile: {} })
  },
  (a) => a,
)

export interface PushConfig {
  /** A platform gateway (APNs) besides the mailbox every challenge is kept in; absent: the mailbox only. */
  readonly gateway?: PushGateway
  /** The mailbox devices fetch their challenges from; default a new one. */
  readonly mailbox?: PushMailbox
  /** Number matching (Okta: Enable Number Challenge): every push asks the user to pick the number the sign-in page shows. Default true. */
  readonly numberChallenge?: boolean
  /** Default 5 minutes. */
  readonly lifetimeMs?: number
  /** How long an enrollment waits for its device: default 10 minutes. */
  readonly activationLifetimeMs?: number
}

/** The signature algorithm a device key is used with: ES256 for P-256, RS256 for RSA of 2048 bits or more; null for any other key. */
export const algorithmOf = (key: KeyObject): 'ES256' | 'RS256' | null => {
  if (key.type !== 'public') return null
  const details = key.asymmetricKeyDetails
  if (key.asymmetricKeyType === 'ec' && details?.namedCurve === 'prime256v1') return 'ES256'
  if (key.asymmetricKeyType === 'rsa' && (details?.modulusLength ?? 0) >= 2048) return 'RS256'
  return null
}

/** The public key of an activated device, from its profile. */
const deviceKeyOf = (profile: PushProfile): { readonly key: KeyObject; readonly alg: 'ES256' | 'RS256' } | null => {
  const der = profile.keys?.[0]?.x5c[0]
  if (der === undefined) return null
  try {
    const key = createPublicKey({ key: Buffer.from(der, 'base64'), format: 'der', type: 'spki' })
    const alg = algorithmOf(key)
    return alg === null ? null : { key, alg }
  } catch {
    return null
  }
}

/** Verifies a device's compact JWS with its key: the claims, or null when it does not hold (signature, audience, age, algorithm). */
const verifyDeviceJwt = async (
  jws: string,
  device: { readonly key: KeyObject; readonly alg: 'ES256' | 'RS256' },
  expect: { readonly audience: string; readonly subject?: string; readonly now: number },
): Promise<Readonly<Record<string, unknown>> | null> => {
  try {
    if (decodeProtectedHeader(jws).alg !== device.alg) return null
    const { payload } = await jwtVerify(jws, device.key, {
      algorithms: [device.alg],
      audience: expect.audience,
      ...(expect.subject === undefined ? {} : { subject: expect.subject }),
      currentDate: new Date(expect.now),
      maxTokenAge: MAX_MESSAGE_AGE_S,
      clockTolerance: 5,
      requiredClaims: ['iat', 'exp'],
    })
    const iat = payload.iat ?? 0
    const exp = payload.exp ?? 0
    return exp - iat <= MAX_MESSAGE_AGE_S ? payload : null
  } catch {
    return null
  }
}

/** The enrollment URI of a QR code: `oktaverify://{login}/?t={activation token}&f={factorId}&s={origin}`. */
export const enrollmentUriOf = (login: string, activation: { readonly token: string; readonly factorId: string; readonly origin: string }): string =>
  `${ENROLLMENT_SCHEME}://${encodeURIComponent(login)}/?t=${encodeURIComponent(activation.token)}&f=${encodeURIComponent(activation.factorId)}&s=${encodeURIComponent(activation.origin)}`

const b64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url')

/**
 * The push factor (`push`/`OKTA`, docs/adr/0031-push.md). Enrollment waits for a device: the QR code
 * (or the link sent by email or SMS) carries a sealed activation token, with which the device
 * registers its public key and proves it holds the private one. A verification is delivered to
 * the device (the mailbox, and the platform gateway for a device with a push token); the device
 * answers with a JWS by its key, approving (with the number the sign-in page shows, under number
 * matching) or denying.
 */
export const createPushFactor = (config: PushConfig = {}): DelegatingFactor<PushProfile, PushSecret, PushAnswer> & { readonly mailbox: PushMailbox } => {
  const mailbox = config.mailbox ?? createPushMailbox()
  const numberChallenge = config.numberChallenge ?? true
  const lifetimeMs = config.lifetimeMs ?? PUSH_LIFETIME_MS
  const activationLifetimeMs = config.activationLifetimeMs ?? ACTIVATION_LIFETIME_MS
  if (!Number.isInteger(lifetimeMs) || lifetimeMs < 10_000) throw new Error('createPushFactor: lifetimeMs must be an integer of 10000 or more')
  if (!Number.isInteger(activationLifetimeMs) || activationLifetimeMs < 10_000) throw new Error('createPushFactor: activationLifetimeMs must be an integer of 10000 or more')

  const enroll = (_request: EnrollRequest, subject: FactorSubject) =>
    TE.right<never, Enrollment<PushProfile, PushSecret>>({ profile: { credentialId: subject.login }, secret: null, activation: 'required' })

  const register = (profile: PushProfile, registration: unknown, factorId: string, ctx: { readonly now: number; readonly origin: string }): TE.TaskEither<AuthnFailure, Registration<PushProfile, PushSecret>> => async () => {
    const decoded = PushRegistration.decode(registration)
    const rejected = { _tag: 'Right' as const, right: { _tag: 'Rejected' as const } }
    if (decoded._tag === 'Left' || decoded.right.factorId !== factorId) return rejected
    const r = decoded.right
    // A public key only: a JWK with private members is refused, never stored.
    if (['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'].some((m) => m in r.key)) return rejected
    let key: KeyObject
    try {
      key = createPublicKey({ key: r.key as JsonWebKey, format: 'jwk' })
    } catch {
      return rejected
    }
    const alg = algorithmOf(key)
    if (alg === null) return rejected
    const claims = await verifyDeviceJwt(r.proof, { key, alg }, { audience: ctx.origin, subject: factorId, now: ctx.now })
    if (claims === null) return rejected
    const spki = key.export({ type: 'spki', format: 'der' })
    const platform = r.device.platform
    return {
      _tag: 'Right',
      right: {
        _tag: 'Registered',
        profile: {
          credentialId: profile.credentialId,
          deviceType: r.device.deviceType ?? (platform === 'IOS' ? 'SmartPhone_IPhone' : platform === 'ANDROID' ? 'SmartPhone_Android' : 'Other'),
          name: r.device.name,
          platform,
          version: r.device.version ?? '',
          keys: [{ kty: 'PKIX', use: 'sig', kid: 'default', x5c: [spki.toString('base64')] }],
        },
        secret: { pushToken: r.device.pushToken ?? null },
        counter: null,
      },
    }
  }

  return {
    factorType: 'push',
    provider: 'OKTA',
    idPrefix: 'opf',
    profileCodec: PushProfile,
    secretCodec: PushSecret,
    enrollRequestCodec: PushEnrollRequest,
    answerCodec: PushAnswer,
    mailbox,
    enroll,
    // An activated device as a seed gives it: its profile with the device's public key (keys[0].x5c[0],
    // P-256 or RSA SubjectPublicKeyInfo); `secret`, its APNs push token, if any.
    seed: (seeded: SeededFactor) => {
      const profile = PushProfile.decode(seeded.profile)
      if (profile._tag === 'Left' || deviceKeyOf(profile.right) === null)
        return TE.left(failure('E0000001', ["A seeded push factor needs its device's public key in profile.keys[0].x5c[0] (a P-256 or RSA SubjectPublicKeyInfo, base64)."]))
      return TE.right<never, Enrollment<PushProfile, PushSecret>>({ profile: profile.right, secret: { pushToken: seeded.secret ?? null }, activation: 'none' })
    },
    profileView: (p) => ({
      credentialId: p.credentialId,
      ...(p.deviceType === undefined ? {} : { deviceType: p.deviceType }),
      ...(p.name === undefined ? {} : { name: p.name }),
      ...(p.platform === undefined ? {} : { platform: p.platform }),
      ...(p.version === undefined ? {} : { version: p.version }),
      ...(p.keys === undefined ? {} : { keys: p.keys }),
    }),
    activationView: () => null,
    qrCode: async (profile, _secret, _issuer, activation) => {
      if (activation === undefined) throw new Error('push: a QR code needs an activation token')
      return QRCode.toBuffer(enrollmentUriOf(profile.credentialId, activation), { type: 'png', errorCorrectionLevel: 'M', margin: 4, scale: 4 })
    },
    delegation: {
      lifetimeMs,
      activationLifetimeMs,
      timeout: 'report',
      // 24 random bytes: the nonce also picks the matching number, so it must not be guessed.
      nonce: (ctx) => b64url(ctx.random.bytes(24)),
      view: (_profile, started, links) => {
        if (started.phase === 'activation') {
          const send = [
            { name: 'email', href: links.send.email, hints: { allow: ['POST'] } },
            { name: 'sms', href: links.send.sms, hints: { allow: ['POST'] } },
          ]
          return {
            activation: {
              expiresAt: new Date(started.expiresAt).toISOString(),
              factorResult: started.factorResult,
              _links:
                started.factorResult === 'WAITING'
                  ? { qrcode: { href: links.qrcode, type: 'image/png' }, send }
                  : { activate: { href: links.send.email.replace(/\/email$/, ''), hints: { allow: ['POST'] } }, send },
            },
          }
        }
        // The number to pick on the device, shown while the push waits (spec §4.10).
        return numberChallenge && started.factorResult === 'WAITING' ? { challenge: { correctAnswer: numberChallengeOf(started.nonce).correctAnswer } } : null
      },
      confirm: (profile, answer, started, ctx) => async () => {
        const device = deviceKeyOf(profile)
        if (device === null || ctx.now >= started.expiresAt) return { _tag: 'Right', right: 'rejected' as const }
        const claims = await verifyDeviceJwt(answer.challengeResponse, device, { audience: ctx.origin, now: ctx.now })
        if (claims === null || claims['challengeId'] !== answer.challengeId) return { _tag: 'Right', right: 'rejected' as const }
        const consent = claims['consent']
        if (consent !== 'APPROVED' && consent !== 'DENIED') return { _tag: 'Right', right: 'rejected' as const }
        mailbox.settle(answer.challengeId)
        if (consent === 'DENIED') return { _tag: 'Right', right: 'denied' as const }
        // Under number matching, approving with another number than the page's is a refusal.
        if (numberChallenge && claims['selectedAnswer'] !== numberChallengeOf(started.nonce).correctAnswer) return { _tag: 'Right', right: 'denied' as const }
        return { _tag: 'Right', right: 'confirmed' as const }
      },
      device: {
        enrollmentUri: (profile, activation) => enrollmentUriOf(profile.credentialId, activation),
        registrationCodec: PushRegistration as unknown as t.Type<unknown, unknown, unknown>,
        register: (profile, registration, factorId, ctx) => register(profile, registration, factorId, ctx),
        notify: async (profile, secret, notice) => {
          const challenge: PushChallenge = {
            challengeId: notice.handle,
            factorId: notice.factorId,
            userId: notice.userId,
            expiresAt: notice.started.expiresAt,
            choices: numberChallenge ? numberChallengeOf(notice.started.nonce).choices : null,
            context: { login: notice.login, transactionType: 'LOGIN', clientIp: notice.clientIp, userAgent: notice.userAgent },
          }
          const target = { factorId: notice.factorId, platform: profile.platform ?? 'OTHER', pushToken: secret?.pushToken ?? null }
          await mailbox.deliver(target, challenge)
          // A device without a platform token fetches from the mailbox only.
          if (config.gateway === undefined || target.pushToken === null) return null
          const failed = await config.gateway.deliver(target, challenge)
          return failed === null ? null : failure('E0000074', [`The push notification could not be sent (${failed.reason}). Try again with resend.`])
        },
        pending: (profile, request, factorId, ctx) => async () => {
          const decoded = PushPendingRequest.decode(request)
          const device = deviceKeyOf(profile)
          const invalid = { _tag: 'Left' as const, left: failure('E0000011') }
          if (decoded._tag === 'Left' || device === null) return invalid
          const claims = await verifyDeviceJwt(decoded.right.assertion, device, { audience: ctx.origin, subject: factorId, now: ctx.now })
          if (claims === null) return invalid
          return { _tag: 'Right', right: mailbox.pending(factorId, ctx.now) }
        },
      },
    },
  }
}
