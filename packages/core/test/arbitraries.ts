import { fc } from '@fast-check/vitest'
import {
  FactorProvider,
  FactorStatus,
  FactorType,
  RecoveryType,
  UserStatus,
  asFactorId,
  asTokenHash,
  asTransactionId,
  asUserId,
  asVersion,
  authnMachine,
  initialContext,
  type AuthnContext,
  type AuthnEvent,
  type AuthnInput,
  type AuthnOptions,
  type EnrollableFactor,
  type EnrolledFactor,
  type LockoutPolicy,
  type MachineState,
  type PasswordAge,
  type PasswordCandidate,
  type PasswordComplexity,
  type Policies,
  type Progress,
  type SentCode,
  type SignOnPolicy,
  type StepUpContext,
  type TokenHash,
  type UserRecord,
} from '../src/index.js'

/** Shared test data: arbitraries for every input of the core. Times are epoch ms around T0. */
export const T0 = 1_700_000_000_000
export const MINUTE = 60_000
export const DAY = 86_400_000

const keysOf = <K extends string>(codec: { readonly keys: Readonly<Record<K, unknown>> }): ReadonlyArray<K> =>
  Object.keys(codec.keys) as K[]

export const FACTOR_TYPES = keysOf(FactorType)
export const FACTOR_PROVIDERS = keysOf(FactorProvider)
export const FACTOR_STATUSES = keysOf(FactorStatus)
export const USER_STATUSES = keysOf(UserStatus)
export const RECOVERY_TYPES = keysOf(RecoveryType)

export const LIVE_STATES = [
  'PASSWORD_WARN',
  'PASSWORD_EXPIRED',
  'PASSWORD_RESET',
  'MFA_ENROLL',
  'MFA_ENROLL_ACTIVATE',
  'MFA_REQUIRED',
  'MFA_CHALLENGE',
] as const satisfies ReadonlyArray<MachineState>
export const FINISHED_STATES = ['SUCCESS', 'LOCKED_OUT', 'CANCELLED', 'FAILED'] as const satisfies ReadonlyArray<MachineState>
/** Every state of the authentication machine. */
export const MACHINE_STATES_OF_AUTHN = ['UNAUTHENTICATED', ...LIVE_STATES, ...FINISHED_STATES] as const

export const EVENT_TYPES = [
  'primary.verified',
  'primary.rejected',
  'transaction.read',
  'transaction.cancel',
  'transaction.previous',
  'transaction.skip',
  'password.change',
  'password.reset',
  'factor.enroll',
  'factor.activate',
  'factor.verify',
  'factor.challenge',
  'factor.nonce',
  'factor.confirm',
  'factor.deny',
] as const satisfies ReadonlyArray<AuthnEvent['type']>

const lower = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz'.split(''))
const alnum = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.split(''))
const word = (min: number, max: number) => fc.string({ unit: lower, minLength: min, maxLength: max })

export const arbTokenHash: fc.Arbitrary<TokenHash> = fc
  .string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-'.split('')), minLength: 43, maxLength: 43 })
  .map(asTokenHash)
export const arbUserId = fc.string({ unit: alnum, minLength: 17, maxLength: 17 }).map((s) => asUserId(`00u${s}`))
export const arbTransactionId = fc.string({ unit: alnum, minLength: 8, maxLength: 30 }).map((s) => asTransactionId(`txn${s}`))
export const arbVersion = fc.integer({ min: 1, max: 1_000_000 }).map(asVersion)

/** A login such as `dade.murphy@example.com`, `z_cool+x@corp.test` or a short name. */
export const arbLogin = fc.oneof(
  fc
    .tuple(word(1, 8), fc.constantFrom('.', '_', '-', '+', '#', ','), word(1, 8), word(2, 8), fc.constantFrom('com', 'test', 'io'))
    .map(([a, sep, b, host, tld]) => `${a}${sep}${b}@${host}.${tld}`),
  word(1, 12),
)

