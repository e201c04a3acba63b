import { afterAll, describe, expect, it } from 'vitest'
import { LogEntry, TransactionRecord, UserRecord, asFactorId, asTransactionId, emptyStepWrite, type AuthnEvent, type FactorRecord } from '@authn-machine/core'
import { conformanceStartContext as START, expectLeft, expectRight, makeRecord, run, uniqueHash } from '@authn-machine/testkit'
import { makeUser } from '@authn-machine/testkit/fixtures'
import { LATEST_VERSION, MIGRATIONS, createPostgresStores, loginKey, migrate, runCli, sweep, type CliIo } from '../src/index.js'
import { policySnapshot } from '../src/policy.js'
import { storedContext } from '../src/transaction-store.js'
import { BACKEND, DATABASE_URL, REAL_SERVER, closeTestDatabase, randomSchema, testDatabase } from './support.js'

const T0 = Date.UTC(2026, 0, 1)
const read: AuthnEvent = { type: 'transaction.read', now: T0 }

afterAll(closeTestDatabase)

const dropping = async (f: (schema: string) => Promise<void>) => {
  const db = await testDatabase()
  const schema = randomSchema()
  try {
    await f(schema)
  } finally {
    await db.query(`drop schema if exists "${schema}" cascade`)
  }
}

describe(`migrations (${BACKEND})`, () => {
  it('apply once, are idempotent, and record each version in schema_migrations', () =>
    dropping(async (schema) => {
      const db = await testDatabase()
      expect(await migrate(db, { schema })).toEqual({ schema, version: LATEST_VERSION })
      expect(await migrate(db, { schema })).toEqual({ schema, version: LATEST_VERSION })
      const { rows } = await db.query(`select version, name from "${schema}".schema_migrations order by version`)
      expect(rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })))
    }))

  it('several starters at once: all succeed and the schema is migrated once', () =>
    dropping(async (schema) => {
      // On the real server these run on separate pool connections and meet at the advisory lock.
      const db = await testDatabase()
      const results = await Promise.all(Array.from({ length: 6 }, () => migrate(db, { schema })))
      expect(results.every((r) => r.version === LATEST_VERSION)).toBe(true)
      const { rows } = await db.query(`select count(*)::int as n from "${schema}".schema_migrations`)
      expect(rows).toEqual([{ n: MIGRATIONS.length }])
    }))

  it('migration 3 upgrades a version 2 database keeping its data: users at epoch 0, transactions still loadable', () =>
    dropping(async (schema) => {
      const db = await testDatabase()
      const S = `"${schema}"`
      expect(await migrate(db, { schema, to: 2 })).toEqual({ schema, version: 2 })
      // A user, a transaction with its log entry and policy snapshot, and a token, as version 2 wrote them.
      const user = makeUser({ login: 'Old.User@example.com', passwordHash: '$trivial$old', status: 'PASSWORD_EXPIRED' })
      const u = UserRecord.encode({ ...user, failedAttempts: 2 })
      await db.query(
        `insert into ${S}.users (id, login_key, schema_version, status, profile, credentials, failed_attempts, locked_at, activation_token_hash, factors)
         values ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7, $8, $9, $10::jsonb)`,
        [u.id, loginKey(u.profile.login), u.schemaVersion, u.status, JSON.stringify(u.profile), JSON.stringify(u.credentials), u.failedAttempts, u.lockedAt, u.activationTokenHash, '[]'],
      )
      const r = makeRecord({ userId: user.id })
      const e = TransactionRecord.encode(r)
      const policy = policySnapshot(e.context.policy)
      await db.query(`insert into ${S}.policy_snapshot (hash, policy) values (decode($1, 'hex'), $2::jsonb)`, [policy.hash, policy.json])
      await db.query(
        `insert into ${S}.transactions (id, state_token_hash, schema_version, kind, version, state, context, created_at, expires_at, policy_hash)
         values ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, decode($10, 'hex'))`,
        [e.id, e.stateTokenHash, e.schemaVersion, e.kind, e.version, e.state, JSON.stringify(storedContext(e.context, e.expiresAt)), e.createdAt, e.expiresAt, policy.hash],
      )
      await db.query(`insert into ${S}.transaction_log (transaction_id, version, event, start, start_policy_hash) values ($1, 1, $2::jsonb, $3::jsonb, decode($4, 'hex'))`, [
        e.id,
        JSON.stringify(read),
        JSON.stringify(storedContext(LogEntry.encode({ transactionId: r.id, version: r.version, event: read, start: START }).start ?? {}, null)),
        policy.hash,
      ])
      const token = { schemaVersion: 1 as const, hash: uniqueHash(), kind: 'session' as const, userId: user.id, transactionId: r.id, expiresAt: T0 + 60_000 }
      await db.query(`insert into ${S}.tokens (hash, schema_version, kind, user_id, transaction_id, expires_at) values ($1, 1, 'session', $2, $3, $4)`, [
        token.hash,
        token.userId,
        token.transactionId,
        token.expiresAt,
      ])

      expect(await migrate(db, { schema })).toEqual({ schema, version: LATEST_VERSION })
      const stores = createPostgresStores(db, { schema })
      expect(expectRight(await run(stores.users.findById(user.id)))).toEqual({ ...user, failedAttempts: 2, credentialEpoch: 0, activationClaim: null })
      expect(expectRight(await run(stores.transactions.load(r.stateTokenHash, T0)))).toEqual({ ...r, credentialEpoch: 0 })
      expect(expectRight(await run(stores.transactions.readLog(r.id)))).toEqual([{ transactionId: r.id, version: 1, event: read, start: START }])
      // The new columns work: a reservation, and a commit that moves the epoch and revokes the old token.
      expect(expectRight(await run(stores.steps.reserveAttempt('old.user@EXAMPLE.com', { id: 'l1', until: T0 + 1000 }, T0))).ahead).toBe(0)
      const moves = { ...emptyStepWrite(user.id, T0), expectedEpoch: 0, moveEpoch: true, revokeSessionTokens: true }
      expect(expectRight(await run(stores.steps.commit({ ...moves, attempt: { leaseId: 'l1', outcome: { type: 'release' } } })))).toEqual({
        _tag: 'Applied',
        user: { status: 'PASSWORD_EXPIRED', failedAttempts: 2, lockedAt: null, credentialEpoch: 1 },
      })
      expect(expectLeft(await run(stores.transactions.load(r.stateTokenHash, T0)))._tag).toBe('NotFound')
      expect(expectLeft(await run(stores.transactions.consumeToken(token.hash, 'session', T0)))._tag).toBe('AlreadyConsumed')
      const idx = await db.query(`select indexname from pg_indexes where schemaname = $1 and tablename = 'tokens' order by 1`, [schema])
      expect(idx.rows).toEqual([{ indexname: 'tokens_expires_at_idx' }, { indexname: 'tokens_pkey' }, { indexname: 'tokens_user_id_live_sessions_idx' }])
    }))

  it('migration 3 moves users.factors into factor rows (in order, ACTIVE unless said otherwise) and adds remembered devices', () =>
    dropping(async (schema) => {
      const db = await testDatabase()
      const S = `"${schema}"`
      expect(await migrate(db, { schema, to: 2 })).toEqual({ schema, version: 2 })
      const a = makeUser({ login: 'a.factors@example.com', passwordHash: '$trivial$a' })
      const b = makeUser({ login: 'b.factors@example.com', passwordHash: '$trivial$b' })
      const c = makeUser({ login: 'c.factors@example.com', passwordHash: '$trivial$c' })
      const old = {
        [a.id]: [
          { id: 'ostA1', factorType: 'token:software:totp', provider: 'GOOGLE', status: 'ACTIVE', profile: { credentialId: 'a.factors@example.com' } },
          { id: 'smsA2', factorType: 'sms', provider: 'OKTA', status: 'PENDING_ACTIVATION', profile: { phoneNumber: '+14155550100' } },
          { id: 'emfA3', factorType: 'email', provider: 'OKTA', status: 'ACTIVE', profile: { email: 'a.factors@example.com' } },
        ],
        // An entry without a status (never written by the old codec, but jsonb allows it): ACTIVE.
        [b.id]: [{ id: 'ufsB1', factorType: 'question', provider: 'OKTA', profile: { question: 'disliked_food' } }],
        [c.id]: [],
      }
      for (const user of [a, b, c]) {
        const u = UserRecord.encode(user)
        await db.query(
          `insert into ${S}.users (id, login_key, schema_version, status, profile, credentials, failed_attempts, locked_at, activation_token_hash, factors)
           values ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7, $8, $9, $10::jsonb)`,
          [u.id, loginKey(u.profile.login), u.schemaVersion, u.status, JSON.stringify(u.profile), JSON.stringify(u.credentials), u.failedAttempts, u.lockedAt, u.activationTokenHash, JSON.stringify(old[u.id])],
        )
      }
      const before = Date.now()
      expect(await migrate(db, { schema })).toEqual({ schema, version: LATEST_VERSION })
      const stores = createPostgresStores(db, { schema })
      const rows = (userId: typeof a.id, entries: ReadonlyArray<Record<string, unknown>>) =>
        entries.map((e) => ({
          schemaVersion: 1,
          id: e['id'],
          userId,
          factorType: e['factorType'],
          provider: e['provider'],
          status: e['status'] ?? 'ACTIVE',
          profile: e['profile'],
          secret: null,
          lastCounter: null,
          createdAt: expect.any(Number) as unknown,
        }))
      const listed = async (userId: typeof a.id) => expectRight(await run(stores.factors.listByUser(userId)))
      expect(await listed(a.id)).toEqual(rows(a.id, old[a.id] ?? []))
      expect(await listed(b.id)).toEqual(rows(b.id, old[b.id] ?? []))
      expect(await listed(c.id)).toEqual([])
      for (const f of await listed(a.id)) expect(Math.abs(f.createdAt - before)).toBeLessThan(10 * 60_000)
      for (const user of [a, b, c]) expect(expectRight(await run(stores.users.findById(user.id)))).toEqual({ ...user, credentialEpoch: 0, rememberedDevices: [] })
      const columns = await db.query(`select column_name from information_schema.columns where table_schema = $1 and table_name = 'users' and column_name in ('factors', 'remembered_devices')`, [schema])
      expect(columns.rows).toEqual([{ column_name: 'remembered_devices' }])
      const idx = await db.query(`select indexname from pg_indexes where schemaname = $1 and tablename = 'factors' order by 1`, [schema])
      expect(idx.rows).toEqual([{ indexname: 'factors_pkey' }, { indexname: 'factors_user_id_idx' }])

      // The replaced function: a reservation answers the rows, a commit activates, uses a counter, remembers a device.
      const ticket = expectRight(await run(stores.steps.reserveAttempt('A.Factors@example.com', { id: 'l1', until: T0 + 1000 }, T0)))
      expect(ticket.factors.map((f) => f.id)).toEqual(['ostA1', 'smsA2', 'emfA3'])
      const device = { hash: uniqueHash(), until: T0 + 60_000 }
      const w = {
        ...emptyStepWrite(a.id, T0),
        expectedEpoch: 0,
        attempt: { leaseId: 'l1', outcome: { type: 'release' as const } },
        factorChanges: [
          { type: 'activate' as const, factorId: asFactorId('smsA2') },
          { type: 'use' as const, factorId: asFactorId('ostA1'), counter: 59_000_000 },
        ],
        rememberDevice: device,
      }
      expect(expectRight(await run(stores.steps.commit(w)))._tag).toBe('Applied')
      expect(expectRight(await run(stores.steps.commit(w)))).toMatchObject({ _tag: 'Refused', reason: 'factorReplayed' })
      const after: ReadonlyArray<FactorRecord> = await listed(a.id)
      expect(after.map((f) => [f.id, f.status, f.lastCounter])).toEqual([
        ['ostA1', 'ACTIVE', 59_000_000],
        ['smsA2', 'ACTIVE', null],
        ['emfA3', 'ACTIVE', null],
      ])
      expect(expectRight(await run(stores.users.findById(a.id))).rememberedDevices).toEqual([device])
    }))

  it('refuses a schema name that is not a plain identifier', async () => {
    const db = await testDatabase()
    await expect(migrate(db, { schema: 'x"; drop table users; --' })).rejects.toThrow(/invalid schema name/)
  })
})

