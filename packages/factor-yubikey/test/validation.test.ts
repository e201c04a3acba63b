import { createHmac, randomBytes } from 'node:crypto'
import { fc, test } from '@fast-check/vitest'
import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import { describeFactor, expectLeft, expectRight, run } from '@authn-machine/testkit'
import { createSeededRandom, createTrivialHasher } from '@authn-machine/testkit/fixtures'
import { CAUSES, type FactorContext } from '@authn-machine/core'
import {
  MALFORMED_OTP_CAUSE,
  VALIDATION_UNAVAILABLE_CAUSE,
  WSAPI_STATUSES,
  createYubicoValidationClient,
  createYubikeyFactor,
  decodeApiKey,
  formatWsapiAnswer,
  hasValidSignature,
  isNonce,
  keySourceOf,
  parseWsapiAnswer,
  readAnswer,
  signatureOf,
  signed,
  signedText,
  verifyUrlOf,
  type WsapiStatus,
  type YubicoValidationOptions,
  type YubikeyKey,
  type YubikeyValidationSecret,
} from '../src/index.js'
import { otpAt } from './otp-generator.js'
import { deadUrl, startValidationServer } from './validation-server.js'

const KEY: YubikeyKey = { serial: 4102994, publicId: 'ccccccdvnbhl', privateId: 'a1b2c3d4e5f6', aesKey: '5b3c9a0f7d2e4b6a8c1d3e5f7a9b0c2d' }
const OTHER: YubikeyKey = { serial: 7886622, publicId: 'ccccccrtkjbe', privateId: '0f1e2d3c4b5a', aesKey: 'd2c4e6f8a0b1c3d5e7f9a1b3c5d7e9f0' }
/** The ykparse(1) example's key (an 8-character public id). */
const YKPARSE: YubikeyKey = { serial: 1, publicId: 'dteffuje', privateId: '8792ebfe26cc', aesKey: 'ecde18dbe76fbd0c33330f1c354871db' }
const YKPARSE_OTP = 'dteffujedcflcindvdbrblehecuitvjkjevvehjd'
const YKPARSE_POSITION = 19 * 256 + 16

const CLIENT_ID = '4711'
const API_KEY = Buffer.from('a validation api key of twenty!').toString('base64')
const KEYS = [KEY, OTHER, YKPARSE]

const subject = { login: 'dade@example.com', email: 'dade@example.com' }
/** A context with fresh randomness each time (so every request has a new nonce). */
const ctx = (): FactorContext => ({ random: { bytes: (n) => new Uint8Array(randomBytes(n)) }, hasher: createTrivialHasher(), now: Date.UTC(2026, 0, 1) })

/** The server the conformance suite runs against: it checks OTPs but leaves replays to the factor's counter (the suite reuses its OTPs on purpose). */
const stateless = await startValidationServer({ keys: KEYS, clients: { [CLIENT_ID]: API_KEY }, trackReplays: false })
/** A server as Yubico's: replays refused. */
const server = await startValidationServer({ keys: KEYS, clients: { [CLIENT_ID]: API_KEY } })
const backup = await startValidationServer({ keys: KEYS, clients: { [CLIENT_ID]: API_KEY } })
const down = await deadUrl()
afterAll(async () => {
  await Promise.all([stateless.close(), server.close(), backup.close()])
})

const options = (urls: ReadonlyArray<string>, extra: Partial<YubicoValidationOptions> = {}): YubicoValidationOptions => ({ urls, clientId: CLIENT_ID, apiKey: API_KEY, timeoutMs: 2_000, ...extra })
const factorAt = (urls: ReadonlyArray<string>, extra: Partial<YubicoValidationOptions> = {}) => createYubikeyFactor({ validation: options(urls, extra) })

/** Each test's OTPs are above every earlier one (the replay-tracking servers keep the last position of each key). */
let nextPosition = 0x0100
const fresh = (): number => (nextPosition += 3)

const verifyWith = async (factor: ReturnType<typeof factorAt>, secret: YubikeyValidationSecret, passCode: string, lastCounter: number | null = null, c: FactorContext = ctx()) =>
  run(factor.verify(secret, { passCode }, lastCounter, c))
const enrollWith = async (factor: ReturnType<typeof factorAt>, passCode: unknown) =>
  run(factor.enroll(expectRight(factor.enrollRequestCodec.decode({ profile: {}, passCode })), subject, ctx()))