export const arbComplexity: fc.Arbitrary<PasswordComplexity> = fc.record({
  minLength: fc.integer({ min: 0, max: 14 }),
  minLowerCase: fc.integer({ min: 0, max: 2 }),
  minUpperCase: fc.integer({ min: 0, max: 2 }),
  minNumber: fc.integer({ min: 0, max: 2 }),
  minSymbol: fc.integer({ min: 0, max: 2 }),
  excludeUsername: fc.boolean(),
  excludeAttributes: fc.subarray(['firstName', 'lastName'] as const),
})

export const arbAge: fc.Arbitrary<PasswordAge> = fc.record({
  maxAgeDays: fc.constantFrom(0, 30, 90),
  expireWarnDays: fc.constantFrom(0, 7, 30, 100),
  minAgeMinutes: fc.constantFrom(0, 0, 60, 1440),
  historyCount: fc.integer({ min: 0, max: 5 }),
})

export const arbLockout: fc.Arbitrary<LockoutPolicy> = fc.record({
  maxAttempts: fc.integer({ min: 0, max: 5 }),
  autoUnlockMinutes: fc.constantFrom(0, 1, 30),
  showLockoutFailures: fc.boolean(),
})

export const arbSignOn: fc.Arbitrary<SignOnPolicy> = fc.record({
  access: fc.constantFrom('ALLOW', 'ALLOW', 'ALLOW', 'DENY'),
  requireFactor: fc.boolean(),
  allowRememberDevice: fc.boolean(),
  rememberDeviceByDefault: fc.boolean(),
  rememberDeviceLifetimeInMinutes: fc.constantFrom(0, 5, 15, 1440),
})

/** A few factor kinds only, so that "enrolled" and "required" meet often. */
const arbFactorKind = fc.constantFrom(
  { factorType: 'sms', provider: 'OKTA' },
  { factorType: 'email', provider: 'OKTA' },
  { factorType: 'token:software:totp', provider: 'GOOGLE' },
  { factorType: 'question', provider: 'OKTA' },
  { factorType: 'push', provider: 'OKTA' },
) as fc.Arbitrary<{ readonly factorType: FactorType; readonly provider: FactorProvider }>

export const arbEnrollable: fc.Arbitrary<EnrollableFactor> = fc
  .tuple(arbFactorKind, fc.constantFrom('REQUIRED', 'OPTIONAL', 'NOT_ALLOWED'))
  .map(([k, enroll]) => ({ ...k, enroll }))

export const arbPolicies: fc.Arbitrary<Policies> = fc.record({
  password: fc.record({ complexity: arbComplexity, age: arbAge, lockout: arbLockout }),
  signOn: arbSignOn,
  enrollment: fc.record({ factors: fc.array(arbEnrollable, { maxLength: 3 }) }),
})

export const arbPhone = fc
  .tuple(fc.constantFrom('+1 ', '+44 ', ''), fc.string({ unit: fc.constantFrom(...'0123456789'.split('')), minLength: 10, maxLength: 10 }))
  .map(([cc, d]) => `${cc}${d.slice(0, 3)}-${d.slice(3, 6)}-${d.slice(6)}`)
export const arbEmail = fc.tuple(word(1, 10), word(2, 8)).map(([a, b]) => `${a}@${b}.com`)

/** Factor ids from a small pool most of the time, so that runs answer the factor they enrolled. */
export const arbFactorId = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('ostpool00000000001', 'ostpool00000000002', 'ufspool00000000003').map(asFactorId) },
  { weight: 1, arbitrary: fc.string({ unit: alnum, minLength: 17, maxLength: 17 }).map((s) => asFactorId(`ost${s}`)) },
)
const arbFactorOutcome = fc.constantFrom('accepted' as const, 'accepted' as const, 'rejected' as const, 'replayed' as const)

export const arbEnrolledFactor: fc.Arbitrary<EnrolledFactor> = fc
  .tuple(
    arbFactorKind,
    fc.string({ unit: alnum, minLength: 17, maxLength: 17 }),
    fc.constantFrom<FactorStatus>('ACTIVE', 'ACTIVE', 'PENDING_ACTIVATION', 'INACTIVE'),
    arbPhone,
    arbEmail,
  )
  .map(([k, id, status, phone, email]) => ({
    id: asFactorId(`${k.factorType.slice(0, 3).replace(':', 'x')}${id}`),
    factorType: k.factorType,
    provider: k.provider,
    status,
    profile:
      k.factorType === 'sms'
        ? { phoneNumber: phone }
        : k.factorType === 'email'
          ? { email }
          : k.factorType === 'question'
            ? { question: 'disliked_food', questionText: 'What is the food you least liked as a child?' }
            : { credentialId: email },
  }))

