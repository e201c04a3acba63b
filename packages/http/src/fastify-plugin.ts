import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify'
import { failure } from '@authn-machine/core'
import { isEncrypted } from './node-listener.js'
import { BODY_TOO_LARGE, type AuthnHttpHandler, type HttpRequest, type HttpResponse } from './types.js'

export interface AuthnFastifyOptions {
  readonly handler: AuthnHttpHandler
}

const METHODS: HTTPMethods[] = ['DELETE', 'GET', 'HEAD', 'PATCH', 'POST', 'PUT', 'OPTIONS']

/** The paths the plugin registers; the handler answers 404 for anything under them it does not know. */
export const FASTIFY_ROUTE_URLS: ReadonlyArray<string> = [
  '/api/v1/authn',
  '/api/v1/authn/*',
  '/api/v1/sessions',
  '/api/v1/sessions/*',
  '/api/v1/users/:userId/lifecycle',
  '/api/v1/users/:userId/lifecycle/*',
]

const toRequest = (request: FastifyRequest, body: HttpRequest['body']): HttpRequest => ({
  method: request.raw.method ?? request.method,
  url: request.raw.url ?? request.url,
  headers: request.headers,
  body,
  remoteAddress: request.raw.socket.remoteAddress ?? null,
  secure: isEncrypted(request.raw),
})

const send = (reply: FastifyReply, response: HttpResponse): FastifyReply =>
  reply.code(response.status).headers(response.headers).send(response.body === '' ? undefined : response.body)

const isTooLarge = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && 'code' in error && error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'

/**
 * Fastify 5 plugin: `await app.register(authnFastifyPlugin, { handler })`. Registered without
 * `fastify-plugin`, so its content-type parser (every type, kept as a raw Buffer: the handler does
 * its own media-type and JSON checks) and error handler stay inside the plugin's routes.
 */
export const authnFastifyPlugin = async (app: FastifyInstance, options: AuthnFastifyOptions): Promise<void> => {
  const { handler } = options
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: handler.bodyLimit }, (_request, body, done) => {
    done(null, body)
  })
  app.setErrorHandler(async (error, request, reply) => {
    // Fastify's own body-limit refusal becomes the handler's 413, with its CORS headers;
    // anything else (a broken stream) is answered by the handler as an unexpected failure.
    if (isTooLarge(error)) return send(reply, await handler(toRequest(request, BODY_TOO_LARGE)))
    const status = typeof error === 'object' && error !== null && 'statusCode' in error ? Number(error.statusCode) : 500
    if (status >= 500) request.log.error(error)
    return send(reply, handler.error(request, status >= 400 && status < 500 ? failure('E0000003') : failure('E0000009')))
  })
  for (const url of FASTIFY_ROUTE_URLS)
    app.route({
      method: METHODS,
      url,
      handler: async (request, reply) => {
        const body = Buffer.isBuffer(request.body) ? request.body : typeof request.body === 'string' ? request.body : null
        return send(reply, await handler(toRequest(request, body)))
      },
    })
}
