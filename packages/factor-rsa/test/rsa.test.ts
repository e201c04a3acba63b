import { afterAll, describe, expect, it } from 'vitest'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { describeFactor } from '@authn-machine/testkit'
import type { FactorContext, FactorSubject } from '@authn-machine/core'
import {
  MALFORMED_ENROLL_CAUSES,
  NEXT_CODE_CAUSE,
  CHALLENGE_STATE_LIFETIME_MS,
  UNAVAILABLE_CAUSE,
  createOnPremMfaFactor,
  createRadiusClient,
  createRsaFactor,
  radiusFactorWith,
  type RadiusClient,
} from '../src/index.js'
import { CHALLENGE_MESSAGE, CHALLENGE_STATE, PASSCODE, SECRET, USERS, freeUdpPort, freeradiusAvailable, startPrivateRadius } from './freeradius.js'

const available = freeradiusAvailable()
// One private FreeRADIUS for this file (its own config, on a free loopback port), stopped after it.
const server = available ? await startPrivateRadius() : null
afterAll(async () => {
  await server?.stop()
})
const port = server?.port ?? 9
const options = { server: { host: '127.0.0.1', port, secret: SECRET }, timeoutMs: 1_000, retries: 1 }

const subject: FactorSubject = { login: 'rsa.user@example.com', email: 'rsa.user@example.com' }
// The factor uses none of these: the server checks the codes.
const ctx = { now: 0, random: { bytes: (n: number) => new Uint8Array(n) }, hasher: {} } as unknown as FactorContext

describe.skipIf(!available)('RADIUS client against a private FreeRADIUS', () => {
  const client = createRadiusClient(options)

  it('Access-Accept for the right passcode', async () => {
    expect(await client.authenticate(USERS.alice, PASSCODE.alice)()).toEqual({ _tag: 'Right', right: { _tag: 'Accept' } })
  })

  it('Access-Reject for a wrong passcode, and for a user the server always rejects (with its Reply-Message)', async () => {
    expect(await client.authenticate(USERS.alice, '1234555112')()).toEqual({ _tag: 'Right', right: { _tag: 'Reject', replyMessage: null } })
    expect(await client.authenticate(USERS.bob, PASSCODE.alice)()).toEqual({ _tag: 'Right', right: { _tag: 'Reject', replyMessage: 'Access denied' } })
  })

  it('Access-Challenge (next tokencode) with State and Reply-Message, then Access-Accept for the next code sent with that State', async () => {
    const first = await client.authenticate(USERS.carol, '1234555000')()
    if (first._tag !== 'Right' || first.right._tag !== 'Challenge') throw new Error(`expected a challenge, got ${JSON.stringify(first)}\n${server?.output() ?? ''}`)
    expect(Buffer.from(first.right.state).equals(CHALLENGE_STATE)).toBe(true)
    expect(first.right.replyMessage).toBe(CHALLENGE_MESSAGE)
    expect(await client.authenticate(USERS.carol, PASSCODE.carolNext, first.right.state)()).toEqual({ _tag: 'Right', right: { _tag: 'Accept' } })
    expect(await client.authenticate(USERS.carol, '1234000000', first.right.state)()).toMatchObject({ _tag: 'Right', right: { _tag: 'Reject' } })
  })

  it('a wrong shared secret: the server drops the request (bad Message-Authenticator), answered Timeout within the bound', async () => {
    const wrong = createRadiusClient({ ...options, server: { ...options.server, secret: 'not-the-secret' }, timeoutMs: 200, retries: 1 })
    const t0 = Date.now()
    expect(await wrong.authenticate(USERS.alice, PASSCODE.alice)()).toEqual({ _tag: 'Left', left: { _tag: 'Timeout', attempts: 2 } })
    expect(Date.now() - t0).toBeLessThan(1_500)
  })
})

