import pg from 'pg'
import { afterEach, describe, expect, it } from 'vitest'
import { expectRight, run } from '@authn-machine/testkit'
import { hashToken } from '@authn-machine/engine'
import { CALL, PASSWORD, engineOn, field, summary, userWithPassword } from './engine.js'
import { DATABASE_URL, REAL_SERVER, createPostgresTestStores, createTestPool, pause, type PostgresTestStores } from './support.js'

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
        [`"${stores.schema}".transaction_log`],
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
})
