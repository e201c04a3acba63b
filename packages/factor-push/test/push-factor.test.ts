import { createPublicKey, generateKeyPairSync, sign as cryptoSign } from 'node:crypto'
import { fc, test } from '@fast-check/vitest'
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose'
import { describe, expect, it } from 'vitest'
import { describeFactor, expectRight, run } from '@authn-machine/testkit'
import { createSeededRandom, createTrivialHasher } from '@authn-machine/testkit/fixtures'
import type { ChallengeContext, IssuedNonce } from '@authn-machine/core'
import { createPushFactor, createPushMailbox, enrollmentUriOf, numberChallengeOf, type PushChallenge, type PushProfile } from '../src/index.js'
import { DEVICE_PATHS, inProcessTransport, parseEnrollmentUri } from '../src/device.js'

const NOW = Date.UTC(2026, 11, 1, 12)
const ORIGIN = 'https://login.example.com'
const FACTOR_ID = 'opf1a2b3c4d5e6f7g8h9'
const subject = { login: 'pat@example.com', email: 'pat@example.com' }
const ctxAt = (now: number, origin = ORIGIN): ChallengeContext => ({ random: createSeededRandom(now), hasher: createTrivialHasher(), now, origin })
const seconds = (ms: number) => Math.floor(ms / 1000)

const keyPair = await generateKeyPair('ES256', { extractable: true })
const publicJwk = await exportJWK(keyPair.publicKey)
const spkiOf = (jwk: JWK): string => createPublicKey({ key: jwk as never, format: 'jwk' }).export({ type: 'spki', format: 'der' }).toString('base64')
const activeProfile: PushProfile = {
  credentialId: subject.login,
  deviceType: 'SmartPhone_IPhone',
  name: 'Pat’s phone',
  platform: 'IOS',
  version: '17.2',
  keys: [{ kty: 'PKIX', use: 'sig', kid: 'default', x5c: [spkiOf(publicJwk)] }],
}

/** A JWS as a device signs one: `claims`, the audience, issued at `at`, living `life` seconds. */
const jws = (key: CryptoKey, claims: Record<string, unknown>, o: { at?: number; life?: number; aud?: string; sub?: string; alg?: string } = {}) => {
  const at = seconds(o.at ?? NOW)
  const j = new SignJWT(claims).setProtectedHeader({ alg: o.alg ?? 'ES256' }).setAudience(o.aud ?? ORIGIN).setIssuedAt(at).setExpirationTime(at + (o.life ?? 60))
  return (o.sub === undefined ? j : j.setSubject(o.sub)).sign(key)
}

describe('the push factor through the factor suite', () => {
  describeFactor('push', {
    factor: createPushFactor(),
    enrollRequest: {},
    seed: { profile: activeProfile },
    responseFields: ['challengeId', 'challengeResponse'],
    wrongResponses: [
      { challengeId: 'x', challengeResponse: 'a.b.c' },
      { challengeId: 'x', challengeResponse: 'eyJhbGciOiJub25lIn0.eyJjb25zZW50IjoiQVBQUk9WRUQifQ.' },
    ],
    malformedEnrollRequests: [{ profile: 7 }],
  })
})

