import {
  ERROR_CATALOGUE,
  ErrorObject,
  OPERATION_CODECS,
  OPERATIONS,
  RESPONSE_OBJECT_CODECS,
  SecurityQuestionObject,
  toJsonSchema,
  type ErrorCode,
  type JsonSchema,
  type OperationName,
  type OperationSpec,
  STEP_UP_REDIRECT_PATH,
} from '@authn-machine/core'
import { QUERY_FLAGS } from './handler.js'

/** An io-ts codec, as the converter takes it. */
type Codec = Parameters<typeof toJsonSchema>[0]

/** An OpenAPI 3.1 parameter object (path or query). */
export interface OpenApiParameter {
  readonly name: string
  readonly in: 'path' | 'query'
  readonly required: boolean
  readonly description: string
  readonly schema: JsonSchema
}

export interface OpenApiHeader {
  readonly description: string
  readonly required?: boolean
  readonly schema: JsonSchema
}

export interface OpenApiReference {
  readonly $ref: string
}

/** A response body by media type: JSON with its schema, or bytes of another type (a QR code's PNG). */
export interface OpenApiContent {
  readonly 'application/json'?: { readonly schema: JsonSchema }
  readonly 'image/png'?: Readonly<Record<string, never>>
}

export interface OpenApiResponse {
  readonly description: string
  readonly headers?: Readonly<Record<string, OpenApiHeader | OpenApiReference>>
  readonly content?: OpenApiContent
}

/** The two `GET` resources transactions link to (`qrcode`, `questions`), besides the operations of the table. */
export type LinkedResourceName = 'factorQrCode' | 'factorQuestions' | 'stepUpRedirect'

export interface OpenApiOperation {
  readonly operationId: OperationName | LinkedResourceName
  readonly summary: string
  readonly description: string
  readonly tags: ReadonlyArray<string>
  readonly parameters: ReadonlyArray<OpenApiParameter>
  /** Every `POST` has one (`GET` resources have none). */
  readonly requestBody?: {
    readonly required: boolean
    readonly content: { readonly 'application/json': { readonly schema: JsonSchema } }
  }
  /** By status code; each error status refers to `#/components/responses/Error<status>`. */
  readonly responses: Readonly<Record<string, OpenApiResponse | OpenApiReference>>
  readonly security: ReadonlyArray<Readonly<Record<string, ReadonlyArray<string>>>>
  /** The section of the spec digest (or `Users API`) the operation follows. */
  readonly 'x-spec-section': string
}

export type OpenApiMethod = 'get' | 'post'

/** A path of the document: a `POST` operation of the table, or a `GET` resource. */
export type OpenApiPathItem = Readonly<Partial<Record<OpenApiMethod, OpenApiOperation>>>

/** The OpenAPI 3.1 document of the API; plain data, serialised with `JSON.stringify`. */
export interface OpenApiDocument {
  readonly openapi: '3.1.0'
  readonly jsonSchemaDialect: string
  readonly info: { readonly title: string; readonly version: string; readonly description: string; readonly license: { readonly name: string; readonly identifier: string } }
  readonly servers?: ReadonlyArray<{ readonly url: string }>
  readonly tags: ReadonlyArray<{ readonly name: string; readonly description: string }>
  readonly paths: Readonly<Record<string, OpenApiPathItem>>
  readonly components: {
    readonly schemas: Readonly<Record<string, JsonSchema>>
    readonly responses: Readonly<Record<string, OpenApiResponse>>
    readonly headers: Readonly<Record<string, OpenApiHeader>>
    readonly securitySchemes: Readonly<Record<string, { readonly type: 'apiKey'; readonly in: 'header'; readonly name: string; readonly description: string }>>
  }
}

/** Every operation of a document with its path and method, in the document's order. */
export const documentOperations = (doc: OpenApiDocument): ReadonlyArray<{ readonly path: string; readonly method: OpenApiMethod; readonly operation: OpenApiOperation }> =>
  Object.entries(doc.paths).flatMap(([path, item]) =>
    (['get', 'post'] as const).flatMap((method) => {
      const operation = item[method]
      return operation === undefined ? [] : [{ path, method, operation }]
    }),
  )

