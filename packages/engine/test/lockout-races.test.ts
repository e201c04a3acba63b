import { describe, expect } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import { createMemoryStores, createStaticPolicySource } from '@authn-machine/adapter-memory'
import { isLockedAt, nextLockoutState, type LockoutCounters, type StepStore } from '@authn-machine/core'
import { expectRight } from '@authn-machine/testkit'
import { createManualClock, createSeededRandom, createTrivialHasher, makeUser, policiesWith } from '@authn-machine/testkit/fixtures'
import { createAuthn, createMemoryAuditSink, createSecretBox, ephemeralKeyring } from '../src/index.js'
import { CALL, T0 } from './in-process-driver.js'

const PASSWORD = 'Right-Passw0rd'

/** Every storage call and every hash verification resolves when the scheduler says. */
const scheduledSteps = (s: fc.Scheduler, steps: StepStore): StepStore => ({
  reserveAttempt: (login, lease, now) => () => s.schedule(Promise.resolve(), 'reserve').then(() => steps.reserveAttempt(login, lease, now)()),
  attemptStatus: (id, lease, now) => () => s.schedule(Promise.resolve(), 'status').then(() => steps.attemptStatus(id, lease, now)()),
  commit: (w) => () => s.schedule(Promise.resolve(), `commit(${w.attempt?.outcome.type ?? '-'})`).then(() => steps.commit(w)()),
  load: (hash, now, lease) => () => s.schedule(Promise.resolve(), 'load').then(() => steps.load(hash, now, lease)()),
  settleUnknown: (login, lease, lockout, now) => () => s.schedule(Promise.resolve(), 'settleUnknown').then(() => steps.settleUnknown(login, lease, lockout, now)()),
  commitDecoy: (key, w) => () => s.schedule(Promise.resolve(), 'commitDecoy').then(() => steps.commitDecoy(key, w)()),
})

const setup = async (s: fc.Scheduler, maxAttempts: number, shown: boolean, initialFailures: number) => {
  const { users, transactions, steps, factors } = createMemoryStores()
  const trivial = createTrivialHasher()
  const hash = expectRight(await trivial.hash(PASSWORD)())
  const user = { ...makeUser({ login: 'racer@example.com', passwordHash: hash }), failedAttempts: initialFailures }
  expectRight(await users.create(user)())
  let verifies = 0
  const audit = createMemoryAuditSink()
  const authn = createAuthn({
    transactions,
    users,
    steps: scheduledSteps(s, steps),
    factors,
    secrets: createSecretBox(ephemeralKeyring()),
    policies: createStaticPolicySource(policiesWith({ maxAttempts, showLockoutFailures: shown, autoUnlockMinutes: 0 })),
    hasher: {
      hash: trivial.hash,
      verify: (h, p) => () => {
        // Guesses checked against the account's hash; the dummy hash a locked account is verified
        // against instead (so that the lock stays hidden, ADR 0011) is not the account's.
        if (h === hash) verifies += 1
        return s.schedule(Promise.resolve(), 'verify').then(() => trivial.verify(h, p)())
      },
    },
    clock: createManualClock(T0),
    random: createSeededRandom(3),
    audit,
    sleep: () => s.schedule(Promise.resolve(), 'sleep'),
    // Waiting is measured in pauses, not time: long enough that a fair scheduler never runs out.
    settings: { attemptWaitMs: 3_600_000 },
  })
  return { authn, users, user, audit, verifies: () => verifies }
}

describe('lockout under any interleaving (fc.scheduler, memory store)', () => {
  test.prop(
    [fc.scheduler(), fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 5 }), fc.boolean(), fc.nat({ max: 4 })],
    { numRuns: Number(process.env.RUNS ?? 150), ...(process.env.SEED ? { seed: Number(process.env.SEED) } : {}) },
  )(
    'N wrong and M right guesses: no lost increment, no SUCCESS past a lock, a lock holds, at most maxAttempts verifications in flight',
    async (s, wrong, right, maxAttempts, shown, initial) => {
      const initialFailures = Math.min(initial, maxAttempts - 1)
      const env = await setup(s, maxAttempts, shown, initialFailures)
      const bodies = [...Array.from({ length: wrong }, () => 'Wrong-Passw0rd'), ...Array.from({ length: right }, () => PASSWORD)]
      const calls = bodies.map((password) => env.authn.authenticate({ username: 'racer@example.com', password }, CALL)())
      const answers = (await s.waitFor(Promise.all(calls))).map((r) => {
        const reply = r._tag === 'Left' ? r.left : r.right
        const body = reply.body as { status?: string; errorCode?: string }
        return reply.status === 200 ? String(body.status) : String(body.errorCode)
      })

      // Replays the audit trail (commit order) through the pure lockout rule.
      const policy = { maxAttempts, autoUnlockMinutes: 0, showLockoutFailures: shown }
      let counters: LockoutCounters = { failedAttempts: initialFailures, lockedAt: null }
      let successes = 0
      let lockedAnswers = 0
      for (const { what } of env.audit.entries) {
        if (what === 'effect.recordFailedAttempt') counters = nextLockoutState(counters, policy, T0)
        else if (what === 'authenticate.SUCCESS') {
          // A success is never serialised after the lock.
          expect(isLockedAt(policy, counters.lockedAt, T0), `SUCCESS after the lock in ${s.report().map((r) => r.label).join(' ')}`).toBe(false)
          counters = { failedAttempts: 0, lockedAt: null }
          successes += 1
        } else if (what === 'authenticate.LOCKED_OUT') {
          expect(isLockedAt(policy, counters.lockedAt, T0)).toBe(true)
          lockedAnswers += 1
        }
      }
      // What the callers were told agrees with the trail, and the store with the replay.
      expect(answers.filter((a) => a === 'SUCCESS').length).toBe(successes)
      expect(answers.filter((a) => a === 'LOCKED_OUT').length).toBe(lockedAnswers)
      if (!shown) expect(lockedAnswers).toBe(0)
      expect(answers.every((a) => ['SUCCESS', 'LOCKED_OUT', 'E0000004', 'E0000047'].includes(a))).toBe(true)
      const stored = expectRight(await env.users.findById(env.user.id)())
      expect({ failedAttempts: stored.failedAttempts, lockedAt: stored.lockedAt }).toEqual(counters)
      // Every verified guess was counted or succeeded (none lost: a right password in flight holds a
      // place, so wrong ones cannot lock the account under it), and no more wrong guesses were
      // verified than could be counted before the lock (ASVS V6.3.1).
      const counted = env.audit.entries.filter((e) => e.what === 'effect.recordFailedAttempt').length
      expect(env.verifies()).toBe(counted + successes)
      if (right === 0) expect(counted).toBeLessThanOrEqual(maxAttempts - initialFailures)
      // Once the limit is reached after the last success, the account ends locked.
      if (counters.failedAttempts >= maxAttempts) expect(stored.lockedAt).not.toBeNull()
    },
  )
})
