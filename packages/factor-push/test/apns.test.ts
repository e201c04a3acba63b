import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { createServer, type AddressInfo, type Socket } from 'node:net'
import fc from 'fast-check'
import { decodeProtectedHeader, jwtVerify } from 'jose'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createApnsGateway, type ApnsConfig, type ApnsGateway } from '../src/apns.js'
import type { PushChallenge, PushTarget } from '../src/gateway.js'

import { answer, hang, makePki, startStub, type Received, type StubApns } from './apns-stub.js'

// ---------------------------------------------------------------------------------------------

const TEAM_ID = 'TEAM123456'
const KEY_ID = 'KEY1234567'
const TOPIC = 'com.example.authenticator'
const TOKEN = 'ab'.repeat(32)
const T0 = Date.UTC(2026, 0, 1)

const target: PushTarget = { factorId: 'opf1', platform: 'IOS', pushToken: TOKEN }
const challenge: PushChallenge = {
  challengeId: 'sealed.challenge.id',
  factorId: 'opf1abcdef',
  userId: '00u1',
  expiresAt: T0 + 300_000,
  choices: [17, 42, 93],
  context: { login: 'ada@example.com', transactionType: 'LOGIN', clientIp: '203.0.113.9', userAgent: 'Mozilla/5.0' },
}

const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length

let pki: ReturnType<typeof makePki>
let apns: StubApns
let rogue: StubApns
let signing: { readonly privateKey: string; readonly publicKey: KeyObject }
const gateways: ApnsGateway[] = []

const gateway = (overrides: Partial<ApnsConfig> = {}): ApnsGateway => {
  const g = createApnsGateway({ origin: apns.origin, teamId: TEAM_ID, keyId: KEY_ID, privateKey: signing.privateKey, topic: TOPIC, ca: pki.ca.cert, timeoutMs: 2_000, now: () => T0, ...overrides })
  gateways.push(g)
  return g
}
const bearer = (r: Received | undefined): string => {
  const auth = r?.headers.authorization
  if (typeof auth !== 'string' || !auth.startsWith('bearer ')) throw new Error(`no bearer token: ${String(auth)}`)
  return auth.slice('bearer '.length)
}

beforeAll(async () => {
  pki = makePki()
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  signing = { privateKey: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicKey: pair.publicKey }
  apns = await startStub(pki.server)
  rogue = await startStub(pki.rogueServer)
})

afterAll(async () => {
  await Promise.all(gateways.map((g) => g.close()))
  await Promise.all([apns?.close(), rogue?.close()])
  pki?.dispose()
})

beforeEach(() => {
  apns.received.length = 0
  apns.script.length = 0
})

describe('createApnsGateway: delivery', () => {
  it('posts the challenge as an alert with a valid provider token, and returns null', async () => {
    const g = gateway()
    await expect(g.deliver(target, challenge)).resolves.toBeNull()
    expect(apns.received).toHaveLength(1)
    const [r] = apns.received
    expect(r?.headers).toMatchObject({
      ':method': 'POST',
      ':path': `/3/device/${TOKEN}`,
      'apns-topic': TOPIC,
      'apns-push-type': 'alert',
      'apns-priority': '10',
      'apns-expiration': String(Math.floor(challenge.expiresAt / 1000)),
      'apns-collapse-id': challenge.factorId,
      'content-type': 'application/json',
    })
    expect(r?.headers['apns-id']).toBeUndefined()
    const jwt = bearer(r)
    expect(decodeProtectedHeader(jwt)).toEqual({ alg: 'ES256', kid: KEY_ID })
    const { payload } = await jwtVerify(jwt, signing.publicKey, { issuer: TEAM_ID, algorithms: ['ES256'] })
    expect(payload).toEqual({ iss: TEAM_ID, iat: Math.floor(T0 / 1000) })
    expect(JSON.parse(r?.body ?? '')).toEqual({
      aps: { alert: { title: 'Sign-in request', body: 'Approve the sign-in of ada@example.com?' }, category: 'PUSH_CHALLENGE', 'mutable-content': 1 },
      challenge,
    })
  })

  it('reuses one connection and one provider token within its lifetime, and renews the token after it', async () => {
    let clock = T0
    const g = gateway({ now: () => clock, tokenLifetimeMs: 50 * 60_000 })
    const sessionsBefore = apns.sessionsOpened()
    await expect(g.deliver(target, challenge)).resolves.toBeNull()
    clock += 49 * 60_000
    await expect(g.deliver(target, challenge)).resolves.toBeNull()
    clock += 60_001
    await expect(g.deliver(target, challenge)).resolves.toBeNull()
    const [first, second, third] = apns.received.map(bearer)
    expect(second).toBe(first)
    expect(third).not.toBe(first)
    const { payload } = await jwtVerify(third ?? '', signing.publicKey, { issuer: TEAM_ID, algorithms: ['ES256'] })
    expect(payload.iat).toBe(Math.floor(clock / 1000))
    expect(apns.sessionsOpened() - sessionsBefore).toBe(1)
  })

  it('drops userAgent from an oversized payload, and refuses one still too large without a request', async () => {
    const g = gateway()
    const chatty = { ...challenge, context: { ...challenge.context, userAgent: 'x'.repeat(5000) } }
    await expect(g.deliver(target, chatty)).resolves.toBeNull()
    const sent = JSON.parse(apns.received[0]?.body ?? '') as { challenge: PushChallenge }
    expect(sent.challenge).toEqual({ ...chatty, context: { ...chatty.context, userAgent: null } })
    const huge = { ...challenge, context: { ...challenge.context, login: 'a'.repeat(3000) } }
    await expect(g.deliver(target, huge)).resolves.toEqual({ _tag: 'rejected', reason: 'PayloadTooLarge' })
    expect(apns.received).toHaveLength(1)
  })
})

