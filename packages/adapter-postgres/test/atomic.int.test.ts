import { afterAll, beforeEach, afterEach, describe, expect, it } from 'vitest'
import { DECOY_COUNT, asVersion, decoyOf, emptyStepWrite, type AuthnEvent, type StepWrite, type AuthnRecord } from '@authn-machine/core'
import { conformanceStartContext as START, expectLeft, expectRight, makeRecord, run, uniqueHash } from '@authn-machine/testkit'
import { makeFactor, makeUser } from '@authn-machine/testkit/fixtures'
import {
  countQueries,
  createPostgresFactorStore,
  createPostgresStepStore,
  createPostgresStores,
  createPostgresTransactionStore,
  createPostgresUserStore,
  type CountingQueryable,
  type PostgresStores,
} from '../src/index.js'
import { CALL, PASSWORD, engineOn, summary, userWithPassword } from './engine.js'
import { BACKEND, closeTestDatabase, createPostgresTestStores, type PostgresTestStores } from './support.js'

const T0 = Date.UTC(2026, 0, 1)
const read: AuthnEvent = { type: 'transaction.read', now: T0 }
const bump = (r: AuthnRecord): AuthnRecord => ({ ...r, version: asVersion(r.version + 1) })
/** A step write of `r`'s user that writes nothing else. */
const write = (r: AuthnRecord): StepWrite => emptyStepWrite(r.context.userId, T0)

afterAll(closeTestDatabase)

