// Shared by the MFA end-to-end files: an org with MFA policies, TOTP codes at a manual clock's
// time, and small readers for the JSON answers.
import { secretBytes, totpCode } from '@authn-machine/factor-totp'
import { createManualClock, createTrivialHasher, type ManualClock } from '@authn-machine/testkit/fixtures'
import type { RunningServer, StartOptions } from '../src/index.js'
import { postJson } from './support.js'

/** RFC 6238's test key in base32, for seeded TOTP factors. */
export const TOTP_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'
/** A second key, for a second seeded TOTP factor. */
export const OTHER_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP'
/** The API token of trusted callers (`Authorization: SSWS …`). */
export const API_TOKEN = '00mfa-e2e-trusted-api-token-0123456789'
export const TRUSTED = { authorization: `SSWS ${API_TOKEN}` } as const
/** One TOTP time step. */
export const STEP_MS = 30_000

export const MAE = { id: '00umfamae00000000001', username: 'mae.factor@example.com', password: 'Right-Passw0rd-1' } as const
export const OTTO = { id: '00umfaotto000000001', username: 'otto.other@example.com', password: 'Other-Passw0rd-2' } as const

/** Ids of the factors {@link mfaSeed} gives its users. */
export const FACTOR = {
  maeGoogle: 'uftmaegoogle0000001',
  maeOkta: 'ostmaeokta000000001',
  maeQuestion: 'ufsmaequestion00001',
  ottoGoogle: 'uftottogoogle000001',
} as const
export const MAE_ANSWER = 'A Red Ball'

export type SeedFactor = Readonly<Record<string, unknown>>
export type SeedPolicies = Readonly<Record<string, unknown>>

/** Mae's three seeded factors (TOTP Google and Okta, the security question). */
export const MAE_FACTORS: ReadonlyArray<SeedFactor> = [
  { factorType: 'token:software:totp', provider: 'GOOGLE', secret: TOTP_SECRET, id: FACTOR.maeGoogle },
  { factorType: 'token:software:totp', provider: 'OKTA', secret: OTHER_SECRET, id: FACTOR.maeOkta },
  { factorType: 'question', provider: 'OKTA', question: 'favorite_toy', answer: MAE_ANSWER, id: FACTOR.maeQuestion },
]

/**
 * Two users (Mae with `maeFactors`, Otto with one TOTP factor of his own) and the given policies;
 * password policy without expiry, lockout after `maxAttempts` (default 5), hidden unless `showLockoutFailures`.
 */
export const mfaSeed = (
  o: { readonly maeFactors?: ReadonlyArray<SeedFactor>; readonly policies?: SeedPolicies; readonly maxAttempts?: number; readonly showLockoutFailures?: boolean } = {},
) => ({
  users: [
    { id: MAE.id, login: MAE.username, firstName: 'Mae', lastName: 'Factor', password: MAE.password, factors: o.maeFactors ?? [] },
    {
      id: OTTO.id,
      login: OTTO.username,
      firstName: 'Otto',
      lastName: 'Other',
      password: OTTO.password,
      factors: [{ factorType: 'token:software:totp', provider: 'GOOGLE', secret: TOTP_SECRET, id: FACTOR.ottoGoogle }],
    },
  ],
  policies: {
    password: { lockout: { maxAttempts: o.maxAttempts ?? 5, autoUnlockMinutes: 0, showLockoutFailures: o.showLockoutFailures ?? false } },
    ...o.policies,
  },
})

/** The TOTP code of a base32 `secret` at `ms` (6 digits, 30 s steps, SHA-1), as an authenticator app shows it. */
export const codeAt = async (secret: string, ms: number): Promise<string> => {
  const key = secretBytes(secret)
  if (key === null) throw new Error(`not a base32 key: ${secret}`)
  return totpCode(key, Math.floor(ms / 1000), { digits: 6, step: 30, algorithm: 'sha1' })
}

/** A six-digit code that is none of the codes the server accepts at `ms` (±1 step), so surely wrong. */
export const wrongCodeAt = async (secret: string, ms: number): Promise<string> => {
  const window = await Promise.all([-1, 0, 1].map((k) => codeAt(secret, ms + k * STEP_MS)))
  for (let n = 0; ; n++) {
    const candidate = String(n).padStart(6, '0')
    if (!window.includes(candidate)) return candidate
  }
}

/** A server on a manual clock (TOTP codes are computed for its time) with trusted callers. */
export interface MfaServer {
  readonly server: RunningServer
  readonly clock: ManualClock
}

/**
 * Starts a server for `seed` on a manual clock with {@link API_TOKEN}. `fast` swaps argon2id for a
 * trivial hasher (for suites that sign in many times).
 */
export const startMfaServer = async (
  start: (options: Partial<StartOptions>) => Promise<RunningServer>,
  seed: unknown,
  o: { readonly fast?: boolean; readonly options?: Partial<StartOptions> } = {},
): Promise<MfaServer> => {
  const clock = createManualClock()
  const server = await start({ seed, clock, apiTokens: [API_TOKEN], ...(o.fast === true ? { hasher: createTrivialHasher() } : {}), ...o.options })
  return { server, clock }
}

export type Answer = Awaited<ReturnType<typeof postJson>>
export type Json = Readonly<Record<string, unknown>>

/** `body._embedded` of an answer. */
export const embeddedOf = (r: { readonly body: Json }): Json => (r.body['_embedded'] ?? {}) as Json
/** `body._links` of an answer. */
export const linksOf = (r: { readonly body: Json }): Json => (r.body['_links'] ?? {}) as Json
/** The factors embedded in MFA_REQUIRED or MFA_ENROLL. */
export const factorsOf = (r: { readonly body: Json }): ReadonlyArray<Json> => (embeddedOf(r)['factors'] ?? []) as ReadonlyArray<Json>
/** The factor embedded in MFA_ENROLL_ACTIVATE or MFA_CHALLENGE. */
export const factorOf = (r: { readonly body: Json }): Json => (embeddedOf(r)['factor'] ?? {}) as Json
/** `factor._embedded.activation` of MFA_ENROLL_ACTIVATE. */
export const activationOf = (r: { readonly body: Json }): Json => ((factorOf(r)['_embedded'] ?? {}) as Json)['activation'] as Json

/** The status of a transaction answer, else the HTTP status and error code, in one string. */
export const outcomeOf = (r: Answer): string => (r.status === 200 ? String(r.body['status']) : `${r.status} ${String(r.body['errorCode'])}`)

/** Plain `fetch` POSTs to one server. */
export const authnClient = (server: RunningServer, headers: Record<string, string> = {}) => ({
  post: (path: string, body: unknown, extra: Record<string, string> = {}) => postJson(`${server.url}${path}`, body, { ...headers, ...extra }),
  signIn: (user: { readonly username: string; readonly password: string }, extra: Json = {}) =>
    postJson(`${server.url}/api/v1/authn`, { username: user.username, password: user.password, ...extra }, headers),
})
