import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { createStaticPolicySource } from '@authn-machine/adapter-memory'
import { DEFAULT_RATE_LIMIT_POLICY, OrgSeed, rateLimitsFromSeed, registered, type Clock, type Factor, type Hasher, type RateLimitPolicy } from '@authn-machine/core'
import { createCallFactor } from '@authn-machine/factor-call'
import { createEmailFactor } from '@authn-machine/factor-email'
import { createHotpFactor } from '@authn-machine/factor-hotp'
import { createQuestionFactor } from '@authn-machine/factor-question'
import { createSmsFactor } from '@authn-machine/factor-sms'
import { createTotpFactor } from '@authn-machine/factor-totp'
import {
  createArgon2Hasher,
  createAuthn,
  createFactorRegistry,
  cryptoRandom,
  seedOrg,
  systemClock,
  type AuthnSettings,
  type LoadedOrg,
} from '@authn-machine/engine'
import { createAuthnHandler, createNodeListener, createTokenCheck, DEFAULT_BODY_LIMIT } from '@authn-machine/http'
import { devOutboxJson, type DevOutbox } from '@authn-machine/message-senders'
import { createRingAuditSink } from './audit.js'
import { createServerMessaging, DEV_OUTBOX_ROUTES, type MessageRoutes } from './messages.js'
import { answerRecoveryPage } from './recovery-pages.js'
import { resolveRelativeDates } from './seed-file.js'
import { createStores, type StoreConfig } from './stores.js'

export interface StartOptions {
  /** Default `127.0.0.1`. */
  readonly host?: string
  /** Default 8080; 0 picks a free port. */
  readonly port?: number
  /** Origin that links point at; default `http(s)://<Host header>` of each request. */
  readonly publicBaseUrl?: string
  readonly apiTokens?: ReadonlyArray<string>
  readonly trustedOrigins?: ReadonlyArray<string>
  /** Host headers links may follow without a public URL, besides loopback names (see the binding). */
  readonly allowedHosts?: ReadonlyArray<string>
  /** Gateways whose X-Forwarded-For is read for trusted callers (addresses or CIDR blocks). */
  readonly trustedProxies?: ReadonlyArray<string>
  /** The org as parsed JSON (docs/seed-format.md); relative `passwordChanged` dates are resolved. */
  readonly seed: unknown
  /** Default `{ kind: 'memory' }` (the command line defaults to `embedded`). */
  readonly store?: StoreConfig
  /** Serve `POST /__conformance/reset`, which empties the stores and loads the seed again. */
  readonly conformance?: boolean
  /** Where each channel's messages go. Default: every channel to the dev outbox. */
  readonly messages?: MessageRoutes
  /**
   * Serve `GET /__dev/outbox?to=…`: the dev outbox's messages (codes included), newest first. When
   * API tokens are configured it needs one. Without it the path is an unknown one (404).
   */
  readonly devOutbox?: boolean
  /** Where the dev outbox prints its line per message. Default: stdout. */
  readonly log?: (line: string) => void
  /** Default argon2id (OWASP parameters). */
  readonly hasher?: Hasher
  readonly clock?: Clock
  readonly bodyLimit?: number
  readonly settings?: Partial<AuthnSettings>
  /** How long `close()` waits for in-flight requests before cutting connections. Default 10 s. */
  readonly shutdownGraceMs?: number
  /** Time for a client to send a request's headers, then 408 and close. Default {@link DEFAULT_LIMITS}. */
  readonly headersTimeoutMs?: number
  /** Time for a client to send a whole request (headers and body), then 408 and close. Default {@link DEFAULT_LIMITS}. */
  readonly requestTimeoutMs?: number
  /** How long an idle keep-alive connection is kept. Default {@link DEFAULT_LIMITS}. */
  readonly keepAliveTimeoutMs?: number
  /** Open connections at most; further ones are closed on arrival. Default {@link DEFAULT_LIMITS}. */
  readonly maxConnections?: number
  /** Told about unexpected exceptions. Default: written to stderr. */
  readonly onError?: (error: unknown) => void
  /**
   * The rate limits (docs/adr/0014-rate-limits.md). Default: the seed's `policies.rateLimits` over
   * the defaults; in conformance mode, off unless the seed sets them (the harness's model has no
   * rate limits, and a run sends bursts for one user).
   */
  readonly rateLimits?: RateLimitPolicy
}

