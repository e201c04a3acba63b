import { createHash } from 'node:crypto'
import * as E from 'fp-ts/lib/Either.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import {
  CAUSES,
  DEFAULT_RATE_LIMIT_POLICY,
  STEP_UP_REDIRECT_PATH,
  UserId,
  failure,
  httpStatusOf,
  renderError,
  type AuthnFailure,
  type Clock,
  type RateLimitPolicy,
  type RateLimiter,
  type RateState,
  type Random,
  type RequestContext,
} from '@authn-machine/core'
import { cryptoRandom, systemClock, tokens, type Call, type ErrorReply, type Reply } from '@authn-machine/engine'
import { createCors } from './cors.js'
import { deviceCookieHeader, deviceTokenOfCookies } from './device-cookie.js'
import {
  AUTHN_ROUTES,
  createRouter,
  isAdminOperation,
  lifecycleOperationOf,
  type AdminOperation,
  type AuthnOperations,
  type Operation,
  type OperationName,
  type RouteSpec,
} from './routes.js'
import { DEFAULT_MAX_JSON_DEPTH, jsonDepth } from './json-depth.js'
import { createClientAddress, createHostCheck, createTokenCheck } from './trust.js'
import { createRequestIds, isRequestId } from './request-id.js'
import { BODY_TOO_LARGE, REQUEST_ID_HEADER, type AuthnHttpHandler, type HeaderValue, type HttpRequest, type HttpResponse } from './types.js'

const QR_PATH = /^\/api\/v1\/authn\/factors\/[^/]+\/qr\/([^/]+)$/
const QUESTIONS_PATH = /^\/api\/v1\/users\/[^/]+\/factors\/questions$/
/** The templates of the two `GET` resources, as log lines and metrics name them. */
const QR_ROUTE = '/api/v1/authn/factors/{factorId}/qr/{token}'
const QUESTIONS_ROUTE = '/api/v1/users/{userId}/factors/questions'

/** 64 KiB: far above any authn body, far below anything that could hurt. */
export const DEFAULT_BODY_LIMIT = 64 * 1024

/** Okta's default maximum session lifetime: 2 hours. */
export const DEFAULT_SESSION_LIFETIME_MS = 2 * 60 * 60_000

export interface AuthnHttpOptions {
  /** The engine (`createAuthn(deps)`); planned operations it already has are called too. */
  readonly engine: AuthnOperations
  /**
   * Origin for every `_links` href, e.g. `https://login.example.com`. When absent, links point at
   * `http(s)://<Host header>` of each request, for a loopback host or one of `allowedHosts` only;
   * any other Host is refused (400 `E0000001`), so that no request can put another origin in `_links`.
   */
  readonly publicBaseUrl?: string
  /** Host headers links may follow without a public base URL: `name` (any port) or `name:port`. */
  readonly allowedHosts?: ReadonlyArray<string>
  /**
   * Gateways whose `X-Forwarded-For` is read (addresses or CIDR blocks), for trusted callers only;
   * the header is read from the right, skipping gateways. Default none: the connection's address.
   */
  readonly trustedProxies?: ReadonlyArray<string>
  /** Admin API tokens: `Authorization: SSWS <token>` with one of these makes a trusted caller. */
  readonly apiTokens?: ReadonlyArray<string>
  /** Browser origins allowed to call cross-origin, with credentials. */
  readonly trustedOrigins?: ReadonlyArray<string>
  /** Largest request body in bytes (413 above). Default {@link DEFAULT_BODY_LIMIT}. */
  readonly bodyLimit?: number
  /** Deepest nesting of objects and arrays in a body (400 `E0000003` above). Default {@link DEFAULT_MAX_JSON_DEPTH}. */
  readonly maxJsonDepth?: number
  /** Lifetime of a session created from a session token. Default {@link DEFAULT_SESSION_LIFETIME_MS}. */
  readonly sessionLifetimeMs?: number
  /** Okta's id of the identity provider that sessions name (`idp.id`). */
  readonly idpId?: string
  /** Time for session objects. Default: the system clock. */
  readonly clock?: Clock
  /** Randomness for error, session and request ids. Default: node:crypto. */
  readonly random?: Random
  /**
   * Makes the id of a request that comes without one (`HttpRequest.requestId`), answered as
   * `X-Okta-Request-Id`. Default: 27 letters and digits from `random`, as Okta's look.
   */
  readonly requestIds?: () => string
  /** Replaces the route table (tests, embedding). Default {@link AUTHN_ROUTES}. */
  readonly routes?: ReadonlyArray<RouteSpec>
  /**
   * Told about unexpected exceptions (answered as 500 E0000009 without details) and failing rate
   * limiters, with the id of the request they happened in.
   */
  readonly onError?: (error: unknown, request: { readonly requestId: string }) => void
  /**
   * Counts requests per client address and endpoint, per username and per state token
   * (docs/adr/0014-rate-limits.md): `createMemoryRateLimiter()` for one server, the PostgreSQL
   * adapter's for servers sharing a database. Without it nothing is limited.
   */
  readonly rateLimiter?: RateLimiter
  /** The limits (default `DEFAULT_RATE_LIMIT_POLICY`; the seed's `policies.rateLimits`). */
  readonly rateLimits?: RateLimitPolicy
}

