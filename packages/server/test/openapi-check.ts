// Checks HTTP answers against the OpenAPI document: the status must be one the operation
// documents, the JSON body must match that response's schema (ajv, JSON Schema 2020-12, formats
// checked) and the required headers must be there. A test wraps `fetch` with it, so every answer a
// suite receives is checked.
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { afterAll, afterEach, beforeAll, expect, vi } from 'vitest'
import { openApiDocument, type OpenApiDocument, type OpenApiHeader, type OpenApiMethod, type OpenApiPathItem, type OpenApiReference, type OpenApiResponse } from '@authn-machine/http'
import { PACKAGE_VERSION } from '../src/index.js'

/** An answer as the checker sees it. */
export interface CheckedExchange {
  readonly method: string
  /** The request path, without the query. */
  readonly path: string
  readonly status: number
  readonly headers: Headers
  /** The body's text ('' when there is none). */
  readonly body: string
}

export interface ResponseChecker {
  /** The problems of one answer (empty: it matches the document); null when the path is not the API's. */
  readonly check: (exchange: CheckedExchange) => { readonly operation: string; readonly problems: ReadonlyArray<string> } | null
}

const DOCUMENT_ID = 'openapi.json'

/** JSON pointer escaping of one segment (RFC 6901), then URI-fragment escaping. */
const pointerSegment = (s: string) => encodeURIComponent(s.replaceAll('~', '~0').replaceAll('/', '~1'))

const isReference = (r: OpenApiResponse | OpenApiReference | OpenApiHeader): r is OpenApiReference => '$ref' in r

/** The path a request matched (OpenAPI path templating: each `{name}` is one non-empty segment). */
const templateMatcher = (template: string): RegExp =>
  new RegExp(`^${template.split('/').map((seg) => (/^\{\w+\}$/.test(seg) ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/')}/?$`)

export const createResponseChecker = (doc: OpenApiDocument): ResponseChecker => {
  const ajv = new Ajv2020({ strict: true, allErrors: true })
  addFormats.default(ajv)
  // The document's own members are not schema keywords: declared so that strict mode lets them be.
  ajv.addVocabulary(['openapi', 'jsonSchemaDialect', 'info', 'servers', 'tags', 'paths', 'components'])
  ajv.addSchema({ $id: DOCUMENT_ID, ...doc } as object)
  const validators = new Map<string, ValidateFunction>()
  const validatorAt = (pointer: string): ValidateFunction => {
    const known = validators.get(pointer)
    if (known !== undefined) return known
    const v = ajv.getSchema(`${DOCUMENT_ID}#${pointer}`)
    if (v === undefined) throw new Error(`no schema at ${pointer}`)
    validators.set(pointer, v)
    return v
  }
  const routes = Object.entries(doc.paths).map(([template, item]) => ({ template, item, pattern: templateMatcher(template) }))

  /** The response object documented for `status` and the JSON pointer of its JSON body's schema. */
  const responseOf = (template: string, item: OpenApiPathItem, method: OpenApiMethod, status: number): { readonly response: OpenApiResponse; readonly pointer: string } | null => {
    const documented = item[method]?.responses[String(status)]
    if (documented === undefined) return null
    if (!isReference(documented)) return { response: documented, pointer: `/paths/${pointerSegment(template)}/${method}/responses/${status}/content/application~1json/schema` }
    const name = documented.$ref.replace('#/components/responses/', '')
    const response = doc.components.responses[name]
    return response === undefined ? null : { response, pointer: `/components/responses/${name}/content/application~1json/schema` }
  }

  const headerProblems = (response: OpenApiResponse, headers: Headers): ReadonlyArray<string> =>
    Object.entries(response.headers ?? {}).flatMap(([name, h]) => {
      const header = isReference(h) ? doc.components.headers[h.$ref.replace('#/components/headers/', '')] : h
      const value = headers.get(name)
      if (header === undefined) return [`header ${name}: not in the document's components`]
      if (value === null) return header.required === true ? [`header ${name} is missing`] : []
      return header.schema.type === 'integer' && !/^-?\d+$/.test(value) ? [`header ${name}: ${JSON.stringify(value)} is not an integer`] : []
    })

  const check = (x: CheckedExchange) => {
    const route = routes.find((r) => r.pattern.test(x.path))
    if (route === undefined) return x.path.startsWith('/api/v1/') ? { operation: `${x.method} ${x.path}`, problems: [`${x.method} ${x.path}: no path of the document matches`] } : null
    const method = x.method.toLowerCase()
    const own = method === 'get' || method === 'post' ? route.item[method] : undefined
    // Other methods on the operations' paths: a CORS preflight, or 405 as the document's Error405.
    const operation = own?.operationId ?? `${method.toUpperCase()} ${route.template}`
    const documented =
      own !== undefined
        ? responseOf(route.template, route.item, method as OpenApiMethod, x.status)
        : route.item.post !== undefined && method === 'options' && x.status === 204
          ? { response: { description: 'preflight' }, pointer: '' }
          : route.item.post !== undefined && x.status === 405 && doc.components.responses['Error405'] !== undefined
            ? { response: doc.components.responses['Error405'], pointer: '/components/responses/Error405/content/application~1json/schema' }
            : null
    if (documented === null) return { operation, problems: [`${operation}: status ${x.status} is not documented (body ${x.body.slice(0, 300)})`] }
    const problems: Array<string> = [...headerProblems(documented.response, x.headers).map((p) => `${operation} ${x.status}: ${p}`)]
    const type = x.headers.get('content-type') ?? ''
    if (documented.response.content?.['image/png'] !== undefined && type !== 'image/png') problems.push(`${operation} ${x.status}: content-type ${JSON.stringify(type)}, documented image/png`)
    if (documented.response.content?.['application/json'] !== undefined) {
      if (!type.startsWith('application/json')) problems.push(`${operation} ${x.status}: content-type ${JSON.stringify(type)}, documented application/json`)
      let body: unknown
      try {
        body = JSON.parse(x.body)
      } catch {
        problems.push(`${operation} ${x.status}: the body is not JSON: ${x.body.slice(0, 300)}`)
        return { operation, problems }
      }
      const validate = validatorAt(documented.pointer)
      if (!validate(body))
        problems.push(`${operation} ${x.status}: ${ajv.errorsText(validate.errors, { separator: '; ' })} in ${JSON.stringify(body).slice(0, 600)}`)
    }
    return { operation, problems }
  }

  return { check }
}