describe('createApnsGateway: APNs answers', () => {
  it.each([
    [410, { reason: 'Unregistered' }, { _tag: 'rejected', reason: 'Unregistered' }],
    [400, { reason: 'BadDeviceToken' }, { _tag: 'rejected', reason: 'BadDeviceToken' }],
    [403, { reason: 'BadCertificateEnvironment' }, { _tag: 'rejected', reason: 'BadCertificateEnvironment' }],
    [413, { reason: 'PayloadTooLarge' }, { _tag: 'rejected', reason: 'PayloadTooLarge' }],
    [404, undefined, { _tag: 'rejected', reason: 'HTTP 404' }],
    [429, { reason: 'TooManyRequests' }, { _tag: 'unavailable', reason: 'TooManyRequests' }],
    [500, { reason: 'InternalServerError' }, { _tag: 'unavailable', reason: 'InternalServerError' }],
    [503, undefined, { _tag: 'unavailable', reason: 'HTTP 503' }],
  ] as const)('%i %j → %j', async (status, body, expected) => {
    apns.script.push(answer(status, body))
    await expect(gateway().deliver(target, challenge)).resolves.toEqual(expected)
    expect(apns.received).toHaveLength(1)
  })

  it('retries once with a fresh provider token after ExpiredProviderToken', async () => {
    let clock = T0
    const g = gateway({ now: () => clock })
    await expect(g.deliver(target, challenge)).resolves.toBeNull()
    clock += 5_000 // a fresh token has another iat, hence another signature input
    apns.script.push(answer(403, { reason: 'ExpiredProviderToken' }))
    await expect(g.deliver(target, challenge)).resolves.toBeNull()
    expect(apns.received).toHaveLength(3)
    const [before, expired, fresh] = apns.received.map(bearer)
    expect(expired).toBe(before)
    expect(fresh).not.toBe(expired)
    await expect(jwtVerify(fresh ?? '', signing.publicKey, { issuer: TEAM_ID })).resolves.toBeDefined()
    // The fresh token is the one kept.
    await expect(g.deliver(target, challenge)).resolves.toBeNull()
    expect(bearer(apns.received[3])).toBe(fresh)
  })

  it('retries only once: a second InvalidProviderToken is the answer', async () => {
    apns.script.push(answer(403, { reason: 'InvalidProviderToken' }), answer(403, { reason: 'InvalidProviderToken' }))
    await expect(gateway().deliver(target, challenge)).resolves.toEqual({ _tag: 'rejected', reason: 'InvalidProviderToken' })
    expect(apns.received).toHaveLength(2)
  })
})