/**
 * What the engine receives as `Call.context`: core's `RequestContext` plus the device fingerprint,
 * which core has no field for yet (policies cannot use it; it travels for audit and later use).
 */
export interface HttpRequestContext extends RequestContext {
  /** `X-Device-Fingerprint`, honoured for trusted callers only. */
  readonly deviceFingerprint: string | null
}

/** The Session object answered by `POST /api/v1/sessions` (Okta's Sessions API shape). */
export interface OktaSession {
  readonly id: string
  readonly userId: string
  readonly createdAt: string
  readonly expiresAt: string
  readonly status: 'ACTIVE'
  readonly lastPasswordVerification: string
  readonly lastFactorVerification: string | null
  readonly amr: ReadonlyArray<string>
  readonly idp: { readonly id: string; readonly type: 'OKTA' }
  readonly mfaActive: boolean
}

const JSON_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-cache, no-store',
  pragma: 'no-cache',
  expires: '0',
  'x-content-type-options': 'nosniff',
}

/** Everything under these answers as the binding (Okta's 404 for unknown sub-paths). */
const OWNED_PREFIXES = ['/api/v1/authn', '/api/v1/sessions']

/** A user's lifecycle paths answer as the binding too (the rest of `/api/v1/users` is the application's). */
const OWNED_USER_PATH = /^\/api\/v1\/users\/[^/]+\/lifecycle(?:\/|$)/

/** Flags read from the query string as well as the body (okta-auth-js sends them there). */
export const QUERY_FLAGS = ['rememberDevice', 'autoPush', 'updatePhone'] as const

const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Operations whose `username` has a bucket of its own (primary authentication, recovery starts). */
const PER_USERNAME: ReadonlyArray<OperationName> = ['authenticate', 'forgotPassword', 'unlockAccount']

/** A bucket key that keeps no username, token or address in clear (the PostgreSQL store keeps keys). */
const bucketKey = (...parts: ReadonlyArray<string>): string => createHash('sha256').update(parts.join('\u0000'), 'utf8').digest('base64url')

/** Okta's rate-limit headers for a bucket: its limit, what is left, and when it resets (epoch seconds). */
const rateHeaders = (s: RateState): Record<string, string> => ({
  'x-rate-limit-limit': String(s.limit),
  'x-rate-limit-remaining': String(s.remaining),
  'x-rate-limit-reset': String(Math.ceil(s.resetAt / 1000)),
})

/** Lower-cased header lookup; repeated headers are joined with `, ` (RFC 9110 §5.3). */
const headerReader = (headers: Readonly<Record<string, HeaderValue>>) => {
  const lower = new Map<string, string>()
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue
    const value = typeof v === 'string' ? v : v.join(', ')
    const key = k.toLowerCase()
    const prev = lower.get(key)
    lower.set(key, prev === undefined ? value : `${prev}, ${value}`)
  }
  return (name: string): string | undefined => lower.get(name)
}

