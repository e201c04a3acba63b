import { createHash } from 'node:crypto'
import * as TE from 'fp-ts/lib/TaskEither.js'
import {
  DEFAULT_POLICIES,
  asFactorId,
  asUserId,
  type Clock,
  type FactorRecord,
  type Hasher,
  type Policies,
  type Random,
  type RequestContext,
  type UserRecord,
} from '@authn-machine/core'

const trivialHash = (plain: string) => `$trivial$${createHash('sha256').update(plain).digest('base64url')}`

/** A fast, deterministic stand-in for argon2id in tests and benchmarks. Not for production. */
export const createTrivialHasher = (): Hasher => ({
  hash: (plain) => TE.right(trivialHash(plain)),
  verify: (hash, plain) => TE.right(hash === trivialHash(plain)),
})

/**
 * A salted stand-in for a real password hash, for stores' tests: like argon2id's, two hashes of
 * one password differ (N rehashes of it are N different strings), and each verifies that password
 * only (`verifySalted`). Not for production.
 */
export const saltedHash = (plain: string, salt: string): string =>
  `$salted$${salt}$${createHash('sha256').update(`${salt}\u0000${plain}`).digest('base64url')}`
export const verifySalted = (hash: string, plain: string): boolean => hash === saltedHash(plain, hash.split('$')[2] ?? '')

/**
 * The trivial hasher, counting its verifications by hash. `verifiesOf(password)`: how many guesses
 * were checked against the hash of `password` (the trivial hash is unsalted: the stored hash of
 * every user whose password it is), so not against the engine's dummy hash, which an unknown
 * login or a locked account is verified against (docs/adr/0011-indistinguishable-users.md).
 */
export const createCountingHasher = (): Hasher & { readonly verifiesOf: (password: string) => number } => {
  const trivial = createTrivialHasher()
  const counts = new Map<string, number>()
  return {
    hash: trivial.hash,
    verify: (hash, plain) => () => {
      counts.set(hash, (counts.get(hash) ?? 0) + 1)
      return trivial.verify(hash, plain)()
    },
    verifiesOf: (password) => counts.get(trivialHash(password)) ?? 0,
  }
}

/** A clock that moves only when told to. */
export interface ManualClock extends Clock {
  readonly advance: (ms: number) => void
  readonly set: (ms: number) => void
}
export const createManualClock = (start = Date.UTC(2026, 0, 1)): ManualClock => {
  let now = start
  return {
    now: () => now,
    advance: (ms) => {
      now += ms
    },
    set: (ms) => {
      now = ms
    },
  }
}

/** Reproducible bytes from a seed (SHA-256 in counter mode), for determinism checks only. */
export const createSeededRandom = (seed: number | string): Random => {
  let counter = 0
  return {
    bytes: (n) => {
      const out = new Uint8Array(n)
      let filled = 0
      while (filled < n) {
        const block = createHash('sha256').update(`${seed}:${counter++}`).digest()
        out.set(block.subarray(0, Math.min(block.length, n - filled)), filled)
        filled += block.length
      }
      return out
    },
  }
}

export const PUBLIC_CONTEXT: RequestContext = { ip: '127.0.0.1', userAgent: 'authn-machine-testkit', deviceToken: null, trusted: false }

export interface UserSpec {
  readonly id?: string
  readonly login: string
  readonly passwordHash: string | null
  readonly passwordChangedAt?: number | null
  readonly status?: UserRecord['status']
  readonly firstName?: string
  readonly lastName?: string
  readonly activationTokenHash?: string | null
  readonly rememberedDevices?: UserRecord['rememberedDevices']
}

/** A valid user record with sensible defaults. Its factors are separate records: see `makeFactor`. */
export const makeUser = (spec: UserSpec): UserRecord => ({
  schemaVersion: 1,
  id: asUserId(spec.id ?? `00u${createHash('sha256').update(spec.login).digest('hex').slice(0, 17)}`),
  status: spec.status ?? 'ACTIVE',
  profile: {
    login: spec.login,
    firstName: spec.firstName ?? 'Dade',
    lastName: spec.lastName ?? 'Murphy',
    locale: 'en_US',
    timeZone: 'America/Los_Angeles',
  },
  credentials: {
    passwordHash: spec.passwordHash,
    passwordChangedAt: spec.passwordChangedAt === undefined ? Date.UTC(2025, 11, 1) : spec.passwordChangedAt,
    passwordHistory: [],
    recoveryQuestion: null,
  },
  failedAttempts: 0,
  lockedAt: null,
  activationTokenHash: (spec.activationTokenHash ?? null) as UserRecord['activationTokenHash'],
  activationClaim: null,
  credentialEpoch: 0,
  rememberedDevices: spec.rememberedDevices ?? [],
})

export interface FactorSpec {
  readonly userId: string
  /** Default: derived from the user, type, provider and `createdAt`. */
  readonly id?: string
  readonly factorType?: FactorRecord['factorType']
  readonly provider?: FactorRecord['provider']
  readonly status?: FactorRecord['status']
  readonly profile?: FactorRecord['profile']
  readonly secret?: string | null
  readonly lastCounter?: number | null
  readonly createdAt?: number
}

/** A valid factor record (default: an ACTIVE Google Authenticator TOTP factor, no secret, no counter). */
export const makeFactor = (spec: FactorSpec): FactorRecord => {
  const factorType = spec.factorType ?? 'token:software:totp'
  const provider = spec.provider ?? 'GOOGLE'
  const createdAt = spec.createdAt ?? Date.UTC(2025, 11, 1)
  return {
    schemaVersion: 1,
    id: asFactorId(spec.id ?? `fct${createHash('sha256').update(`${spec.userId}:${factorType}:${provider}:${createdAt}`).digest('hex').slice(0, 17)}`),
    userId: asUserId(spec.userId),
    factorType,
    provider,
    status: spec.status ?? 'ACTIVE',
    profile: spec.profile ?? {},
    secret: spec.secret ?? null,
    lastCounter: spec.lastCounter ?? null,
    createdAt,
  }
}

/** Policies with a few fields replaced. */
export const policiesWith = (o: {
  readonly maxAttempts?: number
  readonly autoUnlockMinutes?: number
  readonly showLockoutFailures?: boolean
  readonly maxAgeDays?: number
  readonly expireWarnDays?: number
  readonly minAgeMinutes?: number
  readonly historyCount?: number
}): Policies => ({
  ...DEFAULT_POLICIES,
  password: {
    ...DEFAULT_POLICIES.password,
    age: {
      maxAgeDays: o.maxAgeDays ?? DEFAULT_POLICIES.password.age.maxAgeDays,
      expireWarnDays: o.expireWarnDays ?? DEFAULT_POLICIES.password.age.expireWarnDays,
      minAgeMinutes: o.minAgeMinutes ?? DEFAULT_POLICIES.password.age.minAgeMinutes,
      historyCount: o.historyCount ?? DEFAULT_POLICIES.password.age.historyCount,
    },
    lockout: {
      maxAttempts: o.maxAttempts ?? DEFAULT_POLICIES.password.lockout.maxAttempts,
      autoUnlockMinutes: o.autoUnlockMinutes ?? DEFAULT_POLICIES.password.lockout.autoUnlockMinutes,
      showLockoutFailures: o.showLockoutFailures ?? DEFAULT_POLICIES.password.lockout.showLockoutFailures,
    },
  },
})
