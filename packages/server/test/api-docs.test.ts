import { readFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { documentOperations, openApiDocument } from '@authn-machine/http'
import { API_REFERENCE_PATH, OPENAPI_PATH, PACKAGE_VERSION, renderApiReference } from '../src/index.js'
import { createServers } from './support.js'

const servers = createServers()
afterEach(() => servers.closeAll())

const COMMITTED = JSON.parse(readFileSync(new URL('../../../docs/openapi.json', import.meta.url), 'utf8')) as unknown

describe('GET /openapi.json', () => {
  it('answers the generated OpenAPI 3.1 document as JSON, the committed docs/openapi.json', async () => {
    const server = await servers.start()
    const res = await fetch(`${server.url}${OPENAPI_PATH}`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    const doc = (await res.json()) as unknown
    expect(doc).toEqual(JSON.parse(JSON.stringify(openApiDocument({ version: PACKAGE_VERSION }))))
    expect(doc).toEqual(COMMITTED)
  })

  it('names the public URL as its server when one is configured; HEAD has no body; other methods are 405', async () => {
    const server = await servers.start({ publicBaseUrl: 'https://login.example.test/' })
    const doc = (await (await fetch(`${server.url}${OPENAPI_PATH}`)).json()) as { servers?: unknown }
    expect(doc.servers).toEqual([{ url: 'https://login.example.test' }])
    const head = await fetch(`${server.url}${OPENAPI_PATH}`, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(await head.text()).toBe('')
    const posted = await fetch(`${server.url}${OPENAPI_PATH}`, { method: 'POST', body: '{}' })
    expect(posted.status).toBe(405)
    expect(posted.headers.get('allow')).toBe('GET, HEAD')
    // A query string does not change the resource.
    expect((await fetch(`${server.url}${OPENAPI_PATH}?v=1`)).status).toBe(200)
  })
})

describe('GET /docs/api', () => {
  it('is a self-contained HTML reference of every operation: method, path, summary, request members, responses', async () => {
    const server = await servers.start()
    const res = await fetch(`${server.url}${API_REFERENCE_PATH}`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'")
    const html = await res.text()
    const doc = openApiDocument({ version: PACKAGE_VERSION })
    for (const { path, method, operation } of documentOperations(doc)) {
      const section = html.slice(html.indexOf(`id="op-${operation.operationId}"`), html.indexOf('</section>', html.indexOf(`id="op-${operation.operationId}"`)))
      expect(section, operation.operationId).toContain(`${method.toUpperCase()}</span> <code>${path}</code>`)
      expect(section).toContain(operation.summary.replaceAll("'", '&#39;'))
      for (const status of Object.keys(operation.responses)) expect(section, `${operation.operationId} ${status}`).toContain(`>${status}</td>`)
      for (const member of Object.keys(operation.requestBody?.content['application/json'].schema.properties ?? {})) expect(section).toContain(`<code>${member}</code>`)
    }
    // The schemas the operations refer to, with their members.
    expect(html).toContain('id="schema-Transaction"')
    expect(html).toContain('<code>_embedded</code>')
    expect(html).toContain('<code>errorCauses</code>')
    // Nothing is fetched from elsewhere: no script, no external stylesheet, image or font.
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(/i)
    expect(html).not.toMatch(/(?:src|href)="(?:https?:)?\/\//i)
  })

  it('escapes what it shows', () => {
    const doc = openApiDocument({ version: '<b>1</b>' })
    expect(renderApiReference(doc)).toContain('Version &lt;b&gt;1&lt;/b&gt;')
  })
})
