import type { IncomingMessage, ServerResponse } from 'node:http'
import { readBody } from './read-body.js'
import { REQUEST_ID_HEADER, type AuthnHttpHandler, type HttpRequest, type HttpResponse } from './types.js'

/** Whether the request arrived over TLS (an `https.Server` gives a TLSSocket). */
export const isEncrypted = (req: IncomingMessage): boolean => 'encrypted' in req.socket && req.socket.encrypted === true

/** Reads a node:http request into the handler's plain request. */
export const toHttpRequest = async (req: IncomingMessage, bodyLimit: number): Promise<HttpRequest> => ({
  method: req.method ?? 'GET',
  url: req.url ?? '/',
  headers: req.headers,
  body: await readBody(req, bodyLimit),
  remoteAddress: req.socket.remoteAddress ?? null,
  secure: isEncrypted(req),
})

/** Writes the handler's plain response. */
export const writeHttpResponse = (res: ServerResponse, response: HttpResponse): void => {
  res.statusCode = response.status
  for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value)
  if (response.body === '') res.end()
  else {
    res.setHeader('content-length', typeof response.body === 'string' ? Buffer.byteLength(response.body, 'utf8') : response.body.byteLength)
    res.end(response.body)
  }
}

/** Whether `error` is the client closing the connection mid-request (`aborted`, `ECONNRESET`). */
const isClientAbort = (error: unknown, req: IncomingMessage): boolean => {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined
  return req.destroyed || code === 'ECONNRESET' || code === 'ECONNABORTED' || (error instanceof Error && error.message === 'aborted')
}

/**
 * The handler as a `node:http` request listener: `http.createServer(createNodeListener(handler))`.
 * Every request goes to the handler (unknown paths get Okta's 404); wrap it to serve other paths.
 * A wrapper that has already given the request an id (`res.setHeader('x-okta-request-id', id)`,
 * for its own log line) has it kept: the handler answers with that id.
 */
export const createNodeListener =
  (handler: AuthnHttpHandler, onError: (error: unknown) => void = () => undefined) =>
  (req: IncomingMessage, res: ServerResponse): void => {
    const given = res.getHeader(REQUEST_ID_HEADER)
    toHttpRequest(req, handler.bodyLimit)
      .then((request) => handler(typeof given === 'string' ? { ...request, requestId: given } : request))
      .then((response) => writeHttpResponse(res, response))
      .catch((error: unknown) => {
        // Only a broken connection gets here (the handler itself never throws). A client that hung
        // up before its body was read is the client's doing, not an error of this server.
        if (!isClientAbort(error, req)) onError(error)
        if (!res.headersSent) {
          res.statusCode = 400
          res.setHeader('connection', 'close')
        }
        res.end()
      })
  }
