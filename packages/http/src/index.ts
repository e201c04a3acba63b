export { BODY_TOO_LARGE, REQUEST_ID_HEADER } from './types.js'
export { createRequestIds, isRequestId, REQUEST_ID_LENGTH } from './request-id.js'
export type { AuthnHttpHandler, BodyTooLarge, HeaderValue, HttpRequest, HttpResponse } from './types.js'
export { createAuthnHandler, DEFAULT_BODY_LIMIT, DEFAULT_SESSION_LIFETIME_MS, withoutNulls } from './handler.js'
export type { AuthnHttpOptions, HttpRequestContext, OktaSession } from './handler.js'
export { ADMIN_OPERATIONS, AUTHN_ROUTES, createRouter, isAdminOperation, LIFECYCLE_PATH_SEGMENTS, lifecycleOperationOf } from './routes.js'
export type {
  AdminOperation,
  AuthnOperations,
  EngineOperation,
  Fallback,
  Operation,
  OperationName,
  PlannedOperation,
  RouteMatch,
  RouteSpec,
} from './routes.js'
export { CORS_ALLOW_HEADERS, CORS_ALLOW_METHODS, createCors } from './cors.js'
export { DEVICE_COOKIE, DEVICE_COOKIE_MAX_AGE_SECONDS, DEVICE_COOKIE_PATH, deviceCookieHeader, deviceTokenOfCookies, isDeviceCookieToken } from './device-cookie.js'
export { createClientAddress, createTokenCheck } from './trust.js'
export type { CallerAuth } from './trust.js'
export { DEFAULT_MAX_JSON_DEPTH, jsonDepth } from './json-depth.js'
export { bodyReadCap, readBody } from './read-body.js'
export { createNodeListener, toHttpRequest, writeHttpResponse, isEncrypted } from './node-listener.js'
export { authnFastifyPlugin, FASTIFY_ROUTE_URLS } from './fastify-plugin.js'
export type { AuthnFastifyOptions } from './fastify-plugin.js'
export { BODY_PARSER_ERROR_TYPES, createExpressErrorHandler, createExpressMiddleware } from './express-middleware.js'
export type { ExpressLikeNext, ExpressLikeRequest } from './express-middleware.js'
export { createFetchHandler, readRequestBody, toFetchResponse } from './fetch-handler.js'
export { documentOperations, openApiDocument, QR_CODE_PATH, QUESTIONS_PATH } from './openapi.js'
export type {
  LinkedResourceName,
  OpenApiContent,
  OpenApiDocument,
  OpenApiHeader,
  OpenApiMethod,
  OpenApiOperation,
  OpenApiOptions,
  OpenApiParameter,
  OpenApiPathItem,
  OpenApiReference,
  OpenApiResponse,
} from './openapi.js'
export type { AuthnFetchHandler, FetchConnectionInfo } from './fetch-handler.js'