describe.skipIf(!available)('RSA SecurID factor against a private FreeRADIUS', () => {
  const rsa = createRsaFactor(options)

  it('declares token/RSA with ids rsa…, and On-Prem MFA token/DEL_OATH', () => {
    expect([rsa.factorType, rsa.provider, rsa.idPrefix]).toEqual(['token', 'RSA', 'rsa'])
    const onPrem = createOnPremMfaFactor(options)
    expect([onPrem.factorType, onPrem.provider, onPrem.idPrefix]).toEqual(['token', 'DEL_OATH', 'dot'])
  })

  it('enroll with a passcode the server accepts: ACTIVE at once, profile { credentialId }', async () => {
    const r = await rsa.enroll({ profile: { credentialId: USERS.alice }, passCode: PASSCODE.alice }, subject, ctx)()
    expect(r).toEqual({ _tag: 'Right', right: { profile: { credentialId: USERS.alice }, secret: { userName: USERS.alice }, activation: 'none' } })
  })

  it('enroll with a passcode the server rejects: 403 E0000068', async () => {
    expect(await rsa.enroll({ profile: { credentialId: USERS.alice }, passCode: '1234555112' }, subject, ctx)()).toMatchObject({ _tag: 'Left', left: { code: 'E0000068' } })
    expect(await rsa.enroll({ profile: { credentialId: USERS.bob }, passCode: PASSCODE.alice }, subject, ctx)()).toMatchObject({ _tag: 'Left', left: { code: 'E0000068' } })
  })

  it('enroll answered by an Access-Challenge: 403 E0000068 asking for the next code', async () => {
    expect(await rsa.enroll({ profile: { credentialId: USERS.carol }, passCode: '1234555000' }, subject, ctx)()).toMatchObject({ _tag: 'Left', left: { code: 'E0000068', causes: [NEXT_CODE_CAUSE] } })
  })

  it('malformed enroll fields: 400 E0000001 with causes', async () => {
    expect(await rsa.enroll({ profile: { credentialId: ' alice' }, passCode: '12' }, subject, ctx)()).toMatchObject({
      _tag: 'Left',
      left: { code: 'E0000001', causes: [MALFORMED_ENROLL_CAUSES.credentialId, MALFORMED_ENROLL_CAUSES.passCode] },
    })
  })

  it('verify: Accept is Accepted (no counter), Reject is Rejected, an Access-Challenge is Challenged with its State; the next code sent with that State is Accepted', async () => {
    expect(await rsa.verify({ userName: USERS.alice }, { passCode: PASSCODE.alice }, null, ctx)()).toEqual({ _tag: 'Right', right: { _tag: 'Accepted', counter: null } })
    expect(await rsa.verify({ userName: USERS.alice }, { passCode: '99999999' }, null, ctx)()).toEqual({ _tag: 'Right', right: { _tag: 'Rejected' } })
    expect(await rsa.verify({ userName: USERS.bob }, { passCode: PASSCODE.alice }, null, ctx)()).toEqual({ _tag: 'Right', right: { _tag: 'Rejected' } })
    const challenged = await rsa.verify({ userName: USERS.carol }, { passCode: PASSCODE.carolNext }, null, ctx)()
    expect(challenged).toEqual({ _tag: 'Right', right: { _tag: 'Challenged', state: CHALLENGE_STATE.toString('base64'), lifetimeMs: CHALLENGE_STATE_LIFETIME_MS } })
    const kept = { nonce: CHALLENGE_STATE.toString('base64'), expiresAt: ctx.now + CHALLENGE_STATE_LIFETIME_MS }
    expect(await rsa.verify({ userName: USERS.carol }, { passCode: PASSCODE.carolNext }, null, ctx, kept)()).toEqual({ _tag: 'Right', right: { _tag: 'Accepted', counter: null } })
    expect(await rsa.verify({ userName: USERS.carol }, { passCode: '1234000000' }, null, ctx, kept)()).toEqual({ _tag: 'Right', right: { _tag: 'Rejected' } })
    expect(NEXT_CODE_CAUSE).toMatch(/next tokencode/)
  })

  it('malformed passcodes are Rejected without asking the server', async () => {
    let calls = 0
    const counting: RadiusClient = { authenticate: () => { calls += 1; return TE.right({ _tag: 'Accept' }) } }
    const f = radiusFactorWith(counting, 'RSA', 'rsa')
    for (const passCode of ['', '123', 'abc def', '1234-5678', '１２３４５６', '1'.repeat(65), '1234\u0000']) {
      expect(await f.verify({ userName: USERS.alice }, { passCode }, null, ctx)(), passCode).toEqual({ _tag: 'Right', right: { _tag: 'Rejected' } })
    }
    expect(calls).toBe(0)
  })

  it('a wrong shared secret: 400 E0000074, never a throw', async () => {
    const wrong = createRsaFactor({ ...options, server: { ...options.server, secret: 'not-the-secret' }, timeoutMs: 200 })
    expect(await wrong.verify({ userName: USERS.alice }, { passCode: PASSCODE.alice }, null, ctx)()).toMatchObject({ _tag: 'Left', left: { code: 'E0000074', causes: [UNAVAILABLE_CAUSE] } })
  })

  it('a server that is down: 400 E0000074 within timeoutMs × (1 + retries)', async () => {
    const down = createRsaFactor({ server: { host: '127.0.0.1', port: await freeUdpPort(), secret: SECRET }, timeoutMs: 200, retries: 1 })
    const t0 = Date.now()
    expect(await down.verify({ userName: USERS.alice }, { passCode: PASSCODE.alice }, null, ctx)()).toMatchObject({ _tag: 'Left', left: { code: 'E0000074' } })
    expect(await down.enroll({ profile: { credentialId: USERS.alice }, passCode: PASSCODE.alice }, subject, ctx)()).toMatchObject({ _tag: 'Left', left: { code: 'E0000074' } })
    expect(Date.now() - t0).toBeLessThan(2_000)
  })

  it('On-Prem MFA (DEL_OATH) reuses the client with its own configuration', async () => {
    const onPrem = createOnPremMfaFactor({ server: { host: '127.0.0.1', port, secret: SECRET }, timeoutMs: 500, retries: 0, nasIdentifier: 'on-prem-mfa' })
    expect(await onPrem.verify({ userName: USERS.alice }, { passCode: PASSCODE.alice }, null, ctx)()).toEqual({ _tag: 'Right', right: { _tag: 'Accepted', counter: null } })
    expect(await onPrem.verify({ userName: USERS.alice }, { passCode: '00000000' }, null, ctx)()).toEqual({ _tag: 'Right', right: { _tag: 'Rejected' } })
  })
})

describe.skipIf(!available)('conformance', () => {
  // The RADIUS user name is both what `verify` needs and the public `credentialId` Okta shows.
  const suite = {
    publicSecretStrings: (secret: { readonly userName: string }) => [secret.userName],
    enrollRequest: { profile: { credentialId: USERS.alice }, passCode: PASSCODE.alice },
    validAnswer: () => ({ passCode: PASSCODE.alice }),
    invalidAnswers: () => [{ passCode: '1234555112' }, { passCode: '0000' }, { passCode: '12' }, { passCode: 'abc!' }, { passCode: '' }],
    malformedEnrollRequests: [
      { profile: { credentialId: USERS.alice } },
      { profile: { credentialId: USERS.alice }, passCode: '' },
      { profile: { credentialId: '' }, passCode: PASSCODE.alice },
      { profile: {}, passCode: PASSCODE.alice },
    ],
    numRuns: 20,
  }
  describeFactor('rsa', { factor: createRsaFactor(options), ...suite })
  describeFactor('on-prem-mfa', { factor: createOnPremMfaFactor(options), ...suite })
})
