// The Symantec VIP family on the reference server (`--symantec-vip-url` with a client certificate):
// enrolled at sign-in with two consecutive codes, verified with the next; a wrong code E0000068; the
// service checked against a local VIP stand-in that requires the client certificate (mutual TLS).
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { makeTestPki, type TestPki } from '../../factor-symantec/test/pki.js'
import { startVipStub, type VipStub } from '../../factor-symantec/test/vip-stub.js'
import { createProcesses } from './process.js'
import { postJson } from './support.js'

const processes = createProcesses()
afterEach(() => processes.killAll())

const VSMT = 'VSMT14393584'
const CODES = ['123456', '234567', '345678', '456789']
const USER = { username: 'emmanuel.goldstein@example.com', password: 'Cereal-Killer-95' }

let pki: TestPki
let stub: VipStub
beforeAll(async () => {
  pki = makeTestPki()
  stub = await startVipStub(pki, { [VSMT]: { codes: CODES } })
})
afterAll(async () => {
  await stub.close()
  pki.dispose()
})

describe('the Symantec VIP factor on the reference server', () => {
  it('enroll with two consecutive codes, verify with the next, a wrong code E0000068; requests carry the client certificate', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'authn-vip-'))
    const file = (name: string, text: string) => {
      writeFileSync(join(dir, name), text)
      return join(dir, name)
    }
    const seed = file(
      'seed.json',
      JSON.stringify({
        users: [{ login: USER.username, firstName: 'Emmanuel', lastName: 'Goldstein', password: USER.password }],
        policies: { signOn: { requireFactor: true }, enrollment: { factors: [{ factorType: 'token', provider: 'SYMANTEC', enroll: 'REQUIRED' }] } },
      }),
    )
    const args = ['--port', '0', '--store', 'memory', '--seed', seed, '--symantec-vip-url', stub.endpoint, '--symantec-cert', file('client.crt', pki.client.cert), '--symantec-key', file('client.key', pki.client.key), '--symantec-ca', file('ca.crt', pki.ca.cert)]
    const server = processes.launch(args, { AUTHN_SYMANTEC_KEY_PASSPHRASE: pki.passphrase })
    const url = await server.ready

    const first = await postJson(`${url}/api/v1/authn`, USER)
    expect(first.body['status']).toBe('MFA_ENROLL')
    const enrolled = await postJson(`${url}/api/v1/authn/factors`, {
      stateToken: first.body['stateToken'],
      factorType: 'token',
      provider: 'SYMANTEC',
      profile: { credentialId: VSMT },
      passCode: CODES[0],
      nextPassCode: CODES[1],
    })
    expect(enrolled.body['status'], JSON.stringify(enrolled.body)).toBe('SUCCESS')
    expect(stub.calls.at(-1)).toMatchObject({ operation: 'Synchronize', clientCn: 'org-vip-client' })

    const again = await postJson(`${url}/api/v1/authn`, USER)
    expect(again.body['status']).toBe('MFA_REQUIRED')
    const factor = (again.body['_embedded'] as { factors: Array<{ id: string; factorType: string; profile: { credentialId: string } }> }).factors.find((f) => f.factorType === 'token')
    expect(factor?.profile.credentialId).toBe(VSMT)
    const wrong = await postJson(`${url}/api/v1/authn/factors/${factor?.id ?? ''}/verify`, { stateToken: again.body['stateToken'], passCode: '000000' })
    expect([wrong.status, wrong.body['errorCode']]).toEqual([403, 'E0000068'])
    const ok = await postJson(`${url}/api/v1/authn/factors/${factor?.id ?? ''}/verify`, { stateToken: again.body['stateToken'], passCode: CODES[2] })
    expect(ok.body['status'], JSON.stringify(ok.body)).toBe('SUCCESS')
    expect(stub.calls.at(-1)).toMatchObject({ operation: 'Validate', fields: { TokenId: VSMT, OTP: CODES[2] }, clientCn: 'org-vip-client' })
    server.child.kill('SIGTERM')
    expect((await server.exited).code).toBe(0)
  })

  it('misconfiguration: a URL without the certificate, or not https, stops the server with one line', { timeout: 30_000 }, async () => {
    const noCert = processes.launch(['--port', '0', '--store', 'memory', '--symantec-vip-url', 'https://vip.example.test/val/soap'])
    expect((await noCert.exited).code).toBe(2)
    expect(noCert.output().stderr.split('\n')[0]).toMatch(/needs --symantec-vip-url, --symantec-cert and --symantec-key together/)
    const plain = processes.launch(['--port', '0', '--store', 'memory', '--symantec-vip-url', 'http://vip.example.test/val/soap', '--symantec-cert', 'c', '--symantec-key', 'k'])
    expect((await plain.exited).code).toBe(2)
    expect(plain.output().stderr.split('\n')[0]).toMatch(/reached over https/)
  })
})
