import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { effectiveLockout, failureLocks, isLockedAt, nextLockoutState, type LockoutCounters } from '../src/index.js'
import { MINUTE, T0, arbLockout } from './arbitraries.js'

const arbCounters: fc.Arbitrary<LockoutCounters> = fc.record({
  failedAttempts: fc.integer({ min: 0, max: 10 }),
  lockedAt: fc.option(fc.integer({ min: T0 - 120 * MINUTE, max: T0 })),
})
const arbNow = fc.integer({ min: T0, max: T0 + 120 * MINUTE })

describe('isLockedAt', () => {
  test.prop([arbLockout, arbNow])('an account that was never locked is not locked', (p, now) => {
    expect(isLockedAt(p, null, now)).toBe(false)
  })
  test.prop([arbLockout, fc.integer({ min: T0 - 1000 * 24 * 60 * MINUTE, max: T0 }), arbNow])(
    'autoUnlockMinutes = 0 never unlocks by itself',
    (p, lockedAt, now) => {
      expect(isLockedAt({ ...p, autoUnlockMinutes: 0 }, lockedAt, now)).toBe(true)
    },
  )
  test.prop([arbLockout, fc.integer({ min: 1, max: 600 }), fc.integer({ min: 0, max: 2 * 600 * MINUTE })])(
    'with autoUnlockMinutes = m the lock holds for exactly m minutes',
    (p, m, elapsed) => {
      expect(isLockedAt({ ...p, autoUnlockMinutes: m }, T0, T0 + elapsed)).toBe(elapsed < m * MINUTE)
    },
  )
})

describe('nextLockoutState', () => {
  test.prop([arbLockout.map((p) => ({ ...p, maxAttempts: Math.max(1, p.maxAttempts) })), fc.array(fc.integer({ min: 0, max: 4_000 }), { minLength: 1, maxLength: 12 })])(
    'from a clean slate, the Nth consecutive failure locks and the earlier ones do not',
    (p, gaps) => {
      let c: LockoutCounters = { failedAttempts: 0, lockedAt: null }
      let now = T0
      const lockedAfter: number[] = []
      for (const [i, gap] of gaps.entries()) {
        now += gap
        const next = nextLockoutState(c, p, now)
        if (c.lockedAt === null && next.lockedAt !== null) lockedAfter.push(i + 1)
        if (c.lockedAt === null) expect(next.failedAttempts).toBe(i + 1)
        c = next
      }
      // 12 failures at most 4 s apart (48 s in all): an auto-unlock of >= 1 minute never releases in between.
      expect(lockedAfter).toEqual(gaps.length >= p.maxAttempts ? [p.maxAttempts] : [])
    },
  )

  test.prop([arbLockout.map((p) => ({ ...p, maxAttempts: 0 })), arbCounters, arbNow])('maxAttempts = 0 never locks', (p, c, now) => {
    const next = nextLockoutState({ ...c, lockedAt: null }, p, now)
    expect(next.lockedAt).toBeNull()
  })

  test.prop([arbLockout, arbCounters, arbNow])('a locked account does not count further', (p, c, now) => {
    fc.pre(isLockedAt(p, c.lockedAt, now))
    expect(nextLockoutState(c, p, now)).toBe(c)
  })

  test.prop([arbLockout, arbCounters, arbNow])('an expired lock starts over at one failure', (p, c, now) => {
    fc.pre(c.lockedAt !== null && !isLockedAt(p, c.lockedAt, now))
    const next = nextLockoutState(c, p, now)
    expect(next.failedAttempts).toBe(1)
    expect(next.lockedAt).toBe(p.maxAttempts === 1 ? now : null)
  })

  test.prop([arbLockout, arbCounters, arbNow])('agrees with failureLocks on the effective count', (p, c, now) => {
    const eff = effectiveLockout(c, p, now)
    fc.pre(!eff.lockedOut)
    expect(nextLockoutState(c, p, now).lockedAt !== null).toBe(failureLocks(p, eff.failedAttempts))
  })
})

describe('effectiveLockout', () => {
  test.prop([arbLockout, arbCounters, arbNow])('is locked exactly when isLockedAt says so', (p, c, now) => {
    const e = effectiveLockout(c, p, now)
    expect(e.lockedOut).toBe(isLockedAt(p, c.lockedAt, now))
    expect(e.failedAttempts).toBe(e.lockedOut || c.lockedAt === null ? c.failedAttempts : 0)
  })

  it('auto-unlocks after autoUnlockMinutes (and 0 = never)', () => {
    const c = { failedAttempts: 3, lockedAt: T0 }
    const p = { maxAttempts: 3, autoUnlockMinutes: 30, showLockoutFailures: false }
    expect(effectiveLockout(c, p, T0 + 30 * MINUTE - 1)).toEqual({ lockedOut: true, failedAttempts: 3 })
    expect(effectiveLockout(c, p, T0 + 30 * MINUTE)).toEqual({ lockedOut: false, failedAttempts: 0 })
    expect(effectiveLockout(c, { ...p, autoUnlockMinutes: 0 }, T0 + 1e12)).toEqual({ lockedOut: true, failedAttempts: 3 })
  })
})