describe(`one statement per operation (${BACKEND})`, () => {
  let base: PostgresTestStores
  let db: CountingQueryable
  let stores: PostgresStores
  beforeEach(async () => {
    base = await createPostgresTestStores()
    db = countQueries(base.db)
    stores = createPostgresStores(db, { schema: base.schema })
  })
  afterEach(() => base.dispose())

  /** Runs `f` and answers how many round trips it took. */
  const trips = async (f: () => Promise<unknown>): Promise<number> => {
    db.reset()
    await f()
    return db.count()
  }

  it('through the engine: a sign-in to SUCCESS, a wrong password and an unknown user take 2 round trips each', async () => {
    const authn = engineOn({ ...base, db, transactions: stores.transactions, users: stores.users, factors: stores.factors, steps: stores.steps })
    const user = await userWithPassword('trips@example.com')
    expectRight(await run(stores.users.create(user)))
    // reserveAttempt (finds the user and reserves the attempt), then commit (transaction, reset, token).
    expect(await trips(async () => expect(summary(await authn.authenticate({ username: 'trips@example.com', password: PASSWORD }, CALL)())).toBe('200'))).toBe(2)
    // reserveAttempt, then commit of the failure.
    expect(await trips(async () => expect(summary(await authn.authenticate({ username: 'trips@example.com', password: 'wrong' }, CALL)())).toBe('401 E0000004'))).toBe(2)
    // An unknown user: the same two, on its decoy (ADR 0011): the lease taken, then the failure counted and the lease given back.
    expect(await trips(async () => expect(summary(await authn.authenticate({ username: 'nobody@example.com', password: 'wrong' }, CALL)())).toBe('401 E0000004'))).toBe(2)
    const decoy = await base.db.query(`select failed_attempts, attempt_leases from "${base.schema}".user_decoys where id = $1`, [decoyOf('nobody@example.com')])
    expect(decoy.rows).toEqual([{ failed_attempts: 1, attempt_leases: [] }])
  })

  it('migration 4 made one decoy for every decoyOf answer', async () => {
    const { rows } = await base.db.query(`select id from "${base.schema}".user_decoys order by id`)
    expect(rows.map((r) => (r as { id: string }).id)).toEqual(Array.from({ length: DECOY_COUNT }, (_, n) => `decoy:${n}`).sort())
    expect(decoyOf('Someone@Example.com')).toBe(decoyOf('someone@example.com'))
  })

  it('create, load, save (won and lost), readLog: one round trip each', async () => {
    const s = stores.transactions
    const r = makeRecord()
    expect(await trips(async () => expectRight(await run(s.create(r, read, START))))).toBe(1)
    expect(await trips(async () => expectRight(await run(s.load(r.stateTokenHash, T0))))).toBe(1)
    expect(await trips(async () => expectRight(await run(s.save(bump(r), r.version, read))))).toBe(1)
    // Lost: the stored version is 2; the answer says so without a second read.
    let lost: unknown
    expect(await trips(async () => (lost = expectLeft(await run(s.save(bump(r), r.version, read)))))).toBe(1)
    expect(lost).toEqual({ _tag: 'VersionConflict', actual: 2 })
    const unknown = makeRecord()
    let missing: unknown
    expect(await trips(async () => (missing = expectLeft(await run(s.save(bump(unknown), unknown.version, read)))))).toBe(1)
    expect(missing).toEqual({ _tag: 'NotFound' })
    expect(await trips(async () => expect(expectRight(await run(s.readLog(r.id)))).toHaveLength(2))).toBe(1)
  })

  it('a save carrying another state token hash is Conflict and changes nothing', async () => {
    const s = stores.transactions
    const r = makeRecord()
    expectRight(await run(s.create(r, read, START)))
    expect(expectLeft(await run(s.save({ ...bump(r), stateTokenHash: uniqueHash() }, r.version, read)))._tag).toBe('Conflict')
    expect(expectRight(await run(s.load(r.stateTokenHash, T0)))).toEqual(r)
    expect(expectRight(await run(s.readLog(r.id)))).toHaveLength(1)
  })

  it('issueToken and consumeToken (won, AlreadyConsumed, NotFound): one round trip each', async () => {
    const s = stores.transactions
    const token = { schemaVersion: 1 as const, hash: uniqueHash(), kind: 'session' as const, userId: makeUser({ login: 'a@example.com', passwordHash: null }).id, transactionId: makeRecord().id, expiresAt: T0 + 1000 }
    expect(await trips(async () => expectRight(await run(s.issueToken(token))))).toBe(1)
    expect(await trips(async () => expectRight(await run(s.consumeToken(token.hash, 'session', T0))))).toBe(1)
    expect(await trips(async () => expect(expectLeft(await run(s.consumeToken(token.hash, 'session', T0)))._tag).toBe('AlreadyConsumed'))).toBe(1)
    expect(await trips(async () => expect(expectLeft(await run(s.consumeToken(uniqueHash(), 'session', T0)))._tag).toBe('NotFound'))).toBe(1)
  })

  it('users: create and find, one round trip each', async () => {
    const u = stores.users
    const user = makeUser({ login: 'Atomic@Example.com', passwordHash: '$trivial$a', status: 'PASSWORD_EXPIRED' })
    expect(await trips(async () => expectRight(await run(u.create(user))))).toBe(1)
    expect(await trips(async () => expectRight(await run(u.findByLogin('atomic@example.COM'))))).toBe(1)
    expect(await trips(async () => expectRight(await run(u.findById(user.id))))).toBe(1)
  })

  it('steps: reserveAttempt, attemptStatus and every kind of commit, one round trip each', async () => {
    const { steps, users, transactions } = stores
    const user = makeUser({ login: 'Steps@Example.com', passwordHash: '$trivial$a' })
    expectRight(await run(users.create(user)))
    const lease = (n: number) => ({ id: `lease-${n}`, until: T0 + 30_000 })
    const lockout = { maxAttempts: 1, autoUnlockMinutes: 0, showLockoutFailures: false }
    const session = (transactionId: AuthnRecord['id']) => ({ schemaVersion: 1 as const, hash: uniqueHash(), kind: 'session' as const, userId: user.id, transactionId, expiresAt: T0 + 1000 })

    let ticket: unknown
    expect(await trips(async () => (ticket = expectRight(await run(steps.reserveAttempt('STEPS@example.com', lease(1), T0)))))).toBe(1)
    expect(ticket).toEqual({ user, factors: [], ahead: 0 })
    expectRight(await run(steps.reserveAttempt('steps@example.com', lease(2), T0)))
    let status: unknown
    expect(await trips(async () => (status = expectRight(await run(steps.attemptStatus(user.id, 'lease-2', T0)))))).toBe(1)
    expect(status).toEqual({ failedAttempts: 0, lockedAt: null, credentialEpoch: 0, ahead: 1 })

    // The first commit of a transaction (new policy snapshots included), a success, a session token.
    const r = { ...makeRecord(), context: { ...makeRecord().context, userId: user.id } }
    const token = session(r.id)
    let outcome: unknown
    const won = { ...emptyStepWrite(user.id, T0), expectedEpoch: 0, attempt: { leaseId: 'lease-1', outcome: { type: 'success' as const, lockout } }, transaction: { kind: 'create' as const, record: r, event: read, start: START }, issue: token }
    expect(await trips(async () => (outcome = expectRight(await run(steps.commit(won)))))).toBe(1)
    expect(outcome).toEqual({ _tag: 'Applied', user: { status: 'ACTIVE', failedAttempts: 0, lockedAt: null, credentialEpoch: 0 } })
    expect(expectRight(await run(transactions.load(r.stateTokenHash, T0)))).toEqual(r)

    // A save, a failure that locks (revokes the session token, moves the epoch), a password change.
    const lost = {
      ...emptyStepWrite(user.id, T0),
      attempt: { leaseId: 'lease-2', outcome: { type: 'failure' as const, lockout } },
      transaction: { kind: 'save' as const, record: { ...bump(r), credentialEpoch: 1 }, expected: r.version, event: read },
      userChanges: [{ type: 'setPassword' as const, passwordHash: '$trivial$b', changedAt: T0, historyCount: 4 }],
    }
    expect(await trips(async () => (outcome = expectRight(await run(steps.commit(lost)))))).toBe(1)
    expect(outcome).toEqual({ _tag: 'Applied', user: { status: 'ACTIVE', failedAttempts: 1, lockedAt: T0, credentialEpoch: 1 } })
    expect(expectLeft(await run(transactions.consumeToken(token.hash, 'session', T0)))._tag).toBe('AlreadyConsumed')

    // Refused (a success on the locked account), and a stale save: one round trip each too.
    expectRight(await run(steps.reserveAttempt('steps@example.com', lease(3), T0)))
    expect(await trips(async () => (outcome = expectRight(await run(steps.commit({ ...won, expectedEpoch: 1, attempt: { leaseId: 'lease-3', outcome: { type: 'success', lockout } }, transaction: null, issue: null })))))).toBe(1)
    expect(outcome).toMatchObject({ _tag: 'Refused', reason: 'locked' })
    expect(await trips(async () => (outcome = expectLeft(await run(steps.commit(lost)))))).toBe(1)
    expect(outcome).toEqual({ _tag: 'VersionConflict', actual: 2 })
    expect(await trips(async () => expectLeft(await run(steps.reserveAttempt('nobody@example.com', lease(4), T0))))).toBe(1)
  })

  it('factors: reserveAttempt and load (with and without a lease) answer them, a commit changes them, one round trip each', async () => {
    const { steps, users, factors } = stores
    const user = makeUser({ login: 'Factors@Example.com', passwordHash: '$trivial$a' })
    expectRight(await run(users.create(user)))
    const totp = makeFactor({ id: 'ostatomic1', userId: user.id, lastCounter: 10, secret: 'v1.k.iv.sealed.tag' })
    const sms = makeFactor({ id: 'smsatomic1', userId: user.id, factorType: 'sms', provider: 'OKTA', status: 'PENDING_ACTIVATION', profile: { phoneNumber: '+14155550100' } })
    expect(await trips(async () => expectRight(await run(factors.create(totp))))).toBe(1)
    expectRight(await run(factors.create(sms)))
    let listed: unknown
    expect(await trips(async () => (listed = expectRight(await run(factors.listByUser(user.id)))))).toBe(1)
    expect(listed).toEqual([totp, sms])

    let ticket: unknown
    expect(await trips(async () => (ticket = expectRight(await run(steps.reserveAttempt('factors@example.com', { id: 'lease-1', until: T0 + 30_000 }, T0)))))).toBe(1)
    expect(ticket).toEqual({ user, factors: [totp, sms], ahead: 0 })

    const r = makeRecord({ userId: user.id })
    expectRight(await run(steps.commit({ ...emptyStepWrite(user.id, T0), transaction: { kind: 'create', record: r, event: read, start: START } })))
    let loaded: unknown
    expect(await trips(async () => (loaded = expectRight(await run(steps.load(r.stateTokenHash, T0, null)))))).toBe(1)
    expect(loaded).toEqual({ record: r, factors: [totp, sms], attempt: null })
    expect(await trips(async () => (loaded = expectRight(await run(steps.load(r.stateTokenHash, T0, { id: 'lease-2', until: T0 + 30_000 })))))).toBe(1)
    expect(loaded).toEqual({ record: r, factors: [totp, sms], attempt: { failedAttempts: 0, lockedAt: null, ahead: 1 } })
    // Unknown: one round trip too, with or without a lease.
    expect(await trips(async () => expectLeft(await run(steps.load(uniqueHash(), T0, { id: 'lease-3', until: T0 + 30_000 }))))).toBe(1)

    // A step that uses the TOTP counter, enrolls a new SMS factor (replacing the pending one), activates nothing else, remembers a device.
    const again = makeFactor({ id: 'smsatomic2', userId: user.id, factorType: 'sms', provider: 'OKTA', status: 'PENDING_ACTIVATION', profile: { phoneNumber: '+14155550199' } })
    const device = { hash: uniqueHash(), until: T0 + 60_000 }
    const w: StepWrite = {
      ...emptyStepWrite(user.id, T0),
      expectedEpoch: 0,
      attempt: { leaseId: 'lease-2', outcome: { type: 'success', lockout: { maxAttempts: 5, autoUnlockMinutes: 0, showLockoutFailures: false } } },
      transaction: { kind: 'save', record: bump(r), expected: r.version, event: read },
      factorChanges: [
        { type: 'use', factorId: totp.id, counter: 11 },
        { type: 'enroll', record: again },
      ],
      rememberDevice: device,
    }
    let outcome: unknown
    expect(await trips(async () => (outcome = expectRight(await run(steps.commit(w)))))).toBe(1)
    expect(outcome).toEqual({ _tag: 'Applied', user: { status: 'ACTIVE', failedAttempts: 0, lockedAt: null, credentialEpoch: 0 } })
    expect(expectRight(await run(factors.listByUser(user.id)))).toEqual([{ ...totp, lastCounter: 11 }, again])
    expect(expectRight(await run(users.findById(user.id))).rememberedDevices).toEqual([device])
    // The same counter again: refused, in one round trip.
    const replay: StepWrite = { ...emptyStepWrite(user.id, T0), factorChanges: [{ type: 'use', factorId: totp.id, counter: 11 }, { type: 'activate', factorId: again.id }] }
    expect(await trips(async () => (outcome = expectRight(await run(steps.commit(replay)))))).toBe(1)
    expect(outcome).toMatchObject({ _tag: 'Refused', reason: 'factorReplayed' })
  })

  it('a commit saving a policy that has no snapshot yet: the foreign key fails, the resend with the snapshot lands (2 round trips)', async () => {
    const { steps, transactions } = stores
    const r = makeRecord()
    expectRight(await run(transactions.create(r, read, START)))
    const stricter = { ...r.context.policy, password: { ...r.context.policy.password, lockout: { ...r.context.policy.password.lockout, maxAttempts: 2 } } }
    const next = { ...bump(r), context: { ...bump(r).context, policy: stricter } }
    const w = { ...emptyStepWrite(r.context.userId, T0), transaction: { kind: 'save' as const, record: next, expected: r.version, event: read } }
    // The StepStore writes for users that exist.
    expectRight(await run(stores.users.create(makeUser({ id: r.context.userId, login: 'policy@example.com', passwordHash: null }))))
    expect(await trips(async () => expect(expectRight(await run(steps.commit(w)))._tag).toBe('Applied'))).toBe(2)
    expect(expectRight(await run(transactions.load(r.stateTokenHash, T0)))).toEqual(next)
    expect(expectRight(await run(transactions.readLog(r.id))).map((e) => e.version)).toEqual([1, 2])
  })

  it('stores tokens only as their hashes, and the snapshot as jsonb columns', async () => {
    const r = makeRecord()
    expectRight(await run(stores.transactions.create(r, read, START)))
    const { rows } = await base.db.query(
      `select state_token_hash, jsonb_typeof(context) as context_type from "${base.schema}".transactions where id = $1`,
      [r.id],
    )
    expect(rows).toEqual([{ state_token_hash: r.stateTokenHash, context_type: 'object' }])
  })

  it('a row that does not decode is Corrupt with the io-ts report', async () => {
    const r = makeRecord()
    expectRight(await run(stores.transactions.create(r, read, START)))
    await base.db.query(`update "${base.schema}".transactions set state = 'NOT_A_STATE' where id = $1`, [r.id])
    const e = expectLeft(await run(stores.transactions.load(r.stateTokenHash, T0)))
    expect(e._tag).toBe('Corrupt')
    expect(e._tag === 'Corrupt' ? e.details.join('\n') : '').toContain('NOT_A_STATE')
  })
})