describe('createApnsGateway: failures', () => {
  it('gives up after timeoutMs on a server that never answers, leaving no timer behind', async () => {
    const g = gateway({ timeoutMs: 300 })
    await expect(g.deliver(target, challenge)).resolves.toBeNull() // connected
    const before = timers()
    apns.script.push(hang)
    const started = performance.now()
    await expect(g.deliver(target, challenge)).resolves.toEqual({ _tag: 'unavailable', reason: 'Timeout' })
    const elapsed = performance.now() - started
    expect(elapsed).toBeGreaterThanOrEqual(290)
    expect(elapsed).toBeLessThan(1_500)
    expect(timers()).toBeLessThanOrEqual(before)
    expect(apns.received).toHaveLength(2)
    // The cancelled stream spoiled nothing: the connection serves the next delivery.
    await expect(g.deliver(target, challenge)).resolves.toBeNull()
  })

  it('counts the connection in the deadline: a TLS handshake that never completes is a Timeout', async () => {
    const sockets = new Set<Socket>()
    const silent = createServer((s) => {
      sockets.add(s)
      s.on('error', () => undefined)
    })
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = silent.address() as AddressInfo
      const g = gateway({ origin: `https://127.0.0.1:${port}`, timeoutMs: 300 })
      const before = timers()
      const started = performance.now()
      await expect(g.deliver(target, challenge)).resolves.toEqual({ _tag: 'unavailable', reason: 'Timeout' })
      expect(performance.now() - started).toBeLessThan(1_500)
      expect(timers()).toBeLessThanOrEqual(before)
      await g.close()
    } finally {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => silent.close(() => resolve()))
    }
  })

  it('refuses a server whose certificate is not from the trusted CA, before any request', async () => {
    rogue.received.length = 0
    const g = gateway({ origin: rogue.origin })
    await expect(g.deliver(target, challenge)).resolves.toEqual({ _tag: 'unavailable', reason: 'TLS' })
    expect(rogue.received).toHaveLength(0)
    // Without `ca`, only the system's CAs are trusted: the test CA is not one of them.
    const untrusting = createApnsGateway({ origin: apns.origin, teamId: TEAM_ID, keyId: KEY_ID, privateKey: signing.privateKey, topic: TOPIC })
    gateways.push(untrusting)
    const before = apns.received.length
    await expect(untrusting.deliver(target, challenge)).resolves.toEqual({ _tag: 'unavailable', reason: 'TLS' })
    expect(apns.received).toHaveLength(before)
  })

  it('reports a port with nothing listening as unavailable, and connects again later', async () => {
    const probe = createServer()
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
    const { port } = probe.address() as AddressInfo
    await new Promise<void>((resolve) => probe.close(() => resolve()))
    const g = gateway({ origin: `https://127.0.0.1:${port}` })
    await expect(g.deliver(target, challenge)).resolves.toEqual({ _tag: 'unavailable', reason: 'ECONNREFUSED' })
    await expect(g.deliver(target, challenge)).resolves.toEqual({ _tag: 'unavailable', reason: 'ECONNREFUSED' })
  })

  it('reconnects after the server closed the connection', async () => {
    const g = gateway()
    await expect(g.deliver(target, challenge)).resolves.toBeNull()
    const opened = apns.sessionsOpened()
    apns.script.push((stream) => {
      answer(200)(stream)
      stream.session?.close()
    })
    await expect(g.deliver(target, challenge)).resolves.toBeNull()
    await new Promise((resolve) => setTimeout(resolve, 20))
    await expect(g.deliver(target, challenge)).resolves.toBeNull()
    expect(apns.sessionsOpened()).toBe(opened + 1)
  })

  it('rejects a target without a push token, or with a malformed one, without any request', async () => {
    const g = gateway()
    await expect(g.deliver({ ...target, pushToken: null }, challenge)).resolves.toEqual({ _tag: 'rejected', reason: 'NoPushToken' })
    for (const pushToken of ['', 'ab'.repeat(31), 'zz'.repeat(32), `${TOKEN}/../x`, 'a'.repeat(201)]) {
      await expect(g.deliver({ ...target, pushToken }, challenge)).resolves.toEqual({ _tag: 'rejected', reason: 'BadDeviceToken' })
    }
    expect(apns.received).toHaveLength(0)
  })

  it('closes: the server sees its connection end, and deliveries afterwards are unavailable', async () => {
    const g = gateway()
    await expect(g.deliver(target, challenge)).resolves.toBeNull()
    const open = apns.openSessions()
    await g.close()
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(apns.openSessions()).toBe(open - 1)
    await expect(g.deliver(target, challenge)).resolves.toEqual({ _tag: 'unavailable', reason: 'Closed' })
    await g.close()
  })
})

