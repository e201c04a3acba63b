import type { AuthnContext } from '../machines/authn-context.js'
import type { EnrolledFactor } from '../model/user.js'
import type { MachineState } from '../model/status.js'
import { requiredEnrollmentMissing } from '../machines/authn-facts.js'
import { daysUntil, passwordExpiresAt } from '../policy/password-rules.js'
import { STEP_UP_REDIRECT_PATH, renderAuthentication, renderTarget, type StepUpContext } from '../machines/step-up.js'

export interface HalLink {
  readonly name?: string
  readonly href: string
  readonly type?: string
  readonly hints?: { readonly allow: ReadonlyArray<'GET' | 'POST'> }
}

/** The Okta transaction JSON. Keys are emitted in Okta's order; null values are omitted. */
export type TransactionJson = Readonly<Record<string, unknown>>

/** Secrets known only to the shell for the current response; never stored or logged in clear. */
export interface ResponseSecrets {
  readonly stateToken: string | null
  readonly sessionToken: string | null
  /**
   * `factor._embedded.activation` of the factor waiting in MFA_ENROLL_ACTIVATE (TOTP: its shared
   * secret and QR code link), made by the shell from the factor's sealed secret for this response.
   */
  readonly activation?: Readonly<Record<string, unknown>> | null
  /**
   * `factor._embedded.challenge` of the factor challenged in MFA_CHALLENGE, when its client signs a
   * nonce (WebAuthn, U2F): made by the shell from the nonce in the transaction, by the factor's plug-in.
   */
  readonly challenge?: Readonly<Record<string, unknown>> | null
  /**
   * The verification the transaction started for a factor a third party verifies (Duo, push), in
   * MFA_ENROLL_ACTIVATE or MFA_CHALLENGE: made by the shell, with the factor's plug-in. `embedded`
   * is the factor's `_embedded` (Duo: `verification`; push: `activation`, `challenge`), or null.
   * While it waits (`factorResult: WAITING`) the `next` link polls; once it was refused (REJECTED)
   * or timed out (TIMEOUT), `next` starts a new one (`verify`, or `activate` for an activation).
   */
  readonly delegation?: DelegationView | null
}

/** What a started delegated verification shows: its result so far and the factor's `_embedded`. */
export interface DelegationView {
  readonly factorResult: 'WAITING' | 'REJECTED' | 'TIMEOUT'
  readonly embedded: Readonly<Record<string, unknown>> | null
}

// eslint-disable-next-line no-restricted-globals -- formats a given instant; reads no clock
export const iso = (ms: number): string => new Date(ms).toISOString()

export const post = (base: string, path: string, name?: string): HalLink =>
  name === undefined
    ? { href: `${base}/api/v1/authn${path}`, hints: { allow: ['POST'] } }
    : { name, href: `${base}/api/v1/authn${path}`, hints: { allow: ['POST'] } }

/** Okta's masking of a phone number: `+1 XXX-XXX-1337`. */
export const maskPhone = (phone: string): string => {
  const digits = phone.replace(/\D/g, '')
  if (digits.length < 4) return 'XXX'
  const last = digits.slice(-4)
  const cc = digits.length > 10 ? `+${digits.slice(0, digits.length - 10)} ` : ''
  return `${cc}XXX-XXX-${last}`
}

/** Okta's masking of an email address: `d...y@example.com`. */
export const maskEmail = (email: string): string => {
  const at = email.lastIndexOf('@')
  if (at < 1) return '...'
  const local = email.slice(0, at)
  return `${local[0] ?? ''}...${local.length > 1 ? local[local.length - 1] ?? '' : ''}${email.slice(at)}`
}

/** `_embedded.user` (spec §6.1). */
export const renderUser = (c: Pick<AuthnContext, 'user'> & { readonly userId: string | null }) => ({
  id: c.userId ?? '',
  ...(c.user.passwordChangedAt === null ? {} : { passwordChanged: iso(c.user.passwordChangedAt) }),
  profile: {
    login: c.user.login,
    firstName: c.user.firstName,
    lastName: c.user.lastName,
    ...(c.user.locale === null ? {} : { locale: c.user.locale }),
    ...(c.user.timeZone === null ? {} : { timeZone: c.user.timeZone }),
  },
})

