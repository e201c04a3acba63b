// The reference server as a user starts it: a child process running src/main.ts (through tsx, with
// the source condition, as `pnpm start` does), on a free port, stopped with SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { DEMO, postJson } from './support.js'

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url))
const children: ChildProcess[] = []

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
})

const launch = (args: ReadonlyArray<string>, env: Record<string, string> = {}) => {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@authn-machine/source', 'src/main.ts', ...args], {
    cwd: PACKAGE_DIR,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  let stdout = ''
  let stderr = ''
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d))
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  /** Resolves with the listening URL once the banner is out; rejects if the process ends first. */
  const ready = new Promise<string>((resolve, reject) => {
    const check = () => {
      const m = /listening on (http:\/\/[^\s,]+)/.exec(stdout)
      if (m?.[1] !== undefined) resolve(m[1])
    }
    child.stdout?.on('data', check)
    void exited.then(({ code }) => reject(new Error(`server exited (${code}) before listening:\n${stdout}\n${stderr}`)))
  })
  // Tests that expect an early exit never await `ready`.
  ready.catch(() => undefined)
  return { child, ready, exited, output: () => ({ stdout, stderr }) }
}

describe('the reference server process', () => {
  it('starts on a free port, prints users and a curl line, serves health and sign-in, exits 0 on SIGTERM', async () => {
    const server = launch(['--port', '0', '--host', '127.0.0.1'])
    const url = await server.ready
    const { stdout } = server.output()
    expect(stdout).toContain(`${DEMO.active.username}`)
    expect(stdout).toContain(DEMO.active.password)
    expect(stdout).toContain(DEMO.staged.activationToken)
    expect(stdout).toMatch(/curl -s http:\/\/127\.0\.0\.1:\d+\/api\/v1\/authn/)

    const health = await fetch(`${url}/health`)
    expect(health.status).toBe(200)
    expect(await health.json()).toEqual({ status: 'ok' })

    const signIn = await postJson(`${url}/api/v1/authn`, DEMO.active)
    expect(signIn.status).toBe(200)
    expect(signIn.body['status']).toBe('SUCCESS')

    // A kept-alive idle connection must not hold the shutdown open.
    expect((await fetch(`${url}/health`, { headers: { connection: 'keep-alive' } })).status).toBe(200)
    server.child.kill('SIGTERM')
    expect(await server.exited).toEqual({ code: 0, signal: null })
  })

  it('takes its settings from the environment, and exits 0 on SIGINT', async () => {
    const server = launch([], { AUTHN_PORT: '0', AUTHN_PUBLIC_URL: 'https://login.example.test', AUTHN_STORE: 'memory' })
    const url = await server.ready
    expect(server.output().stdout).toContain('links point at https://login.example.test')
    const expired = await postJson(`${url}/api/v1/authn`, DEMO.expired)
    expect(expired.body).toMatchObject({ _links: { cancel: { href: 'https://login.example.test/api/v1/authn/cancel' } } })
    server.child.kill('SIGINT')
    expect((await server.exited).code).toBe(0)
  })

  it('refuses bad options with exit code 2 and the usage text', async () => {
    const server = launch(['--store', 'postgres', '--port', '0'])
    const { code } = await server.exited
    expect(code).toBe(2)
    expect(server.output().stderr).toContain("unknown store 'postgres' (available: memory)")
    expect(server.output().stderr).toContain('Usage:')
  })

  it('refuses an invalid seed file with exit code 1', async () => {
    const server = launch(['--port', '0', '--seed', 'package.json'])
    const { code } = await server.exited
    expect(code).toBe(1)
    expect(server.output().stderr).toContain('invalid seed')
  })
})
