import type { IncomingMessage, ServerResponse } from 'node:http'
import { isEncrypted, writeHttpResponse } from './node-listener.js'
import { readBody } from './read-body.js'
import type { AuthnHttpHandler, HttpRequest } from './types.js'

/** The parts of an Express 5 request the middleware uses (so this package needs no Express types). */
export interface ExpressLikeRequest extends IncomingMessage {
  /** Express: the URL before any router stripped a mount path. */
  readonly originalUrl?: string
  /** Set by a body parser that ran earlier (`express.raw()` gives a Buffer). */
  readonly body?: unknown
}

export type ExpressLikeNext = (error?: unknown) => void

const bodyOf = async (req: ExpressLikeRequest, limit: number): Promise<HttpRequest['body']> => {
  const parsed = req.body
  if (Buffer.isBuffer(parsed)) return parsed
  if (typeof parsed === 'string') return parsed
  // Nothing read the stream yet: read it ourselves (the usual case).
  if (!req.readableEnded) return readBody(req, limit)
  // An earlier `express.json()` consumed the stream: its result is all there is.
  return parsed === undefined ? null : JSON.stringify(parsed)
}

/**
 * Express 5 middleware: `app.use(createExpressMiddleware(handler))`. Requests for the handler's
 * paths are answered; anything else goes on with `next()`. Mount it before body parsers, or use
 * `express.raw({ type: () => true })` for these paths.
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
      .then((body) =>
        handler({
          method: req.method ?? 'GET',
          url,
          headers: req.headers,
          body,
          remoteAddress: req.socket.remoteAddress ?? null,
          secure: isEncrypted(req),
        }),
      )
      .then((response) => writeHttpResponse(res, response))
      .catch(next)
  }
