import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import {
  CAUSES,
  DEFAULT_POLICIES,
  decide,
  describeComplexity,
  isWithinMinimumAge,
  meetsPasswordPolicy,
  passwordFeatures,
  type PasswordCandidate,
  type PasswordPolicy,
} from '../src/index.js'
import { MINUTE, T0, arbAge, arbCandidate, arbComplexity, arbContext, arbLockout, arbTokenHash, strongCandidate } from './arbitraries.js'
import { snapshotOf } from './helpers.js'
import { modelMeets } from './model.js'

const user = { login: 'dade.murphy@example.com', firstName: 'Dade', lastName: 'Murphy' }
const arbPolicy: fc.Arbitrary<PasswordPolicy> = fc.record({ complexity: arbComplexity, age: arbAge, lockout: arbLockout })

const CLASSES = {
  lowerCase: fc.constantFrom(...'abcxyzßéø'.split('')),
  upperCase: fc.constantFrom(...'ABCXYZÉØ'.split('')),
  numbers: fc.constantFrom(...'0123456789'.split('')),
  symbols: fc.constantFrom(...'!"#$%&()*+,-./:;<=>?@[]^_{|}~€'.split('')),
} as const

describe('passwordFeatures', () => {
  test.prop([fc.string({ unit: 'grapheme', maxLength: 40 })])('class counts sum to at most the length', (pw) => {
    const f = passwordFeatures(pw, user, false)
    expect(f.lowerCase + f.upperCase + f.numbers + f.symbols).toBeLessThanOrEqual(f.length)
    expect(f.length).toBe([...pw].length)
  })

  test.prop([fc.string({ maxLength: 30 }), fc.constantFrom(...(Object.keys(CLASSES) as Array<keyof typeof CLASSES>)).chain((k) => CLASSES[k].map((ch) => [k, ch] as const))])(
    'adding a character of a class increments that class (and the length) only',
    (pw, [cls, ch]) => {
      const before = passwordFeatures(pw, user, false)
      const after = passwordFeatures(pw + ch, user, false)
      const counts = (f: PasswordCandidate) => ({ length: f.length, lowerCase: f.lowerCase, upperCase: f.upperCase, numbers: f.numbers, symbols: f.symbols })
      expect(counts(after)).toEqual({ ...counts(before), length: before.length + 1, [cls]: before[cls] + 1 })
    },
  )

  it('counts an example', () => {
    expect(passwordFeatures('Abc123!!x', user, true)).toEqual({
      length: 9,
      lowerCase: 3,
      upperCase: 1,
      numbers: 3,
      symbols: 2,
      containsUsernamePart: false,
      containsFirstName: false,
      containsLastName: false,
      reusesHistory: true,
    })
  })

  it.each([
    ['xxdade1!', true],
    ['MURPHYxx', true],
    ['example!', true],
    ['zzCOMzz', true],
    ['dade.murphy@example.comZ', true],
    ['Dad3.mur', false],
  ])('finds parts of the username in %s: %s', (pw, found) => {
    expect(passwordFeatures(pw, user, false).containsUsernamePart).toBe(found)
  })

  test.prop([fc.constantFrom('.', ',', '-', '_', '#', '@', '+'), fc.string({ unit: fc.constantFrom('q', 'w', 'k'), minLength: 3, maxLength: 6 }), fc.string({ unit: fc.constantFrom('j', 'v'), minLength: 1, maxLength: 2 })])(
    'splits the login on . , - _ # @ + and ignores parts shorter than 3',
    (sep, long, short) => {
      const u = { login: `${short}${sep}${long}`, firstName: 'Ann', lastName: 'Lee' }
      expect(passwordFeatures(`Z9${long.toUpperCase()}9Z`, u, false).containsUsernamePart).toBe(true)
      expect(passwordFeatures(`Z9${short}9Z`, u, false).containsUsernamePart).toBe(false)
    },
  )

  it('looks for the first and last names (3 characters or more)', () => {
    expect(passwordFeatures('xxDADExx', user, false).containsFirstName).toBe(true)
    expect(passwordFeatures('xxmurphy', user, false).containsLastName).toBe(true)
    expect(passwordFeatures('xxLixx', { ...user, lastName: 'Li' }, false).containsLastName).toBe(false)
  })
})

describe('meetsPasswordPolicy', () => {
  test.prop([arbPolicy, arbCandidate])('is every rule at once', (p, c) => {
    expect(meetsPasswordPolicy(p, c)).toBe(modelMeets(p, c))
  })

  test.prop([arbPolicy])('a long varied fresh candidate meets any policy above', (p) => {
    expect(meetsPasswordPolicy(p, strongCandidate)).toBe(true)
  })

  it('the default policy', () => {
    const check = (pw: string) => meetsPasswordPolicy(DEFAULT_POLICIES.password, passwordFeatures(pw, user, false))
    expect(check('Sup3rSecret')).toBe(true)
    expect(check('sup3rsecret')).toBe(false)
    expect(check('Sup3rS')).toBe(false)
    expect(check('SuperSecret')).toBe(false)
    expect(check('Murphy123abc')).toBe(false)
    expect(meetsPasswordPolicy(DEFAULT_POLICIES.password, passwordFeatures('Sup3rSecret', user, true))).toBe(false)
  })
})

