import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { OrgSeed } from '@authn-machine/core'
import type { Driver, WireResponse } from './harness/driver.js'
import { compareTimings, formatTimingComparison, type TimingBounds, type TimingComparison, type TimingPlan } from './timing.js'

// Public callers never learn whether a user exists (docs/adr/0011-indistinguishable-users.md,
// ASVS V6.3.8): not from the answer, and not from how long it takes. Each case pairs a request
// about a known user with the same request about an unknown one; both must get the same answer,
// and the timing helper (./timing.ts) must not tell them apart.

/** The password of every seeded user of {@link USER_EXISTENCE_SEED}. */
export const EXISTENCE_PASSWORD = 'Known-User-Pa55'
const WRONG_PASSWORD = 'Not-The-Pa55word'

/**
 * The org the cases run against: an active user and a locked one, lockout hidden (Okta's default:
 * a locked account answers 401 E0000004, as an unknown login does). `maxAttempts` is high enough
 * that the active user never locks during a run: each of its wrong passwords is recorded as a
 * failure below the threshold, the common case.
 */
export const USER_EXISTENCE_SEED: OrgSeed = {
  users: [
    { login: 'known.user@example.com', firstName: 'Known', lastName: 'User', password: EXISTENCE_PASSWORD },
    { login: 'locked.user@example.com', firstName: 'Locked', lastName: 'User', password: EXISTENCE_PASSWORD, status: 'LOCKED_OUT' },
  ],
  policies: { password: { lockout: { maxAttempts: 1_000_000, autoUnlockMinutes: 0, showLockoutFailures: false } } },
}

/** One request of a case, by round, on the system's driver. Resolves when answered as expected. */
export type DriverRequest = (driver: Driver, i: number) => Promise<unknown>

/** A request about a known user and the same request about an unknown one. */
export interface UserExistenceCase {
  readonly name: string
  readonly known: DriverRequest
  readonly unknown: DriverRequest
}

/** `r` is what a public caller must see whether or not the user exists, or the run stops. */
export const expectAnswer = (r: WireResponse, status: number, errorCode: string): void => {
  const code = typeof r.body === 'object' && r.body !== null ? (r.body as Record<string, unknown>)['errorCode'] : undefined
  if (r.status !== status || code !== errorCode) throw new Error(`expected ${status} ${errorCode}, got ${r.status} ${JSON.stringify(r.body)}`)
}

/** `POST /api/v1/authn` with a password, answered 401 E0000004. */
const signIn = async (driver: Driver, username: string, password: string) =>
  expectAnswer(await driver.authenticate({ username, password }), 401, 'E0000004')

/** A login no seed has, new in every round (an enumeration tries each name once). */
const unknownUser: DriverRequest = (driver, i) => signIn(driver, `nobody.${i}@example.com`, WRONG_PASSWORD)

/**
 * Primary authentication (`POST /api/v1/authn`): a wrong password for a known user against an
 * unknown login; a locked-out user (lockout hidden) against an unknown login.
 */
export const PRIMARY_AUTHENTICATION_CASES: ReadonlyArray<UserExistenceCase> = [
  { name: 'wrong password: known user vs unknown user', known: (d) => signIn(d, 'known.user@example.com', WRONG_PASSWORD), unknown: unknownUser },
  { name: 'locked-out user (lockout hidden) vs unknown user', known: (d) => signIn(d, 'locked.user@example.com', WRONG_PASSWORD), unknown: unknownUser },
]

export interface UserExistenceSuiteOptions {
  /**
   * The system under test seeded with `seed` ({@link USER_EXISTENCE_SEED}), hashing with the
   * production hasher (argon2id): a cheap stand-in would hide the cost that matters most.
   */
  readonly make: (seed: OrgSeed) => Promise<{ readonly driver: Driver; readonly dispose?: () => Promise<void> }>
  /** The cases; default {@link PRIMARY_AUTHENTICATION_CASES}. Recovery's join them here. */
  readonly cases?: ReadonlyArray<UserExistenceCase>
  readonly plan?: TimingPlan
  readonly bounds?: Partial<TimingBounds>
  /** Per case. Default 120 s. */
  readonly timeoutMs?: number
  /** Each comparison, e.g. to log it. Default: printed. */
  readonly onResult?: (caseName: string, c: TimingComparison) => void
}

/** One test per case: the known and the unknown side are not told apart by their timing. */
export function describeUserExistenceTiming(name: string, o: UserExistenceSuiteOptions): void {
  describe(`user existence by timing (${name})`, () => {
    let system: Awaited<ReturnType<UserExistenceSuiteOptions['make']>> | undefined
    beforeAll(async () => {
      system = await o.make(USER_EXISTENCE_SEED)
    }, o.timeoutMs ?? 120_000)
    afterAll(async () => {
      await system?.dispose?.()
    })
    it.each(o.cases ?? PRIMARY_AUTHENTICATION_CASES)('$name', { timeout: o.timeoutMs ?? 120_000 }, async (c) => {
      const driver = system?.driver
      if (driver === undefined) throw new Error('the system was not made')
      const r = await compareTimings((i) => c.known(driver, i), (i) => c.unknown(driver, i), { ...o.plan, ...(o.bounds === undefined ? {} : { bounds: o.bounds }) })
      ;(o.onResult ?? ((n, x) => console.log(`[${name}] ${n}\n${formatTimingComparison(x)}`)))(c.name, r)
      expect(r.distinguishable, formatTimingComparison(r)).toBe(false)
    })
  })
}
