import * as t from 'io-ts'
import { SeedRateLimitPolicy } from '../model/rate-limit.js'
import {
  EnrollmentPolicy,
  LockoutPolicy,
  PasswordAge,
  PasswordComplexity,
  SignOnPolicy,
  SentCodePolicy,
  DEFAULT_SENT_CODE_POLICY,
  RecoveryPolicy,
  DEFAULT_RECOVERY_POLICY,
  type Policies,
} from '../model/policy.js'
import { FactorProvider, FactorType } from '../model/status.js'
import { AbsoluteHttpUrl, App, AppId, AppProtocol, AppSignOnPolicy, DEFAULT_APP_SIGN_ON } from '../model/app.js'

/**
 * An organisation described as data: users with plaintext passwords (hashed on load) and policies.
 * The reference server's `--seed FILE` and the conformance harness read the same format
 * (docs/seed-format.md). Every policy part is optional and falls back to DEFAULT_POLICIES.
 */
export const SeedFactor = t.intersection(
  [
    t.type({ factorType: FactorType, provider: FactorProvider }),
    t.partial({
      id: t.string,
      status: t.keyof({ ACTIVE: null, PENDING_ACTIVATION: null }),
      /** Shared secret (TOTP/HOTP, base32), if the factor has one. */
      secret: t.string,
      phoneNumber: t.string,
      email: t.string,
      credentialId: t.string,
      question: t.string,
      answer: t.string,
    }),
  ],
  'SeedFactor',
)
export type SeedFactor = t.TypeOf<typeof SeedFactor>

export const SeedUser = t.intersection(
  [
    t.type({ login: t.string, firstName: t.string, lastName: t.string }),
    t.partial({
      id: t.string,
      /** Plaintext; hashed when the seed is loaded. Omit for a STAGED user activated by token. */
      password: t.string,
      status: t.keyof({ ACTIVE: null, LOCKED_OUT: null, PASSWORD_EXPIRED: null, STAGED: null }),
      /** ISO date of the last password change (drives expiry and warn); default: load time. */
      passwordChanged: t.string,
      /** Plaintext activation token for a STAGED user (hashed on load). */
      activationToken: t.string,
      email: t.string,
      mobilePhone: t.string,
      locale: t.string,
      timeZone: t.string,
      recoveryQuestion: t.type({ question: t.string, answer: t.string }),
      factors: t.readonlyArray(SeedFactor),
    }),
  ],
  'SeedUser',
)
export type SeedUser = t.TypeOf<typeof SeedUser>

export const SeedRecoveryPolicy = t.partial(
  {
    channels: t.partial({ email: t.boolean, sms: t.boolean, call: t.boolean }),
    recoveryTokenLifetimeMinutes: RecoveryPolicy.props.recoveryTokenLifetimeMinutes,
    selfServiceUnlock: t.boolean,
    selfServicePasswordReset: t.boolean,
    questionRequired: t.boolean,
    maxAnswerAttempts: RecoveryPolicy.props.maxAnswerAttempts,
  },
  'SeedRecoveryPolicy',
)

export const SeedPolicies = t.partial(
  {
    password: t.partial({
      complexity: t.partial(PasswordComplexity.props),
      age: t.partial(PasswordAge.props),
      lockout: t.partial(LockoutPolicy.props),
    }),
    signOn: t.partial(SignOnPolicy.props),
    enrollment: EnrollmentPolicy,
    recovery: SeedRecoveryPolicy,
    /** Codes sent by SMS, voice call and email: `{ lifetimeMinutes, maxAttempts }`. */
    sentCode: t.partial(SentCodePolicy.props),
    /** The authn API's rate limits (docs/adr/0014-rate-limits.md); read by the HTTP binding, not stored with transactions. */
    rateLimits: SeedRateLimitPolicy,
  },
  'SeedPolicies',
)
export type SeedPolicies = t.TypeOf<typeof SeedPolicies>

/**
 * An app that step-ups may target (docs/adr/0028-step-up.md): `status` defaults to ACTIVE, `logo`
 * to none, `issuer` to the app's id and label with its return URL's origin, `signOn` to
 * {@link DEFAULT_APP_SIGN_ON} part by part.
 */
