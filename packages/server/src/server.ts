import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createStaticPolicySource } from '@authn-machine/adapter-memory'
import { registered, type Clock, type Factor, type Hasher } from '@authn-machine/core'
import { createHotpFactor } from '@authn-machine/factor-hotp'
import { createQuestionFactor } from '@authn-machine/factor-question'
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
import { createRingAuditSink } from './audit.js'
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
  /** The org as parsed JSON (docs/seed-format.md); relative `passwordChanged` dates are resolved. */
  readonly seed: unknown
  /** Default `{ kind: 'memory' }` (the command line defaults to `embedded`). */
  readonly store?: StoreConfig
  /** Serve `POST /__conformance/reset`, which empties the stores and loads the seed again. */
  readonly conformance?: boolean
  /** Default argon2id (OWASP parameters). */
  readonly hasher?: Hasher
  readonly clock?: Clock
  readonly bodyLimit?: number
  readonly settings?: Partial<AuthnSettings>
  /** How long `close()` waits for in-flight requests before cutting connections. Default 10 s. */
  readonly shutdownGraceMs?: number
  /** Told about unexpected exceptions. Default: written to stderr. */
  readonly onError?: (error: unknown) => void
}

export interface RunningServer {
  /** Where the server listens, e.g. `http://127.0.0.1:8080`. */
  readonly url: string
  /** The origin in links: the configured public base URL, else {@link url}. */
  readonly publicUrl: string
  readonly port: number
  readonly org: LoadedOrg
  /** Stops accepting connections, lets in-flight requests finish, then closes the stores. */
  readonly close: () => Promise<void>
}

export class SeedError extends Error {
  override readonly name = 'SeedError'
}

const HEALTH_BODY = JSON.stringify({ status: 'ok' })

/** The factor families the reference server serves. */
export const FACTOR_PLUGINS: ReadonlyArray<Factor> = [
  registered(createTotpFactor('OKTA')),
  registered(createTotpFactor('GOOGLE')),
  registered(createHotpFactor()),
  registered(createQuestionFactor()),
]

/** The conformance harness's reset path (authn-conformance `--reset-path`). */
export const CONFORMANCE_RESET = '/__conformance/reset'

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
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    clock,
    onError,
  })
  const authn = createNodeListener(handler, onError)

  /**
   * Conformance mode: `POST /__conformance/reset` empties the stores and loads the seed again, so
   * that each run of the harness starts from the seeded org. Requests are not expected meanwhile.
   */
  const checkToken = createTokenCheck(options.apiTokens ?? [])
  const answerReset = (req: IncomingMessage, res: ServerResponse): void => {
    const reply = (status: number, body: unknown) => {
      const text = JSON.stringify(body)
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) })
      res.end(text)
    }
    if (req.method !== 'POST') return reply(405, { errorCode: 'E0000022', errorSummary: 'The endpoint does not support the provided HTTP method' })
    if ((options.apiTokens ?? []).length > 0 && checkToken(req.headers.authorization)._tag !== 'Trusted')
      return reply(401, { errorCode: 'E0000011', errorSummary: 'Invalid token provided' })
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

  let closing = false
  const server: Server = createServer((req, res) => {
    // While draining, every answer closes its connection so keep-alive clients move on.
    if (closing) res.setHeader('connection', 'close')
    // A request that was in flight when draining began leaves an idle keep-alive connection behind.
    res.once('finish', () => {
      if (closing) setImmediate(() => server.closeIdleConnections())
    })
    if (isHealth(req)) answerHealth(req, res)
    else if (options.conformance === true && req.url === CONFORMANCE_RESET) answerReset(req, res)
    else authn(req, res)
  })
  server.keepAliveTimeout = 5_000

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

  return { url, publicUrl: options.publicBaseUrl?.replace(/\/+$/, '') ?? url, port: address.port, org, close }
}