export interface OpenApiOptions {
  /** `info.version`: the version of the packages the document describes. */
  readonly version: string
  /** The API's origin, e.g. `https://login.example.com` (`servers`). Absent: the origin the document is served from. */
  readonly serverUrl?: string
}

type Tag = 'Authentication' | 'Factors' | 'Recovery' | 'Transaction' | 'Sessions' | 'Users API' | 'Step-up' | 'Push devices'

const TAGS: Readonly<Record<Tag, string>> = {
  Authentication: 'Primary authentication and password changes.',
  Factors: 'Enrolling, activating and verifying MFA factors (MFA_ENROLL, MFA_ENROLL_ACTIVATE, MFA_REQUIRED, MFA_CHALLENGE).',
  Recovery: 'Self-service password reset and account unlock.',
  Transaction: 'Reading, stepping back, skipping and cancelling a transaction.',
  Sessions: 'Exchanging a session token for a session.',
  'Users API': 'Administrators\' lifecycle operations on a user (API token only).',
  'Step-up': 'Signing in to an app that asks for more (SP- and IdP-initiated step-up, type SESSION_STEP_UP).',
  'Push devices': 'Where a push factor\'s device activates, fetches its verifications and answers them (not Okta endpoints: docs/adr/0031-push.md).',
}

interface OperationText {
  readonly tag: Tag
  readonly summary: string
  readonly description: string
  /** What its 200 answer is. Default: the transaction in its new state. */
  readonly answer?: string
}

