import { DAY, passwordExpiresAt, type Hasher, type UserRecord } from '@authn-machine/core'
import { createArgon2Hasher, type LoadedOrg } from '@authn-machine/engine'

export interface BannerInput {
  readonly url: string
  readonly publicUrl: string
  readonly store: string
  readonly seedLabel: string
  /** The seed as parsed JSON: plaintext passwords and activation tokens come from here. */
  readonly seed: unknown
  readonly org: LoadedOrg
  /** Show plaintext passwords (the demo org) or placeholders (an operator's seed file). */
  readonly showSecrets: boolean
  /**
   * The logins whose seed password the store still holds ({@link seedPasswordsHeld}); with
   * `showSecrets`, the others show that their password changed, never the seed's.
   */
  readonly passwordsHeld?: ReadonlySet<string>
  readonly now: number
  /** The start-up line saying where each channel's messages go (`describeMessageRoutes`). */
  readonly messages?: string
  /** Whether `GET /__dev/outbox` is served, and whether it needs the API token. */
  readonly devOutbox?: { readonly needsToken: boolean }
  /** Whether `GET /metrics` is served, and whether it needs a token; shows the health checks too. */
  readonly operations?: { readonly metrics: boolean; readonly metricsNeedToken: boolean }
}

const str = (o: unknown, k: string): string | undefined => {
  if (typeof o !== 'object' || o === null) return undefined
  const v = (o as Record<string, unknown>)[k]
  return typeof v === 'string' ? v : undefined
}

/** What signing in as this user shows first, in words. */
export const describeUser = (u: UserRecord, org: LoadedOrg, now: number): string => {
  if (u.status === 'STAGED' || u.status === 'PROVISIONED') return 'STAGED: sign in with the activation token → PASSWORD_RESET'
  if (u.lockedAt !== null)
    return org.policies.password.lockout.showLockoutFailures ? 'locked: LOCKED_OUT' : 'locked: 401 E0000004 (lockout hidden)'
  if (u.status === 'PASSWORD_EXPIRED') return 'PASSWORD_EXPIRED: must change the password'
  const expires = passwordExpiresAt(org.policies.password, u.credentials.passwordChangedAt)
  if (expires !== null && now >= expires) return 'PASSWORD_EXPIRED: password older than the policy allows'
  const warnDays = org.policies.password.age.expireWarnDays
  if (expires !== null && warnDays > 0 && now >= expires - warnDays * DAY)
    return 'PASSWORD_WARN with options.warnBeforePasswordExpired=true, else SUCCESS'
  return 'SUCCESS'
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

/** The text printed at start-up: where to go, who can sign in, and a request to paste. */
export const formatBanner = (b: BannerInput): string => {
  const rawUsers = typeof b.seed === 'object' && b.seed !== null ? (b.seed as Record<string, unknown>)['users'] : undefined
  const raw: ReadonlyArray<unknown> = Array.isArray(rawUsers) ? rawUsers : []
  const held = (login: string) => b.passwordsHeld === undefined || b.passwordsHeld.has(login)
  const rows = b.org.users.map((u, i) => {
    const password = str(raw[i], 'password')
    const token = str(raw[i], 'activationToken')
    const secret =
      password !== undefined
        ? !b.showSecrets ? '<password>' : held(u.profile.login) ? password : '(changed since seeded)'
        : token !== undefined
          ? `token: ${b.showSecrets ? token : '<activation token>'}`
          : '(no password)'
    return { id: u.id, login: u.profile.login, secret, what: describeUser(u, b.org, b.now) }
  })
  const w0 = Math.max(2, ...rows.map((r) => r.id.length))
  const w1 = Math.max(5, ...rows.map((r) => r.login.length))
  const w2 = Math.max(8, ...rows.map((r) => r.secret.length))
  const first = rows.find((r) => r.what === 'SUCCESS') ?? rows[0]
  const i = first === undefined ? -1 : rows.indexOf(first)
  const shownPassword = str(raw[i], 'password') !== undefined && b.showSecrets && first !== undefined && held(first.login) ? str(raw[i], 'password') : undefined
  const body = JSON.stringify({ username: first?.login ?? 'user@example.com', password: shownPassword ?? '<password>' })
  return [
    `authn-machine reference server (store: ${b.store}, seed: ${b.seedLabel})`,
    `  listening on ${b.url}${b.publicUrl === b.url ? '' : `, links point at ${b.publicUrl}`}`,
    `  front page: ${b.url}/ (the Okta Sign-In Widget${b.devOutbox === undefined ? '' : ', with a panel listing the dev outbox'})`,
    `  endpoints: POST ${b.url}/api/v1/authn[/...], POST ${b.url}/api/v1/sessions, GET ${b.url}/health`,
    `  admin (Authorization: SSWS <api token>): POST ${b.url}/api/v1/users/{id}/lifecycle/{unlock|suspend|unsuspend|deactivate|expire_password}`,
    ...(b.operations === undefined
      ? []
      : [
          `  operations: GET ${b.url}/health/live, GET ${b.url}/health/ready` +
            (b.operations.metrics ? `, GET ${b.url}/metrics${b.operations.metricsNeedToken ? ' (Authorization: Bearer <metrics token> or SSWS <api token>)' : ''}` : ''),
        ]),
    ...(b.devOutbox === undefined
      ? []
      : [`  dev outbox${b.devOutbox.needsToken ? ' (Authorization: SSWS <api token>)' : ''}: GET ${b.url}/__dev/outbox?to=<email or +phone> (one-time codes: never in production)`]),
    ...(b.messages === undefined ? [] : [`  ${b.messages}`]),
    '',
    'Users:',
    ...rows.map((r) => `  ${r.id.padEnd(w0)}  ${r.login.padEnd(w1)}  ${r.secret.padEnd(w2)}  ${r.what}`),
    '',
    'Try:',
    `  curl -s ${b.url}/api/v1/authn -H 'Content-Type: application/json' -H 'Accept: application/json' -d ${shellQuote(body)}`,
    '',
  ].join('\n')
}

/**
 * The logins whose seed password the store still holds, checked against the stored hash: a
 * persistent store reopened keeps passwords changed since (the banner must not show a stale one).
 */
export const seedPasswordsHeld = async (seed: unknown, org: LoadedOrg, hasher: Pick<Hasher, 'verify'> = createArgon2Hasher()): Promise<ReadonlySet<string>> => {
  const rawUsers = typeof seed === 'object' && seed !== null ? (seed as Record<string, unknown>)['users'] : undefined
  const raw: ReadonlyArray<unknown> = Array.isArray(rawUsers) ? rawUsers : []
  const held = await Promise.all(
    org.users.map(async (u, i) => {
      const password = str(raw[i], 'password')
      if (password === undefined || u.credentials.passwordHash === null) return null
      const ok = await hasher.verify(u.credentials.passwordHash, password)()
      return ok._tag === 'Right' && ok.right ? u.profile.login : null
    }),
  )
  return new Set(held.filter((l): l is string => l !== null))
}
