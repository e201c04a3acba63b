import { generateKeyPair, exportJWK, SignJWT, importJWK } from 'jose'
import { describe, expect, it } from 'vitest'
import { createMemoryStores } from '@authn-machine/adapter-memory'
import { registered, type OrgSeed } from '@authn-machine/core'
import { createInProcessSystem, type Call } from '@authn-machine/engine'
import { createDevOutbox } from '@authn-machine/message-senders'
import { createManualClock, createSeededRandom, createTrivialHasher } from '@authn-machine/testkit/fixtures'
import { createPushFactor, numberChallengeOf, type PushChallenge } from '@authn-machine/factor-push'
import { inProcessTransport, activateDevice, answerChallenge, parseEnrollmentUri, pendingChallenges, DeviceRequestError, type DeviceState } from '@authn-machine/factor-push/device'

// Push through the engine (docs/adr/0031-push.md): enrollment waits for a device, which activates
// with the token of the enrollment link and a key it proves it holds; a verification waits for the
// device's signed answer (number matching), shown by the client's polls as WAITING, SUCCESS,
// REJECTED or TIMEOUT.
const ORIGIN = 'https://login.example.com'
const CALL: Call = { baseUrl: ORIGIN, context: { ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (test)', deviceToken: null, trusted: false } }
const T0 = Date.UTC(2026, 11, 1, 9)
const PASSWORD = 'Right-Passw0rd-1'
const LOGIN = 'pat@example.com'

const seed: OrgSeed = {
  users: [
    { id: '00upushuser00000001', login: LOGIN, firstName: 'Pat', lastName: 'Push', password: PASSWORD, email: LOGIN },
    { id: '00upushuser00000002', login: 'other@example.com', firstName: 'Otto', lastName: 'Other', password: PASSWORD, email: 'other@example.com' },
  ],
  policies: { signOn: { requireFactor: true }, enrollment: { factors: [{ factorType: 'push', provider: 'OKTA', enroll: 'REQUIRED' }] }, password: { lockout: { maxAttempts: 3 } } },
}

const system = async (numberChallenge = true) => {
  const clock = createManualClock(T0)
  const outbox = createDevOutbox({ log: () => undefined })
  const factor = createPushFactor({ numberChallenge })
  const s = await createInProcessSystem({ seed, ...createMemoryStores(), factorPlugins: [registered(factor)], outbox, hasher: createTrivialHasher(), clock, random: createSeededRandom(7), call: CALL })
  // The device reaches the engine as it would the server: by path, with the origin it was given.
  const device = { transport: inProcessTransport(s.driver, ORIGIN), now: () => clock.now() }
  return { ...s, clock, outbox, device, factor }
}
type System = Awaited<ReturnType<typeof system>>

type Json = Record<string, unknown>
const body = (r: { readonly body: unknown }) => r.body as Json
const embedded = (r: { readonly body: unknown }) => body(r)['_embedded'] as Json
const links = (r: { readonly body: unknown }) => body(r)['_links'] as Json
const factorEmbedded = (r: { readonly body: unknown }) => ((embedded(r)['factor'] as Json)['_embedded'] ?? null) as Json | null
const code = (r: { readonly status: number; readonly body: unknown }) => [r.status, body(r)['errorCode']]
const post = (path: string, name?: string) => ({ ...(name === undefined ? {} : { name }), href: `${ORIGIN}/api/v1/authn${path}`, hints: { allow: ['POST'] } })
const refusal = async (p: Promise<unknown>): Promise<[number, unknown]> => {
  try {
    await p
  } catch (e) {
    if (e instanceof DeviceRequestError) return [e.status, (e.body as Json)['errorCode']]
    throw e
  }
  throw new Error('the request was not refused')
}

/** Signs in and enrolls push: MFA_ENROLL_ACTIVATE, WAITING, with the activation object. */
const enrolling = async (s: System, login = LOGIN) => {
  const signIn = await s.driver.authenticate({ username: login, password: PASSWORD })
  expect(body(signIn)['status']).toBe('MFA_ENROLL')
  const stateToken = body(signIn)['stateToken'] as string
  const enroll = await s.driver.enrollFactor({ stateToken, factorType: 'push', provider: 'OKTA' })
  expect(body(enroll)['status']).toBe('MFA_ENROLL_ACTIVATE')
  expect(body(enroll)['factorResult']).toBe('WAITING')
  const factor = embedded(enroll)['factor'] as Json
  const factorId = factor['id'] as string
  expect(factorId).toMatch(/^opf[A-Za-z0-9]{17}$/)
  expect(factor).toMatchObject({ factorType: 'push', provider: 'OKTA', profile: { credentialId: login } })
  const activation = (factorEmbedded(enroll) ?? {})['activation'] as Json
  expect(activation).toEqual({
    expiresAt: new Date(s.clock.now() + 600_000).toISOString(),
    factorResult: 'WAITING',
    _links: {
      qrcode: { href: expect.stringMatching(new RegExp(`^${ORIGIN}/api/v1/authn/factors/${factorId}/qr/[A-Za-z0-9_.~-]+$`)), type: 'image/png' },
      send: [post(`/factors/${factorId}/lifecycle/activate/email`, 'email'), post(`/factors/${factorId}/lifecycle/activate/sms`, 'sms')],
    },
  })
  expect(links(enroll)['next']).toEqual(post(`/factors/${factorId}/lifecycle/activate/poll`, 'poll'))
  return { stateToken, factorId, qrcode: ((activation['_links'] as Json)['qrcode'] as Json)['href'] as string }
}

/** The enrollment link sent by email (spec §4.7.6), as the device reads it. */
const emailedEnrollment = async (s: System, e: { stateToken: string; factorId: string }, to = LOGIN) => {
  const sent = await s.driver.sendActivationLink({ stateToken: e.stateToken, factorId: e.factorId, channel: 'email' })
  expect(sent.status).toBe(200)
  expect(body(sent)['factorResult']).toBe('WAITING')
  const message = s.outbox.messages({ to })[0]
  expect(message?.purpose).toBe('mfa-activation')
  const uri = /oktaverify:\/\/\S+/.exec(message?.text ?? '')?.[0] ?? ''
  const enrollment = parseEnrollmentUri(uri)
  expect(enrollment).toMatchObject({ login: to, factorId: e.factorId, origin: ORIGIN })
  return enrollment
}

/** Enrolls push and activates a device; signs in again: MFA_REQUIRED's state token, the factor id, the device. */
const enrolled = async (s: System) => {
  const e = await enrolling(s)
  const device = await activateDevice(await emailedEnrollment(s, e), { name: 'Pat’s phone', platform: 'IOS', version: '17.2' }, s.device)
  const done = await s.driver.pollFactorActivation({ stateToken: e.stateToken, factorId: e.factorId })
  expect(body(done)['status']).toBe('SUCCESS')
  const signIn = await s.driver.authenticate({ username: LOGIN, password: PASSWORD })
  expect(body(signIn)['status']).toBe('MFA_REQUIRED')
  return { stateToken: body(signIn)['stateToken'] as string, factorId: e.factorId, device }
}

/** Starts (or polls) a push: MFA_CHALLENGE, its result, and the number shown, if any. */
const verify = async (s: System, e: { stateToken: string; factorId: string }) => {
  const r = await s.driver.verifyFactor({ stateToken: e.stateToken, factorId: e.factorId })
  expect(r.status).toBe(200)
  expect(body(r)['status']).toBe('MFA_CHALLENGE')
  const challenge = (factorEmbedded(r) ?? {})['challenge'] as Json | undefined
  return { r, result: body(r)['factorResult'], correctAnswer: challenge?.['correctAnswer'] as number | undefined }
}

/** The one challenge waiting for the device. */
const onlyPending = async (s: System, device: DeviceState): Promise<PushChallenge> => {
  const pending = await pendingChallenges(device, s.device)
  expect(pending).toHaveLength(1)
  return pending[0] as PushChallenge
}

describe('push through the engine: enrollment', () => {
  it('enroll waits (WAITING, QR code, send links); the link sent by email activates a device once; the poll activates → SUCCESS; the profile shows the device and its key', async () => {
    const s = await system()
    const e = await enrolling(s)
    const waiting = await s.driver.pollFactorActivation({ stateToken: e.stateToken, factorId: e.factorId })
    expect(body(waiting)['factorResult']).toBe('WAITING')
    const png = await s.authn.factorQrCode(e.qrcode.split('/qr/')[1] ?? '')()
    expect(png._tag).toBe('Right')
    if (png._tag === 'Right') expect(Buffer.from(png.right.body).subarray(1, 4).toString()).toBe('PNG')
    const enrollment = await emailedEnrollment(s, e)
    const device = await activateDevice(enrollment, { name: 'Pat’s phone', platform: 'ANDROID', version: '14' }, s.device)
    expect(device).toMatchObject({ factorId: e.factorId, userId: '00upushuser00000001', origin: ORIGIN })
    // The token is spent, and no new link is sent: the next poll finishes the activation.
    expect(await refusal(activateDevice(enrollment, { name: 'Another phone' }, s.device))).toEqual([401, 'E0000011'])
    expect(code(await s.driver.sendActivationLink({ stateToken: e.stateToken, factorId: e.factorId, channel: 'email' }))).toEqual([403, 'E0000079'])
    const done = await s.driver.pollFactorActivation({ stateToken: e.stateToken, factorId: e.factorId })
    expect(body(done)['status']).toBe('SUCCESS')
    const again = await s.driver.authenticate({ username: LOGIN, password: PASSWORD })
    const factor = (embedded(again)['factors'] as Json[])[0] as Json
    expect(factor).toMatchObject({ id: e.factorId, factorType: 'push', provider: 'OKTA', profile: { credentialId: LOGIN, deviceType: 'SmartPhone_Android', name: 'Pat’s phone', platform: 'ANDROID', version: '14' } })
    const keys = (factor['profile'] as Json)['keys'] as Json[]
    expect(keys).toEqual([{ kty: 'PKIX', use: 'sig', kid: 'default', x5c: [expect.stringMatching(/^MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE[A-Za-z0-9+/=]+$/)] }])
  })

  it('a device answers nothing it does not prove: a proof for another origin or factor, a private key, a foreign or garbled token', async () => {
    const s = await system()
    const e = await enrolling(s)
    const enrollment = await emailedEnrollment(s, e)
    const activate = (fields: Json) => s.driver.activatePushDevice({ activationToken: enrollment.token, factorId: e.factorId, device: { name: 'x', platform: 'IOS' }, ...fields })
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true })
    const jwk = await exportJWK(publicKey)
    const proof = (aud: string, sub: string) => new SignJWT({}).setProtectedHeader({ alg: 'ES256' }).setAudience(aud).setSubject(sub).setIssuedAt(Math.floor(T0 / 1000)).setExpirationTime(Math.floor(T0 / 1000) + 60).sign(privateKey)
    expect(code(await activate({ key: jwk, proof: await proof('https://evil.example', e.factorId) }))).toEqual([403, 'E0000068'])
    expect(code(await activate({ key: jwk, proof: await proof(ORIGIN, 'opfSomeOtherFactor00') }))).toEqual([403, 'E0000068'])
    expect(code(await activate({ key: await exportJWK(privateKey), proof: await proof(ORIGIN, e.factorId) }))).toEqual([403, 'E0000068'])
    const other = await generateKeyPair('ES256')
    expect(code(await activate({ key: await exportJWK(other.publicKey), proof: await proof(ORIGIN, e.factorId) }))).toEqual([403, 'E0000068'])
    expect(code(await activate({ key: jwk, proof: 'not.a.jws' }))).toEqual([403, 'E0000068'])
    expect(code(await activate({ key: jwk, proof: await proof(ORIGIN, e.factorId), device: 'phone' }))).toEqual([400, 'E0000001'])
    expect(code(await s.driver.activatePushDevice({ activationToken: 'garbled', factorId: e.factorId }))).toEqual([401, 'E0000011'])
    expect(code(await s.driver.activatePushDevice({ activationToken: enrollment.token, factorId: 'opfAnotherFactor0000' }))).toEqual([401, 'E0000011'])
    expect(code(await s.driver.activatePushDevice({ factorId: e.factorId }))).toEqual([400, 'E0000001'])
    // None of that activated anything; the right proof still does.
    expect(body(await s.driver.pollFactorActivation({ stateToken: e.stateToken, factorId: e.factorId }))['factorResult']).toBe('WAITING')
    expect((await activate({ key: jwk, proof: await proof(ORIGIN, e.factorId) })).status).toBe(200)
    expect(body(await s.driver.pollFactorActivation({ stateToken: e.stateToken, factorId: e.factorId }))['status']).toBe('SUCCESS')
  })

  it('an activation times out after 10 minutes: polls show TIMEOUT with an activate link, the old token is refused, activate starts anew', async () => {
    const s = await system()
    const e = await enrolling(s)
    const enrollment = await emailedEnrollment(s, e)
    // The client polls all along (which keeps the transaction alive): WAITING until the 10 minutes are up.
    for (let minute = 1; minute < 10; minute += 1) {
      s.clock.advance(60_000)
      expect(body(await s.driver.pollFactorActivation({ stateToken: e.stateToken, factorId: e.factorId }))['factorResult']).toBe('WAITING')
    }
    s.clock.advance(60_000)
    const timedOut = await s.driver.pollFactorActivation({ stateToken: e.stateToken, factorId: e.factorId })
    expect(body(timedOut)['factorResult']).toBe('TIMEOUT')
    expect(links(timedOut)['next']).toEqual(post(`/factors/${e.factorId}/lifecycle/activate`, 'activate'))
    expect(((factorEmbedded(timedOut) ?? {})['activation'] as Json)['_links']).toMatchObject({ activate: { href: `${ORIGIN}/api/v1/authn/factors/${e.factorId}/lifecycle/activate` } })
    expect(body(await s.driver.pollFactorActivation({ stateToken: e.stateToken, factorId: e.factorId }))['factorResult']).toBe('TIMEOUT')
    expect(await refusal(activateDevice(enrollment, { name: 'late' }, s.device))).toEqual([401, 'E0000011'])
    const restarted = await s.driver.activateFactor({ stateToken: e.stateToken, factorId: e.factorId })
    expect(body(restarted)['factorResult']).toBe('WAITING')
    expect(links(restarted)['next']).toEqual(post(`/factors/${e.factorId}/lifecycle/activate/poll`, 'poll'))
    await activateDevice(await emailedEnrollment(s, e), { name: 'on time' }, s.device)
    expect(body(await s.driver.pollFactorActivation({ stateToken: e.stateToken, factorId: e.factorId }))['status']).toBe('SUCCESS')
  })

  it('the link by SMS needs an E.164 phone number; another factor has no link to send', async () => {
    const s = await system()
    const e = await enrolling(s)
    expect(code(await s.driver.sendActivationLink({ stateToken: e.stateToken, factorId: e.factorId, channel: 'sms' }))).toEqual([400, 'E0000001'])
    const sent = await s.driver.sendActivationLink({ stateToken: e.stateToken, factorId: e.factorId, channel: 'sms', profile: { phoneNumber: '+14155552671' } })
    expect(sent.status).toBe(200)
    expect(s.outbox.messages({ to: '+14155552671' })[0]?.text).toMatch(/oktaverify:\/\/pat%40example\.com\/\?t=/)
    expect(code(await s.driver.sendActivationLink({ stateToken: e.stateToken, factorId: 'opfNotThisFactor0000', channel: 'email' }))).toEqual([403, 'E0000079'])
  })
})