/** The password policy object (spec §6.5). */
export const renderPasswordPolicy = (c: Pick<AuthnContext, 'policy' | 'user'>, now: number, withExpiration: boolean) => {
  const p = c.policy.password
  const expiresAt = passwordExpiresAt(p, c.user.passwordChangedAt)
  return {
    ...(withExpiration ? { expiration: { passwordExpireDays: expiresAt === null ? 0 : daysUntil(expiresAt, now) } } : {}),
    complexity: {
      minLength: p.complexity.minLength,
      minLowerCase: p.complexity.minLowerCase,
      minUpperCase: p.complexity.minUpperCase,
      minNumber: p.complexity.minNumber,
      minSymbol: p.complexity.minSymbol,
      excludeUsername: p.complexity.excludeUsername,
      ...(p.complexity.excludeAttributes.length > 0 ? { excludeAttributes: [...p.complexity.excludeAttributes] } : {}),
    },
    age: { minAgeMinutes: p.age.minAgeMinutes, historyCount: p.age.historyCount },
  }
}

const publicProfile = (f: EnrolledFactor): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(f.profile)) {
    if (k === 'phoneNumber' && typeof v === 'string') out[k] = maskPhone(v)
    else if (k === 'email' && typeof v === 'string') out[k] = maskEmail(v)
    else out[k] = v
  }
  return out
}

const renderEnrolledFactor = (base: string, f: EnrolledFactor) => ({
  id: f.id,
  factorType: f.factorType,
  provider: f.provider,
  vendorName: f.provider,
  profile: publicProfile(f),
  _links: { verify: post(base, `/factors/${encodeURIComponent(f.id)}/verify`) },
})

/** A factor in MFA_ENROLL_ACTIVATE or MFA_CHALLENGE: no verify link of its own (the state's `next` is it). */
const renderFactor = (f: EnrolledFactor, embedded: Readonly<Record<string, unknown>> | null) => ({
  id: f.id,
  factorType: f.factorType,
  provider: f.provider,
  vendorName: f.provider,
  profile: publicProfile(f),
  ...(embedded === null ? {} : { _embedded: embedded }),
})

/** Families that send a code, by factor type: the name of their `resend` link (spec §6.9). */
const SENDING_TYPES: ReadonlyArray<string> = ['sms', 'call', 'email']

/** `resend: [{ name, href }]` for a factor that sends codes (an array in MFA states, spec §6.9), or nothing. */
const resendLink = (base: string, f: EnrolledFactor, path: string): Record<string, unknown> =>
  // Push (spec §4.11): a new push for the verification, never for an activation (its `send` links are in `activation`).
  SENDING_TYPES.includes(f.factorType) || (f.factorType === 'push' && path === '/verify/resend') ? { resend: [post(base, `/factors/${encodeURIComponent(f.id)}${path}`, f.factorType)] } : {}

const renderEnrollCatalog = (base: string, c: AuthnContext) =>
  c.policy.enrollment.factors
    .filter((e) => e.enroll !== 'NOT_ALLOWED')
    .map((e) => ({
      factorType: e.factorType,
      provider: e.provider,
      vendorName: e.provider,
      status: c.factors.some((f) => f.status === 'ACTIVE' && f.factorType === e.factorType && f.provider === e.provider)
        ? 'ACTIVE'
        : 'NOT_SETUP',
      enrollment: e.enroll,
      _links: {
        ...(e.factorType === 'question' ? { questions: { href: `${base}/api/v1/users/${encodeURIComponent(c.userId)}/factors/questions`, hints: { allow: ['GET'] } } } : {}),
        enroll: post(base, '/factors'),
      },
    }))

const rememberDevicePolicy = (c: AuthnContext) => ({
  allowRememberDevice: c.policy.signOn.allowRememberDevice,
  rememberDeviceLifetimeInMinutes: c.policy.signOn.rememberDeviceLifetimeInMinutes,
  rememberDeviceByDefault: c.policy.signOn.rememberDeviceByDefault,
  factorsPolicyInfo: {},
})

/**
 * Pure: the Okta transaction JSON for a stored state. `now` is the time of the response (it fixes
 * `passwordExpireDays`); hrefs are absolute under `baseUrl` (no trailing slash).
 */