export const SeedApp = t.intersection(
  [
    t.type({ id: AppId, name: App.props.name, label: App.props.label, protocol: AppProtocol, returnUrl: AbsoluteHttpUrl }),
    t.partial({
      status: App.props.status,
      logo: App.props.logo,
      issuer: t.partial(App.props.issuer.props),
      signOn: t.partial(AppSignOnPolicy.props),
    }),
  ],
  'SeedApp',
)
export type SeedApp = t.TypeOf<typeof SeedApp>

/** Pure: the app a seed entry describes, its defaults filled in. */
export const appFromSeed = (s: SeedApp): App => ({
  id: s.id,
  name: s.name,
  label: s.label,
  status: s.status ?? 'ACTIVE',
  logo: s.logo ?? null,
  protocol: s.protocol,
  issuer: { id: s.issuer?.id ?? s.id, name: s.issuer?.name ?? s.label, uri: s.issuer?.uri ?? new URL(s.returnUrl).origin },
  returnUrl: s.returnUrl,
  signOn: { ...DEFAULT_APP_SIGN_ON, ...s.signOn },
})

export const OrgSeed = t.intersection(
  [t.type({ users: t.readonlyArray(SeedUser) }), t.partial({ policies: SeedPolicies, apps: t.readonlyArray(SeedApp) })],
  'OrgSeed',
)
export type OrgSeed = t.TypeOf<typeof OrgSeed>

/** Pure: the seed's policies over DEFAULT_POLICIES. */
export const policiesFromSeed = (seed: SeedPolicies | undefined, defaults: Policies): Policies => ({
  password: {
    complexity: { ...defaults.password.complexity, ...seed?.password?.complexity },
    age: { ...defaults.password.age, ...seed?.password?.age },
    lockout: { ...defaults.password.lockout, ...seed?.password?.lockout },
  },
  signOn: { ...defaults.signOn, ...seed?.signOn },
  enrollment: seed?.enrollment ?? defaults.enrollment,
  ...(seed?.recovery === undefined && defaults.recovery === undefined
    ? {}
    : {
        recovery: {
          ...DEFAULT_RECOVERY_POLICY,
          ...defaults.recovery,
          ...seed?.recovery,
          channels: { ...DEFAULT_RECOVERY_POLICY.channels, ...defaults.recovery?.channels, ...seed?.recovery?.channels },
        },
      }),
  ...(seed?.sentCode === undefined && defaults.sentCode === undefined
    ? {}
    : { sentCode: { ...DEFAULT_SENT_CODE_POLICY, ...defaults.sentCode, ...seed?.sentCode } }),
})

const UNIT_MS: Readonly<Record<string, number>> = { d: 86_400_000, h: 3_600_000, m: 60_000 }
const RELATIVE = /^now(?:([+-])(\d{1,6})([dhm]))?$/

/**
 * A `passwordChanged` of `now`, `now-85d`, `now-12h` or `now+5m`, resolved against `now` into an
 * ISO date, so that a committed seed keeps a user inside the password warn window forever. Pure;
 * other values are left for the seed decoder to judge. The ONE resolution: the reference server
 * applies it when it loads a seed, the conformance harness's model when a run starts, so both
 * see the same org.
 */
export const resolveRelativeDate = (value: string, now: number): string => {
  const m = RELATIVE.exec(value.trim())
  if (m === null) return value
  const offset = m[1] === undefined ? 0 : (m[1] === '-' ? -1 : 1) * Number(m[2]) * (UNIT_MS[m[3] ?? 'd'] ?? 0)
  // eslint-disable-next-line no-restricted-globals -- formats a given instant; reads no clock
  return new Date(now + offset).toISOString()
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Pure: the seed with every user's relative `passwordChanged` resolved against `now`. Anything else is unchanged. */
export const resolveRelativeDates = (raw: unknown, now: number): unknown => {
  if (!isRecord(raw) || !Array.isArray(raw['users'])) return raw
  return {
    ...raw,
    users: raw['users'].map((u: unknown) =>
      isRecord(u) && typeof u['passwordChanged'] === 'string' ? { ...u, passwordChanged: resolveRelativeDate(u['passwordChanged'], now) } : u,
    ),
  }
}
