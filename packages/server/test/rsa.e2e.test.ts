// The RSA SecurID family on the reference server (`--rsa-radius HOST:PORT`, the shared secret in
// AUTHN_RSA_RADIUS_SECRET), against a private FreeRADIUS started for this file: enrolled at sign-in
// with the credential id and a passcode, verified with one; a rejected passcode E0000068.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { freeradiusAvailable, PASSCODE, SECRET, startPrivateRadius, USERS, type PrivateRadius } from '../../factor-rsa/test/freeradius.js'
import { createProcesses } from './process.js'
import { postJson } from './support.js'

const IN_CI = process.env['CI'] === 'true'
const available = freeradiusAvailable()
if (!available && !IN_CI) console.log('rsa.e2e.test.ts skipped: no freeradius (apt-get install freeradius); CI installs it')

const processes = createProcesses()
afterEach(() => processes.killAll())

describe.runIf(available || IN_CI)('the RSA SecurID factor on the reference server', () => {
  let radius: PrivateRadius
  beforeAll(async () => {
    radius = await startPrivateRadius()
  }, 60_000)
  afterAll(async () => {
    await radius?.stop()
  })

  it('enroll with the credential id and a passcode, verify with one; a rejected passcode E0000068', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'authn-rsa-'))
    const seed = join(dir, 'seed.json')
    const user = { username: 'joey.pardella@example.com', password: 'Joey-Pardella-1995' }
    writeFileSync(
      seed,
      JSON.stringify({
        users: [{ login: user.username, firstName: 'Joey', lastName: 'Pardella', password: user.password }],
        policies: { signOn: { requireFactor: true }, enrollment: { factors: [{ factorType: 'token', provider: 'RSA', enroll: 'REQUIRED' }] } },
      }),
    )
    const server = processes.launch(['--port', '0', '--store', 'memory', '--seed', seed, '--rsa-radius', `127.0.0.1:${radius.port}`], { AUTHN_RSA_RADIUS_SECRET: SECRET })
    const url = await server.ready

    const first = await postJson(`${url}/api/v1/authn`, user)
    expect(first.body['status']).toBe('MFA_ENROLL')
    const enrolled = await postJson(`${url}/api/v1/authn/factors`, {
      stateToken: first.body['stateToken'],
      factorType: 'token',
      provider: 'RSA',
      profile: { credentialId: USERS.alice },
      passCode: PASSCODE.alice,
    })
    expect(enrolled.body['status'], JSON.stringify(enrolled.body)).toBe('SUCCESS')

    const again = await postJson(`${url}/api/v1/authn`, user)
    expect(again.body['status']).toBe('MFA_REQUIRED')
    const factor = (again.body['_embedded'] as { factors: Array<{ id: string; factorType: string; provider: string }> }).factors.find((f) => f.provider === 'RSA')
    if (factor === undefined) throw new Error(`no RSA factor in ${JSON.stringify(again.body)}`)
    const wrong = await postJson(`${url}/api/v1/authn/factors/${factor.id}/verify`, { stateToken: again.body['stateToken'], passCode: '9999000011' })
    expect([wrong.status, wrong.body['errorCode']]).toEqual([403, 'E0000068'])
    const ok = await postJson(`${url}/api/v1/authn/factors/${factor.id}/verify`, { stateToken: again.body['stateToken'], passCode: PASSCODE.alice })
    expect(ok.body['status'], JSON.stringify(ok.body)).toBe('SUCCESS')
    server.child.kill('SIGTERM')
    expect((await server.exited).code).toBe(0)
  })

  it('misconfiguration: no shared secret, or not HOST:PORT, stops the server with one line', { timeout: 30_000 }, async () => {
    const noSecret = processes.launch(['--port', '0', '--store', 'memory', '--rsa-radius', '127.0.0.1:1645'])
    expect((await noSecret.exited).code).toBe(2)
    expect(noSecret.output().stderr.split('\n')[0]).toMatch(/needs its shared secret in AUTHN_RSA_RADIUS_SECRET/)
    const bad = processes.launch(['--port', '0', '--store', 'memory', '--rsa-radius', 'radius.example.test'], { AUTHN_RSA_RADIUS_SECRET: 's' })
    expect((await bad.exited).code).toBe(2)
    expect(bad.output().stderr.split('\n')[0]).toMatch(/--rsa-radius is HOST:PORT/)
  })
})
