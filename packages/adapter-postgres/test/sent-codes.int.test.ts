import { describe, expect, it } from 'vitest'
import { registered, type OrgSeed } from '@authn-machine/core'
import { createInProcessSystem, hashToken } from '@authn-machine/engine'
import { createSmsFactor } from '@authn-machine/factor-sms'
import { createDevOutbox } from '@authn-machine/message-senders'
import { expectRight, run } from '@authn-machine/testkit'
import { createManualClock, createSeededRandom, createTrivialHasher } from '@authn-machine/testkit/fixtures'
import { CALL } from './engine.js'
import { FACTOR_PLUGINS } from './factor-plugins.js'
import { REAL_SERVER, onRacingPool, type PostgresTestStores } from './support.js'

const RACERS = 24
const PHONE = '+14155552671'

const seedFor = (login: string, factorId: string, maxAttempts: number): OrgSeed => ({
  users: [{ login, firstName: 'Ray', lastName: 'Cer', password: 'Right-Passw0rd-1', factors: [{ factorType: 'sms', provider: 'OKTA', phoneNumber: PHONE, id: factorId }] }],
  policies: { signOn: { requireFactor: true }, password: { lockout: { maxAttempts } }, sentCode: { maxAttempts: 100, lifetimeMinutes: 5 } },
})

type Answer = { readonly status: number; readonly body: unknown }
const bodyOf = (r: Answer) => r.body as Record<string, unknown>
const outcome = (r: Answer): string => (r.status === 200 ? String(bodyOf(r)['status']) : `${r.status} ${String(bodyOf(r)['errorCode'])}`)

// Races of sent codes through the engine on the real server: many connections, one transaction.
// PGlite is single-connection, so without DATABASE_URL these are skipped (the harness runs the
// same rules serialised).
describe('sent codes on a real server: parallel verifications', () => {
  let stores: PostgresTestStores | undefined
  onRacingPool((s) => (stores = s))

  const challenged = async (login: string, factorId: string, maxAttempts: number) => {
    if (stores === undefined) throw new Error('no stores')
    const outbox = createDevOutbox({ log: () => undefined })
    const system = await createInProcessSystem({
      seed: seedFor(login, factorId, maxAttempts),
      transactions: stores.transactions,
      users: stores.users,
      steps: stores.steps,
      factors: stores.factors,
      factorPlugins: [...FACTOR_PLUGINS, registered(createSmsFactor())],
      messages: outbox,
      hasher: createTrivialHasher(),
      clock: createManualClock(Date.UTC(2026, 0, 1)),
      random: createSeededRandom(login),
      call: CALL,
    })
    const signIn = await system.driver.authenticate({ username: login, password: 'Right-Passw0rd-1' })
    const stateToken = String(bodyOf(signIn)['stateToken'])
    expect(outcome(await system.driver.verifyFactor({ stateToken, factorId }))).toBe('MFA_CHALLENGE')
    const code = (outbox.messages({ to: PHONE })[0]?.text ?? '').replace(/\D/g, '')
    return { system, stateToken, factorId, code, stores }
  }

  it.skipIf(!REAL_SERVER)(`${RACERS} verifications of the right code at once: exactly one SUCCESS, one session token, the others refused`, async () => {
    const { system, stateToken, factorId, code, stores: s } = await challenged('race.sms.right@example.com', 'mblracerright000001', 10)
    const answers = await Promise.all(Array.from({ length: RACERS }, () => system.driver.verifyFactor({ stateToken, factorId, passCode: code })))
    const outcomes = answers.map(outcome)
    expect(outcomes.filter((o) => o === 'SUCCESS')).toHaveLength(1)
    for (const o of outcomes) expect(['SUCCESS', '401 E0000011', '403 E0000079']).toContain(o)
    const record = expectRight(await run(s.transactions.load(hashToken(stateToken), 0)))
    expect(record.state).toBe('SUCCESS')
    const log = expectRight(await run(s.transactions.readLog(record.id)))
    expect(log.filter((e) => e.event.type === 'factor.verify').map((e) => e.event.type === 'factor.verify' && e.event.outcome)).toEqual(['accepted'])
    expect(record.context.sent?.attemptsLeft).toBe(0)
  })

  it.skipIf(!REAL_SERVER)(`${RACERS} wrong codes at once with maxAttempts 5: no SUCCESS, the lock lands at exactly 5 failures, the right code is then refused`, async () => {
    const { system, stateToken, factorId, code, stores: s } = await challenged('race.sms.wrong@example.com', 'mblracerwrong000001', 5)
    const wrong = code === '000000' ? '111111' : '000000'
    const answers = await Promise.all(Array.from({ length: RACERS }, () => system.driver.verifyFactor({ stateToken, factorId, passCode: wrong })))
    const outcomes = answers.map(outcome)
    for (const o of outcomes) expect(['403 E0000068', '403 E0000069', '401 E0000011', '403 E0000079', '429 E0000047']).toContain(o)
    // A recorded failure is answered E0000068; E0000079 when its transaction save then lost the race;
    // E0000011 when a lock meanwhile ended the transaction; E0000069 for the one that locked. The
    // account's counter is what must be exact.
    expect(outcomes.filter((o) => o === '403 E0000068' || o === '403 E0000079').length).toBeLessThanOrEqual(5)
    const user = expectRight(await run(s.users.findByLogin('race.sms.wrong@example.com')))
    expect(user.failedAttempts).toBe(5)
    expect(user.lockedAt).not.toBeNull()
    expect(outcome(await system.driver.verifyFactor({ stateToken, factorId, passCode: code }))).toBe('401 E0000011')
  })
})
