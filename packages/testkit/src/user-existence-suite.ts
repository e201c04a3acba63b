import { isDeepStrictEqual } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { OrgSeed } from '@authn-machine/core'
import type { Driver, OutboxMessage, WireResponse } from './harness/driver.js'
import { compareTimings, formatTimingComparison, roundsOf, type TimedRequest, type TimingBounds, type TimingComparison, type TimingPlan } from './timing.js'

// Public callers never learn whether a user exists (docs/adr/0011-indistinguishable-users.md,
// ASVS V6.3.8): not from the answer, and not from how long it takes. Each case pairs a request
// about a known user with the same request about an unknown one; both must get the same answer,
// and the timing helper (./timing.ts) must not tell them apart.

/** The password of every seeded user of {@link USER_EXISTENCE_SEED}. */
export const EXISTENCE_PASSWORD = 'Known-User-Pa55'
const WRONG_PASSWORD = 'Not-The-Pa55word'

/** The phone of {@link USER_EXISTENCE_SEED}'s user with an SMS factor. */
export const EXISTENCE_PHONE = '+14155552671'

/**
 * The org the cases run against: an active user and a locked one, lockout hidden (Okta's default:
 * a locked account answers 401 E0000004, as an unknown login does). `maxAttempts` is high enough
 * that the active user never locks during a run: each of its wrong passwords is recorded as a
 * failure below the threshold, the common case.
 *
 * For recovery: every channel and self-service unlock on; each user's email is its login (the
 * seed's default); a third user has an active SMS factor. The phone is on a user of its own so
 * that the known user of the primary cases stays a user without factors, as those cases were
 * measured (an enrolled factor does not change a wrong password's answer: the sign-on policy's
 * default requires no factor, and a wrong password fails before any).
 */
export const USER_EXISTENCE_SEED: OrgSeed = {
  users: [
    { login: 'known.user@example.com', firstName: 'Known', lastName: 'User', password: EXISTENCE_PASSWORD },
    { login: 'locked.user@example.com', firstName: 'Locked', lastName: 'User', password: EXISTENCE_PASSWORD, status: 'LOCKED_OUT' },
    {
      login: 'phone.user@example.com',
      firstName: 'Phone',
      lastName: 'User',
      password: EXISTENCE_PASSWORD,
      factors: [{ factorType: 'sms', provider: 'OKTA', phoneNumber: EXISTENCE_PHONE, id: 'mblknownuser0000001' }],
    },
  ],
  policies: {
    password: { lockout: { maxAttempts: 1_000_000, autoUnlockMinutes: 0, showLockoutFailures: false } },
    recovery: { channels: { email: true, sms: true, call: true }, selfServiceUnlock: true },
  },
}

/** One request of a case, by round, on the system's driver. Resolves when answered as expected. */
export type DriverRequest = (driver: Driver, i: number) => Promise<unknown>

/** A request about a known user and the same request about an unknown one. */
export interface UserExistenceCase {
  readonly name: string
  readonly known: DriverRequest
  readonly unknown: DriverRequest
}

/**
 * A case whose requests need something made first, untimed: e.g. a transaction for each round to
 * act on, or a check that the known side really takes the known user's path. `prepare` runs just
 * before the run and returns its two sides; `rounds` is the number of rounds, warm-up included.
 */
export interface PreparedUserExistenceCase {
  readonly name: string
  readonly prepare: (driver: Driver, rounds: number) => Promise<{ readonly known: TimedRequest; readonly unknown: TimedRequest }>
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

/** The same answer, whatever the user: its status, and its body but for the values made per request, of which only the type counts. */
const PER_REQUEST = new Set(['stateToken', 'expiresAt', 'errorId'])
const answerShape = (r: WireResponse): unknown => {
  const strip = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(strip)
      : typeof v === 'object' && v !== null
        ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, PER_REQUEST.has(k) ? typeof x : strip(x)]))
        : v
  return { status: r.status, body: strip(r.body) }
}

/**
 * A check of every answer of one run, known side or unknown: `expected` holds (the answer a
 * public caller gets), and the answer is the run's first but for per-request values. Known and
 * unknown answers are interleaved from the first round, so a difference stops the run at once.
 */
export const sameAnswers = (expected: (r: WireResponse) => void) => {
  let first: unknown
  return (r: WireResponse): WireResponse => {
    expected(r)
    const seen = answerShape(r)
    if (first === undefined) first = seen
    else if (!isDeepStrictEqual(seen, first)) throw new Error(`answers differ: ${JSON.stringify(seen)} after ${JSON.stringify(first)}`)
    return r
  }
}

