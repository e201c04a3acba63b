import * as E from 'fp-ts/lib/Either.js'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectRight, run } from '@authn-machine/testkit'
import { policiesWith } from '@authn-machine/testkit/fixtures'
import { hashToken } from '@authn-machine/engine'
import { CALL, PASSWORD, engineOn, field, summary, userWithPassword } from './engine.js'
import { REAL_SERVER, createPostgresTestStores, createTestPool, type PostgresTestStores } from './support.js'

const RACERS = 32

// Every test here needs concurrent connections; PGlite is single-connection, so without
// DATABASE_URL they are skipped (the conformance suites still run their races on PGlite, serialised).
describe('races through the engine on a real server', () => {
  let pool: pg.Pool
  let stores: PostgresTestStores
  beforeAll(async () => {
    if (!REAL_SERVER) return
    pool = createTestPool({ max: 16 })
    stores = await createPostgresTestStores(pool)
  })
  afterAll(async () => {
    if (!REAL_SERVER) return
    await stores.dispose()
    await pool.end()
  })

  const passwordExpiredTransaction = async (login: string, settings?: { conflictRetries: number }) => {
    const authn = engineOn(stores, settings === undefined ? {} : { settings })
    expectRight(await run(stores.users.create(await userWithPassword(login, 'PASSWORD_EXPIRED'))))
    const started = await authn.authenticate({ username: login, password: PASSWORD }, CALL)()
    expect(summary(started)).toBe('200')
    expect(field(started, 'status')).toBe('PASSWORD_EXPIRED')
    return { authn, stateToken: field(started, 'stateToken') }
  }

  const logOf = async (stateToken: string) => {
    const record = expectRight(await run(stores.transactions.load(hashToken(stateToken), 0)))
    return { record, log: expectRight(await run(stores.transactions.readLog(record.id))) }
  }

  // Needs concurrent connections; PGlite is single-connection.
  it.skipIf(!REAL_SERVER)(`${RACERS} concurrent cancels, no retries: exactly one wins, the rest get 403 E0000079 or 401 E0000011`, async () => {
    const { authn, stateToken } = await passwordExpiredTransaction('race.cancel0@example.com', { conflictRetries: 0 })
    const replies = await Promise.all(Array.from({ length: RACERS }, () => authn.cancel({ stateToken }, CALL)()))
    const codes = replies.map(summary)
    expect(codes.filter((c) => c === '200')).toHaveLength(1)
    for (const c of codes) expect(['200', '403 E0000079', '401 E0000011']).toContain(c)
    const { record, log } = await logOf(stateToken)
    expect(record.state).toBe('CANCELLED')
    expect(log.map((e) => [e.version, e.event.type])).toEqual([
      [1, 'primary.verified'],
      [2, 'transaction.cancel'],
    ])
  })

  // Needs concurrent connections; PGlite is single-connection.
  it.skipIf(!REAL_SERVER)(`${RACERS} concurrent cancels with the default retries: still exactly one winner`, async () => {
    const { authn, stateToken } = await passwordExpiredTransaction('race.cancel2@example.com')
    const codes = (await Promise.all(Array.from({ length: RACERS }, () => authn.cancel({ stateToken }, CALL)()))).map(summary)
    expect(codes.filter((c) => c === '200')).toHaveLength(1)
    for (const c of codes) expect(['200', '403 E0000079', '401 E0000011']).toContain(c)
    expect((await logOf(stateToken)).log.map((e) => e.version)).toEqual([1, 2])
  })

  // Needs concurrent connections; PGlite is single-connection.
  it.skipIf(!REAL_SERVER)(`${RACERS} concurrent reads with the default retries: every answered read is in the log once, none lost`, async () => {
    const { authn, stateToken } = await passwordExpiredTransaction('race.read@example.com')
    const codes = (await Promise.all(Array.from({ length: RACERS }, () => authn.getState({ stateToken }, CALL)()))).map(summary)
    for (const c of codes) expect(['200', '403 E0000079']).toContain(c)
    const answered = codes.filter((c) => c === '200').length
    expect(answered).toBeGreaterThanOrEqual(1)
    const { record, log } = await logOf(stateToken)
    // Each read extends the expiry, so each answered read is exactly one saved version.
    expect(log.map((e) => e.version)).toEqual(Array.from({ length: answered + 1 }, (_, i) => i + 1))
    expect(log.slice(1).every((e) => e.event.type === 'transaction.read')).toBe(true)
    expect(record.version).toBe(answered + 1)
  })

  // Needs concurrent connections; PGlite is single-connection.
  it.skipIf(!REAL_SERVER)('40 parallel wrong passwords with maxAttempts 10 lock the user at exactly 10', async () => {
    const authn = engineOn(stores, { policies: policiesWith({ maxAttempts: 10 }) })
    const user = await userWithPassword('race.lockout@example.com')
    expectRight(await run(stores.users.create(user)))
    const codes = (
      await Promise.all(Array.from({ length: 40 }, () => authn.authenticate({ username: user.profile.login, password: 'wrong' }, CALL)()))
    ).map(summary)
    expect(new Set(codes)).toEqual(new Set(['401 E0000004']))
    const stored = expectRight(await run(stores.users.findById(user.id)))
    expect(stored.failedAttempts).toBe(10)
    expect(stored.lockedAt).not.toBeNull()
    // Locked: even the right password is refused now.
    expect(summary(await authn.authenticate({ username: user.profile.login, password: PASSWORD }, CALL)())).toBe('401 E0000004')
  })

  // Needs concurrent connections; PGlite is single-connection.
  it.skipIf(!REAL_SERVER)(`${RACERS} parallel redemptions of one session token: exactly one succeeds`, async () => {
    const authn = engineOn(stores)
    const user = await userWithPassword('race.session@example.com')
    expectRight(await run(stores.users.create(user)))
    const ok = await authn.authenticate({ username: user.profile.login, password: PASSWORD }, CALL)()
    expect(field(ok, 'status')).toBe('SUCCESS')
    const sessionToken = field(ok, 'sessionToken')
    const replies = await Promise.all(Array.from({ length: RACERS }, () => authn.redeemSessionToken({ sessionToken }, CALL)()))
    const codes = replies.map(summary)
    expect(codes.filter((c) => c === '200')).toHaveLength(1)
    expect(codes.filter((c) => c === '401 E0000004')).toHaveLength(RACERS - 1)
    const won = replies.find(E.isRight)
    expect(won?.right.body).toMatchObject({ userId: user.id })
  })
})