export const arbUser: fc.Arbitrary<UserRecord> = fc
  .record({
    id: arbUserId,
    status: fc.constantFrom<UserStatus>('ACTIVE', 'ACTIVE', 'ACTIVE', 'PASSWORD_EXPIRED', 'LOCKED_OUT', 'STAGED'),
    login: arbLogin,
    firstName: word(1, 8),
    lastName: word(1, 10),
    extra: fc.record(
      {
        email: arbEmail,
        mobilePhone: arbPhone,
        locale: fc.constantFrom('en_US', 'en', 'fr_FR'),
        timeZone: fc.constantFrom('America/Los_Angeles', 'Europe/Paris', 'UTC'),
      },
      { requiredKeys: [] },
    ),
    passwordHash: fc.option(fc.constantFrom('$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA', 'plain:hunter2'), { freq: 5 }),
    /** How long ago the password was changed. */
    passwordAgeMs: fc.option(
      fc.oneof(fc.integer({ min: 0, max: 2 * DAY }), fc.integer({ min: 0, max: 120 * DAY }), fc.integer({ min: 0, max: 120 * DAY })),
      { freq: 8 },
    ),
    passwordHistory: fc.array(fc.constantFrom('h1', 'h2', 'h3'), { maxLength: 3 }),
    recoveryQuestion: fc.option(fc.record({ question: fc.constant('Who?'), answerHash: fc.constant('plain:me') })),
    failedAttempts: fc.integer({ min: 0, max: 6 }),
    lockedAgoMs: fc.option(fc.integer({ min: 0, max: 2 * 60 * MINUTE }), { freq: 3 }),
    activationTokenHash: fc.option(arbTokenHash),
    activationClaim: fc.option(arbTransactionId),
    credentialEpoch: fc.nat({ max: 1000 }),
    rememberedDevices: fc.array(fc.record({ hash: arbTokenHash, until: fc.integer({ min: T0 - DAY, max: T0 + DAY }) }), { maxLength: 2 }),
  })
  .map((r) => ({
    schemaVersion: 1 as const,
    id: r.id,
    status: r.status,
    profile: { login: r.login, firstName: r.firstName, lastName: r.lastName, ...r.extra },
    credentials: {
      passwordHash: r.passwordHash,
      passwordChangedAt: r.passwordAgeMs === null ? null : T0 - r.passwordAgeMs,
      passwordHistory: r.passwordHistory,
      recoveryQuestion: r.recoveryQuestion,
    },
    failedAttempts: r.failedAttempts,
    lockedAt: r.lockedAgoMs === null ? null : T0 - r.lockedAgoMs,
    activationTokenHash: r.activationTokenHash,
    activationClaim: r.activationClaim,
    credentialEpoch: r.credentialEpoch,
    rememberedDevices: r.rememberedDevices,
  }))

/** A step-up's app as the transaction keeps it (spec §4.2, §4.3): any sign-on policy, a factor perhaps verified recently. */
export const arbStepUp: fc.Arbitrary<StepUpContext> = fc.record({
  appId: fc.string({ unit: alnum, minLength: 4, maxLength: 20 }).map((s) => `0oa${s}`),
  target: fc.record({
    name: word(1, 12),
    label: word(1, 20),
    logo: fc.option(fc.constant({ href: 'https://apps.example.com/logo.png', type: 'image/png' })),
  }),
  authentication: fc.record({
    protocol: fc.constantFrom<StepUpContext['authentication']['protocol']>('SAML2.0', 'SAML1.1', 'WS-FED'),
    issuer: fc.record({ id: word(3, 12), name: word(1, 20), uri: word(3, 30) }),
  }),
  signOn: fc.record({
    access: fc.constantFrom<'ALLOW' | 'DENY'>('ALLOW', 'ALLOW', 'ALLOW', 'DENY'),
    requireFactor: fc.boolean(),
    factorLifetimeMinutes: fc.constantFrom(0, 15, 60),
  }),
  factorFresh: fc.constantFrom(false, false, true),
})

