// Push end to end, each side its own process: the reference server (as `pnpm start` runs it, on
// 127.0.0.1 and a free port, with the dev outbox) and the `authn-push-device` command-line
// authenticator, run once per step as a person would. The sign-in side is plain fetch: enroll push,
// have the enrollment link emailed, read it from the dev outbox, enroll the device with it, poll to
// SUCCESS; then sign in again, start a push (WAITING, the number to pick), list it on the device,
// approve it with that number (or deny it), and poll to SUCCESS (or REJECTED).
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createProcesses } from './process.js'
import { postJson } from './support.js'

const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const CLI = 'packages/factor-push/src/cli.ts'
const PASSWORD = 'Right-Passw0rd-1'
const USER_AGENT = 'push-device-e2e/1.0'
const USERS = { approve: 'pat@example.com', deny: 'dana@example.com' } as const

const seed = {
  users: [
    { id: '00upushuser00000001', login: USERS.approve, firstName: 'Pat', lastName: 'Push', password: PASSWORD, email: USERS.approve },
    { id: '00upushuser00000002', login: USERS.deny, firstName: 'Dana', lastName: 'Deny', password: PASSWORD, email: USERS.deny },
  ],
  policies: { signOn: { requireFactor: true }, enrollment: { factors: [{ factorType: 'push', provider: 'OKTA', enroll: 'REQUIRED' }] } },
}

const processes = createProcesses()
let url = ''
let dir = ''

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'authn-push-device-e2e-'))
  const seedFile = join(dir, 'seed.json')
  writeFileSync(seedFile, JSON.stringify(seed))
  const server = processes.launch(['--port', '0', '--host', '127.0.0.1', '--store', 'memory', '--seed', seedFile, '--dev-outbox', '--log-level', 'warn'])
  url = await server.ready
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
}, 60_000)

afterAll(async () => {
  await processes.stopAll()
  rmSync(dir, { recursive: true, force: true })
})

type Json = Record<string, unknown>
const post = async (path: string, body: Json) => {
  const r = await postJson(`${url}${path}`, body, { 'user-agent': USER_AGENT })
  return { status: r.status, body: r.body }
}
const embedded = (b: Json) => b['_embedded'] as Json

/** `authn-push-device` as another process (node, tsx, the source condition), from the repository root: exit code and outputs. */
const device = (args: ReadonlyArray<string>): Promise<{ readonly code: number; readonly stdout: string; readonly stderr: string }> =>
  new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', '--conditions=@authn-machine/source', CLI, ...args], { cwd: REPO_ROOT, timeout: 30_000, env: { ...process.env } }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1
      resolve({ code, stdout, stderr })
    })
  })

/** The dev outbox's messages to `to`, newest first, once there is one. */
const outboxText = async (to: string): Promise<string> => {
  for (let waited = 0; waited < 5_000; waited += 100) {
    const messages = (await (await fetch(`${url}/__dev/outbox?to=${encodeURIComponent(to)}`)).json()) as ReadonlyArray<{ readonly text: string }>
    if (messages[0] !== undefined) return messages[0].text
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`no message to ${to}`)
}

/** Signs `login` in, enrolls push, activates the command-line device with the emailed link: the device's state file and factor id. */
const enrollDevice = async (login: string) => {
  const signIn = await post('/api/v1/authn', { username: login, password: PASSWORD })
  expect(signIn.body['status']).toBe('MFA_ENROLL')
  const stateToken = signIn.body['stateToken'] as string
  const enroll = await post('/api/v1/authn/factors', { stateToken, factorType: 'push', provider: 'OKTA' })
  expect([enroll.status, enroll.body['status'], enroll.body['factorResult']]).toEqual([200, 'MFA_ENROLL_ACTIVATE', 'WAITING'])
  const factorId = (embedded(enroll.body)['factor'] as Json)['id'] as string
  const sent = await post(`/api/v1/authn/factors/${factorId}/lifecycle/activate/email`, { stateToken })
  expect([sent.status, sent.body['factorResult']]).toEqual([200, 'WAITING'])
  const uri = /oktaverify:\/\/\S+/.exec(await outboxText(login))?.[0]
  expect(uri).toBeDefined()
  const waiting = await post(`/api/v1/authn/factors/${factorId}/lifecycle/activate/poll`, { stateToken })
  expect(waiting.body['factorResult']).toBe('WAITING')

  const state = join(dir, `${login}.json`)
  const enrolled = await device(['enroll', uri ?? '', '--state', state, '--name', 'e2e terminal', '--platform', 'OTHER'])
  expect(enrolled.code, enrolled.stderr).toBe(0)
  expect(enrolled.stdout.split('\n')[0]).toBe(`activated factor ${factorId} for ${login} at ${url}`)
  expect(statSync(state).mode & 0o777).toBe(0o600)

  const done = await post(`/api/v1/authn/factors/${factorId}/lifecycle/activate/poll`, { stateToken })
  expect([done.status, done.body['status']]).toEqual([200, 'SUCCESS'])
  return { state, factorId }
}

