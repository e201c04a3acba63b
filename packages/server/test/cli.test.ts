// The reference server as a user starts it: a child process running src/main.ts (through tsx, with
// the source condition, as `pnpm start` does), on a free port, stopped with SIGTERM.
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { harnessSeeds, type Counterexample } from '@authn-machine/testkit'
import { DEMO_SEED_PATH } from '../src/index.js'
import { PACKAGE_DIR, createProcesses } from './process.js'
import { DEMO, postJson } from './support.js'

const processes = createProcesses()
const launch = processes.launch
const TESTKIT_CLI = fileURLToPath(new URL('../../testkit/src/cli.ts', import.meta.url))

afterEach(() => processes.killAll())

/**
 * The conformance CLI (`authn-conformance`, another process) for `runs` sequences against a server
 * started on `store` with `seedFile`, in conformance mode with the dev outbox; the server is then
 * stopped with SIGTERM and must exit 0. Answers the CLI's exit code and output.
 */
const harnessAgainstServer = async (store: ReadonlyArray<string>, seedFile: string, runs: number): Promise<{ readonly code: number | null; readonly out: string }> => {
  // With the dev outbox, the harness also sends and checks SMS, call and email codes and recovery links.
  const server = launch(['--port', '0', ...store, '--seed', seedFile, '--conformance', '--dev-outbox'], { AUTHN_API_TOKENS: CONFORMANCE_TOKEN })
  const url = await server.ready
  const result = await conformanceCli(['--base-url', url, '--seed', seedFile, '--runs', String(runs)])
  server.child.kill('SIGTERM')
  expect((await server.exited).code).toBe(0)
  return result
}

const CONFORMANCE_TOKEN = 'conformance-api-token-0123456789'

/** `authn-conformance` with `args`, as another process: its exit code and output. */
const conformanceCli = async (args: ReadonlyArray<string>): Promise<{ readonly code: number | null; readonly out: string }> => {
  const harness = spawn(process.execPath, ['--import', 'tsx', '--conditions=@authn-machine/source', TESTKIT_CLI, ...args], {
    cwd: PACKAGE_DIR,
    env: { ...process.env, AUTHN_API_TOKEN: CONFORMANCE_TOKEN },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  processes.track(harness)
  let out = ''
  harness.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d))
  harness.stderr?.setEncoding('utf8').on('data', (d: string) => (out += d))
  const code = await new Promise<number | null>((resolve) => harness.once('exit', (c) => resolve(c)))
  return { code, out }
}

/**
 * A proxy in front of `target` with one fault: an unknown or finished transaction's 401 E0000011
 * comes back as 403 E0000079. Everything else passes through unchanged.
 */
const faultyProxy = async (target: string): Promise<{ readonly url: string; readonly close: () => Promise<void> }> => {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const headers: Record<string, string> = {}
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host' && k !== 'content-length') headers[k] = v
      fetch(`${target}${req.url ?? '/'}`, { method: req.method ?? 'GET', headers, ...(req.method === 'GET' || req.method === 'HEAD' ? {} : { body: Buffer.concat(chunks) }) })
        .then(async (r) => {
          let text = await r.text()
          let status = r.status
          if (status === 401 && text.includes('"E0000011"')) {
            status = 403
            text = text.replace('"E0000011"', '"E0000079"')
          }
          res.writeHead(status, { 'content-type': r.headers.get('content-type') ?? 'application/json' })
          res.end(text)
        })
        .catch(() => {
          res.writeHead(502)
          res.end()
        })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(() => resolve())) }
}

