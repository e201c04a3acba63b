import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DEFAULT_POLICIES, TransactionRecord, asVersion, type AuthnEvent, type Policies } from '@authn-machine/core'
import { conformanceStartContext as START, expectLeft, expectRight, makeRecord, run } from '@authn-machine/testkit'
import { LATEST_VERSION, countQueries, createPostgresTransactionStore, migrate, resetStores } from '../src/index.js'
import { canonicalJson, policySnapshot } from '../src/policy.js'
import { BACKEND, closeTestDatabase, createPostgresTestStores, randomSchema, testDatabase, type PostgresTestStores } from './support.js'

const T0 = Date.UTC(2026, 0, 1)
const read: AuthnEvent = { type: 'transaction.read', now: T0 }
const stricter: Policies = {
  ...DEFAULT_POLICIES,
  password: { ...DEFAULT_POLICIES.password, lockout: { ...DEFAULT_POLICIES.password.lockout, maxAttempts: 3 } },
}

afterAll(closeTestDatabase)

describe(`policy snapshots and the stored context (${BACKEND})`, () => {
  let s: PostgresTestStores
  beforeEach(async () => {
    s = await createPostgresTestStores()
  })
  afterEach(() => s.dispose())
  const q = async (text: string, values: unknown[] = []) => (await s.db.query(text.replaceAll('$S', `"${s.schema}"`), values)).rows

  it('one snapshot per distinct policy; rows hold the hash, not the policy, nor an expiresAt that mirrors the column', async () => {
    const records = [makeRecord(), makeRecord(), makeRecord()]
    for (const r of records) expectRight(await run(s.transactions.create(r, read, START)))
    expect(await q(`select encode(hash, 'hex') as hash, policy from $S.policy_snapshot`)).toEqual([
      { hash: policySnapshot(DEFAULT_POLICIES).hash, policy: DEFAULT_POLICIES },
    ])
    const rows = await q(
      `select encode(t.policy_hash, 'hex') as h, t.context ? 'policy' as has_policy, t.context ? 'expiresAt' as has_expiry,
              encode(l.start_policy_hash, 'hex') as start_h, l.start ? 'policy' as start_has_policy
       from $S.transactions t join $S.transaction_log l on l.transaction_id = t.id`,
    )
    const h = policySnapshot(DEFAULT_POLICIES).hash
    expect(rows).toEqual(records.map(() => ({ h, has_policy: false, has_expiry: false, start_h: h, start_has_policy: false })))
    for (const r of records) expect(expectRight(await run(s.transactions.load(r.stateTokenHash, T0)))).toEqual(r)
  })

  it('a context whose expiresAt differs from the record’s round-trips', async () => {
    const base = makeRecord()
    const r: TransactionRecord = { ...base, context: { ...base.context, expiresAt: base.expiresAt - 5 } }
    expectRight(await run(s.transactions.create(r, read, START)))
    expect(expectRight(await run(s.transactions.load(r.stateTokenHash, T0)))).toEqual(r)
    const next: TransactionRecord = { ...r, version: asVersion(2), context: { ...r.context, expiresAt: r.expiresAt + 7 } }
    expectRight(await run(s.transactions.save(next, r.version, read)))
    expect(expectRight(await run(s.transactions.load(r.stateTokenHash, T0)))).toEqual(next)
  })

  it('a save with another policy stores it (new snapshot), and a start context with its own policy round-trips', async () => {
    const base = makeRecord()
    const start = { ...START, policy: stricter }
    expectRight(await run(s.transactions.create(base, read, start)))
    expect(expectRight(await run(s.transactions.readLog(base.id)))[0]?.start).toEqual(start)
    const next: TransactionRecord = { ...base, version: asVersion(2), context: { ...base.context, policy: stricter } }
    // `stricter` has a snapshot (from the start context): one round trip, as for any save.
    const counting = countQueries(s.db)
    const counted = createPostgresTransactionStore(counting, { schema: s.schema })
    expectRight(await run(counted.save(next, base.version, read)))
    expect(counting.count()).toBe(1)
    expect(expectRight(await run(s.transactions.load(base.stateTokenHash, T0)))).toEqual(next)
    const back: TransactionRecord = { ...next, version: asVersion(3), context: { ...next.context, policy: DEFAULT_POLICIES } }
    expectRight(await run(s.transactions.save(back, next.version, read)))
    expect(expectRight(await run(s.transactions.load(base.stateTokenHash, T0)))).toEqual(back)
    expect(await q(`select count(*)::int as n from $S.policy_snapshot`)).toEqual([{ n: 2 }])
    // A policy never seen before: the first statement fails its foreign key and changes nothing,
    // the second writes the snapshot with the save.
    const novel: Policies = { ...stricter, signOn: { ...stricter.signOn, requireFactor: true } }
    const third: TransactionRecord = { ...back, version: asVersion(4), context: { ...back.context, policy: novel } }
    counting.reset()
    expectRight(await run(counted.save(third, back.version, read)))
    expect(counting.count()).toBe(2)
    expect(expectRight(await run(s.transactions.load(base.stateTokenHash, T0)))).toEqual(third)
    expect(expectRight(await run(s.transactions.readLog(base.id))).map((e) => e.version)).toEqual([1, 2, 3, 4])
    expect(await q(`select count(*)::int as n from $S.policy_snapshot`)).toEqual([{ n: 3 }])
    // A stale save with a novel policy is a VersionConflict and stores no snapshot.
    const stale: TransactionRecord = { ...third, context: { ...third.context, policy: { ...novel, signOn: { ...novel.signOn, allowRememberDevice: true } } } }
    expect(expectLeft(await run(s.transactions.save(stale, back.version, read)))).toEqual({ _tag: 'VersionConflict', actual: 4 })
    expect(await q(`select count(*)::int as n from $S.policy_snapshot`)).toEqual([{ n: 3 }])
  })

  it('a row whose snapshot is missing is Corrupt', async () => {
    const r = makeRecord()
    expectRight(await run(s.transactions.create(r, read, START)))
    // The foreign keys forbid it; a damaged database might not have them.
    await q(`alter table $S.transactions drop constraint transactions_policy_hash_fkey`)
    await q(`alter table $S.transaction_log drop constraint transaction_log_start_policy_hash_fkey`)
    await q(`delete from $S.policy_snapshot`)
    expect(expectLeft(await run(s.transactions.load(r.stateTokenHash, T0)))._tag).toBe('Corrupt')
  })

  it('resetStores empties every table in one statement and keeps the schema usable', async () => {
    const r = makeRecord()
    expectRight(await run(s.transactions.create(r, read, START)))
    await resetStores(s.db, { schema: s.schema })
    for (const table of ['transactions', 'transaction_log', 'policy_snapshot', 'tokens', 'users'])
      expect(await q(`select count(*)::int as n from $S.${table}`)).toEqual([{ n: 0 }])
    expectRight(await run(s.transactions.create(r, read, START)))
    expect(expectRight(await run(s.transactions.load(r.stateTokenHash, T0)))).toEqual(r)
  })

  it('canonical JSON sorts keys at every depth and drops undefined members', () => {
    expect(canonicalJson({ b: [{ d: 1, c: undefined, a: 'x' }], a: null })).toBe('{"a":null,"b":[{"a":"x","d":1}]}')
    expect(policySnapshot({ x: 1, y: 2 }).hash).toBe(policySnapshot({ y: 2, x: 1 }).hash)
  })
})

