import { describe, expect, it } from 'vitest'
import type { OrgSeed } from '@authn-machine/core'
import type { Driver, WireResponse } from './harness/driver.js'

/** A system under test for the credential-state suite: a seeded org behind a driver. */
export interface CredentialSystem {
  readonly driver: Driver & { readonly lifecycle: NonNullable<Driver['lifecycle']> }
  /**
   * How many guesses the system has checked so far against the stored hash of
   * {@link CREDENTIAL_PASSWORD} (`createCountingHasher().verifiesOf`): not against the dummy hash
   * that an unknown login or a locked account is verified against (ADR 0011).
   */
  readonly verifies: () => number
  readonly dispose?: () => Promise<void>
}

export interface CredentialSuiteOptions {
  /** A fresh system seeded with `seed` (dates in the seed are absolute). */
  readonly make: (seed: OrgSeed) => Promise<CredentialSystem>
  /** Parallel requests of the big burst (default 500, the checklist's figure). */
  readonly burst?: number
}

const NOW = Date.UTC(2026, 0, 1)
const DAY = 86_400_000
const iso = (ms: number) => new Date(ms).toISOString()
/** The password of the suite's users. */
export const CREDENTIAL_PASSWORD = 'Right-Passw0rd-1'
const PASSWORD = CREDENTIAL_PASSWORD

/** One org: an active user, one inside the password-warn window, a staged user with a token. */
const seed = (lockout: { maxAttempts: number; showLockoutFailures: boolean }): OrgSeed => ({
  users: [
    { id: '00ucredactive0000001', login: 'active@example.com', firstName: 'Ada', lastName: 'Byron', password: PASSWORD, passwordChanged: iso(NOW - DAY) },
    {
      id: '00ucredwarned0000001',
      login: 'warned@example.com',
      firstName: 'Wes',
      lastName: 'Warned',
      password: PASSWORD,
      passwordChanged: iso(NOW - 85 * DAY),
    },
    { id: '00ucredstaged0000001', login: 'staged@example.com', firstName: 'Stan', lastName: 'Staged', status: 'STAGED', activationToken: 'credential-suite-activation-0001' },
  ],
  policies: {
    password: {
      age: { maxAgeDays: 90, expireWarnDays: 10, minAgeMinutes: 0, historyCount: 1 },
      lockout: { maxAttempts: lockout.maxAttempts, autoUnlockMinutes: 0, showLockoutFailures: lockout.showLockoutFailures },
    },
  },
})

const bodyOf = (r: WireResponse): Record<string, unknown> => (typeof r.body === 'object' && r.body !== null ? (r.body as Record<string, unknown>) : {})
/** `200 STATUS` or `401 E0000004`. */
const answer = (r: WireResponse): string => (r.status === 200 ? `200 ${String(bodyOf(r)['status'])}` : `${r.status} ${String(bodyOf(r)['errorCode'])}`)
const counts = (rs: ReadonlyArray<WireResponse>): Record<string, number> => {
  const out: Record<string, number> = {}
  for (const r of rs) out[answer(r)] = (out[answer(r)] ?? 0) + 1
  return out
}

const signIn = (d: Driver, username: string, password: string, warn = false) =>
  d.authenticate({ username, password, ...(warn ? { options: { warnBeforePasswordExpired: true } } : {}) })

/** A live PASSWORD_EXPIRED transaction of `login`: an administrator expires the password, then a sign-in. */
const expiredTx = async (s: CredentialSystem, login: string, password: string): Promise<string> => {
  expect((await s.driver.lifecycle(login, 'expirePassword')).status).toBe(200)
  const r = await signIn(s.driver, login, password)
  expect(answer(r)).toBe('200 PASSWORD_EXPIRED')
  return String(bodyOf(r)['stateToken'])
}

/**
 * Credential state under concurrency (ASVS V6.3.1, V7.4.2; docs/adr/0008-credential-state.md),
 * through the engine over any adapter: every change of a user's credential state is decided
 * atomically with the step that causes it.
 */
