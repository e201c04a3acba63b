import pg from 'pg'
import { afterEach, describe, expect, it } from 'vitest'
import type { IssuedToken, TransactionRecord } from '@authn-machine/core'
import { conformanceStartContext as START, expectRight, makeRecord, run, uniqueHash } from '@authn-machine/testkit'
import { hashToken } from '@authn-machine/engine'
import { createPostgresStores } from '../src/index.js'
import { CALL, PASSWORD, engineOn, field, summary, userWithPassword } from './engine.js'
import { DATABASE_URL, REAL_SERVER, createPostgresTestStores, createTestPool, pause, type PostgresTestStores } from './support.js'

const T0 = Date.UTC(2026, 0, 1)
/** Terminated commits, and the session tokens each one revokes (so that it runs a few ms). */
const KILLS = 40
const REVOKED = 2000

// Fault injection needs a second session (a row lock held elsewhere, pg_terminate_backend, a
// pool to exhaust); PGlite is single-connection, so these run only against DATABASE_URL.
describe('faults on a real server: a clean 500, no partial state, the next request works', () => {
  const cleanup: Array<() => Promise<unknown>> = []
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f().catch(() => undefined)
  })

  const connect = async (): Promise<pg.Client> => {
    const c = new pg.Client({ connectionString: DATABASE_URL })
    c.on('error', () => undefined)
    await c.connect()
    cleanup.push(() => c.end())
    return c
  }

  const started = async (pool: pg.Pool, login: string) => {
    const stores = await createPostgresTestStores(pool)
    cleanup.push(() => stores.dispose())
    const authn = engineOn(stores)
    expectRight(await run(stores.users.create(await userWithPassword(login, 'PASSWORD_EXPIRED'))))
    const stateToken = field(await authn.authenticate({ username: login, password: PASSWORD }, CALL)(), 'stateToken')
    return { stores, authn, stateToken }
  }

  const snapshot = async (stores: PostgresTestStores, stateToken: string) => {
    const record = expectRight(await run(stores.transactions.load(hashToken(stateToken), 0)))
    return { record, log: expectRight(await run(stores.transactions.readLog(record.id))) }
  }

  // Needs concurrent connections; PGlite is single-connection.
  it.skipIf(!REAL_SERVER)('the connection is terminated while the save waits for a row lock', async () => {
    const pool = createTestPool({ max: 4 })
    cleanup.push(() => pool.end())
    const { stores, authn, stateToken } = await started(pool, 'fault.terminate@example.com')
    const before = await snapshot(stores, stateToken)

    const holder = await connect()
    const watcher = await connect()
    await holder.query('begin')
    await holder.query(`select 1 from "${stores.schema}".transactions where id = $1 for update`, [before.record.id])

    const pending = authn.cancel({ stateToken }, CALL)()
    // Find the engine's backend, blocked on our lock inside the save statement.
    let pid: number | null = null
    for (let i = 0; i < 400 && pid === null; i++) {
      const { rows } = await watcher.query<{ pid: number }>(
        `select pid from pg_stat_activity
         where wait_event_type = 'Lock' and pid <> pg_backend_pid() and position($1 in query) > 0`,
        [`"${stores.schema}".authn_step_commit`],
      )
      pid = rows[0]?.pid ?? null
      if (pid === null) await pause(10)
    }
    expect(pid).not.toBeNull()
    await watcher.query('select pg_terminate_backend($1)', [pid])

    const reply = await pending
    expect(summary(reply)).toBe('500 E0000009')
    await holder.query('rollback')

    expect(await snapshot(stores, stateToken)).toEqual(before)
    expect(summary(await authn.cancel({ stateToken }, CALL)())).toBe('200')
    expect((await snapshot(stores, stateToken)).log.map((e) => e.event.type)).toEqual(['primary.verified', 'transaction.cancel'])
  })

  // Needs concurrent connections; PGlite is single-connection.
  it.skipIf(!REAL_SERVER)('the pool is exhausted (max 1, its only client held elsewhere)', async () => {
    const pool = createTestPool({ max: 1, connectionTimeoutMillis: 100 })
    cleanup.push(() => pool.end())
    const { stores, authn, stateToken } = await started(pool, 'fault.pool@example.com')
    const before = await snapshot(stores, stateToken)

    const held = await pool.connect()
    let released = false
    cleanup.push(async () => {
      if (!released) held.release()
    })
    expect(summary(await authn.cancel({ stateToken }, CALL)())).toBe('500 E0000009')
    expect(summary(await authn.getState({ stateToken }, CALL)())).toBe('500 E0000009')
    held.release()
    released = true

    expect(await snapshot(stores, stateToken)).toEqual(before)
    expect(summary(await authn.cancel({ stateToken }, CALL)())).toBe('200')
    expect((await snapshot(stores, stateToken)).record.state).toBe('CANCELLED')
  })

  // Needs concurrent connections (pg_terminate_backend from a second session); PGlite has one.
  it.skipIf(!REAL_SERVER)(`a commit's connection is terminated at ${KILLS} moments: afterwards all of the write is visible or none of it`, async () => {
    const pool = createTestPool({ max: 2 })
    cleanup.push(() => pool.end())
    const stores = await createPostgresTestStores(pool)
    cleanup.push(() => stores.dispose())
    const S = `"${stores.schema}"`
    const user = await userWithPassword('fault.commit@example.com')
    expectRight(await run(stores.users.create(user)))
    const watcher = await connect()
    const never = { maxAttempts: 0, autoUnlockMinutes: 0, showLockoutFailures: false }
    const tally = { all: 0, none: 0, answeredApplied: 0 }

    /** Everything the write touches, read in one statement (one snapshot). */
    const observe = async (r: TransactionRecord, token: IssuedToken, leaseId: string) => {
      const { rows } = await pool.query<{
        tx: number; log: number; token: number; unrevoked: number; failed: number; epoch: number; leased: boolean
      }>(
        `select (select count(*)::int from ${S}.transactions where id = $1) as tx,
                (select count(*)::int from ${S}.transaction_log where transaction_id = $1) as log,
                (select count(*)::int from ${S}.tokens where hash = $2) as token,
                (select count(*)::int from ${S}.tokens where user_id = $3 and kind = 'session' and consumed_at is null and hash <> $2) as unrevoked,
                u.failed_attempts as failed, u.credential_epoch as epoch,
                u.attempt_leases @> jsonb_build_array(jsonb_build_object('id', $4::text)) as leased
         from ${S}.users u where u.id = $3`,
        [r.id, token.hash, user.id, leaseId],
      )
      const row = rows[0]
      if (row === undefined) throw new Error('the user is gone')
      return row
    }

    for (let i = 0; i < KILLS; i++) {
      // Session tokens for the write to revoke: enough that the statement runs a few milliseconds.
      await pool.query(
        `insert into ${S}.tokens (hash, schema_version, kind, user_id, transaction_id, expires_at)
         select $1 || n, 1, 'session', $2, 'txnfault', $3::bigint from generate_series(1, ${REVOKED}) as n`,
        [`fault-${i}-`, user.id, T0 + 60_000],
      )
      const before = expectRight(await run(stores.users.findById(user.id)))
      const lease = { id: `lease-${i}`, until: T0 + 30_000 }
      expectRight(await run(stores.steps.reserveAttempt(user.profile.login, lease, T0)))
      const r = makeRecord({ userId: user.id, credentialEpoch: before.credentialEpoch + 1 })
      const token: IssuedToken = { schemaVersion: 1, hash: uniqueHash(), kind: 'session', userId: user.id, transactionId: r.id, expiresAt: T0 + 60_000 }

      const victim = await connect()
      const pid = (await victim.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid
      const steps = createPostgresStores(victim, { schema: stores.schema }).steps
      const pending = run(
        steps.commit({
          now: T0,
          userId: user.id,
          expectedEpoch: before.credentialEpoch,
          attempt: { leaseId: lease.id, outcome: { type: 'failure', lockout: never } },
          transaction: { kind: 'create', record: r, event: { type: 'transaction.read', now: T0 }, start: START },
          claimActivation: false,
          userChanges: [],
          moveEpoch: true,
          revokeSessionTokens: true,
          issue: token,
          factorChanges: [],
          rememberDevice: null,
        }),
      )
      // Spread over the statement's run (about 15 ms on a fresh connection, most of it the revocation).
      await pause((i * 7) % 31)
      // Waits (up to 5 s) until the backend is gone, so what it wrote is settled either way.
      await watcher.query('select pg_terminate_backend($1, 5000)', [pid])
      const answer = await pending

      const seen = await observe(r, token, lease.id)
      const all = { tx: 1, log: 1, token: 1, unrevoked: 0, failed: before.failedAttempts + 1, epoch: before.credentialEpoch + 1, leased: false }
      const none = { tx: 0, log: 0, token: 0, unrevoked: REVOKED, failed: before.failedAttempts, epoch: before.credentialEpoch, leased: true }
      if (answer._tag === 'Right') {
        // Answered Applied: then certainly all of it.
        expect(answer.right._tag).toBe('Applied')
        tally.answeredApplied += 1
        expect(seen).toEqual(all)
      } else {
        expect(answer.left._tag).toBe('Unavailable')
        // The reply may be lost after the commit: either state, never a mix.
        expect([all, none]).toContainEqual(seen)
      }
      if (seen.tx === 1) tally.all += 1
      else tally.none += 1
      // Leave no live lease and no unrevoked token (this round's issued one included) behind.
      const cleanup = { now: T0, userId: user.id, expectedEpoch: null, transaction: null, claimActivation: false, userChanges: [], moveEpoch: false, issue: null, factorChanges: [], rememberDevice: null }
      const attempt = seen.leased ? { leaseId: lease.id, outcome: { type: 'release' as const } } : null
      expectRight(await run(stores.steps.commit({ ...cleanup, attempt, revokeSessionTokens: true })))
    }
    console.log(`[faults] ${KILLS} terminated commits: ${tally.all} wrote everything (${tally.answeredApplied} answered), ${tally.none} wrote nothing`)
    expect(tally.all + tally.none).toBe(KILLS)
  })
})
