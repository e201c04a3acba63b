import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import {
  applyUserChange,
  asFactorId,
  asTransactionId,
  asUserId,
  asVersion,
  changeMovesEpoch,
  changeRevokesSessions,
  decoyOf,
  isLeaseLive,
  nextLockoutState,
  settleAttempt,
  type AttemptLease,
  type AttemptOutcome,
  type AuthnEvent,
  type CredentialState,
  type FactorChange,
  type FactorRecord,
  type FactorStore,
  type IssuedToken,
  type LockoutPolicy,
  type StepOutcome,
  type StepStore,
  emptyStepWrite,
  type StepWrite,
  type StoreError,
  type TransactionRecord,
  type TransactionStore,
  type TransactionWrite,
  type UserChange,
  type UserRecord,
  type UserStore,
} from '@authn-machine/core'
import type { Either } from 'fp-ts/lib/Either.js'
import { makeFactor, makeUser, saltedHash, verifySalted, type FactorSpec } from './fixtures.js'
import { expectLeft, expectRight, run } from './run.js'
import { DECOY_START, START, makeDecoyRecord, makeRecord, uniqueHash } from './transaction-store-suite.js'

/** The four stores of one adapter over the same storage. */
export interface StepStores {
  readonly steps: StepStore
  readonly users: UserStore
  readonly transactions: TransactionStore
  readonly factors: FactorStore
}

export interface StepStoreSuiteOptions {
  /** Fresh, empty stores for each test (and each property run). */
  readonly make: () => Promise<StepStores>
  readonly teardown?: (stores: StepStores) => Promise<void>
  /** How many concurrent callers race in the concurrency tests (default 16). */
  readonly racers?: number
}

const T0 = Date.UTC(2026, 0, 1)
const MIN = 60_000
const LEASE_MS = 30_000
const STATUSES: ReadonlyArray<UserRecord['status']> = [
  'STAGED',
  'PROVISIONED',
  'ACTIVE',
  'RECOVERY',
  'PASSWORD_EXPIRED',
  'LOCKED_OUT',
  'SUSPENDED',
  'DEPROVISIONED',
]

let counter = 0
const next = () => (counter += 1)
const fresh = (o: Partial<Parameters<typeof makeUser>[0]> = {}): UserRecord => {
  const n = next()
  return makeUser({
    id: `00ustep${n.toString().padStart(13, '0')}`,
    login: `step${n}.conformance@example.com`,
    passwordHash: '$trivial$old',
    ...o,
  })
}
const lease = (now: number, ms = LEASE_MS): AttemptLease => ({ id: `lease-${next()}`, until: now + ms })
const lockout = (maxAttempts: number, autoUnlockMinutes = 0): LockoutPolicy => ({ maxAttempts, autoUnlockMinutes, showLockoutFailures: false })
const failure = (l: LockoutPolicy): AttemptOutcome => ({ type: 'failure', lockout: l })
const success = (l: LockoutPolicy): AttemptOutcome => ({ type: 'success', lockout: l })
const release: AttemptOutcome = { type: 'release' }
const read = (now: number): AuthnEvent => ({ type: 'transaction.read', now })

/** A write that changes nothing but what `o` says. */
const step = (o: Partial<StepWrite> & Pick<StepWrite, 'userId'>): StepWrite => ({ ...emptyStepWrite(o.userId, T0), ...o })
const settle = (leaseId: string | null, outcome: AttemptOutcome): StepWrite['attempt'] => ({ leaseId, outcome })
const create = (record: TransactionRecord, now = T0): TransactionWrite => ({ kind: 'create', record, event: read(now), start: START })
/** The save of `record`'s next version (same content). */
const save = (record: TransactionRecord, now = T0): TransactionWrite & { readonly kind: 'save' } => ({
  kind: 'save',
  record: { ...record, version: (record.version + 1) as TransactionRecord['version'] },
  expected: record.version,
  event: read(now),
})
const recordOf = (u: UserRecord, o: { readonly expiresAt?: number; readonly credentialEpoch?: number } = {}): TransactionRecord =>
  makeRecord({ userId: u.id, credentialEpoch: o.credentialEpoch ?? u.credentialEpoch, ...(o.expiresAt === undefined ? {} : { expiresAt: o.expiresAt }) })
const token = (u: UserRecord, kind: IssuedToken['kind'] = 'session'): IssuedToken => ({
  schemaVersion: 1,
  hash: uniqueHash(),
  kind,
  userId: u.id,
  transactionId: asTransactionId(`txnissuer${next().toString().padStart(10, '0')}`),
  expiresAt: T0 + 10 * MIN,
})
const stateOf = (u: UserRecord): CredentialState => ({
  status: u.status,
  failedAttempts: u.failedAttempts,
  lockedAt: u.lockedAt,
  credentialEpoch: u.credentialEpoch,
})
const applied = (o: Either<StoreError, StepOutcome>): CredentialState => {
  const out = expectRight(o)
  if (out._tag !== 'Applied') throw new Error(`expected Applied, got Refused ${out.reason}`)
  return out.user
}
const refused = (o: Either<StoreError, StepOutcome>) => {
  const out = expectRight(o)
  if (out._tag !== 'Refused') throw new Error(`expected Refused, got Applied ${JSON.stringify(out.user)}`)
  return out
}
/** The oracle for a whole write's effect on the user (core/src/policy/credential.ts). */
const expectedAfter = (u: UserRecord, w: StepWrite): UserRecord | 'locked' => {
  let user = u
  let locks = false
  if (w.attempt !== null) {
    const settled = settleAttempt(u, w.attempt.outcome, w.now)
    if (settled === 'locked') return 'locked'
    user = settled.user
    locks = settled.locks
  }
  for (const c of w.userChanges) user = applyUserChange(user, c)
  if (w.claimActivation && w.transaction !== null) user = { ...user, activationClaim: w.transaction.record.id }
  const moves = w.moveEpoch || locks || w.userChanges.some(changeMovesEpoch)
  return moves ? { ...user, credentialEpoch: u.credentialEpoch + 1 } : user
}

/** A factor of `u` with a fresh id (an ACTIVE Google TOTP factor unless `o` says otherwise). */
const factorOf = (u: UserRecord, o: Omit<FactorSpec, 'userId'> = {}): FactorRecord =>
  makeFactor({ id: `fctstep${next().toString().padStart(12, '0')}`, userId: u.id, ...o })

const use = (f: FactorRecord, counter: number): FactorChange => ({ type: 'use', factorId: f.id, counter })

/** What a write's factor changes answer and leave, by the rules of `FactorChange` (core/src/ports/step-store.ts). */
type FactorVerdict =
  | { readonly _tag: 'error'; readonly error: 'Conflict' | 'NotFound' }
  | { readonly _tag: 'factorReplayed' }
  | { readonly _tag: 'applied'; readonly factors: ReadonlyArray<FactorRecord> }
/**
 * The oracle: `stored` is every factor of the storage in creation order. Checked first against the
 * factors as stored (an enroll of an existing id or of another user's record is Conflict; an
 * activate or use of a factor that is not the user's is NotFound), then the counters (a use at or
 * below lastCounter is refused), then applied in order.
 */
const expectedFactors = (userId: string, stored: ReadonlyArray<FactorRecord>, changes: ReadonlyArray<FactorChange>): FactorVerdict => {
  const byId = (id: string) => stored.find((f) => f.id === id)
  for (const c of changes) {
    if (c.type === 'enroll' && (byId(c.record.id) !== undefined || c.record.userId !== userId)) return { _tag: 'error', error: 'Conflict' }
    if (c.type !== 'enroll' && byId(c.factorId)?.userId !== userId) return { _tag: 'error', error: 'NotFound' }
  }
  for (const c of changes)
    if (c.type === 'use') {
      const last = byId(c.factorId)?.lastCounter ?? null
      if (last !== null && c.counter <= last) return { _tag: 'factorReplayed' }
    }
  let factors = [...stored]
  for (const c of changes)
    if (c.type === 'enroll') {
      const r = c.record
      factors = factors.filter((f) => !(f.userId === r.userId && f.status === 'PENDING_ACTIVATION' && f.factorType === r.factorType && f.provider === r.provider))
      factors.push(r)
    } else {
      factors = factors.map((f) =>
        f.id !== c.factorId
          ? f
          : c.type === 'activate'
            ? { ...f, status: 'ACTIVE' as const }
            : c.type === 'update'
              ? { ...f, profile: c.profile, secret: c.secret }
              : { ...f, lastCounter: c.counter },
      )
    }
  return { _tag: 'applied', factors }
}
const KINDS: ReadonlyArray<Pick<FactorRecord, 'factorType' | 'provider'>> = [
  { factorType: 'token:software:totp', provider: 'GOOGLE' },
  { factorType: 'token:software:totp', provider: 'OKTA' },
  { factorType: 'sms', provider: 'OKTA' },
]
const arbStoredFactor = fc.record({
  kind: fc.nat({ max: KINDS.length - 1 }),
  status: fc.constantFrom('PENDING_ACTIVATION' as const, 'ACTIVE' as const),
  lastCounter: fc.option(fc.integer({ min: 0, max: 6 }), { nil: null }),
})
/**
 * `pick` chooses among the user's factors, the other user's and an unknown id; an enroll's `id` is
 * fresh (null) or a stored one's (two enrolls of one new id in the same write are left out: no
 * rule covers them).
 */
const arbFactorChange = fc.oneof(
  fc.record({
    type: fc.constant('enroll' as const),
    kind: fc.nat({ max: KINDS.length - 1 }),
    status: fc.constantFrom('PENDING_ACTIVATION' as const, 'ACTIVE' as const),
    id: fc.option(fc.nat(), { nil: null, freq: 4 }),
    theirs: fc.nat({ max: 9 }).map((n) => n === 0),
  }),
  fc.record({ type: fc.constant('activate' as const), pick: fc.nat() }),
  fc.record({ type: fc.constant('use' as const), pick: fc.nat(), counter: fc.integer({ min: 0, max: 8 }) }),
)