describe(`sweep (${BACKEND})`, () => {
  it('removes expired transactions, their logs, expired tokens and ended rate-limit counters; reads ignore them before that', () =>
    dropping(async (schema) => {
      const db = await testDatabase()
      await migrate(db, { schema })
      const { transactions: s } = createPostgresStores(db, { schema })
      const expired = makeRecord({ expiresAt: T0 + 10 })
      const live = makeRecord({ expiresAt: T0 + 10_000 })
      for (const r of [expired, live]) expectRight(await run(s.create(r, read, START)))
      const token = (expiresAt: number) => ({
        schemaVersion: 1 as const,
        hash: uniqueHash(),
        kind: 'recovery' as const,
        userId: live.context.userId,
        transactionId: asTransactionId(live.id),
        expiresAt,
      })
      const oldToken = token(T0 + 10)
      const newToken = token(T0 + 10_000)
      for (const t of [oldToken, newToken]) expectRight(await run(s.issueToken(t)))

      const now = T0 + 100
      // Correctness does not wait for the sweeper.
      expect(expectLeft(await run(s.load(expired.stateTokenHash, now)))._tag).toBe('NotFound')
      expect(expectLeft(await run(s.consumeToken(oldToken.hash, 'recovery', now)))._tag).toBe('NotFound')

      // Rate-limit counters: one whose window ended, one still counting.
      await db.query(`insert into "${schema}".rate_limits (key, points, expire) values ('ended', 3, $1::bigint), ('counting', 1, $2::bigint)`, [now - 50, now + 5_000])

      expect(await sweep(db, now, { schema, graceMs: 1000 })).toEqual({ transactions: 0, logEntries: 0, tokens: 0, rateLimits: 0 })
      expect(await sweep(db, now, { schema })).toEqual({ transactions: 1, logEntries: 1, tokens: 1, rateLimits: 1 })
      expect(await sweep(db, now, { schema })).toEqual({ transactions: 0, logEntries: 0, tokens: 0, rateLimits: 0 })
      expect((await db.query(`select key from "${schema}".rate_limits`)).rows).toEqual([{ key: 'counting' }])
      expect(expectRight(await run(s.readLog(expired.id)))).toEqual([])
      expect(expectRight(await run(s.load(live.stateTokenHash, now))).id).toBe(live.id)
      expect(expectRight(await run(s.readLog(live.id)))).toHaveLength(1)
      expectRight(await run(s.consumeToken(newToken.hash, 'recovery', now)))
    }))
})

