import type * as TE from 'fp-ts/lib/TaskEither.js'
import type { Authn, Call, ErrorReply, LifecycleOperation, Reply } from '@authn-machine/engine'

/** An engine operation as the binding calls it: the raw JSON body plus who calls and where links point. */
export type Operation = (body: unknown, call: Call) => TE.TaskEither<ErrorReply, Reply<unknown>>

/** Operations the engine has today. */
export type EngineOperation =
  | 'authenticate'
  | 'getState'
  | 'changePassword'
  | 'resetPassword'
  | 'skip'
  | 'previous'
  | 'cancel'
  | 'redeemSessionToken'

/**
 * Operations the engine does not have yet. A later issue adds the method to the engine under this
 * name (same shape as {@link Operation}) and the route below starts calling it: nothing to change here.
 */
export type PlannedOperation =
  | 'enrollFactor'
  | 'activateFactor'
  | 'pollFactorActivation'
  | 'sendActivationLink'
  | 'resendActivation'
  | 'verifyFactor'
  | 'resendChallenge'
  | 'forgotPassword'
  | 'unlockAccount'
  | 'verifyRecoveryFactor'
  | 'resendRecoveryChallenge'
  | 'verifyRecoveryToken'
  | 'answerRecoveryQuestion'

/**
 * Operations of Okta's Users API (trusted callers only). Their engine methods do not take a body,
 * so the binding calls each through its own adapter, from the path parameters.
 */
export type AdminOperation = 'lifecycle'

export const ADMIN_OPERATIONS: ReadonlyArray<AdminOperation> = ['lifecycle']

export const isAdminOperation = (name: OperationName): name is AdminOperation => (ADMIN_OPERATIONS as ReadonlyArray<string>).includes(name)

export type OperationName = EngineOperation | PlannedOperation | AdminOperation

/**
 * Okta's path segment of each lifecycle operation served (`POST /api/v1/users/{userId}/lifecycle/{segment}`).
 * The engine's `lock` has no Users API path: it is not served.
 */
export const LIFECYCLE_PATH_SEGMENTS = {
  unlock: 'unlock',
  suspend: 'suspend',
  unsuspend: 'unsuspend',
  deactivate: 'deactivate',
  expire_password: 'expirePassword',
} as const satisfies Readonly<Record<string, LifecycleOperation>>

/** The engine's lifecycle operation for a (lower-cased) path segment, if it is one of Okta's. */
export const lifecycleOperationOf = (segment: string): LifecycleOperation | undefined =>
  Object.hasOwn(LIFECYCLE_PATH_SEGMENTS, segment) ? LIFECYCLE_PATH_SEGMENTS[segment as keyof typeof LIFECYCLE_PATH_SEGMENTS] : undefined

/** The engine as the binding sees it: today's `Authn`, plus any planned operation it may already have. */
export type AuthnOperations = Authn & { readonly [K in PlannedOperation]?: Operation }

/**
 * What a route answers while the engine has no method for its operation:
 * - `loadThenRefuse`: validate the `{stateToken}` body and load the transaction (engine `getState`:
 *   400 E0000001 / 401 E0000011 as usual), then 403 E0000079, exactly as the engine answers an
 *   operation that is not allowed in the current state;
 * - `refuse`: 403 E0000079 straight away (recovery starts, which have no state token).
 */
export type Fallback = 'loadThenRefuse' | 'refuse'

export interface RouteSpec {
  /**
   * Path template. `{name}` matches one path segment; `{name:a|b}` matches one of the listed
   * values, case-insensitively, and passes it on lower-cased. Path parameters are passed to the
   * engine as body fields of the same name, overriding the body.
   */
  readonly path: string
  readonly operation: OperationName
  readonly fallback: Fallback
  /** How the engine's answer becomes the response body. */
  readonly present: 'json' | 'session'
  /**
   * `trusted`: only for callers with a valid `Authorization: SSWS <token>` (Okta's Users API);
   * anyone else gets Okta's answer to a missing or invalid API token, 401 E0000011, and nothing is read.
   */
  readonly caller: 'any' | 'trusted'
  /**
   * `required`: an empty body is 400 E0000003 (the authn API). `none`: the operation takes no body,
   * so an empty one (any `Content-Type`) is taken as `{}`; a body that is sent must still be a JSON object.
   */
  readonly body: 'required' | 'none'
  /** The spec section (shared/spec/okta-authn-api.md §4). */
  readonly section: string
}

const route = (section: string, path: string, operation: OperationName, fallback: Fallback = 'loadThenRefuse'): RouteSpec => ({
  path,
  operation,
  fallback,
  present: 'json',
  caller: 'any',
  body: 'required',
  section,
})

/** A Users API route: trusted callers, no body. Its operation always exists, so it never falls back. */
const adminRoute = (path: string, operation: AdminOperation): RouteSpec => ({
  ...route('Users API', path, operation, 'refuse'),
  caller: 'trusted',
  body: 'none',
})