const splitUrl = (url: string): { readonly path: string; readonly query: URLSearchParams } => {
  let target = url
  if (!url.startsWith('/')) {
    // absolute-form request target (RFC 9112 §3.2.2), as sent to proxies
    try {
      const u = new URL(url)
      target = `${u.pathname}${u.search}`
    } catch {
      return { path: url, query: new URLSearchParams() }
    }
  }
  const q = target.indexOf('?')
  return q < 0 ? { path: target, query: new URLSearchParams() } : { path: target.slice(0, q), query: new URLSearchParams(target.slice(q + 1)) }
}

const isJsonMediaType = (contentType: string): boolean => {
  const [type = '', ...params] = contentType.split(';').map((p) => p.trim().toLowerCase())
  if (type !== 'application/json' && !/^application\/[\w.+-]+\+json$/.test(type)) return false
  const charset = params.find((p) => p.startsWith('charset='))
  return charset === undefined || /^charset="?utf-8"?$/.test(charset)
}

const isFormMediaType = (contentType: string): boolean => {
  const [type = '', ...params] = contentType.split(';').map((p) => p.trim().toLowerCase())
  const charset = params.find((p) => p.startsWith('charset='))
  return type === 'application/x-www-form-urlencoded' && (charset === undefined || /^charset="?utf-8"?$/.test(charset))
}

const byteLength = (body: string | Uint8Array): number => (typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.byteLength)

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

/**
 * Drops `null` members of objects, at any depth (array elements stay). The Java and .NET SDKs
 * serialise unset request fields as `null` (`"relayState": null`), which Okta treats as absent.
 */
export const withoutNulls = (v: unknown): unknown => {
  if (Array.isArray(v)) return v.map(withoutNulls)
  if (!isPlainObject(v)) return v
  // fromEntries defines own properties, so a `__proto__` member stays a plain member
  return Object.fromEntries(Object.entries(v).flatMap(([k, x]) => (x === null ? [] : [[k, withoutNulls(x)]])))
}

const flag = (v: string): boolean | string => {
  const l = v.toLowerCase()
  return l === 'true' ? true : l === 'false' ? false : v
}

