import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { randomBytes } from 'node:crypto'
import { Socket, type AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { createStaticPolicySource } from '@authn-machine/adapter-memory'
import { DEFAULT_RATE_LIMIT_POLICY, DUO_SCRIPT_PATH, OrgSeed, rateLimitsFromSeed, registered, type Clock, type Factor, type Hasher, type RateLimitPolicy } from '@authn-machine/core'
import { createCallFactor } from '@authn-machine/factor-call'
import { createEmailFactor } from '@authn-machine/factor-email'
import { createHotpFactor } from '@authn-machine/factor-hotp'
import { createQuestionFactor } from '@authn-machine/factor-question'
import { createSmsFactor } from '@authn-machine/factor-sms'
import { createTotpFactor } from '@authn-machine/factor-totp'
import { createYubikeyFactor, type YubicoValidationOptions, type YubikeyKeySource } from '@authn-machine/factor-yubikey'
import { createSymantecFactor, type SymantecOptions } from '@authn-machine/factor-symantec'
import { createRsaFactor, type RsaOptions } from '@authn-machine/factor-rsa'
import { createWebauthnFactor } from '@authn-machine/factor-webauthn'
import { createU2fFactor } from '@authn-machine/factor-u2f'
import { createDuoFactor, duoWebScriptPath, type DuoOptions } from '@authn-machine/factor-duo'
import { createApnsGateway, createPushFactor, type ApnsConfig } from '@authn-machine/factor-push'
import { readFile } from 'node:fs/promises'
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
import {
  createAuthnHandler,
  createClientAddress,
  createNodeListener,
  createRequestIds,
  createTokenCheck,
  DEFAULT_BODY_LIMIT,
} from '@authn-machine/http'
import { devOutboxJson, type DevOutbox } from '@authn-machine/message-senders'
import { composeAuditSinks, createRingAuditSink } from './audit.js'
import { createLogAuditSink, errorFields, type ServerLogger } from './logging.js'
import { createServerMetrics, UNMATCHED_ROUTE } from './metrics.js'
import { createOperations, DEFAULT_READY_TIMEOUT_MS, replyJson } from './operations.js'
import { createServerMessaging, DEV_OUTBOX_ROUTES, type MessageRoutes } from './messages.js'
import { answerRecoveryPage, RECOVERY_PAGE, RECOVERY_SCRIPT_PATH } from './recovery-pages.js'
import { resolveRelativeDates } from './seed-file.js'
import { createStores, withStoreErrorReports, type StoreConfig, type Stores } from './stores.js'
import { API_DOCS_PATHS, createApiDocs } from './api-docs.js'
import { createFrontPage, FRONT_PAGE_PATHS } from './sign-in-page.js'
import { answerWidgetFile, loadWidgetAssets, widgetFileOf, WIDGET_ROUTE } from './widget-assets.js'

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
  /** The YubiKey OTP keys (`--yubikey-keys`): with them the token:hardware/YUBICO family is offered. */
  readonly yubikeyKeys?: YubikeyKeySource
  /**
   * Yubico validation servers (`--yubico-validation-url`, protocol 2.0): with them the
   * token:hardware/YUBICO family is offered, its OTPs checked by the servers. Not with `yubikeyKeys`.
   */
  readonly yubikeyValidation?: YubicoValidationOptions
  /** Duo (Web v2, `--duo-api-host` and its keys): with it web/DUO is offered, and Duo's frame script is served. */
  readonly duo?: DuoOptions
  /**
   * Push (push/OKTA, always offered): number matching (default on), and APNs for devices that give
   * a push token (without it, devices fetch their challenges from this server).
   */
  readonly push?: { readonly numberChallenge?: boolean; readonly apns?: ApnsConfig }
  /** The Symantec VIP service (`--symantec-vip-url` and its client certificate): with it token/SYMANTEC is offered. */
  readonly symantec?: SymantecOptions
  /** The RADIUS server of RSA SecurID (`--rsa-radius`): with it token/RSA is offered. */
  readonly rsa?: RsaOptions
  /** Start-up progress in words (the port bound, the store opening), for the command line to print. */
  readonly progress?: (line: string) => void
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
  /** Told about unexpected exceptions. Default: logged when there is a logger, else written to stderr. */
  readonly onError?: (error: unknown) => void
  /**
   * Structured logs (docs/adr/0021-operations.md): a JSON line per request (route template, status,
   * duration, request id, client address; never a path, body, token or password), the audit
   * entries, store failures, unexpected errors with their stack, start and stop. `createLogger()`
   * makes one. Default: none (the command line logs to stdout at `--log-level`).
   */
  readonly logger?: ServerLogger
  /**
   * Count requests, outcomes, lockouts, store failures and 429s, and serve them on `GET /metrics`
   * (Prometheus text format). Default true.
   */
  readonly metrics?: boolean
  /**
   * A token for scraping `/metrics` only (`Authorization: Bearer <token>`). When it or any API token
   * is configured, `/metrics` needs one of them (an API token as `SSWS`); otherwise it is open.
   */
  readonly metricsToken?: string
  /** How long `GET /health/ready` waits for the store. Default {@link DEFAULT_READY_TIMEOUT_MS}. */
  readonly readyTimeoutMs?: number
  /** Stores already open, used instead of opening `store` (embedding, tests); closed by `close()`. */
  readonly stores?: Stores
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

/** The port could not be bound (in use, not allowed, no such address): nothing else was opened. */
export class ListenError extends Error {
  override readonly name = 'ListenError'
  constructor(host: string, port: number, cause: unknown) {
    const code = typeof cause === 'object' && cause !== null && 'code' in cause ? String((cause as { code: unknown }).code) : ''
    const why =
      code === 'EADDRINUSE' ? 'the port is in use (another server running?)' : code === 'EACCES' ? 'not allowed (a port below 1024 needs privileges)' : code === 'EADDRNOTAVAIL' ? 'no such address on this machine' : cause instanceof Error ? cause.message : String(cause)
    super(`cannot listen on ${host}:${port}: ${why}`, { cause })
  }
}

const STARTING_BODY = {
  errorCode: 'E0000009',
  errorSummary: 'Internal Server Error',
  errorLink: 'E0000009',
  errorId: 'starting',
  errorCauses: [{ errorSummary: 'The service is starting. Retry the request.' }],
}

/** While storage opens: live is 200, ready and everything else 503 with Retry-After. */
const answerStarting = (req: IncomingMessage, res: ServerResponse, requestId: string): void => {
  req.resume()
  const path = splitTarget(req.url ?? '/').path
  const live = path === '/health' || path === '/health/live'
  const body = live ? { status: 'ok' } : path === '/health/ready' ? { status: 'unavailable', checks: [{ name: 'store', status: 'starting' }] } : STARTING_BODY
  replyJson(req, res, live ? 200 : 503, body, { 'x-okta-request-id': requestId, ...(live ? {} : { 'retry-after': '1' }) })
}

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
  registered(createWebauthnFactor()),
  registered(createU2fFactor()),
  // Each server makes its own (its mailbox, its gateway): this one stands for the family.
  registered(createPushFactor()),
]

