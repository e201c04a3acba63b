// Starting the server as an operator does: the port is bound before storage opens (a port in use
// fails at once with nothing opened), a progress line while the embedded database starts, requests
// meanwhile answered 503 (live, not ready), a signal during start-up honoured, and misconfiguration
// stopped with one clear line and a non-zero exit.
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createProcesses } from './process.js'

const processes = createProcesses()
afterEach(() => processes.killAll())
const launch = processes.launch

/** The port a progress line names, once it is out. */
const boundPort = async (server: ReturnType<typeof launch>): Promise<number> => {
  for (;;) {
    const m = /port (\d+) bound; opening the embedded store/.exec(server.output().stdout)
    if (m?.[1] !== undefined) return Number(m[1])
    if (server.child.exitCode !== null) throw new Error(`exited early:\n${server.output().stdout}\n${server.output().stderr}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('production start', () => {
  it('binds the port first: while the embedded store opens, a progress line, live 200, ready and the API 503 with Retry-After', { timeout: 90_000 }, async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'authn-start-')), 'data')
    const server = launch(['--port', '0', '--data-dir', dataDir])
    const port = await boundPort(server)
    expect(server.output().stdout).toMatch(/authn-machine: port \d+ bound; opening the embedded store in .*first start of the embedded database/)
    const base = `http://127.0.0.1:${port}`
    // The embedded store takes seconds to open (PGlite starts and migrates): these answers come first.
    const [live, ready, api] = await Promise.all([
      fetch(`${base}/health/live`),
      fetch(`${base}/health/ready`),
      fetch(`${base}/api/v1/authn`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }),
    ])
    expect(server.output().stdout, 'the store opened before the probes were answered').not.toContain('listening on')
    expect(live.status).toBe(200)
    expect(ready.status).toBe(503)
    expect(await ready.json()).toMatchObject({ checks: [{ name: 'store', status: 'starting' }] })
    expect(api.status).toBe(503)
    expect(api.headers.get('retry-after')).toBe('1')
    expect(api.headers.get('x-okta-request-id')).toMatch(/^[A-Za-z0-9]{20,}$/)
    expect(await api.json()).toMatchObject({ errorCode: 'E0000009' })
    expect(await server.ready).toBe(base)
    expect((await fetch(`${base}/health/ready`)).status).toBe(200)
    server.child.kill('SIGTERM')
    expect((await server.exited).code).toBe(0)
  })

  it('a port in use: one line, exit 1, and the store was never opened', { timeout: 60_000 }, async () => {
    const first = launch(['--port', '0', '--store', 'memory'])
    const port = Number(new URL(await first.ready).port)
    const dataDir = join(mkdtempSync(join(tmpdir(), 'authn-start-')), 'data')
    const second = launch(['--port', String(port), '--data-dir', dataDir])
    const { code } = await second.exited
    expect(code).toBe(1)
    expect(second.output().stderr.trim()).toBe(`authn-machine: cannot listen on 127.0.0.1:${port}: the port is in use (another server running?)`)
    expect(existsSync(dataDir)).toBe(false)
    first.child.kill('SIGTERM')
    expect((await first.exited).code).toBe(0)
  })

  it('SIGTERM while the store opens: the server stops once it is up, exit 0, no banner', { timeout: 90_000 }, async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'authn-start-')), 'data')
    const server = launch(['--port', '0', '--data-dir', dataDir])
    await boundPort(server)
    server.child.kill('SIGTERM')
    const { code } = await server.exited
    expect(code).toBe(0)
    expect(server.output().stdout).toContain('SIGTERM: finishing in-flight requests, then exiting')
    expect(server.output().stdout).not.toContain('Users:')
  })

  it('misconfiguration stops it before anything opens, with one clear line', { timeout: 60_000 }, async () => {
    const cases: ReadonlyArray<{ readonly args: ReadonlyArray<string>; readonly env?: Record<string, string>; readonly code: number; readonly line: RegExp }> = [
      { args: ['--store', 'postgres'], env: { DATABASE_URL: 'not a url at all' }, code: 2, line: /the database URL is not a PostgreSQL URL/ },
      { args: ['--store', 'postgres'], env: { DATABASE_URL: 'mysql://root@127.0.0.1/test' }, code: 2, line: /the database URL is not a PostgreSQL URL/ },
      { args: ['--store', 'memory', '--seed', '/nonexistent/org.json'], code: 1, line: /cannot read seed file \/nonexistent\/org\.json/ },
      { args: ['--store', 'memory', '--host', '0.0.0.0'], code: 2, line: /listening on 0\.0\.0\.0 needs --public-url/ },
    ]
    for (const c of cases) {
      const server = launch(['--port', '0', ...c.args], c.env ?? {})
      const { code } = await server.exited
      expect(code, server.output().stderr).toBe(c.code)
      const first = server.output().stderr.split('\n')[0] ?? ''
      expect(first).toMatch(/^authn-machine: /)
      expect(first).toMatch(c.line)
      expect(server.output().stdout).not.toContain('listening on')
      // A URL that may carry a password is never echoed.
      if (c.env?.['DATABASE_URL'] !== undefined) expect(server.output().stderr).not.toContain(c.env['DATABASE_URL'])
    }
  })
})
