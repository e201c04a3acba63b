import { readFileSync } from 'node:fs'
import { compileErrors, validate } from '@readme/openapi-parser'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { describe, expect, it } from 'vitest'
import { ERROR_CATALOGUE, OPERATIONS, type JsonSchema, type OktaErrorBody, type TransactionObject, type ErrorObject, type SessionObject, type LifecycleObject } from '@authn-machine/core'
import type { LifecycleJson } from '@authn-machine/engine'
import {
  ADMIN_OPERATIONS,
  documentOperations,
  openApiDocument,
  QR_CODE_PATH,
  QUESTIONS_PATH,
  type OktaSession,
  type OpenApiDocument,
  type OpenApiOperation,
  type OpenApiReference,
  type OpenApiResponse,
} from '../src/index.js'
import { json, post, setupHandler } from './helpers.js'

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { readonly version: string }).version
const COMMITTED = new URL('../../../docs/openapi.json', import.meta.url)
const doc = openApiDocument({ version: VERSION })

/** The types the binding answers are the codecs' types (checked by the compiler). */
type Assignable<A extends B, B> = A
export type WireTypesMatchCodecs = [
  Assignable<OktaErrorBody, ErrorObject>,
  Assignable<OktaSession, SessionObject>,
  Assignable<LifecycleJson, LifecycleObject>,
  Assignable<{ readonly status: 'SUCCESS'; readonly sessionToken: string }, TransactionObject>,
]

/** The `POST` operations (those of the table), as `[path, operation]`. */
const operations = (d: OpenApiDocument): ReadonlyArray<readonly [string, OpenApiOperation]> =>
  documentOperations(d).flatMap(({ path, method, operation }) => (method === 'post' ? [[path, operation] as const] : []))

const isReference = (r: OpenApiResponse | OpenApiReference): r is OpenApiReference => '$ref' in r

/** JSON pointer escaping of one segment (RFC 6901). */
const segment = (s: string) => s.replaceAll('~', '~0').replaceAll('/', '~1')

/** Every place of the document that holds a schema, as JSON pointers. */
const schemaPointers = (d: OpenApiDocument): ReadonlyArray<string> => [
  ...Object.keys(d.components.schemas).map((name) => `/components/schemas/${segment(name)}`),
  ...Object.keys(d.components.responses).map((name) => `/components/responses/${name}/content/application~1json/schema`),
  ...Object.keys(d.components.headers).map((name) => `/components/headers/${segment(name)}/schema`),
  ...documentOperations(d).flatMap(({ path, method, operation: op }) => {
    const at = `/paths/${segment(path)}/${method}`
    return [
      ...(op.requestBody === undefined ? [] : [`${at}/requestBody/content/application~1json/schema`]),
      ...op.parameters.map((_, i) => `${at}/parameters/${i}/schema`),
      ...Object.entries(op.responses).flatMap(([status, r]) => (isReference(r) || r.content?.['application/json'] === undefined ? [] : [`${at}/responses/${status}/content/application~1json/schema`])),
    ]
  }),
]

describe('openApiDocument: a valid OpenAPI 3.1 document', () => {
  it('passes @readme/openapi-parser (the OpenAPI 3.1 schema, plus parameter, operationId and reference rules), without warnings', async () => {
    const result = await validate(structuredClone(doc) as never)
    expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true)
    expect(result.warnings).toEqual([])
    const withServer = await validate(structuredClone(openApiDocument({ version: VERSION, serverUrl: 'https://login.example.test/' })) as never)
    expect(withServer.valid).toBe(true)
  })

  it('every schema in it compiles as JSON Schema 2020-12 under ajv\'s strict mode, its references resolved', () => {
    const ajv = new Ajv2020({ strict: true })
    addFormats.default(ajv)
    // The document's own members are not schema keywords: declared so that strict mode lets them be.
    ajv.addVocabulary(['openapi', 'jsonSchemaDialect', 'info', 'servers', 'tags', 'paths', 'components'])
    ajv.addSchema({ $id: 'openapi.json', ...doc } as object)
    const pointers = schemaPointers(doc)
    expect(pointers.length).toBeGreaterThan(OPERATIONS.length * 3)
    for (const pointer of pointers) expect(() => ajv.getSchema(`openapi.json#${pointer}`), pointer).not.toThrow()
    for (const pointer of pointers) expect(ajv.getSchema(`openapi.json#${pointer}`), pointer).toBeTypeOf('function')
  })

  it('is the committed docs/openapi.json (regenerate with `pnpm docs`)', () => {
    expect(JSON.parse(readFileSync(COMMITTED, 'utf8'))).toEqual(JSON.parse(JSON.stringify(doc)))
  })

  it('is the same every time, and names the server URL when given one', () => {
    expect(JSON.stringify(openApiDocument({ version: VERSION }))).toBe(JSON.stringify(doc))
    expect(doc.servers).toBeUndefined()
    expect(openApiDocument({ version: '9.9.9', serverUrl: 'https://login.example.test/' })).toMatchObject({ servers: [{ url: 'https://login.example.test' }], info: { version: '9.9.9' } })
  })
})

