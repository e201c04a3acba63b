import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import {
  asTokenHash,
  asUserId,
  nextLockoutState,
  type LockoutPolicy,
  type UserId,
  type UserRecord,
  type UserStore,
} from '@authn-machine/core'
import { makeUser } from './fixtures.js'
import { expectLeft, expectRight, run } from './run.js'

export interface UserStoreSuiteOptions {
  /** A fresh, empty store for each test. */
  readonly make: () => Promise<UserStore>
  /** Writes a raw stored value out of band (to check that undecodable users are `Corrupt`). */
  readonly corrupt?: (store: UserStore, id: UserId) => Promise<void>
  readonly teardown?: (store: UserStore) => Promise<void>
  /** How many concurrent callers race in the concurrency tests (default 16). */
  readonly racers?: number
}

const T0 = Date.UTC(2026, 0, 1)
const MIN = 60_000
let counter = 0
const fresh = (o: Partial<Parameters<typeof makeUser>[0]> = {}): UserRecord => {
  counter += 1
  return makeUser({
    id: `00uconf${counter.toString().padStart(13, '0')}`,
    login: `user${counter}.conformance@example.com`,
    passwordHash: '$trivial$old',
    ...o,
  })
}

const lockout = (maxAttempts: number, autoUnlockMinutes = 0): LockoutPolicy => ({
  maxAttempts,
  autoUnlockMinutes,
  showLockoutFailures: false,
})

