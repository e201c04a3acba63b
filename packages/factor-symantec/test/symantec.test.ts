import { request } from 'node:https'
import { createServer as createTcpServer } from 'node:net'
import { fc, test } from '@fast-check/vitest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectLeft, expectRight, run } from '@authn-machine/testkit'
import { createSeededRandom, createTrivialHasher } from '@authn-machine/testkit/fixtures'
import { CAUSES, type FactorContext } from '@authn-machine/core'
import {
  DISABLED_CAUSE,
  MALFORMED_ENROLL_CAUSES,
  UNAVAILABLE_CAUSE,
  createSymantecFactor,
  createVipClient,
  type SymantecFactor,
  type SymantecOptions,
} from '../src/index.js'
import { makeTestPki, type TestPki } from './pki.js'
import { STUB_REPLAY_CODE, startVipStub, type VipStub } from './vip-stub.js'

const ctx: FactorContext = { random: createSeededRandom('symantec'), hasher: createTrivialHasher(), now: Date.UTC(2026, 0, 1) }
const subject = { login: 'dade@example.com', email: 'dade@example.com' }

/** Okta's example credential, its codes in order; a second one; a disabled one. */
const VSMT = 'VSMT14393584'
const VSST = 'VSST26461832'
const DISABLED = 'VSMT90000001'
const CODES = ['123456', '234567', '345678', '456789', '567890', '678901', '789012']
const OTHER_CODES = ['111111', '222222', '333333', '444444']

let pki: TestPki
let stub: VipStub
const factors: SymantecFactor[] = []

/** A factor against the stub (closed after the tests). */
const factorWith = (o: Partial<SymantecOptions> = {}): SymantecFactor => {
  const f = createSymantecFactor({
    endpoint: stub.endpoint,
    clientCert: pki.client.cert,
    clientKey: pki.client.key,
    passphrase: pki.passphrase,
    ca: pki.ca.cert,
    timeoutMs: 1_500,
    replayReasonCodes: [STUB_REPLAY_CODE],
    ...o,
  })
  factors.push(f)
  return f
}

const verify = async (f: SymantecFactor, tokenId: string, passCode: string) => run(f.verify({ tokenId }, { passCode }, null, ctx))
const enroll = async (f: SymantecFactor, body: unknown) => {
  const decoded = f.enrollRequestCodec.decode(body)
  if (decoded._tag === 'Left') throw new Error('the enroll request codec refused the body')
  return run(f.enroll(decoded.right, subject, ctx))
}

beforeAll(async () => {
  pki = makeTestPki()
  stub = await startVipStub(pki, { [VSMT]: { codes: CODES }, [VSST]: { codes: OTHER_CODES }, [DISABLED]: { codes: CODES, disabled: true } })
})

afterAll(async () => {
  for (const f of factors) f.close()
  await stub.close()
  pki.dispose()
})

describe('the test PKI and the stub', () => {
  it('the stub refuses a TLS handshake without a client certificate', async () => {
    const outcome = await new Promise<string>((resolve) => {
      const req = request(stub.endpoint, { method: 'POST', ca: pki.ca.cert, agent: false }, (res) => resolve(`HTTP ${res.statusCode ?? 0}`))
      req.on('error', (e) => resolve(`error ${(e as NodeJS.ErrnoException).code ?? e.message}`))
      req.end('<x/>')
    })
    expect(outcome).toMatch(/^error /)
  })
})

