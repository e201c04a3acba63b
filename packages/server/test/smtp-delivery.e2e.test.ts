// Email codes over SMTP, end to end, with every part its own process as in a deployment: the
// reference server (`--smtp-url`) and a real SMTP server (smtp-server, AUTH required) started by
// the test. The message must arrive with the code and the right headers, the code must then
// activate the factor, and neither the code nor the SMTP password may appear in the server's log.
import { spawn, type ChildProcess } from 'node:child_process'
import { writeFile, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { PACKAGE_DIR, createProcesses } from './process.js'
import { postJson } from './support.js'

const SMTP_USER = 'mailer'
const SMTP_PASSWORD = 'sm7p-pa55:w/rd-never-logged'
const FROM = 'authn-machine <no-reply@authn.test>'
const EMAIL = 'ada.mail@example.com'
const PASSWORD = 'Right-Passw0rd-1'

interface Received {
  readonly user: unknown
  readonly mailFrom: string | null
  readonly rcptTo: ReadonlyArray<string>
  readonly raw: string
}

const processes = createProcesses()
let folder: string | undefined
afterEach(async () => {
  await processes.stopAll()
  if (folder !== undefined) await rm(folder, { recursive: true, force: true })
  folder = undefined
})

/** The SMTP server process: resolves with its port and a reader of the messages it received. */
const startSmtpSink = async (): Promise<{ readonly port: number; readonly received: () => ReadonlyArray<Received> }> => {
  const child: ChildProcess = processes.track(
    spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/smtp-sink.ts', SMTP_USER, SMTP_PASSWORD], { cwd: PACKAGE_DIR, stdio: ['ignore', 'pipe', 'pipe'] }),
  )
  let out = ''
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d))
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.on('data', () => {
      const m = /listening (\d+)/.exec(out)
      if (m?.[1] !== undefined) resolve(Number(m[1]))
    })
    child.once('exit', (code) => reject(new Error(`smtp-sink exited (${code})`)))
  })
  const received = () =>
    out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Received)
  return { port, received }
}

/** Header `name` of a raw message (unfolded), or undefined. */
const header = (raw: string, name: string): string | undefined => {
  const head = (raw.split(/\r?\n\r?\n/)[0] ?? '').replace(/\r?\n[ \t]+/g, ' ')
  const line = head.split(/\r?\n/).find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))
  return line?.slice(name.length + 1).trim()
}

const until = async <A>(get: () => A | undefined, what: string): Promise<A> => {
  for (let i = 0; i < 200; i++) {
    const v = get()
    if (v !== undefined) return v
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error(`timed out waiting for ${what}`)
}

describe('email codes over SMTP (server and SMTP server as processes)', () => {
  it('the enrollment code arrives by SMTP with its headers, activates the factor, and nothing secret reaches the log', async () => {
    const smtp = await startSmtpSink()
    folder = await mkdtemp(join(tmpdir(), 'authn-smtp-'))
    const seedPath = join(folder, 'org.json')
    await writeFile(
      seedPath,
      JSON.stringify({
        users: [{ login: 'ada', email: EMAIL, firstName: 'Ada', lastName: 'Mail', password: PASSWORD }],
        policies: { signOn: { requireFactor: true }, enrollment: { factors: [{ factorType: 'email', provider: 'OKTA', enroll: 'REQUIRED' }] } },
      }),
    )
    // The SMTP password comes from the environment (a flag's value shows in ps).
    const server = processes.launch(['--store', 'memory', '--port', '0', '--seed', seedPath, '--smtp-from', FROM], {
      AUTHN_SMTP_URL: `smtp://${SMTP_USER}:${encodeURIComponent(SMTP_PASSWORD)}@127.0.0.1:${smtp.port}`,
    })
    const url = await server.ready

    const signIn = await postJson(`${url}/api/v1/authn`, { username: 'ada', password: PASSWORD })
    expect(signIn.body['status']).toBe('MFA_ENROLL')
    const stateToken = signIn.body['stateToken']
    const enrolled = await postJson(`${url}/api/v1/authn/factors`, { stateToken, factorType: 'email', provider: 'OKTA' })
    expect(enrolled.status).toBe(200)
    expect(enrolled.body['status']).toBe('MFA_ENROLL_ACTIVATE')
    const factor = (enrolled.body['_embedded'] as Record<string, Record<string, unknown>>)['factor'] ?? {}
    expect(factor['profile']).toEqual({ email: 'a...l@example.com' })

    const mail = await until(() => smtp.received()[0], 'the email')
    expect(mail.user).toBe(SMTP_USER)
    expect(mail.rcptTo).toEqual([EMAIL])
    expect(mail.mailFrom).toBe('no-reply@authn.test')
    expect(header(mail.raw, 'To')).toBe(EMAIL)
    expect(header(mail.raw, 'From')).toContain('no-reply@authn.test')
    expect(header(mail.raw, 'Subject')).toBeTruthy()
    expect(header(mail.raw, 'Message-ID')).toMatch(/^<.+@.+>$/)
    const code = /\b(\d{6})\b/.exec(mail.raw.split(/\r?\n\r?\n/).slice(1).join('\n'))?.[1]
    expect(code).toMatch(/^\d{6}$/)

    const activated = await postJson(`${url}/api/v1/authn/factors/${String(factor['id'])}/lifecycle/activate`, { stateToken, passCode: code })
    expect(activated.body['status']).toBe('SUCCESS')

    // Only the dev outbox prints messages; a real sender's messages and credentials stay out of the log.
    const { stdout, stderr } = server.output()
    expect(stdout).toMatch(/email → smtp:\/\/127\.0\.0\.1:\d+/)
    for (const secret of [SMTP_PASSWORD, encodeURIComponent(SMTP_PASSWORD), code ?? 'no code']) {
      expect(stdout).not.toContain(secret)
      expect(stderr).not.toContain(secret)
    }
  })
})