beforeEach(() => {
  for (const s of [stateless, server, backup]) for (const k of Object.keys(s.behaviour)) delete s.behaviour[k as keyof typeof s.behaviour]
})

// ---------------------------------------------------------------- signing and answers

const arbKeyName = fc.stringMatching(/^[a-z][a-z0-9_]{0,11}$/)
const arbValue = fc.string({ maxLength: 40 }).filter((v) => !/[\r\n]/.test(v))
const arbFields = fc.uniqueArray(fc.tuple(arbKeyName, arbValue), { minLength: 1, maxLength: 10, selector: ([k]) => k }).map((pairs) => new Map(pairs.filter(([k]) => k !== 'h')))
const arbApiKey = fc.uint8Array({ minLength: 1, maxLength: 64 })

describe('protocol 2.0 signatures and answers', () => {
  test.prop([arbFields, arbApiKey])('any parameter set signs and verifies, in any order', (fields, key) => {
    const message = signed(fields, key)
    expect(hasValidSignature(message, key)).toBe(true)
    const reversed = new Map([...message].reverse())
    expect(hasValidSignature(reversed, key)).toBe(true)
    expect(signatureOf(reversed, key)).toBe(message.get('h'))
  })

  test.prop([arbFields, arbApiKey])('the signed text is the pairs other than h, sorted by key, joined with &; h is HMAC-SHA1 in base64', (fields, key) => {
    const sorted = [...fields].sort(([a], [b]) => (a < b ? -1 : 1))
    expect(signedText(new Map([...fields, ['h', 'ignored']]))).toBe(sorted.map(([k, v]) => `${k}=${v}`).join('&'))
    expect(signatureOf(fields, key)).toBe(createHmac('sha1', key).update(sorted.map(([k, v]) => `${k}=${v}`).join('&')).digest('base64'))
  })

  test.prop([arbFields, arbApiKey, fc.nat(), fc.constantFrom('change', 'drop', 'add', 'rename'), arbValue])(
    'any tampered field fails the signature: a value changed, a field dropped, added or renamed',
    (fields, key, i, how, extra) => {
      const message = signed(fields, key)
      const names = [...fields.keys()]
      const name = names[i % names.length] ?? 'x'
      const tampered = new Map(message)
      if (how === 'change') tampered.set(name, `${fields.get(name) ?? ''}${extra === '' ? '!' : extra}`)
      else if (how === 'drop') tampered.delete(name)
      else if (how === 'add') tampered.set(`${name}z`.slice(0, 20) + (fields.has(`${name}z`) ? 'q' : ''), extra)
      else {
        tampered.delete(name)
        tampered.set(`${name}2`, fields.get(name) ?? '')
      }
      fc.pre(signedText(tampered) !== signedText(message))
      expect(hasValidSignature(tampered, key)).toBe(false)
    },
  )

  test.prop([arbFields, arbApiKey, arbApiKey])('another key fails the signature; a message without h never verifies', (fields, key, other) => {
    fc.pre(Buffer.compare(Buffer.from(key), Buffer.from(other)) !== 0)
    expect(hasValidSignature(signed(fields, key), other)).toBe(false)
    expect(hasValidSignature(fields, key)).toBe(false)
  })

  test.prop([arbFields, arbApiKey, fc.boolean()])('an answer written out reads back the same (CRLF or LF), h with its = padding included', (fields, key, lf) => {
    const message = signed(fields, key)
    const text = formatWsapiAnswer(message)
    expect(parseWsapiAnswer(lf ? text.replaceAll('\r\n', '\n') : text)).toEqual(message)
  })

  it('an ambiguous or unreadable answer is null: a repeated key, a line without =, an empty key', () => {
    for (const text of ['status=OK\r\nstatus=BAD_OTP\r\n', 'status=OK\r\nnonsense\r\n', '=x\r\n']) expect(parseWsapiAnswer(text), text).toBeNull()
    expect(parseWsapiAnswer('\r\n\r\nh=abc=\r\n')).toEqual(new Map([['h', 'abc=']]))
  })

  it('API keys are canonical base64 of 1 to 64 bytes', () => {
    expect(decodeApiKey(API_KEY)).toEqual(new Uint8Array(Buffer.from('a validation api key of twenty!')))
    for (const bad of ['', 'abc', 'ab=c', 'not base64!', Buffer.alloc(65).toString('base64'), 'YQ', 'YR==']) expect(decodeApiKey(bad), bad).toBeNull()
  })

  it('verify URLs: a bare server gets /wsapi/2.0/verify; other schemes, credentials, queries and fragments are refused', () => {
    expect(verifyUrlOf('https://api.example.com')).toBe('https://api.example.com/wsapi/2.0/verify')
    expect(verifyUrlOf('http://127.0.0.1:8080/')).toBe('http://127.0.0.1:8080/wsapi/2.0/verify')
    expect(verifyUrlOf('https://val.example.com/custom/verify')).toBe('https://val.example.com/custom/verify')
    for (const bad of ['ftp://x', 'https://u:p@x', 'https://x/?a=1', 'https://x/#f', 'not a url']) expect(verifyUrlOf(bad), bad).toBeNull()
  })

  test.prop([fc.constantFrom<WsapiStatus>('OK', 'BAD_OTP', 'REPLAYED_OTP', 'DELAYED_OTP'), fc.constantFrom('signature', 'otp', 'nonce')])(
    'a verdict is trusted only when signed and about this OTP and nonce',
    (status, broken) => {
      const key = decodeApiKey(API_KEY) ?? new Uint8Array(1)
      const otp = otpAt(KEY, 5)
      const nonce = 'a'.repeat(32)
      const fields = new Map([['otp', otp], ['nonce', nonce], ['status', status], ['t', 'now']])
      expect(readAnswer(formatWsapiAnswer(signed(fields, key)), key, otp, nonce)).toMatchObject({ status, signed: true })
      const bad = broken === 'signature' ? new Map([...signed(fields, key), ['h', 'AAAA']]) : signed(new Map([...fields, [broken, 'x'.repeat(32)]]), key)
      expect(readAnswer(formatWsapiAnswer(bad), key, otp, nonce)).toEqual({ _tag: 'Untrusted', reason: broken })
    },
  )

  it('an answer that is not a verdict is taken as it is, signed or not; an unknown or missing status is untrusted', () => {
    const key = decodeApiKey(API_KEY) ?? new Uint8Array(1)
    expect(readAnswer('status=NO_SUCH_CLIENT\r\n', key, 'x', 'y')).toEqual({ status: 'NO_SUCH_CLIENT', signed: false, sessionCounter: null, sessionUse: null })
    expect(readAnswer('status=MAYBE\r\n', key, 'x', 'y')).toEqual({ _tag: 'Untrusted', reason: 'status' })
    expect(readAnswer('t=now\r\n', key, 'x', 'y')).toEqual({ _tag: 'Untrusted', reason: 'status' })
    expect(readAnswer(null, key, 'x', 'y')).toEqual({ _tag: 'Untrusted', reason: 'unreadable' })
    expect(isNonce('a'.repeat(15))).toBe(false)
    expect(isNonce('a'.repeat(41))).toBe(false)
    expect(isNonce('aZ09'.repeat(4))).toBe(true)
  })
})

