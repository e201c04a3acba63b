// The store goes away under a running server: /health/ready answers 503 naming the store, the API
// answers 500 E0000009, and the failures are logged and counted (docs/adr/0021-operations.md).
// With DATABASE_URL: the postgres store, reached through a TCP relay in this file that is then cut.
// Without it: the embedded store (PGlite), closed under the server.
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { createTrivialHasher } from '@authn-machine/testkit/fixtures'
import { createLogger, createStores, type Stores } from '../src/index.js'
import { freshDataDirs, freshSchemas } from './fresh-storage.js'
import { DEMO, createServers, postJson } from './support.js'

const DATABASE_URL = process.env['DATABASE_URL'] ?? ''
const servers = createServers()
const schemas = freshSchemas(DATABASE_URL, 'ops')
const dataDirs = freshDataDirs('authn-ops-')
afterEach(() => servers.closeAll())
afterAll(async () => {
  if (DATABASE_URL !== '') await schemas.dropAll()
  await dataDirs.removeAll()
})

/** A TCP relay to `target`; `cut` stops it and drops every connection through it. */
const relay = async (host: string, port: number): Promise<{ readonly port: number; readonly cut: () => Promise<void> }> => {
  const sockets: Socket[] = []
  const server: Server = createServer((client) => {
    const upstream = connect(port, host)
    sockets.push(client, upstream)
    client.on('error', () => client.destroy())
    upstream.on('error', () => client.destroy())
    client.pipe(upstream).pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    cut: async () => {
      const closed = new Promise((resolve) => server.close(resolve))
      for (const s of sockets) s.destroy()
      await closed
    },
  }
}

/** Stores that can be taken down: through a relay to PostgreSQL, or the embedded store closed. */
const storesThatFail = async (): Promise<{ readonly stores: Stores; readonly takeDown: () => Promise<void> }> => {
  if (DATABASE_URL !== '') {
    const url = new URL(DATABASE_URL)
    const r = await relay(url.hostname || '127.0.0.1', Number(url.port || '5432'))
    url.hostname = '127.0.0.1'
    url.port = String(r.port)
    const stores = await createStores({ kind: 'postgres', databaseUrl: url.toString(), migrate: true, schema: schemas.next() })
    return { stores, takeDown: r.cut }
  }
  const stores = await createStores({ kind: 'embedded', dataDir: dataDirs.next() })
  let closed: Promise<void> | null = null
  // Closed once: by the test, then again by the server's own close.
  const close = () => (closed ??= stores.close())
  return { stores: { ...stores, close }, takeDown: close }
}

describe(`a store that goes down (${DATABASE_URL === '' ? 'embedded PGlite, closed' : 'PostgreSQL through a relay that is cut'})`, () => {
  it('makes /health/ready 503 naming the store; the API answers 500; failures are logged and counted', async () => {
    const lines: string[] = []
    const logger = createLogger({ level: 'info', destination: { write: (s: string) => void lines.push(s) } })
    const { stores, takeDown } = await storesThatFail()
    const server = await servers.start({ stores, logger, hasher: createTrivialHasher(), readyTimeoutMs: 1_500 })
    expect((await fetch(`${server.url}/health/ready`)).status).toBe(200)
    expect((await postJson(`${server.url}/api/v1/authn`, DEMO.active)).body['status']).toBe('SUCCESS')

    await takeDown()
    const ready = await fetch(`${server.url}/health/ready`)
    expect([ready.status, await ready.json()]).toEqual([503, { status: 'unavailable', checks: [{ name: 'store', status: 'down' }] }])
    expect((await fetch(`${server.url}/health/live`)).status).toBe(200)
    const r = await postJson(`${server.url}/api/v1/authn`, DEMO.active)
    expect([r.status, r.body['errorCode']]).toEqual([500, 'E0000009'])

    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(parsed.find((l) => l['msg'] === 'readiness check failed')).toMatchObject({ level: 40, check: 'store', err: expect.any(Object) })
    expect(parsed.find((l) => l['msg'] === 'store error' && l['requestId'] === r.headers.get('x-okta-request-id'))).toMatchObject({
      level: 50,
      store: { error: 'Unavailable' },
    })
    const metrics = await (await fetch(`${server.url}/metrics`)).text()
    expect(metrics).toMatch(/^authn_store_errors_total\{port="[a-zA-Z]+",error="Unavailable"\} [1-9]\d*$/m)
    expect(metrics).toMatch(/^authn_outcomes_total\{operation="authenticate",outcome="E0000009"\} 1$/m)
  })
})