/** What a checking `fetch` saw: each answer's operation and status, and the problems found. */
export interface CheckLog {
  readonly seen: Map<string, Set<number>>
  readonly problems: Array<string>
  checked: number
}

/**
 * A `fetch` that checks every answer of the API (paths under the document's) with `checker`,
 * recording what it saw in `log`; other paths (the dev outbox, the conformance reset) pass unchecked.
 */
export const checkingFetch =
  (realFetch: typeof fetch, checker: ResponseChecker, log: CheckLog): typeof fetch =>
  async (input, init) => {
    const res = await realFetch(input, init)
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url)
    const method = init?.method ?? (input instanceof Request ? input.method : 'GET')
    const result = checker.check({ method, path: url.pathname, status: res.status, headers: res.headers, body: method === 'HEAD' || !(res.headers.get('content-type') ?? '').includes('json') ? '' : await res.clone().text() })
    if (result !== null) {
      log.checked += 1
      log.problems.push(...result.problems)
      const statuses = log.seen.get(result.operation) ?? new Set<number>()
      statuses.add(res.status)
      log.seen.set(result.operation, statuses)
    }
    return res
  }

export const emptyCheckLog = (): CheckLog => ({ seen: new Map(), problems: [], checked: 0 })

/**
 * For a whole test file: every answer the API gives to `fetch` (okta-auth-js calls the global one)
 * is checked against the reference server's OpenAPI document, and a test after which any answer
 * did not match fails with the problems.
 */
export const checkAnswersAgainstOpenApi = (): CheckLog => {
  const log = emptyCheckLog()
  const checker = createResponseChecker(openApiDocument({ version: PACKAGE_VERSION }))
  const realFetch = globalThis.fetch
  beforeAll(() => {
    vi.stubGlobal('fetch', checkingFetch(realFetch, checker, log))
  })
  afterEach(() => {
    expect(log.problems.splice(0), 'answers that do not match docs/openapi.json').toEqual([])
  })
  afterAll(() => {
    vi.unstubAllGlobals()
  })
  return log
}
