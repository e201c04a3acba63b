import { AsyncLocalStorage } from 'node:async_hooks'
import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Logger } from 'pino'
import { createTokenCheck, REQUEST_ID_HEADER } from '@authn-machine/http'
import { errorFields } from './logging.js'
import type { ServerMetrics } from './metrics.js'

/** Liveness: the process is up and answering. `GET /health` is the same check. */
export const LIVE_PATH = '/health/live'
/** Readiness: the store answers; while the server drains for a shutdown, not ready. */
export const READY_PATH = '/health/ready'
/** The original health path, kept: an alias of {@link LIVE_PATH}. */
export const HEALTH_PATH = '/health'
/** Prometheus metrics in the text exposition format. */
export const METRICS_PATH = '/metrics'

/** How long `GET /health/ready` waits for the store's trivial query. */
export const DEFAULT_READY_TIMEOUT_MS = 2_000

/** The paths of this module: request lines for them are logged at `debug` (probes and scrapes come every few seconds). */
const QUIET_PATHS: ReadonlyArray<string> = [HEALTH_PATH, LIVE_PATH, READY_PATH, METRICS_PATH]

export interface ReadyCheck {
  readonly name: string
  readonly status: 'up' | 'down'
}

export interface OperationsOptions {
  /** Request, readiness and error lines. None: nothing is logged. */
  readonly logger: Logger | undefined
  /** None: `GET /metrics` is not served (404 as any unknown path) and nothing is counted. */
  readonly metrics: ServerMetrics | undefined
  /** Admin API tokens; with any configured (or a metrics token), `/metrics` needs one. */
  readonly apiTokens: ReadonlyArray<string>
  /** A token for scraping only: `Authorization: Bearer <token>` on `/metrics`. */
  readonly metricsToken: string | undefined
  /** Resolves when the store answers a trivial query. */
  readonly ping: () => Promise<void>
  readonly readyTimeoutMs: number
  /** True once the server drains for a shutdown. */
  readonly draining: () => boolean
  /** The client address as the rate limits see it (a trusted gateway's forwarded one). */
  readonly clientAddress: (remoteAddress: string | null, forwardedFor: string | undefined) => string | null
  /** Fresh request ids, as the binding makes them. */
  readonly requestId: () => string
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest()

/** A JSON answer of the server's own (not the API's): not cached, not sniffed, no body for HEAD. */
export const replyJson = (req: IncomingMessage, res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void => {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-length': Buffer.byteLength(text),
    ...headers,
  })
  res.end(req.method === 'HEAD' ? undefined : text)
}

const withTimeout = <A>(p: Promise<A>, ms: number): Promise<A> =>
  new Promise<A>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)
    timer.unref()
    p.then(
      (a) => {
        clearTimeout(timer)
        resolve(a)
      },
      (e: unknown) => {
        clearTimeout(timer)
        reject(e instanceof Error ? e : new Error(String(e)))
      },
    )
  })

/**
 * What operating the server needs besides the API: a request id and one log line per request, the
 * metrics those lines feed, the health checks and `GET /metrics`. One per server.
 */
