import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { asTransactionId, emptyStepWrite, type IssuedToken, type UserRecord } from '@authn-machine/core'
import { expectLeft, expectRight, run, uniqueHash } from '@authn-machine/testkit'
import { hashToken } from '@authn-machine/engine'
import { CALL, PASSWORD, engineOn, field, summary, userWithPassword } from './engine.js'
import { REAL_SERVER, onRacingPool, type PostgresTestStores } from './support.js'

const RACERS = 32

// Every test here needs concurrent connections; PGlite is single-connection, so without
// DATABASE_URL they are skipped (the conformance suites still run their races on PGlite, serialised).
describe('races through the engine on a real server', () => {
  let stores: PostgresTestStores
  onRacingPool((s) => (stores = s))

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
})

// The StepStore's races, without the engine: reservations and commits of one user on many
// connections at once. The conformance suite runs the same contract on PGlite, serialised.
describe('step races on a real server', () => {
  let stores: PostgresTestStores
  onRacingPool((s) => (stores = s))

  const T0 = Date.UTC(2026, 0, 1)
  const sessionToken = (u: UserRecord): IssuedToken => ({
    schemaVersion: 1,
    hash: uniqueHash(),
    kind: 'session',
    userId: u.id,
    transactionId: asTransactionId(`txnraces${u.id.slice(-8)}`),
    expiresAt: T0 + 60_000,
  })

  // Needs concurrent connections; PGlite is single-connection.
  it.skipIf(!REAL_SERVER)('40 concurrent failures (reserve, then commit) with maxAttempts 10 land at exactly 10: one locks, moving the epoch once', async () => {
    const user = await userWithPassword('race.steps.lockout@example.com')
    expectRight(await run(stores.users.create(user)))
    const lockout = { maxAttempts: 10, autoUnlockMinutes: 0, showLockoutFailures: false }
    const outcomes = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const lease = { id: `lease-${i}`, until: T0 + 30_000 }
        const ticket = expectRight(await run(stores.steps.reserveAttempt(user.profile.login, lease, T0)))
        expect(ticket.user.id).toBe(user.id)
        return expectRight(await run(stores.steps.commit({ ...emptyStepWrite(user.id, T0), attempt: { leaseId: lease.id, outcome: { type: 'failure', lockout } } })))
      }),
    )
    const states = outcomes.map((o) => (o._tag === 'Applied' ? o.user : null))
    expect(states.every((x) => x !== null)).toBe(true)
    // One after another: 1 … 9 unlocked (once each), then 31 answers at 10, locked, epoch 1.
    for (let n = 1; n <= 9; n++) expect(states.filter((x) => x?.failedAttempts === n && x.lockedAt === null && x.credentialEpoch === 0)).toHaveLength(1)
    expect(states.filter((x) => x?.failedAttempts === 10 && x.lockedAt === T0 && x.credentialEpoch === 1)).toHaveLength(31)
    const stored = expectRight(await run(stores.users.findById(user.id)))
    expect([stored.failedAttempts, stored.lockedAt, stored.credentialEpoch]).toEqual([10, T0, 1])
    // Every lease was settled: the next attempt has nobody ahead.
    expect(expectRight(await run(stores.steps.reserveAttempt(user.profile.login, { id: 'last', until: T0 + 30_000 }, T0))).ahead).toBe(0)
  })

  // Needs concurrent connections; PGlite is single-connection.
  it.skipIf(!REAL_SERVER)(`${RACERS} concurrent redemptions of a session token issued by a commit: exactly one wins`, async () => {
    const user = await userWithPassword('race.steps.session@example.com')
    expectRight(await run(stores.users.create(user)))
    const token = sessionToken(user)
    expect(expectRight(await run(stores.steps.commit({ ...emptyStepWrite(user.id, T0), issue: token })))._tag).toBe('Applied')
    const results = await Promise.all(Array.from({ length: RACERS }, () => run(stores.transactions.consumeToken(token.hash, 'session', T0))))
    expect(results.filter(E.isRight)).toHaveLength(1)
    for (const r of results) if (E.isLeft(r)) expect(r.left._tag).toBe('AlreadyConsumed')
  })

  // Needs concurrent connections; PGlite is single-connection.
  it.skipIf(!REAL_SERVER)(`${RACERS} redemptions racing a lock that revokes the token: at most one wins, and only before the revocation`, async () => {
    const user = await userWithPassword('race.steps.revoke@example.com')
    expectRight(await run(stores.users.create(user)))
    const token = sessionToken(user)
    expectRight(await run(stores.steps.commit({ ...emptyStepWrite(user.id, T0), issue: token })))
    const redeem = () => run(stores.transactions.consumeToken(token.hash, 'session', T0))
    const lock = () => run(stores.steps.commit({ ...emptyStepWrite(user.id, T0), userChanges: [{ type: 'lock', at: T0 }] }))
    const [locked, ...redeemed] = await Promise.all([lock(), ...Array.from({ length: RACERS }, redeem)])
    expect(expectRight(locked ?? E.left(null))._tag).toBe('Applied')
    expect(redeemed.filter(E.isRight).length).toBeLessThanOrEqual(1)
    for (const r of redeemed) if (E.isLeft(r)) expect(r.left._tag).toBe('AlreadyConsumed')
    // Revoked or redeemed: either way it is spent.
    expect(expectLeft(await redeem())._tag).toBe('AlreadyConsumed')
  })
})
