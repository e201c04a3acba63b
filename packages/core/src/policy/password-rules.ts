import type { PasswordPolicy } from '../model/policy.js'

const MINUTE = 60_000
export const DAY = 86_400_000

/**
 * What the rules need to know about a candidate password, computed from the plaintext by
 * {@link passwordFeatures}. The plaintext itself never enters a machine or a log.
 */
export interface PasswordCandidate {
  readonly length: number
  readonly lowerCase: number
  readonly upperCase: number
  readonly numbers: number
  readonly symbols: number
  readonly containsUsernamePart: boolean
  readonly containsFirstName: boolean
  readonly containsLastName: boolean
  /** The candidate matches the current password or one of the last `historyCount - 1` earlier ones. */
  readonly reusesHistory: boolean
}

/** Okta splits a login on these characters when it looks for "parts of your username". */
const USERNAME_DELIMITERS = /[.,\-_#@+]/

const containsFolded = (haystack: string, needle: string): boolean =>
  needle.length >= 3 && haystack.toLowerCase().includes(needle.toLowerCase())

/** Pure: the features of `password` that the complexity rules look at. */
export const passwordFeatures = (
  password: string,
  user: { readonly login: string; readonly firstName: string; readonly lastName: string },
  reusesHistory: boolean,
): PasswordCandidate => {
  let lowerCase = 0
  let upperCase = 0
  let numbers = 0
  let symbols = 0
  let length = 0
  for (const ch of password) {
    length += 1
    if (/\p{Ll}/u.test(ch)) lowerCase += 1
    else if (/\p{Lu}/u.test(ch)) upperCase += 1
    else if (/\p{Nd}/u.test(ch)) numbers += 1
    else if (/[\p{P}\p{S}]/u.test(ch)) symbols += 1
  }
  const parts = [user.login, ...user.login.split(USERNAME_DELIMITERS)]
  return {
    length,
    lowerCase,
    upperCase,
    numbers,
    symbols,
    containsUsernamePart: parts.some((p) => containsFolded(password, p)),
    containsFirstName: containsFolded(password, user.firstName),
    containsLastName: containsFolded(password, user.lastName),
    reusesHistory,
  }
}

const plural = (n: number, one: string, many: string) => (n === 1 ? one : `${n} ${many}`)

/** Okta's one-sentence description of a complexity policy, used as the error cause. */
export const describeComplexity = (policy: PasswordPolicy): string => {
  const c = policy.complexity
  const rules: string[] = []
  if (c.minLength > 0) rules.push(`at least ${c.minLength} characters`)
  if (c.minLowerCase > 0) rules.push(plural(c.minLowerCase, 'a lowercase letter', 'lowercase letters'))
  if (c.minUpperCase > 0) rules.push(plural(c.minUpperCase, 'an uppercase letter', 'uppercase letters'))
  if (c.minNumber > 0) rules.push(plural(c.minNumber, 'a number', 'numbers'))
  if (c.minSymbol > 0) rules.push(plural(c.minSymbol, 'a symbol', 'symbols'))
  if (c.excludeUsername) rules.push('no parts of your username')
  if (c.excludeAttributes.includes('firstName')) rules.push('does not include your first name')
  if (c.excludeAttributes.includes('lastName')) rules.push('does not include your last name')
  if (policy.age.historyCount > 0)
    rules.push(`Your password cannot be any of your last ${policy.age.historyCount} passwords`)
  return `Passwords must have ${rules.length === 0 ? 'any content' : rules.join(', ')}.`
}

/** Pure: does the candidate meet the policy's complexity and history rules? */
export const meetsPasswordPolicy = (policy: PasswordPolicy, c: PasswordCandidate): boolean => {
  const x = policy.complexity
  return (
    c.length >= x.minLength &&
    c.lowerCase >= x.minLowerCase &&
    c.upperCase >= x.minUpperCase &&
    c.numbers >= x.minNumber &&
    c.symbols >= x.minSymbol &&
    !(x.excludeUsername && c.containsUsernamePart) &&
    !(x.excludeAttributes.includes('firstName') && c.containsFirstName) &&
    !(x.excludeAttributes.includes('lastName') && c.containsLastName) &&
    !(policy.age.historyCount > 0 && c.reusesHistory)
  )
}

/** Pure: the password was changed less than `minAgeMinutes` ago. */
export const isWithinMinimumAge = (policy: PasswordPolicy, passwordChangedAt: number | null, now: number): boolean =>
  policy.age.minAgeMinutes > 0 && passwordChangedAt !== null && now < passwordChangedAt + policy.age.minAgeMinutes * MINUTE

export const minimumAgeCause = (policy: PasswordPolicy): string =>
  `Password cannot be changed more than once every ${policy.age.minAgeMinutes} minutes.`

/** When the password expires under the policy (epoch ms), or null when it never does. */
export const passwordExpiresAt = (policy: PasswordPolicy, passwordChangedAt: number | null): number | null =>
  policy.age.maxAgeDays > 0 && passwordChangedAt !== null ? passwordChangedAt + policy.age.maxAgeDays * DAY : null

/** Whole days left before expiry, as Okta's `passwordExpireDays` (never negative). */
export const daysUntil = (expiresAt: number, now: number): number => Math.max(0, Math.ceil((expiresAt - now) / DAY))