// ---------------------------------------------------------------- the factor against a local validation server

describeFactor('yubikey (validation-server mode)', {
  factor: factorAt([stateless.url]),
  enrollRequest: { profile: {}, passCode: otpAt(KEY, 0x0300) },
  validAnswer: () => ({ passCode: otpAt(KEY, 0x0301) }),
  invalidAnswers: (secret) => [
    { passCode: otpAt({ ...KEY, aesKey: OTHER.aesKey }, 0x0301) },
    { passCode: otpAt({ ...KEY, privateId: OTHER.privateId }, 0x0301) },
    { passCode: otpAt(OTHER, 0x0301) },
    { passCode: `${secret.publicId}${'c'.repeat(32)}` },
    { passCode: otpAt(KEY, 0x0301).slice(0, -1) },
    { passCode: '123456' },
    { passCode: '' },
  ],
  publicSecretStrings: (secret) => [secret.publicId],
  malformedEnrollRequests: [{ profile: {} }, { profile: {}, passCode: '' }, { profile: {}, passCode: '123456' }, { profile: {}, passCode: 'c'.repeat(66) }],
  vectors: [
    { name: 'ykparse(1) example, asked of the server', secret: { publicId: YKPARSE.publicId }, answer: { passCode: YKPARSE_OTP }, now: 0, lastCounter: null, expected: { counter: YKPARSE_POSITION } },
    { name: 'ykparse(1) example at or below lastCounter is a replay', secret: { publicId: YKPARSE.publicId }, answer: { passCode: YKPARSE_OTP }, now: 0, lastCounter: YKPARSE_POSITION, expected: 'Replayed' },
    { name: 'ykparse(1) example against another public id, not asked', secret: { publicId: 'dteffujf' }, answer: { passCode: YKPARSE_OTP }, now: 0, lastCounter: null, expected: 'Rejected' },
  ],
  numRuns: 20,
})