/** Signs in again (MFA_REQUIRED) and starts a push: the state token and the number the page shows. */
const startPush = async (login: string, factorId: string) => {
  const signIn = await post('/api/v1/authn', { username: login, password: PASSWORD })
  expect(signIn.body['status']).toBe('MFA_REQUIRED')
  const stateToken = signIn.body['stateToken'] as string
  const started = await post(`/api/v1/authn/factors/${factorId}/verify`, { stateToken })
  expect([started.status, started.body['status'], started.body['factorResult']]).toEqual([200, 'MFA_CHALLENGE', 'WAITING'])
  const factor = embedded(started.body)['factor'] as Json
  const correctAnswer = ((factor['_embedded'] as Json)['challenge'] as Json)['correctAnswer'] as number
  expect(correctAnswer).toEqual(expect.any(Number))
  return { stateToken, correctAnswer }
}

/** The device's one pending line: who, from where, and the three choices. */
const pendingLine = async (state: string, login: string, correctAnswer: number): Promise<ReadonlyArray<number>> => {
  const pending = await device(['pending', '--state', state])
  expect(pending.code, pending.stderr).toBe(0)
  const lines = pending.stdout.trimEnd().split('\n')
  expect(lines).toHaveLength(1)
  const m = /^1\. (\S+) from (.+), expires in (\d+) s, choices: (\d+) (\d+) (\d+) \[\S+\]$/.exec(lines[0] ?? '')
  expect(m, lines[0]).not.toBeNull()
  expect(m?.[1]).toBe(login)
  expect(m?.[2]).toContain(`(${USER_AGENT})`)
  expect(Number(m?.[3])).toBeGreaterThan(250)
  expect(Number(m?.[3])).toBeLessThanOrEqual(300)
  const choices = [m?.[4], m?.[5], m?.[6]].map(Number)
  expect(new Set(choices).size).toBe(3)
  expect(choices).toContain(correctAnswer)
  return choices
}

describe('push with the authn-push-device command against the reference server', () => {
  it('enroll by the emailed link → SUCCESS; a new sign-in pushes (WAITING, a number); pending shows it with three choices; approve --number → SUCCESS with a session token', { timeout: 30_000 }, async () => {
    const login = USERS.approve
    const { state, factorId } = await enrollDevice(login)
    const { stateToken, correctAnswer } = await startPush(login, factorId)
    const choices = await pendingLine(state, login, correctAnswer)
    // A number not among the choices: refused by the command (usage, exit 2), nothing sent: still WAITING.
    const notAChoice = [10, 11, 12, 13].find((n) => !choices.includes(n)) ?? 10
    const refused = await device(['approve', '--state', state, '--number', String(notAChoice)])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain(`${notAChoice} is not one of this challenge's choices`)
    const waiting = await post(`/api/v1/authn/factors/${factorId}/verify`, { stateToken })
    expect(waiting.body['factorResult']).toBe('WAITING')

    const approved = await device(['approve', '--state', state, '--number', String(correctAnswer)])
    expect(approved.code, approved.stderr).toBe(0)
    expect(approved.stdout).toMatch(new RegExp(`^approved: ${login.replace('.', '\\.')} \\[\\S+\\]\\n$`))
    const done = await post(`/api/v1/authn/factors/${factorId}/verify`, { stateToken })
    expect([done.status, done.body['status']]).toEqual([200, 'SUCCESS'])
    expect(done.body['sessionToken']).toEqual(expect.any(String))
  })

  it('deny → the poll shows REJECTED', { timeout: 30_000 }, async () => {
    const login = USERS.deny
    const { state, factorId } = await enrollDevice(login)
    const { stateToken, correctAnswer } = await startPush(login, factorId)
    await pendingLine(state, login, correctAnswer)
    const denied = await device(['deny', '--state', state])
    expect(denied.code, denied.stderr).toBe(0)
    expect(denied.stdout).toMatch(/^denied: /)
    const rejected = await post(`/api/v1/authn/factors/${factorId}/verify`, { stateToken })
    expect([rejected.status, rejected.body['status'], rejected.body['factorResult']]).toEqual([200, 'MFA_CHALLENGE', 'REJECTED'])
    expect(rejected.body['sessionToken']).toBeUndefined()
  })
})
