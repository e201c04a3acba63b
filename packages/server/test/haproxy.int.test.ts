// Many servers behind haproxy (docs/scale.md): three reference-server processes on one PostgreSQL
// schema behind Debian's haproxy with health checks on /health/ready, round-robin, retrying only
// connections that failed (never a request that may have been applied). Flows run concurrently,
// their requests landing on different servers; one server is killed (SIGKILL) under load. Only
// requests in flight at the kill may fail, and every flow can finish: a client that lost an answer
// reads its transaction's state and goes on from there.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { createServer as createNetServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { freshSchemas } from './fresh-storage.js'
import { createProcesses } from './process.js'

const DATABASE_URL = process.env['DATABASE_URL'] ?? ''
const HAPROXY = process.env['HAPROXY_PATH'] ?? '/usr/sbin/haproxy'
const haveHaproxy = spawnSync(HAPROXY, ['-v']).status === 0
/**
 * Needs a PostgreSQL server (three processes cannot share an embedded store) and haproxy. CI
 * (`.ci/run`, which sets CI=true) installs haproxy and sets DATABASE_URL, and there a missing one is
 * a failure; elsewhere the suite is skipped with the reason printed.
 */
const runnable = DATABASE_URL !== '' && haveHaproxy
if (!runnable) {
  const why = DATABASE_URL === '' ? 'DATABASE_URL is not set' : `no haproxy at ${HAPROXY} (apt-get install haproxy, or set HAPROXY_PATH)`
  if (process.env['CI'] === 'true') throw new Error(`haproxy suite cannot run in CI: ${why}`)
  console.log(`haproxy suite skipped: ${why}`)
}

const SECRET_KEYS = `k1:${randomBytes(32).toString('base64')}`
const FLOWS = 24

/** One user per flow, each inside the warn window: sign in (PASSWORD_WARN), read, skip (SUCCESS), redeem. */
const users = Array.from({ length: FLOWS }, (_, i) => ({ login: `warned.${i}@example.com`, password: `Warned-Passw0rd-${i}` }))
const seed = {
  users: users.map((u, i) => ({ login: u.login, firstName: 'Warned', lastName: `User${i}`, password: u.password, passwordChanged: 'now-85d' })),
  policies: {
    password: { age: { maxAgeDays: 90, expireWarnDays: 10, minAgeMinutes: 0, historyCount: 0 }, lockout: { maxAttempts: 10, autoUnlockMinutes: 0, showLockoutFailures: false } },
    rateLimits: { enabled: false },
  },
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createNetServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port
      s.close(() => resolve(port))
    })
  })

/** haproxy's configuration: the deployment docs/scale.md describes, with short health-check intervals for a test. */
const haproxyConfig = (port: number, servers: ReadonlyArray<string>) => `global
  log stdout format raw local0 warning

defaults
  mode http
  timeout connect 1s
  timeout client 30s
  timeout server 30s
  # A health check waits up to 2 s for its answer (by default it waits one interval, 200 ms here): a
  # live server slowed by a loaded machine was marked down, and with both live ones down haproxy
  # answered 503 itself. A dead server refuses the connection at once, so it is still taken out at its
  # first failed check or connection.
  timeout check 2s
  # Retry only what never reached a server (a refused or failed connection), on another server.
  # Layer-7 retries (retry-on with empty-response, response-timeout or status conditions) would send
  # a POST again that the first server may have applied: a transaction step, a one-time code, a
  # failed password. Tried here with empty-response: a skip applied by the server killed before it
  # answered was sent again and answered 401 E0000011 by the next one.
  # One retry per server, each on another one (redispatch), so a request meets at most one dead server.
  retries 3
  retry-on conn-failure
  option redispatch 1

frontend authn
  bind 127.0.0.1:${port}
  default_backend servers

backend servers
  balance roundrobin
  option httpchk GET /health/ready
  http-check expect status 200
  # Active checks of readiness, and passive ones: the first failed connection marks a server down.
  default-server inter 200ms fall 1 rise 2 observe layer4 error-limit 1 on-error mark-down
${servers.map((s, i) => `  server s${i} ${s.replace('http://', '')} check`).join('\n')}
`

/**
 * A POST on a connection of its own (no keep-alive): a request is then lost only with the server
 * that had it, not because the client reused a connection haproxy was closing.
 */
