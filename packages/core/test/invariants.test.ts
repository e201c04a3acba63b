import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import {
  decideStart,
  effectiveLockout,
  nextLockoutState,
  type AuthnInput,
  type Decision,
  type LockoutCounters,
  type LockoutPolicy,
} from '../src/index.js'
import { DAY, MINUTE, T0, arbInput, arbRun, arbTokenHash, arbUser, type Run } from './arbitraries.js'
import { drive, inputWith, withLockout } from './helpers.js'

interface Visited {
  readonly run: Run
  readonly decisions: ReadonlyArray<Decision>
}

const visit = (run: Run): Visited => ({ run, decisions: drive(run.input, run.events) })

/** Indices of the decisions that moved the transaction into SUCCESS. */
const intoSuccess = ({ decisions }: Visited): number[] =>
  decisions.flatMap((d, i) => (d.state === 'SUCCESS' && (i === 0 || decisions[i - 1]?.state !== 'SUCCESS') ? [i] : []))

const passwordExpiredAt = (input: AuthnInput, now: number): boolean => {
  const changedAt = input.user.credentials.passwordChangedAt
  const maxAge = input.policy.password.age.maxAgeDays
  return input.user.status === 'PASSWORD_EXPIRED' || (maxAge > 0 && changedAt !== null && now >= changedAt + maxAge * DAY)
}

describe('invariants over arbitrary runs (spec §9, §10.1)', () => {
  it('the runs are not vacuous: they reach SUCCESS, refusals and every routed state', () => {
    const states = new Set<string>()
    const failures = new Set<string>()
    for (const run of fc.sample(arbRun, { numRuns: 2000, seed: 42 }))
      for (const d of drive(run.input, run.events)) {
        states.add(d.state)
        if (d.failure !== null) failures.add(d.failure.code)
      }
    expect([...states].sort()).toEqual(
      [
        'CANCELLED',
        'FAILED',
        'LOCKED_OUT',
        'MFA_CHALLENGE',
        'MFA_ENROLL',
        'MFA_ENROLL_ACTIVATE',
        'MFA_REQUIRED',
        'PASSWORD_EXPIRED',
        'PASSWORD_RESET',
        'PASSWORD_WARN',
        'SUCCESS',
        'UNAUTHENTICATED',
      ].sort(),
    )
    expect([...failures].sort()).toEqual(['E0000004', 'E0000011', 'E0000014', 'E0000068', 'E0000069', 'E0000079', 'E0000080', 'E0000082'])
  })

  test.prop([arbRun], { numRuns: 500 })('SUCCESS is reached only after primary.verified, never after primary.rejected', (run) => {
    const v = visit(run)
    if (intoSuccess(v).length === 0) return
    // The decision that left UNAUTHENTICATED was a primary.verified, and no primary.rejected was accepted before.
    const left = v.decisions.findIndex((d) => d.state !== 'UNAUTHENTICATED')
    expect(v.run.events[left]?.type).toBe('primary.verified')
    expect(v.decisions[left]?.failure).toBeNull()
    for (const [i, e] of v.run.events.slice(0, left).entries()) {
      expect(e.type).not.toBe('primary.verified')
      expect(v.decisions[i]?.failure?.code).toBe('E0000079')
    }
  })

  test.prop([arbRun], { numRuns: 500 })('primary.rejected never leads anywhere but FAILED or LOCKED_OUT', (run) => {
    const v = visit(run)
    if (v.run.events[0]?.type !== 'primary.rejected') return
    expect(['FAILED', 'LOCKED_OUT']).toContain(v.decisions[0]?.state)
    for (const d of v.decisions.slice(1)) expect(d.failure?.code).toBe('E0000011')
  })

  test.prop([arbRun], { numRuns: 500 })('SUCCESS is never reached while locked out', (run) => {
    const v = visit(run)
    if (v.run.input.lockedOut) expect(v.decisions.map((d) => d.state)).not.toContain('SUCCESS')
  })

  test.prop([arbRun], { numRuns: 500 })(
    'no SUCCESS without every required factor: with MFA required and an ACTIVE factor, SUCCESS only after one was verified or enrolled here (or from a remembered device); MFA_REQUIRED comes first',
    (run) => {
      const v = visit(run)
      const { input } = v.run
      // The org's requirement (a remembered device answers it) or a step-up app's (only a recent factor does).
      const app = input.stepUp ?? null
      const appAsks = app !== null && app.signOn.requireFactor && !app.factorFresh
      const mfa = ((input.policy.signOn.requireFactor && !input.deviceRemembered) || appAsks) && input.factors.some((f) => f.status === 'ACTIVE')
      if (!mfa) return
      for (const i of intoSuccess(v)) {
        const p = v.decisions[i]?.snapshot.context.progress
        expect(p?.mfaVerified === true || p?.enrolledHere === true).toBe(true)
      }
      const first = v.decisions[0]
      const passwordFirst = input.flow === 'ACTIVATION' && input.user.credentials.passwordHash === null
      if (v.run.events[0]?.type === 'primary.verified' && !input.lockedOut && input.policy.signOn.access === 'ALLOW' && app?.signOn.access !== 'DENY')
        expect(first?.state).toBe(passwordFirst ? 'PASSWORD_RESET' : 'MFA_REQUIRED')
    },
  )

  test.prop([arbRun], { numRuns: 500 })('SUCCESS needs every REQUIRED factor of the enrollment policy ACTIVE', (run) => {
    const v = visit(run)
    for (const i of intoSuccess(v)) {
      const c = v.decisions[i]?.snapshot.context
      if (c === undefined) throw new Error('out of range')
      for (const r of c.policy.enrollment.factors.filter((e) => e.enroll === 'REQUIRED'))
        expect(c.factors.some((f) => f.status === 'ACTIVE' && f.factorType === r.factorType && f.provider === r.provider)).toBe(true)
    }
  })

  test.prop([arbRun], { numRuns: 500 })('SUCCESS is never reached while the password is expired and unchanged', (run) => {
    const v = visit(run)
    for (const i of intoSuccess(v)) {
      const d = v.decisions[i]
      const e = v.run.events[i]
      if (d === undefined || e === undefined) throw new Error('out of range')
      if (!d.snapshot.context.progress.passwordChanged) expect(passwordExpiredAt(v.run.input, e.now)).toBe(false)
    }
  })

  test.prop([arbRun], { numRuns: 500 })(
    'every transition into SUCCESS emits exactly one issueSessionToken, for the event’s token; no other does',
    (run) => {
      const v = visit(run)
      const entered = intoSuccess(v)
      v.decisions.forEach((d, i) => {
        const issued = d.effects.filter((x) => x.type === 'issueSessionToken')
        const e = v.run.events[i]
        if (!entered.includes(i)) return expect(issued).toEqual([])
        if (e === undefined || !('sessionTokenHash' in e)) throw new Error('SUCCESS without a session token')
        const expiresAt = e.now + v.run.input.sessionLifetimeMs
        // A step-up's SUCCESS issues the one-time token of its `original` link; any other, a session token.
        const kind = (v.run.input.stepUp ?? null) === null ? 'session' : 'stepup'
        expect(issued).toEqual([{ type: 'issueSessionToken', params: { userId: v.run.input.user.id, tokenHash: e.sessionTokenHash, expiresAt, kind } }])
        expect(d.snapshot.context.sessionTokenHash).toBe(e.sessionTokenHash)
        expect(d.snapshot.context.sessionExpiresAt).toBe(expiresAt)
      })
    },
  )

  test.prop([arbRun], { numRuns: 500 })('nothing leaves a finished state', (run) => {
    const v = visit(run)
    v.decisions.forEach((d, i) => {
      const prev = v.decisions[i - 1]
      if (prev !== undefined && prev.snapshot.status === 'done') {
        expect(d.state).toBe(prev.state)
        expect(d.changed).toBe(false)
        expect(d.effects).toEqual([])
      }
    })
  })
})