describe('push through the engine: verification', () => {
  it('verify sends a push (WAITING, the number to pick, next polls); the device sees the three choices; approving with that number → the poll succeeds', async () => {
    const s = await system()
    const e = await enrolled(s)
    const first = await verify(s, e)
    expect(first.result).toBe('WAITING')
    expect(links(first.r)['next']).toEqual(post(`/factors/${e.factorId}/verify`, 'poll'))
    expect(links(first.r)['resend']).toEqual([post(`/factors/${e.factorId}/verify/resend`, 'push')])
    expect(first.correctAnswer).toEqual(expect.any(Number))
    const challenge = await onlyPending(s, e.device)
    expect(challenge).toMatchObject({ factorId: e.factorId, userId: '00upushuser00000001', expiresAt: s.clock.now() + 300_000, context: { login: LOGIN, transactionType: 'LOGIN', clientIp: '203.0.113.7', userAgent: 'Mozilla/5.0 (test)' } })
    expect(challenge.choices).toHaveLength(3)
    expect(new Set(challenge.choices).size).toBe(3)
    expect(challenge.choices).toContain(first.correctAnswer)
    // Polls before the answer wait, showing the same number.
    expect((await verify(s, e)).correctAnswer).toBe(first.correctAnswer)
    expect(await answerChallenge(e.device, challenge.challengeId, { consent: 'APPROVED', selectedAnswer: first.correctAnswer ?? 0 }, s.device)).toBe('APPROVED')
    const done = await s.driver.verifyFactor({ stateToken: e.stateToken, factorId: e.factorId })
    expect(body(done)['status']).toBe('SUCCESS')
    expect(body(done)['sessionToken']).toEqual(expect.any(String))
    // Answered: it is gone from the device's list, and a second answer is refused.
    expect(await pendingChallenges(e.device, s.device)).toEqual([])
    expect(await refusal(answerChallenge(e.device, challenge.challengeId, { consent: 'APPROVED', selectedAnswer: first.correctAnswer ?? 0 }, s.device))).toEqual([401, 'E0000011'])
  })

  it('denied, or approved with another number: one poll shows REJECTED (next verify, resend), the next verify sends a new push that can succeed', async () => {
    const s = await system()
    const e = await enrolled(s)
    for (const answer of ['deny', 'wrong number'] as const) {
      const started = await verify(s, e)
      expect(started.result).toBe('WAITING')
      const challenge = await onlyPending(s, e.device)
      const wrong = challenge.choices?.find((n) => n !== started.correctAnswer) ?? 0
      const result = await answerChallenge(e.device, challenge.challengeId, answer === 'deny' ? { consent: 'DENIED' } : { consent: 'APPROVED', selectedAnswer: wrong }, s.device)
      expect(result).toBe('DENIED')
      const rejected = await verify(s, e)
      expect(rejected.result).toBe('REJECTED')
      expect(rejected.correctAnswer).toBeUndefined()
      expect(links(rejected.r)['next']).toEqual(post(`/factors/${e.factorId}/verify`, 'verify'))
      expect(links(rejected.r)['resend']).toEqual([post(`/factors/${e.factorId}/verify/resend`, 'push')])
      // The refused challenge takes no second answer.
      expect(await refusal(answerChallenge(e.device, challenge.challengeId, { consent: 'APPROVED', selectedAnswer: started.correctAnswer ?? 0 }, s.device))).toEqual([403, 'E0000068'])
    }
    const again = await verify(s, e)
    expect(again.result).toBe('WAITING')
    const challenge = await onlyPending(s, e.device)
    await answerChallenge(e.device, challenge.challengeId, { consent: 'APPROVED', selectedAnswer: again.correctAnswer ?? 0 }, s.device)
    expect(body(await s.driver.verifyFactor({ stateToken: e.stateToken, factorId: e.factorId }))['status']).toBe('SUCCESS')
  })

  it('unanswered for 5 minutes: one poll shows TIMEOUT, a late answer is refused, the next verify sends a new push', async () => {
    const s = await system()
    const e = await enrolled(s)
    const started = await verify(s, e)
    const challenge = await onlyPending(s, e.device)
    for (let minute = 1; minute < 5; minute += 1) {
      s.clock.advance(60_000)
      expect((await verify(s, e)).result).toBe('WAITING')
    }
    s.clock.advance(60_000)
    const timedOut = await verify(s, e)
    expect(timedOut.result).toBe('TIMEOUT')
    expect(links(timedOut.r)['next']).toEqual(post(`/factors/${e.factorId}/verify`, 'verify'))
    expect(await refusal(answerChallenge(e.device, challenge.challengeId, { consent: 'APPROVED', selectedAnswer: started.correctAnswer ?? 0 }, s.device))).toEqual([403, 'E0000068'])
    // Expired challenges leave the device's list.
    expect(await pendingChallenges(e.device, s.device)).toEqual([])
    const again = await verify(s, e)
    expect(again.result).toBe('WAITING')
    const fresh = await onlyPending(s, e.device)
    expect(fresh.challengeId).not.toBe(challenge.challengeId)
  })

  it('resend replaces the push: the old challenge is refused, the new one succeeds', async () => {
    const s = await system()
    const e = await enrolled(s)
    await verify(s, e)
    const old = await onlyPending(s, e.device)
    const resent = await s.driver.resendChallenge({ stateToken: e.stateToken, factorId: e.factorId })
    expect(body(resent)['factorResult']).toBe('WAITING')
    const correct = ((factorEmbedded(resent) ?? {})['challenge'] as Json)['correctAnswer'] as number
    const pending = await pendingChallenges(e.device, s.device)
    expect(pending.map((c) => c.challengeId)).toContain(old.challengeId)
    const fresh = pending.find((c) => c.challengeId !== old.challengeId) as PushChallenge
    expect(await refusal(answerChallenge(e.device, old.challengeId, { consent: 'APPROVED', selectedAnswer: correct }, s.device))).toEqual([403, 'E0000068'])
    await answerChallenge(e.device, fresh.challengeId, { consent: 'APPROVED', selectedAnswer: correct }, s.device)
    expect(body(await s.driver.verifyFactor({ stateToken: e.stateToken, factorId: e.factorId }))['status']).toBe('SUCCESS')
  })

  it('answers and requests the device did not sign are refused: another key, a tampered challenge id, another origin, a stale assertion, an unknown device', async () => {
    const s = await system()
    const e = await enrolled(s)
    const started = await verify(s, e)
    const challenge = await onlyPending(s, e.device)
    const other = await generateKeyPair('ES256', { extractable: true })
    const impostor: DeviceState = { ...e.device, privateJwk: await exportJWK(other.privateKey) }
    const answer = { consent: 'APPROVED' as const, selectedAnswer: started.correctAnswer ?? 0 }
    expect(await refusal(answerChallenge(impostor, challenge.challengeId, answer, s.device))).toEqual([403, 'E0000068'])
    expect(await refusal(answerChallenge(e.device, `${challenge.challengeId.slice(0, -2)}AA`, answer, s.device))).toEqual([403, 'E0000068'])
    expect(await refusal(answerChallenge({ ...e.device, origin: 'https://evil.example' }, challenge.challengeId, answer, { ...s.device, transport: (_o, p, b) => s.device.transport(ORIGIN, p, b) }))).toEqual([403, 'E0000068'])
    // Signed over one challenge id, sent with another: refused.
    const key = await importJWK(e.device.privateJwk, 'ES256')
    const signedForOther = await new SignJWT({ challengeId: 'x', consent: 'APPROVED', selectedAnswer: answer.selectedAnswer }).setProtectedHeader({ alg: 'ES256' }).setAudience(ORIGIN).setIssuedAt(Math.floor(s.clock.now() / 1000)).setExpirationTime(Math.floor(s.clock.now() / 1000) + 60).sign(key)
    expect(code(await s.driver.answerPushChallenge({ challengeId: challenge.challengeId, challengeResponse: signedForOther }))).toEqual([403, 'E0000068'])
    expect(code(await s.driver.answerPushChallenge({ challengeId: challenge.challengeId }))).toEqual([400, 'E0000001'])
    expect(await refusal(pendingChallenges(impostor, s.device))).toEqual([401, 'E0000011'])
    expect(await refusal(pendingChallenges({ ...e.device, userId: '00upushuser00000002' }, s.device))).toEqual([401, 'E0000011'])
    expect(await refusal(pendingChallenges(e.device, { ...s.device, now: () => s.clock.now() - 600_000 }))).toEqual([401, 'E0000011'])
    // After all that, the real answer still holds.
    expect(await answerChallenge(e.device, challenge.challengeId, answer, s.device)).toBe('APPROVED')
    expect(body(await s.driver.verifyFactor({ stateToken: e.stateToken, factorId: e.factorId }))['status']).toBe('SUCCESS')
  })

  it('without number matching, the page shows no number and an approval needs none', async () => {
    const s = await system(false)
    const e = await enrolled(s)
    const started = await verify(s, e)
    expect(started.correctAnswer).toBeUndefined()
    expect(factorEmbedded(started.r)).toBeNull()
    const challenge = await onlyPending(s, e.device)
    expect(challenge.choices).toBeNull()
    expect(await answerChallenge(e.device, challenge.challengeId, { consent: 'APPROVED' }, s.device)).toBe('APPROVED')
    expect(body(await s.driver.verifyFactor({ stateToken: e.stateToken, factorId: e.factorId }))['status']).toBe('SUCCESS')
  })

  it('the number a page shows is the one numberChallengeOf derives, among three distinct choices from 10 to 99', () => {
    for (let i = 0; i < 500; i += 1) {
      const { correctAnswer, choices } = numberChallengeOf(`nonce-${i}`)
      expect(new Set(choices).size).toBe(3)
      expect(choices).toContain(correctAnswer)
      for (const n of choices) expect(n >= 10 && n <= 99).toBe(true)
    }
  })
})