describe('authn-postgres CLI', () => {
  const io = (env: Readonly<Record<string, string | undefined>>) => {
    const out: string[] = []
    const err: string[] = []
    const cli: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), env, now: () => T0 }
    return { cli, out, err }
  }

  it('answers usage errors with exit code 2', async () => {
    const a = io({})
    expect(await runCli([], a.cli)).toBe(2)
    expect(a.err.join('\n')).toContain('usage: authn-postgres')
    const b = io({})
    expect(await runCli(['migrate'], b.cli)).toBe(2)
    expect(b.err.join('\n')).toContain('DATABASE_URL')
    expect(await runCli(['frobnicate', '--database-url', 'postgres://x'], io({}).cli)).toBe(2)
  })

  // The CLI connects by URL; the embedded PGlite has none. Needs DATABASE_URL.
  it.skipIf(!REAL_SERVER)('migrate and sweep a schema on the server named by DATABASE_URL', () =>
    dropping(async (schema) => {
      const env = { DATABASE_URL }
      const m = io(env)
      expect(await runCli(['migrate', '--schema', schema], m.cli)).toBe(0)
      expect(m.out).toEqual([`schema ${schema} is at version ${LATEST_VERSION}`])
      const s = io(env)
      expect(await runCli(['sweep', '--schema', schema, '--grace-ms', '0'], s.cli)).toBe(0)
      expect(s.out).toEqual([`swept 0 transactions, 0 log entries, 0 tokens from ${schema}`])
    }),
  )
})
