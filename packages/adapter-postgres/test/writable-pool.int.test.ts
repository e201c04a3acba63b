import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NoWritableHostError, createWritablePool, type HostPort, type WritablePool } from '../src/index.js'
import { localClustersUnavailable, startPrimaryAndStandby, type PrimaryAndStandby } from './local-clusters.js'

const unavailable = localClustersUnavailable()
if (unavailable !== null) console.log(`writable-pool.int.test.ts skipped: ${unavailable}`)

const until = async (check: () => Promise<boolean>, ms: number): Promise<void> => {
  const deadline = Date.now() + ms
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 100))
  }
}

// Two real servers of our own (a primary and its streaming standby, in a temporary folder): the
// finder must pick the writable one, and move when it stops being writable.
describe.skipIf(unavailable !== null)('createWritablePool on a primary and its standby', () => {
  let servers: PrimaryAndStandby
  let pool: WritablePool
  const switches: HostPort[] = []
  let primary: HostPort
  let standby: HostPort

  beforeAll(async () => {
    servers = await startPrimaryAndStandby()
    primary = { host: '127.0.0.1', port: servers.primary.port }
    standby = { host: '127.0.0.1', port: servers.standby.port }
    // The standby first: the finder must skip it (pg_is_in_recovery()).
    pool = createWritablePool({ hosts: [standby, primary], user: 'postgres', database: 'postgres', probeTimeoutMs: 1000, onSwitch: (h) => switches.push(h) })
  }, 120_000)

  afterAll(async () => {
    await pool?.end()
    await servers?.dispose()
  })

  it('finds the primary, not the standby listed before it', async () => {
    await pool.query('create table t (id int primary key)')
    await pool.query('insert into t values (1)')
    expect(pool.current()).toEqual(primary)
    expect(switches).toEqual([primary])
  })

  it('a read-only primary (transaction_read_only on) fails the write with 25006, is dropped, and is not taken again', async () => {
    await servers.primary.psql('alter system set default_transaction_read_only = on')
    await servers.primary.psql('select pg_reload_conf()')
    await until(async () => (await servers.primary.psql('show default_transaction_read_only')).trim() === 'on', 5000)
    // A reload reaches every session: the pooled ones too.
    await expect(pool.query('insert into t values (2)')).rejects.toMatchObject({ code: '25006' })
    expect(pool.current()).toBeNull()
    await expect(pool.find()).rejects.toBeInstanceOf(NoWritableHostError)
    await servers.primary.psql('alter system reset default_transaction_read_only')
    await servers.primary.psql('select pg_reload_conf()')
    await until(async () => (await pool.find()).port === primary.port, 5000)
    await pool.query('delete from t where id = 2')
  })

  it('synchronous replication with the standby gone: a commit waits for it; cancelled, it stays committed on the primary (an unknown outcome)', async () => {
    await servers.primary.psql("alter system set synchronous_standby_names = '*'")
    await servers.primary.psql('select pg_reload_conf()')
    await servers.standby.stop('fast')
    const client = new pg.Client({ host: '127.0.0.1', port: primary.port, user: 'postgres', database: 'postgres' })
    client.on('error', () => undefined)
    const notices: string[] = []
    client.on('notice', (n) => notices.push(`${n.message ?? ''} ${n.detail ?? ''}`))
    await client.connect()
    try {
      let settled = false
      const pending = client.query('insert into t values (10)').finally(() => {
        settled = true
      })
      await until(async () => (await servers.primary.psql("select count(*) from pg_stat_activity where wait_event = 'SyncRep'")).trim() === '1', 5000)
      await new Promise((r) => setTimeout(r, 1000))
      expect(settled).toBe(false)
      await servers.primary.psql("select pg_cancel_backend(pid) from pg_stat_activity where wait_event = 'SyncRep'")
      await pending
      expect(notices.join(' ')).toMatch(/already committed locally/)
      expect((await servers.primary.psql('select count(*) from t where id = 10')).trim()).toBe('1')
    } finally {
      await client.end()
      await servers.primary.psql('alter system reset synchronous_standby_names')
      await servers.primary.psql('select pg_reload_conf()')
      await servers.standby.start()
    }
    await until(async () => (await servers.standby.psql('select count(*) from t where id = 10')).trim() === '1', 15_000)
    await pool.query('delete from t where id = 10')
  })

  it('the primary lost: a statement fails (never re-sent), none succeeds until the standby is promoted, then the pool is on it with the data', async () => {
    await pool.query('insert into t values (3)')
    await until(async () => (await servers.standby.psql('select count(*) from t where id = 3')).trim() === '1', 10_000)
    await servers.primary.stop('immediate')
    await expect(pool.query('insert into t values (4)')).rejects.toBeDefined()
    expect(pool.current()).toBeNull()
    await expect(pool.query('select 1')).rejects.toBeInstanceOf(NoWritableHostError)
    const t0 = Date.now()
    await servers.standby.promote()
    await until(async () => (await pool.query('select 1')).rows.length === 1, 15_000)
    console.log(`writable pool: back on the promoted standby ${Date.now() - t0} ms after promote was called`)
    expect(pool.current()).toEqual(standby)
    await pool.query('insert into t values (5)')
    const { rows } = await pool.query('select id from t order by id')
    expect(rows).toEqual([{ id: 1 }, { id: 3 }, { id: 5 }])
  })

  it('named statements pass through', async () => {
    const { rows } = await pool.query({ name: 'authn_test_named', text: 'select $1::int as x', values: [7] } as unknown as string)
    expect(rows).toEqual([{ x: 7 }])
  })
})