describe('createApnsGateway: configuration', () => {
  const base = (): ApnsConfig => ({ teamId: TEAM_ID, keyId: KEY_ID, privateKey: signing.privateKey, topic: TOPIC })
  const rsa = (): string => generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  const p384 = (): string => generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()

  it('accepts a valid configuration without connecting', () => {
    const g = createApnsGateway(base())
    gateways.push(g)
    expect(typeof g.deliver).toBe('function')
  })

  it.each<[string, Partial<Record<keyof ApnsConfig, unknown>>]>([
    ['teamId', { teamId: 'TEAM' }],
    ['teamId', { teamId: 'team123456' }],
    ['keyId', { keyId: 'KEY12345678' }],
    ['privateKey', { privateKey: 'garbage' }],
    ['privateKey', { privateKey: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' }],
    ['privateKey', { privateKey: 'RSA' }],
    ['privateKey', { privateKey: 'P-384' }],
    ['topic', { topic: '' }],
    ['topic', { topic: 'com.example app' }],
    ['origin', { origin: 'http://api.push.apple.com' }],
    ['origin', { origin: 'https://api.push.apple.com/3/device' }],
    ['origin', { origin: 'not a url' }],
    ['timeoutMs', { timeoutMs: 0 }],
    ['tokenLifetimeMs', { tokenLifetimeMs: 2 * 60 * 60_000 }],
  ])('throws naming `%s` (%j)', (field, bad) => {
    const privateKey = bad.privateKey === 'RSA' ? rsa() : bad.privateKey === 'P-384' ? p384() : bad.privateKey
    const config = { ...base(), ...bad, ...(privateKey === undefined ? {} : { privateKey }) } as ApnsConfig
    expect(() => createApnsGateway(config)).toThrow(new RegExp(`\`${field}\``))
  })
})

describe('createApnsGateway: property', () => {
  const naivePayload = (c: PushChallenge): string =>
    JSON.stringify({ aps: { alert: { title: 'Sign-in request', body: `Approve the sign-in of ${c.context.login}?` }, category: 'PUSH_CHALLENGE', 'mutable-content': 1 }, challenge: c })

  const challenges: fc.Arbitrary<PushChallenge> = fc.record({
    challengeId: fc.string({ minLength: 1, maxLength: 80 }),
    factorId: fc.oneof(fc.string({ minLength: 1, maxLength: 70 }), fc.string({ minLength: 1, maxLength: 10, unit: 'grapheme' })),
    userId: fc.string({ maxLength: 30 }),
    expiresAt: fc.integer({ min: 0, max: 4_102_444_800_000 }),
    choices: fc.option(fc.uniqueArray(fc.integer({ min: 10, max: 99 }), { minLength: 3, maxLength: 3 })),
    context: fc.record({
      login: fc.string({ maxLength: 300, unit: 'grapheme' }),
      transactionType: fc.constant('LOGIN' as const),
      clientIp: fc.option(fc.oneof(fc.ipV4(), fc.ipV6())),
      userAgent: fc.option(fc.string({ maxLength: 4500, unit: 'binary' })),
    }),
  })

  it('any challenge arrives as JSON of at most 4096 bytes carrying exactly that challenge (or is refused as too large)', async () => {
    const g = gateway()
    await fc.assert(
      fc.asyncProperty(challenges, async (c) => {
        const before = apns.received.length
        const outcome = await g.deliver(target, c)
        const full = Buffer.byteLength(naivePayload(c))
        if (outcome !== null) {
          expect(outcome).toEqual({ _tag: 'rejected', reason: 'PayloadTooLarge' })
          expect(full).toBeGreaterThan(4096)
          expect(apns.received).toHaveLength(before)
          return
        }
        expect(apns.received).toHaveLength(before + 1)
        const r = apns.received[before]
        expect(Buffer.byteLength(r?.body ?? '')).toBeLessThanOrEqual(4096)
        const sent = JSON.parse(r?.body ?? '') as { challenge: PushChallenge }
        const expected = full <= 4096 ? c : { ...c, context: { ...c.context, userAgent: null } }
        expect(sent.challenge).toEqual(expected)
        expect(r?.headers['apns-expiration']).toBe(String(Math.floor(c.expiresAt / 1000)))
        expect(r?.headers['apns-collapse-id']).toBe(/^[\x21-\x7e]{1,64}$/.test(c.factorId) ? c.factorId : undefined)
      }),
      { numRuns: 25 },
    )
  })
})