/** What each operation does, for readers; the structure of the document comes from the table and the codecs. */
const TEXT: Readonly<Record<OperationName, OperationText>> = {
  authenticate: {
    tag: 'Authentication',
    summary: 'Primary authentication',
    description:
      'Starts a transaction with `username` and `password`, or with an activation or recovery `token`. With only a `stateToken`, answers the state of that transaction instead.',
  },
  getState: {
    tag: 'Transaction',
    summary: 'Get the transaction state',
    description: 'The current state of the transaction (what okta-auth-js calls introspect). Extends the state token\'s sliding lifetime.',
  },
  changePassword: {
    tag: 'Authentication',
    summary: 'Change an expired or expiring password',
    description: 'In PASSWORD_EXPIRED or PASSWORD_WARN: replaces the password, checked against the password policy.',
  },
  enrollFactor: {
    tag: 'Factors',
    summary: 'Enroll a factor',
    description: 'In MFA_ENROLL: enrolls a factor of the catalogue. The `profile` members are the family\'s (a phone number, a question and answer, …).',
  },
  activateFactor: {
    tag: 'Factors',
    summary: 'Activate a factor',
    description: 'In MFA_ENROLL_ACTIVATE: activates the factor being enrolled with a passcode. The answer members (`passCode`, …) are the family\'s.',
  },
  pollFactorActivation: {
    tag: 'Factors',
    summary: 'Poll an activation a third party verifies',
    description:
      'In MFA_ENROLL_ACTIVATE, for a Duo or push factor: `factorResult: WAITING` until Duo\'s signed response was posted to `duoCallback` and checked, or the user\'s device activated, then the activation completes (the next state). A Duo verification that timed out is started anew; a push activation that timed out answers `factorResult: TIMEOUT` with an `activate` link that starts it anew. Other factors: 403 E0000079.',
  },
  duoCallback: {
    tag: 'Factors',
    summary: 'Duo\'s signed response',
    description:
      'Where Duo\'s frame posts (a form post, `application/x-www-form-urlencoded`, or JSON): `sig_response` for the verification the transaction started (MFA_ENROLL_ACTIVATE or MFA_CHALLENGE), with the `stateToken`. Checked against that verification, once: 403 E0000068 when it does not hold (forged, expired, another user\'s or another verification\'s, or used), not counted toward lockout. The next poll finishes the verification.',
  },
  activatePushDevice: {
    tag: 'Push devices',
    summary: 'Activate a push device',
    answer: '`{ factorId, userId, status: ACTIVATED }`.',
    description:
      'Not an Okta endpoint (docs/adr/0031-push.md). The user\'s device, having scanned the enrollment\'s QR code, registers its public key (`key`, a JWK: P-256 or RSA) and description (`device`) with a proof of possession (`proof`, a JWS by that key for this origin and factor) and the `activationToken`. Once: a used, expired or foreign token is 401 E0000011; a proof that does not hold, 403 E0000068. The enrollment\'s next poll activates the factor.',
  },
  listPushChallenges: {
    tag: 'Push devices',
    summary: 'Verifications waiting for a device',
    answer: '`{ challenges: [...] }`.',
    description:
      'Not an Okta endpoint. A device fetches the verifications started for it (the challenges its push notifications carry), with a short-lived `assertion` signed by its key; an unknown device or an assertion that does not hold is 401 E0000011. Each challenge names who signs in, from where, and, with number matching, three `choices`, never which is right.',
  },
  answerPushChallenge: {
    tag: 'Push devices',
    summary: 'Answer a verification',
    answer: '`{ result: APPROVED | DENIED }`.',
    description:
      'Not an Okta endpoint. The device\'s `challengeResponse` (a JWS by its key over the `challengeId`, its `consent` and, with number matching, the `selectedAnswer`) approves or denies the verification, once. Approved with the right number, the sign-in\'s next poll succeeds; denied or the wrong number, it shows REJECTED. A forged, expired, replaced or already answered answer is 403 E0000068.',
  },
  sendActivationLink: {
    tag: 'Factors',
    summary: 'Send a push factor\'s activation link',
    description:
      'In MFA_ENROLL_ACTIVATE, for a push factor: sends the enrollment link (the QR code\'s URI, with its activation token) to the user\'s primary email (`email`) or to `profile.phoneNumber` (`sms`), for a user who cannot scan the QR code. Answers the same WAITING transaction. Other factors: 403 E0000079.',
  },
  resendActivation: {
    tag: 'Factors',
    summary: 'Send a new activation code',
    description: 'In MFA_ENROLL_ACTIVATE, for a factor that sends codes (SMS, voice call, email).',
  },
  verifyFactor: {
    tag: 'Factors',
    summary: 'Verify a factor',
    description:
      'In MFA_REQUIRED or MFA_CHALLENGE: verifies the factor with the family\'s answer (`passCode`, `answer`, …). Without an answer, a factor that sends codes sends one and the transaction moves to MFA_CHALLENGE.',
  },
  resendChallenge: {
    tag: 'Factors',
    summary: 'Send a new challenge code',
    description: 'In MFA_CHALLENGE, for a factor that sends codes (SMS, voice call, email).',
  },
  forgotPassword: {
    tag: 'Recovery',
    summary: 'Start a password reset',
    description:
      'Public callers name a `factorType` (EMAIL, SMS, CALL) and get the same answer whether or not the user exists. A trusted caller (API token) may leave it out and receives the recovery token.',
  },
  unlockAccount: {
    tag: 'Recovery',
    summary: 'Start an account unlock',
    description: 'As the password reset, to unlock a locked-out account.',
  },
  verifyRecoveryFactor: {
    tag: 'Recovery',
    summary: 'Verify a recovery code',
    description: 'In RECOVERY_CHALLENGE: the code sent by SMS or voice call.',
  },
  resendRecoveryChallenge: {
    tag: 'Recovery',
    summary: 'Send a new recovery code',
    description: 'In RECOVERY_CHALLENGE: sends the code again through the same channel.',
  },
  verifyRecoveryToken: {
    tag: 'Recovery',
    summary: 'Redeem a recovery token',
    description: 'Redeems a recovery token (from an email link or a trusted caller) once, and opens the recovery transaction.',
  },
  answerRecoveryQuestion: {
    tag: 'Recovery',
    summary: 'Answer the recovery question',
    description: 'In RECOVERY: the answer to the user\'s recovery question.',
  },
  resetPassword: {
    tag: 'Recovery',
    summary: 'Reset the password',
    description: 'In PASSWORD_RESET (of a recovery or an activation): sets a new password, checked against the password policy.',
  },
  previous: {
    tag: 'Transaction',
    summary: 'Go back one step',
    description: 'From MFA_ENROLL_ACTIVATE or MFA_CHALLENGE back to the factor choice.',
  },
  skip: {
    tag: 'Transaction',
    summary: 'Skip an optional step',
    description: 'In PASSWORD_WARN (keep the password) or MFA_ENROLL when no factor is required.',
  },
  cancel: {
    tag: 'Transaction',
    summary: 'Cancel the transaction',
    description: 'Ends the transaction; its state token stops working. Answers the relay state only.',
    answer: 'The transaction is cancelled: its relay state.',
  },
  redeemSessionToken: {
    tag: 'Sessions',
    summary: 'Create a session from a session token',
    description: 'Redeems the one-time session token of a SUCCESS answer and answers an Okta session. A token works once.',
    answer: 'The session.',
  },
  openStepUp: {
    tag: 'Step-up',
    summary: 'Open a step-up to an app',
    description:
      'Not an Okta endpoint (Okta opens step-up inside its own app sign-in): for a trusted caller (API token). With only the app, answers UNAUTHENTICATED with a state token to hand to the sign-in page; with `login` (the user of a session the caller knows, and when that session last verified a factor), the state the app\'s and the org\'s sign-on policies lead to: MFA, or SUCCESS with the `original` link.',
  },
  lifecycle: {
    tag: 'Users API',
    summary: 'Lifecycle operation on a user',
    description:
      'Unlocks, suspends, unsuspends or deactivates a user, or expires their password. Every live transaction of the user ends. `userId` is the user\'s id or login.',
    answer: 'Done: `{}`, or the user for `expire_password`.',
  },
}

