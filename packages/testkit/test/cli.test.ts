// The conformance CLI as a tester runs it: its help, and what it says when the implementation
// cannot be driven (down, no reset endpoint, not an authn API at that origin).
import { spawn } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import { mkdtempSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url))
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'authn-conformance-cli-'))
const SEED = join(dir, 'seed.json')
writeFileSync(SEED, JSON.stringify({ users: [{ login: 'a@example.com', firstName: 'A', lastName: 'B', password: 'Some-Passw0rd', passwordChanged: 'now-85d' }] }))

const run = (args: ReadonlyArray<string>): Promise<{ readonly code: number | null; readonly out: string }> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@authn-machine/source', CLI, ...args], {
      cwd: PACKAGE_DIR,
      env: { ...process.env, AUTHN_API_TOKEN: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d))
    child.once('exit', (code) => resolve({ code, out }))
  })

const servers: Server[] = []
/** A server that answers every request with `status` and `body`. */
const serve = async (answer: (path: string) => { readonly status: number; readonly body: string; readonly type: string }): Promise<string> => {
  const server = createServer((req, res) => {
    req.resume()
    const a = answer(req.url ?? '/')
    res.writeHead(a.status, { 'content-type': a.type })
    res.end(a.body)
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}
afterAll(async () => {
  for (const s of servers) await new Promise((resolve) => s.close(resolve))
})

describe('authn-conformance', () => {
  it('--help lists every option, the environment and the reset contract, and exits 0', async () => {
    const { code, out } = await run(['--help'])
    expect(code).toBe(0)
    for (const option of ['--base-url', '--seed', '--runs', '--max-commands', '--reset-path', '--fc-seed', '--counterexample', '--replay', '--help', 'AUTHN_API_TOKEN', 'The reset contract', '/__dev/outbox']) expect(out).toContain(option)
  })

  it('a server that is down: says it cannot reach it, exit 1', async () => {
    const closed = await serve(() => ({ status: 200, body: '', type: 'text/plain' }))
    await new Promise((resolve) => servers.pop()?.close(resolve))
    const { code, out } = await run(['--base-url', closed, '--seed', SEED, '--runs', '1'])
    expect(code).toBe(1)
    expect(out).toMatch(/cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\): is the implementation running/)
  })

  it('no reset endpoint: names the path, the flag and the contract, exit 1', async () => {
    const base = await serve(() => ({ status: 404, body: '{"errorCode":"E0000008"}', type: 'application/json' }))
    const { code, out } = await run(['--base-url', base, '--seed', SEED, '--runs', '1'])
    expect(code).toBe(1)
    expect(out).toContain('POST /__conformance/reset answered 404: the implementation has no reset endpoint there')
    expect(out).toContain('--reset-path')
  })

  it('an origin that does not serve the authn API: says so, exit 1', async () => {
    const base = await serve((path) => (path.startsWith('/__conformance') ? { status: 204, body: '', type: 'text/plain' } : { status: 200, body: '<html>hello</html>', type: 'text/html' }))
    const { code, out } = await run(['--base-url', base, '--seed', SEED, '--runs', '1'])
    expect(code).toBe(1)
    expect(out).toContain('is --base-url the origin that serves /api/v1/authn?')
  })
})