export function describeCredentialState(name: string, o: CredentialSuiteOptions): void {
  const burst = o.burst ?? 500
  const withSystem = async (lockout: { maxAttempts: number; showLockoutFailures: boolean }, f: (s: CredentialSystem) => Promise<void>) => {
    const s = await o.make(seed(lockout))
    try {
      await f(s)
    } finally {
      await s.dispose?.()
    }
  }

  describe(`credential state (${name})`, () => {
    it(`${burst} parallel wrong passwords with maxAttempts 10: at most 10 verifications, every answer 401, the account ends locked`, () =>
      withSystem({ maxAttempts: 10, showLockoutFailures: false }, async (s) => {
        const before = s.verifies()
        const answers = await Promise.all(Array.from({ length: burst }, () => signIn(s.driver, 'active@example.com', 'Wrong-Passw0rd-1')))
        expect(s.verifies() - before).toBeLessThanOrEqual(10)
        expect(counts(answers)).toEqual({ '401 E0000004': burst })
        // Locked: the right password does not get in, and is not even checked against the account's hash.
        const v = s.verifies()
        expect(answer(await signIn(s.driver, 'active@example.com', PASSWORD))).toBe('401 E0000004')
        expect(s.verifies()).toBe(v)
        // An administrator's unlock goes through the same guarded path; then it gets in.
        expect((await s.driver.lifecycle('00ucredactive0000001', 'unlock')).status).toBe(200)
        expect(answer(await signIn(s.driver, 'active@example.com', PASSWORD))).toBe('200 SUCCESS')
      }))

    it('lockout shown: of 20 parallel wrong passwords (maxAttempts 5) exactly 4 are plain 401s and 16 LOCKED_OUT; then the right one is LOCKED_OUT', () =>
      withSystem({ maxAttempts: 5, showLockoutFailures: true }, async (s) => {
        const answers = await Promise.all(Array.from({ length: 20 }, () => signIn(s.driver, 'active@example.com', 'Wrong-Passw0rd-1')))
        expect(counts(answers)).toEqual({ '401 E0000004': 4, '200 LOCKED_OUT': 16 })
        expect(answer(await signIn(s.driver, 'active@example.com', PASSWORD))).toBe('200 LOCKED_OUT')
      }))

    it('29 parallel wrong passwords and the right one: the right one succeeds only if at most 4 failures were counted before it; the account ends locked', () =>
      withSystem({ maxAttempts: 5, showLockoutFailures: true }, async (s) => {
        const calls = Array.from({ length: 29 }, () => signIn(s.driver, 'active@example.com', 'Wrong-Passw0rd-1'))
        calls.push(signIn(s.driver, 'active@example.com', PASSWORD))
        const answers = await Promise.all(calls)
        const right = answer(answers[29] as WireResponse)
        const wrong = counts(answers.slice(0, 29))
        expect(['200 SUCCESS', '200 LOCKED_OUT']).toContain(right)
        if (right === '200 LOCKED_OUT') expect(wrong).toEqual({ '401 E0000004': 4, '200 LOCKED_OUT': 25 })
        else {
          // The success reset the counter: 4 plain failures at most before it, 4 after it, then locks.
          expect(wrong['401 E0000004'] ?? 0).toBeLessThanOrEqual(8)
          expect((wrong['401 E0000004'] ?? 0) + (wrong['200 LOCKED_OUT'] ?? 0)).toBe(29)
        }
        expect(answer(await signIn(s.driver, 'active@example.com', PASSWORD))).toBe('200 LOCKED_OUT')
      }))

    it('a lockout ends the live transactions of the user: skip after the lock answers 401 E0000011 and hands out no session token', () =>
      withSystem({ maxAttempts: 3, showLockoutFailures: false }, async (s) => {
        const warn = await signIn(s.driver, 'warned@example.com', PASSWORD, true)
        expect(answer(warn)).toBe('200 PASSWORD_WARN')
        for (let i = 0; i < 3; i++) await signIn(s.driver, 'warned@example.com', 'Wrong-Passw0rd-1')
        expect(answer(await s.driver.skip({ stateToken: bodyOf(warn)['stateToken'] }))).toBe('401 E0000011')
      }))

    it('every credential change ends the other live transactions of the user; the one that made it goes on', () =>
      withSystem({ maxAttempts: 10, showLockoutFailures: false }, async (s) => {
        const open = async () => {
          const r = await signIn(s.driver, 'warned@example.com', PASSWORD, true)
          expect(answer(r)).toBe('200 PASSWORD_WARN')
          return String(bodyOf(r)['stateToken'])
        }
        // A new password: the transaction that set it ends in SUCCESS, the other one is dead.
        const [a, b] = [await open(), await open()]
        const changed = await s.driver.changePassword({ stateToken: a, oldPassword: PASSWORD, newPassword: 'Brand-New-Passw0rd-2' })
        expect(answer(changed)).toBe('200 SUCCESS')
        expect(answer(await s.driver.skip({ stateToken: b }))).toBe('401 E0000011')
        // Suspend, unsuspend, deactivate: each ends what was live before it.
        for (const op of ['suspend', 'unsuspend', 'deactivate'] as const) {
          const live = op === 'unsuspend' ? null : await expiredTx(s, 'warned@example.com', 'Brand-New-Passw0rd-2')
          if (live !== null) expect(answer(await s.driver.authenticate({ stateToken: live }))).toBe('200 PASSWORD_EXPIRED')
          expect((await s.driver.lifecycle('warned@example.com', op)).status).toBe(200)
          if (live !== null) expect(answer(await s.driver.authenticate({ stateToken: live }))).toBe('401 E0000011')
          if (op === 'suspend') expect(answer(await signIn(s.driver, 'warned@example.com', 'Brand-New-Passw0rd-2'))).toBe('401 E0000004')
        }
        // Deactivated: cannot authenticate, with the same answer as a wrong password.
        expect(answer(await signIn(s.driver, 'warned@example.com', 'Brand-New-Passw0rd-2'))).toBe('401 E0000004')
      }))

    it('revokeSessions revokes the unredeemed session tokens of the user (not others\', not the new one); without it they stay; suspend revokes them', () =>
      withSystem({ maxAttempts: 10, showLockoutFailures: false }, async (s) => {
        const session = async (login: string, password: string) => String(bodyOf(await signIn(s.driver, login, password))['sessionToken'])
        const warnedTx = (password: string) => expiredTx(s, 'warned@example.com', password)
        const redeem = async (sessionToken: string) => (await s.driver.redeemSessionToken({ sessionToken })).status
        // Without revokeSessions: an earlier token of the user stays redeemable.
        const kept = await session('warned@example.com', PASSWORD)
        const plain = await s.driver.changePassword({ stateToken: await warnedTx(PASSWORD), oldPassword: PASSWORD, newPassword: 'Other-Passw0rd-3' })
        expect(answer(plain)).toBe('200 SUCCESS')
        expect(await redeem(kept)).toBe(200)
        // With it: the user's earlier token is revoked; another user's and the new one are not.
        const early = await session('warned@example.com', 'Other-Passw0rd-3')
        const others = await session('active@example.com', PASSWORD)
        const revoking = await s.driver.changePassword({
          stateToken: await warnedTx('Other-Passw0rd-3'),
          oldPassword: 'Other-Passw0rd-3',
          newPassword: 'Third-Passw0rd-5',
          revokeSessions: true,
        })
        expect(answer(revoking)).toBe('200 SUCCESS')
        expect(await redeem(early)).toBe(401)
        expect(await redeem(others)).toBe(200)
        expect(await redeem(String(bodyOf(revoking)['sessionToken']))).toBe(200)
        // Suspending revokes them too.
        const last = await session('active@example.com', PASSWORD)
        expect((await s.driver.lifecycle('active@example.com', 'suspend')).status).toBe(200)
        expect(await redeem(last)).toBe(401)
      }))

    it('an activation token opens one transaction: of two parallel redemptions one wins; after activation the token is dead', () =>
      withSystem({ maxAttempts: 10, showLockoutFailures: false }, async (s) => {
        const token = 'credential-suite-activation-0001'
        const both = await Promise.all([s.driver.authenticate({ token }), s.driver.authenticate({ token })])
        expect(counts(both)).toEqual({ '200 PASSWORD_RESET': 1, '401 E0000004': 1 })
        const holder = String(bodyOf(both.find((r) => r.status === 200) as WireResponse)['stateToken'])
        // While the holder lives, the token opens nothing else.
        expect(answer(await s.driver.authenticate({ token }))).toBe('401 E0000004')
        const reset = await s.driver.resetPassword({ stateToken: holder, newPassword: 'Chosen-Passw0rd-4' })
        expect(answer(reset)).toBe('200 SUCCESS')
        // Activation completed: the token is dead, and a second holder cannot overwrite the password.
        expect(answer(await s.driver.authenticate({ token }))).toBe('401 E0000004')
        expect(answer(await signIn(s.driver, 'staged@example.com', 'Chosen-Passw0rd-4'))).toBe('200 SUCCESS')
      }))

    it('a cancelled activation transaction frees the token', () =>
      withSystem({ maxAttempts: 10, showLockoutFailures: false }, async (s) => {
        const token = 'credential-suite-activation-0001'
        const first = await s.driver.authenticate({ token })
        expect(answer(first)).toBe('200 PASSWORD_RESET')
        expect((await s.driver.cancel({ stateToken: bodyOf(first)['stateToken'] })).status).toBe(200)
        expect(answer(await s.driver.authenticate({ token }))).toBe('200 PASSWORD_RESET')
      }))
  })
}