/** The reason phrase of each error status the API answers. */
const REASONS: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
}

/**
 * The Okta error codes each status is answered with: the catalogue's, and the binding's 413,
 * which reuses E0000003 (ADR 0013).
 */
const codesByStatus = (): ReadonlyMap<number, ReadonlyArray<ErrorCode>> => {
  const by = new Map<number, Array<ErrorCode>>()
  for (const [code, { status }] of Object.entries(ERROR_CATALOGUE) as ReadonlyArray<[ErrorCode, { readonly status: number }]>) {
    by.set(status, [...(by.get(status) ?? []), code])
  }
  by.set(413, ['E0000003'])
  return by
}

/** What every operation may answer besides its success: refusals of the binding and of the engine. */
const COMMON_ERRORS = [400, 401, 403, 413, 415, 429, 500] as const

/** Operations naming a factor, a user or an app in the path also answer 404 E0000007 for an unknown one. */
const errorStatusesOf = (op: OperationSpec): ReadonlyArray<number> =>
  /\{(factorId|userId|appId)\}/.test(op.path) ? [...COMMON_ERRORS, 404].sort((a, b) => a - b) : COMMON_ERRORS

/** Matches `{name}` and `{name:a|b}` segments of a path template. */
const PARAMETER = /\{(\w+)(?::([\w|]+))?\}/g

/** A pattern matching one of `choices` in any case (routes match choice segments case-insensitively). */
const anyCase = (choices: ReadonlyArray<string>): string =>
  `^(?:${choices.map((c) => [...c].map((ch) => (/[a-z]/i.test(ch) ? `[${ch.toLowerCase()}${ch.toUpperCase()}]` : ch)).join('')).join('|')})$`

/** The `GET` resources of the binding that transactions link to (not operations of the table). */
export const QR_CODE_PATH = '/api/v1/authn/factors/{factorId}/qr/{token}'
export const QUESTIONS_PATH = '/api/v1/users/{userId}/factors/questions'

/** The components every document has, by codec: the codec's name is its schema's name. */
const COMPONENT_CODECS: ReadonlyArray<Codec> = RESPONSE_OBJECT_CODECS

const schemaRef = (name: string): string => `#/components/schemas/${name}`

