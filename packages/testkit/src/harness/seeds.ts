import type { OrgSeed } from '@authn-machine/core'

const DAY = 86_400_000
const iso = (ms: number) => new Date(ms).toISOString()

const users = (now: number, maxAgeDays: number, warnDays: number) => [
  {
    login: 'alice@example.com',
    firstName: 'Alice',
    lastName: 'Liddell',
    password: 'Wonder-Land1',
    passwordChanged: iso(now - DAY),
    recoveryQuestion: { question: 'Who is at the tea party?', answer: 'The March Hare' },
  },
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
  {
    login: 'erin@example.com',
    firstName: 'Erin',
    lastName: 'Brockovich',
    password: 'Hinkley-Water1',
    status: 'LOCKED_OUT' as const,
    recoveryQuestion: { question: 'Which town?', answer: 'Hinkley' },
  },
  { login: 'frank.new@example.com', firstName: 'Frank', lastName: 'Poole', status: 'STAGED' as const, activationToken: 'activate-frank-0123456789' },
  { login: 'grace@example.com', firstName: 'Grace', lastName: 'Hopper', status: 'STAGED' as const, password: 'Cobol-Rules-59', activationToken: 'activate-grace-0123456789' },
]

/** A primary email other than the login: an email factor's address, which no response may show unmasked. */
const withEmail = <U extends { readonly login: string }>(u: U) => ({ ...u, email: u.login.replace('@example.com', '@mail.example.net') })

/**
 * Orgs the harness runs against, with dates relative to `now`: lockout shown and hidden, history
 * and minimum-age rules on and off, factors that send codes (SMS, voice call, email) seeded and
 * enrolled, with a short code lifetime and few attempts in one org; recovery as Okta ships it
 * (email only, no self-service unlock), with unlock and no question, and by every channel with
 * few answers allowed. The same JSON (written to a file) seeds the reference server.
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
      // Step-up (spec §4.2, §4.3): an app that lets everyone in, one that denies, one switched off.
      apps: [
        { id: '0oaharnessopen00001', name: 'salesforce', label: 'Corporate SFDC', protocol: 'SAML2.0', returnUrl: 'https://sfdc.example.com/saml/acs' },
        { id: '0oaharnessdeny00001', name: 'payroll', label: 'Payroll', protocol: 'WS-FED', returnUrl: 'https://payroll.example.com/wsfed', signOn: { access: 'DENY' } },
        { id: '0oaharnessoff000001', name: 'legacy', label: 'Legacy', protocol: 'SAML1.1', returnUrl: 'https://legacy.example.com/', status: 'INACTIVE' },
      ],
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
        // Self-service unlock by email, straight to the new password or the unlock (no question).
        recovery: { selfServiceUnlock: true, questionRequired: false },
      },
    },
  },
  {
    name: 'MFA: seeded TOTP, question, SMS and email, question required, TOTP and email optional',
    seed: {
      users: users(now, 90, 10).map((u) =>
        u.login === 'alice@example.com'
          ? { ...u, factors: [{ id: 'uftalice00000000001', factorType: 'token:software:totp' as const, provider: 'GOOGLE' as const, secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ' }] }
          : u.login === 'bob.warned@example.com'
            ? withEmail({
                ...u,
                factors: [
                  { id: 'ufsbob0000000000001', factorType: 'question' as const, provider: 'OKTA' as const, question: 'first_award', answer: 'Spelling bee' },
                  // To the primary email: a code, or the question, whichever the client picks.
                  { id: 'emfbob0000000000002', factorType: 'email' as const, provider: 'OKTA' as const },
                ],
              })
            : u.login === 'carol@example.com'
              ? // An expired password behind an SMS: the code first, then the new password.
                withEmail({ ...u, factors: [{ id: 'mblcarol00000000001', factorType: 'sms' as const, provider: 'OKTA' as const, phoneNumber: '+16505550199' }] })
              : withEmail(u),
      ),
      policies: {
        password: { age: { maxAgeDays: 90, expireWarnDays: 10, minAgeMinutes: 0, historyCount: 1 }, lockout: { maxAttempts: 4, autoUnlockMinutes: 0, showLockoutFailures: false } },
        signOn: { requireFactor: true },
        enrollment: {
          factors: [
            { factorType: 'question', provider: 'OKTA', enroll: 'REQUIRED' },
            { factorType: 'token:software:totp', provider: 'OKTA', enroll: 'OPTIONAL' },
            { factorType: 'token:software:totp', provider: 'GOOGLE', enroll: 'NOT_ALLOWED' },
            { factorType: 'email', provider: 'OKTA', enroll: 'OPTIONAL' },
            { factorType: 'call', provider: 'OKTA', enroll: 'NOT_ALLOWED' },
            // Enrolled and verified with a software authenticator (docs/adr/0029-challenge-factors.md).
            { factorType: 'webauthn', provider: 'FIDO', enroll: 'OPTIONAL' },
            // Push with number matching, answered by the harness's own device (docs/adr/0031-push.md).
            { factorType: 'push', provider: 'OKTA', enroll: 'OPTIONAL' },
          ],
        },
      },
      // An app that asks for a factor itself: a step-up to it goes through MFA before `original`.
      apps: [
        {
          id: '0oaharnessmfa000001',
          name: 'vault',
          label: 'Vault',
          protocol: 'SAML2.0',
          returnUrl: 'https://vault.example.com/sso',
          signOn: { requireFactor: true, factorLifetimeMinutes: 0 },
        },
      ],
    },
  },
  {
    name: 'MFA required by sign-on policy: SMS required, call and email optional, codes short-lived',
    seed: {
      users: [
        ...users(now, 90, 10),
        // No factor yet: straight to the SMS enrollment.
        { login: 'heidi@example.com', firstName: 'Heidi', lastName: 'Lamarr', password: 'Frequency-Hop42', passwordChanged: iso(now - DAY) },
      ].map((u) =>
        withEmail(
          u.login === 'alice@example.com'
            ? { ...u, factors: [{ id: 'mblalice00000000001', factorType: 'sms' as const, provider: 'OKTA' as const, phoneNumber: '+14155551337' }] }
            : u.login === 'bob.warned@example.com'
              ? {
                  ...u,
                  factors: [
                    { id: 'clfbob0000000000001', factorType: 'call' as const, provider: 'OKTA' as const, phoneNumber: '+13125550101' },
                    { id: 'emfbob0000000000001', factorType: 'email' as const, provider: 'OKTA' as const },
                  ],
                }
              : u,
        ),
      ),
      policies: {
        password: { age: { maxAgeDays: 90, expireWarnDays: 10, minAgeMinutes: 0, historyCount: 1 }, lockout: { maxAttempts: 6, autoUnlockMinutes: 0, showLockoutFailures: false } },
        signOn: { requireFactor: true },
        enrollment: {
          factors: [
            { factorType: 'sms', provider: 'OKTA', enroll: 'REQUIRED' },
            { factorType: 'call', provider: 'OKTA', enroll: 'OPTIONAL' },
            { factorType: 'email', provider: 'OKTA', enroll: 'OPTIONAL' },
            { factorType: 'webauthn', provider: 'FIDO', enroll: 'OPTIONAL' },
          ],
        },
        // A code lives one minute and allows two wrong answers: expiry and exhaustion come up often.
        sentCode: { lifetimeMinutes: 1, maxAttempts: 2 },
        // Recovery by every channel, self-service unlock, two wrong answers end it.
        recovery: { channels: { email: true, sms: true, call: true }, selfServiceUnlock: true, maxAnswerAttempts: 2, recoveryTokenLifetimeMinutes: 30 },
      },
    },
  },
]
