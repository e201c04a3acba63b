import type * as TE from 'fp-ts/lib/TaskEither.js'
import { LIFECYCLE_PATH_SEGMENTS, OPERATIONS, type OperationName } from '@authn-machine/core'
import type { Authn, Call, ErrorReply, LifecycleOperation, Reply } from '@authn-machine/engine'

/** An engine operation as the binding calls it: the raw JSON body plus who calls and where links point. */
export type Operation = (body: unknown, call: Call) => TE.TaskEither<ErrorReply, Reply<unknown>>

/** Operations the engine has today (derived from the operation table and the engine's API). */
export type EngineOperation = Extract<OperationName, keyof Authn>

/**
 * Operations of Okta's Users API (trusted callers only). Their engine methods do not take a body,
 * so the binding calls each through its own adapter, from the path parameters.
 */
export type AdminOperation = 'lifecycle'

export const ADMIN_OPERATIONS: ReadonlyArray<AdminOperation> = ['lifecycle']

export const isAdminOperation = (name: OperationName): name is AdminOperation => (ADMIN_OPERATIONS as ReadonlyArray<string>).includes(name)

/**
 * Operations of the table the engine does not have yet. A later issue adds the method to the
 * engine under this name (same shape as {@link Operation}) and the route starts calling it.
 */
export type PlannedOperation = Exclude<OperationName, EngineOperation | AdminOperation>

export type { OperationName }
export { LIFECYCLE_PATH_SEGMENTS }

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
   * `form`: required, as JSON or as an HTML form post (`application/x-www-form-urlencoded`: Duo's frame).
   */
  readonly body: 'required' | 'none' | 'form'
  /** The spec section (shared/spec/okta-authn-api.md §4). */
  readonly section: string
}

/**
 * Every route of the binding, from the operation table (core `OPERATIONS`); all are `POST`.
 * An operation that takes no state token falls back to a plain refusal while the engine lacks it.
 */
export const AUTHN_ROUTES: ReadonlyArray<RouteSpec> = OPERATIONS.map((o) => ({
  path: o.path,
  operation: o.name,
  fallback: o.flows.length === 0 ? 'refuse' : 'loadThenRefuse',
  present: o.present,
  caller: o.caller,
  body: o.body,
  section: o.section,
}))

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
