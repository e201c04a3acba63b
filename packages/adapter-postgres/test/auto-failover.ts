import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, openSync, closeSync } from 'node:fs'
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { PG_BIN, asPostgres, freePort, postgresTempDir } from './local-clusters.js'

/**
 * A pg_auto_failover formation on one machine for tests: a monitor and two PostgreSQL nodes (a
 * primary and a synchronous secondary), each run by its own `pg_autoctl run` as the postgres OS
 * user, in a temporary folder, on free ports, with trust authentication and no TLS.
 */

export const PG_AUTOCTL = '/usr/bin/pg_autoctl'

/** Why the failover test cannot run here, or null. */
export const autoFailoverUnavailable = (): string | null => {
  if (!existsSync(PG_AUTOCTL)) return `no ${PG_AUTOCTL} (Debian package postgresql-15-auto-failover)`
  if (process.getuid?.() !== 0) return 'needs root, to run pg_autoctl as the postgres user'
  return null
}

export interface AutoFailoverNode {
  readonly name: string
  readonly port: number
  readonly pgdata: string
  /** Kills the node as a lost machine would go: its pg_autoctl and its postgres, SIGKILL. */
  readonly kill: () => Promise<void>
}

export interface Formation {
  readonly monitorPort: number
  readonly nodes: ReadonlyArray<AutoFailoverNode>
  /** `postgres://postgres@127.0.0.1:p1,127.0.0.1:p2/postgres`: both nodes, libpq style. */
  readonly url: string
  /** The monitor's view: node name → reported state (`primary`, `secondary`, `wait_primary`, …). */
  readonly states: () => Promise<Record<string, string>>
  /** Waits until the monitor reports these states for the named nodes (or throws after `ms`). */
  readonly waitFor: (wanted: Readonly<Record<string, string>>, ms: number) => Promise<void>
  /** Runs SQL on the monitor's database. */
  readonly monitorSql: (sql: string) => Promise<string>
  /** Stops everything it started and removes the folder. */
  readonly dispose: () => Promise<void>
}

const PATH = `${PG_BIN}:/usr/bin:/bin`

