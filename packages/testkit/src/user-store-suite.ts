import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { asTokenHash, asTransactionId, asUserId, type UserId, type UserRecord, type UserStore } from '@authn-machine/core'
import { makeUser, saltedHash, verifySalted } from './fixtures.js'
import { expectLeft, expectRight, run } from './run.js'
import { uniqueHash } from './transaction-store-suite.js'

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

/**
 * The UserStore contract (core/src/ports/user-store.ts), run against any adapter. Credential
 * changes go through the StepStore: see `describeStepStore`.
 */
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

    it('findByActivationToken finds STAGED and PROVISIONED users by token hash, nobody else', () =>
      withStore(async (s) => {
        const hash = asTokenHash(`act${(counter + 1).toString().padStart(10, '0')}${'B'.repeat(30)}`)
        const u = fresh({ status: 'STAGED', passwordHash: null, activationTokenHash: hash })
        expectRight(await run(s.create(u)))
        expect(expectRight(await run(s.findByActivationToken(hash)))).toEqual(u)
        const hash2 = asTokenHash(`act${(counter + 1).toString().padStart(10, '0')}${'C'.repeat(30)}`)
        const p = fresh({ status: 'PROVISIONED', passwordHash: null, activationTokenHash: hash2 })
        expectRight(await run(s.create(p)))
        expect(expectRight(await run(s.findByActivationToken(hash2))).id).toBe(p.id)
        // An ACTIVE user's leftover token hash activates nothing.
        const hash3 = asTokenHash(`act${(counter + 1).toString().padStart(10, '0')}${'D'.repeat(30)}`)
        expectRight(await run(s.create(fresh({ activationTokenHash: hash3 }))))
        expect(expectLeft(await run(s.findByActivationToken(hash3)))._tag).toBe('NotFound')
        expect(expectLeft(await run(s.findByActivationToken(uniqueHash())))._tag).toBe('NotFound')
      }))

    it('the credential state round-trips: counters, lock, epoch and activation claim', () =>
      withStore(async (s) => {
        const u: UserRecord = {
          ...fresh({ status: 'LOCKED_OUT' }),
          failedAttempts: 4,
          lockedAt: T0,
          credentialEpoch: 12,
          activationClaim: asTransactionId('txnclaim0000000001'),
        }
        expectRight(await run(s.create(u)))
        expect(expectRight(await run(s.findById(u.id)))).toEqual(u)
        expect(expectRight(await run(s.findByLogin(u.profile.login)))).toEqual(u)
      }))

    it('remembered devices round-trip, in order (factors are not part of the user: see describeFactorStore)', () =>
      withStore(async (s) => {
        const u = fresh({ rememberedDevices: [{ hash: uniqueHash(), until: T0 + 1000 }, { hash: uniqueHash(), until: T0 - 1000 }] })
        expectRight(await run(s.create(u)))
        expect(expectRight(await run(s.findById(u.id)))).toEqual(u)
        expect(expectRight(await run(s.findByLogin(u.profile.login))).rememberedDevices).toEqual(u.rememberedDevices)
        expect(expectRight(await run(s.findById(u.id)))).not.toHaveProperty('factors')
      }))

    describe('rehashPassword (docs/adr/0015-password-rehash.md)', () => {
      test.prop(
        [
          fc.record({
            status: fc.constantFrom('ACTIVE' as const, 'PASSWORD_EXPIRED' as const, 'LOCKED_OUT' as const, 'SUSPENDED' as const),
            passwordChangedAt: fc.option(fc.integer({ min: 0, max: T0 }), { nil: null }),
            passwordHistory: fc.array(fc.string({ minLength: 1, maxLength: 30 }), { maxLength: 4 }),
            recoveryQuestion: fc.option(fc.record({ question: fc.string({ maxLength: 30 }), answerHash: fc.string({ maxLength: 30 }) }), { nil: null }),
            failedAttempts: fc.nat({ max: 9 }),
            lockedAt: fc.option(fc.integer({ min: 0, max: T0 }), { nil: null }),
            credentialEpoch: fc.nat({ max: 1000 }),
          }),
        ],
        { numRuns: 10 },
      )('rehashPassword replaces the hash only when the stored one is the expected one, and nothing else moves', (p) =>
        withStore(async (s) => {
          const base = fresh({ status: p.status, passwordHash: saltedHash('Same-Passw0rd', `a${counter}`) })
          const u: UserRecord = {
            ...base,
            credentials: { ...base.credentials, passwordChangedAt: p.passwordChangedAt, passwordHistory: p.passwordHistory, recoveryQuestion: p.recoveryQuestion },
            failedAttempts: p.failedAttempts,
            lockedAt: p.lockedAt,
            credentialEpoch: p.credentialEpoch,
          }
          const stored = u.credentials.passwordHash ?? ''
          expectRight(await run(s.create(u)))
          const replacement = saltedHash('Same-Passw0rd', `b${counter}`)
          // Not the stored hash (another hash, one from the history, a prefix): nothing is written.
          for (const other of [saltedHash('Same-Passw0rd', 'elsewhere'), ...p.passwordHistory.slice(0, 1), stored.slice(0, -1)])
            expect(expectRight(await run(s.rehashPassword(u.id, other, replacement)))).toBe(false)
          expect(expectRight(await run(s.findById(u.id)))).toEqual(u)
          expect(expectRight(await run(s.rehashPassword(u.id, stored, replacement)))).toBe(true)
          const after: UserRecord = { ...u, credentials: { ...u.credentials, passwordHash: replacement } }
          expect(expectRight(await run(s.findById(u.id)))).toEqual(after)
          expect(expectRight(await run(s.findByLogin(u.profile.login)))).toEqual(after)
          // The hash it replaced is gone: a second rehash of it replaces nothing.
          expect(expectRight(await run(s.rehashPassword(u.id, stored, saltedHash('Same-Passw0rd', 'late'))))).toBe(false)
          expect(expectRight(await run(s.findById(u.id)))).toEqual(after)
        }),
      )

      it('rehashPassword of an unknown user is NotFound; of a user without a password it replaces nothing', () =>
        withStore(async (s) => {
          expect(expectLeft(await run(s.rehashPassword(asUserId('00unobody000000000000'), '$trivial$old', '$trivial$new')))._tag).toBe('NotFound')
          const u = fresh({ status: 'STAGED', passwordHash: null })
          expectRight(await run(s.create(u)))
          expect(expectRight(await run(s.rehashPassword(u.id, '', '$trivial$new')))).toBe(false)
          expect(expectRight(await run(s.rehashPassword(u.id, 'null', '$trivial$new')))).toBe(false)
          expect(expectRight(await run(s.findById(u.id)))).toEqual(u)
        }))

      it(`${racers} concurrent rehashes of one hash: exactly one replaces it, and the hash ends as that one, which verifies the password`, () =>
        withStore(async (s) => {
          const u = fresh({ passwordHash: saltedHash('Race-Passw0rd', 'old') })
          expectRight(await run(s.create(u)))
          const candidates = Array.from({ length: racers }, (_, i) => saltedHash('Race-Passw0rd', `racer${i}`))
          const answers = await Promise.all(candidates.map((c) => run(s.rehashPassword(u.id, u.credentials.passwordHash ?? '', c))))
          const replaced = answers.map((a) => expectRight(a))
          const winners = candidates.filter((_, i) => replaced[i] === true)
          expect(winners).toHaveLength(1)
          const after = expectRight(await run(s.findById(u.id)))
          expect(after.credentials.passwordHash).toBe(winners[0])
          expect(verifySalted(after.credentials.passwordHash ?? '', 'Race-Passw0rd')).toBe(true)
          expect(after).toEqual({ ...u, credentials: { ...u.credentials, passwordHash: winners[0] } })
        }))
    })

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