describe('the reference server process', () => {
  it('starts on a free port, prints users and a curl line, serves health and sign-in, exits 0 on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'authn-server-'))
    const server = launch(['--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir])
    const url = await server.ready
    expect(server.output().stdout).toContain('store: embedded')
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
    expect(server.output().stderr).toContain('the postgres store needs --database-url or DATABASE_URL')
    const other = launch(['--store', 'nosql', '--port', '0'])
    expect((await other.exited).code).toBe(2)
    expect(other.output().stderr).toContain("unknown store 'nosql' (available: embedded, postgres, memory)")
    expect(server.output().stderr).toContain('Usage:')
  })

  it('refuses an invalid seed file with exit code 1', async () => {
    const server = launch(['--port', '0', '--store', 'memory', '--seed', 'package.json'])
    const { code } = await server.exited
    expect(code).toBe(1)
    expect(server.output().stderr).toContain('invalid seed')
  })

  it('keeps its data across restarts on the embedded store', { timeout: 90_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'authn-server-'))
    const first = launch(['--port', '0', '--data-dir', dataDir])
    const url = await first.ready
    const expired = await postJson(`${url}/api/v1/authn`, DEMO.expired)
    const changed = await postJson(`${url}/api/v1/authn/credentials/change_password`, {
      stateToken: expired.body['stateToken'],
      oldPassword: DEMO.expired.password,
      newPassword: 'Kept-Across-Restarts-9',
    })
    expect(changed.body['status']).toBe('SUCCESS')
    first.child.kill('SIGTERM')
    expect((await first.exited).code).toBe(0)

    expect(first.output().stdout).toContain(DEMO.expired.password)
    const second = launch(['--port', '0', '--data-dir', dataDir])
    const url2 = await second.ready
    // The banner shows the seed's password only while the store still holds it.
    const line = second.output().stdout.split('\n').find((l) => l.includes(DEMO.expired.username)) ?? ''
    expect(line).toContain('(changed since seeded)')
    expect(second.output().stdout).not.toContain(DEMO.expired.password)
    expect(second.output().stdout).toContain(DEMO.active.password)
    const again = await postJson(`${url2}/api/v1/authn`, { username: DEMO.expired.username, password: 'Kept-Across-Restarts-9' })
    expect(again.body['status']).toBe('SUCCESS')
    second.child.kill('SIGTERM')
    expect((await second.exited).code).toBe(0)
  })

  it('passes the HTTP conformance harness (authn-conformance) in conformance mode', { timeout: 240_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'authn-conformance-'))
    const seedFile = join(dir, 'seed.json')
    const seeds = harnessSeeds(Date.now())
    // The richest seed (factors of every kind, codes sent through the dev outbox) on the memory store,
    // and the first (lockout, history, apps) on the embedded PostgreSQL store (reset by TRUNCATE). Every
    // seed runs over HTTP against the binding in openapi-responses.e2e.test.ts, and in process in the
    // engine's harness: this test is about the two commands working together, not about the seeds.
    const pick = (i: number) => {
      const found = seeds[i]
      if (found === undefined) throw new Error(`no harness seed ${i}`)
      return found
    }
    const cases = [
      { name: pick(2).name, seed: pick(2).seed, store: ['--store', 'memory'] },
      { name: `${pick(0).name}, embedded`, seed: pick(0).seed, store: ['--store', 'embedded', '--data-dir', join(dir, 'data')] },
    ]
    for (const { name, seed, store } of cases) {
      writeFileSync(seedFile, JSON.stringify(seed))
      const { code, out } = await harnessAgainstServer(store, seedFile, 10)
      expect(code, `${name}:\n${out}`).toBe(0)
      expect(out).toMatch(/PASSED: 10 command sequences, \d+ requests/)
    }
  })

  it('a disagreement: each step with what the model expected, written to a file that --replay runs again; the fixed server passes it', { timeout: 240_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'authn-conformance-'))
    const seedFile = join(dir, 'seed.json')
    const file = join(dir, 'counterexample.json')
    writeFileSync(seedFile, JSON.stringify(harnessSeeds(Date.now())[0]?.seed))
    const server = launch(['--port', '0', '--store', 'memory', '--seed', seedFile, '--conformance', '--dev-outbox'], { AUTHN_API_TOKENS: CONFORMANCE_TOKEN })
    const url = await server.ready
    const proxy = await faultyProxy(url)
    try {
      // A fixed fast-check seed: the fault is found within a few sequences and the shrinking is short. A
      // random one shrank for over two minutes once on a loaded machine; finding faults is the
      // mutation tests' job, this test is about the report and the replay.
      const failed = await conformanceCli(['--base-url', proxy.url, '--seed', seedFile, '--runs', '50', '--counterexample', file, '--fc-seed', '2'])
      expect(failed.code, failed.out).toBe(1)
      expect(failed.out).toContain('>>> ')
      expect(failed.out).toContain('expected 401 E0000011')
      expect(failed.out).toMatch(/actual {3}403 \{"errorCode":"E0000079"/)
      expect(failed.out).toContain(`--replay ${file}`)
      const written = JSON.parse(readFileSync(file, 'utf8')) as Counterexample
      expect(written.format).toBe('authn-conformance-counterexample/1')
      const divergent = written.steps[written.divergence ?? -1]
      expect(divergent?.expected).toBe('401 E0000011')
      expect(divergent?.actual.status).toBe(403)
      // Replayed against the same fault: the same steps fail the same way.
      const again = await conformanceCli(['--base-url', proxy.url, '--replay', file, '--counterexample', join(dir, 'again.json')])
      expect(again.code, again.out).toBe(1)
      const rewritten = JSON.parse(readFileSync(join(dir, 'again.json'), 'utf8')) as Counterexample
      expect(rewritten.commands).toEqual(written.commands)
      expect(rewritten.failure.split(':')[0]).toBe(written.failure.split(':')[0])
      // Against the server without the fault, the counterexample passes.
      const fixed = await conformanceCli(['--base-url', url, '--replay', file])
      expect(fixed.code, fixed.out).toBe(0)
      expect(fixed.out).toContain(`the counterexample of ${file} now passes`)
      // --replay carries its own org and sequence.
      expect((await conformanceCli(['--base-url', url, '--replay', file, '--seed', seedFile])).code).toBe(2)
      expect((await conformanceCli(['--base-url', url, '--replay', seedFile])).code).toBe(2)
    } finally {
      await proxy.close()
      server.child.kill('SIGTERM')
      await server.exited
    }
  })

  it('the README recipe: the committed demo seed (relative dates) passes the HTTP harness, which resolves them as the server does', { timeout: 120_000 }, async () => {
    const { code, out } = await harnessAgainstServer(['--store', 'memory'], DEMO_SEED_PATH, 20)
    expect(code, out).toBe(0)
    expect(out).toMatch(/PASSED: 20 command sequences/)
  })

  it('refuses the conformance reset without the API token, and serves none without --conformance', async () => {
    const token = 'conformance-api-token-0123456789'
    const server = launch(['--port', '0', '--store', 'memory', '--conformance'], { AUTHN_API_TOKENS: token })
    const url = await server.ready
    expect((await fetch(`${url}/__conformance/reset`, { method: 'POST' })).status).toBe(401)
    expect((await fetch(`${url}/__conformance/reset`, { method: 'POST', headers: { authorization: `SSWS ${token}` } })).status).toBe(200)
    server.child.kill('SIGTERM')
    await server.exited
    const plain = launch(['--port', '0', '--store', 'memory'])
    const url2 = await plain.ready
    expect((await fetch(`${url2}/__conformance/reset`, { method: 'POST' })).status).toBe(404)
    plain.child.kill('SIGTERM')
    await plain.exited
  })
})

