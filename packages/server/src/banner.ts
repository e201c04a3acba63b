import { DAY, passwordExpiresAt, type UserRecord } from '@authn-machine/core'
import type { LoadedOrg } from '@authn-machine/engine'

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
  const rows = b.org.users.map((u, i) => {
    const password = str(raw[i], 'password')
    const token = str(raw[i], 'activationToken')
    const secret =
      password !== undefined
        ? b.showSecrets ? password : '<password>'
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
  const body = JSON.stringify({ username: first?.login ?? 'user@example.com', password: str(raw[i], 'password') !== undefined && b.showSecrets ? str(raw[i], 'password') : '<password>' })
  return [
    `authn-machine reference server (store: ${b.store}, seed: ${b.seedLabel})`,
    `  listening on ${b.url}${b.publicUrl === b.url ? '' : `, links point at ${b.publicUrl}`}`,
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
