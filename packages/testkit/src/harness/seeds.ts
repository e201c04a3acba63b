import type { OrgSeed } from '@authn-machine/core'

const DAY = 86_400_000
const iso = (ms: number) => new Date(ms).toISOString()

const users = (now: number, maxAgeDays: number, warnDays: number) => [
  { login: 'alice@example.com', firstName: 'Alice', lastName: 'Liddell', password: 'Wonder-Land1', passwordChanged: iso(now - DAY) },
  {
    login: 'bob.warned@example.com',
    firstName: 'Bob',
    lastName: 'Builder',
    password: 'Can-We-Fix1t',
    // Inside the warn window: expires in about half the warn period.
    passwordChanged: iso(now - maxAgeDays * DAY + (warnDays * DAY) / 2),
  },
  { login: 'carol@example.com', firstName: 'Carol', lastName: 'Danvers', password: 'Higher-Further1', status: 'PASSWORD_EXPIRED' as const },
  { login: 'dave.old@example.com', firstName: 'Dave', lastName: 'Lister', password: 'Red-Dwarf-3000', passwordChanged: iso(now - (maxAgeDays + 10) * DAY) },
  { login: 'erin@example.com', firstName: 'Erin', lastName: 'Brockovich', password: 'Hinkley-Water1', status: 'LOCKED_OUT' as const },
  { login: 'frank.new@example.com', firstName: 'Frank', lastName: 'Poole', status: 'STAGED' as const, activationToken: 'activate-frank-0123456789' },
  { login: 'grace@example.com', firstName: 'Grace', lastName: 'Hopper', status: 'STAGED' as const, password: 'Cobol-Rules-59', activationToken: 'activate-grace-0123456789' },
]

/**
 * Orgs the harness runs against, with dates relative to `now`: lockout shown and hidden, history
 * and minimum-age rules on and off. The same JSON (written to a file) seeds the reference server.
 */
export const harnessSeeds = (now: number): ReadonlyArray<{ readonly name: string; readonly seed: OrgSeed }> => [
  {
    name: 'lockout hidden, history 3',
    seed: {
      users: users(now, 90, 10),
      policies: {
        password: {
          age: { maxAgeDays: 90, expireWarnDays: 10, minAgeMinutes: 0, historyCount: 3 },
          lockout: { maxAttempts: 3, autoUnlockMinutes: 30, showLockoutFailures: false },
        },
      },
    },
  },
  {
    name: 'lockout shown, no auto-unlock, minimum age',
    seed: {
      users: users(now, 2, 1).map((u) => (u.login === 'bob.warned@example.com' ? { ...u, passwordChanged: iso(now - DAY - 30 * 60_000) } : u)),
      policies: {
        password: {
          complexity: { minLength: 10, minSymbol: 1, excludeAttributes: ['firstName', 'lastName'] },
          age: { maxAgeDays: 2, expireWarnDays: 1, minAgeMinutes: 24 * 60 + 60, historyCount: 0 },
          lockout: { maxAttempts: 2, autoUnlockMinutes: 0, showLockoutFailures: true },
        },
      },
    },
  },
  {
    name: 'MFA: seeded TOTP and question, question required, TOTP optional',
    seed: {
      users: users(now, 90, 10).map((u) =>
        u.login === 'alice@example.com'
          ? { ...u, factors: [{ id: 'uftalice00000000001', factorType: 'token:software:totp' as const, provider: 'GOOGLE' as const, secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ' }] }
          : u.login === 'bob.warned@example.com'
            ? { ...u, factors: [{ id: 'ufsbob0000000000001', factorType: 'question' as const, provider: 'OKTA' as const, question: 'first_award', answer: 'Spelling bee' }] }
            : u,
      ),
      policies: {
        password: { age: { maxAgeDays: 90, expireWarnDays: 10, minAgeMinutes: 0, historyCount: 1 }, lockout: { maxAttempts: 4, autoUnlockMinutes: 0, showLockoutFailures: false } },
        signOn: { requireFactor: true },
        enrollment: {
          factors: [
            { factorType: 'question', provider: 'OKTA', enroll: 'REQUIRED' },
            { factorType: 'token:software:totp', provider: 'OKTA', enroll: 'OPTIONAL' },
            { factorType: 'token:software:totp', provider: 'GOOGLE', enroll: 'NOT_ALLOWED' },
          ],
        },
      },
    },
  },
  {
    name: 'MFA required by sign-on policy',
    seed: {
      users: users(now, 90, 10).map((u) =>
        u.login === 'alice@example.com' ? { ...u, factors: [{ factorType: 'sms' as const, provider: 'OKTA' as const, phoneNumber: '+14155551337' }] } : u,
      ),
      policies: {
        password: { age: { maxAgeDays: 90, expireWarnDays: 10, minAgeMinutes: 0, historyCount: 1 } },
        signOn: { requireFactor: true },
        enrollment: { factors: [{ factorType: 'sms', provider: 'OKTA', enroll: 'REQUIRED' }] },
      },
    },
  },
]
