// The reference server with APNs (docs/adr/0031-push.md): a device that gave a push token gets each
// push from APNs, here a local HTTP/2 stand-in with a certificate from a test CA; the challenge it
// carries is what the device answers. An APNs refusal answers Okta's 400 E0000074, the push stays
// started, and a resend sends it again.
import { generateKeyPairSync } from 'node:crypto'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { activateDevice, answerChallenge, fetchTransport, parseEnrollmentUri, pendingChallenges, type DeviceOptions, type DeviceState } from '@authn-machine/factor-push/device'
import type { PushChallenge } from '@authn-machine/factor-push'
import { answer, makePki, startStub, type StubApns } from '../../factor-push/test/apns-stub.js'
import { MAE, authnClient, factorOf, mfaSeed, startMfaServer, type Json, type MfaServer } from './mfa-support.js'
import { createServers } from './support.js'

const PUSH_POLICIES = { signOn: { requireFactor: true }, enrollment: { factors: [{ factorType: 'push', provider: 'OKTA', enroll: 'REQUIRED' }] } }
const PUSH_TOKEN = 'c0ffee'.repeat(11).slice(0, 64)
const TEAM_ID = 'TEAM123456'
const KEY_ID = 'KEY1234567'
const TOPIC = 'com.example.authenticator'

const pki = makePki()
let apns: StubApns
const servers = createServers()
beforeAll(async () => {
  apns = await startStub(pki.server)
})
afterEach(() => servers.closeAll())
afterAll(async () => {
  await apns.close()
  pki.dispose()
})

const start = (): Promise<MfaServer> =>
  startMfaServer(servers.start, mfaSeed({ policies: PUSH_POLICIES }), {
    fast: true,
    options: {
      push: {
        apns: {
          origin: apns.origin,
          ca: pki.ca.cert,
          teamId: TEAM_ID,
          keyId: KEY_ID,
          topic: TOPIC,
          privateKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        },
      },
    },
  })

/** Mae enrolls push with a device that gives an APNs token; then signs in again: MFA_REQUIRED. */
const enrolled = async (s: MfaServer) => {
  const api = authnClient(s.server)
  const options: DeviceOptions = { transport: fetchTransport(), now: () => s.clock.now() }
  const signIn = await api.signIn(MAE)
  const stateToken = signIn.body['stateToken'] as string
  const enroll = await api.post('/api/v1/authn/factors', { stateToken, factorType: 'push', provider: 'OKTA' })
  const factorId = factorOf(enroll)['id'] as string
  expect((await api.post(`/api/v1/authn/factors/${factorId}/lifecycle/activate/email`, { stateToken })).status).toBe(200)
  const uri = /oktaverify:\/\/\S+/.exec(s.server.outbox.messages({ to: MAE.username })[0]?.text ?? '')?.[0] ?? ''
  const device = await activateDevice(parseEnrollmentUri(uri), { name: 'iPhone', platform: 'IOS', pushToken: PUSH_TOKEN }, options)
  expect((await api.post(`/api/v1/authn/factors/${factorId}/lifecycle/activate/poll`, { stateToken })).body['status']).toBe('SUCCESS')
  const again = await api.signIn(MAE)
  expect(again.body['status']).toBe('MFA_REQUIRED')
  return { api, options, device, factorId, stateToken: again.body['stateToken'] as string }
}

/** The push APNs received last: its headers and the challenge its payload carries. */
const lastPush = (): { readonly headers: Json; readonly challenge: PushChallenge; readonly alert: Json } => {
  const r = apns.received.at(-1)
  if (r === undefined) throw new Error('APNs received nothing')
  const payload = JSON.parse(r.body) as { aps: { alert: Json }; challenge: PushChallenge }
  return { headers: r.headers as Json, challenge: payload.challenge, alert: payload.aps.alert }
}

describe('push through APNs', () => {
  it('verify sends the push to APNs for the device\'s token; the device answers the challenge it carries with the number shown → SUCCESS', async () => {
    const s = await start()
    const e = await enrolled(s)
    const before = apns.received.length
    const started = await e.api.post(`/api/v1/authn/factors/${e.factorId}/verify`, { stateToken: e.stateToken })
    expect(started.body['factorResult']).toBe('WAITING')
    const correctAnswer = (((factorOf(started)['_embedded'] as Json)['challenge'] as Json)['correctAnswer']) as number
    expect(apns.received.length).toBe(before + 1)
    const push = lastPush()
    expect(push.headers).toMatchObject({ ':method': 'POST', ':path': `/3/device/${PUSH_TOKEN}`, 'apns-topic': TOPIC, 'apns-push-type': 'alert' })
    expect(push.alert['body']).toContain(MAE.username)
    expect(push.challenge).toMatchObject({ factorId: e.factorId, context: { login: MAE.username, transactionType: 'LOGIN' } })
    expect(push.challenge.choices).toContain(correctAnswer)
    expect(await answerChallenge(e.device as DeviceState, push.challenge.challengeId, { consent: 'APPROVED', selectedAnswer: correctAnswer }, e.options)).toBe('APPROVED')
    const done = await e.api.post(`/api/v1/authn/factors/${e.factorId}/verify`, { stateToken: e.stateToken })
    expect(done.body['status']).toBe('SUCCESS')
    expect(done.body['sessionToken']).toEqual(expect.any(String))
  })

  it('APNs refuses the device (410 Unregistered): 400 E0000074, the push stays started (the mailbox has it); a resend sends it again', async () => {
    const s = await start()
    const e = await enrolled(s)
    apns.script.push(answer(410, { reason: 'Unregistered' }))
    const refused = await e.api.post(`/api/v1/authn/factors/${e.factorId}/verify`, { stateToken: e.stateToken })
    expect([refused.status, refused.body['errorCode']]).toEqual([400, 'E0000074'])
    expect(JSON.stringify(refused.body['errorCauses'])).toContain('Unregistered')
    expect(await pendingChallenges(e.device, e.options)).toHaveLength(1)
    const before = apns.received.length
    const resent = await e.api.post(`/api/v1/authn/factors/${e.factorId}/verify/resend`, { stateToken: e.stateToken })
    expect(resent.body['factorResult']).toBe('WAITING')
    expect(apns.received.length).toBe(before + 1)
    const correctAnswer = (((factorOf(resent)['_embedded'] as Json)['challenge'] as Json)['correctAnswer']) as number
    expect(await answerChallenge(e.device, lastPush().challenge.challengeId, { consent: 'APPROVED', selectedAnswer: correctAnswer }, e.options)).toBe('APPROVED')
    expect((await e.api.post(`/api/v1/authn/factors/${e.factorId}/verify`, { stateToken: e.stateToken })).body['status']).toBe('SUCCESS')
  })
})