it(`migration 2 moves the policies of existing rows into snapshots with the adapter's own hash (${BACKEND})`, async () => {
  const db = await testDatabase()
  const schema = randomSchema()
  const S = `"${schema}"`
  try {
    expect(await migrate(db, { schema, to: 1 })).toEqual({ schema, version: 1 })
    // Two rows as version 1 stored them: the whole context, policy included, and the start context.
    const a = makeRecord()
    const b0 = makeRecord()
    const b: TransactionRecord = { ...b0, context: { ...b0.context, policy: stricter, relayState: 'ünïcode "quoted" \n' } }
    for (const r of [a, b]) {
      const e = TransactionRecord.encode(r)
      await db.query(
        `insert into ${S}.transactions (id, state_token_hash, schema_version, kind, version, state, context, created_at, expires_at)
         values ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9)`,
        [e.id, e.stateTokenHash, e.schemaVersion, e.kind, e.version, e.state, JSON.stringify(e.context), e.createdAt, e.expiresAt],
      )
      await db.query(`insert into ${S}.transaction_log (transaction_id, version, event, start) values ($1, 1, $2::jsonb, $3::jsonb)`, [
        e.id,
        JSON.stringify(read),
        JSON.stringify(r === a ? START : { ...START, policy: stricter }),
      ])
    }
    expect((await migrate(db, { schema })).version).toBe(LATEST_VERSION)
    const hashes = (await db.query(`select encode(hash, 'hex') as hash from ${S}.policy_snapshot order by 1`)).rows
    expect(hashes).toEqual([policySnapshot(DEFAULT_POLICIES).hash, policySnapshot(stricter).hash].sort().map((hash) => ({ hash })))
    const { rows } = await db.query(`select count(*)::int as n from ${S}.transactions where context ? 'policy' or policy_hash is null`)
    expect(rows).toEqual([{ n: 0 }])
    const store = createPostgresTransactionStore(db, { schema })
    expect(expectRight(await run(store.load(a.stateTokenHash, T0)))).toEqual(a)
    expect(expectRight(await run(store.load(b.stateTokenHash, T0)))).toEqual(b)
    expect(expectRight(await run(store.readLog(b.id)))[0]?.start).toEqual({ ...START, policy: stricter })
    // New rows with a migrated policy reuse its snapshot.
    expectRight(await run(store.create(makeRecord(), read, START)))
    expect((await db.query(`select count(*)::int as n from ${S}.policy_snapshot`)).rows).toEqual([{ n: 2 }])
    // The expires_at index is gone (HOT updates), and the table leaves room for them.
    const idx = await db.query(`select indexname from pg_indexes where schemaname = $1 and tablename = 'transactions' order by 1`, [schema])
    expect(idx.rows).toEqual([{ indexname: 'transactions_pkey' }, { indexname: 'transactions_state_token_hash_key' }])
    const opts = await db.query(`select reloptions from pg_class where oid = $1::regclass`, [`${S}.transactions`])
    expect(opts.rows).toEqual([{ reloptions: ['fillfactor=70'] }])
  } finally {
    await db.query(`drop schema if exists ${S} cascade`)
  }
})