export const arbOptions: fc.Arbitrary<AuthnOptions> = fc.record({
  warnBeforePasswordExpired: fc.boolean(),
  multiOptionalFactorEnroll: fc.boolean(),
})

/** What the shell hands the core when a transaction starts; `now` is T0 (users are built around it). */
export const arbInput: fc.Arbitrary<AuthnInput> = fc.record({
  user: arbUser,
  flow: fc.constantFrom<'PASSWORD' | 'ACTIVATION' | 'SESSION'>('PASSWORD', 'PASSWORD', 'PASSWORD', 'ACTIVATION', 'SESSION'),
  policy: arbPolicies,
  options: arbOptions,
  relayState: fc.option(fc.string({ maxLength: 20 })),
  now: fc.constant(T0),
  lifetimeMs: fc.constantFrom(5 * MINUTE, 60 * MINUTE, 24 * 60 * MINUTE),
  maxLifetimeMs: fc.constantFrom(30 * MINUTE, 60 * MINUTE, 2 * 24 * 60 * MINUTE),
  sessionLifetimeMs: fc.constantFrom(5 * MINUTE, 60 * MINUTE),
  lockedOut: fc.constantFrom(false, false, true),
  factors: fc.array(arbEnrolledFactor, { maxLength: 3 }),
  deviceRemembered: fc.constantFrom(false, false, false, true),
  deviceTokenHash: fc.option(arbTokenHash),
  stepUp: fc.option(arbStepUp, { freq: 2, nil: null }),
})

export const arbProgress: fc.Arbitrary<Progress> = fc.record({
  mfaVerified: fc.boolean(),
  passwordChanged: fc.boolean(),
  warnHandled: fc.boolean(),
  enrolledHere: fc.boolean(),
  enrollHandled: fc.boolean(),
})

const SENDING_TYPES = ['sms', 'call', 'email'] as const
const THROTTLE_OF: Readonly<Record<string, number>> = { sms: 30_000, call: 30_000, email: 5_000 }
const THROTTLE = { sms: { ms: 30_000, code: 'E0000109' }, call: { ms: 30_000, code: 'E0000133' }, email: { ms: 5_000, code: 'E0000118' } } as const

/** A code sent for `factorId` at `sentAt` (as the engine issues them), possibly partly used. */
export const arbSentCodeAt = (factorId: fc.Arbitrary<SentCode['factorId']>, sentAt: number, attemptsLeft: fc.Arbitrary<number> = fc.integer({ min: 0, max: 5 })): fc.Arbitrary<SentCode> =>
  fc.record({ factorId, factorType: fc.constantFrom(...SENDING_TYPES), attemptsLeft, mac: fc.string({ unit: alnum, minLength: 8, maxLength: 8 }) }).map(({ factorId: id, factorType, attemptsLeft: left, mac }) => ({
    factorId: id,
    factorType,
    codeMac: `m1.k.${mac}`,
    sentAt,
    expiresAt: sentAt + 5 * MINUTE,
    attemptsLeft: left,
    resendAfter: sentAt + THROTTLE[factorType].ms,
    throttledCode: THROTTLE[factorType].code,
  }))