const bodyOf = (r: WireResponse): Readonly<Record<string, unknown>> => (typeof r.body === 'object' && r.body !== null ? (r.body as Record<string, unknown>) : {})

/** 200 and a `RECOVERY_CHALLENGE` of this kind; by email the bare body, by phone one with a state token. */
const expectChallenge =
  (factorType: 'EMAIL' | 'SMS', recoveryType: 'PASSWORD' | 'UNLOCK') =>
  (r: WireResponse): void => {
    const b = bodyOf(r)
    const bare = factorType === 'EMAIL'
    if (
      r.status !== 200 ||
      b['status'] !== 'RECOVERY_CHALLENGE' ||
      String(b['factorType']).toUpperCase() !== factorType ||
      b['recoveryType'] !== recoveryType ||
      (bare ? 'stateToken' in b : typeof b['stateToken'] !== 'string') ||
      '_embedded' in b
    )
      throw new Error(`expected 200 RECOVERY_CHALLENGE ${factorType} ${recoveryType}, got ${r.status} ${JSON.stringify(r.body)}`)
  }

/** `to`'s messages from the driver's dev outbox, newest first. */
const outbox = async (driver: Driver, to: string): Promise<ReadonlyArray<OutboxMessage>> => {
  const messages = await driver.readOutbox?.(to)
  if (messages === undefined || messages === null) throw new Error('the recovery cases need a driver that reads a dev outbox (readOutbox)')
  return messages
}

/** A message told from the others (a dev outbox keeps a bounded number, so messages are not counted). */
const keyOf = (m: OutboxMessage | undefined): string | null => (m === undefined ? null : `${m.id ?? ''}/${m.createdAt}/${m.text}`)

/** Which message is `to`'s newest. */
const newestTo = async (driver: Driver, to: string): Promise<string | null> => keyOf((await outbox(driver, to))[0])

/** How long a message sent in the background may take to reach the outbox (in process it is there at once). */
const DELIVERY_WAIT_MS = 1000

/** Waits (briefly) for a message to `to` newer than `before`, sent in the background, and returns it. */
const newMessage = async (driver: Driver, to: string, before: string | null, purpose: string): Promise<OutboxMessage> => {
  const deadline = Date.now() + DELIVERY_WAIT_MS
  for (let tries = 0; ; tries++) {
    const newest = (await outbox(driver, to))[0]
    if (newest !== undefined && keyOf(newest) !== before) {
      if (newest.purpose !== purpose) throw new Error(`expected a ${purpose} to ${to}, got ${newest.purpose}`)
      return newest
    }
    if (Date.now() > deadline) throw new Error(`no ${purpose} was sent to ${to}: the known side does not take the known user's path`)
    await new Promise((resolve) => setTimeout(resolve, tries < 10 ? 0 : 5))
  }
}

/**
 * A recovery start (forgot password or unlock) of a known user against the same of an unknown
 * login (new every round): the same answer, checked on every request. Before the run, one untimed
 * request checks that the known user's really is sent (`purpose` to `to`), so the case compares
 * what it says it compares.
 */
const recoveryStart = (
  name: string,
  op: 'forgotPassword' | 'unlockAccount',
  factorType: 'EMAIL' | 'SMS',
  known: { readonly username: string; readonly to: string },
  unknownPrefix: string,
): PreparedUserExistenceCase => ({
  name,
  prepare: async (driver) => {
    const purpose = factorType === 'EMAIL' ? 'recovery-link' : 'recovery-code'
    const check = sameAnswers(expectChallenge(factorType, op === 'forgotPassword' ? 'PASSWORD' : 'UNLOCK'))
    const before = await newestTo(driver, known.to)
    check(await driver[op]({ username: known.username, factorType }))
    await newMessage(driver, known.to, before, purpose)
    return {
      known: async () => check(await driver[op]({ username: known.username, factorType })),
      unknown: async (i) => check(await driver[op]({ username: `${unknownPrefix}.${i}@example.com`, factorType })),
    }
  },
})

/** A six-digit code that is not `code` (a real transaction's sent code): the last digit moved on. */
const wrongCode = (code: string): string => `${code.slice(0, -1)}${(Number(code.slice(-1)) + 1) % 10}`

/**
 * Recovery (`/api/v1/authn/recovery/*`, docs/adr/0012-recovery.md): forgot password by email
 * (a recovery token stored and mailed in the background, against one stored for the login's decoy)
 * and by SMS (a transaction stored under the user's lock and a code sent in the background, against
 * a decoy transaction stored under a decoy's lock); unlock by email of a locked-out user; and a
 * wrong code on a known user's SMS recovery transaction against the same on a decoy's. Answers are
 * checked on every request to be the same for both sides but for per-request values.
 */