it('a record the codecs cannot encode is Corrupt, not a throw', async () => {
  const s = createPostgresTransactionStore({ query: () => Promise.reject(new Error('not reached')) })
  const r = makeRecord()
  const unknownEvent = { type: 'not.an.event', now: T0 } as unknown as AuthnEvent
  expect(expectLeft(await run(s.create(r, unknownEvent, START)))._tag).toBe('Corrupt')
  expect(expectLeft(await run(s.save(bump(r), r.version, unknownEvent)))._tag).toBe('Corrupt')
  const st = createPostgresStepStore({ query: () => Promise.reject(new Error('not reached')) })
  expect(expectLeft(await run(st.commit({ ...write(r), transaction: { kind: 'create', record: r, event: unknownEvent, start: START } })))._tag).toBe('Corrupt')
})

describe('a failing driver is Unavailable, never a throw', () => {
  const down = { query: (): Promise<never> => Promise.reject(new Error('connection refused')) }
  const throwing = {
    query: (): Promise<never> => {
      throw new Error('synchronous failure')
    },
  }
  for (const [name, db] of [['rejecting', down], ['throwing', throwing]] as const) {
    it(`${name} client`, async () => {
      const s = createPostgresTransactionStore(db)
      const u = createPostgresUserStore(db)
      const st = createPostgresStepStore(db)
      const f = createPostgresFactorStore(db)
      const r = makeRecord()
      const calls: ReadonlyArray<() => Promise<{ readonly _tag: string }>> = [
        async () => expectLeft(await run(s.create(r, read, START))),
        async () => expectLeft(await run(s.load(r.stateTokenHash, T0))),
        async () => expectLeft(await run(s.save(bump(r), r.version, read))),
        async () => expectLeft(await run(s.readLog(r.id))),
        async () => expectLeft(await run(s.issueToken({ schemaVersion: 1, hash: uniqueHash(), kind: 'session', userId: r.context.userId, transactionId: r.id, expiresAt: T0 }))),
        async () => expectLeft(await run(s.consumeToken(r.stateTokenHash, 'session', T0))),
        async () => expectLeft(await run(u.findByLogin('x'))),
        async () => expectLeft(await run(st.reserveAttempt('x', { id: 'lease', until: T0 + 1 }, T0))),
        async () => expectLeft(await run(st.attemptStatus(r.context.userId, 'lease', T0))),
        async () => expectLeft(await run(st.load(r.stateTokenHash, T0, null))),
        async () => expectLeft(await run(st.load(r.stateTokenHash, T0, { id: 'lease', until: T0 + 1 }))),
        async () => expectLeft(await run(f.listByUser(r.context.userId))),
        async () => expectLeft(await run(f.create(makeFactor({ userId: r.context.userId })))),
        async () => expectLeft(await run(st.commit({ ...write(r), attempt: { leaseId: 'lease', outcome: { type: 'release' } } }))),
      ]
      for (const call of calls) expect((await call())._tag).toBe('Unavailable')
    })
  }
})