describe('enrollment: credentialId and two consecutive codes (Synchronize)', () => {
  it('two consecutive codes enroll the credential, ACTIVE at once; the stub saw both codes from our client certificate', async () => {
    const f = factorWith()
    const e = expectRight(await enroll(f, { profile: { credentialId: 'vsmt14393584' }, passCode: CODES[0], nextPassCode: CODES[1] }))
    expect(e).toEqual({ profile: { credentialId: VSMT }, secret: { tokenId: VSMT }, activation: 'none' })
    expect(f.profileView(e.profile)).toEqual({ credentialId: VSMT })
    expect(f.activationView(e.profile, e.secret, { qrcode: 'https://authn.example/qr' })).toBeNull()
    expect(stub.calls.at(-1)).toEqual({ operation: 'Synchronize', fields: { TokenId: VSMT, OTP1: CODES[0], OTP2: CODES[1] }, clientCn: 'org-vip-client' })
  })

  it('codes that are not consecutive: 403 E0000068', async () => {
    const failure = expectLeft(await enroll(factorWith(), { profile: { credentialId: VSMT }, passCode: CODES[3], nextPassCode: CODES[5] }))
    expect(failure).toEqual({ code: 'E0000068', causes: [CAUSES.passcodeMismatch] })
  })

  it('a disabled credential: 403 E0000068 with the disabled cause', async () => {
    expect(expectLeft(await enroll(factorWith(), { profile: { credentialId: DISABLED }, passCode: CODES[0], nextPassCode: CODES[1] }))).toEqual({ code: 'E0000068', causes: [DISABLED_CAUSE] })
  })

  it('nextPassCode is required by the codec; malformed fields are 400 E0000001 with causes, without asking the service', async () => {
    const f = factorWith()
    for (const body of [{ profile: { credentialId: VSMT }, passCode: '123456' }, { profile: {}, passCode: '1', nextPassCode: '2' }, { passCode: '123456', nextPassCode: '234567' }, null])
      expect(f.enrollRequestCodec.decode(body)._tag, JSON.stringify(body)).toBe('Left')
    const before = stub.calls.length
    const failure = expectLeft(await enroll(f, { profile: { credentialId: 'VS-1' }, passCode: '12345', nextPassCode: 'abcdef' }))
    expect(failure).toEqual({ code: 'E0000001', argument: 'factorEnrollRequest', causes: [MALFORMED_ENROLL_CAUSES.credentialId, MALFORMED_ENROLL_CAUSES.passCode, MALFORMED_ENROLL_CAUSES.nextPassCode] })
    expect(stub.calls.length).toBe(before)
  })

  it('seed: the credential id of the profile (or the secret), ACTIVE; anything else is E0000001', async () => {
    const f = factorWith()
    expect(expectRight(await run(f.seed({ profile: { credentialId: VSST } }, subject, ctx)))).toEqual({ profile: { credentialId: VSST }, secret: { tokenId: VSST }, activation: 'none' })
    expect(expectRight(await run(f.seed({ profile: {}, secret: VSST }, subject, ctx))).secret).toEqual({ tokenId: VSST })
    expect(expectLeft(await run(f.seed({ profile: { credentialId: 'no way' } }, subject, ctx))).code).toBe('E0000001')
  })
})