/** `schema` (an object schema) without the members `names`: path parameters, which the path carries. */
const withoutMembers = (schema: JsonSchema, names: ReadonlyArray<string>): JsonSchema => {
  if (names.length === 0 || schema.properties === undefined) return schema
  const properties = Object.fromEntries(Object.entries(schema.properties).filter(([k]) => !names.includes(k)))
  const required = (schema.required ?? []).filter((k) => !names.includes(k))
  const { required: _dropped, ...rest } = schema
  return { ...rest, properties, ...(required.length === 0 ? {} : { required }) }
}

const RATE_HEADERS = {
  'X-Rate-Limit-Limit': { $ref: '#/components/headers/X-Rate-Limit-Limit' },
  'X-Rate-Limit-Remaining': { $ref: '#/components/headers/X-Rate-Limit-Remaining' },
  'X-Rate-Limit-Reset': { $ref: '#/components/headers/X-Rate-Limit-Reset' },
} as const

const REQUEST_ID = { 'X-Okta-Request-Id': { $ref: '#/components/headers/X-Okta-Request-Id' } } as const

const DESCRIPTION = `Okta's classic authentication API (\`/api/v1/authn\`), the session-token exchange of its Sessions API and the lifecycle operations of its Users API, as this implementation serves them. Generated from the operation table and the io-ts codecs of the packages.

Every operation is a \`POST\` of a JSON body (\`Content-Type: application/json\`). A transaction's answers carry a \`stateToken\` to send with the next request and HAL \`_links\` to the operations its state allows; any other operation on it answers 403 E0000079.

On every path, \`OPTIONS\` is a CORS preflight (204) and any other method answers 405 E0000022 with \`Allow: POST\` (\`#/components/responses/Error405\`). A path that names no operation answers 404 E0000008. Errors are Okta error objects; the status and \`errorCode\` of each are listed with every operation.

Rate limits (per client and endpoint, per username, per state token) answer 429 E0000047 with \`Retry-After\`; while limits are on, answers carry Okta's \`X-Rate-Limit-*\` headers.`

/**
 * The OpenAPI 3.1 document of every operation of the table (core `OPERATIONS`): its path and path
 * parameters, the request body from the operation's io-ts codec, its success answer from the
 * response codecs, and every error status it may answer with the Okta error object. Pure.
 */