const postOnce = (url: string, body: unknown): Promise<{ readonly status: number; readonly body: Record<string, unknown> }> =>
  new Promise((resolve, reject) => {
    const data = JSON.stringify(body)
    const req = request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', accept: 'application/json', 'content-length': Buffer.byteLength(data) } }, (res) => {
      let text = ''
      res.setEncoding('utf8').on('data', (d: string) => (text += d))
      res.on('end', () => {
        let parsed: unknown
        try {
          parsed = JSON.parse(text)
        } catch {
          parsed = {}
        }
        resolve({ status: res.statusCode ?? 0, body: typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {} })
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(data)
  })

interface Attempt {
  readonly flow: number
  readonly step: string
  readonly started: number
  readonly ended: number
  readonly ok: boolean
  readonly status: number | null
}

describe.runIf(runnable)('three servers behind haproxy on one PostgreSQL schema', () => {
  const processes = createProcesses()
  const schemas = freshSchemas(DATABASE_URL, 'haproxy')
  const dir = mkdtempSync(join(tmpdir(), 'authn-haproxy-'))
  let haproxy: ChildProcess | null = null
  afterAll(async () => {
    haproxy?.kill('SIGTERM')
    await processes.stopAll()
    await schemas.dropAll()
    rmSync(dir, { recursive: true, force: true })
  })

  it('flows cross servers; a server killed under load fails only the requests in flight, and every flow finishes', { timeout: 120_000 }, async () => {
    const schema = schemas.next()
    const seedFile = join(dir, 'seed.json')
    writeFileSync(seedFile, JSON.stringify(seed))
    const args = ['--port', '0', '--host', '127.0.0.1', '--seed', seedFile, '--store', 'postgres', '--migrate', '--schema', schema, '--log-level', 'warn']
    const servers = [0, 1, 2].map(() => processes.launch(args, { DATABASE_URL, AUTHN_SECRET_KEYS: SECRET_KEYS }))
    const urls = await Promise.all(servers.map((s) => s.ready))
    const port = await freePort()
    writeFileSync(join(dir, 'haproxy.cfg'), haproxyConfig(port, urls))
    const check = spawnSync(HAPROXY, ['-c', '-f', join(dir, 'haproxy.cfg')], { encoding: 'utf8' })
    expect(check.status, `${check.stdout}${check.stderr}`).toBe(0)
    haproxy = spawn(HAPROXY, ['-db', '-f', join(dir, 'haproxy.cfg')], { stdio: ['ignore', 'pipe', 'pipe'] })
    // Its warnings (a server marked down or up, and why), shown with a failure below.
    let haproxyLog = ''
    haproxy.stdout?.setEncoding('utf8').on('data', (d: string) => (haproxyLog += d))
    haproxy.stderr?.setEncoding('utf8').on('data', (d: string) => (haproxyLog += d))
    const base = `http://127.0.0.1:${port}`
    // Until haproxy listens and has seen every server up.
    for (let i = 0; i < 100; i++) {
      const up = await fetch(`${base}/health/ready`).then((r) => r.status === 200, () => false)
      if (up) break
      await new Promise((r) => setTimeout(r, 100))
    }

    const attempts: Attempt[] = []
    const post = async (flow: number, step: string, path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> } | null> => {
      const started = performance.now()
      try {
        const r = await postOnce(`${base}${path}`, body)
        const json = r.body
        // haproxy's own answers (502/503/504) are not the server's: the request may or may not have been applied.
        const fromServer = typeof json['errorCode'] === 'string' || typeof json['status'] === 'string' || r.status === 200
        attempts.push({ flow, step, started, ended: performance.now(), ok: fromServer, status: r.status })
        return fromServer ? { status: r.status, body: json } : null
      } catch {
        attempts.push({ flow, step, started, ended: performance.now(), ok: false, status: null })
        return null
      }
    }

    /** One flow: sign in, read, skip, redeem; a lost answer is followed by reading the state and going on from there. */
    const flow = async (i: number): Promise<string> => {
      const u = users[i]
      if (u === undefined) throw new Error('no user')
      let token: string | null = null
      let status = ''
      let session: string | null = null
      for (let round = 0; round < 20 && session === null; round++) {
        if (token === null) {
          const r = await post(i, 'authenticate', '/api/v1/authn', { username: u.login, password: u.password, options: { warnBeforePasswordExpired: true } })
          if (r === null) continue
          expect(r.body['status'], JSON.stringify(r.body)).toBe('PASSWORD_WARN')
          token = String(r.body['stateToken'])
          status = 'PASSWORD_WARN'
        } else if (status === 'PASSWORD_WARN') {
          const read = await post(i, 'getState', '/api/v1/authn', { stateToken: token })
          if (read === null) continue
          if (read.status === 401) {
            // Finished by a skip whose answer was lost: start a new transaction, as a client would.
            token = null
            continue
          }
          status = String(read.body['status'])
          if (status !== 'PASSWORD_WARN') throw new Error(`flow ${i}: unexpected ${JSON.stringify(read.body)}`)
          const skip = await post(i, 'skip', '/api/v1/authn/skip', { stateToken: token })
          if (skip === null) {
            // The skip may have been applied: read the state to know.
            const again = await post(i, 'getState', '/api/v1/authn', { stateToken: token })
            if (again === null) continue
            if (again.status === 401) {
              // Finished (its session token was in the lost answer): this flow's transaction is done;
              // start a new one, as a client would.
              token = null
              continue
            }
            // Not applied: still PASSWORD_WARN, the skip is sent again in the next round.
            continue
          }
          expect(skip.body['status'], JSON.stringify(skip.body)).toBe('SUCCESS')
          session = String(skip.body['sessionToken'])
        }
      }
      if (session === null) throw new Error(`flow ${i} did not finish: ${JSON.stringify(attempts.filter((a) => a.flow === i))}`)
      const redeemed = await post(i, 'redeem', '/api/v1/sessions', { sessionToken: session })
      if (redeemed !== null) return String(redeemed.status)
      // The answer was lost in flight: the token was redeemed by the killed server or not at all. A
      // second redemption tells which, and never redeems it twice.
      for (let tries = 0; tries < 3; tries++) {
        const again = await post(i, 'redeem again', '/api/v1/sessions', { sessionToken: session })
        if (again !== null) return again.status === 200 ? '200' : again.status === 401 ? 'redeemed before the kill' : String(again.status)
      }
      return 'lost three times'
    }

    // Load: every flow, four times over, all at once; one server killed while it runs.
    const killAt = { t: 0 }
    const load = (async () => {
      const results: string[] = []
      for (let pass = 0; pass < 4; pass++) results.push(...(await Promise.all(users.map((_, i) => flow(i)))))
      return results
    })()
    await new Promise((r) => setTimeout(r, 400))
    killAt.t = performance.now()
    const victim = servers[1]
    if (victim === undefined) throw new Error('no second server')
    // The process dies some milliseconds after the signal is sent (more on a loaded machine): a
    // request is in flight at the kill when it was sent before the process was gone.
    const died = victim.exited.then(() => performance.now())
    victim.child.kill('SIGKILL')
    const results = await load
    const diedAt = await died

    // Every flow finished, and its session was redeemed once.
    expect(results.filter((r) => r !== '200' && r !== 'redeemed before the kill')).toEqual([])
    expect(results).toHaveLength(FLOWS * 4)
    // Requests landed on more than one server before the kill, and the load went on after it.
    expect(attempts.filter((a) => a.started > killAt.t && a.ok).length).toBeGreaterThan(FLOWS)
    // Only requests around the kill failed: answered after the signal, and sent before the process was
    // gone or within one health-check interval (200 ms) of when this process saw it gone. On a loaded
    // machine haproxy may still hand a request to the dying server's last accepted connections in
    // that interval (seen once: a 503 sent 0.6 ms after the exit was seen); never later.
    const failed = attempts.filter((a) => !a.ok)
    for (const a of failed) expect(a.started <= diedAt + 200 && a.ended >= killAt.t, `${JSON.stringify({ ...a, killAt: killAt.t, diedAt })}\nhaproxy:\n${haproxyLog}`).toBe(true)
    console.log(`haproxy: ${attempts.length} requests, ${failed.length} lost at the kill (in flight; the process was gone ${(diedAt - killAt.t).toFixed(0)} ms after the signal), ${results.length} flows finished`)

    // haproxy took the dead server out: its health check says so and every request now succeeds.
    const after = await Promise.all(Array.from({ length: 12 }, () => fetch(`${base}/health/ready`).then((r) => r.status)))
    expect(after.every((s) => s === 200)).toBe(true)
  })
})
