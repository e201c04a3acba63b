import { afterAll, beforeEach, afterEach, describe, expect, it } from 'vitest'
import { asVersion, type AuthnEvent, type TransactionRecord } from '@authn-machine/core'
import { conformanceStartContext as START, expectLeft, expectRight, makeRecord, run, uniqueHash } from '@authn-machine/testkit'
import { makeUser } from '@authn-machine/testkit/fixtures'
import {
  countQueries,
  createPostgresStores,
  createPostgresTransactionStore,
  createPostgresUserStore,
  type CountingQueryable,
  type PostgresStores,
} from '../src/index.js'
import { BACKEND, closeTestDatabase, createPostgresTestStores, type PostgresTestStores } from './support.js'

const T0 = Date.UTC(2026, 0, 1)
const read: AuthnEvent = { type: 'transaction.read', now: T0 }
const bump = (r: TransactionRecord): TransactionRecord => ({ ...r, version: asVersion(r.version + 1) })

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

  it('user counters, password and activation: one round trip each', async () => {
    const u = stores.users
    const user = makeUser({ login: 'Atomic@Example.com', passwordHash: '$trivial$a', status: 'PASSWORD_EXPIRED' })
    expect(await trips(async () => expectRight(await run(u.create(user))))).toBe(1)
    expect(await trips(async () => expectRight(await run(u.findByLogin('atomic@example.COM'))))).toBe(1)
    const policy = { maxAttempts: 3, autoUnlockMinutes: 0, showLockoutFailures: false }
    expect(await trips(async () => expectRight(await run(u.recordFailedAttempt(user.id, policy, T0))))).toBe(1)
    expect(await trips(async () => expectRight(await run(u.resetFailedAttempts(user.id))))).toBe(1)
    expect(await trips(async () => expectRight(await run(u.setPassword(user.id, { passwordHash: '$trivial$b', changedAt: T0, historyCount: 4 }))))).toBe(1)
    expect(await trips(async () => expectRight(await run(u.activate(user.id))))).toBe(1)
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
      const r = makeRecord()
      const calls: ReadonlyArray<() => Promise<{ readonly _tag: string }>> = [
        async () => expectLeft(await run(s.create(r, read, START))),
        async () => expectLeft(await run(s.load(r.stateTokenHash, T0))),
        async () => expectLeft(await run(s.save(bump(r), r.version, read))),
        async () => expectLeft(await run(s.readLog(r.id))),
        async () => expectLeft(await run(s.issueToken({ schemaVersion: 1, hash: uniqueHash(), kind: 'session', userId: r.context.userId, transactionId: r.id, expiresAt: T0 }))),
        async () => expectLeft(await run(s.consumeToken(r.stateTokenHash, 'session', T0))),
        async () => expectLeft(await run(u.findByLogin('x'))),
        async () => expectLeft(await run(u.recordFailedAttempt(r.context.userId, { maxAttempts: 1, autoUnlockMinutes: 0, showLockoutFailures: false }, T0))),
        async () => expectLeft(await run(u.setPassword(r.context.userId, { passwordHash: 'x', changedAt: T0, historyCount: 1 }))),
      ]
      for (const call of calls) expect((await call())._tag).toBe('Unavailable')
    })
  }
})