/**
 * The shell's loop for one user (docs/adr/0008-credential-state.md): effective counters; a locked
 * account is answered as locked; a wrong password is recorded first (nextLockoutState) and the
 * machine answers from the state that produced; a right one resets the counters through the
 * machine's `resetFailedAttempts`.
 */
const attempt = (input: AuthnInput, counters: LockoutCounters, ok: boolean, now: number, hash: string) => {
  const lockout = input.policy.password.lockout
  const lock = effectiveLockout(counters, lockout, now)
  const at = { ...input, now, user: { ...input.user, failedAttempts: lock.failedAttempts, lockedAt: counters.lockedAt }, lockedOut: lock.lockedOut }
  if (lock.lockedOut) return { d: decideStart(at, { type: 'primary.rejected', now, lockedAfter: true }), next: counters }
  if (!ok) {
    const next = nextLockoutState(counters, lockout, now)
    return { d: decideStart(at, { type: 'primary.rejected', now, lockedAfter: next.lockedAt !== null }), next }
  }
  const d = decideStart(at, { type: 'primary.verified', now, sessionTokenHash: hash as never })
  const next = d.effects.some((e) => e.type === 'resetFailedAttempts') ? { failedAttempts: 0, lockedAt: null } : counters
  return { d, next }
}

const arbLockoutPolicy: fc.Arbitrary<LockoutPolicy> = fc.record({
  maxAttempts: fc.integer({ min: 1, max: 6 }),
  autoUnlockMinutes: fc.constantFrom(0, 5),
  showLockoutFailures: fc.boolean(),
})