describe('the reference server process and its message senders', () => {
  const password = 'smtp-pa55word-not-shown'
  const twilioToken = 'twilio-token-not-shown-0123'
  const webhookSecret = 'webhook-secret-not-shown-0123'

  it('prints where each channel goes without credentials, and serves /__dev/outbox with the API token', async () => {
    const token = 'dev-outbox-api-token-0123456789'
    const server = launch(
      ['--port', '0', '--store', 'memory', '--dev-outbox', '--twilio-account-sid', 'AC0123456789abcdef0123456789abcdef', '--twilio-from', '+15005550006'],
      { AUTHN_API_TOKENS: token, AUTHN_SMTP_URL: `smtps://alice:${password}@mail.example.test:2465`, AUTHN_TWILIO_AUTH_TOKEN: twilioToken, AUTHN_WEBHOOK_SECRET: webhookSecret },
    )
    const url = await server.ready
    const { stdout, stderr } = server.output()
    expect(stdout).toContain(
      'messages: email → smtps://mail.example.test:2465 (user alice, from authn-machine <no-reply@localhost>), sms → Twilio (account AC01…cdef, from +15005550006), call → Twilio',
    )
    expect(stdout).toContain(`dev outbox (Authorization: SSWS <api token>): GET ${url}/__dev/outbox?to=`)
    for (const secret of [password, twilioToken, webhookSecret]) expect(`${stdout}${stderr}`).not.toContain(secret)
    expect((await fetch(`${url}/__dev/outbox`)).status).toBe(401)
    const listed = await fetch(`${url}/__dev/outbox?to=+15555550100`, { headers: { authorization: `SSWS ${token}` } })
    expect(listed.status).toBe(200)
    expect(await listed.json()).toEqual([])
    server.child.kill('SIGTERM')
    expect((await server.exited).code).toBe(0)
  })

  it('refuses a bad sender setting with exit code 2, repeating no credential', async () => {
    const server = launch(['--port', '0', '--store', 'memory'], { AUTHN_SMTP_URL: `smtp://alice:${password}@mail.example.test/x?y=1` })
    expect((await server.exited).code).toBe(2)
    expect(server.output().stderr).toContain('the SMTP URL must not have a path, query or fragment')
    // On the command line, a URL with a password is refused before anything else.
    const onArgv = launch(['--port', '0', '--store', 'memory', '--smtp-url', `smtp://alice:${password}@mail.example.test`])
    expect((await onArgv.exited).code).toBe(2)
    expect(onArgv.output().stderr).toContain('--smtp-url has a password: set AUTHN_SMTP_URL in the environment instead')
    const flag = launch(['--port', '0', '--store', 'memory', '--twilio-auth-token', twilioToken])
    expect((await flag.exited).code).toBe(2)
    expect(flag.output().stderr).toContain('set AUTHN_TWILIO_AUTH_TOKEN in the environment')
    for (const s of [server, onArgv, flag]) expect(s.output().stderr).not.toMatch(new RegExp(`${password}|${twilioToken}`))
  })
})