const arbChange: fc.Arbitrary<UserChange> = fc.oneof(
  fc.record({
    type: fc.constant('setPassword' as const),
    passwordHash: fc.integer({ min: 0, max: 99 }).map((n) => `$trivial$p${n}`),
    changedAt: fc.integer({ min: T0 - 1000 * MIN, max: T0 }),
    historyCount: fc.integer({ min: 0, max: 5 }),
  }),
  fc.constant({ type: 'activate' as const }),
  fc.integer({ min: T0 - 100 * MIN, max: T0 }).map((at) => ({ type: 'lock' as const, at })),
  fc.constant({ type: 'unlock' as const }),
  fc.constant({ type: 'suspend' as const }),
  fc.constant({ type: 'unsuspend' as const }),
  fc.constant({ type: 'deactivate' as const }),
  fc.constant({ type: 'expirePassword' as const }),
)
const ALL_CHANGES: ReadonlyArray<UserChange> = [
  { type: 'setPassword', passwordHash: '$trivial$new', changedAt: T0, historyCount: 3 },
  { type: 'activate' },
  { type: 'lock', at: T0 },
  { type: 'unlock' },
  { type: 'suspend' },
  { type: 'unsuspend' },
  { type: 'deactivate' },
  { type: 'expirePassword' },
]

const arbUser = fc.record({
  status: fc.constantFrom(...STATUSES),
  passwordHash: fc.option(fc.integer({ min: 0, max: 99 }).map((n) => `$trivial$h${n}`), { nil: null }),
  passwordHistory: fc.array(fc.integer({ min: 0, max: 99 }).map((n) => `$trivial$o${n}`), { maxLength: 4 }),
  failedAttempts: fc.integer({ min: 0, max: 9 }),
  lockedAt: fc.option(fc.integer({ min: T0 - 100 * MIN, max: T0 }), { nil: null }),
  hasActivationToken: fc.boolean(),
  claimed: fc.boolean(),
  credentialEpoch: fc.integer({ min: 0, max: 1000 }),
})

/**
 * The StepStore contract (core/src/ports/step-store.ts), run against any adapter, with the pure
 * rules of core/src/policy/credential.ts as the oracle.
 */
