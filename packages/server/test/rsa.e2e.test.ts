// The RSA SecurID family on the reference server (`--rsa-radius HOST:PORT`, the shared secret in
// AUTHN_RSA_RADIUS_SECRET), against a private FreeRADIUS started for this file: enrolled at sign-in
// with the credential id and a passcode, verified with one; a rejected passcode E0000068.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { NEXT_CODE_CAUSE } from '@authn-machine/factor-rsa'
import { freeradiusAvailable, PASSCODE, SECRET, usePrivateRadius, USERS } from '../../factor-rsa/test/freeradius.js'
import { createProcesses } from './process.js'
import { postJson } from './support.js'

const IN_CI = process.env['CI'] === 'true'
const available = freeradiusAvailable()
if (!available && !IN_CI) console.log('rsa.e2e.test.ts skipped: no freeradius (apt-get install freeradius); CI installs it')

const processes = createProcesses()
afterEach(() => processes.killAll())

describe.runIf(available || IN_CI)('the RSA SecurID factor on the reference server', () => {
  const radius = usePrivateRadius()
  /** The reference server as a user starts it, with `org` as its seed file and the private RADIUS server. */
  const launchWith = (org: unknown) => {
    const seed = join(mkdtempSync(join(tmpdir(), 'authn-rsa-')), 'seed.json')
    writeFileSync(seed, JSON.stringify(org))
    return processes.launch(['--port', '0', '--store', 'memory', '--seed', seed, '--rsa-radius', `127.0.0.1:${radius().port}`], { AUTHN_RSA_RADIUS_SECRET: SECRET })
  }

  it('enroll with the credential id and a passcode, verify with one; a rejected passcode E0000068', { timeout: 60_000 }, async () => {
    const user = { username: 'joey.pardella@example.com', password: 'Joey-Pardella-1995' }
    const server = launchWith({
      users: [{ login: user.username, firstName: 'Joey', lastName: 'Pardella', password: user.password }],
      policies: { signOn: { requireFactor: true }, enrollment: { factors: [{ factorType: 'token', provider: 'RSA', enroll: 'REQUIRED' }] } },
    })
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

  it('next-tokencode mode: an Access-Challenge is 403 E0000068 asking for the next code, not counted; the next code goes with the State its transaction kept → SUCCESS', { timeout: 60_000 }, async () => {
    const user = { username: 'carol.next@example.com', password: 'Carol-Next-Code-1' }
    const server = launchWith({
      users: [{ login: user.username, firstName: 'Carol', lastName: 'Next', password: user.password, factors: [{ factorType: 'token', provider: 'RSA', id: 'rsacarolnext00000001', credentialId: USERS.carol }] }],
      policies: { signOn: { requireFactor: true }, password: { lockout: { maxAttempts: 3 } }, enrollment: { factors: [{ factorType: 'token', provider: 'RSA', enroll: 'REQUIRED' }] } },
    })
    const url = await server.ready
    const verify = (stateToken: unknown, passCode: string) => postJson(`${url}/api/v1/authn/factors/rsacarolnext00000001/verify`, { stateToken, passCode })

    // More challenged transactions than the lockout allows (3): none is counted, and each keeps its
    // own State (a new transaction has none, so its first code is challenged again).
    let stateToken: unknown = null
    for (let i = 0; i < 4; i++) {
      const signIn = await postJson(`${url}/api/v1/authn`, user)
      expect(signIn.body['status'], JSON.stringify(signIn.body)).toBe('MFA_REQUIRED')
      stateToken = signIn.body['stateToken']
      const challenged = await verify(stateToken, i === 3 ? PASSCODE.carolNext : '1234555000')
      expect([challenged.status, challenged.body['errorCode'], challenged.body['errorCauses']]).toEqual([403, 'E0000068', [{ errorSummary: NEXT_CODE_CAUSE }]])
    }
    // In the last one, the next code goes with the State its challenge carried.
    const ok = await verify(stateToken, PASSCODE.carolNext)
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