export const startFormation = async (log: (line: string) => void = () => undefined): Promise<Formation> => {
  const root = await postgresTempDir('authn-paf-')
  const env = { PATH, XDG_CONFIG_HOME: join(root, 'config'), XDG_DATA_HOME: join(root, 'share'), XDG_RUNTIME_DIR: join(root, 'run'), HOME: root, PG_REGRESS_SOCK_DIR: root, PGHOST: root }
  const children: ChildProcess[] = []
  const monitorPort = await freePort()
  const ports = [await freePort(), await freePort()]

  const autoctl = (args: ReadonlyArray<string>) => asPostgres(PG_AUTOCTL, args, env)
  const background = (name: string, args: ReadonlyArray<string>): ChildProcess => {
    const out = openSync(join(root, `${name}.log`), 'a')
    const child = spawn('runuser', ['-u', 'postgres', '--', 'env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), PG_AUTOCTL, ...args], {
      cwd: '/',
      detached: true,
      stdio: ['ignore', out, out],
    })
    closeSync(out)
    child.on('error', () => undefined)
    children.push(child)
    return child
  }
  const killGroup = (child: ChildProcess, signal: NodeJS.Signals) => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
    try {
      process.kill(-child.pid, signal)
    } catch {
      // already gone
    }
  }
  const postmasterPid = async (pgdata: string): Promise<number | null> => {
    const text = await readFile(join(pgdata, 'postmaster.pid'), 'utf8').catch(() => null)
    const pid = text === null ? NaN : Number(text.split('\n')[0])
    return Number.isInteger(pid) && pid > 0 ? pid : null
  }
  const killPostmaster = async (pgdata: string) => {
    const pid = await postmasterPid(pgdata)
    if (pid === null) return
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
  const exited = (child: ChildProcess, ms: number) =>
    child.exitCode !== null || child.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          const t = setTimeout(resolve, ms)
          child.once('exit', () => {
            clearTimeout(t)
            resolve()
          })
        })

  const monitorData = join(root, 'monitor')
  const monitorSql = (sql: string) =>
    asPostgres('/usr/bin/psql', ['-X', '-A', '-t', '-h', '127.0.0.1', '-p', String(monitorPort), '-U', 'postgres', '-d', 'pg_auto_failover', '-c', sql])

  const dispose = async () => {
    for (const c of children) killGroup(c, 'SIGTERM')
    await Promise.all(children.map((c) => exited(c, 15_000)))
    for (const c of children) killGroup(c, 'SIGKILL')
    await Promise.all([monitorData, ...ports.map((_, i) => join(root, `node${i + 1}`))].map(killPostmaster))
    await rm(root, { recursive: true, force: true })
  }

  const states = async (): Promise<Record<string, string>> => {
    const out = await monitorSql('select nodename, reportedstate from pgautofailover.node order by nodeid')
    return Object.fromEntries(
      out
        .trim()
        .split('\n')
        .filter((l) => l.includes('|'))
        .map((l) => l.split('|') as [string, string]),
    )
  }
  const waitFor = async (wanted: Readonly<Record<string, string>>, ms: number) => {
    const deadline = Date.now() + ms
    let last: Record<string, string> = {}
    for (;;) {
      last = await states().catch(() => last)
      if (Object.entries(wanted).every(([k, v]) => last[k] === v)) return
      if (Date.now() > deadline) throw new Error(`formation not in ${JSON.stringify(wanted)} after ${ms} ms: ${JSON.stringify(last)}`)
      await new Promise((r) => setTimeout(r, 200))
    }
  }

  try {
    const common = ['--auth', 'trust', '--no-ssl', '--hostname', '127.0.0.1', '--pgctl', join(PG_BIN, 'pg_ctl')]
    await autoctl(['create', 'monitor', '--pgdata', monitorData, '--pgport', String(monitorPort), ...common])
    background('monitor', ['run', '--pgdata', monitorData])
    const monitorUri = `postgres://autoctl_node@127.0.0.1:${monitorPort}/pg_auto_failover?sslmode=disable`
    // The monitor must accept connections before nodes register.
    const deadline = Date.now() + 30_000
    while ((await monitorSql('select 1').catch(() => '')).trim() !== '1') {
      if (Date.now() > deadline) throw new Error('the monitor did not start')
      await new Promise((r) => setTimeout(r, 200))
    }
    // Health checks tuned for a test: a lost node is noticed in about two seconds, not twenty.
    for (const [k, v] of [
      ['health_check_period', '500'],
      ['health_check_timeout', '500'],
      ['health_check_max_retries', '1'],
      ['health_check_retry_delay', '200'],
      ['node_considered_unhealthy_timeout', '1500'],
      ['startup_grace_period', '1000'],
      // How long a promotion waits for the lost primary to confirm its demotion (default 30 s).
      ['primary_demote_timeout', '1000'],
    ] as const)
      await monitorSql(`alter system set pgautofailover.${k} = ${v}`)
    await monitorSql('select pg_reload_conf()')
    log(`monitor on ${monitorPort}`)

    const nodes: AutoFailoverNode[] = []
    for (const [i, port] of ports.entries()) {
      const name = `node${i + 1}`
      const pgdata = join(root, name)
      const child = background(name, ['create', 'postgres', '--pgdata', pgdata, '--pgport', String(port), '--name', name, '--monitor', monitorUri, '--dbname', 'postgres', '--run', ...common])
      nodes.push({
        name,
        port,
        pgdata,
        kill: async () => {
          const pid = await postmasterPid(pgdata)
          killGroup(child, 'SIGKILL')
          if (pid !== null) {
            try {
              process.kill(pid, 'SIGKILL')
            } catch {
              // already gone
            }
          }
        },
      })
      await waitFor(i === 0 ? { node1: 'single' } : { node1: 'primary', node2: 'secondary' }, 60_000)
      log(`${name} on ${port}`)
    }
    return {
      monitorPort,
      nodes,
      url: `postgres://postgres@${ports.map((p) => `127.0.0.1:${p}`).join(',')}/postgres`,
      states,
      waitFor,
      monitorSql,
      dispose,
    }
  } catch (e) {
    const logs = await Promise.all(['monitor', 'node1', 'node2'].map((n) => readFile(join(root, `${n}.log`), 'utf8').catch(() => '')))
    log(logs.map((l) => l.split('\n').slice(-15).join('\n')).join('\n---\n'))
    await dispose()
    throw e
  }
}
