// The audit replay as an auditor runs it: transactions made by the engine on PostgreSQL, listed,
// exported, and re-run through the core by `authn-audit`; a log whose recorded state or event was
// altered is reported at the entry where the core first disagrees, with both states.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { harnessSeeds } from '@authn-machine/testkit'
import { createInProcessSystem, type Call } from '@authn-machine/engine'
import { createDevOutbox } from '@authn-machine/message-senders'
import { PUBLIC_CONTEXT, createManualClock, createSeededRandom, createTrivialHasher } from '@authn-machine/testkit/fixtures'
import { auditReplay, LogEntry } from '@authn-machine/core'
import { listTransactions, readAuditTrail, runAuditCli, type CliIo } from '../src/index.js'
import { FACTOR_PLUGINS } from './factor-plugins.js'
import { BACKEND, closeTestDatabase, createPostgresTestStores, type PostgresTestStores } from './support.js'

const T0 = Date.UTC(2026, 0, 1)
const CALL: Call = { baseUrl: 'https://authn.example.test', context: PUBLIC_CONTEXT }

let stores: PostgresTestStores
beforeAll(async () => {
  stores = await createPostgresTestStores()
})
afterAll(async () => {
  await stores.dispose()
  await closeTestDatabase()
})

/** `authn-audit` over the test's stores: exit code and what it printed. */
const audit = async (args: ReadonlyArray<string>) => {
  const out: string[] = []
  const err: string[] = []
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), env: {}, now: () => T0 }
  const code = await runAuditCli([...args, '--schema', stores.schema, '--database-url', 'postgres://test.invalid/unused'], io, () =>
    Promise.resolve({ db: stores.db, close: () => Promise.resolve() }),
  )
  return { code, out: out.join('\n'), err: err.join('\n') }
}

