// The YubiKey OTP family on the reference server in validation-server mode
// (`--yubico-validation-url URL --yubico-client-id ID`, the API key in AUTHN_YUBICO_API_KEY), against
// a local Yubico validation server (protocol 2.0) started by this file: enrolled with an OTP at
// sign-in, verified with a later one; a replayed OTP E0000082, a tampered one E0000068, the servers
// down 400 E0000074; a misconfiguration stops the server with one line.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { otpAt } from '../../factor-yubikey/test/otp-generator.js'
import { deadUrl, startValidationServer, type RunningValidationServer } from '../../factor-yubikey/test/validation-server.js'
import { createProcesses } from './process.js'
import { postJson } from './support.js'

const processes = createProcesses()
afterEach(() => processes.killAll())

const KEY = { serial: 4242, publicId: 'ccccccbcgujh', privateId: '8792ebfe26cc', aesKey: 'ecde18dbe76fbd0c33330f1c354871db' } as const
const USER = { username: 'kate.libby@example.com', password: 'Acid-Burn-1995' }
const CLIENT_ID = '1234'
const API_KEY = Buffer.from('the validation service key').toString('base64')

describe('the YubiKey OTP factor on the reference server, checked by a Yubico validation server', () => {
  let validation: RunningValidationServer
  let down: string
  beforeAll(async () => {
    validation = await startValidationServer({ keys: [KEY], clients: { [CLIENT_ID]: API_KEY } })
    down = await deadUrl()
  })
  afterAll(async () => {
    await validation?.close()
  })

  const seedFile = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'authn-yubico-'))
    const seed = join(dir, 'seed.json')
    writeFileSync(
      seed,
      JSON.stringify({
        users: [{ login: USER.username, firstName: 'Kate', lastName: 'Libby', password: USER.password }],
        policies: { signOn: { requireFactor: true }, enrollment: { factors: [{ factorType: 'token:hardware', provider: 'YUBICO', enroll: 'REQUIRED' }] } },
      }),
    )
    return seed
  }

  it('enroll with an OTP, verify with a later one; a replay is E0000082, a tampered OTP E0000068, no server 400 E0000074', { timeout: 60_000 }, async () => {
    // The first server is down: the second answers.
    const server = processes.launch(
      ['--port', '0', '--store', 'memory', '--seed', seedFile(), '--yubico-validation-url', `${down},${validation.url}`, '--yubico-client-id', CLIENT_ID],
      { AUTHN_YUBICO_API_KEY: API_KEY },
    )
    const url = await server.ready

    const first = await postJson(`${url}/api/v1/authn`, USER)
    expect(first.body['status']).toBe('MFA_ENROLL')
    const enrolled = await postJson(`${url}/api/v1/authn/factors`, { stateToken: first.body['stateToken'], factorType: 'token:hardware', provider: 'YUBICO', passCode: otpAt(KEY, 0x0101) })
    expect(enrolled.status, JSON.stringify(enrolled.body)).toBe(200)
    expect(enrolled.body['status']).toBe('SUCCESS')
    expect(validation.requests.at(-1)).toMatchObject({ id: CLIENT_ID, otp: otpAt(KEY, 0x0101), timestamp: '1' })

    const signIn = async () => {
      const r = await postJson(`${url}/api/v1/authn`, USER)
      expect(r.body['status']).toBe('MFA_REQUIRED')
      const factor = (r.body['_embedded'] as { factors: Array<{ id: string; factorType: string; profile: Record<string, unknown> }> }).factors.find((f) => f.factorType === 'token:hardware')
      if (factor === undefined) throw new Error(`no YubiKey factor in ${JSON.stringify(r.body)}`)
      return { stateToken: r.body['stateToken'], factorId: factor.id }
    }
    const verify = (at: { stateToken: unknown; factorId: string }, passCode: string) => postJson(`${url}/api/v1/authn/factors/${at.factorId}/verify`, { stateToken: at.stateToken, passCode })

    const a = await signIn()
    // The enrollment OTP was used at the validation server.
    const again = await verify(a, otpAt(KEY, 0x0101))
    expect([again.status, again.body['errorCode']]).toEqual([403, 'E0000082'])
    const ok = await verify(a, otpAt(KEY, 0x0102))
    expect(ok.body['status'], JSON.stringify(ok.body)).toBe('SUCCESS')

    const b = await signIn()
    const replayed = await verify(b, otpAt(KEY, 0x0102))
    expect([replayed.status, replayed.body['errorCode']]).toEqual([403, 'E0000082'])
    const tampered = otpAt(KEY, 0x0103).slice(0, -1) + (otpAt(KEY, 0x0103).endsWith('c') ? 'b' : 'c')
    const wrong = await verify(b, tampered)
    expect([wrong.status, wrong.body['errorCode']]).toEqual([403, 'E0000068'])
    validation.behaviour.tamper = 'signature'
    const forged = await verify(b, otpAt(KEY, 0x0104))
    expect([forged.status, forged.body['errorCode']]).toEqual([400, 'E0000074'])
    validation.behaviour.tamper = undefined
    const later = await verify(b, otpAt(KEY, 0x0200))
    expect(later.body['status']).toBe('SUCCESS')
    server.child.kill('SIGTERM')
    expect((await server.exited).code).toBe(0)

    // No validation server answers: no verdict, 400 E0000074.
    const lonely = processes.launch(['--port', '0', '--store', 'memory', '--seed', seedFile(), '--yubico-validation-url', down, '--yubico-client-id', CLIENT_ID], {
      AUTHN_YUBICO_API_KEY: API_KEY,
    })
    const lonelyUrl = await lonely.ready
    const c = await postJson(`${lonelyUrl}/api/v1/authn`, USER)
    const unavailable = await postJson(`${lonelyUrl}/api/v1/authn/factors`, { stateToken: c.body['stateToken'], factorType: 'token:hardware', provider: 'YUBICO', passCode: otpAt(KEY, 0x0300) })
    expect([unavailable.status, unavailable.body['errorCode']]).toEqual([400, 'E0000074'])
  })

  it('misconfigurations stop the server with one line: a missing API key, keys and validation together, an API key as a flag', { timeout: 30_000 }, async () => {
    const cases: ReadonlyArray<{ args: ReadonlyArray<string>; env: Record<string, string>; line: RegExp }> = [
      { args: ['--yubico-validation-url', validation.url, '--yubico-client-id', CLIENT_ID], env: {}, line: /need --yubico-validation-url, --yubico-client-id and AUTHN_YUBICO_API_KEY together/ },
      { args: ['--yubico-validation-url', validation.url, '--yubico-client-id', CLIENT_ID, '--yubikey-keys', 'keys.csv'], env: { AUTHN_YUBICO_API_KEY: API_KEY }, line: /not both/ },
      { args: ['--yubico-api-key', API_KEY], env: {}, line: /--yubico-api-key is not an option: set AUTHN_YUBICO_API_KEY in the environment/ },
      { args: ['--yubico-validation-url', validation.url, '--yubico-client-id', CLIENT_ID], env: { AUTHN_YUBICO_API_KEY: 'not base64!' }, line: /AUTHN_YUBICO_API_KEY is not a Yubico API key/ },
    ]
    for (const c of cases) {
      const server = processes.launch(['--port', '0', '--store', 'memory', ...c.args], c.env)
      const { code } = await server.exited
      expect(code).toBe(2)
      const first = server.output().stderr.trim().split('\n')[0] ?? ''
      expect(first).toMatch(/^authn-machine: /)
      expect(first).toMatch(c.line)
      expect(server.output().stderr).not.toContain(API_KEY)
    }
  })
})
