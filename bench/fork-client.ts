/**
 * A load generator in a process of its own, as a real client would be: `forkClient` forks a bench
 * client module (`http-mfa-client.ts`, `http-signin-client.ts`) under the same tsx flags as this
 * process, minus profiling and inspection (so that `node --cpu-prof` profiles the server only), and
 * talks to it one command at a time over the IPC channel. Every command and reply is an object with
 * a `type`; a reply of type `error` carries a `message`; the command `{ type: 'exit' }` makes the
 * client leave.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** This process's flags minus profiling and inspection, so the client runs under tsx like us but unprofiled. */
export const clientExecArgv = (): string[] => {
  const out: string[] = []
  const argv = process.execArgv
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? ''
    if (/^--(cpu-prof|heap-prof|inspect)/.test(a)) {
      // `--cpu-prof-dir /tmp/x` takes the next argument; `--cpu-prof-dir=/tmp/x` does not.
      if (/^--(cpu|heap)-prof-(dir|name|interval)$/.test(a)) i++
      continue
    }
    out.push(a)
  }
  return out
}

export interface ForkedClient<C extends { readonly type: string }, R extends { readonly type: string }> {
  /** Sends `command` and resolves with the reply of type `expect`; rejects on any other reply, the client's exit, or after the timeout. */
  readonly ask: <T extends R['type']>(command: C, expect: T) => Promise<Extract<R, { type: T }>>
  /** Asks the client to leave; kills it (our own child, by handle) if it has not within 5 s. */
  readonly stop: () => Promise<void>
}

/** Forks the client module at `module`; `timeoutMs` is the longest wait for one answer. */
export const forkClient = <C extends { readonly type: string }, R extends { readonly type: string }>(module: URL, timeoutMs: number): ForkedClient<C, R> => {
  const child: ChildProcess = fork(fileURLToPath(module), [], {
    execArgv: clientExecArgv(),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  let exited = false
  const gone = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true
      resolve()
    }),
  )
  const ask = <T extends R['type']>(command: C, expect: T): Promise<Extract<R, { type: T }>> =>
    new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer)
        child.off('message', onMessage)
        child.off('exit', onExit)
      }
      const onMessage = (m: R) => {
        done()
        if (m.type === expect) resolve(m as Extract<R, { type: T }>)
        else {
          const message = (m as { readonly message?: unknown }).message
          reject(new Error(m.type === 'error' ? `load client: ${String(message)}` : `load client answered ${m.type}, expected ${expect}`))
        }
      }
      const onExit = (code: number | null) => {
        done()
        reject(new Error(`load client exited (${code}) during ${command.type}`))
      }
      const timer = setTimeout(() => {
        done()
        reject(new Error(`load client: no answer to ${command.type} within ${timeoutMs} ms`))
      }, timeoutMs)
      child.on('message', onMessage)
      child.once('exit', onExit)
      child.send(command)
    })
  const stop = async () => {
    if (exited) return
    if (child.connected) child.send({ type: 'exit' })
    const timer = setTimeout(() => child.kill(), 5_000)
    await gone
    clearTimeout(timer)
  }
  return { ask, stop }
}

/**
 * The forked client's side of {@link forkClient}: answers each command of the parent with
 * `handle` (a failure as `{ type: 'error', message }`); `null` ends the client after `close`, as
 * does the parent going away.
 */
export const serveCommands = <C, R extends { readonly type: string }>(handle: (c: C) => Promise<R | null>, close: () => void): void => {
  const reply = (r: R | { readonly type: 'error'; readonly message: string }) => process.send?.(r)
  process.on('disconnect', () => {
    close()
    process.exit(0)
  })
  process.on('message', (c: C) => {
    handle(c).then(
      (r) => {
        if (r !== null) return reply(r)
        close()
        process.disconnect()
      },
      (e: unknown) => reply({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
    )
  })
}