export function describeStepStore(name: string, o: StepStoreSuiteOptions): void {
  const racers = o.racers ?? 16
  const withStores = async (f: (s: StepStores) => Promise<void>) => {
    const s = await o.make()
    try {
      await f(s)
    } finally {
      await o.teardown?.(s)
    }
  }
  const created = async (s: StepStores, u: UserRecord): Promise<UserRecord> => expectRight(await run(s.users.create(u)))
  const stored = async (s: StepStores, u: UserRecord): Promise<UserRecord> => expectRight(await run(s.users.findById(u.id)))
  const reserve = async (s: StepStores, u: UserRecord, now = T0, ms = LEASE_MS): Promise<AttemptLease> => {
    const l = lease(now, ms)
    expectRight(await run(s.steps.reserveAttempt(u.profile.login, l, now)))
    return l
  }
  const ahead = async (s: StepStores, u: UserRecord, l: AttemptLease, now = T0): Promise<number | null> =>
    expectRight(await run(s.steps.attemptStatus(u.id, l.id, now))).ahead
  const commit = (s: StepStores, w: StepWrite) => run(s.steps.commit(w))
  const consumed = async (s: StepStores, t: IssuedToken): Promise<string> => {
    const r = await run(s.transactions.consumeToken(t.hash, t.kind, T0))
    return r._tag === 'Right' ? 'redeemed' : r.left._tag
  }
  /**
   * A refused write wrote nothing but the release of its lease: the user as before, no transaction
   * and no log, the write's token not stored, an earlier session token still redeemable (when
   * given), the lease gone and the one behind it first.
   */
  const expectNothingWritten = async (
    s: StepStores,
    o: { readonly user: UserRecord; readonly record: TransactionRecord; readonly issued: IssuedToken; readonly session?: IssuedToken; readonly lease: AttemptLease; readonly behind?: AttemptLease },
  ): Promise<void> => {
    expect(await stored(s, o.user)).toEqual(o.user)
    expect(expectLeft(await run(s.transactions.load(o.record.stateTokenHash, T0)))._tag).toBe('NotFound')
    expect(expectRight(await run(s.transactions.readLog(o.record.id)))).toEqual([])
    expect(await consumed(s, o.issued)).toBe('NotFound')
    if (o.session !== undefined) expect(await consumed(s, o.session)).toBe('redeemed')
    expect(await ahead(s, o.user, o.lease)).toBeNull()
    if (o.behind !== undefined) expect(await ahead(s, o.user, o.behind)).toBe(0)
  }
  const issued = async (s: StepStores, u: UserRecord, kind: IssuedToken['kind'] = 'session'): Promise<IssuedToken> => {
    const t = token(u, kind)
    applied(await commit(s, step({ userId: u.id, issue: t })))
    return t
  }
  const listed = async (s: StepStores, u: UserRecord): Promise<ReadonlyArray<FactorRecord>> => expectRight(await run(s.factors.listByUser(u.id)))
  const seeded = async (s: StepStores, ...factors: ReadonlyArray<FactorRecord>): Promise<void> => {
    for (const f of factors) expectRight(await run(s.factors.create(f)))
  }
  /** A live transaction of `u` under its epoch, created through a commit. */
  const begun = async (s: StepStores, u: UserRecord, o: { readonly expiresAt?: number } = {}): Promise<TransactionRecord> => {
    const r = recordOf(u, o)
    applied(await commit(s, step({ userId: u.id, transaction: create(r) })))
    return r
  }
  const load = (s: StepStores, r: TransactionRecord, lease: AttemptLease | null, now = T0) => run(s.steps.load(r.stateTokenHash, now, lease))

  describe(`StepStore conformance (${name})`, () => {
    describe('reservations', () => {
      it('reserveAttempt of an unknown login is NotFound and reserves nothing', () =>
        withStores(async (s) => {
          const u = fresh()
          expect(expectLeft(await run(s.steps.reserveAttempt(u.profile.login, lease(T0), T0)))._tag).toBe('NotFound')
          await created(s, u)
          expect(expectRight(await run(s.steps.reserveAttempt(u.profile.login, lease(T0), T0))).ahead).toBe(0)
        }))

      it('reserveAttempt finds the login case-insensitively and answers the user as stored, with the live leases taken before', () =>
        withStores(async (s) => {
          const u = await created(s, { ...fresh({ login: `Mixed.Step${counter + 1}@Example.COM` }), failedAttempts: 2, credentialEpoch: 3 })
          const leases = [lease(T0), lease(T0), lease(T0)]
          for (const [i, l] of leases.entries()) {
            const login = i % 2 === 0 ? u.profile.login.toUpperCase() : u.profile.login.toLowerCase()
            const ticket = expectRight(await run(s.steps.reserveAttempt(login, l, T0)))
            expect(ticket).toEqual({ user: u, factors: [], ahead: i })
          }
          expect(await stored(s, u)).toEqual(u)
          for (const [i, l] of leases.entries())
            expect(expectRight(await run(s.steps.attemptStatus(u.id, l.id, T0)))).toEqual({
              failedAttempts: 2,
              lockedAt: null,
              credentialEpoch: 3,
              ahead: i,
            })
        }))

      it('a settled or released lease leaves the queue and the ones behind it move up', () =>
        withStores(async (s) => {
          const u = await created(s, fresh())
          const [a, b, c] = [await reserve(s, u), await reserve(s, u), await reserve(s, u)]
          applied(await commit(s, step({ userId: u.id, attempt: settle(a.id, release) })))
          expect([await ahead(s, u, a), await ahead(s, u, b), await ahead(s, u, c)]).toEqual([null, 0, 1])
          applied(await commit(s, step({ userId: u.id, attempt: settle(b.id, failure(lockout(5))) })))
          expect([await ahead(s, u, b), await ahead(s, u, c)]).toEqual([null, 0])
          expect(expectRight(await run(s.steps.attemptStatus(u.id, c.id, T0))).failedAttempts).toBe(1)
        }))

      it('lapsed leases are dropped: not counted ahead, their status is null, and settling one still counts', () =>
        withStores(async (s) => {
          const u = await created(s, fresh())
          const short = await reserve(s, u, T0, 1000)
          const long = await reserve(s, u, T0, 5000)
          expect([await ahead(s, u, short, T0 + 999), await ahead(s, u, long, T0 + 999)]).toEqual([0, 1])
          expect(isLeaseLive(short.until, T0 + 1000)).toBe(false)
          expect([await ahead(s, u, short, T0 + 1000), await ahead(s, u, long, T0 + 1000)]).toEqual([null, 0])
          expect(expectRight(await run(s.steps.reserveAttempt(u.profile.login, lease(T0 + 1000), T0 + 1000))).ahead).toBe(1)
          expect(applied(await commit(s, step({ userId: u.id, now: T0 + 2000, attempt: settle(short.id, failure(lockout(5))) }))).failedAttempts).toBe(1)
        }))

      it("settleUnknown after an unknown login's reservation is Right and changes no user, transaction or lease", () =>
        withStores(async (s) => {
          const u = await created(s, { ...fresh(), failedAttempts: 1 })
          const r = await begun(s, u)
          const held = await reserve(s, u)
          const login = fresh().profile.login
          for (let i = 0; i < 4; i++) {
            const l = lease(T0)
            expect(expectLeft(await run(s.steps.reserveAttempt(login, l, T0)))._tag).toBe('NotFound')
            // More failures than the lockout allows: the decoy counts them as a user would, silently.
            expectRight(await run(s.steps.settleUnknown(login.toUpperCase(), l.id, lockout(2), T0)))
          }
          expect(expectLeft(await run(s.users.findByLogin(login)))._tag).toBe('NotFound')
          expect(expectLeft(await run(s.steps.reserveAttempt(login, lease(T0), T0)))._tag).toBe('NotFound')
          expect(await stored(s, u)).toEqual(u)
          expect(expectRight(await load(s, r, null)).record).toEqual(r)
          expect(await ahead(s, u, held)).toBe(0)
        }))

      it('settleUnknown of a lease never taken is Right; a decoy is no user: decoyOf finds none, by id or by login', () =>
        withStores(async (s) => {
          const login = fresh().profile.login
          expectRight(await run(s.steps.settleUnknown(login, 'lease-never-taken', lockout(5), T0)))
          const decoy = decoyOf(login)
          expect(expectLeft(await run(s.users.findById(asUserId(decoy))))._tag).toBe('NotFound')
          expect(expectLeft(await run(s.users.findByLogin(decoy)))._tag).toBe('NotFound')
          expect(expectLeft(await run(s.steps.attemptStatus(asUserId(decoy), 'lease-never-taken', T0)))._tag).toBe('NotFound')
          expect(expectLeft(await run(s.steps.reserveAttempt(decoy, lease(T0), T0)))._tag).toBe('NotFound')
        }))

      it(`${racers} concurrent sign-ins of one unknown login: every reservation NotFound, every settleUnknown Right`, () =>
        withStores(async (s) => {
          const login = fresh().profile.login
          const outcomes = await Promise.all(
            Array.from({ length: racers }, async () => {
              const l = lease(T0)
              const reserved = await run(s.steps.reserveAttempt(login, l, T0))
              const settled = await run(s.steps.settleUnknown(login, l.id, lockout(3), T0))
              return `${reserved._tag === 'Left' ? reserved.left._tag : 'found'} ${settled._tag}`
            }),
          )
          expect(new Set(outcomes)).toEqual(new Set(['NotFound Right']))
        }))

      it('attemptStatus of an unknown user is NotFound; of an unknown lease, ahead is null', () =>
        withStores(async (s) => {
          expect(expectLeft(await run(s.steps.attemptStatus(asUserId('00unobody000000000000'), 'lease-x', T0)))._tag).toBe('NotFound')
          const u = await created(s, fresh())
          expect(await ahead(s, u, lease(T0))).toBeNull()
        }))

      test.prop(
        [
          fc.array(
            fc.oneof(
              fc.record({ op: fc.constant('reserve' as const), ttl: fc.integer({ min: 1, max: 5000 }), gap: fc.integer({ min: 0, max: 2000 }) }),
              fc.record({ op: fc.constant('release' as const), pick: fc.nat(), gap: fc.integer({ min: 0, max: 2000 }) }),
            ),
            { minLength: 1, maxLength: 8 },
          ),
        ],
        { numRuns: 12 },
      )('ahead is the number of live leases (isLeaseLive) taken before, step by step', (ops) =>
        withStores(async (s) => {
          const u = await created(s, fresh())
          const all: AttemptLease[] = []
          const gone = new Set<string>()
          let now = T0
          const live = () => all.filter((l) => !gone.has(l.id) && isLeaseLive(l.until, now))
          for (const op of ops) {
            now += op.gap
            if (op.op === 'reserve') {
              const l = lease(now, op.ttl)
              expect(expectRight(await run(s.steps.reserveAttempt(u.profile.login, l, now))).ahead).toBe(live().length)
              all.push(l)
            } else if (all.length > 0) {
              const l = all[op.pick % all.length] as AttemptLease
              applied(await commit(s, step({ userId: u.id, now, attempt: settle(l.id, release) })))
              gone.add(l.id)
            }
            const queue = live().map((l) => l.id)
            for (const l of all) expect(await ahead(s, u, l, now)).toBe(queue.includes(l.id) ? queue.indexOf(l.id) : null)
          }
        }),
      )
    })

    describe('load', () => {
      it("reserveAttempt and load answer the user's factors as stored, oldest first (nobody else's)", () =>
        withStores(async (s) => {
          const u = await created(s, fresh())
          const other = await created(s, fresh())
          const factors = [
            factorOf(u, { secret: 'v1.k.iv.sealed.tag', lastCounter: 41, profile: { credentialId: u.profile.login } }),
            factorOf(u, { factorType: 'sms', provider: 'OKTA', status: 'PENDING_ACTIVATION', profile: { phoneNumber: '+14155550100' } }),
          ]
          await seeded(s, factors[0] as FactorRecord, factorOf(other), factors[1] as FactorRecord)
          expect(await listed(s, u)).toEqual(factors)
          expect(expectRight(await run(s.steps.reserveAttempt(u.profile.login, lease(T0), T0)))).toEqual({ user: u, factors, ahead: 0 })
          const r = await begun(s, u)
          expect(expectRight(await load(s, r, null))).toEqual({ record: r, factors, attempt: null })
          expect(expectRight(await load(s, r, lease(T0)))).toEqual({ record: r, factors, attempt: { failedAttempts: 0, lockedAt: null, ahead: 1 } })
        }))

      it('load answers as TransactionStore.load does: NotFound when unknown, expired or dead by a moved epoch, and then reserves nothing', () =>
        withStores(async (s) => {
          const u = await created(s, fresh())
          const r = await begun(s, u, { expiresAt: T0 + 1000 })
          expect(expectRight(await load(s, r, null, T0 + 999)).record).toEqual(r)
          for (const l of [null, lease(T0)]) {
            expect(expectLeft(await run(s.steps.load(uniqueHash(), T0, l)))._tag).toBe('NotFound')
            expect(expectLeft(await load(s, r, l, T0 + 1000))._tag).toBe('NotFound')
          }
          const live = await begun(s, u)
          applied(await commit(s, step({ userId: u.id, moveEpoch: true })))
          for (const l of [null, lease(T0)]) expect(expectLeft(await load(s, live, l))._tag).toBe('NotFound')
          expect(expectRight(await run(s.steps.reserveAttempt(u.profile.login, lease(T0), T0))).ahead).toBe(0)
        }))

      it("load with a lease takes one on the transaction's user: ahead counts the live leases before it, attemptStatus finds it, a commit settles it", () =>
        withStores(async (s) => {
          const u = await created(s, { ...fresh(), failedAttempts: 2, lockedAt: T0 - 5 * MIN })
          const r = await begun(s, u)
          const short = await reserve(s, u, T0, 1000)
          const a = await reserve(s, u)
          const b = lease(T0)
          expect(expectRight(await load(s, r, b)).attempt).toEqual({ failedAttempts: 2, lockedAt: T0 - 5 * MIN, ahead: 2 })
          expect(await ahead(s, u, b)).toBe(2)
          // Without a lease, nothing is reserved.
          expect(expectRight(await load(s, r, null)).attempt).toBeNull()
          expect(await ahead(s, u, b)).toBe(2)
          applied(await commit(s, step({ userId: u.id, attempt: settle(a.id, release) })))
          expect([await ahead(s, u, short), await ahead(s, u, b)]).toEqual([0, 1])
          // The short lease lapses: dropped by the next load with a lease, as by a reservation.
          const c = lease(T0 + 1000)
          expect(expectRight(await load(s, r, c, T0 + 1000)).attempt).toEqual({ failedAttempts: 2, lockedAt: T0 - 5 * MIN, ahead: 1 })
          expect([await ahead(s, u, short, T0 + 1000), await ahead(s, u, b, T0 + 1000), await ahead(s, u, c, T0 + 1000)]).toEqual([null, 0, 1])
          const counted = nextLockoutState({ failedAttempts: 2, lockedAt: T0 - 5 * MIN }, lockout(5, 1), T0 + 1000)
          expect(applied(await commit(s, step({ userId: u.id, now: T0 + 1000, attempt: settle(b.id, failure(lockout(5, 1))) }))).failedAttempts).toBe(counted.failedAttempts)
          expect(await ahead(s, u, b, T0 + 1000)).toBeNull()
          expect(await ahead(s, u, c, T0 + 1000)).toBe(0)
        }))

      it('load of a transaction whose user does not exist: found without a lease (no factors), NotFound with one', () =>
        withStores(async (s) => {
          const r = makeRecord({ userId: asUserId(`00unobody${next().toString().padStart(12, '0')}`) })
          expectRight(await run(s.transactions.create(r, read(T0), START)))
          expect(expectRight(await load(s, r, null))).toEqual({ record: r, factors: [], attempt: null })
          expect(expectLeft(await load(s, r, lease(T0)))._tag).toBe('NotFound')
        }))
    })

    describe('transactions without a user (decoy recoveries)', () => {
      const decoyCreate = (r: TransactionRecord): TransactionWrite => ({ kind: 'create', record: r, event: read(T0), start: DECOY_START })
      const decoyWrite = (transaction: TransactionWrite | null): StepWrite => ({ ...emptyStepWrite(asUserId('decoy-key'), T0), transaction })

      it('commitDecoy creates and saves one; load finds it without a lease (no factors), NotFound with one', () =>
        withStores(async (s) => {
          const r = makeDecoyRecord()
          applied(await run(s.steps.commitDecoy('someone@example.com', decoyWrite(decoyCreate(r)))))
          expect(expectRight(await load(s, r, null))).toEqual({ record: r, factors: [], attempt: null })
          expect(expectLeft(await load(s, r, lease(T0)))._tag).toBe('NotFound')
          const w = save(r)
          applied(await run(s.steps.commitDecoy(r.id, decoyWrite(w))))
          expect(expectRight(await load(s, r, null)).record).toEqual(w.record)
          expect(expectRight(await run(s.transactions.readLog(r.id))).map((e) => e.version)).toEqual([1, 2])
          expect(expectLeft(await run(s.steps.commitDecoy(r.id, decoyWrite(w))))._tag).toBe('VersionConflict')
          expect(expectLeft(await run(s.steps.commitDecoy(r.id, decoyWrite(decoyCreate(r)))))).toEqual({ _tag: 'Conflict', what: 'transaction' })
        }))

      it('a decoy write that would touch anything but its transaction is Conflict (decoy), and nothing is written', () =>
        withStores(async (s) => {
          const u = await created(s, fresh())
          const r = makeDecoyRecord()
          const others: ReadonlyArray<Partial<StepWrite>> = [
            { attempt: settle(null, failure(lockout(3))) },
            { userChanges: [{ type: 'unlock' }] },
            { moveEpoch: true },
            { revokeSessionTokens: true },
            { issue: token(u) },
            { claimActivation: true },
            { rememberDevice: { hash: uniqueHash(), until: T0 + MIN } },
          ]
          for (const other of others)
            expect(expectLeft(await run(s.steps.commitDecoy(r.id, { ...decoyWrite(decoyCreate(r)), ...other })))).toEqual({ _tag: 'Conflict', what: 'decoy' })
          expect(expectLeft(await load(s, r, null))._tag).toBe('NotFound')
          expect(stateOf(await stored(s, u))).toEqual(stateOf(u))
        }))

      it(`${racers} concurrent saves of one decoy version: exactly one wins, the others are VersionConflict`, () =>
        withStores(async (s) => {
          const r = makeDecoyRecord()
          applied(await run(s.steps.commitDecoy(r.id, decoyWrite(decoyCreate(r)))))
          const results = await Promise.all(Array.from({ length: racers }, () => run(s.steps.commitDecoy(r.id, decoyWrite(save(r))))))
          expect(results.filter((x) => x._tag === 'Right')).toHaveLength(1)
          for (const x of results) if (x._tag === 'Left') expect(x.left._tag).toBe('VersionConflict')
          expect(expectRight(await load(s, r, null)).record.version).toBe(2)
        }))
    })

    describe('attempts', () => {
      test.prop(
        [
          fc.integer({ min: 0, max: 6 }),
          fc.integer({ min: 0, max: 30 }),
          fc.array(fc.integer({ min: 0, max: 20 * MIN }), { minLength: 1, maxLength: 12 }),
        ],
        { numRuns: 25 },
      )('failures follow nextLockoutState step by step; the one that locks moves the epoch (settleAttempt)', (max, autoUnlock, gaps) =>
        withStores(async (s) => {
          let expected = await created(s, fresh())
          const policy = lockout(max, autoUnlock)
          let counters = { failedAttempts: 0, lockedAt: null as number | null }
          let now = T0
          for (const gap of gaps) {
            now += gap
            const l = await reserve(s, expected, now)
            const w = step({ userId: expected.id, now, expectedEpoch: expected.credentialEpoch, attempt: settle(l.id, failure(policy)) })
            const after = expectedAfter(expected, w)
            if (after === 'locked') throw new Error('a failure is never refused')
            counters = nextLockoutState(counters, policy, now)
            expect({ failedAttempts: after.failedAttempts, lockedAt: after.lockedAt }).toEqual(counters)
            expect(applied(await commit(s, w))).toEqual(stateOf(after))
            expected = after
            expect(await ahead(s, expected, l, now)).toBeNull()
          }
          expect(await stored(s, expected)).toEqual(expected)
        }),
      )

      it('a success resets the counter and an expired lock (LOCKED_OUT becomes ACTIVE)', () =>
        withStores(async (s) => {
          const u = await created(s, { ...fresh({ status: 'LOCKED_OUT' }), failedAttempts: 4, lockedAt: T0 - 20 * MIN })
          const l = await reserve(s, u)
          const w = step({ userId: u.id, expectedEpoch: 0, attempt: settle(l.id, success(lockout(4, 10))) })
          const after = expectedAfter(u, w)
          expect(after).not.toBe('locked')
          expect(applied(await commit(s, w))).toEqual({ status: 'ACTIVE', failedAttempts: 0, lockedAt: null, credentialEpoch: 0 })
          expect(await stored(s, u)).toEqual(after)
          expect(await ahead(s, u, l)).toBeNull()
        }))

      it("a success on a locked account is refused (locked): nothing is written but the lease's release", () =>
        withStores(async (s) => {
          const u = await created(s, { ...fresh(), failedAttempts: 5, lockedAt: T0 - MIN })
          const session = await issued(s, u)
          const l = await reserve(s, u)
          const other = await reserve(s, u)
          const r = recordOf(u)
          const t = token(u)
          const w = step({
            userId: u.id,
            expectedEpoch: 0,
            attempt: settle(l.id, success(lockout(5))),
            transaction: create(r),
            userChanges: [{ type: 'setPassword', passwordHash: '$trivial$new', changedAt: T0, historyCount: 4 }],
            moveEpoch: true,
            revokeSessionTokens: true,
            issue: t,
          })
          expect(expectedAfter(u, w)).toBe('locked')
          const out = refused(await commit(s, w))
          expect(out).toEqual({ _tag: 'Refused', reason: 'locked', user: stateOf(u) })
          await expectNothingWritten(s, { user: u, record: r, issued: t, session, lease: l, behind: other })
        }))

      it('a failure on a locked account counts nothing and moves nothing', () =>
        withStores(async (s) => {
          const u = await created(s, { ...fresh(), failedAttempts: 3, lockedAt: T0 - MIN })
          const session = await issued(s, u)
          const l = await reserve(s, u)
          expect(applied(await commit(s, step({ userId: u.id, attempt: settle(l.id, failure(lockout(3))) })))).toEqual(stateOf(u))
          expect(await stored(s, u)).toEqual(u)
          expect(await consumed(s, session)).toBe('redeemed')
        }))

      it('a write without an attempt or with a null lease settles nothing it was not given', () =>
        withStores(async (s) => {
          const u = await created(s, { ...fresh(), failedAttempts: 2 })
          const l = await reserve(s, u)
          applied(await commit(s, step({ userId: u.id })))
          expect(await ahead(s, u, l)).toBe(0)
          expect(applied(await commit(s, step({ userId: u.id, attempt: settle(null, failure(lockout(9))) }))).failedAttempts).toBe(3)
          expect(await ahead(s, u, l)).toBe(0)
        }))
    })

    describe('the credential epoch', () => {
      it("a write decided under another epoch is refused (epoch): nothing is written but the lease's release", () =>
        withStores(async (s) => {
          const u = await created(s, { ...fresh(), credentialEpoch: 2, failedAttempts: 1 })
          const l = await reserve(s, u)
          const r = recordOf(u)
          const t = token(u)
          const out = refused(
            await commit(s, step({ userId: u.id, expectedEpoch: 1, attempt: settle(l.id, failure(lockout(2))), transaction: create(r), issue: t, userChanges: [{ type: 'lock', at: T0 }] })),
          )
          expect(out).toEqual({ _tag: 'Refused', reason: 'epoch', user: stateOf(u) })
          expect(await stored(s, u)).toEqual(u)
          expect(expectLeft(await run(s.transactions.load(r.stateTokenHash, T0)))._tag).toBe('NotFound')
          expect(await consumed(s, t)).toBe('NotFound')
          expect(await ahead(s, u, l)).toBeNull()
          // Null: not checked.
          expect(applied(await commit(s, step({ userId: u.id, expectedEpoch: null, moveEpoch: true }))).credentialEpoch).toBe(3)
          expect(applied(await commit(s, step({ userId: u.id, expectedEpoch: 3 }))).credentialEpoch).toBe(3)
        }))

      it('checks in order: the transaction, then the token, then the epoch, then the lock, then the activation claim', () =>
        withStores(async (s) => {
          const u = await created(s, { ...fresh({ status: 'STAGED', activationTokenHash: uniqueHash() }), failedAttempts: 5, lockedAt: T0 })
          const holder = recordOf(u)
          applied(await commit(s, step({ userId: u.id, transaction: create(holder), claimActivation: true })))
          const held = await stored(s, u)
          const existing = await issued(s, u)
          const l = await reserve(s, u)
          const locked = settle(l.id, success(lockout(5)))
          // A stale save and a token that exists, under a wrong epoch, on a locked account, claiming.
          const stale = { ...save(holder), expected: holder.version, record: { ...holder, version: (holder.version + 2) as TransactionRecord['version'] } }
          const everything = step({ userId: u.id, expectedEpoch: 9, attempt: locked, transaction: stale, issue: existing, claimActivation: true })
          expect(expectLeft(await commit(s, everything))._tag).toBe('VersionConflict')
          expect(expectLeft(await commit(s, { ...everything, transaction: create(recordOf(u)) }))).toEqual({ _tag: 'Conflict', what: 'token' })
          expect(await ahead(s, u, l)).toBe(0)
          const claimNew = create(recordOf(u))
          expect(refused(await commit(s, { ...everything, transaction: claimNew, issue: token(u) })).reason).toBe('epoch')
          const l2 = await reserve(s, u)
          expect(refused(await commit(s, { ...everything, attempt: settle(l2.id, success(lockout(5))), expectedEpoch: held.credentialEpoch, transaction: create(recordOf(u)), issue: token(u) })).reason).toBe('locked')
          expect(refused(await commit(s, { ...everything, attempt: null, expectedEpoch: held.credentialEpoch, transaction: create(recordOf(u)), issue: token(u) })).reason).toBe('activationClaimed')
          expect(await stored(s, u)).toEqual(held)
        }))

      it('moveEpoch, a change that moves it and a failure that locks move the epoch by one together', () =>
        withStores(async (s) => {
          const u = await created(s, { ...fresh(), credentialEpoch: 4 })
          const l = await reserve(s, u)
          const out = applied(
            await commit(s, step({ userId: u.id, attempt: settle(l.id, failure(lockout(1))), userChanges: [{ type: 'lock', at: T0 }, { type: 'unlock' }, { type: 'suspend' }], moveEpoch: true })),
          )
          expect(out).toEqual({ status: 'SUSPENDED', failedAttempts: 0, lockedAt: null, credentialEpoch: 5 })
          expect(applied(await commit(s, step({ userId: u.id, userChanges: [{ type: 'expirePassword' }] }))).credentialEpoch).toBe(5)
        }))

      test.prop([arbUser, fc.array(arbChange, { maxLength: 5 }), fc.boolean()], { numRuns: 30 })(
        'every UserChange is applyUserChange, applied in order; the epoch moves by one if any changeMovesEpoch',
        (spec, changes, moveEpoch) =>
          withStores(async (s) => {
            const base = fresh({ status: spec.status, passwordHash: spec.passwordHash, activationTokenHash: spec.hasActivationToken ? uniqueHash() : null })
            const u = await created(s, {
              ...base,
              credentials: { ...base.credentials, passwordHistory: spec.passwordHistory },
              failedAttempts: spec.failedAttempts,
              lockedAt: spec.lockedAt,
              activationClaim: spec.claimed ? asTransactionId(`txnclaim${next().toString().padStart(10, '0')}`) : null,
              credentialEpoch: spec.credentialEpoch,
            })
            const w = step({ userId: u.id, expectedEpoch: u.credentialEpoch, userChanges: changes, moveEpoch })
            let oracle = u
            for (const c of changes) oracle = applyUserChange(oracle, c)
            const moves = moveEpoch || changes.some(changeMovesEpoch)
            oracle = { ...oracle, credentialEpoch: u.credentialEpoch + (moves ? 1 : 0) }
            expect(expectedAfter(u, w)).toEqual(oracle)
            expect(applied(await commit(s, w))).toEqual(stateOf(oracle))
            expect(await stored(s, u)).toEqual(oracle)
            if (u.activationTokenHash !== null && oracle.activationTokenHash === null)
              expect(expectLeft(await run(s.users.findByActivationToken(u.activationTokenHash)))._tag).toBe('NotFound')
          }),
      )

      it('setPassword moves the old hash into the history, trimmed to historyCount - 1 (PASSWORD_EXPIRED becomes ACTIVE)', () =>
        withStores(async (s) => {
          const u = await created(s, fresh({ passwordHash: '$trivial$p0', status: 'PASSWORD_EXPIRED' }))
          for (let i = 1; i <= 4; i++)
            applied(await commit(s, step({ userId: u.id, userChanges: [{ type: 'setPassword', passwordHash: `$trivial$p${i}`, changedAt: T0 + i, historyCount: 3 }] })))
          const after = await stored(s, u)
          expect(after.credentials).toEqual({
            passwordHash: '$trivial$p4',
            passwordChangedAt: T0 + 4,
            passwordHistory: ['$trivial$p3', '$trivial$p2'],
            recoveryQuestion: null,
          })
          expect(after.status).toBe('ACTIVE')
          expect(after.credentialEpoch).toBe(4)
        }))

      it('setPassword with the same hash at a later time is a change (status, time and history move)', () =>
        withStores(async (s) => {
          const u = await created(s, fresh({ passwordHash: '$trivial$same', status: 'PASSWORD_EXPIRED', passwordChangedAt: T0 - 1000 }))
          applied(await commit(s, step({ userId: u.id, userChanges: [{ type: 'setPassword', passwordHash: '$trivial$same', changedAt: T0, historyCount: 2 }] })))
          const after = await stored(s, u)
          expect(after.status).toBe('ACTIVE')
          expect(after.credentials.passwordChangedAt).toBe(T0)
          expect(after.credentials.passwordHistory).toEqual(['$trivial$same'])
        }))

      it('a transaction is dead (load NotFound) once its user moved epochs; one written under the new epoch lives', () =>
        withStores(async (s) => {
          const u = await created(s, fresh())
          const old = recordOf(u)
          applied(await commit(s, step({ userId: u.id, expectedEpoch: 0, transaction: create(old) })))
          expect(expectRight(await run(s.transactions.load(old.stateTokenHash, T0)))).toEqual(old)
          // A save through the step keeps it alive while the epoch stays.
          applied(await commit(s, step({ userId: u.id, expectedEpoch: 0, transaction: save(old) })))
          expect(expectRight(await run(s.transactions.load(old.stateTokenHash, T0))).version).toBe(2)
          expect(expectRight(await run(s.transactions.readLog(old.id))).map((e) => e.version)).toEqual([1, 2])
          const renewed = recordOf(u, { credentialEpoch: 1 })
          applied(await commit(s, step({ userId: u.id, expectedEpoch: 0, transaction: create(renewed), moveEpoch: true })))
          expect(expectLeft(await run(s.transactions.load(old.stateTokenHash, T0)))._tag).toBe('NotFound')
          expect(expectRight(await run(s.transactions.load(renewed.stateTokenHash, T0)))).toEqual(renewed)
          // Expiring the password does not move the epoch: the transaction lives on.
          applied(await commit(s, step({ userId: u.id, userChanges: [{ type: 'expirePassword' }] })))
          expectRight(await run(s.transactions.load(renewed.stateTokenHash, T0)))
          applied(await commit(s, step({ userId: u.id, userChanges: [{ type: 'unsuspend' }] })))
          expect(expectLeft(await run(s.transactions.load(renewed.stateTokenHash, T0)))._tag).toBe('NotFound')
        }))

      // UserStore.rehashPassword (docs/adr/0015-password-rehash.md) against the credential changes of commits.
      it('a rehash (UserStore.rehashPassword) is no credential change: the epoch, a live transaction and its lease, the counters and session tokens stay', () =>
        withStores(async (s) => {
          const u = await created(s, { ...fresh({ passwordHash: saltedHash('Keep-Passw0rd', 'old') }), failedAttempts: 2 })
          const r = await begun(s, u)
          const t = await issued(s, u)
          const l = await reserve(s, u)
          const replacement = saltedHash('Keep-Passw0rd', 'new')
          expect(expectRight(await run(s.users.rehashPassword(u.id, u.credentials.passwordHash ?? '', replacement)))).toBe(true)
          expect(await stored(s, u)).toEqual({ ...u, credentials: { ...u.credentials, passwordHash: replacement } })
          expect(expectRight(await run(s.transactions.load(r.stateTokenHash, T0)))).toEqual(r)
          expect(expectRight(await run(s.steps.attemptStatus(u.id, l.id, T0)))).toEqual({ failedAttempts: 2, lockedAt: null, credentialEpoch: 0, ahead: 0 })
          // The transaction's next step, decided under the epoch it started with, is applied.
          expect(applied(await commit(s, step({ userId: u.id, expectedEpoch: 0, attempt: settle(l.id, success(lockout(5))), transaction: save(r) })))).toEqual({
            ...stateOf(u),
            failedAttempts: 0,
          })
          expect(await consumed(s, t)).toBe('redeemed')
        }))

      it('a password change committed before a rehash wins (the rehash replaces nothing); one committed after it puts the rehashed hash in the history', () =>
        withStores(async (s) => {
          const u = await created(s, fresh({ passwordHash: saltedHash('Old-Passw0rd', 'old') }))
          const old = u.credentials.passwordHash ?? ''
          const changed = saltedHash('New-Passw0rd', 'new')
          applied(await commit(s, step({ userId: u.id, userChanges: [{ type: 'setPassword', passwordHash: changed, changedAt: T0, historyCount: 4 }] })))
          expect(expectRight(await run(s.users.rehashPassword(u.id, old, saltedHash('Old-Passw0rd', 'late'))))).toBe(false)
          const after = await stored(s, u)
          expect(after.credentials).toEqual({ ...u.credentials, passwordHash: changed, passwordChangedAt: T0, passwordHistory: [old] })
          expect(after.credentialEpoch).toBe(1)

          const v = await created(s, fresh({ passwordHash: saltedHash('Old-Passw0rd', 'old') }))
          const rehashed = saltedHash('Old-Passw0rd', 'rehashed')
          expect(expectRight(await run(s.users.rehashPassword(v.id, v.credentials.passwordHash ?? '', rehashed)))).toBe(true)
          applied(await commit(s, step({ userId: v.id, userChanges: [{ type: 'setPassword', passwordHash: changed, changedAt: T0, historyCount: 4 }] })))
          expect((await stored(s, v)).credentials).toEqual({ ...v.credentials, passwordHash: changed, passwordChangedAt: T0, passwordHistory: [rehashed] })
        }))
    })

    describe('session tokens', () => {
      it("revokeSessionTokens revokes the user's unredeemed session tokens; the token issued by the same write survives", () =>
        withStores(async (s) => {
          const u = await created(s, fresh())
          const someoneElse = await created(s, fresh())
          const [a, b] = [await issued(s, u), await issued(s, u)]
          const recovery = await issued(s, u, 'recovery')
          const theirs = await issued(s, someoneElse)
          const redeemed = await issued(s, u)
          expect(await consumed(s, redeemed)).toBe('redeemed')
          const c = token(u)
          const out = applied(await commit(s, step({ userId: u.id, revokeSessionTokens: true, issue: c })))
          expect(out.credentialEpoch).toBe(0)
          expect(await consumed(s, a)).toBe('AlreadyConsumed')
          expect(await consumed(s, b)).toBe('AlreadyConsumed')
          expect(await consumed(s, redeemed)).toBe('AlreadyConsumed')
          expect(await consumed(s, c)).toBe('redeemed')
          expect(await consumed(s, recovery)).toBe('redeemed')
          expect(await consumed(s, theirs)).toBe('redeemed')
        }))

      it('each UserChange revokes session tokens exactly when changeRevokesSessions says so', () =>
        withStores(async (s) => {
          for (const c of ALL_CHANGES) {
            const u = await created(s, fresh())
            const t = await issued(s, u)
            applied(await commit(s, step({ userId: u.id, userChanges: [c] })))
            expect([c.type, await consumed(s, t)]).toEqual([c.type, changeRevokesSessions(c) ? 'AlreadyConsumed' : 'redeemed'])
          }
        }))

      it('a failure that locks revokes them and moves the epoch; one that does not lock does neither', () =>
        withStores(async (s) => {
          const u = await created(s, fresh())
          const t = await issued(s, u)
          const l1 = await reserve(s, u)
          expect(applied(await commit(s, step({ userId: u.id, attempt: settle(l1.id, failure(lockout(2))) })))).toEqual({ ...stateOf(u), failedAttempts: 1 })
          expect(await consumed(s, t)).toBe('redeemed')
          const t2 = await issued(s, u)
          const l2 = await reserve(s, u)
          const fresh2 = token(u)
          expect(applied(await commit(s, step({ userId: u.id, attempt: settle(l2.id, failure(lockout(2))), issue: fresh2 })))).toEqual({
            ...stateOf(u),
            failedAttempts: 2,
            lockedAt: T0,
            credentialEpoch: 1,
          })
          expect(await consumed(s, t2)).toBe('AlreadyConsumed')
          expect(await consumed(s, fresh2)).toBe('redeemed')
        }))
    })

    describe('the activation claim', () => {
      const staged = () => fresh({ status: 'STAGED', passwordHash: null, activationTokenHash: uniqueHash() })

      it('a second claim while the holder lives is refused; after the holder is CANCELLED a claim succeeds', () =>
        withStores(async (s) => {
          const u = await created(s, staged())
          const first = recordOf(u)
          applied(await commit(s, step({ userId: u.id, expectedEpoch: 0, transaction: create(first), claimActivation: true })))
          const holding = await stored(s, u)
          expect(holding).toEqual({ ...u, activationClaim: first.id })
          const second = recordOf(u)
          const out = refused(await commit(s, step({ userId: u.id, expectedEpoch: 0, transaction: create(second), claimActivation: true })))
          expect(out).toEqual({ _tag: 'Refused', reason: 'activationClaimed', user: stateOf(u) })
          expect(expectLeft(await run(s.transactions.load(second.stateTokenHash, T0)))._tag).toBe('NotFound')
          expect(await stored(s, u)).toEqual(holding)
          // The holder is cancelled (a plain save, as any step that ends it).
          const cancelled = save({ ...first, state: 'CANCELLED' })
          expectRight(await run(s.transactions.save(cancelled.record, cancelled.expected, cancelled.event)))
          const third = recordOf(u)
          applied(await commit(s, step({ userId: u.id, expectedEpoch: 0, transaction: create(third), claimActivation: true })))
          expect((await stored(s, u)).activationClaim).toBe(third.id)
          // Activating clears the token and the claim, and moves the epoch.
          applied(await commit(s, step({ userId: u.id, expectedEpoch: 0, userChanges: [{ type: 'activate' }] })))
          const active = await stored(s, u)
          expect([active.status, active.activationTokenHash, active.activationClaim, active.credentialEpoch]).toEqual(['ACTIVE', null, null, 1])
          expect(expectLeft(await run(s.users.findByActivationToken(u.activationTokenHash ?? uniqueHash())))._tag).toBe('NotFound')
        }))

      it('a holder that expired, or that lives under another epoch, holds nothing', () =>
        withStores(async (s) => {
          const u = await created(s, staged())
          const first = recordOf(u, { expiresAt: T0 + 1000 })
          applied(await commit(s, step({ userId: u.id, transaction: create(first), claimActivation: true })))
          expect(refused(await commit(s, step({ userId: u.id, now: T0 + 999, transaction: create(recordOf(u)), claimActivation: true }))).reason).toBe('activationClaimed')
          const second = recordOf(u)
          applied(await commit(s, step({ userId: u.id, now: T0 + 1000, transaction: create(second), claimActivation: true })))
          expect((await stored(s, u)).activationClaim).toBe(second.id)
          // The epoch moves: the holder is dead, so is its claim.
          applied(await commit(s, step({ userId: u.id, moveEpoch: true })))
          const third = recordOf(u, { credentialEpoch: 1 })
          applied(await commit(s, step({ userId: u.id, expectedEpoch: 1, transaction: create(third), claimActivation: true })))
          expect((await stored(s, u)).activationClaim).toBe(third.id)
        }))
    })

    describe('factor changes', () => {
      it('enroll adds the record and replaces a PENDING_ACTIVATION factor of the same type and provider, not an ACTIVE one nor one of another type, provider or user', () =>
        withStores(async (s) => {
          const u = await created(s, fresh())
          const other = await created(s, fresh())
          const pending = factorOf(u, { status: 'PENDING_ACTIVATION' })
          const active = factorOf(u)
          const otherProvider = factorOf(u, { provider: 'OKTA', status: 'PENDING_ACTIVATION' })
          const otherType = factorOf(u, { factorType: 'sms', provider: 'OKTA', status: 'PENDING_ACTIVATION' })
          const theirs = factorOf(other, { status: 'PENDING_ACTIVATION' })
          await seeded(s, pending, active, otherProvider, otherType, theirs)
          const record = factorOf(u, { status: 'PENDING_ACTIVATION', secret: 'v1.k.iv.new.tag', createdAt: T0 })
          applied(await commit(s, step({ userId: u.id, factorChanges: [{ type: 'enroll', record }] })))
          expect(await listed(s, u)).toEqual([active, otherProvider, otherType, record])
          expect(await listed(s, other)).toEqual([theirs])
          // Enrolling again replaces the new pending one in turn; an ACTIVE record replaces pending ones too.
          const again = factorOf(u, { factorType: 'sms', provider: 'OKTA' })
          applied(await commit(s, step({ userId: u.id, factorChanges: [{ type: 'enroll', record: again }] })))
          expect(await listed(s, u)).toEqual([active, otherProvider, record, again])
        }))

      it('activate makes a PENDING_ACTIVATION factor ACTIVE; an ACTIVE one stays ACTIVE', () =>
        withStores(async (s) => {
          const u = await created(s, fresh())
          const pending = factorOf(u, { status: 'PENDING_ACTIVATION', lastCounter: 4 })
          const active = factorOf(u, { factorType: 'sms', provider: 'OKTA' })
          await seeded(s, pending, active)
          applied(await commit(s, step({ userId: u.id, factorChanges: [{ type: 'activate', factorId: pending.id }, { type: 'activate', factorId: active.id }] })))
          expect(await listed(s, u)).toEqual([{ ...pending, status: 'ACTIVE' }, active])
        }))

      it('update replaces the profile and sealed secret (a registration at activation), in order with activate; another user\'s factor is NotFound', () =>
        withStores(async (s) => {
          const u = await created(s, fresh())
          const other = await created(s, fresh())
          const pending = factorOf(u, { status: 'PENDING_ACTIVATION', profile: {}, secret: 'v1.k.pending' })
          const foreign = factorOf(other, { factorType: 'sms', provider: 'OKTA' })
          await seeded(s, pending, foreign)
          const profile = { credentialId: 'Ab1jRznBN0A1', authenticatorName: 'Authenticator' }
          applied(await commit(s, step({ userId: u.id, factorChanges: [{ type: 'update', factorId: pending.id, profile, secret: 'v1.k.credential' }, { type: 'activate', factorId: pending.id }] })))
          expect(await listed(s, u)).toEqual([{ ...pending, profile, secret: 'v1.k.credential', status: 'ACTIVE' }])
          expect(expectLeft(await run(s.steps.commit(step({ userId: u.id, factorChanges: [{ type: 'update', factorId: foreign.id, profile, secret: 'v1.k.stolen' }] }))))._tag).toBe('NotFound')
          expect(await listed(s, other)).toEqual([foreign])
        }))

      it('use is accepted only above lastCounter, which it then becomes (any counter when there is none yet)', () =>
        withStores(async (s) => {
          const u = await created(s, fresh())
          const f = factorOf(u)
          await seeded(s, f)
          applied(await commit(s, step({ userId: u.id, factorChanges: [use(f, 5)] })))
          expect(await listed(s, u)).toEqual([{ ...f, lastCounter: 5 }])
          for (const counter of [5, 4, 0]) expect(refused(await commit(s, step({ userId: u.id, factorChanges: [use(f, counter)] }))).reason).toBe('factorReplayed')
          applied(await commit(s, step({ userId: u.id, factorChanges: [use(f, 6)] })))
          applied(await commit(s, step({ userId: u.id, factorChanges: [use(f, 60)] })))
          expect(await listed(s, u)).toEqual([{ ...f, lastCounter: 60 }])
        }))

      it("a replayed counter is refused (factorReplayed): nothing is written but the lease's release", () =>
        withStores(async (s) => {
          const u = await created(s, { ...fresh(), failedAttempts: 3, rememberedDevices: [{ hash: uniqueHash(), until: T0 + MIN }] })
          const f = factorOf(u, { lastCounter: 10 })
          const pending = factorOf(u, { factorType: 'sms', provider: 'OKTA', status: 'PENDING_ACTIVATION' })
          await seeded(s, f, pending)
          const session = await issued(s, u)
          const l = await reserve(s, u)
          const other = await reserve(s, u)
          const r = recordOf(u)
          const t = token(u)
          const out = refused(
            await commit(
              s,
              step({
                userId: u.id,
                expectedEpoch: 0,
                attempt: settle(l.id, success(lockout(5))),
                transaction: create(r),
                userChanges: [{ type: 'setPassword', passwordHash: '$trivial$new', changedAt: T0, historyCount: 4 }],
                moveEpoch: true,
                revokeSessionTokens: true,
                issue: t,
                factorChanges: [{ type: 'enroll', record: factorOf(u, { factorType: 'sms', provider: 'OKTA' }) }, { type: 'activate', factorId: pending.id }, use(f, 11), use(f, 10)],
                rememberDevice: { hash: uniqueHash(), until: T0 + 10 * MIN },
              }),
            ),
          )
          expect(out).toEqual({ _tag: 'Refused', reason: 'factorReplayed', user: stateOf(u) })
          expect(await listed(s, u)).toEqual([f, pending])
          await expectNothingWritten(s, { user: u, record: r, issued: t, session, lease: l, behind: other })
        }))

      it('checks in order: the epoch, the lock and the activation claim come before a replayed counter', () =>
        withStores(async (s) => {
          const u = await created(s, { ...fresh({ status: 'STAGED', activationTokenHash: uniqueHash() }), failedAttempts: 5, lockedAt: T0 })
          const f = factorOf(u, { lastCounter: 10 })
          await seeded(s, f)
          applied(await commit(s, step({ userId: u.id, transaction: create(recordOf(u)), claimActivation: true })))
          const held = await stored(s, u)
          const replay = { userId: u.id, factorChanges: [use(f, 10)] }
          expect(refused(await commit(s, step({ ...replay, expectedEpoch: 7 }))).reason).toBe('epoch')
          const l = await reserve(s, u)
          expect(refused(await commit(s, step({ ...replay, attempt: settle(l.id, success(lockout(5))) }))).reason).toBe('locked')
          expect(refused(await commit(s, step({ ...replay, transaction: create(recordOf(u)), claimActivation: true }))).reason).toBe('activationClaimed')
          expect(refused(await commit(s, step(replay))).reason).toBe('factorReplayed')
          expect(await stored(s, u)).toEqual(held)
          expect(await listed(s, u)).toEqual([f])
        }))

      it("a change of another user's or an unknown factor is NotFound, an enroll of an existing id or of another user's record is Conflict: nothing is written, not even the lease's release", () =>
        withStores(async (s) => {
          const u = await created(s, { ...fresh(), failedAttempts: 1 })
          const other = await created(s, fresh())
          const mine = factorOf(u, { status: 'PENDING_ACTIVATION', lastCounter: 2 })
          const theirs = factorOf(other, { status: 'PENDING_ACTIVATION', lastCounter: 2 })
          await seeded(s, mine, theirs)
          const r = await begun(s, u)
          const l = await reserve(s, u)
          const everything = {
            userId: u.id,
            expectedEpoch: 0,
            attempt: settle(l.id, failure(lockout(2))),
            transaction: save(r),
            userChanges: [{ type: 'suspend' as const }],
            moveEpoch: true,
            issue: token(u),
            rememberDevice: { hash: uniqueHash(), until: T0 + MIN },
          }
          const before = await stored(s, u)
          const unknown = asFactorId(`fctnobody${next().toString().padStart(10, '0')}`)
          const cases: ReadonlyArray<readonly [ReadonlyArray<FactorChange>, StoreError]> = [
            [[{ type: 'activate', factorId: theirs.id }], { _tag: 'NotFound' }],
            [[use(mine, 3), use(theirs, 3)], { _tag: 'NotFound' }],
            [[{ type: 'activate', factorId: unknown }], { _tag: 'NotFound' }],
            [[{ type: 'enroll', record: { ...factorOf(u), id: mine.id } }], { _tag: 'Conflict', what: 'factor' }],
            [[{ type: 'enroll', record: { ...factorOf(u), id: theirs.id } }], { _tag: 'Conflict', what: 'factor' }],
            [[{ type: 'enroll', record: factorOf(other) }], { _tag: 'Conflict', what: 'factor' }],
            // Before the refusals: a wrong epoch does not hide it.
            [[{ type: 'activate', factorId: mine.id }, use(theirs, 9)], { _tag: 'NotFound' }],
          ]
          for (const [factorChanges, error] of cases) {
            expect(expectLeft(await commit(s, step({ ...everything, factorChanges })))).toEqual(error)
            expect(expectLeft(await commit(s, step({ ...everything, expectedEpoch: 5, factorChanges })))).toEqual(error)
          }
          // After the transaction's and the token's checks.
          const foreign = [{ type: 'activate' as const, factorId: theirs.id }]
          expect(expectLeft(await commit(s, step({ ...everything, transaction: save(recordOf(u)), factorChanges: foreign })))._tag).toBe('NotFound')
          expect(expectLeft(await commit(s, step({ ...everything, transaction: { ...save(r), expected: asVersion(7) }, factorChanges: foreign })))._tag).toBe('VersionConflict')
          const existing = await issued(s, u)
          expect(expectLeft(await commit(s, step({ ...everything, issue: existing, factorChanges: foreign })))).toEqual({ _tag: 'Conflict', what: 'token' })
          expect(await stored(s, u)).toEqual(before)
          expect(await ahead(s, u, l)).toBe(0)
          expect(await listed(s, u)).toEqual([mine])
          expect(await listed(s, other)).toEqual([theirs])
          expect(expectRight(await run(s.transactions.readLog(r.id)))).toHaveLength(1)
          expect(await consumed(s, everything.issue)).toBe('NotFound')
        }))

      test.prop(
        [
          fc.array(arbStoredFactor, { maxLength: 4 }),
          fc.array(arbStoredFactor, { maxLength: 2 }),
          fc.array(arbFactorChange, { minLength: 1, maxLength: 4 }),
        ],
        { numRuns: 30 },
      )('every FactorChange follows the rules, checked against the factors as stored and applied in order', (mine, theirs, changes) =>
        withStores(async (s) => {
          const u = await created(s, fresh())
          const other = await created(s, fresh())
          const make = (owner: UserRecord) => (f: (typeof mine)[number]) => factorOf(owner, { ...KINDS[f.kind], status: f.status, lastCounter: f.lastCounter })
          const stored = [...mine.map(make(u)), ...theirs.map(make(other))]
          await seeded(s, ...stored)
          const ids = [...stored.map((f) => f.id), asFactorId(`fctnobody${next().toString().padStart(10, '0')}`)]
          const pick = (n: number) => ids[n % ids.length] as FactorRecord['id']
          const write: ReadonlyArray<FactorChange> = changes.map((c): FactorChange => {
            switch (c.type) {
              case 'enroll': {
                const record = factorOf(c.theirs ? other : u, { ...KINDS[c.kind], status: c.status, createdAt: T0 })
                const existing = stored[(c.id ?? 0) % Math.max(1, stored.length)]
                return { type: 'enroll', record: c.id === null || existing === undefined ? record : { ...record, id: existing.id } }
              }
              case 'activate':
                return { type: 'activate', factorId: pick(c.pick) }
              case 'use':
                return { type: 'use', factorId: pick(c.pick), counter: c.counter }
            }
          })
          const oracle = expectedFactors(u.id, stored, write)
          const out = await commit(s, step({ userId: u.id, factorChanges: write }))
          if (oracle._tag === 'error') expect(expectLeft(out)._tag).toBe(oracle.error)
          else if (oracle._tag === 'factorReplayed') expect(refused(out).reason).toBe('factorReplayed')
          else applied(out)
          const after = oracle._tag === 'applied' ? oracle.factors : stored
          expect(await listed(s, u)).toEqual(after.filter((f) => f.userId === u.id))
          expect(await listed(s, other)).toEqual(after.filter((f) => f.userId === other.id))
        }),
      )
    })

    describe('remembered devices', () => {
      it('rememberDevice appends the device, replacing an entry with the same hash and dropping those expired at now', () =>
        withStores(async (s) => {
          const [a, b, c, d] = [uniqueHash(), uniqueHash(), uniqueHash(), uniqueHash()]
          const u = await created(s, {
            ...fresh(),
            rememberedDevices: [
              { hash: a, until: T0 + 10 * MIN },
              { hash: b, until: T0 },
              { hash: c, until: T0 + 5 * MIN },
              { hash: d, until: T0 - MIN },
            ],
          })
          const out = applied(await commit(s, step({ userId: u.id, rememberDevice: { hash: a, until: T0 + 30 * MIN } })))
          expect(out).toEqual(stateOf(u))
          expect((await stored(s, u)).rememberedDevices).toEqual([
            { hash: c, until: T0 + 5 * MIN },
            { hash: a, until: T0 + 30 * MIN },
          ])
          const e = uniqueHash()
          applied(await commit(s, step({ userId: u.id, now: T0 + 5 * MIN, rememberDevice: { hash: e, until: T0 + 6 * MIN } })))
          expect(await stored(s, u)).toEqual({
            ...u,
            rememberedDevices: [
              { hash: a, until: T0 + 30 * MIN },
              { hash: e, until: T0 + 6 * MIN },
            ],
          })
          // Without rememberDevice nothing is dropped, expired or not.
          applied(await commit(s, step({ userId: u.id, now: T0 + 60 * MIN, userChanges: [{ type: 'expirePassword' }] })))
          expect((await stored(s, u)).rememberedDevices).toHaveLength(2)
        }))
    })

    describe('atomicity', () => {
      it('a commit whose save is stale writes nothing: user unchanged, lease kept, no token, no log entry', () =>
        withStores(async (s) => {
          const u = await created(s, { ...fresh(), failedAttempts: 1 })
          const r = recordOf(u)
          applied(await commit(s, step({ userId: u.id, transaction: create(r) })))
          applied(await commit(s, step({ userId: u.id, transaction: save(r) })))
          const session = await issued(s, u)
          const before = await stored(s, u)
          const l = await reserve(s, u)
          const t = token(u)
          const e = expectLeft(
            await commit(
              s,
              step({
                userId: u.id,
                expectedEpoch: 0,
                attempt: settle(l.id, failure(lockout(2))),
                transaction: save(r),
                userChanges: [{ type: 'lock', at: T0 }, { type: 'setPassword', passwordHash: '$trivial$x', changedAt: T0, historyCount: 2 }],
                moveEpoch: true,
                revokeSessionTokens: true,
                issue: t,
              }),
            ),
          )
          expect(e).toEqual({ _tag: 'VersionConflict', actual: 2 })
          expect(await stored(s, u)).toEqual(before)
          expect(await ahead(s, u, l)).toBe(0)
          expect(await consumed(s, t)).toBe('NotFound')
          expect(await consumed(s, session)).toBe('redeemed')
          expect(expectRight(await run(s.transactions.readLog(r.id)))).toHaveLength(2)
        }))

      it('an existing transaction or token, a save of an unknown transaction, an unknown user: the port error, nothing written', () =>
        withStores(async (s) => {
          const u = await created(s, fresh())
          const r = recordOf(u)
          const t = await issued(s, u)
          applied(await commit(s, step({ userId: u.id, transaction: create(r) })))
          const before = await stored(s, u)
          const l = await reserve(s, u)
          const everything = { userId: u.id, attempt: settle(l.id, failure(lockout(1))), userChanges: [{ type: 'suspend' as const }], moveEpoch: true }
          expect(expectLeft(await commit(s, step({ ...everything, transaction: create(makeRecord({ userId: u.id, id: r.id })) })))._tag).toBe('Conflict')
          expect(expectLeft(await commit(s, step({ ...everything, transaction: create(makeRecord({ userId: u.id, hash: r.stateTokenHash })) })))._tag).toBe('Conflict')
          expect(expectLeft(await commit(s, step({ ...everything, issue: { ...token(u), hash: t.hash } })))).toEqual({ _tag: 'Conflict', what: 'token' })
          expect(expectLeft(await commit(s, step({ ...everything, transaction: save(recordOf(u)) })))._tag).toBe('NotFound')
          expect(expectLeft(await commit(s, step({ ...everything, userId: asUserId('00unobody000000000000') })))._tag).toBe('NotFound')
          expect(await stored(s, u)).toEqual(before)
          expect(await ahead(s, u, l)).toBe(0)
          expect(expectRight(await run(s.transactions.readLog(r.id)))).toHaveLength(1)
        }))

      it('an applied write is visible whole: transaction, log entry, token, counters and epoch', () =>
        withStores(async (s) => {
          const u = await created(s, { ...fresh(), failedAttempts: 3 })
          const l = await reserve(s, u)
          const r = recordOf(u, { credentialEpoch: 1 })
          const t = token(u)
          const w = step({ userId: u.id, expectedEpoch: 0, attempt: settle(l.id, success(lockout(5))), transaction: create(r), moveEpoch: true, issue: t })
          expect(applied(await commit(s, w))).toEqual({ ...stateOf(u), failedAttempts: 0, credentialEpoch: 1 })
          expect(await stored(s, u)).toEqual(expectedAfter(u, w))
          expect(expectRight(await run(s.transactions.load(r.stateTokenHash, T0)))).toEqual(r)
          expect(expectRight(await run(s.transactions.readLog(r.id)))).toEqual([{ transactionId: r.id, version: 1, event: read(T0), start: START, state: r.state }])
          expect(await consumed(s, t)).toBe('redeemed')
          expect(await ahead(s, u, l)).toBeNull()
        }))
    })

    describe('concurrency', () => {
      it(`${racers} racers each reserve then commit a failure (maxAttempts 5): counted as one after another, exactly one locks`, () =>
        withStores(async (s) => {
          const u = await created(s, fresh())
          const session = await issued(s, u)
          const policy = lockout(5)
          const outcomes = await Promise.all(
            Array.from({ length: racers }, async () => {
              const l = await reserve(s, u)
              return applied(await commit(s, step({ userId: u.id, attempt: settle(l.id, failure(policy)) })))
            }),
          )
          // The oracle: the same failures one after another.
          let sequential = u
          const expected: CredentialState[] = []
          let locks = 0
          for (let i = 0; i < racers; i++) {
            const settled = settleAttempt(sequential, failure(policy), T0)
            if (settled === 'locked') throw new Error('a failure is never refused')
            if (settled.locks) locks += 1
            sequential = { ...settled.user, credentialEpoch: sequential.credentialEpoch + (settled.locks ? 1 : 0) }
            expected.push(stateOf(sequential))
          }
          const order = (a: CredentialState, b: CredentialState) => a.failedAttempts - b.failedAttempts || a.credentialEpoch - b.credentialEpoch
          expect([...outcomes].sort(order)).toEqual(expected.sort(order))
          expect(locks).toBe(racers >= 5 ? 1 : 0)
          expect(outcomes.filter((x) => x.lockedAt !== null)).toHaveLength(Math.max(0, racers - 4))
          const final = await stored(s, u)
          expect(final.failedAttempts).toBe(Math.min(racers, 5))
          expect(final).toEqual(sequential)
          expect(await consumed(s, session)).toBe(racers >= 5 ? 'AlreadyConsumed' : 'redeemed')
          expect(expectRight(await run(s.steps.reserveAttempt(u.profile.login, lease(T0), T0))).ahead).toBe(0)
        }))

      it(`${racers} racers commit a use of the same counter on one factor: exactly one is Applied, the others are refused (factorReplayed)`, () =>
        withStores(async (s) => {
          const u = await created(s, fresh())
          const f = factorOf(u, { lastCounter: 6 })
          await seeded(s, f)
          const r = await begun(s, u)
          // Each racer loads the transaction with a lease (a factor verification's reservation), then commits.
          const outcomes = await Promise.all(
            Array.from({ length: racers }, async () => {
              const l = lease(T0)
              expect(expectRight(await load(s, r, l)).factors.map((x) => x.id)).toEqual([f.id])
              return expectRight(await commit(s, step({ userId: u.id, expectedEpoch: 0, attempt: settle(l.id, success(lockout(5))), factorChanges: [use(f, 7)] })))
            }),
          )
          expect(outcomes.filter((x) => x._tag === 'Applied')).toHaveLength(1)
          for (const x of outcomes) if (x._tag === 'Refused') expect(x).toEqual({ _tag: 'Refused', reason: 'factorReplayed', user: stateOf(u) })
          expect(await listed(s, u)).toEqual([{ ...f, lastCounter: 7 }])
          expect(expectRight(await run(s.steps.reserveAttempt(u.profile.login, lease(T0), T0))).ahead).toBe(0)
        }))

      it(`${racers} racers commit uses of different counters on one factor: a use is refused only when one at least as high was applied, and lastCounter ends at the highest`, () =>
        withStores(async (s) => {
          const u = await created(s, fresh())
          const f = factorOf(u)
          await seeded(s, f)
          const counters = Array.from({ length: racers }, (_, i) => ((i * 7) % racers) + 1)
          const outcomes = await Promise.all(counters.map(async (counter) => ({ counter, out: expectRight(await commit(s, step({ userId: u.id, factorChanges: [use(f, counter)] }))) })))
          const accepted = outcomes.filter((x) => x.out._tag === 'Applied').map((x) => x.counter)
          for (const { counter, out } of outcomes)
            if (out._tag === 'Refused') {
              expect(out.reason).toBe('factorReplayed')
              expect(accepted.some((a) => a >= counter)).toBe(true)
            }
          expect(accepted).toContain(Math.max(...counters))
          expect((await listed(s, u))[0]?.lastCounter).toBe(Math.max(...counters))
        }))

      it(`${racers} rehashes racing a password change: the change is never lost, and at most one rehash lands, before it`, () =>
        withStores(async (s) => {
          const u = await created(s, fresh({ passwordHash: saltedHash('Old-Passw0rd', 'old') }))
          const old = u.credentials.passwordHash ?? ''
          const changed = saltedHash('New-Passw0rd', 'new')
          const change = async (): Promise<string | null> => {
            applied(await commit(s, step({ userId: u.id, userChanges: [{ type: 'setPassword', passwordHash: changed, changedAt: T0, historyCount: 3 }] })))
            return null
          }
          const rehash = (candidate: string) => async (): Promise<string | null> =>
            expectRight(await run(s.users.rehashPassword(u.id, old, candidate))) ? candidate : null
          const calls = Array.from({ length: racers }, (_, i) => rehash(saltedHash('Old-Passw0rd', `racer${i}`)))
          calls.splice(Math.floor(racers / 2), 0, change)
          const landed = (await Promise.all(calls.map((f) => f()))).filter((x): x is string => x !== null)
          expect(landed.length).toBeLessThanOrEqual(1)
          // A rehash that landed came before the change, which moved it into the history.
          const after = await stored(s, u)
          expect(after.credentials).toEqual({ ...u.credentials, passwordHash: changed, passwordChangedAt: T0, passwordHistory: [landed[0] ?? old] })
          expect(after.credentialEpoch).toBe(1)
          expect(verifySalted(after.credentials.passwordHistory[0] ?? '', 'Old-Passw0rd')).toBe(true)
        }))

      for (const where of ['first', 'middle', 'last'] as const)
        it(`${racers} successes against an administrator's lock (sent ${where}): no success is applied after the lock`, () =>
          withStores(async (s) => {
            const u = await created(s, { ...fresh(), failedAttempts: 2 })
            const policy = lockout(5)
            const lockAt = T0 - 1
            const admin = async () => ({ admin: true, out: expectRight(await commit(s, step({ userId: u.id, userChanges: [{ type: 'lock', at: lockAt }] }))) })
            const racer = async () => {
              const l = await reserve(s, u)
              return { admin: false, out: expectRight(await commit(s, step({ userId: u.id, attempt: settle(l.id, success(policy)) }))) }
            }
            const at = where === 'first' ? 0 : where === 'middle' ? Math.floor(racers / 2) : racers
            const calls = Array.from({ length: racers }, () => racer)
            calls.splice(at, 0, admin)
            const results = await Promise.all(calls.map((f) => f()))
            const lock = results.find((r) => r.admin)?.out
            if (lock?._tag !== 'Applied') throw new Error('the administrator’s lock is never refused')
            expect([lock.user.lockedAt, lock.user.credentialEpoch]).toEqual([lockAt, 1])
            const successes = results.filter((r) => !r.admin).map((r) => r.out)
            for (const out of successes) {
              // Applied: before the lock (the epoch has not moved). Refused: the lock is seen.
              if (out._tag === 'Applied') expect(out.user).toEqual({ status: 'ACTIVE', failedAttempts: 0, lockedAt: null, credentialEpoch: 0 })
              else expect(out).toEqual({ _tag: 'Refused', reason: 'locked', user: lock.user })
            }
            const wins = successes.filter((x) => x._tag === 'Applied').length
            expect(lock.user.failedAttempts).toBe(wins > 0 ? 0 : 2)
            const final = await stored(s, u)
            expect(stateOf(final)).toEqual(lock.user)
            expect(expectRight(await run(s.steps.reserveAttempt(u.profile.login, lease(T0), T0))).ahead).toBe(0)
          }))
    })
  })
}