export const createOperations = (o: OperationsOptions) => {
  /** The request being answered, for lines written deeper down (audit entries, store errors). */
  const scope = new AsyncLocalStorage<{ readonly requestId: string }>()
  const checkToken = createTokenCheck(o.apiTokens)
  const metricsDigest = o.metricsToken === undefined ? undefined : digest(o.metricsToken)
  const metricsOpen = o.apiTokens.length === 0 && metricsDigest === undefined

  /** `SSWS <api token>`, or `Bearer <metrics token>` compared in constant time. */
  const mayScrape = (authorization: string | undefined): boolean => {
    if (metricsOpen) return true
    if (authorization === undefined) return false
    if (checkToken(authorization)._tag === 'Trusted') return true
    const bearer = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization)
    return metricsDigest !== undefined && bearer !== null && timingSafeEqual(digest(bearer[1] ?? ''), metricsDigest)
  }

  const answerLive = (req: IncomingMessage, res: ServerResponse): void => replyJson(req, res, 200, { status: 'ok' })

  const answerReady = (req: IncomingMessage, res: ServerResponse): void => {
    if (o.draining()) {
      replyJson(req, res, 503, { status: 'unavailable', checks: [{ name: 'serving', status: 'down' }] satisfies ReadonlyArray<ReadyCheck> })
      return
    }
    withTimeout(o.ping(), o.readyTimeoutMs).then(
      () => replyJson(req, res, 200, { status: 'ok', checks: [{ name: 'store', status: 'up' }] satisfies ReadonlyArray<ReadyCheck> }),
      (e: unknown) => {
        // The reason goes to the log, not to whoever asks: it can name hosts and ports.
        o.logger?.warn({ requestId: scope.getStore()?.requestId, check: 'store', err: errorFields(e) }, 'readiness check failed')
        replyJson(req, res, 503, { status: 'unavailable', checks: [{ name: 'store', status: 'down' }] satisfies ReadonlyArray<ReadyCheck> })
      },
    )
  }

  const answerMetrics = (req: IncomingMessage, res: ServerResponse, metrics: ServerMetrics): void => {
    if (!mayScrape(req.headers.authorization)) {
      replyJson(req, res, 401, { errorCode: 'E0000011', errorSummary: 'Invalid token provided' }, { 'www-authenticate': 'Bearer realm="metrics"' })
      return
    }
    metrics.render().then(
      ({ contentType, text }) => {
        res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) })
        res.end(req.method === 'HEAD' ? undefined : text)
      },
      (e: unknown) => {
        o.logger?.error({ requestId: scope.getStore()?.requestId, err: errorFields(e) }, 'metrics failed')
        replyJson(req, res, 500, { errorCode: 'E0000009', errorSummary: 'Internal Server Error' })
      },
    )
  }

  return {
    /** The id of the request being answered, if any (read by the audit and store-error lines). */
    currentRequestId: (): string | undefined => scope.getStore()?.requestId,

    /** The route template of the paths this module answers; null for others. */
    routeOf: (path: string): string | null =>
      path === HEALTH_PATH || path === LIVE_PATH || path === READY_PATH || (path === METRICS_PATH && o.metrics !== undefined) ? path : null,

    /**
     * Answers `GET`/`HEAD` of the health paths and `/metrics` (when metrics are on); false for
     * anything else, which goes on to the API as before (other methods get its 404).
     */
    answer: (req: IncomingMessage, res: ServerResponse, path: string): boolean => {
      if (req.method !== 'GET' && req.method !== 'HEAD') return false
      if (path === HEALTH_PATH || path === LIVE_PATH) answerLive(req, res)
      else if (path === READY_PATH) answerReady(req, res)
      else if (path === METRICS_PATH && o.metrics !== undefined) answerMetrics(req, res, o.metrics)
      else return false
      return true
    },

    /**
     * Gives the request its id (the `X-Okta-Request-Id` of its answer, whichever part of the
     * server answers it; the binding keeps it), runs `dispatch` in the request's scope, and when
     * the answer is over writes its line and counts it. The line has the route template, never the
     * raw path: a path can hold a recovery token, and nothing of a body is logged.
     */
    track: (req: IncomingMessage, res: ServerResponse, path: string, route: string, dispatch: () => void): void => {
      const started = process.hrtime.bigint()
      const requestId = o.requestId()
      res.setHeader(REQUEST_ID_HEADER, requestId)
      const method = req.method ?? 'GET'
      res.once('close', () => {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9
        // No answer went out (the client left, or the parser's own 408 did): nothing to count.
        const status = res.headersSent ? res.statusCode : null
        if (status !== null) o.metrics?.observeRequest(method, route, status, seconds)
        const logger = o.logger
        if (logger === undefined) return
        const forwarded = req.headers['x-forwarded-for']
        const line = {
          requestId,
          method,
          route,
          status,
          durationMs: Math.round(seconds * 10_000) / 10,
          client: o.clientAddress(req.socket.remoteAddress ?? null, Array.isArray(forwarded) ? forwarded.join(', ') : forwarded),
          userAgent: req.headers['user-agent'] ?? null,
          ...(res.writableFinished ? {} : { aborted: true }),
        }
        if (status !== null && status >= 500) logger.error(line, 'request')
        else if (QUIET_PATHS.includes(path)) logger.debug(line, 'request')
        else logger.info(line, 'request')
      })
      scope.run({ requestId }, dispatch)
    },
  }
}

export type Operations = ReturnType<typeof createOperations>