describe('validation-server mode against a local validation server', () => {
  const f = factorAt([server.url])
  const secret: YubikeyValidationSecret = { publicId: KEY.publicId }

  it('enrolls with an OTP the server accepts: ACTIVE at once, the public id as credentialId and as the whole secret', async () => {
    const e = expectRight(await enrollWith(f, otpAt(KEY, fresh()).toUpperCase()))
    expect(e).toEqual({ profile: { credentialId: KEY.publicId }, secret: { publicId: KEY.publicId }, activation: 'none' })
    expect(f.activationView(e.profile, e.secret, { qrcode: 'x' })).toBeNull()
  })

  it('a signed request: id, otp, a 16-to-40-character nonce, timestamp=1, sl and timeout when configured, and h', async () => {
    const g = factorAt([server.url], { syncLevel: 50, serverTimeoutSeconds: 3 })
    const otp = otpAt(KEY, fresh())
    expect(expectRight(await verifyWith(g, secret, otp))._tag).toBe('Accepted')
    const q = server.requests.at(-1) ?? {}
    expect(Object.keys(q).sort()).toEqual(['h', 'id', 'nonce', 'otp', 'sl', 'timeout', 'timestamp'])
    expect(q).toMatchObject({ id: CLIENT_ID, otp, sl: '50', timeout: '3', timestamp: '1' })
    expect(isNonce(q['nonce'] ?? '')).toBe(true)
    expect(hasValidSignature(new Map(Object.entries(q)), decodeApiKey(API_KEY) ?? new Uint8Array(1))).toBe(true)
  })

  it('accepted: OK with the token counters is Accepted at its position; without counters, with no counter', async () => {
    const p = fresh()
    expect(expectRight(await verifyWith(f, secret, otpAt(KEY, p)))).toEqual({ _tag: 'Accepted', counter: p })
    server.behaviour.noCounters = true
    expect(expectRight(await verifyWith(f, secret, otpAt(KEY, fresh())))).toEqual({ _tag: 'Accepted', counter: null })
  })

  it('REPLAYED_OTP is Replayed: the same OTP again, or an earlier one', async () => {
    const p = fresh()
    expect(expectRight(await verifyWith(f, secret, otpAt(KEY, p)))._tag).toBe('Accepted')
    expect(expectRight(await verifyWith(f, secret, otpAt(KEY, p)))).toEqual({ _tag: 'Replayed' })
    expect(expectRight(await verifyWith(f, secret, otpAt(KEY, p - 1)))).toEqual({ _tag: 'Replayed' })
  })

  it('OK for a position at or below lastCounter is Replayed all the same', async () => {
    const p = fresh()
    expect(expectRight(await verifyWith(f, secret, otpAt(KEY, p), p + 10))).toEqual({ _tag: 'Replayed' })
  })

  it('BAD_OTP is Rejected: a tampered OTP, another key of this public id', async () => {
    const p = fresh()
    const tampered = `${otpAt(KEY, p).slice(0, -1)}${otpAt(KEY, p).endsWith('c') ? 'b' : 'c'}`
    for (const otp of [tampered, otpAt({ ...KEY, aesKey: OTHER.aesKey }, p)]) expect(expectRight(await verifyWith(f, secret, otp)), otp).toEqual({ _tag: 'Rejected' })
  })

  it("an OTP of another public id, or not an OTP, is Rejected without asking the server", async () => {
    const before = server.requests.length
    for (const otp of [otpAt(OTHER, fresh()), '123456', 'x'.repeat(44)]) expect(expectRight(await verifyWith(f, secret, otp))).toEqual({ _tag: 'Rejected' })
    expect(expectRight(await verifyWith(f, secret, otpAt(KEY, fresh()), Number.NaN))).toEqual({ _tag: 'Rejected' })
    expect(server.requests.length).toBe(before)
  })

  it('an answer with a wrong signature, no signature, another otp or another nonce is refused: 400 E0000074, never Accepted', async () => {
    for (const tamper of ['signature', 'unsigned', 'otp', 'nonce', 'garbage'] as const) {
      server.behaviour.tamper = tamper
      const r = expectLeft(await verifyWith(f, secret, otpAt(KEY, fresh())))
      expect(r, tamper).toEqual({ code: 'E0000074', causes: [VALIDATION_UNAVAILABLE_CAUSE] })
    }
  })

  it('statuses: configuration ones are 500 E0000009; BACKEND_ERROR, NOT_ENOUGH_ANSWERS and REPLAYED_REQUEST 400 E0000074; DELAYED_OTP Rejected', async () => {
    const expected: Readonly<Record<WsapiStatus, string>> = {
      OK: 'Accepted',
      BAD_OTP: 'Rejected',
      DELAYED_OTP: 'Rejected',
      REPLAYED_OTP: 'Replayed',
      BAD_SIGNATURE: 'E0000009',
      MISSING_PARAMETER: 'E0000009',
      NO_SUCH_CLIENT: 'E0000009',
      OPERATION_NOT_ALLOWED: 'E0000009',
      BACKEND_ERROR: 'E0000074',
      NOT_ENOUGH_ANSWERS: 'E0000074',
      REPLAYED_REQUEST: 'E0000074',
    }
    for (const status of WSAPI_STATUSES) {
      server.behaviour.status = status
      const r = await verifyWith(f, secret, otpAt(KEY, fresh()))
      expect(r._tag === 'Right' ? r.right._tag : r.left.code, status).toBe(expected[status])
    }
  })

  it('REPLAYED_REQUEST from the server itself (this OTP with this nonce seen before): 400 E0000074, no second request', async () => {
    const otp = otpAt(KEY, fresh())
    const same = (): FactorContext => ({ random: createSeededRandom('one nonce'), hasher: createTrivialHasher(), now: 0 })
    expect(expectRight(await verifyWith(f, secret, otp, null, same()))._tag).toBe('Accepted')
    const before = server.requests.length
    expect(expectLeft(await verifyWith(f, secret, otp, null, same())).code).toBe('E0000074')
    expect(server.requests.length).toBe(before + 1)
  })

  it('a wrong API key or an unknown client id is refused by the server: 500 E0000009 naming the status', async () => {
    const wrongKey = factorAt([server.url], { apiKey: Buffer.from('another key').toString('base64') })
    expect(expectLeft(await verifyWith(wrongKey, secret, otpAt(KEY, fresh())))).toMatchObject({ code: 'E0000009', causes: [expect.stringContaining('BAD_SIGNATURE')] })
    const unknown = factorAt([server.url], { clientId: '99' })
    expect(expectLeft(await verifyWith(unknown, secret, otpAt(KEY, fresh())))).toMatchObject({ code: 'E0000009', causes: [expect.stringContaining('NO_SUCH_CLIENT')] })
  })

  it('server down: 400 E0000074 (nothing said about the code)', async () => {
    expect(expectLeft(await verifyWith(factorAt([down]), secret, otpAt(KEY, fresh())))).toEqual({ code: 'E0000074', causes: [VALIDATION_UNAVAILABLE_CAUSE] })
    expect(expectLeft(await enrollWith(factorAt([down]), otpAt(KEY, fresh()))).code).toBe('E0000074')
  })

  it('the first URL down, the second up: the second answers', async () => {
    const before = backup.requests.length
    const p = fresh()
    expect(expectRight(await verifyWith(factorAt([down, backup.url]), secret, otpAt(KEY, p)))).toEqual({ _tag: 'Accepted', counter: p })
    expect(backup.requests.length).toBe(before + 1)
  })

  it('an HTTP error moves on to the next server; an answer, even a refusal, does not', async () => {
    server.behaviour.tamper = 'http500'
    const p = fresh()
    expect(expectRight(await verifyWith(factorAt([server.url, backup.url]), secret, otpAt(KEY, p)))).toEqual({ _tag: 'Accepted', counter: p })
    server.behaviour.tamper = undefined
    server.behaviour.status = 'BACKEND_ERROR'
    const before = backup.requests.length
    expect(expectLeft(await verifyWith(factorAt([server.url, backup.url]), secret, otpAt(KEY, fresh()))).code).toBe('E0000074')
    expect(backup.requests.length).toBe(before)
  })

  it('timeout: a server slower than timeoutMs gives 400 E0000074 within the bound; the next server is then asked', async () => {
    server.behaviour.delayMs = 3_000
    const slow = factorAt([server.url], { timeoutMs: 200 })
    const started = Date.now()
    expect(expectLeft(await verifyWith(slow, secret, otpAt(KEY, fresh()))).code).toBe('E0000074')
    expect(Date.now() - started).toBeLessThan(2_000)
    const p = fresh()
    const slowThenBackup = factorAt([server.url, backup.url], { timeoutMs: 200 })
    expect(expectRight(await verifyWith(slowThenBackup, secret, otpAt(KEY, p)))).toEqual({ _tag: 'Accepted', counter: p })
  })

  it('enrollment: BAD_OTP is 403 E0000068, REPLAYED_OTP 403 E0000082, a malformed OTP 400 E0000001 without asking', async () => {
    const p = fresh()
    expect(expectLeft(await enrollWith(f, otpAt({ ...KEY, aesKey: OTHER.aesKey }, p)))).toEqual({ code: 'E0000068', causes: [CAUSES.passcodeMismatch] })
    expect(expectRight(await enrollWith(f, otpAt(KEY, p))).secret).toEqual({ publicId: KEY.publicId })
    expect(expectLeft(await enrollWith(f, otpAt(KEY, p))).code).toBe('E0000082')
    const before = server.requests.length
    expect(expectLeft(await enrollWith(f, '123456'))).toEqual({ code: 'E0000001', causes: [MALFORMED_OTP_CAUSE], argument: 'factorEnrollRequest' })
    expect(server.requests.length).toBe(before)
  })

  it('seeding: a public id (secret or credentialId) gives an ACTIVE factor; anything else is E0000001', async () => {
    const seed = (s: { profile: Record<string, unknown>; secret?: string }) => run(f.seed(s, subject, ctx()))
    const expectedEnrollment = { profile: { credentialId: KEY.publicId }, secret: { publicId: KEY.publicId }, activation: 'none' }
    expect(expectRight(await seed({ profile: {}, secret: KEY.publicId.toUpperCase() }))).toEqual(expectedEnrollment)
    expect(expectRight(await seed({ profile: { credentialId: KEY.publicId } }))).toEqual(expectedEnrollment)
    expect(expectRight(await seed({ profile: { credentialId: KEY.publicId }, secret: KEY.publicId }))).toEqual(expectedEnrollment)
    for (const bad of [{ profile: {} }, { profile: {}, secret: 'not modhex' }, { profile: { credentialId: OTHER.publicId }, secret: KEY.publicId }, { profile: { credentialId: 7 } }, { profile: {}, secret: `1,${KEY.publicId},${KEY.privateId},${KEY.aesKey}` }])
      expect(expectLeft(await seed(bad)).code, JSON.stringify(bad)).toBe('E0000001')
  })

  it('a secret that did not come through the codec is 500 E0000009', async () => {
    expect(expectLeft(await run(f.verify({ publicId: 'x' } as YubikeyValidationSecret, { passCode: otpAt(KEY, 1) }, null, ctx()))).code).toBe('E0000009')
  })

  it('a local-mode secret read in validation-server mode is the same key, by its public id', () => {
    const local = { publicId: KEY.publicId, privateId: KEY.privateId, aesKey: KEY.aesKey, enrolledCounter: 3 }
    expect(f.secretCodec.decode(local)).toEqual({ _tag: 'Right', right: { publicId: KEY.publicId } })
  })

  it('bad options throw a TypeError at construction; keys and validation together too', () => {
    for (const bad of [
      { urls: [] },
      { urls: ['ftp://x'] },
      { clientId: 'abc' },
      { apiKey: 'not base64!' },
      { timeoutMs: 0 },
      { syncLevel: 101 },
      { serverTimeoutSeconds: -1 },
    ] as ReadonlyArray<Partial<YubicoValidationOptions>>)
      expect(() => createYubicoValidationClient(options([server.url], bad)), JSON.stringify(bad)).toThrow(TypeError)
    const both = { keys: keySourceOf([KEY]), validation: options([server.url]) } as unknown as Parameters<typeof createYubikeyFactor>[0]
    expect(() => createYubikeyFactor(both)).toThrow(TypeError)
  })
})
