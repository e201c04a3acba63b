import { failure } from '@authn-machine/core'
import { bodyReadCap } from './read-body.js'
import { BODY_TOO_LARGE, type AuthnHttpHandler, type BodyTooLarge, type HttpRequest, type HttpResponse } from './types.js'

/** What the runtime knows about the connection a request came on (the request itself does not say). */
export interface FetchConnectionInfo {
  /**
   * The TCP peer's address: `getConnInfo(c).remote.address` in Hono, `info.remoteAddr.hostname` in
   * `Deno.serve`, `server.requestIP(request)?.address` in `Bun.serve`. Without it every request
   * counts in one client bucket of the rate limiter, and `X-Forwarded-For` is never read.
   */
  readonly remoteAddress?: string | null | undefined
}

/**
 * The binding for the Fetch API: a `Response` for a request to one of the handler's paths, or
 * `null` for any other path. A `null` leaves the request untouched (its body unread), so a router
 * can pass it on to its own routes.
 */
export interface AuthnFetchHandler {
  (request: Request, info?: FetchConnectionInfo): Promise<Response | null>
  /** Whether a URL (absolute, or a path with its query) is one the handler answers; the method does not matter. */
  readonly handles: (url: string) => boolean
}

/**
 * Reads a request body of at most `limit` bytes from its stream. A body over the limit is read on
 * (and dropped, never kept) up to {@link bodyReadCap}, so that a client that writes it all can read
 * the 413; a body declared (`Content-Length`) or streamed beyond the cap is not read further: the
 * stream is cancelled. The same rules as `readBody` for node:http (docs/adr/0013-hostile-input.md).
 */
export const readRequestBody = async (request: Request, limit: number): Promise<Uint8Array | BodyTooLarge | null> => {
  const stream = request.body
  if (stream === null) return null
  const cap = bodyReadCap(limit)
  const declared = Number(request.headers.get('content-length') ?? Number.NaN)
  if (Number.isFinite(declared) && declared > cap) {
    stream.cancel().catch(() => undefined)
    return BODY_TOO_LARGE
  }
  const reader = stream.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      size += value.byteLength
      if (size <= limit) chunks.push(value)
      else if (size > cap) {
        reader.cancel().catch(() => undefined)
        return BODY_TOO_LARGE
      }
    }
  } finally {
    reader.releaseLock()
  }
  if (size > limit) return BODY_TOO_LARGE
  if (size === 0) return null
  const body = new Uint8Array(size)
  let at = 0
  for (const chunk of chunks) {
    body.set(chunk, at)
    at += chunk.byteLength
  }
  return body
}

/**
 * The request's headers, lower-cased. The Fetch API joins a repeated header with `, `, so a request
 * repeating `Host`, `Authorization` or `Content-Type` is refused as malformed (node:http keeps the
 * first of those instead). A request without a `Host` header (some runtimes keep it out of
 * `Headers`) gets the host of its URL, which the runtime built from that header.
 */
const headersOf = (request: Request, url: URL): Record<string, string> => {
  const headers: Record<string, string> = {}
  for (const [name, value] of request.headers) headers[name] = value
  if (headers['host'] === undefined && url.host !== '') headers['host'] = url.host
  return headers
}

/** The handler's plain response as a Fetch `Response`. */
export const toFetchResponse = (response: HttpResponse): Response => {
  const noBody = response.body === '' || response.status === 204 || response.status === 304
  // Copied into a fresh buffer: `Response` wants an ArrayBuffer-backed view, whatever backs the body.
  const body = noBody ? null : typeof response.body === 'string' ? response.body : new Uint8Array(response.body)
  return new Response(body, { status: response.status, headers: response.headers })
}

/**
 * The handler for any Fetch-API runtime or router (Hono, `Deno.serve`, `Bun.serve`, Workers):
 * `const authn = createFetchHandler(handler)`, then `(await authn(request, { remoteAddress })) ?? next()`.
 *
 * - Requests for paths the handler does not own resolve to `null`, without reading the body.
 * - The body is read from its stream and never held beyond `handler.bodyLimit` (413 above it).
 * - `secure` is the scheme of `request.url` as the runtime built it: `https:` chooses `https://`
 *   links when no `publicBaseUrl` is configured. This glue reads no `X-Forwarded-Proto` or
 *   `X-Forwarded-Host`; a runtime or proxy layer that rewrites the URL from them is trusted by
 *   whoever configured it. `X-Forwarded-For` is read by the handler only as its `trustedProxies`
 *   say, and only when `remoteAddress` is given.
 * - A body stream that fails (the client went away) is answered 400 with `Connection: close`, as
 *   by the node:http listener; `onError` hears of it unless the request was aborted. A body that
 *   something before this handler already read is a mistake of the application: 500 `E0000009`,
 *   and `onError` is told.
 */
export const createFetchHandler = (handler: AuthnHttpHandler, onError: (error: unknown) => void = () => undefined): AuthnFetchHandler => {
  const answer = async (request: Request, info: FetchConnectionInfo = {}): Promise<Response | null> => {
    const url = new URL(request.url)
    const target = `${url.pathname}${url.search}`
    if (!handler.handles(target)) return null
    const headers = headersOf(request, url)
    if (request.bodyUsed) {
      onError(new Error(`The body of ${request.method} ${url.pathname} was read before the authn handler saw it: mount the handler before anything that reads bodies.`))
      return toFetchResponse(handler.error({ headers }, failure('E0000009')))
    }
    let body: HttpRequest['body']
    try {
      body = await readRequestBody(request, handler.bodyLimit)
    } catch (error) {
      if (!request.signal.aborted) onError(error)
      return new Response(null, { status: 400, headers: { connection: 'close' } })
    }
    const response = await handler({
      method: request.method,
      url: target,
      headers,
      body,
      remoteAddress: info.remoteAddress ?? null,
      secure: url.protocol === 'https:',
    })
    return toFetchResponse(response)
  }
  return Object.assign(answer, { handles: (url: string) => handler.handles(url) })
}