/** Factor families the server offers only when configured: the option that turns each on. */
export const OPTIONAL_FACTOR_FAMILIES: ReadonlyArray<{ readonly factorType: string; readonly provider: string; readonly option: string; readonly how: string }> = [
  {
    factorType: 'token:hardware',
    provider: 'YUBICO',
    option: '--yubikey-keys FILE or --yubico-validation-url URL',
    how: 'checks a Yubico OTP locally against the keys of a Yubico-format key file, a replay refused by counter, or asks Yubico validation servers (protocol 2.0, HMAC-SHA1 signed)',
  },
  { factorType: 'token', provider: 'SYMANTEC', option: '--symantec-vip-url URL', how: 'validates the code with the Symantec VIP service over SOAP with mutual TLS' },
  { factorType: 'token', provider: 'RSA', option: '--rsa-radius HOST:PORT', how: 'checks the passcode with a RADIUS server (RSA Authentication Manager), Message-Authenticator signed' },
  { factorType: 'web', provider: 'DUO', option: '--duo-api-host HOST', how: 'Duo Web v2: Duo\'s frame verifies the user, its signed response is checked once by the transaction that asked for it' },
]

/** The conformance harness's reset path (authn-conformance `--reset-path`). */
export const CONFORMANCE_RESET = '/__conformance/reset'

