import type { IncomingMessage, ServerResponse } from 'node:http'
import { isEncrypted, writeHttpResponse } from './node-listener.js'
import { readBody } from './read-body.js'
import { BODY_TOO_LARGE, type AuthnHttpHandler, type HttpRequest } from './types.js'

/** The parts of an Express 5 request the middleware uses (so this package needs no Express types). */
export interface ExpressLikeRequest extends IncomingMessage {
  /** Express: the URL before any router stripped a mount path. */
  readonly originalUrl?: string
  /** Set by a body parser that ran earlier (`express.raw()` gives a Buffer). */
  readonly body?: unknown
}

export type ExpressLikeNext = (error?: unknown) => void

const declaredLength = (req: IncomingMessage): number => Number(req.headers['content-length'] ?? Number.NaN)

const bodyOf = async (req: ExpressLikeRequest, limit: number): Promise<HttpRequest['body']> => {
  const parsed = req.body
  if (Buffer.isBuffer(parsed)) return parsed
  if (typeof parsed === 'string') return parsed
  // Nothing read the stream yet: read it ourselves (the usual case).
  if (!req.readableEnded) return readBody(req, limit)
  // `express.json()` answers an empty body with `{}`: it was empty.
  if (declaredLength(req) === 0) return null
  // An earlier `express.json()` consumed the stream: its result is all there is.
  return parsed === undefined ? null : JSON.stringify(parsed)
}

const toRequest = (req: ExpressLikeRequest, url: string, body: HttpRequest['body']): HttpRequest => ({
  method: req.method ?? 'GET',
  url,
  headers: req.headers,
  body,
  remoteAddress: req.socket.remoteAddress ?? null,
  secure: isEncrypted(req),
})

/**
 * Express 5 middleware: `app.use(createExpressMiddleware(handler))`. Requests for the handler's
 * paths are answered; anything else goes on with `next()`. Mount it before body parsers, or use
 * `express.raw({ type: () => true })` for these paths; behind `express.json()`, also mount
 * {@link createExpressErrorHandler} so that what the parser refuses is answered as an Okta error.
 */
export const createExpressMiddleware =
  (handler: AuthnHttpHandler) =>
  (req: ExpressLikeRequest, res: ServerResponse, next: ExpressLikeNext): void => {
    const url = req.originalUrl ?? req.url ?? '/'
    if (!handler.handles(url)) {
      next()
      return
    }
    bodyOf(req, handler.bodyLimit)
      .then((body) => handler(toRequest(req, url, body)))
      .then((response) => writeHttpResponse(res, response))
      .catch(next)
  }

/**
 * The `type` that body-parser (`express.json()`, `.text()`, `.urlencoded()`, `.raw()`) and raw-body
 * give the errors the error handler answers. Any other error goes on to the application's handlers.
 */
export const BODY_PARSER_ERROR_TYPES: ReadonlyArray<string> = [
  'entity.parse.failed',
  'entity.too.large',
  'encoding.unsupported',
  'charset.unsupported',
  'parameters.too.many',
  'querystring.parse.rangeError',
  'request.aborted',
]

const errorType = (error: unknown): string | undefined => {
  const type = typeof error === 'object' && error !== null ? (error as { type?: unknown }).type : undefined
  return typeof type === 'string' ? type : undefined
}

/**
 * What the handler is given as the body a parser refused. Too large: {@link BODY_TOO_LARGE}.
 * Unparsable: the text the parser kept on the error. Refused before reading (an unsupported charset
 * or content encoding): the stream is still unread, so it is read here. Refused after a read that
 * kept nothing (a charset the decoder does not know): bytes of the declared length stand in for
 * it; the handler refuses such a request for its media type before it looks at a single byte.
 */
const bodyAfter = async (error: unknown, type: string, req: IncomingMessage, limit: number): Promise<HttpRequest['body']> => {
  if (type === 'entity.too.large') return BODY_TOO_LARGE
  // body-parser keeps the text it failed to parse (JSON, or a form with too many or too deep fields).
  const kept = (error as { body?: unknown }).body
  if (typeof kept === 'string' || Buffer.isBuffer(kept)) return kept
  if (!req.readableEnded && !req.readableDidRead) return readBody(req, limit)
  const declared = declaredLength(req)
  if (!Number.isFinite(declared)) return new Uint8Array(1)
  if (declared === 0) return null
  return declared > limit ? BODY_TOO_LARGE : new Uint8Array(declared)
}

/**
 * Express 5 error middleware for an application that mounts a body parser before
 * {@link createExpressMiddleware}: `app.use(createExpressErrorHandler(handler))` after both. On the
 * handler's paths it answers what a body parser refused (malformed JSON, a body over the parser's
 * limit, an unsupported charset or content encoding) with the handler's own answer for that
 * request: the same Okta error, status and headers as without the parser, never Express's HTML
 * page. Errors on other paths, and errors that are not a body parser's, go on with `next(error)`.
 * A client that went away mid-body is answered 400 with `Connection: close`, as by the node:http listener.
 */
export const createExpressErrorHandler =
  (handler: AuthnHttpHandler) =>
  // Express tells error middleware apart by its four parameters.
  (error: unknown, req: ExpressLikeRequest, res: ServerResponse, next: ExpressLikeNext): void => {
    const url = req.originalUrl ?? req.url ?? '/'
    const type = errorType(error)
    if (res.headersSent || !handler.handles(url) || type === undefined || !BODY_PARSER_ERROR_TYPES.includes(type)) {
      next(error)
      return
    }
    if (type === 'request.aborted') {
      res.statusCode = 400
      res.setHeader('connection', 'close')
      res.end()
      return
    }
    bodyAfter(error, type, req, handler.bodyLimit)
      .then((body) => handler(toRequest(req, url, body)))
      .then((response) => writeHttpResponse(res, response))
      .catch(next)
  }