/** Any context the machine may hold, including progress and tokens that only later steps set. */
export const arbContext: fc.Arbitrary<AuthnContext> = fc
  .tuple(
    arbInput,
    fc.option(arbProgress, { freq: 2 }),
    fc.option(fc.constantFrom(...RECOVERY_TYPES), { freq: 3 }),
    fc.option(arbTokenHash, { freq: 3 }),
    fc.option(arbEnrolledFactor, { freq: 2 }),
    fc.option(arbFactorId, { freq: 2 }),
    fc.option(fc.integer({ min: T0 - MINUTE, max: T0 + 3 * MINUTE }).chain((at) => arbSentCodeAt(arbFactorId, at)), { freq: 2 }),
    // A nonce issued (WebAuthn, U2F) or a third party's verification started (Duo), confirmed or not.
    fc.option(fc.record({ nonce: fc.string({ unit: alnum, minLength: 20, maxLength: 20 }), expiresAt: fc.integer({ min: T0, max: T0 + 5 * MINUTE }), confirmed: fc.boolean() }), { freq: 2 }),
  )
  .map(([input, progress, recoveryType, sessionTokenHash, activating, challenge, sent, nonce]) => {
    const c = initialContext(input)
    // A code is sent for the factor waiting for its activation or for the challenge, when there is one.
    const sentFor = sent === null ? null : { ...sent, factorId: activating?.id ?? challenge ?? sent.factorId }
    return {
      ...c,
      ...(progress === null ? {} : { progress }),
      activating,
      challenge,
      sent: sentFor,
      // Held for the factor waiting for its activation or for the challenge, when there is one.
      ...(nonce === null || (activating === null && challenge === null) ? {} : { nonce: { factorId: asFactorId(activating?.id ?? challenge ?? ''), nonce: nonce.nonce, expiresAt: nonce.expiresAt, ...(nonce.confirmed ? { confirmed: true } : {}) } }),
      // Each type's throttle, as the codes sent so far left it (here: the last code's type only).
      ...(sentFor === null ? {} : { resendAfter: { [sentFor.factorType]: sentFor.resendAfter } }),
      recoveryType,
      sessionTokenHash,
      sessionExpiresAt: sessionTokenHash === null ? null : T0 + c.sessionLifetimeMs,
    }
  })

/** A candidate that meets every arbitrary policy above (long, varied, fresh). */
export const strongCandidate: PasswordCandidate = {
  length: 16,
  lowerCase: 4,
  upperCase: 4,
  numbers: 4,
  symbols: 4,
  containsUsernamePart: false,
  containsFirstName: false,
  containsLastName: false,
  reusesHistory: false,
}

export const arbCandidate: fc.Arbitrary<PasswordCandidate> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(strongCandidate) },
  {
    weight: 3,
    arbitrary: fc.record({
      length: fc.integer({ min: 0, max: 20 }),
      lowerCase: fc.integer({ min: 0, max: 3 }),
      upperCase: fc.integer({ min: 0, max: 3 }),
      numbers: fc.integer({ min: 0, max: 3 }),
      symbols: fc.integer({ min: 0, max: 3 }),
      containsUsernamePart: fc.boolean(),
      containsFirstName: fc.boolean(),
      containsLastName: fc.boolean(),
      reusesHistory: fc.boolean(),
    }),
  },
)

const arbNewHash = fc.option(fc.constant('$argon2id$v=19$m=19456,t=2,p=1$bmV3$aGFzaA'), { freq: 6 })