export const RECOVERY_CASES: ReadonlyArray<PreparedUserExistenceCase> = [
  recoveryStart('forgot password by EMAIL: known user vs unknown user', 'forgotPassword', 'EMAIL', { username: 'known.user@example.com', to: 'known.user@example.com' }, 'nobody.forgot.email'),
  recoveryStart('forgot password by SMS: known user with a phone vs unknown user', 'forgotPassword', 'SMS', { username: 'phone.user@example.com', to: EXISTENCE_PHONE }, 'nobody.forgot.sms'),
  recoveryStart('unlock by EMAIL: locked-out user vs unknown user', 'unlockAccount', 'EMAIL', { username: 'locked.user@example.com', to: 'locked.user@example.com' }, 'nobody.unlock.email'),
  {
    name: "wrong SMS code: known user's recovery transaction vs a decoy's",
    // One transaction per side and round, made before the run (a code has 5 attempts; a fresh
    // transaction per guess is what an enumeration sends). The known side's codes are read from
    // the outbox so that its wrong code is surely wrong.
    prepare: async (driver, rounds) => {
      const started = sameAnswers(expectChallenge('SMS', 'PASSWORD'))
      const known: Array<{ readonly stateToken: string; readonly passCode: string }> = []
      const unknown: Array<{ readonly stateToken: string; readonly passCode: string }> = []
      for (let i = 0; i < rounds; i++) {
        const before = await newestTo(driver, EXISTENCE_PHONE)
        const k = started(await driver.forgotPassword({ username: 'phone.user@example.com', factorType: 'SMS' }))
        const code = (await newMessage(driver, EXISTENCE_PHONE, before, 'recovery-code')).text.replace(/\D/g, '')
        if (code.length !== 6) throw new Error(`expected a six-digit code, got ${code}`)
        known.push({ stateToken: String(bodyOf(k)['stateToken']), passCode: wrongCode(code) })
        const u = started(await driver.forgotPassword({ username: `nobody.code.${i}@example.com`, factorType: 'SMS' }))
        unknown.push({ stateToken: String(bodyOf(u)['stateToken']), passCode: String((i * 7919) % 1_000_000).padStart(6, '0') })
      }
      const check = sameAnswers((r) => expectAnswer(r, 403, 'E0000068'))
      const verify = async (t: { readonly stateToken: string; readonly passCode: string } | undefined) => {
        if (t === undefined) throw new Error('more rounds than prepared transactions')
        return check(await driver.verifyRecoveryFactor({ stateToken: t.stateToken, factorType: 'sms', passCode: t.passCode }))
      }
      return { known: (i) => verify(known[i]), unknown: (i) => verify(unknown[i]) }
    },
  },
]

/** Every case: primary authentication, then recovery. */
export const USER_EXISTENCE_CASES: ReadonlyArray<UserExistenceCase | PreparedUserExistenceCase> = [...PRIMARY_AUTHENTICATION_CASES, ...RECOVERY_CASES]

export interface UserExistenceSuiteOptions {
  /**
   * The system under test seeded with `seed` ({@link USER_EXISTENCE_SEED}), hashing with the
   * production hasher (argon2id): a cheap stand-in would hide the cost that matters most. For the
   * recovery cases it sends SMS (the `sms` factor family registered) and its driver reads a dev
   * outbox (`readOutbox`).
   */
  readonly make: (seed: OrgSeed) => Promise<{ readonly driver: Driver; readonly dispose?: () => Promise<void> }>
  /** The cases; default {@link USER_EXISTENCE_CASES} (primary authentication and recovery). */
  readonly cases?: ReadonlyArray<UserExistenceCase | PreparedUserExistenceCase>
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
    it.each(o.cases ?? USER_EXISTENCE_CASES)('$name', { timeout: o.timeoutMs ?? 120_000 }, async (c) => {
      const driver = system?.driver
      if (driver === undefined) throw new Error('the system was not made')
      const sides = 'prepare' in c ? await c.prepare(driver, roundsOf(o.plan)) : { known: (i: number) => c.known(driver, i), unknown: (i: number) => c.unknown(driver, i) }
      const r = await compareTimings(sides.known, sides.unknown, { ...o.plan, ...(o.bounds === undefined ? {} : { bounds: o.bounds }) })
      ;(o.onResult ?? ((n, x) => console.log(`[${name}] ${n}\n${formatTimingComparison(x)}`)))(c.name, r)
      expect(r.distinguishable, formatTimingComparison(r)).toBe(false)
    })
  })
}
