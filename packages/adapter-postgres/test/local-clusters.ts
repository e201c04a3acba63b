import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

/**
 * Throwaway PostgreSQL servers for replication and failover tests: started with Debian's binaries
 * as the `postgres` OS user (the PostgreSQL tools refuse to run as root) in a temporary folder, on
 * free ports, with trust authentication on 127.0.0.1.
 */

const run = promisify(execFile)

export const PG_BIN = '/usr/lib/postgresql/15/bin'

/**
 * Why these tests cannot run here, or null when they can: they need the PostgreSQL 15 binaries and
 * root (to run them as `postgres` through runuser).
 */
export const localClustersUnavailable = (): string | null => {
  if (!existsSync(join(PG_BIN, 'initdb'))) return `no PostgreSQL 15 binaries in ${PG_BIN}`
  if (process.getuid?.() !== 0) return 'needs root, to run the PostgreSQL tools as the postgres user'
  if (!existsSync('/usr/sbin/runuser')) return 'no runuser'
  return null
}

/** Runs a command as the `postgres` OS user; resolves with its stdout. */
export const asPostgres = async (cmd: string, args: ReadonlyArray<string>, env: Record<string, string> = {}): Promise<string> => {
  const { stdout } = await run('runuser', ['-u', 'postgres', '--', 'env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), cmd, ...args], {
    cwd: '/',
    maxBuffer: 16 * 1024 * 1024,
  })
  return stdout
}

/** A TCP port nobody listens on right now. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const address = s.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      s.close(() => resolve(port))
    })
  })

let ids: { readonly uid: number; readonly gid: number } | null = null

/** Reads the postgres OS user's uid and gid (once). */
export const loadPostgresIds = async (): Promise<{ readonly uid: number; readonly gid: number }> => {
  if (ids !== null) return ids
  const { stdout: uid } = await run('id', ['-u', 'postgres'])
  const { stdout: gid } = await run('id', ['-g', 'postgres'])
  return (ids = { uid: Number(uid.trim()), gid: Number(gid.trim()) })
}

/** A temporary folder the postgres user owns. */
export const postgresTempDir = async (prefix: string): Promise<string> => {
  const { uid, gid } = await loadPostgresIds()
  const dir = await mkdtemp(join(tmpdir(), prefix))
  await chmod(dir, 0o755)
  await chown(dir, uid, gid)
  return dir
}

export interface LocalServer {
  readonly port: number
  readonly dataDir: string
  /** Starts the server (waits until it accepts connections). */
  readonly start: () => Promise<void>
  /** Stops it: `fast` (clean) or `immediate` (as a crash). Never throws. */
  readonly stop: (mode?: 'fast' | 'immediate') => Promise<void>
  /** Promotes a standby (waits until it is writable). */
  readonly promote: () => Promise<void>
  /** Runs SQL through psql as the postgres superuser; resolves with its unaligned output. */
  readonly psql: (sql: string) => Promise<string>
}

const SETTINGS = (port: number, socketDir: string) => `
listen_addresses = '127.0.0.1'
port = ${port}
unix_socket_directories = '${socketDir}'
max_connections = 60
shared_buffers = 16MB
fsync = on
wal_level = replica
max_wal_senders = 5
hot_standby = on
log_min_messages = warning
logging_collector = off
`

const localServer = (root: string, name: string, port: number): LocalServer => {
  const dataDir = join(root, name)
  const log = join(root, `${name}.log`)
  const ctl = (...args: string[]) => asPostgres(join(PG_BIN, 'pg_ctl'), ['-D', dataDir, '-l', log, ...args])
  return {
    port,
    dataDir,
    start: async () => {
      await ctl('-w', '-t', '30', 'start')
    },
    stop: async (mode = 'fast') => {
      await ctl('-w', '-t', '30', '-m', mode, 'stop').catch(() => undefined)
    },
    promote: async () => {
      await ctl('-w', '-t', '30', 'promote')
    },
    psql: (sql) => asPostgres('/usr/bin/psql', ['-X', '-A', '-t', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-c', sql]),
  }
}

export interface PrimaryAndStandby {
  readonly primary: LocalServer
  readonly standby: LocalServer
  /** Stops both and removes their folder. */
  readonly dispose: () => Promise<void>
}

/** A primary and a streaming standby of it (pg_basebackup -R), both started. */
export const startPrimaryAndStandby = async (): Promise<PrimaryAndStandby> => {
  const root = await postgresTempDir('authn-pg-')
  const primary = localServer(root, 'primary', await freePort())
  const standby = localServer(root, 'standby', await freePort())
  const dispose = async () => {
    await Promise.all([primary.stop('immediate'), standby.stop('immediate')])
    await rm(root, { recursive: true, force: true })
  }
  try {
    await asPostgres(join(PG_BIN, 'initdb'), ['-D', primary.dataDir, '-U', 'postgres', '-A', 'trust', '--no-sync'])
    await writeFile(join(primary.dataDir, 'postgresql.auto.conf'), SETTINGS(primary.port, root))
    await writeFile(join(primary.dataDir, 'pg_hba.conf'), 'local all all trust\nhost all all 127.0.0.1/32 trust\nhost replication all 127.0.0.1/32 trust\n')
    await primary.start()
    await asPostgres(join(PG_BIN, 'pg_basebackup'), ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-D', standby.dataDir, '-R', '-X', 'stream', '--no-sync'])
    // pg_basebackup -R appended primary_conninfo to postgresql.auto.conf: keep it, change the port.
    await asPostgres('/usr/bin/sed', ['-i', `s/^port = .*/port = ${standby.port}/`, join(standby.dataDir, 'postgresql.auto.conf')])
    await standby.start()
    return { primary, standby, dispose }
  } catch (e) {
    await dispose()
    throw e
  }
}
