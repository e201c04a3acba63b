import type { LockoutPolicy } from '../model/policy.js'

const MINUTE = 60_000

/** Pure: is an account that was locked at `lockedAt` still locked at `now`? */
export const isLockedAt = (policy: LockoutPolicy, lockedAt: number | null, now: number): boolean =>
  lockedAt !== null && (policy.autoUnlockMinutes === 0 || now < lockedAt + policy.autoUnlockMinutes * MINUTE)

/** Pure: does one more failure, after `failedAttempts` earlier ones, lock the account? */
export const failureLocks = (policy: LockoutPolicy, failedAttempts: number): boolean =>
  policy.maxAttempts > 0 && failedAttempts + 1 >= policy.maxAttempts

export interface LockoutCounters {
  readonly failedAttempts: number
  readonly lockedAt: number | null
}

/**
 * Pure: the counters after one more failed primary authentication at `now`. A locked account does
 * not count further; an account whose lock has expired starts over at one.
 */
export const nextLockoutState = (current: LockoutCounters, policy: LockoutPolicy, now: number): LockoutCounters => {
  if (isLockedAt(policy, current.lockedAt, now)) return current
  const failedAttempts = (current.lockedAt !== null ? 0 : current.failedAttempts) + 1
  return { failedAttempts, lockedAt: policy.maxAttempts > 0 && failedAttempts >= policy.maxAttempts ? now : null }
}

/** Pure: the counters as they count at `now` (an expired lock counts as no lock and no failures). */
export const effectiveLockout = (
  current: LockoutCounters,
  policy: LockoutPolicy,
  now: number,
): { readonly lockedOut: boolean; readonly failedAttempts: number } =>
  isLockedAt(policy, current.lockedAt, now)
    ? { lockedOut: true, failedAttempts: current.failedAttempts }
    : { lockedOut: false, failedAttempts: current.lockedAt !== null ? 0 : current.failedAttempts }