/** Builds the framework-agnostic handler: route → validate → engine → Okta JSON, with CORS and trust. */
export const createAuthnHandler = (options: AuthnHttpOptions): AuthnHttpHandler => {
  const engine = options.engine
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT
  const maxJsonDepth = options.maxJsonDepth ?? DEFAULT_MAX_JSON_DEPTH
  const sessionLifetimeMs = options.sessionLifetimeMs ?? DEFAULT_SESSION_LIFETIME_MS
  const clock = options.clock ?? systemClock
  const random = options.random ?? cryptoRandom
  const mint = tokens(random)
  const nextRequestId = options.requestIds ?? createRequestIds(random)
  const router = createRouter(options.routes ?? AUTHN_ROUTES)
  const cors = createCors(options.trustedOrigins ?? [])
  const checkToken = createTokenCheck(options.apiTokens ?? [])
  const publicBaseUrl = options.publicBaseUrl?.replace(/\/+$/, '')
  const hostAllowed = createHostCheck(options.allowedHosts ?? [])
  const clientAddress = createClientAddress(options.trustedProxies ?? [])
  const idpId = options.idpId ?? '00oauthnmachine0000'
  const onError = options.onError ?? (() => undefined)
  const limiter = options.rateLimiter
  const limits = options.rateLimits ?? DEFAULT_RATE_LIMIT_POLICY

  /**
   * Counts the request in `bucket` (nothing without a limiter or with limits off). A limiter that
   * fails is reported and lets the request through: the engine's own bounds (lockout, attempts in
   * flight, the hashing queue) still hold.
   */
  const count = async (bucket: string, key: string, rule: RateLimitPolicy['perClientEndpoint'], requestId: string): Promise<RateState | null> => {
    if (limiter === undefined || !limits.enabled) return null
    const r = await limiter.consume(bucket, key, rule)()
    if (E.isRight(r)) return r.right
    onError(r.left, { requestId })
    return null
  }

  /** A 429 for the bucket that refused, with its headers and when to retry. */
  const refused = (s: RateState, headers: Readonly<Record<string, string>>): HttpResponse =>
    fail(failure('E0000047'), { ...headers, ...rateHeaders(s), 'retry-after': String(Math.max(1, Math.ceil((s.resetAt - clock.now()) / 1000))) })

  const respond = (status: number, body: unknown, headers: Readonly<Record<string, string>>): HttpResponse => ({
    status,
    headers: { ...JSON_HEADERS, ...headers },
    body: JSON.stringify(body),
  })

  const fail = (f: AuthnFailure, headers: Readonly<Record<string, string>>): HttpResponse =>
    respond(httpStatusOf(f), renderError(f, mint.errorId()), headers)

  const reply = (r: Reply<unknown>, headers: Readonly<Record<string, string>>): HttpResponse => respond(r.status, r.body, headers)

  const errorReply = (f: AuthnFailure): ErrorReply => ({ status: httpStatusOf(f), body: renderError(f, mint.errorId()) })

  /** The Users API operations, called with the path parameters that the route passes as body fields. */
  const adminOperations: Readonly<Record<AdminOperation, Operation>> = {
    lifecycle: (body) => {
      const fields = isPlainObject(body) ? body : {}
      const userId = fields['userId']
      const operation = typeof fields['operation'] === 'string' ? lifecycleOperationOf(fields['operation']) : undefined
      // Only a route table without these path parameters gets here.
      if (typeof userId !== 'string' || operation === undefined) return TE.left(errorReply(failure('E0000008')))
      // No user has an id that is not a UserId, and PostgreSQL text cannot hold NUL: unknown, without asking the store.
      if (!UserId.is(userId) || userId.includes('\u0000')) return TE.left(errorReply(failure('E0000007', [], `${userId} (User)`)))
      return engine.lifecycle(userId, operation)
    },
  }

  /** Looked up at request time, so a planned operation is called as soon as the engine has it. */
  const operationOf = (name: OperationName): Operation | undefined => (isAdminOperation(name) ? adminOperations[name] : engine[name])

  const baseUrlOf = (host: string | undefined, secure: boolean): string | null => {
    if (publicBaseUrl !== undefined) return publicBaseUrl
    if (host === undefined || !HOST.test(host) || !hostAllowed(host)) return null
    return `${secure ? 'https' : 'http'}://${host}`
  }

  /**
   * The request context. The device is a trusted caller's `context.deviceToken`, or for anyone
   * else the device cookie this server set (`browserDevice`); a body's token from an untrusted
   * caller is ignored.
   */
  const contextOf = (req: HttpRequest, header: (n: string) => string | undefined, trusted: boolean, body: unknown, browserDevice: string | null): HttpRequestContext => {
    const forwarded = trusted ? header('x-forwarded-for') : undefined
    const deviceToken = trusted ? (isPlainObject(body) && isPlainObject(body['context']) ? body['context']['deviceToken'] : undefined) : (browserDevice ?? undefined)
    const fingerprint = trusted ? header('x-device-fingerprint') : undefined
    return {
      ip: clientAddress(req.remoteAddress, forwarded),
      userAgent: header('user-agent') ?? null,
      deviceToken: typeof deviceToken === 'string' && deviceToken.length > 0 && deviceToken.length <= 32 ? deviceToken : null,
      trusted,
      deviceFingerprint: fingerprint !== undefined && fingerprint !== '' ? fingerprint : null,
    }
  }

  const presentSession = (r: Reply<unknown>, headers: Readonly<Record<string, string>>): HttpResponse => {
    const userId = isPlainObject(r.body) ? r.body['userId'] : undefined
    if (typeof userId !== 'string') return fail(failure('E0000009'), headers)
    const now = clock.now()
    const iso = (ms: number) => new Date(ms).toISOString()
    // How the user authenticated in the transaction (the engine reads it from the transaction's log).
    const fact = (name: string): unknown => (isPlainObject(r.body) ? r.body[name] : undefined)
    const amr = fact('amr')
    const passwordAt = fact('passwordVerifiedAt')
    const factorAt = fact('factorVerifiedAt')
    const session: OktaSession = {
      id: `102${Buffer.from(random.bytes(16)).toString('base64url')}`,
      userId,
      createdAt: iso(now),
      expiresAt: iso(now + sessionLifetimeMs),
      status: 'ACTIVE',
      lastPasswordVerification: iso(typeof passwordAt === 'number' ? passwordAt : now),
      lastFactorVerification: typeof factorAt === 'number' ? iso(factorAt) : null,
      amr: Array.isArray(amr) && amr.every((m) => typeof m === 'string') ? (amr as ReadonlyArray<string>) : ['pwd'],
      idp: { id: idpId, type: 'OKTA' },
      mfaActive: typeof factorAt === 'number',
    }
    return respond(200, session, headers)
  }

  const dispatch = async (route: RouteSpec, body: unknown, call: Call, headers: Readonly<Record<string, string>>): Promise<HttpResponse> => {
    const operation = operationOf(route.operation)
    if (operation !== undefined) {
      const result = await operation(body, call)()
      if (E.isLeft(result)) return reply(result.left, headers)
      return route.present === 'session' ? presentSession(result.right, headers) : reply(result.right, headers)
    }
    const notAllowed = failure('E0000079', [CAUSES.notAllowedInState])
    if (route.fallback === 'refuse') return fail(notAllowed, headers)
    // Validate the body and load the transaction as every operation does, then refuse it.
    const loaded = await engine.getState(body, call)()
    return E.isLeft(loaded) ? reply(loaded.left, headers) : fail(notAllowed, headers)
  }

  /**
   * The two `GET` resources the links of a transaction point at: a pending TOTP enrollment's QR
   * code (`…/factors/{factorId}/qr/{token}`, the token sealed and expiring) and the security
   * question catalogue (`/api/v1/users/{id}/factors/questions`, spec §6.3).
   */
  const getResource = async (path: string, query: URLSearchParams, headers: Readonly<Record<string, string>>): Promise<HttpResponse | null> => {
    if (path === STEP_UP_REDIRECT_PATH) {
      // A step-up SUCCESS's `original` link (spec §4.2 step 4): once, to the app's configured
      // return URL; the token in the URL is not passed on (no referrer) nor kept by caches.
      const token = query.get('stateToken')
      if (token === null || token === '') return fail(failure('E0000001', ['stateToken: The field cannot be left blank'], 'stepUpRedirect'), headers)
      const r = await engine.redeemStepUp(token)()
      if (E.isLeft(r)) return reply(r.left, headers)
      return { status: 302, headers: { ...headers, location: r.right.body.location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' }, body: '' }
    }
    const qr = QR_PATH.exec(path)
    if (qr !== null) {
      let token: string
      try {
        token = decodeURIComponent(qr[1] ?? '')
      } catch {
        // A malformed percent-escape names no QR code: not found, like an expired one.
        return fail(failure('E0000007', [], 'qrcode'), headers)
      }
      const r = await engine.factorQrCode(token)()
      if (E.isLeft(r)) return reply(r.left, headers)
      return { status: 200, headers: { ...headers, 'content-type': r.right.contentType, 'cache-control': 'no-store' }, body: r.right.body }
    }
    if (QUESTIONS_PATH.test(path)) return respond(200, engine.factorQuestions(), headers)
    return null
  }

  const handle = async (req: HttpRequest, header: (n: string) => string | undefined, requestId: string): Promise<HttpResponse> => {
    const method = req.method.toUpperCase()
    const { path, query } = splitUrl(req.url)
    const origin = header('origin')
    if (method === 'GET') {
      const got = await getResource(path, query, cors.headers(origin, false))
      if (got !== null) return got
    }
    const match = router(path)
    if (match === null) return fail(failure('E0000008'), cors.headers(origin, false))
    if (method === 'OPTIONS') return { status: 204, headers: { allow: 'POST, OPTIONS', ...cors.headers(origin, true) }, body: '' }
    const corsHeaders = cors.headers(origin, false)
    if (method !== 'POST') return fail(failure('E0000022'), { ...corsHeaders, allow: 'POST' })
    // Every request to an endpoint counts in its client's bucket, whatever follows (ADR 0014). The
    // client is the connection's address, or, behind a configured gateway, the one it forwards.
    const client = clientAddress(req.remoteAddress, header('x-forwarded-for')) ?? '-'
    const perClient = await count('client', bucketKey(client, match.route.operation), limits.perClientEndpoint, requestId)
    const headers = perClient === null ? corsHeaders : { ...corsHeaders, ...rateHeaders(perClient) }
    if (perClient !== null && !perClient.allowed) return refused(perClient, corsHeaders)

    const raw = req.body
    if (raw === BODY_TOO_LARGE || (raw !== null && byteLength(raw) > bodyLimit)) {
      // Okta has no code of its own for 413: its generic "not well-formed" body, with the 413 status (ADR 0013).
      const tooLarge = failure('E0000003', [`The request body must not be larger than ${bodyLimit} bytes.`])
      return respond(413, renderError(tooLarge, mint.errorId()), { ...headers, connection: 'close' })
    }

    const auth = checkToken(header('authorization'))
    if (auth._tag === 'InvalidToken') return fail(failure('E0000011'), headers)
    // Okta's Users API answers a missing API token as an invalid one.
    if (match.route.caller === 'trusted' && auth._tag !== 'Trusted') return fail(failure('E0000011'), headers)

    let parsed: unknown
    if (raw === null || byteLength(raw) === 0) {
      if (match.route.body === 'required') return fail(failure('E0000003', ['The request body is empty.']), headers)
      parsed = {}
    } else {
      // A missing type is refused too: a cross-origin page could otherwise post without a preflight.
      const contentType = header('content-type')
      const form = match.route.body === 'form' && contentType !== undefined && isFormMediaType(contentType)
      if (contentType === undefined || !(form || isJsonMediaType(contentType)))
        return fail(failure('E0000012', [match.route.body === 'form' ? 'Send the request body as application/json or application/x-www-form-urlencoded.' : 'Send the request body as application/json.']), headers)

      let text: string
      try {
        text = typeof raw === 'string' ? raw : utf8.decode(raw)
      } catch {
        return fail(failure('E0000003', ['The request body is not valid UTF-8.']), headers)
      }
      if (form) {
        // An HTML form post (Duo's frame): every field a string; a field sent twice is refused.
        const fields: Record<string, string> = {}
        for (const [name, value] of new URLSearchParams(text)) {
          if (Object.prototype.hasOwnProperty.call(fields, name)) return fail(failure('E0000003', [`The form field '${name}' is sent more than once.`]), headers)
          fields[name] = value
        }
        parsed = fields
      } else {
        // Counted without recursion before anything that recurses (JSON.parse, null removal, the codecs) sees the body.
        if (jsonDepth(text, maxJsonDepth) > maxJsonDepth)
          return fail(failure('E0000003', [`The request body must not nest objects and arrays more than ${maxJsonDepth} deep.`]), headers)
        try {
          parsed = JSON.parse(text)
        } catch {
          return fail(failure('E0000003'), headers)
        }
      }
      if (match.route.body === 'none' && !isPlainObject(parsed))
        return fail(failure('E0000003', ['The request body must be a JSON object.']), headers)
    }

    const baseUrl = baseUrlOf(header('host'), req.secure === true)
    if (baseUrl === null)
      return fail(failure('E0000001', ['Host: The header must be this server\'s host name (a loopback name, or one configured as allowed) with an optional port.'], 'Host'), headers)

    let body = parsed
    if (isPlainObject(parsed)) {
      const flags: Record<string, boolean | string> = {}
      for (const name of QUERY_FLAGS) {
        const v = query.get(name)
        if (v !== null) flags[name] = flag(v)
      }
      body = { ...(withoutNulls(parsed) as Record<string, unknown>), ...flags, ...match.params }
    }
    const trusted = auth._tag === 'Trusted'
    // A browser's device (remember device): the cookie this server set, else a new one drawn at
    // primary authentication and set with its answer.
    const cookieDevice = trusted ? null : deviceTokenOfCookies(header('cookie'))
    const newDevice = !trusted && cookieDevice === null && match.route.operation === 'authenticate' ? Buffer.from(random.bytes(24)).toString('base64url') : null
    const context = contextOf(req, header, trusted, body, cookieDevice ?? newDevice)
    // A username's and a state token's own buckets, across every client address.
    const fields = isPlainObject(body) ? body : {}
    const username = PER_USERNAME.includes(match.route.operation) && typeof fields['username'] === 'string' ? fields['username'].toLowerCase() : null
    if (username !== null) {
      const perUser = await count('username', bucketKey(match.route.operation, username), limits.perUsername, requestId)
      if (perUser !== null && !perUser.allowed) return refused(perUser, corsHeaders)
    }
    if (typeof fields['stateToken'] === 'string') {
      const perState = await count('state', bucketKey(fields['stateToken']), limits.perStateToken, requestId)
      if (perState !== null && !perState.allowed) return refused(perState, corsHeaders)
    }
    const answer = await dispatch(match.route, body, { baseUrl, context }, headers)
    return newDevice !== null && answer.status === 200
      ? { ...answer, headers: { ...answer.headers, 'set-cookie': deviceCookieHeader(newDevice, baseUrl.startsWith('https:')) } }
      : answer
  }

  /** The host's id for the request when it is a usable one, else a fresh one. */
  const requestIdOf = (given: string | undefined): string => (given !== undefined && isRequestId(given) ? given : nextRequestId())

  /** Every answer names its request, errors included (Okta's `X-Okta-Request-Id`). */
  const withRequestId = (response: HttpResponse, requestId: string): HttpResponse => ({
    ...response,
    headers: { ...response.headers, [REQUEST_ID_HEADER]: requestId },
  })

  const handler = async (req: HttpRequest): Promise<HttpResponse> => {
    let header: (n: string) => string | undefined = () => undefined
    let requestId = ''
    try {
      requestId = requestIdOf(req.requestId)
      header = headerReader(req.headers)
      return withRequestId(await handle(req, header, requestId), requestId)
    } catch (error) {
      if (requestId === '') requestId = nextRequestId()
      onError(error, { requestId })
      let origin: string | undefined
      try {
        origin = header('origin')
      } catch {
        origin = undefined
      }
      return withRequestId(fail(failure('E0000009'), cors.headers(origin, false)), requestId)
    }
  }

  return Object.assign(handler, {
    bodyLimit,
    handles: (path: string) => {
      const p = splitUrl(path).path
      return (
        router(p) !== null ||
        OWNED_PREFIXES.some((prefix) => p === prefix || p.startsWith(`${prefix}/`)) ||
        OWNED_USER_PATH.test(p) ||
        QUESTIONS_PATH.test(p) ||
        p === STEP_UP_REDIRECT_PATH
      )
    },
    error: (request: Pick<HttpRequest, 'headers'> & Pick<Partial<HttpRequest>, 'requestId'>, f: AuthnFailure) =>
      withRequestId(fail(f, cors.headers(headerReader(request.headers)('origin'), false)), requestIdOf(request.requestId)),
    routeOf: (path: string): string | null => {
      const p = splitUrl(path).path
      if (QR_PATH.test(p)) return QR_ROUTE
      if (QUESTIONS_PATH.test(p)) return QUESTIONS_ROUTE
      if (p === STEP_UP_REDIRECT_PATH) return STEP_UP_REDIRECT_PATH
      return router(p)?.route.path ?? null
    },
  })
}