/** An event of the given type at `now`. */
export const arbEventOfType = (type: AuthnEvent['type'], now: number): fc.Arbitrary<AuthnEvent> => {
  switch (type) {
    case 'primary.verified':
    case 'transaction.skip':
      return arbTokenHash.map((sessionTokenHash) => ({ type, now, sessionTokenHash }))
    case 'primary.rejected':
      return fc.boolean().map((lockedAfter) => ({ type, now, lockedAfter }))
    case 'transaction.read':
    case 'transaction.cancel':
    case 'transaction.previous':
      return fc.constant({ type, now })
    case 'password.change':
      return fc
        .record({
          oldPasswordValid: fc.boolean().chain((b) => (b ? fc.constant(true) : fc.boolean())),
          candidate: arbCandidate,
          newPasswordHash: arbNewHash,
          revokeSessions: fc.boolean(),
          sessionTokenHash: arbTokenHash,
        })
        .map((r) => ({ type, now, ...r }))
    case 'password.reset':
      return fc
        .record({ candidate: arbCandidate, newPasswordHash: arbNewHash, revokeSessions: fc.boolean(), sessionTokenHash: arbTokenHash })
        .map((r) => ({ type, now, ...r }))
    case 'factor.enroll':
      return fc
        .record({
          factor: arbEnrolledFactor,
          id: arbFactorId,
          activation: fc.constantFrom('required' as const, 'none' as const),
          sessionTokenHash: arbTokenHash,
          sent: fc.option(arbSentCodeAt(arbFactorId, now, fc.constant(5))),
          nonce: fc.option(fc.string({ unit: alnum, minLength: 20, maxLength: 20 }), { freq: 4 }),
        })
        .map(({ id, sent, nonce, ...r }) => ({
          type,
          now,
          ...r,
          factor: { ...r.factor, id },
          // Only an enrollment that waits for its activation sends a code, or starts a third party's verification (Duo).
          ...(sent === null || r.activation === 'none' ? {} : { sent: { ...sent, factorId: id } }),
          ...(nonce === null || r.activation === 'none' || sent !== null ? {} : { nonce: { nonce, expiresAt: now + 300_000 } }),
        }))
    case 'factor.activate':
      return fc
        .record({ factorId: arbFactorId, outcome: arbFactorOutcome, counter: fc.option(fc.nat({ max: 1e6 })), sessionTokenHash: arbTokenHash })
        .map((r) => ({ type, now, ...r }))
    case 'factor.verify':
      return fc
        .record({
          factorId: arbFactorId,
          outcome: arbFactorOutcome,
          counter: fc.option(fc.nat({ max: 1e6 })),
          answerKind: fc.constantFrom('passCode' as const, 'answer' as const),
          lockedAfter: fc.constantFrom(false, false, true),
          rememberDevice: fc.boolean(),
          sessionTokenHash: arbTokenHash,
          challenge: fc.option(fc.string({ unit: alnum, minLength: 4, maxLength: 24 }), { freq: 5 }),
        })
        // A server asking for the next code (RSA) is a refusal, never counted as locking.
        .map(({ challenge, ...r }) =>
          challenge === null || r.outcome !== 'rejected' || r.lockedAfter ? { type, now, ...r } : { type, now, ...r, challenge: { nonce: challenge, expiresAt: now + 180_000 } },
        )
    case 'factor.challenge':
      return fc
        .record({ sent: arbSentCodeAt(arbFactorId, now, fc.constant(5)), resend: fc.boolean() })
        .map(({ sent, resend }) => ({ type, now, factorId: sent.factorId, sent, resend }))
    case 'factor.nonce':
      return fc
        .record({ factorId: arbFactorId, nonce: fc.string({ unit: alnum, minLength: 20, maxLength: 20 }), ended: fc.constantFrom({}, { reported: true }, { denied: true, reported: true }) })
        .map(({ factorId, nonce, ended }) => ({ type, now, factorId, nonce: { nonce, expiresAt: now + 60_000, ...ended } }))
    case 'factor.confirm':
    case 'factor.deny':
      return fc
        .record({ factorId: arbFactorId, nonce: fc.string({ unit: alnum, minLength: 20, maxLength: 20 }) })
        .map(({ factorId, nonce }) => ({ type, now, factorId, nonce: { nonce, expiresAt: now + 300_000 } }))
  }
}

/** An event whose factor id is, half of the time, the one the context waits for. */
export const aimedAt = (c: AuthnContext, e: AuthnEvent, aim: boolean): AuthnEvent => {
  if (!aim) return e
  if (e.type === 'factor.activate' && c.activating !== null) return { ...e, factorId: c.activating.id }
  if (e.type === 'factor.verify') {
    const target = c.challenge ?? c.factors.find((f) => f.status === 'ACTIVE')?.id
    return target === undefined ? e : { ...e, factorId: target }
  }
  // A code of the family sent last, so that resend throttles come up.
  const family = c.sent === null || c.sent === undefined ? {} : { factorType: c.sent.factorType, resendAfter: e.now + (THROTTLE_OF[c.sent.factorType] ?? 0), throttledCode: c.sent.throttledCode }
  if (e.type === 'factor.challenge') {
    const target = c.activating?.id ?? c.challenge ?? c.factors.find((f) => f.status === 'ACTIVE')?.id
    return target === undefined ? e : { ...e, factorId: target, sent: { ...e.sent, ...family, factorId: target } }
  }
  if (e.type === 'factor.nonce') {
    const target = c.activating?.id ?? c.challenge ?? c.factors.find((f) => f.status === 'ACTIVE')?.id
    return target === undefined ? e : { ...e, factorId: target }
  }
  // The third party's response for the verification the transaction started (Duo).
  if (e.type === 'factor.confirm' || e.type === 'factor.deny') {
    const target = c.activating?.id ?? c.nonce?.factorId ?? c.challenge
    return target === undefined || target === null ? e : { ...e, factorId: target, nonce: c.nonce === null || c.nonce === undefined ? e.nonce : { nonce: c.nonce.nonce, expiresAt: c.nonce.expiresAt } }
  }
  if (e.type === 'factor.enroll' && e.sent !== undefined) return { ...e, sent: { ...e.sent, ...family } }
  return e
}