export const openApiDocument = (options: OpenApiOptions): OpenApiDocument => {
  const names = new Map<Codec, string>(COMPONENT_CODECS.map((c) => [c, c.name]))
  const refOf = (c: Codec): string | undefined => {
    const name = names.get(c)
    return name === undefined ? undefined : schemaRef(name)
  }
  /** A codec's schema: a reference when it is a component, else inlined. */
  const schemaOf = (c: Codec): JsonSchema => {
    const ref = refOf(c)
    return ref === undefined ? toJsonSchema(c, { refOf }) : { $ref: ref }
  }
  const codes = codesByStatus()

  const errorResponse = (status: number): OpenApiResponse => {
    const list = codes.get(status) ?? []
    const summaries = list.map((code) => `- \`${code}\` ${status === 413 ? 'The request body is larger than the limit.' : ERROR_CATALOGUE[code].summary}`)
    return {
      description: `${REASONS[status] ?? String(status)}, with one of these Okta error codes:\n\n${summaries.join('\n')}`,
      headers: {
        ...REQUEST_ID,
        ...RATE_HEADERS,
        ...(status === 429 ? { 'Retry-After': { $ref: '#/components/headers/Retry-After' } } : {}),
        ...(status === 405 ? { Allow: { $ref: '#/components/headers/Allow' } } : {}),
      },
      content: {
        'application/json': {
          schema: {
            allOf: [
              { $ref: schemaRef(ErrorObject.name) },
              { type: 'object', properties: { errorCode: { type: 'string', enum: list }, errorLink: { type: 'string', enum: list } } },
            ],
          },
        },
      },
    }
  }

  const operationOf = (op: OperationSpec<OperationName>): { readonly path: string; readonly operation: OpenApiOperation } => {
    const codecs = OPERATION_CODECS[op.name]
    const text = TEXT[op.name]
    const body = toJsonSchema(codecs.request, { refOf })
    const members = body.properties ?? {}
    const pathParameters: Array<OpenApiParameter> = []
    const path = op.path.replace(PARAMETER, (_, name: string, choices: string | undefined) => {
      const listed = choices?.split('|')
      const extra = codecs.parameters[name]
      const schema: JsonSchema | undefined =
        listed !== undefined
          ? { type: 'string', pattern: anyCase(listed), examples: listed }
          : (members[name] ?? (extra === undefined ? undefined : schemaOf(extra)))
      if (schema === undefined) throw new Error(`openApiDocument: ${op.name}: no codec describes the path parameter {${name}}`)
      pathParameters.push({
        name,
        in: 'path',
        required: true,
        description: listed === undefined ? `Passed to the operation as the body member \`${name}\`, over the body's.` : `One of ${listed.join(', ')}, in any case.`,
        schema,
      })
      return `{${name}}`
    })
    const queryParameters: ReadonlyArray<OpenApiParameter> = QUERY_FLAGS.flatMap((name) => {
      const schema = members[name]
      return schema === undefined
        ? []
        : [{ name, in: 'query' as const, required: false, description: `The same as the body member \`${name}\` (okta-auth-js sends it here); over the body's.`, schema }]
    })
    const responses: Record<string, OpenApiResponse | OpenApiReference> = {
      200: {
        description: text.answer ?? 'The transaction in its new state.',
        headers: { ...REQUEST_ID, ...RATE_HEADERS, ...(op.name === 'authenticate' ? { 'Set-Cookie': { $ref: '#/components/headers/Set-Cookie' } } : {}) },
        content: { 'application/json': { schema: schemaOf(codecs.response) } },
      },
    }
    for (const status of errorStatusesOf(op)) responses[String(status)] = { $ref: `#/components/responses/Error${status}` }
    return {
      path,
      operation: {
        operationId: op.name,
        summary: text.summary,
        description: text.description,
        tags: [text.tag],
        parameters: [...pathParameters, ...queryParameters],
        requestBody: {
          required: op.body !== 'none',
          content: {
            'application/json': { schema: withoutMembers(body, pathParameters.map((p) => p.name)) },
            ...(op.body === 'form' ? { 'application/x-www-form-urlencoded': { schema: withoutMembers(body, pathParameters.map((p) => p.name)) } } : {}),
          },
        },
        responses,
        security: op.caller === 'trusted' ? [{ apiToken: [] }] : [{}, { apiToken: [] }],
        'x-spec-section': op.section,
      },
    }
  }

  const paths: Record<string, OpenApiPathItem> = {}
  for (const op of OPERATIONS) {
    const { path, operation } = operationOf(op)
    paths[path] = { post: operation }
  }
  const publicCaller = [{}, { apiToken: [] }]
  const answered = (description: string, content: OpenApiContent): OpenApiResponse => ({ description, headers: REQUEST_ID, content })
  paths[QR_CODE_PATH] = {
    get: {
      operationId: 'factorQrCode',
      summary: 'A pending TOTP enrollment\'s QR code',
      description:
        'The PNG of the `qrcode` link in `_embedded.factor._embedded.activation._links` (MFA_ENROLL_ACTIVATE). The token in the path is sealed and expires; once the factor is active, or when the token is tampered with or unknown, the answer is 404 E0000007.',
      tags: ['Factors'],
      parameters: [
        { name: 'factorId', in: 'path', required: true, description: 'The factor being activated (the token alone decides).', schema: { type: 'string' } },
        { name: 'token', in: 'path', required: true, description: 'The sealed token of the link.', schema: { type: 'string' } },
      ],
      responses: { 200: answered('The QR code.', { 'image/png': {} }), 404: { $ref: '#/components/responses/Error404' }, 500: { $ref: '#/components/responses/Error500' } },
      security: publicCaller,
      'x-spec-section': '4.6',
    },
  }
  paths[QUESTIONS_PATH] = {
    get: {
      operationId: 'factorQuestions',
      summary: 'The security question catalogue',
      description: 'The questions a user may enroll the question factor with (the `questions` link of MFA_ENROLL). Empty when the factor is not served.',
      tags: ['Factors'],
      parameters: [{ name: 'userId', in: 'path', required: true, description: 'The user enrolling (the catalogue is the same for every user).', schema: { type: 'string' } }],
      responses: {
        200: answered('The catalogue.', { 'application/json': { schema: { type: 'array', items: { $ref: schemaRef(SecurityQuestionObject.name) } } } }),
        500: { $ref: '#/components/responses/Error500' },
      },
      security: publicCaller,
      'x-spec-section': '6.3',
    },
  }
  paths[`${STEP_UP_REDIRECT_PATH}`] = {
    get: {
      operationId: 'stepUpRedirect',
      summary: 'Follow a step-up\'s `original` link',
      description:
        'The `original` link of a step-up SUCCESS (type SESSION_STEP_UP): redirects, once, to the return URL configured for the app; the URL never comes from the request. A token used before, expired or unknown is 401 E0000011; an app removed meanwhile 404 E0000007.',
      tags: ['Step-up'],
      parameters: [{ name: 'stateToken', in: 'query', required: true, description: 'The `stateToken` of the step-up SUCCESS.', schema: { type: 'string' } }],
      responses: {
        302: { description: 'To the app\'s return URL (`Location`).', headers: { ...REQUEST_ID, Location: { description: 'The app\'s configured return URL.', schema: { type: 'string', format: 'uri' } } } },
        400: { $ref: '#/components/responses/Error400' },
        401: { $ref: '#/components/responses/Error401' },
        404: { $ref: '#/components/responses/Error404' },
        500: { $ref: '#/components/responses/Error500' },
      },
      security: publicCaller,
      'x-spec-section': '4.2',
    },
  }
  const errorStatuses = [...new Set([...OPERATIONS.flatMap((op) => errorStatusesOf(op)), 405])].sort((a, b) => a - b)

  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    info: {
      title: 'authn-machine: Okta classic authentication API',
      version: options.version,
      description: DESCRIPTION,
      license: { name: 'MIT', identifier: 'MIT' },
    },
    ...(options.serverUrl === undefined ? {} : { servers: [{ url: options.serverUrl.replace(/\/+$/, '') }] }),
    tags: (Object.entries(TAGS) as ReadonlyArray<[Tag, string]>).map(([name, description]) => ({ name, description })),
    paths,
    components: {
      schemas: Object.fromEntries(COMPONENT_CODECS.map((c) => [c.name, toJsonSchema(c, { refOf })])),
      responses: Object.fromEntries(errorStatuses.map((s) => [`Error${s}`, errorResponse(s)])),
      headers: {
        'X-Okta-Request-Id': { description: 'The id of the request, as logs name it.', required: true, schema: { type: 'string' } },
        'X-Rate-Limit-Limit': { description: 'Requests allowed in the window of the limit that applies (while rate limits are on).', schema: { type: 'integer' } },
        'X-Rate-Limit-Remaining': { description: 'Requests left in that window.', schema: { type: 'integer' } },
        'X-Rate-Limit-Reset': { description: 'When the window resets, in seconds since the epoch.', schema: { type: 'integer' } },
        'Retry-After': { description: 'Seconds to wait before trying again, when a rate limit refused the request (E0000047).', schema: { type: 'integer', minimum: 1 } },
        Allow: { description: 'The methods the path accepts: `POST`.', required: true, schema: { type: 'string' } },
        'Set-Cookie': {
          description:
            'For a caller without an API token that sent no device cookie: `DT=<device token>; Path=/api/v1/authn; HttpOnly; SameSite=Lax` (and `Secure` over https), the browser\'s device for remember device (sign-on policy `allowRememberDevice`).',
          schema: { type: 'string' },
        },
      },
      securitySchemes: {
        apiToken: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description:
            '`SSWS <API token>`: a trusted caller. Required for the Users API; elsewhere optional, it lets the caller pass the end user\'s address (`X-Forwarded-For`) and device, and start a recovery without a factor type.',
        },
      },
    },
  }
}