describe('verification (Validate over mutual TLS)', () => {
  it('a right code is Accepted (no counter: the service keeps codes single-use)', async () => {
    expect(expectRight(await verify(factorWith(), VSMT, CODES[2] ?? ''))).toEqual({ _tag: 'Accepted', counter: null })
    expect(stub.calls.at(-1)).toEqual({ operation: 'Validate', fields: { TokenId: VSMT, OTP: CODES[2] }, clientCn: 'org-vip-client' })
  })

  it('the same code again: the service reports a replay, Replayed (403 E0000082)', async () => {
    const f = factorWith()
    expect(expectRight(await verify(f, VSMT, CODES[3] ?? ''))._tag).toBe('Accepted')
    expect(expectRight(await verify(f, VSMT, CODES[3] ?? ''))).toEqual({ _tag: 'Replayed' })
  })

  it('without the service replay code configured, a reused code is what VIP answers it as: invalid, Rejected', async () => {
    const f = factorWith({ replayReasonCodes: [] })
    expect(expectRight(await verify(f, VSST, OTHER_CODES[0] ?? ''))._tag).toBe('Accepted')
    // The stub answers its replay code; unknown to this factor, it is not a verdict on the code.
    expect(expectLeft(await verify(f, VSST, OTHER_CODES[0] ?? ''))).toEqual({ code: 'E0000074', causes: [UNAVAILABLE_CAUSE] })
  })

  it('a wrong code is Rejected (403 E0000068); a pass code that is not 6 to 8 digits is Rejected without asking the service', async () => {
    const f = factorWith()
    expect(expectRight(await verify(f, VSMT, '000000'))).toEqual({ _tag: 'Rejected' })
    const before = stub.calls.length
    for (const p of ['', '12345', '123456789', 'abcdef', '12 456', '<a>&b</a>']) expect(expectRight(await verify(f, VSMT, p)), p).toEqual({ _tag: 'Rejected' })
    expect(stub.calls.length).toBe(before)
  })

  it('a disabled credential: 403 E0000068 with the disabled cause (not counted)', async () => {
    expect(expectLeft(await verify(factorWith(), DISABLED, CODES[0] ?? ''))).toEqual({ code: 'E0000068', causes: [DISABLED_CAUSE] })
  })

  it('a secret the codec would refuse answers 500 E0000009, without a request', async () => {
    const f = factorWith()
    expect(expectLeft(await run(f.verify({ tokenId: 'x' }, { passCode: '123456' }, null, ctx))).code).toBe('E0000009')
  })

  it('one agent per configured credential: pooled connections are reused, each with its own client certificate', async () => {
    const a = factorWith()
    const b = factorWith({ clientCert: pki.otherClient.cert, clientKey: pki.otherClient.key, passphrase: '' })
    const start = stub.connections()
    const seen: string[] = []
    for (const [f, code] of [[a, '999991'], [b, '999992'], [a, '999993'], [b, '999994'], [a, '999995']] as const) {
      expect(expectRight(await verify(f, VSMT, code))._tag).toBe('Rejected')
      seen.push(stub.calls.at(-1)?.clientCn ?? '')
    }
    expect(seen).toEqual(['org-vip-client', 'other-org-vip-client', 'org-vip-client', 'other-org-vip-client', 'org-vip-client'])
    expect(stub.connections() - start).toBe(2)
  })
})

describe('a service that gives no verdict: 400 E0000074, never a throw', () => {
  const unavailable = { code: 'E0000074', causes: [UNAVAILABLE_CAUSE] }

  it('a client certificate from another CA: the handshake is refused', async () => {
    const f = factorWith({ clientCert: pki.rogueClient.cert, clientKey: pki.rogueClient.key, passphrase: '' })
    expect(expectLeft(await verify(f, VSMT, CODES[4] ?? ''))).toEqual(unavailable)
    expect(expectLeft(await enroll(f, { profile: { credentialId: VSMT }, passCode: CODES[4], nextPassCode: CODES[5] }))).toEqual(unavailable)
  })

  it('a server certificate from a CA we do not trust', async () => {
    expect(expectLeft(await verify(factorWith({ ca: pki.rogueCa.cert }), VSMT, CODES[4] ?? ''))).toEqual(unavailable)
  })

  it('a wrong passphrase for the client key', async () => {
    expect(expectLeft(await verify(factorWith({ passphrase: 'not it' }), VSMT, CODES[4] ?? ''))).toEqual(unavailable)
  })

  it('the server is down (connection refused)', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createTcpServer()
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port
        s.close(() => resolve(p))
      })
    })
    expect(expectLeft(await verify(factorWith({ endpoint: `https://127.0.0.1:${port}/val/soap` }), VSMT, CODES[4] ?? ''))).toEqual(unavailable)
  })

  it('the server is slow: the answer comes within the timeout, bounded', async () => {
    stub.mode = 'slow'
    try {
      const started = Date.now()
      expect(expectLeft(await verify(factorWith({ timeoutMs: 300 }), VSMT, CODES[4] ?? ''))).toEqual(unavailable)
      const elapsed = Date.now() - started
      expect(elapsed).toBeGreaterThanOrEqual(290)
      expect(elapsed).toBeLessThan(1_500)
    } finally {
      stub.mode = 'normal'
    }
  })

  it('a malformed reply, a SOAP fault, a reply with a document type', async () => {
    for (const mode of ['malformed', 'fault', 'doctype'] as const) {
      stub.mode = mode
      try {
        expect(expectLeft(await verify(factorWith(), VSMT, '888888')), mode).toEqual(unavailable)
      } finally {
        stub.mode = 'normal'
      }
    }
  })

  it('an unknown credential (a reason code the factor does not know)', async () => {
    expect(expectLeft(await verify(factorWith(), 'VSMT00000000', '123456'))).toEqual(unavailable)
  })
})

