import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import {
  FactorProvider,
  FactorType,
  asFactorId,
  asUserId,
  type FactorId,
  type FactorRecord,
  type FactorStore,
  type UserRecord,
  type UserStore,
} from '@authn-machine/core'
import { makeFactor, makeUser } from './fixtures.js'
import { expectLeft, expectRight, run } from './run.js'

/** A FactorStore and the UserStore of the same storage (a factor belongs to a stored user). */
export interface FactorStores {
  readonly factors: FactorStore
  readonly users: UserStore
}

export interface FactorStoreSuiteOptions {
  /** Fresh, empty stores for each test (and each property run). */
  readonly make: () => Promise<FactorStores>
  /** Writes a raw stored value out of band (to check that an undecodable factor is `Corrupt`). */
  readonly corrupt?: (stores: FactorStores, id: FactorId) => Promise<void>
  readonly teardown?: (stores: FactorStores) => Promise<void>
  /** How many concurrent callers race in the concurrency tests (default 16). */
  readonly racers?: number
}

const T0 = Date.UTC(2026, 0, 1)
let counter = 0
const next = () => (counter += 1)
const freshUser = (): UserRecord => {
  const n = next()
  return makeUser({ id: `00ufact${n.toString().padStart(13, '0')}`, login: `factor${n}.conformance@example.com`, passwordHash: null })
}
const freshId = (): FactorId => asFactorId(`fctconf${next().toString().padStart(12, '0')}`)

/** JSON text PostgreSQL's jsonb and every store can hold (no NUL character). */
const arbText = fc.string({ unit: 'grapheme', maxLength: 24 }).filter((s) => !s.includes('\u0000'))
const arbProfile: fc.Arbitrary<FactorRecord['profile']> = fc.record(
  {
    credentialId: arbText,
    phoneNumber: arbText,
    question: arbText,
    digits: fc.integer({ min: 0, max: 10 }),
    verified: fc.boolean(),
    vendor: fc.constant(null),
    tags: fc.array(arbText, { maxLength: 3 }),
    nested: fc.record({ name: arbText, size: fc.integer() }),
  },
  { requiredKeys: [] },
)
/** Any valid factor record but its id and user (the caller's: the id unique, the user stored). */
const arbFactor: fc.Arbitrary<Omit<FactorRecord, 'id' | 'userId'>> = fc.record({
  schemaVersion: fc.constant(1 as const),
  factorType: fc.constantFrom(...(Object.keys(FactorType.keys) as FactorRecord['factorType'][])),
  provider: fc.constantFrom(...(Object.keys(FactorProvider.keys) as FactorRecord['provider'][])),
  status: fc.constantFrom('PENDING_ACTIVATION' as const, 'ACTIVE' as const),
  profile: arbProfile,
  secret: fc.option(arbText, { nil: null }),
  lastCounter: fc.option(fc.maxSafeNat(), { nil: null }),
  createdAt: fc.integer({ min: 0, max: 2 * T0 }),
})

/**
 * The FactorStore contract (core/src/ports/factor-store.ts), run against any adapter. Changes made
 * by steps (enroll, activate, a counter used) go through the StepStore: see `describeStepStore`.
 */