/** The dev outbox's path (`--dev-outbox`). */
export const DEV_OUTBOX_PATH = '/__dev/outbox'


/** The status, reason phrase and cause for a request Node's parser refused. */
const clientErrorOf = (code: string | undefined): readonly [number, string, string] =>
  code === 'HPE_HEADER_OVERFLOW'
    ? [431, 'Request Header Fields Too Large', 'The request headers are too large.']
    : code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'Request Timeout', 'The request did not arrive in time.']
      : [400, 'Bad Request', 'The request is not valid HTTP/1.1.']

/**
 * The raw HTTP/1.1 answer to a request Node's parser refused (`clientError`): 431 for oversize
 * headers, 408 for a request that took too long, 400 for anything else, each with an Okta error
 * body (E0000003 and a cause), `Connection: close` and, when given, the request's id.
 */
export const clientErrorResponse = (code: string | undefined, requestId?: string): string => {
  const [status, reason, cause] = clientErrorOf(code)
  const body = JSON.stringify({
    errorCode: 'E0000003',
    errorSummary: 'The request body was not well-formed.',
    errorLink: 'E0000003',
    errorId: `oae${randomBytes(16).toString('base64url')}`,
    errorCauses: [{ errorSummary: cause }],
  })
  const id = requestId === undefined ? '' : `X-Okta-Request-Id: ${requestId}\r\n`
  return `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${id}Connection: close\r\n\r\n${body}`
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

/** The seed's rate limits over the defaults; in conformance mode off unless the seed sets them. */
const rateLimitsOf = (seed: unknown, conformance: boolean): RateLimitPolicy => {
  const decoded = OrgSeed.decode(seed)
  const given = decoded._tag === 'Right' ? decoded.right.policies?.rateLimits : undefined
  if (given === undefined && conformance) return { ...DEFAULT_RATE_LIMIT_POLICY, enabled: false }
  return rateLimitsFromSeed(given)
}

const hostForUrl = (host: string) => (host.includes(':') ? `[${host}]` : host)

/**
 * Seeds an org into a fresh store and serves `/api/v1/authn`, `POST /api/v1/sessions`, the health
 * checks (`GET /health/live`, `/health/ready`, `/health`), `GET /metrics` and, for callers with an
 * API token, `POST /api/v1/users/{id}/lifecycle/{operation}`.
 */
export const startServer = async (options: StartOptions): Promise<RunningServer> => {
  const clock = options.clock ?? systemClock
  const hasher = options.hasher ?? createArgon2Hasher()
  const logger = options.logger
  const metrics = options.metrics === false ? undefined : createServerMetrics()
  let closing = false
  const nextRequestId = createRequestIds(cryptoRandom)
  // The port is bound before any storage opens: a port in use fails at once, with nothing opened,
  // and requests that arrive while storage opens are answered 503 (live, not ready).
  let serve: ((req: IncomingMessage, res: ServerResponse) => void) | null = null
  const headersTimeout = options.headersTimeoutMs ?? DEFAULT_LIMITS.headersTimeoutMs
  // Node requires the header timeout not to exceed the request timeout (0 would disable it).
  const requestTimeout = Math.max(options.requestTimeoutMs ?? DEFAULT_LIMITS.requestTimeoutMs, headersTimeout)
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
      if (serve !== null) serve(req, res)
      else answerStarting(req, res, nextRequestId())
    },
  )
  server.maxConnections = options.maxConnections ?? DEFAULT_LIMITS.maxConnections
  // What Node's HTTP parser refuses before any handler sees it is answered as Okta errors too.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy()
      return
    }
    const requestId = nextRequestId()
    const response = clientErrorResponse(error.code, requestId)
    const client = socket instanceof Socket ? (socket.remoteAddress ?? null) : null
    logger?.info({ requestId, status: clientErrorOf(error.code)[0], error: error.code ?? null, client }, 'request refused by the HTTP parser')
    socket.end(response)
  })

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(options.port ?? 8080, options.host ?? '127.0.0.1', () => {
        server.off('error', reject)
        resolve()
      })
    })
  } catch (e) {
    throw new ListenError(options.host ?? '127.0.0.1', options.port ?? 8080, e)
  }
  options.progress?.(`port ${(server.address() as AddressInfo).port} bound; opening the ${options.stores === undefined ? (options.store?.kind ?? 'memory') : 'given'} store`)
  /** Storage or the seed failed after the port was bound: the port is let go before the error goes on. */
  const unbind = async (e: unknown): Promise<never> => {
    await new Promise<void>((resolve) => server.close(() => resolve()))
    throw e
  }
  // The Sign-In Widget's files for the front page, read from the installed package (once per process).
  const widgetAssets = await loadWidgetAssets().catch(unbind)
  // Duo's frame script (Duo Web v2), served at Okta's path for it when Duo is configured.
  const duoScript = options.duo === undefined ? null : await readFile(duoWebScriptPath()).catch(unbind)
  const opened = options.stores ?? (await createStores(options.store ?? { kind: 'memory' }).catch(unbind))
  const trustedProxies = options.trustedProxies ?? []
  const ops = createOperations({
    logger,
    metrics,
    apiTokens: options.apiTokens ?? [],
    metricsToken: options.metricsToken,
    ping: () => opened.ping(),
    readyTimeoutMs: options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
    draining: () => closing,
    clientAddress: createClientAddress(trustedProxies),
    requestId: nextRequestId,
  })
  /** An unexpected exception: logged with its stack (and the request it happened in), then `onError`. */
  const onError = (error: unknown, request?: { readonly requestId: string }): void => {
    logger?.error({ requestId: request?.requestId ?? ops.currentRequestId(), err: errorFields(error) }, 'unexpected error')
    if (options.onError !== undefined) options.onError(error)
    else if (logger === undefined) console.error('[authn-machine] unexpected error:', error)
  }
  // Failed store calls are counted and logged; the engine answers them as before (500 E0000009).
  const stores =
    logger === undefined && metrics === undefined
      ? opened
      : withStoreErrorReports(opened, (f) => {
          metrics?.storeError(f.port, f.kind)
          logger?.error({ requestId: ops.currentRequestId(), store: { port: f.port, method: f.method, error: f.kind }, err: errorFields(f.error) }, 'store error')
        })
  const symantec = options.symantec === undefined ? undefined : createSymantecFactor(options.symantec)
  const rsa = options.rsa === undefined ? undefined : createRsaFactor(options.rsa)
  const apns = options.push?.apns === undefined ? undefined : createApnsGateway(options.push.apns)
  const push = createPushFactor({ numberChallenge: options.push?.numberChallenge ?? true, ...(apns === undefined ? {} : { gateway: apns }) })
  const factorPlugins: ReadonlyArray<Factor> = [
    ...FACTOR_PLUGINS.filter((f) => f.factorType !== 'push'),
    registered(push),
    ...(options.yubikeyKeys === undefined ? [] : [registered(createYubikeyFactor({ keys: options.yubikeyKeys }))]),
    ...(options.yubikeyValidation === undefined ? [] : [registered(createYubikeyFactor({ validation: options.yubikeyValidation }))]),
    ...(symantec === undefined ? [] : [registered(symantec)]),
    ...(rsa === undefined ? [] : [registered(rsa)]),
    ...(options.duo === undefined ? [] : [registered(createDuoFactor(options.duo))]),
  ]
  const registry = createFactorRegistry(factorPlugins, stores.secrets)
  const messaging = createServerMessaging(options.messages ?? DEV_OUTBOX_ROUTES, options.log)

  // A persistent store reopened keeps its users (their password changes and lockouts survive).
  const loadSeed = () =>
    seedOrg(resolveRelativeDates(options.seed, clock.now()), { users: stores.users, factors: stores.factors, apps: stores.apps, hasher, registry, random: cryptoRandom }, clock.now(), undefined, {
      existing: stores.persistent ? 'keep' : 'fail',
    })()
  const seeded = await loadSeed()
  if (seeded._tag === 'Left') {
    await stores.close()
    const e = seeded.left
    return unbind(
      new SeedError(e._tag === 'InvalidSeed' ? `invalid seed:\n  ${e.details.join('\n  ')}` : `could not store seed user ${e.login}: ${String(e.cause)}`),
    )
  }
  const org = seeded.right

  const engine = createAuthn({
    transactions: stores.transactions,
    users: stores.users,
    steps: stores.steps,
    factors: stores.factors,
    apps: stores.apps,
    secrets: stores.secrets,
    factorPlugins,
    messages: messaging.sender,
    policies: createStaticPolicySource(org.policies),
    hasher,
    clock,
    random: cryptoRandom,
    // Every entry goes to the ring, to the log and to the metrics.
    audit: composeAuditSinks(
      createRingAuditSink(),
      ...(logger === undefined ? [] : [createLogAuditSink(logger, ops.currentRequestId)]),
      ...(metrics === undefined ? [] : [metrics.audit]),
    ),
    ...(options.settings === undefined ? {} : { settings: options.settings }),
  })
  const handler = createAuthnHandler({
    engine,
    ...(options.publicBaseUrl === undefined ? {} : { publicBaseUrl: options.publicBaseUrl }),
    apiTokens: options.apiTokens ?? [],
    trustedOrigins: options.trustedOrigins ?? [],
    allowedHosts: options.allowedHosts ?? [],
    trustedProxies,
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    clock,
    onError,
    rateLimiter: stores.rateLimiter,
    rateLimits: options.rateLimits ?? rateLimitsOf(options.seed, options.conformance === true),
  })
  const authn = createNodeListener(handler, onError)
  // `GET /openapi.json` and its reference page `GET /docs/api` (docs/adr/0020-openapi.md).
  const answerApiDocs = createApiDocs(options.publicBaseUrl === undefined ? {} : { serverUrl: options.publicBaseUrl })
  // `GET /`: the Sign-In Widget configured for this server (docs/adr/0023-sign-in-widget.md).
  const frontPage = createFrontPage({
    assets: widgetAssets,
    policies: org.policies,
    ...(options.publicBaseUrl === undefined ? {} : { publicBaseUrl: options.publicBaseUrl }),
    devOutbox: options.devOutbox === true ? { path: DEV_OUTBOX_PATH, needsToken: (options.apiTokens ?? []).length > 0 } : null,
  })

  /**
   * Conformance mode: `POST /__conformance/reset` empties the stores and loads the seed again, so
   * that each run of the harness starts from the seeded org. Requests are not expected meanwhile.
   */
  const checkToken = createTokenCheck(options.apiTokens ?? [])
  /** With API tokens configured, the development endpoints need one. */
  const isAllowed = (req: IncomingMessage): boolean =>
    (options.apiTokens ?? []).length === 0 || checkToken(req.headers.authorization)._tag === 'Trusted'
  const answerReset = (req: IncomingMessage, res: ServerResponse): void => {
    const reply = (status: number, body: unknown) => replyJson(req, res, status, body)
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
    if (req.method !== 'GET' && req.method !== 'HEAD') return replyJson(req, res, 405, METHOD_NOT_ALLOWED, { allow: 'GET, HEAD' })
    if (!isAllowed(req)) return replyJson(req, res, 401, INVALID_TOKEN)
    const to = recipientOf(query)
    replyJson(req, res, 200, devOutboxJson(messaging.outbox.messages(to === undefined ? {} : { to })))
  }


  /** `GET` Duo's frame script (`_links.script` of a Duo verification). */
  const answerDuoScript = (req: IncomingMessage, res: ServerResponse, path: string): boolean => {
    if (duoScript === null || path !== DUO_SCRIPT_PATH) return false
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      replyJson(req, res, 405, METHOD_NOT_ALLOWED, { allow: 'GET, HEAD' })
      return true
    }
    res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'content-length': duoScript.byteLength, 'cache-control': 'public, max-age=3600', 'x-content-type-options': 'nosniff' })
    res.end(req.method === 'HEAD' ? undefined : duoScript)
    return true
  }

  /** A path's route template for the request line and the metrics: a recovery page's token is left out. */
  const routeOf = (path: string): string => {
    const page = RECOVERY_PAGE.exec(path)
    if (page !== null) return `/signin/${page[1] ?? ''}/{recoveryToken}`
    if (path === RECOVERY_SCRIPT_PATH) return path
    if ((options.conformance === true && path === CONFORMANCE_RESET) || (options.devOutbox === true && path === DEV_OUTBOX_PATH)) return path
    if (API_DOCS_PATHS.includes(path) || FRONT_PAGE_PATHS.includes(path) || (duoScript !== null && path === DUO_SCRIPT_PATH)) return path
    if (widgetFileOf(widgetAssets, path) !== undefined) return WIDGET_ROUTE
    return ops.routeOf(path) ?? handler.routeOf(path) ?? UNMATCHED_ROUTE
  }

  serve = (req, res) => {
    const target = splitTarget(req.url ?? '/')
    ops.track(req, res, target.path, routeOf(target.path), () => {
      if (ops.answer(req, res, target.path)) return
      else if (options.conformance === true && req.url === CONFORMANCE_RESET) answerReset(req, res)
      else if (options.devOutbox === true && target.path === DEV_OUTBOX_PATH) answerOutbox(req, res, target.query)
      // The front page and the widget's files, the pages recovery emails link to; everything else is the API's.
      else if (
        !frontPage.answer(req, res, target.path) &&
        !answerWidgetFile(widgetAssets, req, res, target.path) &&
        !answerDuoScript(req, res, target.path) &&
        !answerApiDocs(req, res, target.path) &&
        !answerRecoveryPage(req, res, target.path)
      )
        authn(req, res)
    })
  }
  const address = server.address() as AddressInfo
  const url = `http://${hostForUrl(address.address)}:${address.port}`
  // No "listening on" here: that phrase is the banner's, which scripts read.
  logger?.info({ url, publicUrl: options.publicBaseUrl ?? url, store: options.stores === undefined ? (options.store?.kind ?? 'memory') : 'given', metrics: metrics !== undefined }, 'server started')

  let closed: Promise<void> | null = null
  const close = (): Promise<void> =>
    (closed ??= new Promise<void>((resolve, reject) => {
      closing = true
      logger?.info({ url }, 'server stopping: finishing in-flight requests')
      const force = setTimeout(() => server.closeAllConnections(), options.shutdownGraceMs ?? 10_000)
      force.unref()
      server.close((err) => {
        clearTimeout(force)
        symantec?.close()
        void apns?.close()
        stores.close().then(() => {
          logger?.info({ url }, 'server stopped')
          if (err === undefined) resolve()
          else reject(err)
        }, reject)
      })
      // Idle keep-alive connections would hold `close` open until they time out.
      server.closeIdleConnections()
    }))

  return { url, publicUrl: options.publicBaseUrl?.replace(/\/+$/, '') ?? url, port: address.port, org, outbox: messaging.outbox, close }
}