export interface RunningServer {
  /** Where the server listens, e.g. `http://127.0.0.1:8080`. */
  readonly url: string
  /** The origin in links: the configured public base URL, else {@link url}. */
  readonly publicUrl: string
  readonly port: number
  readonly org: LoadedOrg
  /** The dev outbox: the messages of the channels routed to it, whether or not `GET /__dev/outbox` is served. */
  readonly outbox: DevOutbox
  /** Stops accepting connections, lets in-flight requests finish, then closes the stores. */
  readonly close: () => Promise<void>
}

export class SeedError extends Error {
  override readonly name = 'SeedError'
}

const HEALTH_BODY = JSON.stringify({ status: 'ok' })

/** The reference server's connection limits, instead of Node's (about 5 min for a body, no cap on connections). */
export const DEFAULT_LIMITS = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 1_024,
} as const

/** The factor families the reference server serves. */
export const FACTOR_PLUGINS: ReadonlyArray<Factor> = [
  registered(createTotpFactor('OKTA')),
  registered(createTotpFactor('GOOGLE')),
  registered(createHotpFactor()),
  registered(createQuestionFactor()),
  registered(createSmsFactor()),
  registered(createCallFactor()),
  registered(createEmailFactor()),
]

/** The conformance harness's reset path (authn-conformance `--reset-path`). */
export const CONFORMANCE_RESET = '/__conformance/reset'

/** The dev outbox's path (`--dev-outbox`). */
export const DEV_OUTBOX_PATH = '/__dev/outbox'

const replyJson = (res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void => {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-length': Buffer.byteLength(text),
    ...headers,
  })
  res.end(text)
}

/**
 * The raw HTTP/1.1 answer to a request Node's parser refused (`clientError`): 431 for oversize
 * headers, 408 for a request that took too long, 400 for anything else, each with an Okta error
 * body (E0000003 and a cause) and `Connection: close`.
 */
