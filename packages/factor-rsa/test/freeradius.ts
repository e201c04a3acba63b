import { spawn, type ChildProcess } from 'node:child_process'
import { createSocket } from 'node:dgram'
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll } from 'vitest'

/** The Debian package's binary and configuration tree. */
export const FREERADIUS = '/usr/sbin/freeradius'
const DEBIAN_CONFIG = '/etc/freeradius/3.0'

/** Whether the tests can run here; with CI=true a missing binary is a failure, not a skip. */
export const freeradiusAvailable = (): boolean => {
  const ok = existsSync(FREERADIUS) && existsSync(DEBIAN_CONFIG)
  if (!ok && process.env['CI'] === 'true') throw new Error(`${FREERADIUS} is missing: .ci/run installs the freeradius package`)
  if (!ok) console.warn(`factor-rsa: skipping the RADIUS tests: ${FREERADIUS} is missing (apt-get install freeradius)`)
  return ok
}

export const SECRET = 'rsa-test-secret'
/** Test users of the private server. */
export const USERS = {
  /** Accepts PASSCODE.alice. */
  alice: 'alice',
  /** Always rejected. */
  bob: 'bob',
  /** Challenged (next tokencode) without State; with State, accepts PASSCODE.carolNext. */
  carol: 'carol',
} as const
export const PASSCODE = { alice: '1234555111', carolNext: '1234666222' } as const
export const CHALLENGE_STATE = Buffer.from('next-tokencode', 'ascii')
export const CHALLENGE_MESSAGE = 'Enter the next tokencode'

export interface PrivateRadius {
  readonly port: number
  /** Every line the server printed (debug mode), for a failing test's message. */
  readonly output: () => string
  readonly stop: () => Promise<void>
}

/** A UDP port on 127.0.0.1 that nothing uses right now (not 1812/1813). */
export const freeUdpPort = async (): Promise<number> => {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = createSocket('udp4')
      s.once('error', reject)
      s.bind(0, '127.0.0.1', () => {
        const p = s.address().port
        s.close(() => resolve(p))
      })
    })
    if (port !== 1812 && port !== 1813) return port
  }
}

const site = (port: number): string => `server authn_machine_test {
	listen {
		type = auth
		ipaddr = 127.0.0.1
		port = ${port}
	}
	authorize {
		if (&User-Name == "${USERS.carol}" && !&State) {
			update reply {
				&State := 0x${CHALLENGE_STATE.toString('hex')}
				&Reply-Message := "${CHALLENGE_MESSAGE}"
			}
			update control {
				&Response-Packet-Type := Access-Challenge
			}
			handled
		}
		files
		pap
	}
	authenticate {
		Auth-Type PAP {
			pap
		}
	}
}
`

const usersFile = `${USERS.alice}	Cleartext-Password := "${PASSCODE.alice}"
${USERS.bob}	Auth-Type := Reject
	Reply-Message = "Access denied"
${USERS.carol}	Cleartext-Password := "${PASSCODE.carolNext}"
`

/**
 * Writes a private configuration (the Debian tree copied into a temporary directory, with its
 * own radiusd.conf overrides, clients, users and one virtual server) and starts
 * `freeradius -X -f -d <dir>` on 127.0.0.1:<port>, resolving once it is ready.
 */
export async function startPrivateRadius(): Promise<PrivateRadius> {
  const dir = mkdtempSync(join(tmpdir(), 'authn-radius-'))
  const port = await freeUdpPort()
  cpSync(DEBIAN_CONFIG, dir, { recursive: true, dereference: true })
  // Only the modules this server uses, and only our virtual server.
  const keep = new Set(['always', 'pap', 'files', 'expr'])
  for (const m of readdirSync(join(dir, 'mods-enabled'))) if (!keep.has(m)) rmSync(join(dir, 'mods-enabled', m), { recursive: true, force: true })
  for (const s of readdirSync(join(dir, 'sites-enabled'))) rmSync(join(dir, 'sites-enabled', s), { recursive: true, force: true })
  writeFileSync(join(dir, 'sites-enabled', 'authn-machine-test'), site(port))
  writeFileSync(join(dir, 'clients.conf'), `client localhost {\n\tipaddr = 127.0.0.1\n\tsecret = ${SECRET}\n}\n`)
  writeFileSync(join(dir, 'users'), usersFile)
  writeFileSync(join(dir, 'mods-enabled', 'files'), `files {\n\tmoddir = \${modconfdir}/\${.:instance}\n\tfilename = ${join(dir, 'users')}\n}\n`)
  const conf = readFileSync(join(dir, 'radiusd.conf'), 'utf8')
    .replace(/^raddbdir = .*$/m, `raddbdir = ${dir}`)
    .replace(/^logdir = .*$/m, `logdir = ${dir}`)
    .replace(/^run_dir = .*$/m, `run_dir = ${dir}`)
    .replace(/^(\s*)user = freerad$/m, '$1# user: unchanged')
    .replace(/^(\s*)group = freerad$/m, '$1# group: unchanged')
    .replace(/^(\s*)reject_delay = .*$/m, '$1reject_delay = 0')
    .replace(/^proxy_requests\s*= .*$/m, 'proxy_requests = no')
    .replace(/^\$INCLUDE proxy\.conf$/m, '# no proxy.conf')
  writeFileSync(join(dir, 'radiusd.conf'), conf)

  const child: ChildProcess = spawn(FREERADIUS, ['-X', '-f', '-d', dir, '-n', 'radiusd'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout?.on('data', (d: Buffer) => (out += d.toString('utf8')))
  child.stderr?.on('data', (d: Buffer) => (out += d.toString('utf8')))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  // Should the test process end without afterAll (a crash), the server and its folder go with it.
  const onExit = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
  process.once('exit', onExit)
  const stop = async (): Promise<void> => {
    process.removeListener('exit', onExit)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await exited
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`freeradius did not start within 15 s:\n${out}`)), 15_000)
      const check = (): void => {
        if (out.includes('Ready to process requests')) {
          clearTimeout(timer)
          resolve()
        }
      }
      child.stdout?.on('data', check)
      child.once('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`freeradius exited (${String(code)}) before it was ready:\n${out}`))
      })
    })
  } catch (e) {
    await stop()
    throw e
  }
  return { port, output: () => out, stop }
}

/**
 * A private FreeRADIUS for the enclosing `describe`: started before its tests (up to 60 s), stopped
 * after them. Answers the server of the running suite.
 */
export const usePrivateRadius = (): (() => PrivateRadius) => {
  let radius: PrivateRadius | undefined
  beforeAll(async () => {
    radius = await startPrivateRadius()
  }, 60_000)
  afterAll(async () => {
    await radius?.stop()
  })
  return () => {
    if (radius === undefined) throw new Error('the private FreeRADIUS is not started (usePrivateRadius runs inside a describe, its tests after beforeAll)')
    return radius
  }
}
