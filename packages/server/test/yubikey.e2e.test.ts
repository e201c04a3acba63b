// The YubiKey OTP family on the reference server (`--yubikey-keys FILE`, a Yubico-format key file):
// enrolled with an OTP at sign-in, verified with a later one, a replayed OTP refused as a replay, a
// tampered one as a wrong code; a bad key file stops the server with one line.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { otpAt } from '../../factor-yubikey/test/otp-generator.js'
import { createProcesses } from './process.js'
import { postJson } from './support.js'

const processes = createProcesses()
afterEach(() => processes.killAll())

const KEY = { serial: 4242, publicId: 'ccccccbcgujh', privateId: '8792ebfe26cc', aesKey: 'ecde18dbe76fbd0c33330f1c354871db' } as const
const USER = { username: 'kate.libby@example.com', password: 'Acid-Burn-1995' }

describe('the YubiKey OTP factor on the reference server', () => {
  it('enroll with an OTP, verify with a later one; a replayed OTP is E0000082, a tampered one E0000068', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'authn-yubikey-'))
    const keys = join(dir, 'yubikeys.csv')
    writeFileSync(keys, `# serial,public id,private id,AES key\n${KEY.serial},${KEY.publicId},${KEY.privateId},${KEY.aesKey}\n`)
    const seed = join(dir, 'seed.json')
    writeFileSync(
      seed,
      JSON.stringify({
        users: [{ login: USER.username, firstName: 'Kate', lastName: 'Libby', password: USER.password }],
        policies: { signOn: { requireFactor: true }, enrollment: { factors: [{ factorType: 'token:hardware', provider: 'YUBICO', enroll: 'REQUIRED' }] } },
      }),
    )
    const server = processes.launch(['--port', '0', '--store', 'memory', '--seed', seed, '--yubikey-keys', keys])
    const url = await server.ready

    const first = await postJson(`${url}/api/v1/authn`, USER)
    expect(first.body['status']).toBe('MFA_ENROLL')
    const offered = (first.body['_embedded'] as { factors: Array<{ factorType: string; provider: string }> }).factors
    expect(offered).toContainEqual(expect.objectContaining({ factorType: 'token:hardware', provider: 'YUBICO' }))
    const enrolled = await postJson(`${url}/api/v1/authn/factors`, { stateToken: first.body['stateToken'], factorType: 'token:hardware', provider: 'YUBICO', passCode: otpAt(KEY, 0x0101) })
    expect(enrolled.status, JSON.stringify(enrolled.body)).toBe(200)
    expect(enrolled.body['status']).toBe('SUCCESS')

    const signIn = async () => {
      const r = await postJson(`${url}/api/v1/authn`, USER)
      expect(r.body['status']).toBe('MFA_REQUIRED')
      const factor = (r.body['_embedded'] as { factors: Array<{ id: string; factorType: string }> }).factors.find((f) => f.factorType === 'token:hardware')
      if (factor === undefined) throw new Error(`no YubiKey factor in ${JSON.stringify(r.body)}`)
      return { stateToken: r.body['stateToken'], factorId: factor.id }
    }
    const a = await signIn()
    const ok = await postJson(`${url}/api/v1/authn/factors/${a.factorId}/verify`, { stateToken: a.stateToken, passCode: otpAt(KEY, 0x0102) })
    expect(ok.body['status'], JSON.stringify(ok.body)).toBe('SUCCESS')

    const b = await signIn()
    const replayed = await postJson(`${url}/api/v1/authn/factors/${b.factorId}/verify`, { stateToken: b.stateToken, passCode: otpAt(KEY, 0x0102) })
    expect([replayed.status, replayed.body['errorCode']]).toEqual([403, 'E0000082'])
    const older = await postJson(`${url}/api/v1/authn/factors/${b.factorId}/verify`, { stateToken: b.stateToken, passCode: otpAt(KEY, 0x0101) })
    expect([older.status, older.body['errorCode']]).toEqual([403, 'E0000082'])
    const tampered = otpAt(KEY, 0x0103).slice(0, -1) + (otpAt(KEY, 0x0103).endsWith('c') ? 'b' : 'c')
    const wrong = await postJson(`${url}/api/v1/authn/factors/${b.factorId}/verify`, { stateToken: b.stateToken, passCode: tampered })
    expect([wrong.status, wrong.body['errorCode']]).toEqual([403, 'E0000068'])
    const later = await postJson(`${url}/api/v1/authn/factors/${b.factorId}/verify`, { stateToken: b.stateToken, passCode: otpAt(KEY, 0x0200) })
    expect(later.body['status']).toBe('SUCCESS')
    server.child.kill('SIGTERM')
    expect((await server.exited).code).toBe(0)
  })

  it('a key file that is not a Yubico-format key list stops the server with one line', { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'authn-yubikey-'))
    const keys = join(dir, 'bad.csv')
    writeFileSync(keys, '4242,not-modhex,xyz\n')
    const server = processes.launch(['--port', '0', '--store', 'memory', '--yubikey-keys', keys])
    const { code } = await server.exited
    expect(code).toBe(1)
    const lines = server.output().stderr.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^authn-machine: the YubiKey key file .*bad\.csv is not a Yubico-format key list: .*line 1/)
  })
})