describe('minimum age', () => {
  test.prop([arbPolicy, fc.integer({ min: 1, max: 2880 }), fc.integer({ min: 0, max: 3000 * MINUTE })])(
    'a password changed less than minAgeMinutes ago may not change',
    (p, minAge, elapsed) => {
      const policy = { ...p, age: { ...p.age, minAgeMinutes: minAge } }
      expect(isWithinMinimumAge(policy, T0, T0 + elapsed)).toBe(elapsed < minAge * MINUTE)
      expect(isWithinMinimumAge(policy, null, T0 + elapsed)).toBe(false)
      expect(isWithinMinimumAge({ ...p, age: { ...p.age, minAgeMinutes: 0 } }, T0, T0 + elapsed)).toBe(false)
    },
  )
})

describe('describeComplexity', () => {
  it('the default policy', () => {
    expect(describeComplexity(DEFAULT_POLICIES.password)).toBe(
      'Passwords must have at least 8 characters, a lowercase letter, an uppercase letter, a number, no parts of your username, Your password cannot be any of your last 4 passwords.',
    )
  })

  it('counts above one, symbols, names, no history', () => {
    const p: PasswordPolicy = {
      ...DEFAULT_POLICIES.password,
      complexity: { minLength: 12, minLowerCase: 2, minUpperCase: 1, minNumber: 3, minSymbol: 1, excludeUsername: false, excludeAttributes: ['firstName', 'lastName'] },
      age: { ...DEFAULT_POLICIES.password.age, historyCount: 0 },
    }
    expect(describeComplexity(p)).toBe(
      'Passwords must have at least 12 characters, 2 lowercase letters, an uppercase letter, 3 numbers, a symbol, does not include your first name, does not include your last name.',
    )
  })

  test.prop([arbPolicy])('is one sentence listing exactly the rules in force', (p) => {
    const s = describeComplexity(p)
    expect(s.startsWith('Passwords must have ')).toBe(true)
    expect(s.endsWith('.')).toBe(true)
    expect(s.includes('no parts of your username')).toBe(p.complexity.excludeUsername)
    expect(s.includes(`at least ${p.complexity.minLength} characters`)).toBe(p.complexity.minLength > 0)
    expect(s.includes(`last ${p.age.historyCount} passwords`)).toBe(p.age.historyCount > 0)
  })
})

describe('password change errors (spec §4.5)', () => {
  const arbChange = (overrides: { oldPasswordValid: boolean; candidate: PasswordCandidate; hash: string | null }) =>
    fc.tuple(arbContext, arbTokenHash, fc.constantFrom('PASSWORD_WARN' as const, 'PASSWORD_EXPIRED' as const)).map(([c, sessionTokenHash, state]) => ({
      state,
      context: { ...c, policy: { ...c.policy, password: { ...c.policy.password, age: { ...c.policy.password.age, minAgeMinutes: 0 } } } },
      event: {
        type: 'password.change' as const,
        now: T0,
        oldPasswordValid: overrides.oldPasswordValid,
        candidate: overrides.candidate,
        newPasswordHash: overrides.hash,
        revokeSessions: false,
        sessionTokenHash,
      },
    }))

  test.prop([arbChange({ oldPasswordValid: false, candidate: strongCandidate, hash: 'h' })])(
    'a wrong old password is E0000014 "oldPassword: The credentials provided were incorrect."',
    ({ state, context, event }) => {
      const d = decide(snapshotOf(state, context), event)
      expect(d.failure).toEqual({ code: 'E0000014', causes: [CAUSES.oldPasswordIncorrect] })
      expect(CAUSES.oldPasswordIncorrect).toBe('oldPassword: The credentials provided were incorrect.')
      expect(d.state).toBe(state)
      expect(d.effects).toEqual([])
    },
  )

  test.prop([arbChange({ oldPasswordValid: true, candidate: { ...strongCandidate, length: 1, reusesHistory: true }, hash: 'h' })])(
    'a policy violation is E0000080 with the rules as the cause',
    ({ state, context, event }) => {
      const d = decide(snapshotOf(state, context), event)
      fc.pre(!meetsPasswordPolicy(context.policy.password, event.candidate))
      expect(d.failure).toEqual({ code: 'E0000080', causes: [describeComplexity(context.policy.password)] })
      expect(d.state).toBe(state)
    },
  )

  test.prop([arbChange({ oldPasswordValid: true, candidate: strongCandidate, hash: null })])(
    'a candidate refused before hashing (no hash) is E0000080 too',
    ({ state, context, event }) => {
      expect(decide(snapshotOf(state, context), event).failure?.code).toBe('E0000080')
    },
  )

  it('minimum age: E0000080 with the minimum-age cause in PASSWORD_WARN', () => {
    const [c] = fc.sample(arbContext, { numRuns: 1, seed: 7 })
    if (c === undefined) throw new Error('no sample')
    const context = {
      ...c,
      user: { ...c.user, passwordChangedAt: T0 - MINUTE },
      policy: { ...c.policy, password: { ...c.policy.password, age: { ...c.policy.password.age, minAgeMinutes: 60 } } },
    }
    const d = decide(snapshotOf('PASSWORD_WARN', context), {
      type: 'password.change',
      now: T0,
      oldPasswordValid: true,
      candidate: strongCandidate,
      newPasswordHash: 'h',
      revokeSessions: false,
      sessionTokenHash: 'A'.repeat(43) as never,
    })
    expect(d.failure).toEqual({ code: 'E0000080', causes: ['Password cannot be changed more than once every 60 minutes.'] })
  })
})