describe(`authn-audit (${BACKEND})`, () => {
  let warnedId = ''

  it('replays a transaction made by the engine: every recorded state is the one the core reaches', { timeout: 60_000 }, async () => {
    const seed = harnessSeeds(T0)[0]?.seed
    if (seed === undefined) throw new Error('no seed')
    const clock = createManualClock(T0)
    const system = await createInProcessSystem({
      seed,
      transactions: stores.transactions,
      users: stores.users,
      steps: stores.steps,
      factors: stores.factors,
      apps: stores.apps,
      factorPlugins: FACTOR_PLUGINS,
      outbox: createDevOutbox({ log: () => undefined }),
      hasher: createTrivialHasher(),
      clock,
      random: createSeededRandom(7),
      call: CALL,
    })
    const d = system.driver
    const warn = await d.authenticate({ username: 'bob.warned@example.com', password: 'Can-We-Fix1t', options: { warnBeforePasswordExpired: true } })
    const stateToken = (warn.body as { stateToken: string }).stateToken
    clock.advance(1000)
    await d.authenticate({ stateToken })
    clock.advance(1000)
    expect((await d.changePassword({ stateToken, oldPassword: 'wrong', newPassword: 'Fresh-Passw0rd-1' })).status).toBe(403)
    clock.advance(1000)
    expect((await d.changePassword({ stateToken, oldPassword: 'Can-We-Fix1t', newPassword: 'Fresh-Passw0rd-1' })).body).toMatchObject({ status: 'SUCCESS' })
    // A second transaction: a wrong password never makes one; a cancelled one does.
    const other = await d.authenticate({ username: 'alice@example.com', password: 'Wonder-Land1', options: { warnBeforePasswordExpired: true } })
    expect(other.status).toBe(200)

    const listed = await audit(['list'])
    expect(listed.code).toBe(0)
    const rows = await listTransactions(stores.db, 10, { schema: stores.schema })
    expect(rows.length).toBeGreaterThanOrEqual(1)
    const trails = await Promise.all(rows.map((r) => readAuditTrail(stores.db, r.id, { schema: stores.schema })))
    const warned = trails.find((t) => t.log.length === 4)
    if (warned === undefined) throw new Error(`no 4-entry log among ${rows.map((r) => r.id).join(', ')}`)
    warnedId = warned.transactionId
    expect(listed.out).toContain(warnedId)
    expect(warned.log.map((e) => e.state)).toEqual(['PASSWORD_WARN', 'PASSWORD_WARN', 'PASSWORD_WARN', 'SUCCESS'])

    const replayed = await audit(['replay', '--transaction', warnedId])
    expect(replayed.code, replayed.out + replayed.err).toBe(0)
    expect(replayed.out).toContain('replay agrees with the record: SUCCESS at version 4')
    expect(replayed.out).toMatch(/v3 +password\.change +recorded PASSWORD_WARN +replayed PASSWORD_WARN \(E0000014\)/)
  })

  it('an exported trail replays from its file; an altered recorded state or event is found at its entry, with the expected and recorded states', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'authn-audit-'))
    const file = join(dir, 'trail.json')
    expect((await audit(['export', '--transaction', warnedId, '--out', file])).code).toBe(0)
    const fromFile = await audit(['replay', '--file', file])
    expect(fromFile.code, fromFile.out).toBe(0)

    // A store that recorded another state at version 2.
    const trail = JSON.parse(readFileSync(file, 'utf8')) as { log: Array<Record<string, unknown>> }
    const stateAltered = structuredClone(trail)
    const second = stateAltered.log[1]
    if (second === undefined) throw new Error('no second entry')
    second['state'] = 'SUCCESS'
    writeFileSync(join(dir, 'state.json'), JSON.stringify(stateAltered))
    const r1 = await audit(['replay', '--file', join(dir, 'state.json')])
    expect(r1.code).toBe(1)
    expect(r1.out).toMatch(/>>> v2 /)
    expect(r1.out).toContain('DIVERGES at version 2: the core reaches PASSWORD_WARN with transaction.read; SUCCESS was recorded')
    expect(r1.out).toContain('expected (the core): PASSWORD_WARN')
    expect(r1.out).toContain('recorded:            SUCCESS')

    // An event altered: a read at version 2 turned into a cancel.
    const eventAltered = structuredClone(trail)
    const read = eventAltered.log[1]
    if (read === undefined) throw new Error('no second entry')
    ;(read['event'] as Record<string, unknown>)['type'] = 'transaction.cancel'
    writeFileSync(join(dir, 'event.json'), JSON.stringify(eventAltered))
    const r2 = await audit(['replay', '--file', join(dir, 'event.json')])
    expect(r2.code, r2.out + r2.err).toBe(1)
    expect(r2.out).toMatch(/>>> v2 +transaction\.cancel/)
    expect(r2.out).toContain('expected (the core): CANCELLED')
    expect(r2.out).toContain('recorded:            PASSWORD_WARN')
  })

  it('the pure replay refuses logs it cannot replay, and older entries without a recorded state compare the end only', async () => {
    const trail = await readAuditTrail(stores.db, warnedId, { schema: stores.schema })
    expect(auditReplay([]).divergence?.why).toBe('the log is empty')
    expect(auditReplay(trail.log.slice(1)).divergence?.why).toMatch(/versions must run 1, 2, 3/)
    const noStates = trail.log.map((e) => LogEntry.encode(e)).map(({ state: _state, ...rest }) => rest)
    const decoded = noStates.map((e) => LogEntry.decode(e)).map((e) => (e._tag === 'Right' ? e.right : null)).filter((e): e is LogEntry => e !== null)
    expect(decoded).toHaveLength(4)
    const r = auditReplay(decoded, trail.record ?? undefined)
    expect(r.ok).toBe(true)
    expect(r.steps.every((s) => s.recorded === null)).toBe(true)
    // The record in another state than the replay ends in.
    if (trail.record === null) throw new Error('record swept')
    const wrong = auditReplay(decoded, { ...trail.record, state: 'PASSWORD_WARN' })
    expect(wrong.divergence).toMatchObject({ index: 3, expected: 'SUCCESS', recorded: 'PASSWORD_WARN' })
  })

  it('bad usage: exit 2 with the usage; an unknown transaction: exit 1', async () => {
    expect((await audit(['replay'])).code).toBe(2)
    expect((await audit(['replay', '--transaction', 'x', '--file', 'y'])).code).toBe(2)
    expect((await audit(['export'])).code).toBe(2)
    expect((await audit(['frobnicate'])).code).toBe(2)
    const unknown = await audit(['replay', '--transaction', 'tx-nobody-made'])
    expect(unknown.code).toBe(1)
    expect(unknown.err).toContain('no transaction tx-nobody-made')
  })
})