describe('the reference server on a PostgreSQL server', () => {
  const url = process.env['DATABASE_URL']
  // Needs a real PostgreSQL server; CI sets DATABASE_URL (the embedded default is tested above).
  it.skipIf(url === undefined || url === '')('migrates with --migrate, serves, and refuses an unmigrated schema', { timeout: 60_000 }, async () => {
    const schema = `srv_${process.pid}_${Date.now().toString(36)}`
    const unmigrated = launch(['--port', '0', '--store', 'postgres', '--schema', `${schema}_none`], { DATABASE_URL: url ?? '' })
    expect((await unmigrated.exited).code).toBe(1)
    expect(unmigrated.output().stderr).toContain('--migrate')

    const server = launch(['--port', '0', '--store', 'postgres', '--schema', schema, '--migrate'], { DATABASE_URL: url ?? '' })
    const base = await server.ready
    expect(server.output().stdout).toContain('store: postgres')
    const signIn = await postJson(`${base}/api/v1/authn`, DEMO.active)
    expect(signIn.body['status']).toBe('SUCCESS')
    server.child.kill('SIGTERM')
    expect((await server.exited).code).toBe(0)
    const pg = await import('pg')
    const client = new pg.default.Client({ connectionString: url })
    await client.connect()
    await client.query(`drop schema if exists ${schema} cascade`)
    await client.end()
  })
})
