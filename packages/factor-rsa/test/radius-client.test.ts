import { afterEach, describe, expect, it } from 'vitest'
import radius from 'radius'
import type { FactorContext } from '@authn-machine/core'
import { UNAVAILABLE_CAUSE, createRadiusClient, radiusFactorWith } from '../src/index.js'
import { startRadiusStub, type RadiusStub, type StubBehaviour } from './radius-stub.js'

const SECRET = 'stub-secret'
let stub: RadiusStub | null = null
afterEach(async () => {
  await stub?.close()
  stub = null
})

const withStub = async (behaviour: StubBehaviour, opts: { readonly timeoutMs?: number; readonly retries?: number; readonly requireMessageAuthenticator?: boolean } = {}) => {
  stub = await startRadiusStub(SECRET, behaviour)
  return createRadiusClient({ server: { host: '127.0.0.1', port: stub.port, secret: SECRET }, timeoutMs: opts.timeoutMs ?? 300, retries: opts.retries ?? 1, ...(opts.requireMessageAuthenticator === undefined ? {} : { requireMessageAuthenticator: opts.requireMessageAuthenticator }) })
}

describe('RADIUS client (in-process server)', () => {
  it('sends an Access-Request with User-Name, a hidden User-Password and a valid Message-Authenticator', async () => {
    const client = await withStub(() => 'accept')
    expect(await client.authenticate('alice', '1234555111')()).toEqual({ _tag: 'Right', right: { _tag: 'Accept' } })
    const raw = stub?.requests[0]
    if (raw === undefined) throw new Error('no request received')
    expect(raw.includes(Buffer.from('1234555111'))).toBe(false)
    // decode with the secret checks the Message-Authenticator (it throws on a mismatch) and reveals the password.
    const decoded = radius.decode({ packet: Buffer.from(raw), secret: SECRET })
    expect(decoded.code).toBe('Access-Request')
    expect(decoded.attributes['User-Name']).toBe('alice')
    expect(decoded.attributes['User-Password']).toBe('1234555111')
    expect(Buffer.isBuffer(decoded.attributes['Message-Authenticator'])).toBe(true)
    expect(() => radius.decode({ packet: Buffer.from(raw), secret: 'another' })).toThrow()
  })

  it('a reply with a valid Message-Authenticator is taken; one with a wrong Message-Authenticator is refused', async () => {
    expect(await (await withStub(() => 'accept', { requireMessageAuthenticator: true })).authenticate('alice', '1234')()).toEqual({ _tag: 'Right', right: { _tag: 'Accept' } })
    await stub?.close()
    const r = await (await withStub(() => 'accept-bad-ma')).authenticate('alice', '1234')()
    expect(r).toMatchObject({ _tag: 'Left', left: { _tag: 'Unauthenticated', reason: expect.stringContaining('Message-Authenticator') as unknown } })
  })

  it('a reply signed with another secret is refused (Unauthenticated), never thrown', async () => {
    const r = await (await withStub(() => 'accept-wrong-secret')).authenticate('alice', '1234')()
    expect(r).toMatchObject({ _tag: 'Left', left: { _tag: 'Unauthenticated', reason: expect.stringContaining('Response Authenticator') as unknown } })
  })

  it('a reply without a Message-Authenticator: taken by default, refused when one is required', async () => {
    expect(await (await withStub(() => 'accept-no-ma')).authenticate('alice', '1234')()).toEqual({ _tag: 'Right', right: { _tag: 'Accept' } })
    await stub?.close()
    const r = await (await withStub(() => 'accept-no-ma', { requireMessageAuthenticator: true })).authenticate('alice', '1234')()
    expect(r).toMatchObject({ _tag: 'Left', left: { _tag: 'Unauthenticated', reason: 'no Message-Authenticator' } })
  })

  it('retransmits the same packet after a timeout and takes the answer to the retry', async () => {
    const client = await withStub((i) => (i === 0 ? 'drop' : 'accept'), { timeoutMs: 200, retries: 1 })
    expect(await client.authenticate('alice', '1234')()).toEqual({ _tag: 'Right', right: { _tag: 'Accept' } })
    expect(stub?.requests).toHaveLength(2)
    expect(stub?.requests[0]?.equals(stub.requests[1] ?? Buffer.alloc(0))).toBe(true)
  })

  it('a server that never answers: Timeout after 1 + retries tries, within the bound', async () => {
    const client = await withStub(() => 'drop', { timeoutMs: 150, retries: 2 })
    const t0 = Date.now()
    expect(await client.authenticate('alice', '1234')()).toEqual({ _tag: 'Left', left: { _tag: 'Timeout', attempts: 3 } })
    const elapsed = Date.now() - t0
    expect(elapsed).toBeGreaterThanOrEqual(440)
    expect(elapsed).toBeLessThan(2_000)
    expect(stub?.requests).toHaveLength(3)
  })

  it('a reply to another identifier is ignored (Timeout)', async () => {
    const r = await (await withStub(() => 'accept-other-id', { timeoutMs: 150, retries: 0 })).authenticate('alice', '1234')()
    expect(r).toEqual({ _tag: 'Left', left: { _tag: 'Timeout', attempts: 1 } })
  })

  it('refuses bad options at construction with a TypeError', () => {
    const server = { host: '127.0.0.1', port: 1812, secret: 's' }
    expect(() => createRadiusClient({ server: { ...server, secret: '' } })).toThrow(TypeError)
    expect(() => createRadiusClient({ server: { ...server, port: 0 } })).toThrow(TypeError)
    expect(() => createRadiusClient({ server: { ...server, host: '' } })).toThrow(TypeError)
    expect(() => createRadiusClient({ server, timeoutMs: 0 })).toThrow(TypeError)
    expect(() => createRadiusClient({ server, retries: -1 })).toThrow(TypeError)
  })

  it('the factor answers a reply signed with another secret as 400 E0000074, never a throw', async () => {
    const factor = radiusFactorWith(await withStub(() => 'accept-wrong-secret'), 'RSA', 'rsa')
    const ctx = { now: 0 } as unknown as FactorContext
    expect(await factor.verify({ userName: 'alice' }, { passCode: '12345678' }, null, ctx)()).toEqual({ _tag: 'Left', left: expect.objectContaining({ code: 'E0000074', causes: [UNAVAILABLE_CAUSE] }) as unknown })
    expect(await factor.enroll({ profile: { credentialId: 'alice' }, passCode: '12345678' }, { login: 'a', email: null }, ctx)()).toEqual({ _tag: 'Left', left: expect.objectContaining({ code: 'E0000074' }) as unknown })
  })
})