export const renderTransaction = (
  state: MachineState,
  c: AuthnContext,
  secrets: ResponseSecrets,
  baseUrl: string,
  now: number,
): TransactionJson => {
  const base = baseUrl.replace(/\/+$/, '')
  const cancel = post(base, '/cancel')
  const user = renderUser(c)
  // A step-up's every state is typed SESSION_STEP_UP and shows its app (spec §4.2, §6.7, §6.8).
  const stepUp = c.stepUp ?? null
  const typed = stepUp === null ? {} : { type: 'SESSION_STEP_UP' }
  const app = (s: StepUpContext | null) => (s === null ? {} : { target: renderTarget(s), authentication: renderAuthentication(s) })
  const live = (status: string, embedded: Record<string, unknown>, links: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    ...(secrets.stateToken === null ? {} : { stateToken: secrets.stateToken }),
    ...typed,
    expiresAt: iso(c.expiresAt),
    status,
    ...(c.relayState === null ? {} : { relayState: c.relayState }),
    ...extra,
    _embedded: { ...embedded, ...app(stepUp) },
    _links: links,
  })
  switch (state) {
    case 'PASSWORD_WARN':
      return live(
        state,
        { user, policy: renderPasswordPolicy(c, now, true) },
        { next: post(base, '/credentials/change_password', 'changePassword'), skip: post(base, '/skip', 'skip'), cancel },
      )
    case 'PASSWORD_EXPIRED':
      return live(
        state,
        { user, policy: renderPasswordPolicy(c, now, true) },
        { next: post(base, '/credentials/change_password', 'changePassword'), cancel },
      )
    case 'PASSWORD_RESET':
      return live(
        state,
        { user, policy: renderPasswordPolicy(c, now, true) },
        {
          // `resetPassword` in every flow: okta-auth-js names the transaction's method after it, and
          // its recorded responses and the Sign-In Widget call `resetPassword` (ADR 0012).
          next: post(base, '/credentials/reset_password', 'resetPassword'),
          cancel,
        },
        c.recoveryType === null ? {} : { recoveryType: c.recoveryType },
      )
    case 'MFA_ENROLL':
      // Skip only when nothing required is left (spec §3.2, §6.9).
      return live(state, { user, factors: renderEnrollCatalog(base, c) }, requiredEnrollmentMissing(c) ? { cancel } : { skip: post(base, '/skip', 'skip'), cancel })
    case 'MFA_REQUIRED':
      return live(
        state,
        {
          user,
          factors: c.factors.filter((f) => f.status === 'ACTIVE').map((f) => renderEnrolledFactor(base, f)),
          policy: rememberDevicePolicy(c),
        },
        { cancel },
      )
    case 'MFA_ENROLL_ACTIVATE': {
      // Spec §3.2 / §6.6: the remember-device policy belongs to MFA_REQUIRED and MFA_CHALLENGE only.
      const f = c.activating
      const activation = secrets.activation ?? null
      // An activation a third party verifies (Duo, push) waits for its response; the client polls
      // (spec §4.7.5). Timed out, `activate` starts it anew.
      const delegation = f !== null && c.nonce !== undefined && c.nonce !== null && c.nonce.factorId === f.id ? (secrets.delegation ?? { factorResult: 'WAITING' as const, embedded: null }) : null
      const embedded = delegation !== null ? delegation.embedded : activation === null ? null : { activation }
      return live(
        state,
        f === null ? { user } : { user, factor: renderFactor(f, embedded) },
        {
          ...(f === null
            ? {}
            : delegation?.factorResult === 'WAITING'
              ? { next: post(base, `/factors/${encodeURIComponent(f.id)}/lifecycle/activate/poll`, 'poll') }
              : { next: post(base, `/factors/${encodeURIComponent(f.id)}/lifecycle/activate`, 'activate') }),
          prev: post(base, '/previous'),
          cancel,
          ...(f === null ? {} : resendLink(base, f, '/lifecycle/resend')),
        },
        delegation === null ? {} : { factorResult: delegation.factorResult },
      )
    }
    case 'MFA_CHALLENGE': {
      const f = c.factors.find((x) => x.id === c.challenge) ?? null
      // A challenge by factor type (WebAuthn, spec §4.10): every active factor of the type, and the one challenge.
      const ofType = f === null && c.challenge !== null ? c.factors.filter((x) => x.status === 'ACTIVE' && x.factorType === c.challenge) : []
      if (ofType.length > 0 && c.challenge !== null)
        return live(
          state,
          {
            user,
            factors: ofType.map((x) => renderFactor(x, null)),
            ...(secrets.challenge === undefined || secrets.challenge === null ? {} : { challenge: secrets.challenge }),
            policy: rememberDevicePolicy(c),
          },
          {
            next: post(base, `/factors/${encodeURIComponent(c.challenge)}/verify`, 'verify'),
            prev: post(base, '/previous'),
            cancel,
          },
          { challengeType: 'FACTOR_TYPE', factorType: c.challenge },
        )
      // A verification a third party carries out (Duo, push) waits for its response; the client
      // polls (spec §4.10). Refused or timed out, `verify` starts a new one.
      const delegation = f === null ? null : (secrets.delegation ?? null)
      const embedded =
        delegation !== null ? delegation.embedded : secrets.challenge === undefined || secrets.challenge === null ? null : { challenge: secrets.challenge }
      return live(
        state,
        f === null ? { user, policy: rememberDevicePolicy(c) } : { user, factor: renderFactor(f, embedded), policy: rememberDevicePolicy(c) },
        {
          ...(f === null ? {} : { next: post(base, `/factors/${encodeURIComponent(f.id)}/verify`, delegation?.factorResult === 'WAITING' ? 'poll' : 'verify') }),
          prev: post(base, '/previous'),
          cancel,
          ...(f === null ? {} : resendLink(base, f, '/verify/resend')),
        },
        delegation === null ? {} : { factorResult: delegation.factorResult },
      )
    }
    case 'LOCKED_OUT':
      return { status: 'LOCKED_OUT', _links: { next: post(base, '/recovery/unlock', 'unlock') } }
    case 'SUCCESS':
      if (stepUp !== null) {
        // No session token: the one-time token of the `original` link stands in the state token's
        // place, and following the link (once) finishes the sign-in to the app (spec §4.2 step 4).
        const redirect = secrets.sessionToken
        return {
          ...(redirect === null ? {} : { stateToken: redirect }),
          ...typed,
          expiresAt: iso(c.sessionExpiresAt ?? c.expiresAt),
          status: 'SUCCESS',
          ...(c.relayState === null ? {} : { relayState: c.relayState }),
          _embedded: { user, ...app(stepUp) },
          _links:
            redirect === null
              ? {}
              : { next: { name: 'original', href: `${base}${STEP_UP_REDIRECT_PATH}?stateToken=${encodeURIComponent(redirect)}`, hints: { allow: ['GET'] } } },
        }
      }
      return {
        expiresAt: iso(c.sessionExpiresAt ?? c.expiresAt),
        status: 'SUCCESS',
        ...(c.relayState === null ? {} : { relayState: c.relayState }),
        ...(secrets.sessionToken === null ? {} : { sessionToken: secrets.sessionToken }),
        _embedded: { user },
      }
    case 'UNAUTHENTICATED':
      return live(state, {}, { next: post(base, '', 'authenticate') })
    case 'CANCELLED':
      // Not an Okta status: the shell answers a cancel with `{ relayState }` taken from here.
      return { status: state, relayState: c.relayState ?? '' }
    case 'RECOVERY':
    case 'RECOVERY_CHALLENGE':
    case 'FAILED':
      // Not states of the authentication machine at rest: nothing to show but the status.
      return { status: state }
  }
}

/**
 * Pure: a step-up waiting for its user (UNAUTHENTICATED, spec §3.2, §4.2): typed SESSION_STEP_UP,
 * its app, and the `authenticate` link; no `cancel` (spec §6.9) and no user.
 */
export const renderStepUpStart = (
  s: StepUpContext,
  ticket: { readonly expiresAt: number },
  stateToken: string,
  baseUrl: string,
): TransactionJson => {
  const base = baseUrl.replace(/\/+$/, '')
  return {
    stateToken,
    type: 'SESSION_STEP_UP',
    expiresAt: iso(ticket.expiresAt),
    status: 'UNAUTHENTICATED',
    _embedded: { target: renderTarget(s), authentication: renderAuthentication(s) },
    _links: { next: post(base, '', 'authenticate') },
  }
}