export function describeFactorStore(name: string, o: FactorStoreSuiteOptions): void {
  const racers = o.racers ?? 16
  const withStores = async (f: (s: FactorStores) => Promise<void>) => {
    const s = await o.make()
    try {
      await f(s)
    } finally {
      await o.teardown?.(s)
    }
  }
  const user = async (s: FactorStores): Promise<UserRecord> => expectRight(await run(s.users.create(freshUser())))
  const list = async (s: FactorStores, u: UserRecord): Promise<ReadonlyArray<FactorRecord>> => expectRight(await run(s.factors.listByUser(u.id)))

  describe(`FactorStore conformance (${name})`, () => {
    it('listByUser of an unknown user is empty', () =>
      withStores(async (s) => {
        expect(expectRight(await run(s.factors.listByUser(asUserId('00unobody000000000000'))))).toEqual([])
      }))

    it('listByUser of a user without factors is empty', () =>
      withStores(async (s) => {
        expect(await list(s, await user(s))).toEqual([])
      }))

    test.prop([fc.array(arbFactor, { minLength: 1, maxLength: 4 })], { numRuns: 15 })(
      'create then listByUser round-trips every field, oldest first',
      (specs) =>
        withStores(async (s) => {
          const u = await user(s)
          const records: FactorRecord[] = specs.map((f) => ({ ...f, id: freshId(), userId: u.id }))
          for (const r of records) expect(expectRight(await run(s.factors.create(r)))).toEqual(r)
          expect(await list(s, u)).toEqual(records)
        }),
    )

    it("listByUser answers the user's factors only, in the order they were created", () =>
      withStores(async (s) => {
        const [u, v] = [await user(s), await user(s)]
        // Creation order, not createdAt, is "oldest first" here: the stores keep insertion order.
        const a = makeFactor({ id: freshId(), userId: u.id, createdAt: T0 + 2 })
        const b = makeFactor({ id: freshId(), userId: v.id, factorType: 'sms', provider: 'OKTA', profile: { phoneNumber: '+14155550100' } })
        const c = makeFactor({ id: freshId(), userId: u.id, factorType: 'question', provider: 'OKTA', status: 'PENDING_ACTIVATION', createdAt: T0 + 1 })
        for (const f of [a, b, c]) expectRight(await run(s.factors.create(f)))
        expect(await list(s, u)).toEqual([a, c])
        expect(await list(s, v)).toEqual([b])
      }))

    it("create with an existing id is Conflict (the user's own or another's) and changes nothing", () =>
      withStores(async (s) => {
        const [u, v] = [await user(s), await user(s)]
        const f = makeFactor({ id: freshId(), userId: u.id, secret: 'v1.k.sealed', lastCounter: 3 })
        expectRight(await run(s.factors.create(f)))
        expect(expectLeft(await run(s.factors.create({ ...f, status: 'PENDING_ACTIVATION', lastCounter: null })))._tag).toBe('Conflict')
        expect(expectLeft(await run(s.factors.create({ ...f, userId: v.id })))._tag).toBe('Conflict')
        expect(await list(s, u)).toEqual([f])
        expect(await list(s, v)).toEqual([])
      }))

    it('create for an unknown user is NotFound and stores nothing', () =>
      withStores(async (s) => {
        const u = freshUser()
        const f = makeFactor({ id: freshId(), userId: u.id })
        expect(expectLeft(await run(s.factors.create(f)))._tag).toBe('NotFound')
        expect(expectRight(await run(s.factors.listByUser(u.id)))).toEqual([])
        // Nothing was kept: once the user exists, the same factor is created.
        expectRight(await run(s.users.create(u)))
        expect(expectRight(await run(s.factors.create(f)))).toEqual(f)
        expect(await list(s, u)).toEqual([f])
      }))

    it(`${racers} concurrent creates of one id: exactly one succeeds, the others are Conflict`, () =>
      withStores(async (s) => {
        const u = await user(s)
        const id = freshId()
        const results = await Promise.all(
          Array.from({ length: racers }, (_, i) => run(s.factors.create(makeFactor({ id, userId: u.id, profile: { racer: i } })))),
        )
        const winners = results.filter((x) => x._tag === 'Right')
        expect(winners).toHaveLength(1)
        for (const x of results) if (x._tag === 'Left') expect(x.left._tag).toBe('Conflict')
        expect(await list(s, u)).toEqual([expectRight(winners[0] ?? results[0]!)])
      }))

    if (o.corrupt !== undefined) {
      const corrupt = o.corrupt
      it('a stored factor that does not decode is Corrupt, not a crash', () =>
        withStores(async (s) => {
          const u = await user(s)
          const f = makeFactor({ id: freshId(), userId: u.id })
          expectRight(await run(s.factors.create(f)))
          await corrupt(s, f.id)
          expect(expectLeft(await run(s.factors.listByUser(u.id)))._tag).toBe('Corrupt')
        }))
    }
  })
}