/** Every route of the binding; all are `POST`. The Users API routes are for trusted callers only. */
export const AUTHN_ROUTES: ReadonlyArray<RouteSpec> = [
  route('4.1', '/api/v1/authn', 'authenticate'),
  // Undocumented, used by okta-auth-js `tx.introspect()`: the same as get-state (§4.0, last row).
  route('4.4', '/api/v1/authn/introspect', 'getState'),
  route('4.5', '/api/v1/authn/credentials/change_password', 'changePassword'),
  route('4.6', '/api/v1/authn/factors', 'enrollFactor'),
  route('4.7', '/api/v1/authn/factors/{factorId}/lifecycle/activate', 'activateFactor'),
  route('4.7.5', '/api/v1/authn/factors/{factorId}/lifecycle/activate/poll', 'pollFactorActivation'),
  route('4.7.6', '/api/v1/authn/factors/{factorId}/lifecycle/activate/{channel:email|sms}', 'sendActivationLink'),
  route('4.8', '/api/v1/authn/factors/{factorId}/lifecycle/resend', 'resendActivation'),
  route('4.10', '/api/v1/authn/factors/{factorId}/verify', 'verifyFactor'),
  route('4.11', '/api/v1/authn/factors/{factorId}/verify/resend', 'resendChallenge'),
  route('4.12', '/api/v1/authn/recovery/password', 'forgotPassword', 'refuse'),
  route('4.13', '/api/v1/authn/recovery/unlock', 'unlockAccount', 'refuse'),
  route('4.14', '/api/v1/authn/recovery/factors/{factorType:sms|call}/verify', 'verifyRecoveryFactor'),
  route('4.15', '/api/v1/authn/recovery/factors/{factorType:sms|call}/resend', 'resendRecoveryChallenge'),
  route('4.16', '/api/v1/authn/recovery/token', 'verifyRecoveryToken', 'refuse'),
  route('4.17', '/api/v1/authn/recovery/answer', 'answerRecoveryQuestion'),
  route('4.18', '/api/v1/authn/credentials/reset_password', 'resetPassword'),
  route('4.19', '/api/v1/authn/previous', 'previous'),
  route('4.20', '/api/v1/authn/skip', 'skip'),
  route('4.21', '/api/v1/authn/cancel', 'cancel'),
  { ...route('3.1', '/api/v1/sessions', 'redeemSessionToken'), present: 'session' },
  adminRoute(`/api/v1/users/{userId}/lifecycle/{operation:${Object.keys(LIFECYCLE_PATH_SEGMENTS).join('|')}}`, 'lifecycle'),
]

export interface RouteMatch {
  readonly route: RouteSpec
  readonly params: Readonly<Record<string, string>>
}

interface CompiledRoute {
  readonly route: RouteSpec
  readonly pattern: RegExp
  /** Parameter names in order, and whether each is a choice (passed on lower-cased). */
  readonly params: ReadonlyArray<{ readonly name: string; readonly choice: boolean }>
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

const compile = (route: RouteSpec): CompiledRoute => {
  const params: Array<{ name: string; choice: boolean }> = []
  const source = route.path
    .split('/')
    .map((segment) => {
      const param = /^\{(\w+)(?::([\w|]+))?\}$/.exec(segment)
      if (param === null) return escapeRegExp(segment)
      const choices = param[2]
      params.push({ name: param[1] ?? '', choice: choices !== undefined })
      return choices === undefined ? '([^/]+)' : `(${choices.split('|').map(escapeRegExp).join('|')})`
    })
    .join('/')
  // Only choice segments are case-insensitive; fixed segments are matched against their exact text below.
  return { route, pattern: new RegExp(`^${source}$`, 'i'), params }
}

const fixedSegmentsMatch = (template: string, path: string): boolean => {
  const t = template.split('/')
  const p = path.split('/')
  return t.length === p.length && t.every((seg, i) => seg.startsWith('{') || seg === p[i])
}

const decodeSegment = (s: string): string | null => {
  try {
    return decodeURIComponent(s)
  } catch {
    return null
  }
}

/** Matches a path (no query) against a route table. One trailing slash is ignored. */
export const createRouter = (routes: ReadonlyArray<RouteSpec>) => {
  const compiled = routes.map(compile)
  return (rawPath: string): RouteMatch | null => {
    const path = rawPath.length > 1 && rawPath.endsWith('/') ? rawPath.slice(0, -1) : rawPath
    for (const c of compiled) {
      const m = c.pattern.exec(path)
      if (m === null || !fixedSegmentsMatch(c.route.path, path)) continue
      const params: Record<string, string> = {}
      let valid = true
      c.params.forEach(({ name, choice }, i) => {
        const value = decodeSegment(m[i + 1] ?? '')
        if (value === null || value === '') valid = false
        else params[name] = choice ? value.toLowerCase() : value
      })
      if (valid) return { route: c.route, params }
    }
    return null
  }
}