describe('options', () => {
  it('createSymantecFactor throws a TypeError for a missing client certificate or key, a non-https endpoint, a bad timeout or replay code', () => {
    const base: SymantecOptions = { endpoint: 'https://127.0.0.1:1/val/soap', clientCert: 'x', clientKey: 'y', timeoutMs: 1000 }
    expect(() => createSymantecFactor({ ...base, clientCert: '' })).toThrow(TypeError)
    expect(() => createSymantecFactor({ ...base, clientKey: ' ' })).toThrow(TypeError)
    expect(() => createSymantecFactor({ ...base, endpoint: 'http://127.0.0.1/val/soap' })).toThrow(TypeError)
    expect(() => createSymantecFactor({ ...base, timeoutMs: 0 })).toThrow(TypeError)
    expect(() => createSymantecFactor({ ...base, replayReasonCodes: ['0000'] })).toThrow(TypeError)
    expect(() => createVipClient({ ...base, timeoutMs: Number.NaN })).toThrow(TypeError)
  })
})

describe('the VIP client says why there was no verdict', () => {
  const clientWith = (o: Partial<SymantecOptions> = {}) => {
    const c = createVipClient({ endpoint: stub.endpoint, clientCert: pki.client.cert, clientKey: pki.client.key, passphrase: pki.passphrase, ca: pki.ca.cert, timeoutMs: 1_000, ...o })
    return { validate: async () => { try { return await c.validate('DIAG', VSMT, '000001')() } finally { c.close() } } }
  }
  const causeCode = (r: Awaited<ReturnType<ReturnType<typeof clientWith>['validate']>>): string =>
    r._tag === 'Left' && r.left._tag === 'Unreachable' ? String((r.left.cause as NodeJS.ErrnoException).code) : JSON.stringify(r)

  it('an untrusted client certificate: the server ends the handshake (connection reset)', async () => {
    expect(causeCode(await clientWith({ clientCert: pki.rogueClient.cert, clientKey: pki.rogueClient.key, passphrase: '' }).validate())).toMatch(/ECONNRESET|EPIPE|ERR_SSL/)
  })
  it('an untrusted server certificate: refused by us', async () => {
    expect(causeCode(await clientWith({ ca: pki.rogueCa.cert }).validate())).toBe('SELF_SIGNED_CERT_IN_CHAIN')
  })
  it('a wrong passphrase: the key does not open', async () => {
    expect(causeCode(await clientWith({ passphrase: 'not it' }).validate())).toBe('ERR_OSSL_BAD_DECRYPT')
  })
  it('a timeout and a malformed answer are told apart', async () => {
    stub.mode = 'slow'
    try {
      expect(await clientWith({ timeoutMs: 200 }).validate()).toEqual({ _tag: 'Left', left: { _tag: 'Timeout' } })
    } finally {
      stub.mode = 'normal'
    }
    stub.mode = 'fault'
    try {
      expect(await clientWith().validate()).toEqual({ _tag: 'Left', left: { _tag: 'Malformed', httpStatus: 500 } })
    } finally {
      stub.mode = 'normal'
    }
  })
})

describe('no throw on any input', () => {
  let shared: SymantecFactor | undefined
  const f = (): SymantecFactor => (shared ??= factorWith())
  test.prop([fc.jsonValue({ maxDepth: 3 })], { numRuns: 40 })('any enroll body: refused by the codec, or an enrollment or a failure', async (body) => {
    const factor = f()
    const decoded = factor.enrollRequestCodec.decode(body)
    if (decoded._tag === 'Left') return
    const r = await run(factor.enroll(decoded.right, subject, ctx))
    if (r._tag === 'Left') expect(['E0000001', 'E0000068', 'E0000074']).toContain(r.left.code)
  })
  test.prop([fc.oneof(fc.string({ maxLength: 12 }), fc.stringMatching(/^[0-9]{6,8}$/))], { numRuns: 40 })('any pass code: Accepted, Rejected or Replayed', async (passCode) => {
    const r = expectRight(await verify(f(), VSST, passCode))
    expect(['Accepted', 'Rejected', 'Replayed']).toContain(r._tag)
  })
})
