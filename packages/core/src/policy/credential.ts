import { asUserId, type EpochMs } from '../model/ids.js'
import type { LockoutPolicy } from '../model/policy.js'
import type { UserRecord } from '../model/user.js'
import type { AttemptOutcome, UserChange } from '../ports/step-store.js'
import { isLockedAt, nextLockoutState } from './lockout.js'

/**
 * Pure rules of a user's credential state, stated once: adapter-memory applies them as they are,
 * adapter-postgres states the same in SQL, and the StepStore conformance suite checks both
 * against these functions.
 */

/** How many decoys the unknown logins share (docs/adr/0011-indistinguishable-users.md). */
export const DECOY_COUNT = 256

/**
 * The id of the decoy that an unknown login's attempts are written to instead of a user's row
 * (`StepStore.reserveAttempt`, `settleUnknown`): `decoy:0` to `decoy:255`, by FNV-1a of the login
 * key (NFC, lower case), so that a login, in any case, always meets the same decoy, as a user's
 * attempts always meet the same row.
 */
export const decoyOf = (login: string): string => {
  let h = 0x811c9dc5
  for (const c of login.normalize('NFC').toLowerCase()) h = Math.imul(h ^ (c.codePointAt(0) ?? 0), 0x01000193)
  return `decoy:${(h >>> 0) % DECOY_COUNT}`
}

/**
 * An active user with no password, no factors and nothing counted: what the engine decides an
 * unknown login as, and what a decoy starts from (docs/adr/0011-indistinguishable-users.md).
 */
export const blankUser = (id: string, login = ''): UserRecord => ({
  schemaVersion: 1,
  id: asUserId(id),
  status: 'ACTIVE',
  profile: { login, firstName: '', lastName: '' },
  credentials: { passwordHash: null, passwordChangedAt: null, passwordHistory: [], recoveryQuestion: null },
  failedAttempts: 0,
  lockedAt: null,
  activationTokenHash: null,
  activationClaim: null,
  credentialEpoch: 0,
  rememberedDevices: [],
})

/** A lease is live at `now` while `now < until`. */
export const isLeaseLive = (until: EpochMs, now: EpochMs): boolean => now < until

/** Pure: the user after one credential change. Statuses a change does not apply to are kept. */
export const applyUserChange = (u: UserRecord, c: UserChange): UserRecord => {
  switch (c.type) {
    case 'setPassword': {
      const status = u.status === 'PASSWORD_EXPIRED' ? 'ACTIVE' : u.status
      const keep = Math.max(0, c.historyCount - 1)
      const history = u.credentials.passwordHash === null ? u.credentials.passwordHistory : [u.credentials.passwordHash, ...u.credentials.passwordHistory]
      return {
        ...u,
        status,
        credentials: { ...u.credentials, passwordHash: c.passwordHash, passwordChangedAt: c.changedAt, passwordHistory: history.slice(0, keep) },
      }
    }
    case 'activate':
      return {
        ...u,
        status: u.status === 'STAGED' || u.status === 'PROVISIONED' ? 'ACTIVE' : u.status,
        activationTokenHash: null,
        activationClaim: null,
      }
    case 'lock':
      return { ...u, lockedAt: c.at }
    case 'unlock':
      return { ...u, failedAttempts: 0, lockedAt: null, status: u.status === 'LOCKED_OUT' ? 'ACTIVE' : u.status }
    case 'suspend':
      return SUSPENDABLE.includes(u.status) ? { ...u, status: 'SUSPENDED' } : u
    case 'unsuspend':
      return u.status === 'SUSPENDED' ? { ...u, status: 'ACTIVE' } : u
    case 'deactivate':
      return { ...u, status: 'DEPROVISIONED', activationTokenHash: null, activationClaim: null }
    case 'expirePassword':
      return u.status === 'ACTIVE' ? { ...u, status: 'PASSWORD_EXPIRED' } : u
  }
}

const SUSPENDABLE: ReadonlyArray<UserRecord['status']> = ['ACTIVE', 'PASSWORD_EXPIRED', 'LOCKED_OUT', 'RECOVERY']

/** Whether a change moves the credential epoch (every change but expiring the password does). */
export const changeMovesEpoch = (c: UserChange): boolean => c.type !== 'expirePassword'

/** Whether a change revokes the user's unredeemed session tokens. */
export const changeRevokesSessions = (c: UserChange): boolean =>
  c.type === 'lock' || c.type === 'suspend' || c.type === 'deactivate'

/** Is the account locked at `now` under `lockout` (an expired automatic lock is no lock)? */
export const lockedNow = (u: Pick<UserRecord, 'lockedAt'>, lockout: LockoutPolicy, now: EpochMs): boolean =>
  isLockedAt(lockout, u.lockedAt, now)

/**
 * Pure: the counters after an attempt's outcome, or `locked` when a success finds the account
 * locked at `now` (the success is refused and nothing but the lease changes). `locks`: this
 * failure locked the account, so the write also moves the credential epoch and revokes the user's
 * unredeemed session tokens (a lock ends everything that is live).
 */
export const settleAttempt = (
  u: UserRecord,
  outcome: AttemptOutcome,
  now: EpochMs,
): { readonly user: UserRecord; readonly locks: boolean } | 'locked' => {
  switch (outcome.type) {
    case 'release':
      return { user: u, locks: false }
    case 'success':
      if (lockedNow(u, outcome.lockout, now)) return 'locked'
      return { user: { ...u, failedAttempts: 0, lockedAt: null, status: u.status === 'LOCKED_OUT' ? 'ACTIVE' : u.status }, locks: false }
    case 'failure': {
      const wasLocked = lockedNow(u, outcome.lockout, now)
      const next = nextLockoutState(u, outcome.lockout, now)
      return { user: { ...u, ...next }, locks: !wasLocked && next.lockedAt !== null }
    }
  }
}
