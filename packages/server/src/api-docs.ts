import { readFileSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { JsonSchema } from '@authn-machine/core'
import {
  documentOperations,
  openApiDocument,
  type OpenApiDocument,
  type OpenApiHeader,
  type OpenApiMethod,
  type OpenApiOperation,
  type OpenApiReference,
  type OpenApiResponse,
} from '@authn-machine/http'

/** The OpenAPI document, as JSON. */
export const OPENAPI_PATH = '/openapi.json'
/** The API reference page rendered from it. */
export const API_REFERENCE_PATH = '/docs/api'
export const API_DOCS_PATHS: ReadonlyArray<string> = [OPENAPI_PATH, API_REFERENCE_PATH]

/** The version of the packages, from this package's manifest (one level above `src/` and `dist/`). */
export const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { readonly version: string }).version

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c)

const inline = (text: string): string => escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>')

/** Text of the document (a little Markdown): `code` spans, paragraphs, and lists of `- ` lines. */
const prose = (text: string): string =>
  text
    .split(/\n{2,}/)
    .map((block) => {
      const lines = block.split('\n')
      return lines.every((l) => l.startsWith('- ')) ? `<ul>${lines.map((l) => `<li>${inline(l.slice(2))}</li>`).join('')}</ul>` : `<p>${inline(block)}</p>`
    })
    .join('\n')

/** The first sentence or line of a description. */
const firstLine = (text: string): string => text.split(/\n|[.,](?:\s|$)/)[0] ?? text

const refName = (ref: string): string => ref.slice(ref.lastIndexOf('/') + 1)

const schemaLink = (ref: string): string => `<a href="#schema-${escapeHtml(refName(ref))}">${escapeHtml(refName(ref))}</a>`

/** A short, readable type: `string (1–256 chars)`, `one of A, B`, `array of Factor`, `Transaction`. */
const typeOf = (s: JsonSchema): string => {
  if (s.$ref !== undefined) return schemaLink(s.$ref)
  if (s.anyOf !== undefined) return s.anyOf.map(typeOf).join(' or ')
  if (s.allOf !== undefined) return s.allOf.map(typeOf).join(' and ')
  if (s.const !== undefined) return `<code>${escapeHtml(JSON.stringify(s.const))}</code>`
  if (s.enum !== undefined) return `one of ${s.enum.map((v) => `<code>${escapeHtml(String(v))}</code>`).join(', ')}`
  const type = typeof s.type === 'string' ? s.type : s.type === undefined ? 'any' : s.type.join(' | ')
  if (type === 'array') return `array of ${s.items === undefined ? 'any' : typeOf(s.items)}`
  if (type === 'object' && typeof s.additionalProperties === 'object') return `map of ${typeOf(s.additionalProperties)}`
  const limits = [
    s.minLength !== undefined && s.maxLength !== undefined ? `${s.minLength}–${s.maxLength} chars` : s.maxLength !== undefined ? `≤ ${s.maxLength} chars` : s.minLength !== undefined ? `≥ ${s.minLength} chars` : null,
    s.minimum !== undefined ? `≥ ${s.minimum}` : null,
    s.format ?? null,
    s.pattern !== undefined && s.examples === undefined ? `pattern <code>${escapeHtml(s.pattern)}</code>` : null,
    s.examples !== undefined ? `e.g. ${s.examples.map((e) => `<code>${escapeHtml(String(e))}</code>`).join(', ')}` : null,
  ].filter((x): x is string => x !== null)
  return limits.length === 0 ? type : `${type} (${limits.join(', ')})`
}

interface Field {
  readonly name: string
  readonly schema: JsonSchema
  readonly required: boolean
}

/** The members of an object schema, nested objects flattened as `a.b`. */
const fieldsOf = (s: JsonSchema, prefix = ''): ReadonlyArray<Field> =>
  Object.entries(s.properties ?? {}).flatMap(([name, member]) => {
    const field = { name: `${prefix}${name}`, schema: member, required: (s.required ?? []).includes(name) }
    return member.properties !== undefined && Object.keys(member.properties).length > 0 ? [field, ...fieldsOf(member, `${prefix}${name}.`)] : [field]
  })

