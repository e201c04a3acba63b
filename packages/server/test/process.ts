// The reference server as a user starts it: a child process running src/main.ts (through tsx, with
// the source condition, as `pnpm start` does), on a free port, stopped with a signal.
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url))

export interface LaunchedServer {
  readonly child: ChildProcess
  /** Resolves with the listening URL once the banner is out; rejects if the process ends first. */
  readonly ready: Promise<string>
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>
  readonly output: () => { readonly stdout: string; readonly stderr: string }
}

const isRunning = (c: ChildProcess) => c.exitCode === null && c.signalCode === null

/** Starts server processes (and other children) and ends every one of them afterwards. */
export const createProcesses = () => {
  const children: ChildProcess[] = []
  const track = <C extends ChildProcess>(child: C): C => {
    children.push(child)
    return child
  }
  const launch = (args: ReadonlyArray<string>, env: Record<string, string> = {}): LaunchedServer => {
    const child = track(
      spawn(process.execPath, ['--import', 'tsx', '--conditions=@authn-machine/source', 'src/main.ts', ...args], {
        cwd: PACKAGE_DIR,
        // The command line picks the postgres store when DATABASE_URL is set (as in CI): not unless asked.
        env: { ...process.env, DATABASE_URL: '', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    )
    let stdout = ''
    let stderr = ''
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    )
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
  return {
    launch,
    track,
    /** SIGKILL for every child still running (after a failed test). */
    killAll: () => {
      for (const c of children.splice(0)) if (isRunning(c)) c.kill('SIGKILL')
    },
    /** SIGTERM for every child still running, and waits until each has exited. */
    stopAll: async () => {
      const running = children.splice(0).filter(isRunning)
      await Promise.all(
        running.map(
          (c) =>
            new Promise<void>((resolve) => {
              c.once('exit', () => resolve())
              c.kill('SIGTERM')
            }),
        ),
      )
    },
  }
}