describe('openApiDocument: derived from the operation table and the codecs', () => {
  it('has each operation of the table once, as POST, under its path with OpenAPI parameters', () => {
    expect(operations(doc).map(([, op]) => op.operationId)).toEqual(OPERATIONS.map((o) => o.name))
    for (const o of OPERATIONS) {
      const entry = operations(doc).find(([, op]) => op.operationId === o.name)
      expect(entry, o.name).toBeDefined()
      const [path, op] = entry ?? ['', null as never]
      expect(path).toBe(o.path.replace(/\{(\w+):[\w|]+\}/g, '{$1}'))
      expect(op['x-spec-section']).toBe(o.section)
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1])
      expect(op.parameters.filter((p) => p.in === 'path').map((p) => p.name)).toEqual(inPath)
      expect(op.requestBody?.required).toBe(o.body !== 'none')
      // An operation that takes a form post documents it beside JSON, with the same schema (Duo's callback).
      expect(Object.keys(op.requestBody?.content ?? {})).toEqual(o.body === 'form' ? ['application/json', 'application/x-www-form-urlencoded'] : ['application/json'])
      expect(op.security).toEqual(o.caller === 'trusted' ? [{ apiToken: [] }] : [{}, { apiToken: [] }])
    }
  })

  it('a choice segment is a case-insensitive pattern of its values; path members are not body members', () => {
    const [, verify] = operations(doc).find(([, op]) => op.operationId === 'verifyRecoveryFactor') ?? []
    const factorType = verify?.parameters.find((p) => p.name === 'factorType')
    const pattern = new RegExp(factorType?.schema.pattern ?? '^$')
    expect(['sms', 'SMS', 'Call', 'call'].every((s) => pattern.test(s))).toBe(true)
    expect(['email', 'smsx', ''].some((s) => pattern.test(s))).toBe(false)
    for (const [, op] of operations(doc)) {
      const body = (op.requestBody?.content['application/json'].schema ?? {})
      for (const p of op.parameters.filter((x) => x.in === 'path')) {
        expect(Object.keys(body.properties ?? {}), `${op.operationId}: ${p.name}`).not.toContain(p.name)
        expect(body.required ?? [], `${op.operationId}: ${p.name}`).not.toContain(p.name)
      }
    }
    const [, verifyFactor] = operations(doc).find(([, op]) => op.operationId === 'verifyFactor') ?? []
    expect(verifyFactor?.parameters.find((p) => p.name === 'factorId')?.schema).toMatchObject({ type: 'string', minLength: 1, maxLength: 64 })
    expect(verifyFactor?.parameters.filter((p) => p.in === 'query').map((p) => p.name)).toEqual(['rememberDevice', 'autoPush'])
  })

  it('every operation answers 200 and the errors it can give, each error status with only the codes of that status', () => {
    for (const [, op] of operations(doc)) {
      const statuses = Object.keys(op.responses)
      expect(statuses, op.operationId).toEqual(expect.arrayContaining(['200', '400', '401', '403', '413', '415', '429', '500']))
      expect(statuses.includes('404'), op.operationId).toBe(/factorId|userId|appId/.test(JSON.stringify(op.parameters)))
    }
    for (const [name, response] of Object.entries(doc.components.responses)) {
      const status = Number(name.replace('Error', ''))
      const schema = response.content?.['application/json']?.schema
      const codes = (schema?.allOf?.[1]?.properties?.['errorCode'] as JsonSchema | undefined)?.enum ?? []
      expect(codes.length, name).toBeGreaterThan(0)
      for (const code of codes) expect(status === 413 ? 400 : status, `${name} ${String(code)}`).toBe(ERROR_CATALOGUE[code as keyof typeof ERROR_CATALOGUE].status)
    }
    expect(doc.components.responses['Error405']?.headers).toHaveProperty('Allow')
  })

  it('the operations described as not served yet are those the engine lacks', async () => {
    const { authn } = await setupHandler()
    const lacking = OPERATIONS.map((o) => o.name).filter((name) => !(name in authn) && !(ADMIN_OPERATIONS as ReadonlyArray<string>).includes(name))
    const described = operations(doc).filter(([, op]) => op.description.startsWith('Not served yet')).map(([, op]) => op.operationId)
    expect(described).toEqual(lacking)
  })

  it('the three GET resources transactions link to are documented and served by the handler under those paths', async () => {
    expect(documentOperations(doc).filter((o) => o.method === 'get').map((o) => [o.path, o.operation.operationId])).toEqual([
      [QR_CODE_PATH, 'factorQrCode'],
      [QUESTIONS_PATH, 'factorQuestions'],
      ['/login/step-up/redirect', 'stepUpRedirect'],
    ])
    const { handler } = await setupHandler()
    const get = (url: string) => handler({ ...post(url, ''), method: 'GET' })
    const qr = await get(QR_CODE_PATH.replace('{factorId}', 'ost1').replace('{token}', 'not-a-sealed-token'))
    expect([qr.status, json(qr)['errorCode']]).toEqual([404, 'E0000007'])
    const questions = await get(QUESTIONS_PATH.replace('{userId}', '00u1'))
    expect(questions.status).toBe(200)
    expect(Array.isArray(JSON.parse(questions.body as string))).toBe(true)
    // The `original` link of a step-up: a token nobody was given is 401 E0000011, none at all 400.
    const original = await get('/login/step-up/redirect?stateToken=20111neverIssued')
    expect([original.status, json(original)['errorCode']]).toEqual([401, 'E0000011'])
    const blank = await get('/login/step-up/redirect')
    expect([blank.status, json(blank)['errorCode']]).toEqual([400, 'E0000001'])
  })

  it('the members a body schema requires are the ones the engine names when they are missing', async () => {
    const { handler } = await setupHandler()
    for (const [path, op] of operations(doc)) {
      const required = (op.requestBody?.content['application/json'].schema ?? {}).required ?? []
      if (required.length === 0) continue
      // Path parameters filled with a value they accept.
      const url = path.replace(/\{(\w+)\}/g, (_, name: string) => (op.parameters.find((p) => p.name === name)?.schema.examples?.[0] as string | undefined) ?? 'ost1')
      const r = await handler(post(url, {}))
      expect(r.status, `${op.operationId} ${url}`).toBe(400)
      expect(json(r)['errorCauses'], op.operationId).toEqual(required.map((m) => ({ errorSummary: `${m}: The field cannot be left blank` })))
    }
  })
})