const fieldTable = (s: JsonSchema): string => {
  const fields = fieldsOf(s)
  if (fields.length === 0) return s.description === undefined ? '<p>No members.</p>' : prose(s.description)
  const rows = fields.map(
    (f) =>
      `<tr><td><code>${escapeHtml(f.name)}</code>${f.required ? ' <span class="req">required</span>' : ''}</td><td>${f.schema.properties !== undefined ? 'object' : typeOf(f.schema)}</td><td>${f.schema.description === undefined ? '' : inline(f.schema.description)}</td></tr>`,
  )
  return `<table><thead><tr><th>Member</th><th>Type</th><th>Notes</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
}

/** A component schema: its members, each alternative's, or its type. */
const schemaBody = (s: JsonSchema): string => {
  if (s.properties !== undefined) return fieldTable(s)
  if (s.anyOf !== undefined && s.anyOf.every((a) => a.properties !== undefined)) return `<p>One of:</p>${s.anyOf.map(fieldTable).join('')}`
  return `<p>${typeOf(s)}</p>`
}

const isReference = (r: OpenApiResponse | OpenApiReference | OpenApiHeader): r is OpenApiReference => '$ref' in r

/** The body of a response: its schema's type, or its media type. */
const bodyOf = (response: OpenApiResponse): string => {
  const schema = response.content?.['application/json']?.schema
  if (schema !== undefined) return typeOf(schema.allOf?.[0] ?? schema)
  return response.content?.['image/png'] !== undefined ? '<code>image/png</code>' : ''
}

/** A response's headers, Okta's three rate-limit headers as one `X-Rate-Limit-*`. */
const headersOf = (response: OpenApiResponse): string =>
  [...new Set(Object.keys(response.headers ?? {}).map((h) => (h.startsWith('X-Rate-Limit-') ? 'X-Rate-Limit-*' : h)))]
    .map((h) => `<code>${escapeHtml(h)}</code>`)
    .join(' ')

/** An operation's responses; a shared error response links to its codes in the Errors section. */
const responseRows = (doc: OpenApiDocument, op: OpenApiOperation): string =>
  Object.entries(op.responses)
    .map(([status, r]) => {
      const response = isReference(r) ? doc.components.responses[refName(r.$ref)] : r
      if (response === undefined) return ''
      const meaning = isReference(r)
        ? `<a href="#error-${escapeHtml(refName(r.$ref))}">${escapeHtml(firstLine(response.description))}</a>`
        : inline(response.description)
      return `<tr><td class="status s${status.slice(0, 1)}">${escapeHtml(status)}</td><td>${bodyOf(response)}</td><td>${meaning}</td><td>${headersOf(response)}</td></tr>`
    })
    .join('')

/** Each shared error response: its status and the Okta error codes answered with it. */
const errorSection = (doc: OpenApiDocument): string =>
  Object.entries(doc.components.responses)
    .map(
      ([name, response]) =>
        `<section id="error-${escapeHtml(name)}"><h3>${escapeHtml(name.replace('Error', ''))} ${escapeHtml(firstLine(response.description))}</h3>${prose(response.description)}<p class="muted">Body: ${bodyOf(response)}; headers: ${headersOf(response)}</p></section>`,
    )
    .join('\n')

const operationSection = (doc: OpenApiDocument, path: string, method: OpenApiMethod, op: OpenApiOperation): string => {
  const body = op.requestBody === undefined ? '' : `<h4>Request body${op.requestBody.required ? '' : ' (optional)'}</h4>\n${fieldTable(op.requestBody.content['application/json'].schema)}`
  const parameters =
    op.parameters.length === 0
      ? ''
      : `<h4>Parameters</h4><table><thead><tr><th>Name</th><th>In</th><th>Type</th><th>Notes</th></tr></thead><tbody>${op.parameters
          .map((p) => `<tr><td><code>${escapeHtml(p.name)}</code>${p.required ? ' <span class="req">required</span>' : ''}</td><td>${p.in}</td><td>${typeOf(p.schema)}</td><td>${inline(p.description)}</td></tr>`)
          .join('')}</tbody></table>`
  const access = op.security.some((s) => Object.keys(s).length === 0) ? 'Any caller; an API token (`SSWS`) makes a trusted caller.' : 'An API token (`Authorization: SSWS …`) is required.'
  return `<section class="op" id="op-${escapeHtml(op.operationId)}">
<h3><span class="method ${method}">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code></h3>
<p class="summary">${escapeHtml(op.summary)} <span class="muted">(<code>${escapeHtml(op.operationId)}</code>)</span></p>
${prose(op.description)}
<p class="muted">${inline(access)}</p>
${parameters}
${body}
<h4>Responses</h4>
<table><thead><tr><th>Status</th><th>Body</th><th>Meaning</th><th>Headers</th></tr></thead><tbody>${responseRows(doc, op)}</tbody></table>
</section>`
}

const STYLE = `
  body { font: 15px/1.5 system-ui, sans-serif; max-width: 62rem; margin: 2rem auto; padding: 0 1rem; color: #1d1d21; }
  h1 { margin-bottom: 0; } h2 { margin-top: 2.5rem; border-bottom: 1px solid #ddd; } h3 { margin-bottom: .25rem; }
  code { font: 13px/1.4 ui-monospace, monospace; background: #f3f3f5; padding: 0 .2rem; border-radius: 3px; }
  table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
  th, td { text-align: left; vertical-align: top; padding: .3rem .5rem; border-bottom: 1px solid #e5e5e8; }
  th { background: #fafafb; font-weight: 600; }
  .method.get { background: #1f4e9c; }
  .method { background: #0b6b3a; color: #fff; font: 600 12px/1 system-ui, sans-serif; padding: .25rem .45rem; border-radius: 3px; vertical-align: middle; }
  .op { border-top: 1px solid #ddd; padding-top: 1rem; margin-top: 1.5rem; }
  .summary { font-weight: 600; margin: .25rem 0; }
  .muted { color: #5c5c66; } .req { color: #b3261e; font-size: 12px; }
  .status { font-weight: 600; } .s2 { color: #0b6b3a; } .s4 { color: #8a4b00; } .s5 { color: #b3261e; }
`

/**
 * The API reference page: every operation of the document with its method, path, summary,
 * parameters, request members and responses, then the schemas it refers to. One self-contained
 * HTML page (inline style, no script, nothing fetched from elsewhere), rendered from the document.
 */
export const renderApiReference = (doc: OpenApiDocument): string => {
  const entries = documentOperations(doc)
  const byTag = doc.tags.map((tag) => ({ tag, ops: entries.filter(({ operation }) => operation.tags.includes(tag.name)) }))
  const nav = byTag
    .map(
      ({ tag, ops }) =>
        `<tr><th colspan="2">${escapeHtml(tag.name)}</th></tr>${ops.map(({ path, method, operation }) => `<tr><td><a href="#op-${escapeHtml(operation.operationId)}">${escapeHtml(operation.summary)}</a></td><td><code>${method.toUpperCase()} ${escapeHtml(path)}</code></td></tr>`).join('')}`,
    )
    .join('')
  const sections = byTag
    .map(
      ({ tag, ops }) =>
        `<h2 id="tag-${escapeHtml(tag.name.replace(/\W+/g, '-'))}">${escapeHtml(tag.name)}</h2>\n${prose(tag.description)}\n${ops.map(({ path, method, operation }) => operationSection(doc, path, method, operation)).join('\n')}`,
    )
    .join('\n')
  const schemas = Object.entries(doc.components.schemas)
    .map(([name, s]) => `<section id="schema-${escapeHtml(name)}"><h3>${escapeHtml(name)}</h3>${schemaBody(s)}</section>`)
    .join('\n')
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(doc.info.title)} — API reference</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(doc.info.title)}</h1>
<p class="muted">Version ${escapeHtml(doc.info.version)} · OpenAPI ${escapeHtml(doc.openapi)} · <a href="${OPENAPI_PATH}">openapi.json</a>${doc.servers === undefined ? '' : ` · server <code>${escapeHtml(doc.servers.map((s) => s.url).join(', '))}</code>`}</p>
${prose(doc.info.description)}
<nav><h2>Operations</h2><table><tbody>${nav}</tbody></table></nav>
${sections}
<h2 id="errors">Errors</h2>
<p>Every error is an Okta error object (<a href="#schema-Error">Error</a>) whose <code>errorCode</code> is one of those listed with its status.</p>
${errorSection(doc)}
<h2 id="schemas">Schemas</h2>
${schemas}
</body>
</html>
`
}

export interface ApiDocsOptions {
  /** The API's public origin, named in the document's `servers`; absent, clients use the origin they fetched it from. */
  readonly serverUrl?: string
  /** Default {@link PACKAGE_VERSION}. */
  readonly version?: string
}

/**
 * Answers `GET`/`HEAD /openapi.json` (the document) and `/docs/api` (its reference page), both
 * made once; another method is 405. Any other path is left alone (answers false).
 */
export const createApiDocs = (options: ApiDocsOptions = {}) => {
  const doc = openApiDocument({ version: options.version ?? PACKAGE_VERSION, ...(options.serverUrl === undefined ? {} : { serverUrl: options.serverUrl }) })
  const pages: Readonly<Record<string, { readonly type: string; readonly body: string; readonly headers: Readonly<Record<string, string>> }>> = {
    [OPENAPI_PATH]: {
      type: 'application/json; charset=utf-8',
      body: `${JSON.stringify(doc, null, 2)}\n`,
      // A public description of a public API: tools on other origins may read it.
      headers: { 'access-control-allow-origin': '*' },
    },
    [API_REFERENCE_PATH]: {
      type: 'text/html; charset=utf-8',
      body: renderApiReference(doc),
      headers: { 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'" },
    },
  }
  return (req: IncomingMessage, res: ServerResponse, path: string): boolean => {
    const page = Object.hasOwn(pages, path) ? pages[path] : undefined
    if (page === undefined) return false
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      const body = JSON.stringify({ errorCode: 'E0000022', errorSummary: 'The endpoint does not support the provided HTTP method' })
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) })
      res.end(body)
      return true
    }
    res.writeHead(200, {
      'content-type': page.type,
      'content-length': Buffer.byteLength(page.body),
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      ...page.headers,
    })
    res.end(req.method === 'HEAD' ? undefined : page.body)
    return true
  }
}
