/**
 * Private Redis servers for tests: `redis-server` processes (Debian's `redis-server` package) on free
 * loopback ports, with nothing saved to disk, and a Redis Cluster of such processes made with
 * `redis-cli --cluster create`. A test never touches a Redis it did not start, and stops what it
 * started.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** Whether `redis-server` and `redis-cli` can be run here (Debian: `apt-get install redis-server redis-tools`). */
export const redisBinariesAvailable = (): boolean =>
  ['redis-server', 'redis-cli'].every((bin) => {
    const r = spawnSync(bin, ['--version'], { stdio: 'ignore' })
    return r.error === undefined && r.status === 0
  })

/** A port nobody listens on now (the kernel's pick on the loopback interface). */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo
      s.close(() => resolve(port))
    })
  })

export interface RedisServerProcess {
  readonly port: number
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string
  /** Freezes the process (SIGSTOP): connections stay open and nothing is answered, as a hung server. */
  readonly pause: () => void
  /** Thaws a paused process (SIGCONT). */
  readonly resume: () => void
  /** Stops the process (SIGTERM, SIGKILL after 5 s); its data is gone. Idempotent. */
  readonly stop: () => Promise<void>
  /** Starts a new, empty server on the same port (after `stop`). */
  readonly restart: () => Promise<void>
}

export interface RedisServerOptions {
  /** A node for a Redis Cluster (`cluster-enabled yes`). */
  readonly cluster?: boolean
}

// Every process started here, ended if the test process leaves without stopping them.
const running = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

const launch = (port: number, dir: string, o: RedisServerOptions): Promise<ChildProcess> =>
  new Promise((resolve, reject) => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--logfile', '', '--daemonize', 'no']
    if (o.cluster === true) args.push('--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf'), '--cluster-node-timeout', '5000')
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] })
    running.add(child)
    let output = ''
    const onData = (d: string) => {
      output += d
      if (output.includes('Ready to accept connections')) {
        child.stdout?.off('data', onData)
        // Keep draining, so a full pipe never blocks the server.
        child.stdout?.resume()
        child.off('exit', onExit)
        resolve(child)
      }
    }
    const onExit = (code: number | null) => {
      running.delete(child)
      reject(new Error(`redis-server on port ${port} exited (${code}) before it was ready:\n${output}`))
    }
    child.stdout?.setEncoding('utf8').on('data', onData)
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (output += d))
    child.once('exit', onExit)
    child.once('error', (e) => {
      running.delete(child)
      reject(e)
    })
  })

const end = async (child: ChildProcess): Promise<void> => {
  if (child.exitCode !== null || child.signalCode !== null) return void running.delete(child)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGCONT')
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
  await exited
  clearTimeout(timer)
  running.delete(child)
}

/** Starts a private `redis-server` on a free loopback port, with no snapshot and no append-only file. */
export const startRedisServer = async (o: RedisServerOptions = {}): Promise<RedisServerProcess> => {
  const dir = mkdtempSync(join(tmpdir(), 'authn-redis-'))
  let port = 0
  let child: ChildProcess | undefined
  // Another process may take the free port between the pick and the bind: try a few.
  for (let attempt = 1; child === undefined; attempt++) {
    port = await freePort()
    try {
      child = await launch(port, dir, o)
    } catch (e) {
      if (attempt >= 3) {
        rmSync(dir, { recursive: true, force: true })
        throw e
      }
    }
  }
  let current: ChildProcess = child
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    pause: () => void current.kill('SIGSTOP'),
    resume: () => void current.kill('SIGCONT'),
    stop: async () => {
      await end(current)
      rmSync(dir, { recursive: true, force: true })
    },
    restart: async () => {
      await end(current)
      current = await launch(port, mkdtempSync(join(tmpdir(), 'authn-redis-')), o)
    },
  }
}

export interface RedisClusterProcesses {
  readonly nodes: ReadonlyArray<RedisServerProcess>
  /** Every node's URL (`redis://127.0.0.1:<port>`): a client needs one, finds the others. */
  readonly urls: ReadonlyArray<string>
  readonly stop: () => Promise<void>
}

/** Waits until every node says `cluster_state:ok`. */
const clusterReady = async (nodes: ReadonlyArray<RedisServerProcess>, timeoutMs: number): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const states = await Promise.all(nodes.map((n) => run('redis-cli', ['-p', String(n.port), 'cluster', 'info']).then((r) => r.stdout)))
    if (states.every((s) => s.includes('cluster_state:ok'))) return
    if (Date.now() > deadline) throw new Error(`the Redis cluster did not become ready within ${timeoutMs} ms:\n${states.join('\n')}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** Starts `size` (at least 3) private cluster nodes, primaries only, the 16384 slots split between them. */
export const startRedisCluster = async (size = 3): Promise<RedisClusterProcesses> => {
  const nodes: RedisServerProcess[] = []
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.stop()))
  }
  try {
    for (let i = 0; i < size; i++) nodes.push(await startRedisServer({ cluster: true }))
    await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'])
    await clusterReady(nodes, 20_000)
  } catch (e) {
    await stop()
    throw e
  }
  return { nodes, urls: nodes.map((n) => n.url), stop }
}
