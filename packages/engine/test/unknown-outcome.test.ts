import * as E from 'fp-ts/lib/Either.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { describe, expect, it } from 'vitest'
import { createMemoryStores } from '@authn-machine/adapter-memory'
import { asUserId, unavailable, type OrgSeed, type StepStore, type StepWrite, type TransactionStore } from '@authn-machine/core'
import { secretBytes, totpCode } from '@authn-machine/factor-totp'
import { createManualClock, createSeededRandom, createTrivialHasher } from '@authn-machine/testkit/fixtures'
import { STEP_NOT_SAVED, STEP_OUTCOME_UNKNOWN } from '../src/pipeline.js'
import { createInProcessSystem, hashToken } from '../src/index.js'
import { CALL, FACTOR_PLUGINS, T0 } from './in-process-driver.js'

/**
 * A commit whose connection is lost (docs/adr/0025-failover.md): the engine never sends the write
 * again; it reads the transaction's log back and answers from what it finds.
 */

const FACTOR = 'uftseeded0000000001'
const TOTP_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'
const codeAt = async (ms: number): Promise<string> => {
  const key = secretBytes(TOTP_SECRET)
  if (key === null) throw new Error('not a base32 key')
  return totpCode(key, Math.floor(ms / 1000), { digits: 6, step: 30, algorithm: 'sha1' })
}
const seed: OrgSeed = {
  users: [{ id: '00ulostcommit000001', login: 'lost@example.com', firstName: 'Lo', lastName: 'St', password: 'Right-Passw0rd-1', factors: [{ factorType: 'token:software:totp', provider: 'GOOGLE', secret: TOTP_SECRET, id: FACTOR }] }],
  policies: { signOn: { requireFactor: true }, password: { lockout: { maxAttempts: 5 } } },
}

/** How the next armed step commit fails: applied then lost, lost before applying, or applied with the log unreadable too. */
type Fault = 'appliedThenLost' | 'lostBeforeApplied' | 'appliedLogUnreadable'

const system = async () => {
  const clock = createManualClock(T0)
  const stores = createMemoryStores()
  let armed: Fault | null = null
  let logDown = false
  const stepCommits: StepWrite[] = []
  const steps: StepStore = {
    ...stores.steps,
    commit: (w) => {
      if (w.transaction?.kind !== 'save' || armed === null) return stores.steps.commit(w)
      const fault = armed
      armed = null
      stepCommits.push(w)
      if (fault === 'lostBeforeApplied') return TE.left(unavailable(new Error('Connection terminated unexpectedly')))
      return async () => {
        const r = await stores.steps.commit(w)()
        expect(E.isRight(r) && r.right._tag === 'Applied').toBe(true)
        if (fault === 'appliedLogUnreadable') logDown = true
        return E.left(unavailable(new Error('Connection terminated unexpectedly')))
      }
    },
  }
  const transactions: TransactionStore = {
    ...stores.transactions,
    readLog: (id) => (logDown ? TE.left(unavailable(new Error('connect ECONNREFUSED'))) : stores.transactions.readLog(id)),
  }
  const s = await createInProcessSystem({ seed, ...stores, steps, transactions, factorPlugins: FACTOR_PLUGINS, hasher: createTrivialHasher(), clock, random: createSeededRandom(3), call: CALL })
  const signIn = async () => {
    const r = await s.driver.authenticate({ username: 'lost@example.com', password: 'Right-Passw0rd-1' })
    const b = r.body as Record<string, unknown>
    expect(b['status']).toBe('MFA_REQUIRED')
    return String(b['stateToken'])
  }
  const logOf = async (stateToken: string) => {
    const loaded = await stores.transactions.load(hashToken(stateToken), clock.now())()
    if (E.isLeft(loaded)) throw new Error(loaded.left._tag)
    const log = await stores.transactions.readLog(loaded.right.id)()
    if (E.isLeft(log)) throw new Error(log.left._tag)
    return { record: loaded.right, log: log.right }
  }
  const user = async () => {
    const u = await stores.users.findById(asUserId('00ulostcommit000001'))()
    if (E.isLeft(u)) throw new Error(u.left._tag)
    return u.right
  }
  return {
    ...s,
    clock,
    arm: (f: Fault) => {
      armed = f
    },
    restoreLog: () => {
      logDown = false
    },
    stepCommits,
    signIn,
    logOf,
    user,
  }
}

const body = (r: { readonly body: unknown }) => r.body as Record<string, unknown>