export const clientErrorResponse = (code: string | undefined): string => {
  const [status, reason, cause] =
    code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'The request headers are too large.']
      : code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'The request did not arrive in time.']
        : [400, 'Bad Request', 'The request is not valid HTTP/1.1.']
  const body = JSON.stringify({
    errorCode: 'E0000003',
    errorSummary: 'The request body was not well-formed.',
    errorLink: 'E0000003',
    errorId: `oae${randomBytes(16).toString('base64url')}`,
    errorCauses: [{ errorSummary: cause }],
  })
  return `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
}

const METHOD_NOT_ALLOWED = { errorCode: 'E0000022', errorSummary: 'The endpoint does not support the provided HTTP method' }
const INVALID_TOKEN = { errorCode: 'E0000011', errorSummary: 'Invalid token provided' }

const splitTarget = (url: string): { readonly path: string; readonly query: string } => {
  const q = url.indexOf('?')
  return q < 0 ? { path: url, query: '' } : { path: url.slice(0, q), query: url.slice(q + 1) }
}

/**
 * The `to` query parameter, with `+` kept as a plus (not form-decoded to a space), so that
 * `?to=+15551234567` works as typed; `%2B` works too. Empty or absent: undefined.
 */
const recipientOf = (query: string): string | undefined => {
  for (const part of query.split('&')) {
    const eq = part.indexOf('=')
    if ((eq < 0 ? part : part.slice(0, eq)) !== 'to') continue
    const raw = eq < 0 ? '' : part.slice(eq + 1)
    let value: string
    try {
      value = decodeURIComponent(raw)
    } catch {
      value = raw
    }
    return value === '' ? undefined : value
  }
  return undefined
}

const isHealth = (req: IncomingMessage): boolean =>
  (req.method === 'GET' || req.method === 'HEAD') && (req.url === '/health' || req.url?.startsWith('/health?') === true)

const answerHealth = (req: IncomingMessage, res: ServerResponse): void => {
  res.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(HEALTH_BODY),
  })
  res.end(req.method === 'HEAD' ? undefined : HEALTH_BODY)
}

/** The seed's rate limits over the defaults; in conformance mode off unless the seed sets them. */
const rateLimitsOf = (seed: unknown, conformance: boolean): RateLimitPolicy => {
  const decoded = OrgSeed.decode(seed)
  const given = decoded._tag === 'Right' ? decoded.right.policies?.rateLimits : undefined
  if (given === undefined && conformance) return { ...DEFAULT_RATE_LIMIT_POLICY, enabled: false }
  return rateLimitsFromSeed(given)
}

const hostForUrl = (host: string) => (host.includes(':') ? `[${host}]` : host)

/**
 * Seeds an org into a fresh store and serves `/api/v1/authn`, `POST /api/v1/sessions`, `GET /health`
 * and, for callers with an API token, `POST /api/v1/users/{id}/lifecycle/{operation}`.
 */
export const startServer = async (options: StartOptions): Promise<RunningServer> => {
  const clock = options.clock ?? systemClock
  const hasher = options.hasher ?? createArgon2Hasher()
  const onError = options.onError ?? ((e: unknown) => console.error('[authn-machine] unexpected error:', e))
  const stores = await createStores(options.store ?? { kind: 'memory' })
  const registry = createFactorRegistry(FACTOR_PLUGINS, stores.secrets)
  const messaging = createServerMessaging(options.messages ?? DEV_OUTBOX_ROUTES, options.log)

  // A persistent store reopened keeps its users (their password changes and lockouts survive).
  const loadSeed = () =>
    seedOrg(resolveRelativeDates(options.seed, clock.now()), { users: stores.users, factors: stores.factors, hasher, registry, random: cryptoRandom }, clock.now(), undefined, {
      existing: stores.persistent ? 'keep' : 'fail',
    })()
  const seeded = await loadSeed()
  if (seeded._tag === 'Left') {
    await stores.close()
    const e = seeded.left
    throw new SeedError(
      e._tag === 'InvalidSeed' ? `invalid seed:\n  ${e.details.join('\n  ')}` : `could not store seed user ${e.login}: ${String(e.cause)}`,
    )
  }
  const org = seeded.right

  const engine = createAuthn({
    transactions: stores.transactions,
    users: stores.users,
    steps: stores.steps,
    factors: stores.factors,
    secrets: stores.secrets,
    factorPlugins: FACTOR_PLUGINS,
    messages: messaging.sender,
    policies: createStaticPolicySource(org.policies),
    hasher,
    clock,
    random: cryptoRandom,
    audit: createRingAuditSink(),
    ...(options.settings === undefined ? {} : { settings: options.settings }),
  })
  const handler = createAuthnHandler({
    engine,
    ...(options.publicBaseUrl === undefined ? {} : { publicBaseUrl: options.publicBaseUrl }),
    apiTokens: options.apiTokens ?? [],
    trustedOrigins: options.trustedOrigins ?? [],
    allowedHosts: options.allowedHosts ?? [],
    trustedProxies: options.trustedProxies ?? [],
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    clock,
    onError,
    rateLimiter: stores.rateLimiter,
    rateLimits: options.rateLimits ?? rateLimitsOf(options.seed, options.conformance === true),
  })
  const authn = createNodeListener(handler, onError)

  /**
   * Conformance mode: `POST /__conformance/reset` empties the stores and loads the seed again, so
   * that each run of the harness starts from the seeded org. Requests are not expected meanwhile.
   */
  const checkToken = createTokenCheck(options.apiTokens ?? [])
  /** With API tokens configured, the development endpoints need one. */
  const isAllowed = (req: IncomingMessage): boolean =>
    (options.apiTokens ?? []).length === 0 || checkToken(req.headers.authorization)._tag === 'Trusted'
  const answerReset = (req: IncomingMessage, res: ServerResponse): void => {
    const reply = (status: number, body: unknown) => replyJson(res, status, body)
    if (req.method !== 'POST') return reply(405, METHOD_NOT_ALLOWED)
    if (!isAllowed(req)) return reply(401, INVALID_TOKEN)
    req.resume()
    req.once('end', () => {
      stores
        .reset()
        .then(loadSeed)
        .then(
          (r) => (r._tag === 'Right' ? reply(200, { status: 'reset', users: r.right.users.length }) : reply(500, { errorCode: 'E0000009', errorSummary: 'seed failed' })),
          (e: unknown) => {
            onError(e)
            reply(500, { errorCode: 'E0000009', errorSummary: 'Internal Server Error' })
          },
        )
    })
  }

  /** `GET /__dev/outbox?to=…` (`--dev-outbox`): the dev outbox's messages, newest first. */
  const answerOutbox = (req: IncomingMessage, res: ServerResponse, query: string): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return replyJson(res, 405, METHOD_NOT_ALLOWED, { allow: 'GET, HEAD' })
    if (!isAllowed(req)) return replyJson(res, 401, INVALID_TOKEN)
    const to = recipientOf(query)
    replyJson(res, 200, devOutboxJson(messaging.outbox.messages(to === undefined ? {} : { to })))
  }

  const headersTimeout = options.headersTimeoutMs ?? DEFAULT_LIMITS.headersTimeoutMs
  // Node requires the header timeout not to exceed the request timeout (0 would disable it).
  const requestTimeout = Math.max(options.requestTimeoutMs ?? DEFAULT_LIMITS.requestTimeoutMs, headersTimeout)
  let closing = false
  const server: Server = createServer(
    {
      headersTimeout,
      requestTimeout,
      keepAliveTimeout: options.keepAliveTimeoutMs ?? DEFAULT_LIMITS.keepAliveTimeoutMs,
      // Node checks both timeouts on this interval (default 30 s); keep it well under them.
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(headersTimeout / 4))),
    },
    (req, res) => {
      // While draining, every answer closes its connection so keep-alive clients move on.
      if (closing) res.setHeader('connection', 'close')
      // A request that was in flight when draining began leaves an idle keep-alive connection behind.
      res.once('finish', () => {
        if (closing) setImmediate(() => server.closeIdleConnections())
      })
      const target = splitTarget(req.url ?? '/')
      if (isHealth(req)) answerHealth(req, res)
      else if (options.conformance === true && req.url === CONFORMANCE_RESET) answerReset(req, res)
      else if (options.devOutbox === true && target.path === DEV_OUTBOX_PATH) answerOutbox(req, res, target.query)
      // The pages recovery emails link to; everything else is the API's.
      else if (!answerRecoveryPage(req, res, target.path)) authn(req, res)
    },
  )
  server.maxConnections = options.maxConnections ?? DEFAULT_LIMITS.maxConnections
  // What Node's HTTP parser refuses before any handler sees it is answered as Okta errors too.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy()
      return
    }
    socket.end(clientErrorResponse(error.code))
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 8080, options.host ?? '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address() as AddressInfo
  const url = `http://${hostForUrl(address.address)}:${address.port}`

  let closed: Promise<void> | null = null
  const close = (): Promise<void> =>
    (closed ??= new Promise<void>((resolve, reject) => {
      closing = true
      const force = setTimeout(() => server.closeAllConnections(), options.shutdownGraceMs ?? 10_000)
      force.unref()
      server.close((err) => {
        clearTimeout(force)
        stores.close().then(() => (err === undefined ? resolve() : reject(err)), reject)
      })
      // Idle keep-alive connections would hold `close` open until they time out.
      server.closeIdleConnections()
    }))

  return { url, publicUrl: options.publicBaseUrl?.replace(/\/+$/, '') ?? url, port: address.port, org, outbox: messaging.outbox, close }
}