describe('a device activation (register)', () => {
  const factor = createPushFactor()
  const device = factor.delegation.device
  if (device === undefined) throw new Error('push has a device')
  const register = async (fields: Record<string, unknown>, at = NOW) =>
    expectRight(await run(device.register({ credentialId: subject.login }, { factorId: FACTOR_ID, device: { name: 'phone', platform: 'ANDROID' }, ...fields }, FACTOR_ID, ctxAt(at))))

  it('a proof by the key, for this origin and factor: Registered, the key kept as its SubjectPublicKeyInfo, the push token as the secret', async () => {
    const r = await register({ key: publicJwk, proof: await jws(keyPair.privateKey, {}, { sub: FACTOR_ID }), device: { name: 'Pat’s phone', platform: 'IOS', version: '17.2', pushToken: 'ab'.repeat(32) } })
    expect(r).toEqual({ _tag: 'Registered', profile: activeProfile, secret: { pushToken: 'ab'.repeat(32) }, counter: null })
  })

  it('an RSA key of 2048 bits with RS256 is taken; P-384, RSA-1024 and a mismatched algorithm are not', async () => {
    const rsa = await generateKeyPair('RS256', { modulusLength: 2048 })
    const r = await register({ key: await exportJWK(rsa.publicKey), proof: await jws(rsa.privateKey, {}, { sub: FACTOR_ID, alg: 'RS256' }) })
    expect(r._tag).toBe('Registered')
    const p384 = await generateKeyPair('ES384')
    expect((await register({ key: await exportJWK(p384.publicKey), proof: await jws(p384.privateKey, {}, { sub: FACTOR_ID, alg: 'ES384' }) }))._tag).toBe('Rejected')
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 })
    const smallJwk = small.publicKey.export({ format: 'jwk' }) as JWK
    // jose refuses to sign with it; node:crypto does, as a device might.
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')
    const input = `${b64({ alg: 'RS256' })}.${b64({ aud: ORIGIN, sub: FACTOR_ID, iat: seconds(NOW), exp: seconds(NOW) + 60 })}`
    const smallProof = `${input}.${cryptoSign('sha256', Buffer.from(input), small.privateKey).toString('base64url')}`
    expect((await register({ key: smallJwk, proof: smallProof }))._tag).toBe('Rejected')
    // An EC key whose proof claims RS256 in its header.
    expect((await register({ key: publicJwk, proof: await jws(keyPair.privateKey, {}, { sub: FACTOR_ID }).then((t) => `${Buffer.from('{"alg":"RS256"}').toString('base64url')}.${t.split('.').slice(1).join('.')}`) }))._tag).toBe('Rejected')
  })

  test.prop([fc.constantFrom('aud', 'sub', 'stale', 'future', 'long', 'otherKey', 'private', 'tampered', 'garbage', 'factorId')], { numRuns: 40 })(
    'a proof that does not hold is Rejected (never a throw): another audience or factor, stale, from the future, living too long, by another key, a private JWK, tampered, garbage, another factor in the body',
    async (flaw) => {
      const other = await generateKeyPair('ES256', { extractable: true })
      const proofs: Record<typeof flaw, () => Promise<Record<string, unknown>>> = {
        aud: async () => ({ key: publicJwk, proof: await jws(keyPair.privateKey, {}, { sub: FACTOR_ID, aud: 'https://evil.example' }) }),
        sub: async () => ({ key: publicJwk, proof: await jws(keyPair.privateKey, {}, { sub: 'opfOther' }) }),
        stale: async () => ({ key: publicJwk, proof: await jws(keyPair.privateKey, {}, { sub: FACTOR_ID, at: NOW - 400_000, life: 600 }) }),
        future: async () => ({ key: publicJwk, proof: await jws(keyPair.privateKey, {}, { sub: FACTOR_ID, at: NOW + 120_000 }) }),
        long: async () => ({ key: publicJwk, proof: await jws(keyPair.privateKey, {}, { sub: FACTOR_ID, life: 3600 }) }),
        otherKey: async () => ({ key: publicJwk, proof: await jws(other.privateKey, {}, { sub: FACTOR_ID }) }),
        private: async () => ({ key: await exportJWK(other.privateKey), proof: await jws(other.privateKey, {}, { sub: FACTOR_ID }) }),
        // A character in the middle of the signature (the last one may only carry unused bits).
        tampered: async () => {
          const t = await jws(keyPair.privateKey, {}, { sub: FACTOR_ID })
          const at = t.length - 20
          return { key: publicJwk, proof: `${t.slice(0, at)}${t[at] === 'A' ? 'B' : 'A'}${t.slice(at + 1)}` }
        },
        garbage: async () => ({ key: { kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA' }, proof: 'x.y.z' }),
        factorId: async () => ({ factorId: 'opfOther', key: publicJwk, proof: await jws(keyPair.privateKey, {}, { sub: FACTOR_ID }) }),
      }
      expect((await register(await proofs[flaw]()))._tag).toBe('Rejected')
    },
  )
})

describe('a device answer (confirm)', () => {
  const factor = createPushFactor()
  const started: IssuedNonce = { nonce: 'n0nce-of-the-verification-0000000', expiresAt: NOW + 300_000 }
  const { correctAnswer, choices } = numberChallengeOf(started.nonce)
  const confirm = async (claims: Record<string, unknown>, o: Parameters<typeof jws>[2] & { key?: CryptoKey; challengeId?: string; now?: number; profile?: PushProfile } = {}) =>
    expectRight(
      await run(
        factor.delegation.confirm(o.profile ?? activeProfile, { challengeId: o.challengeId ?? 'ch-1', challengeResponse: await jws(o.key ?? keyPair.privateKey, { challengeId: 'ch-1', ...claims }, o) }, started, ctxAt(o.now ?? NOW)),
      ),
    )

  it('approved with the number shown: confirmed; with another of the choices: denied; denied: denied', async () => {
    expect(await confirm({ consent: 'APPROVED', selectedAnswer: correctAnswer })).toBe('confirmed')
    for (const n of choices.filter((c) => c !== correctAnswer)) expect(await confirm({ consent: 'APPROVED', selectedAnswer: n })).toBe('denied')
    expect(await confirm({ consent: 'APPROVED' })).toBe('denied')
    expect(await confirm({ consent: 'DENIED' })).toBe('denied')
  })

  it('without number matching, an approval needs no number', async () => {
    const plain = createPushFactor({ numberChallenge: false })
    const response = await jws(keyPair.privateKey, { challengeId: 'ch-1', consent: 'APPROVED' })
    expect(expectRight(await run(plain.delegation.confirm(activeProfile, { challengeId: 'ch-1', challengeResponse: response }, started, ctxAt(NOW))))).toBe('confirmed')
  })

  test.prop([fc.integer({ min: 0, max: 120 })], { numRuns: 60 })('for any number picked, confirmed exactly when it is the one shown', async (n) => {
    expect(await confirm({ consent: 'APPROVED', selectedAnswer: n })).toBe(n === correctAnswer ? 'confirmed' : 'denied')
  })

  it('what the device did not sign, for this challenge, in time, is rejected: another key, another challenge id, another origin, an unknown consent, a late answer, a pending enrollment', async () => {
    const other = await generateKeyPair('ES256')
    const approve = { consent: 'APPROVED', selectedAnswer: correctAnswer }
    expect(await confirm(approve, { key: other.privateKey })).toBe('rejected')
    expect(await confirm(approve, { challengeId: 'ch-2' })).toBe('rejected')
    expect(await confirm(approve, { aud: 'https://evil.example' })).toBe('rejected')
    expect(await confirm({ consent: 'MAYBE' })).toBe('rejected')
    expect(await confirm(approve, { life: 600 })).toBe('rejected')
    expect(await confirm(approve, { now: started.expiresAt, at: started.expiresAt })).toBe('rejected')
    expect(await confirm(approve, { at: NOW - 400_000 })).toBe('rejected')
    expect(await confirm(approve, { profile: { credentialId: subject.login } })).toBe('rejected')
  })
})

describe('number matching', () => {
  test.prop([fc.string({ maxLength: 64 })], { numRuns: 500 })('any nonce gives three distinct numbers from 10 to 99, the shown one among them, the same every time', (nonce) => {
    const a = numberChallengeOf(nonce)
    expect(new Set(a.choices).size).toBe(3)
    expect(a.choices).toContain(a.correctAnswer)
    for (const n of a.choices) expect(n >= 10 && n <= 99).toBe(true)
    expect(numberChallengeOf(nonce)).toEqual(a)
  })

  it('the shown number is not always the first choice, and takes many values', () => {
    const many = Array.from({ length: 300 }, (_, i) => numberChallengeOf(`nonce-${i}`))
    expect(new Set(many.map((m) => m.choices.indexOf(m.correctAnswer))).size).toBe(3)
    expect(new Set(many.map((m) => m.correctAnswer)).size).toBeGreaterThan(60)
  })
})

describe('the mailbox', () => {
  const challenge = (id: string, factorId = FACTOR_ID, expiresAt = NOW + 300_000): PushChallenge => ({
    challengeId: id,
    factorId,
    userId: '00u1',
    expiresAt,
    choices: [11, 22, 33],
    context: { login: 'pat@example.com', transactionType: 'LOGIN', clientIp: null, userAgent: null },
  })
  const target = (factorId = FACTOR_ID) => ({ factorId, platform: 'OTHER', pushToken: null })

  it('keeps each device its own unexpired, unanswered challenges, oldest first, at most 16', async () => {
    const m = createPushMailbox()
    await m.deliver(target(), challenge('a'))
    await m.deliver(target(), challenge('b', FACTOR_ID, NOW + 10_000))
    await m.deliver(target('opfOther'), challenge('c', 'opfOther'))
    expect(m.pending(FACTOR_ID, NOW).map((c) => c.challengeId)).toEqual(['a', 'b'])
    expect(m.pending(FACTOR_ID, NOW + 10_000).map((c) => c.challengeId)).toEqual(['a'])
    m.settle('a')
    expect(m.pending(FACTOR_ID, NOW)).toEqual([])
    expect(m.pending('opfOther', NOW).map((c) => c.challengeId)).toEqual(['c'])
    for (let i = 0; i < 20; i += 1) await m.deliver(target(), challenge(`x${i}`))
    expect(m.pending(FACTOR_ID, NOW).map((c) => c.challengeId)).toEqual(Array.from({ length: 16 }, (_, i) => `x${i + 4}`))
  })
})

describe('the enrollment URI', () => {
  test.prop([fc.emailAddress(), fc.stringMatching(/^[A-Za-z0-9_.~-]{1,300}$/), fc.stringMatching(/^opf[A-Za-z0-9]{17}$/), fc.constantFrom('https://login.example.com', 'http://127.0.0.1:8080', 'https://a.example:8443')])(
    'what enrollmentUriOf writes, parseEnrollmentUri reads back',
    (login, token, factorId, origin) => {
      const uri = enrollmentUriOf(login, { token, factorId, origin })
      expect(uri.startsWith('oktaverify://')).toBe(true)
      expect(parseEnrollmentUri(uri)).toEqual({ login, token, factorId, origin })
    },
  )

  it('anything else is refused with a reason', () => {
    for (const bad of ['', 'https://example.com/?t=a&f=b&s=https://x', 'oktaverify://pat/?f=b&s=https://x', 'oktaverify://pat/?t=a&f=b&s=ftp://x', 'oktaverify://pat/?t=a&f=b&s=nope'])
      expect(() => parseEnrollmentUri(bad), bad).toThrow(/enrollment URI/)
  })

  it('the QR code of an activation is a PNG; without an activation token there is none', async () => {
    const factor = createPushFactor()
    const png = await factor.qrCode?.({ credentialId: subject.login }, null, 'login.example.com', { token: 'tok', factorId: FACTOR_ID, origin: ORIGIN })
    expect(Buffer.from(png ?? []).subarray(1, 4).toString()).toBe('PNG')
    await expect(factor.qrCode?.({ credentialId: subject.login }, null, 'login.example.com')).rejects.toThrow(/activation token/)
  })
})

describe('the in-process device transport', () => {
  it('routes each path of the operations table to its operation; another path or origin is an error, nothing called', async () => {
    const calls: Array<[string, unknown]> = []
    const answering = (name: string) => async (body: unknown) => {
      calls.push([name, body])
      return { status: 200, body: { name } }
    }
    const transport = inProcessTransport({ activatePushDevice: answering('activate'), listPushChallenges: answering('list'), answerPushChallenge: answering('answer') }, ORIGIN)
    expect(DEVICE_PATHS).toEqual({ activatePushDevice: '/api/v1/push/devices/activate', listPushChallenges: '/api/v1/push/challenges/pending', answerPushChallenge: '/api/v1/push/challenges/answer' })
    expect(await transport(ORIGIN, DEVICE_PATHS.activatePushDevice, { a: 1 })).toEqual({ status: 200, body: { name: 'activate' } })
    expect(await transport(ORIGIN, DEVICE_PATHS.listPushChallenges, { l: 2 })).toEqual({ status: 200, body: { name: 'list' } })
    expect(await transport(ORIGIN, DEVICE_PATHS.answerPushChallenge, { c: 3 })).toEqual({ status: 200, body: { name: 'answer' } })
    expect(calls).toEqual([['activate', { a: 1 }], ['list', { l: 2 }], ['answer', { c: 3 }]])
    await expect(transport('https://elsewhere.example', DEVICE_PATHS.answerPushChallenge, {})).rejects.toThrow(/sent to https:\/\/elsewhere\.example/)
    await expect(transport(ORIGIN, '/api/v1/authn', {})).rejects.toThrow(/no device operation at \/api\/v1\/authn/)
    expect(calls).toHaveLength(3)
  })
})