export const arbEventType = fc.constantFrom(...EVENT_TYPES)

/** Any event at any `now` in [from, to]. */
export const arbEventBetween = (from: number, to: number): fc.Arbitrary<AuthnEvent> =>
  fc.tuple(arbEventType, fc.integer({ min: from, max: to })).chain(([type, now]) => arbEventOfType(type, now))

/** Time steps between events: mostly well inside a state token's lifetime, sometimes far beyond it. */
export const arbDelta = fc.oneof(
  { weight: 10, arbitrary: fc.integer({ min: 0, max: 4 * MINUTE }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 3 * DAY }) },
)

/** A run: a transaction's input and the events sent to it, with increasing `now`. */
export interface Run {
  readonly input: AuthnInput
  readonly events: ReadonlyArray<AuthnEvent>
}

const arbFirstType = fc.constantFrom<AuthnEvent['type']>(
  'primary.verified',
  'primary.verified',
  'primary.verified',
  'primary.verified',
  'primary.rejected',
  'transaction.read',
)
const arbLaterType = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(...EVENT_TYPES) },
  { weight: 2, arbitrary: fc.constantFrom<AuthnEvent['type']>('password.change', 'password.reset', 'transaction.skip', 'transaction.read') },
  { weight: 2, arbitrary: fc.constantFrom<AuthnEvent['type']>('factor.enroll', 'factor.activate', 'factor.verify', 'factor.verify', 'factor.challenge', 'factor.nonce', 'factor.confirm', 'factor.deny') },
)

export const arbRun: fc.Arbitrary<Run> = fc
  .tuple(arbInput, arbFirstType, fc.array(fc.tuple(arbLaterType, arbDelta), { maxLength: 8 }), fc.integer({ min: 0, max: MINUTE }))
  .chain(([input, firstType, later, firstDelta]) => {
    let now = input.now + firstDelta
    const arbs = [arbEventOfType(firstType, now)]
    for (const [type, delta] of later) {
      now += delta
      arbs.push(arbEventOfType(type, now))
    }
    return fc.tuple(...arbs).map((events) => ({ input, events }))
  })

/** A restored snapshot's parts: any state with any context, and an event around its expiry. */
export interface Step {
  readonly state: MachineState
  readonly context: AuthnContext
  readonly event: AuthnEvent
}

const handledTypes = (state: MachineState): ReadonlyArray<AuthnEvent['type']> =>
  authnMachine.getStateNodeById(`authn.${state}`).ownEvents.filter((t): t is AuthnEvent['type'] =>
    (EVENT_TYPES as ReadonlyArray<string>).includes(t),
  )

/** Events a state handles come up half of the time; the others the rest. */
export const arbTypeFor = (state: MachineState): fc.Arbitrary<AuthnEvent['type']> => {
  const handled = handledTypes(state)
  return handled.length === 0
    ? arbEventType
    : fc.oneof(fc.constantFrom(...handled), arbEventType)
}

export const arbStateOf = (states: ReadonlyArray<MachineState>): fc.Arbitrary<Step> =>
  fc
    .tuple(
      fc.constantFrom(...states),
      arbContext,
      fc.oneof(
        { weight: 12, arbitrary: fc.integer({ min: 0, max: 4 * MINUTE }) },
        { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 * DAY }) },
      ),
    )
    .chain(([state, context, delta]) =>
      arbTypeFor(state)
        .chain((type) => fc.tuple(arbEventOfType(type, T0 + delta), fc.boolean()))
        .map(([event, aim]) => ({ state, context, event: aimedAt(context, event, aim) })),
    )

/** Any state (UNAUTHENTICATED, with the most transitions, more often), any context, any event. */
export const arbStep = arbStateOf(['UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED', ...MACHINE_STATES_OF_AUTHN])