describe('lockout through the machine (spec §9.3)', () => {
  test.prop([arbInput, arbLockoutPolicy, arbTokenHash])(
    'with maxAttempts = N > 0 the Nth consecutive failure locks and earlier ones do not',
    (base, lockout, hash) => {
      const input: AuthnInput = {
        ...base,
        flow: 'PASSWORD',
        policy: { ...base.policy, password: { ...base.policy.password, lockout } },
        user: { ...base.user, failedAttempts: 0, lockedAt: null },
      }
      let counters: LockoutCounters = { failedAttempts: 0, lockedAt: null }
      for (let n = 1; n <= lockout.maxAttempts; n += 1) {
        const { d, next } = attempt(input, counters, false, T0 + n * 1000, hash)
        const locks = n === lockout.maxAttempts
        expect(next.lockedAt !== null).toBe(locks)
        expect(next.failedAttempts).toBe(n)
        expect(d.effects).toEqual([])
        expect(d.state).toBe(locks && lockout.showLockoutFailures ? 'LOCKED_OUT' : 'FAILED')
        counters = next
      }
      // Locked now: the right password does not get in, and nothing is counted.
      const now = T0 + (lockout.maxAttempts + 1) * 1000
      for (const ok of [true, false]) {
        const { d, next } = attempt(input, counters, ok, now, hash)
        expect(d.state).toBe(lockout.showLockoutFailures ? 'LOCKED_OUT' : 'FAILED')
        expect(d.effects).toEqual([])
        expect(next).toEqual(counters)
      }
      // After auto-unlock (if any) the count starts over.
      if (lockout.autoUnlockMinutes > 0) {
        const later = now + lockout.autoUnlockMinutes * MINUTE
        const { d, next } = attempt(input, counters, false, later, hash)
        expect(next.failedAttempts).toBe(1)
        expect(next.lockedAt !== null).toBe(lockout.maxAttempts === 1)
        expect(d.state).toBe(lockout.maxAttempts === 1 && lockout.showLockoutFailures ? 'LOCKED_OUT' : 'FAILED')
      }
    },
  )

  test.prop([arbUser, fc.integer({ min: 1, max: 8 }), arbTokenHash])('maxAttempts = 0 never locks', (user, failures, hash) => {
    const input = inputWith({
      user: { ...user, failedAttempts: 0, lockedAt: null },
      policy: withLockout({ maxAttempts: 0, autoUnlockMinutes: 0, showLockoutFailures: true }),
    })
    let counters: LockoutCounters = { failedAttempts: 0, lockedAt: null }
    for (let n = 1; n <= failures; n += 1) {
      const { d, next } = attempt(input, counters, false, T0 + n, hash)
      expect(d.state).toBe('FAILED')
      expect(next.lockedAt).toBeNull()
      counters = next
    }
  })

  it('a success resets the count (resetFailedAttempts), so failures must be consecutive', () => {
    const hash = 'A'.repeat(43)
    const input = inputWith({
      user: { ...inputWith().user, credentials: { ...inputWith().user.credentials, passwordHash: 'x', passwordChangedAt: T0 } },
      policy: withLockout({ maxAttempts: 3, autoUnlockMinutes: 0, showLockoutFailures: true }),
    })
    const states: string[] = []
    let counters: LockoutCounters = { failedAttempts: 0, lockedAt: null }
    for (const ok of [false, false, true, false, false, false]) {
      const { d, next } = attempt(input, counters, ok, T0 + states.length, hash)
      states.push(d.state)
      counters = next
    }
    expect(states).toEqual(['FAILED', 'FAILED', 'SUCCESS', 'FAILED', 'FAILED', 'LOCKED_OUT'])
  })

  test.prop([arbRun], { numRuns: 500 })(
    'step-up (spec §4.2, §4.3): an app that denies is never reached; one that asks for a factor is reached only after a factor, unless one was verified recently',
    (run) => {
      const v = visit(run)
      const app = v.run.input.stepUp ?? null
      if (app === null) return
      for (const i of intoSuccess(v)) {
        const c = v.decisions[i]?.snapshot.context
        if (c === undefined) throw new Error('out of range')
        expect(app.signOn.access).toBe('ALLOW')
        if (app.signOn.requireFactor && !app.factorFresh) expect(c.progress.mfaVerified || c.progress.enrolledHere).toBe(true)
      }
      if (app.signOn.access === 'DENY' && v.run.events[0]?.type === 'primary.verified' && !(v.run.input.lockedOut && v.run.input.policy.password.lockout.showLockoutFailures))
        expect(v.decisions[0]?.failure?.code).toBe('E0000004')
    },
  )

  test.prop([arbRun], { numRuns: 300 })('a step-up opened for a session (flow SESSION) never resets the failure counter on its primary step', (run) => {
    const v = visit(run)
    if (v.run.input.flow !== 'SESSION' || v.run.events[0]?.type !== 'primary.verified') return
    expect(v.decisions[0]?.effects.some((e) => e.type === 'resetFailedAttempts')).toBe(false)
  })
})
