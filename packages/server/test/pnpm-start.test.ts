// `pnpm start` as a person or a service manager runs it: SIGTERM to pnpm reaches the server, which
// finishes and exits 0 (no orphan left serving); Ctrl-C (SIGINT to the whole foreground process
// group, so the server hears it from the terminal and again relayed by pnpm) exits 0 without
// pnpm's "Command failed".
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { createProcesses } from './process.js'

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const processes = createProcesses()
afterAll(() => processes.killAll())

/** `pnpm start` on a free port with the memory store, in its own process group (as a terminal's foreground job). */
const pnpmStart = () => {
  const child = processes.track(
    spawn('pnpm', ['start', '--port', '0', '--store', 'memory'], {
      cwd: ROOT,
      detached: true,
      env: { ...process.env, DATABASE_URL: '', COREPACK_ENABLE_DOWNLOAD_PROMPT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  )
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d))
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      const m = /listening on (http:\/\/[^\s,]+)/.exec(out)
      if (m?.[1] !== undefined) resolve(m[1])
    })
    void exited.then((code) => reject(new Error(`pnpm start exited (${code}) before listening:\n${out}`)))
  })
  return { child, ready, exited, output: () => out }
}

/** Whether anything still answers at `url`. */
const answers = (url: string) =>
  fetch(`${url}/health`).then(
    () => true,
    () => false,
  )

describe('pnpm start', () => {
  it('SIGTERM to pnpm: the server finishes, pnpm exits 0, nothing is left serving', { timeout: 60_000 }, async () => {
    const s = pnpmStart()
    const url = await s.ready
    expect(await answers(url)).toBe(true)
    s.child.kill('SIGTERM')
    expect(await s.exited, s.output()).toBe(0)
    expect(s.output()).toContain('SIGTERM: finishing in-flight requests, then exiting')
    expect(s.output()).not.toContain('ELIFECYCLE')
    expect(await answers(url)).toBe(false)
  })

  it('Ctrl-C (SIGINT to the process group): exit 0, no "Command failed", nothing left serving', { timeout: 60_000 }, async () => {
    const s = pnpmStart()
    const url = await s.ready
    const pid = s.child.pid
    if (pid === undefined) throw new Error('no pid')
    process.kill(-pid, 'SIGINT')
    expect(await s.exited, s.output()).toBe(0)
    expect(s.output()).not.toContain('ELIFECYCLE')
    expect(await answers(url)).toBe(false)
  })
})