describe('a step commit that loses its connection: the outcome is read back, the write never sent twice', () => {
  it('applied, then the answer lost: answered as applied (SUCCESS with its session token), one log entry, the code used once', async () => {
    const sys = await system()
    const stateToken = await sys.signIn()
    const code = await codeAt(sys.clock.now())
    sys.arm('appliedThenLost')
    const r = await sys.driver.verifyFactor({ stateToken, factorId: FACTOR, passCode: code })
    expect([r.status, body(r)['status'], typeof body(r)['sessionToken']]).toEqual([200, 'SUCCESS', 'string'])
    expect(sys.stepCommits).toHaveLength(1)
    const { record, log } = await sys.logOf(stateToken)
    expect([record.version, record.state]).toEqual([2, 'SUCCESS'])
    expect(log.map((l) => [l.version, l.event.type])).toEqual([
      [1, 'primary.verified'],
      [2, 'factor.verify'],
    ])
    // The session token answered is the one stored: it redeems once.
    const redeemed = await sys.authn.redeemSessionToken({ sessionToken: body(r)['sessionToken'] }, CALL)()
    expect(E.isRight(redeemed)).toBe(true)
    // The code was used by the applied step: a second transaction cannot use it again.
    const again = await sys.driver.verifyFactor({ stateToken: await sys.signIn(), factorId: FACTOR, passCode: code })
    expect([again.status, body(again)['errorCode']]).toEqual([403, 'E0000082'])
  })

  it('lost before it was applied: 500 E0000009 saying to retry, nothing written; the retry succeeds once', async () => {
    const sys = await system()
    const stateToken = await sys.signIn()
    const code = await codeAt(sys.clock.now())
    sys.arm('lostBeforeApplied')
    const r = await sys.driver.verifyFactor({ stateToken, factorId: FACTOR, passCode: code })
    expect([r.status, body(r)['errorCode'], body(r)['errorCauses']]).toEqual([500, 'E0000009', [{ errorSummary: STEP_NOT_SAVED }]])
    const before = await sys.logOf(stateToken)
    expect([before.record.version, before.record.state, before.log.length]).toEqual([1, 'MFA_REQUIRED', 1])
    // The attempt reserved for the verification was given back: nothing counted.
    expect((await sys.user()).failedAttempts).toBe(0)
    const retry = await sys.driver.verifyFactor({ stateToken, factorId: FACTOR, passCode: code })
    expect([retry.status, body(retry)['status']]).toEqual([200, 'SUCCESS'])
    expect((await sys.logOf(stateToken)).log.map((l) => l.version)).toEqual([1, 2])
  })

  it('applied, and the log cannot be read back either: 500 E0000009 saying to get the state first; the state shows the step applied once', async () => {
    const sys = await system()
    const stateToken = await sys.signIn()
    const code = await codeAt(sys.clock.now())
    sys.arm('appliedLogUnreadable')
    const r = await sys.driver.verifyFactor({ stateToken, factorId: FACTOR, passCode: code })
    expect([r.status, body(r)['errorCode'], body(r)['errorCauses']]).toEqual([500, 'E0000009', [{ errorSummary: STEP_OUTCOME_UNKNOWN }]])
    sys.restoreLog()
    const { record, log } = await sys.logOf(stateToken)
    expect([record.state, log.map((l) => l.version)]).toEqual(['SUCCESS', [1, 2]])
    // Sending the same code again cannot apply it a second time.
    const again = await sys.driver.verifyFactor({ stateToken, factorId: FACTOR, passCode: code })
    expect(again.status).not.toBe(200)
    expect((await sys.logOf(stateToken)).log.map((l) => l.version)).toEqual([1, 2])
  })

  it('a wrong code whose step commit is applied then lost: answered as decided (403 E0000068), counted once', async () => {
    const sys = await system()
    const stateToken = await sys.signIn()
    sys.arm('appliedThenLost')
    const r = await sys.driver.verifyFactor({ stateToken, factorId: FACTOR, passCode: '000000' })
    expect([r.status, body(r)['errorCode']]).toEqual([403, 'E0000068'])
    expect((await sys.user()).failedAttempts).toBe(1)
    expect((await sys.logOf(stateToken)).log.map((l) => l.version)).toEqual([1, 2])
  })

  it('any flow step (get state), applied then lost: answered as applied, one log entry', async () => {
    const sys = await system()
    const stateToken = await sys.signIn()
    sys.arm('appliedThenLost')
    const r = await sys.driver.getState({ stateToken })
    expect([r.status, body(r)['status']]).toEqual([200, 'MFA_REQUIRED'])
    const { log } = await sys.logOf(stateToken)
    expect(log.map((l) => [l.version, l.event.type])).toEqual([
      [1, 'primary.verified'],
      [2, 'transaction.read'],
    ])
  })
})