/** The UserStore contract (core/src/ports/user-store.ts), run against any adapter. */
export function describeUserStore(name: string, o: UserStoreSuiteOptions): void {
  const racers = o.racers ?? 16
  const withStore = async (f: (s: UserStore) => Promise<void>) => {
    const s = await o.make()
    try {
      await f(s)
    } finally {
      await o.teardown?.(s)
    }
  }

  describe(`UserStore conformance (${name})`, () => {
    it('create then findById and findByLogin round-trip the user', () =>
      withStore(async (s) => {
        const u = fresh()
        expectRight(await run(s.create(u)))
        expect(expectRight(await run(s.findById(u.id)))).toEqual(u)
        expect(expectRight(await run(s.findByLogin(u.profile.login)))).toEqual(u)
      }))

    test.prop(
      [
        fc.record({
          firstName: fc.string({ maxLength: 40 }),
          lastName: fc.string({ maxLength: 40 }),
          status: fc.constantFrom('ACTIVE', 'PASSWORD_EXPIRED', 'STAGED', 'SUSPENDED'),
          passwordChangedAt: fc.option(fc.integer({ min: 0, max: T0 }), { nil: null }),
        }),
      ],
      { numRuns: 15 },
    )('any valid user round-trips', (p) =>
      withStore(async (s) => {
        const u = fresh(p)
        expectRight(await run(s.create(u)))
        expect(expectRight(await run(s.findById(u.id)))).toEqual(u)
      }),
    )

    it('logins are matched case-insensitively', () =>
      withStore(async (s) => {
        const u = fresh({ login: `Mixed.Case${counter + 1}@Example.COM` })
        expectRight(await run(s.create(u)))
        expect(expectRight(await run(s.findByLogin(u.profile.login.toUpperCase()))).id).toBe(u.id)
        expect(expectRight(await run(s.findByLogin(u.profile.login.toLowerCase()))).id).toBe(u.id)
      }))

    it('unknown login or id is NotFound', () =>
      withStore(async (s) => {
        expect(expectLeft(await run(s.findByLogin('nobody@example.com')))._tag).toBe('NotFound')
        expect(expectLeft(await run(s.findById(asUserId('00unobody000000000000'))))._tag).toBe('NotFound')
      }))

    it('create with an existing id or login (in another case) is Conflict', () =>
      withStore(async (s) => {
        const u = fresh()
        expectRight(await run(s.create(u)))
        expect(expectLeft(await run(s.create({ ...fresh(), id: u.id })))._tag).toBe('Conflict')
        const other = fresh()
        expect(
          expectLeft(await run(s.create({ ...other, profile: { ...other.profile, login: u.profile.login.toUpperCase() } })))._tag,
        ).toBe('Conflict')
      }))

    it('findByActivationToken finds STAGED users by token hash, and nobody after activation', () =>
      withStore(async (s) => {
        const hash = asTokenHash(`act${(counter + 1).toString().padStart(10, '0')}${'B'.repeat(30)}`)
        const u = fresh({ status: 'STAGED', passwordHash: null, activationTokenHash: hash })
        expectRight(await run(s.create(u)))
        expect(expectRight(await run(s.findByActivationToken(hash))).id).toBe(u.id)
        const active = expectRight(await run(s.activate(u.id)))
        expect(active.status).toBe('ACTIVE')
        expect(active.activationTokenHash).toBeNull()
        expect(expectLeft(await run(s.findByActivationToken(hash)))._tag).toBe('NotFound')
        // Idempotent.
        expect(expectRight(await run(s.activate(u.id))).status).toBe('ACTIVE')
      }))

    test.prop(
      [
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: 0, max: 30 }),
        fc.array(fc.integer({ min: 0, max: 20 * MIN }), { minLength: 1, maxLength: 12 }),
      ],
      { numRuns: 25 },
    )('recordFailedAttempt follows nextLockoutState step by step', (max, autoUnlock, gaps) =>
      withStore(async (s) => {
        const u = fresh()
        expectRight(await run(s.create(u)))
        const policy = lockout(max, autoUnlock)
        let expected = { failedAttempts: 0, lockedAt: null as number | null }
        let now = T0
        for (const gap of gaps) {
          now += gap
          expected = nextLockoutState(expected, policy, now)
          expect(expectRight(await run(s.recordFailedAttempt(u.id, policy, now)))).toEqual(expected)
        }
        const stored = expectRight(await run(s.findById(u.id)))
        expect({ failedAttempts: stored.failedAttempts, lockedAt: stored.lockedAt }).toEqual(expected)
      }),
    )

    it(`${racers} concurrent failures lock at exactly maxAttempts and count no further`, () =>
      withStore(async (s) => {
        const u = fresh()
        expectRight(await run(s.create(u)))
        const policy = lockout(5)
        const results = await Promise.all(Array.from({ length: racers }, () => run(s.recordFailedAttempt(u.id, policy, T0))))
        const states = results.map(expectRight)
        // Exactly one call moved the counter to maxAttempts and locked the account.
        expect(states.filter((x) => x.failedAttempts === 5 && x.lockedAt === T0)).toHaveLength(racers - 4)
        for (let n = 1; n <= 4; n++) expect(states.filter((x) => x.failedAttempts === n && x.lockedAt === null)).toHaveLength(1)
        const stored = expectRight(await run(s.findById(u.id)))
        expect(stored.failedAttempts).toBe(5)
        expect(stored.lockedAt).toBe(T0)
      }))

    it('resetFailedAttempts clears the counter and the lock', () =>
      withStore(async (s) => {
        const u = fresh()
        expectRight(await run(s.create(u)))
        for (let i = 0; i < 3; i++) expectRight(await run(s.recordFailedAttempt(u.id, lockout(3), T0)))
        expect(expectRight(await run(s.resetFailedAttempts(u.id)))).toEqual({ failedAttempts: 0, lockedAt: null })
        const stored = expectRight(await run(s.findById(u.id)))
        expect([stored.failedAttempts, stored.lockedAt]).toEqual([0, null])
      }))

    it('counter updates of an unknown user are NotFound', () =>
      withStore(async (s) => {
        const nobody = asUserId('00unobody000000000000')
        expect(expectLeft(await run(s.recordFailedAttempt(nobody, lockout(3), T0)))._tag).toBe('NotFound')
        expect(expectLeft(await run(s.resetFailedAttempts(nobody)))._tag).toBe('NotFound')
        expect(expectLeft(await run(s.setPassword(nobody, { passwordHash: 'x', changedAt: T0, historyCount: 1 })))._tag).toBe(
          'NotFound',
        )
      }))

    it('setPassword moves the old hash into the history, trimmed to historyCount - 1, and is idempotent', () =>
      withStore(async (s) => {
        const u = fresh({ passwordHash: '$trivial$p0', status: 'PASSWORD_EXPIRED' })
        expectRight(await run(s.create(u)))
        for (let i = 1; i <= 4; i++)
          expectRight(await run(s.setPassword(u.id, { passwordHash: `$trivial$p${i}`, changedAt: T0 + i, historyCount: 3 })))
        const again = expectRight(await run(s.setPassword(u.id, { passwordHash: '$trivial$p4', changedAt: T0 + 4, historyCount: 3 })))
        expect(again.credentials).toEqual({
          passwordHash: '$trivial$p4',
          passwordChangedAt: T0 + 4,
          passwordHistory: ['$trivial$p3', '$trivial$p2'],
          recoveryQuestion: null,
        })
        expect(again.status).toBe('ACTIVE')
        expect(expectRight(await run(s.findById(u.id)))).toEqual(again)
      }))

    it('setPassword with the same hash at a later time is a change (status, time and history move)', () =>
      withStore(async (s) => {
        const u = fresh({ passwordHash: '$trivial$same', status: 'PASSWORD_EXPIRED', passwordChangedAt: T0 - 1000 })
        expectRight(await run(s.create(u)))
        const after = expectRight(await run(s.setPassword(u.id, { passwordHash: '$trivial$same', changedAt: T0, historyCount: 2 })))
        expect(after.status).toBe('ACTIVE')
        expect(after.credentials.passwordChangedAt).toBe(T0)
        expect(after.credentials.passwordHistory).toEqual(['$trivial$same'])
      }))

    if (o.corrupt !== undefined) {
      const corrupt = o.corrupt
      it('a stored user that does not decode is Corrupt, not a crash', () =>
        withStore(async (s) => {
          const u = fresh()
          expectRight(await run(s.create(u)))
          await corrupt(s, u.id)
          expect(expectLeft(await run(s.findById(u.id)))._tag).toBe('Corrupt')
        }))
    }
  })
}
