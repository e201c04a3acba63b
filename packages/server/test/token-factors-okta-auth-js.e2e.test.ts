// The three "token" families that need a peer, with the unmodified okta-auth-js 8
// (`@okta/okta-auth-js/authn`) against the reference server over real HTTP: YubiKey OTP
// (`token:hardware`/YUBICO, keys from a Yubico-format key list), Symantec VIP (`token`/SYMANTEC, a
// local VIP stand-in reached over mutual TLS) and RSA SecurID (`token`/RSA, a private FreeRADIUS).
// Each is enrolled from MFA_ENROLL through the offered factor's `enroll({ profile, passCode })`,
// then verified from the MFA_REQUIRED of a new sign-in through the listed factor's
// `verify({ passCode })`; a wrong code is an AuthApiError 403 E0000068, after which the same
// transaction object is still usable.
import * as E from 'fp-ts/lib/Either.js'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { keySourceFromYubicoCsv, type YubikeyKeySource } from '@authn-machine/factor-yubikey'
import { NEXT_CODE_CAUSE } from '@authn-machine/factor-rsa'
import type { RunningServer, StartOptions } from '../src/index.js'
import { otpAt } from '../../factor-yubikey/test/otp-generator.js'
import { makeTestPki, type TestPki } from '../../factor-symantec/test/pki.js'
import { startVipStub, type VipStub } from '../../factor-symantec/test/vip-stub.js'
import { freeradiusAvailable, PASSCODE, SECRET, USERS, usePrivateRadius } from '../../factor-rsa/test/freeradius.js'
import { MAE, mfaSeed, startMfaServer, type SeedFactor } from './mfa-support.js'
import { checkAnswersAgainstOpenApi } from './openapi-check.js'
import { factorOfType, factorsOf, follow, type OktaFactor } from './okta-factors.js'
import { createServers, oktaClient, postJson, rejection } from './support.js'

const IN_CI = process.env['CI'] === 'true'
const radiusAvailable = freeradiusAvailable()
if (!radiusAvailable && !IN_CI) console.log('token-factors-okta-auth-js.e2e.test.ts: RSA SecurID skipped: no freeradius (apt-get install freeradius); CI installs it')

/** What a sign-in form posts (MAE also carries the user id, which okta-auth-js would post as given). */
const CREDENTIALS = { username: MAE.username, password: MAE.password }
const PASSCODE_MISMATCH = "Your passcode doesn't match our records. Please try again."

const servers = createServers()
// Every answer these tests receive must match the OpenAPI document (docs/openapi.json).
checkAnswersAgainstOpenApi()
afterEach(() => servers.closeAll())

/** How a session reports a sign-in with the password and a factor of the type (Sessions API `amr`). */
const AMR: Readonly<Record<string, ReadonlyArray<string>>> = { 'token:hardware': ['pwd', 'mfa', 'otp', 'hwk'], token: ['pwd', 'mfa', 'otp'] }

/**
 * Redeems a session token at POST /api/v1/sessions, as Okta's apps do; answers the session's status
 * and user id, after checking that it reports the factor (`amr`, `mfaActive`, `lastFactorVerification`).
 */
const redeem = async (server: RunningServer, sessionToken: unknown, factorType: string) => {
  const r = await postJson(`${server.url}/api/v1/sessions`, { sessionToken })
  expect([r.body['amr'], r.body['mfaActive'], typeof r.body['lastFactorVerification']]).toEqual([AMR[factorType], true, 'string'])
  return [r.status, r.body['status'], r.body['userId']]
}

/** A server whose org requires a second factor and the enrollment of `factorType`/`provider`, with the family's options. */
const startRequiring = async (factorType: string, provider: string, options: Partial<StartOptions>): Promise<RunningServer> =>
  (
    await startMfaServer(
      servers.start,
      mfaSeed({ policies: { signOn: { requireFactor: true }, enrollment: { factors: [{ factorType, provider, enroll: 'REQUIRED' }] } } }),
      { fast: true, options },
    )
  ).server

/** A server where Mae already has `factors` and every sign-in needs a second factor. */
const startEnrolled = async (factors: ReadonlyArray<SeedFactor>, options: Partial<StartOptions>): Promise<RunningServer> =>
  (await startMfaServer(servers.start, mfaSeed({ maeFactors: factors, policies: { signOn: { requireFactor: true } } }), { fast: true, options })).server

/**
 * Signs in (MFA_ENROLL, the family required, no skip), enrolls the offered factor with `body`
 * through its `enroll()` → SUCCESS with a redeemable session token; then signs in again →
 * MFA_REQUIRED listing the new factor alone. Answers the client and that listed factor.
 */
const enrollThenSignIn = async (server: RunningServer, factorType: string, provider: string, body: object, credentialId: string) => {
  const auth = oktaClient(server)
  const enroll = await auth.signInWithCredentials(CREDENTIALS)
  expect(enroll.status).toBe('MFA_ENROLL')
  expect(enroll.skip).toBeUndefined()
  const offered = factorOfType(enroll, factorType, provider)
  expect(offered).toMatchObject({ factorType, provider, status: 'NOT_SETUP', enrollment: 'REQUIRED' })

  const done = await follow(offered, 'enroll', body)
  expect(done.status).toBe('SUCCESS')
  expect(done.sessionToken).toMatch(/^20111/)
  expect(done.user).toMatchObject({ id: MAE.id })
  expect(await redeem(server, done.sessionToken, factorType)).toEqual([200, 'ACTIVE', MAE.id])

  const required = await auth.signInWithCredentials(CREDENTIALS)
  expect(required.status).toBe('MFA_REQUIRED')
  const listed = factorsOf(required)
  expect(listed.map((f) => [f.factorType, f.provider, f.profile])).toEqual([[factorType, provider, { credentialId }]])
  const [factor] = listed
  if (factor === undefined) throw new Error('MFA_REQUIRED lists no factor')
  expect(factor.id).toMatch(/^[A-Za-z0-9]{20}$/)
  return { auth, required, factor }
}

/** Verifies `factor` with `passCode` → SUCCESS whose session token is redeemed for Mae. */
const verifiedWith = async (server: RunningServer, factor: OktaFactor, passCode: string) => {
  const verified = await follow(factor, 'verify', { passCode })
  expect(verified.status).toBe('SUCCESS')
  expect(verified.sessionToken).toMatch(/^20111/)
  expect(verified.user).toMatchObject({ id: MAE.id })
  expect(await redeem(server, verified.sessionToken, factor.factorType)).toEqual([200, 'ACTIVE', MAE.id])
}

describe('YubiKey OTP (token:hardware/YUBICO) with okta-auth-js', () => {
  const KEY = { serial: 4242, publicId: 'ccccccbcgujh', privateId: '8792ebfe26cc', aesKey: 'ecde18dbe76fbd0c33330f1c354871db' } as const
  /** The key's serial in 12 digits: the factor's credential id. */
  const CREDENTIAL_ID = '000000004242'
  const yubikeyKeys = (): YubikeyKeySource => {
    const parsed = keySourceFromYubicoCsv(`# serial,public id,private id,AES key\n${KEY.serial},${KEY.publicId},${KEY.privateId},${KEY.aesKey}\n`)
    if (E.isLeft(parsed)) throw new Error(parsed.left.join('; '))
    return parsed.right
  }
  const enrolled = async () => {
    const server = await startRequiring('token:hardware', 'YUBICO', { yubikeyKeys: yubikeyKeys() })
    return { server, ...(await enrollThenSignIn(server, 'token:hardware', 'YUBICO', { profile: {}, passCode: otpAt(KEY, 0x0101) }, CREDENTIAL_ID)) }
  }

  it('signInWithCredentials → MFA_ENROLL → enroll({ profile: {}, passCode: OTP }) → SUCCESS; a new sign-in → MFA_REQUIRED → verify({ passCode: a later OTP }) → SUCCESS, and the session token is redeemed', async () => {
    const { server, factor } = await enrolled()
    expect(factor.vendorName).toBe('YUBICO')
    await verifiedWith(server, factor, otpAt(KEY, 0x0102))
  })

  it('a tampered OTP is AuthApiError 403 E0000068, a replayed one 403 E0000082; the same transaction then verifies a later OTP', async () => {
    const { server, auth, factor } = await enrolled()
    const good = otpAt(KEY, 0x0103)
    const tampered = good.slice(0, -1) + (good.endsWith('c') ? 'b' : 'c')
    const wrong = await rejection(follow(factor, 'verify', { passCode: tampered }))
    expect([wrong.xhr?.status, wrong.errorCode, wrong.errorSummary]).toEqual([403, 'E0000068', 'Invalid Passcode/Answer'])
    expect(wrong.errorCauses).toEqual([{ errorSummary: PASSCODE_MISMATCH }])
    const replayed = await rejection(follow(factor, 'verify', { passCode: otpAt(KEY, 0x0101) }))
    expect([replayed.xhr?.status, replayed.errorCode]).toEqual([403, 'E0000082'])
    expect((await auth.tx.resume()).status).toBe('MFA_REQUIRED')
    await verifiedWith(server, factor, good)
  })
})

describe('Symantec VIP (token/SYMANTEC) with okta-auth-js', () => {
  /** One credential per test: the stand-in uses each code up once. */
  const CREDENTIALS_VIP = {
    first: { id: 'VSMT14393584', codes: ['123456', '234567', '345678', '456789'] },
    second: { id: 'VSMT27182818', codes: ['611111', '622222', '633333', '644444'] },
  } as const
  let pki: TestPki
  let stub: VipStub
  beforeAll(async () => {
    pki = makeTestPki()
    stub = await startVipStub(pki, { [CREDENTIALS_VIP.first.id]: { codes: CREDENTIALS_VIP.first.codes }, [CREDENTIALS_VIP.second.id]: { codes: CREDENTIALS_VIP.second.codes } })
  }, 60_000)
  afterAll(async () => {
    await stub?.close()
    pki?.dispose()
  })

  const enrolled = async (credential: { readonly id: string; readonly codes: ReadonlyArray<string> }) => {
    const server = await startRequiring('token', 'SYMANTEC', {
      symantec: { endpoint: stub.endpoint, clientCert: pki.client.cert, clientKey: pki.client.key, passphrase: pki.passphrase, ca: pki.ca.cert, timeoutMs: 5_000 },
    })
    const [passCode, nextPassCode] = credential.codes
    const body = { profile: { credentialId: credential.id }, passCode, nextPassCode }
    const result = await enrollThenSignIn(server, 'token', 'SYMANTEC', body, credential.id)
    // The enrollment synchronized the credential with the two consecutive codes, over mutual TLS.
    expect(stub.calls).toContainEqual({ operation: 'Synchronize', fields: expect.objectContaining({ TokenId: credential.id, OTP1: passCode, OTP2: nextPassCode }), clientCn: 'org-vip-client' })
    return { server, ...result }
  }

  it('signInWithCredentials → MFA_ENROLL → enroll({ profile: { credentialId }, passCode, nextPassCode }) → SUCCESS; a new sign-in → MFA_REQUIRED → verify({ passCode: the next code }) → SUCCESS, and the session token is redeemed', async () => {
    const credential = CREDENTIALS_VIP.first
    const { server, factor } = await enrolled(credential)
    expect(factor.vendorName).toBe('SYMANTEC')
    const code = credential.codes[2] ?? ''
    await verifiedWith(server, factor, code)
    expect(stub.calls.at(-1)).toEqual({ operation: 'Validate', fields: expect.objectContaining({ TokenId: credential.id, OTP: code }), clientCn: 'org-vip-client' })
  })

  it('a code the service refuses is AuthApiError 403 E0000068; the same transaction then verifies the next code', async () => {
    const credential = CREDENTIALS_VIP.second
    const { server, auth, factor } = await enrolled(credential)
    const wrong = await rejection(follow(factor, 'verify', { passCode: '000000' }))
    expect([wrong.xhr?.status, wrong.errorCode, wrong.errorSummary]).toEqual([403, 'E0000068', 'Invalid Passcode/Answer'])
    expect(wrong.errorCauses).toEqual([{ errorSummary: PASSCODE_MISMATCH }])
    expect(stub.calls.at(-1)).toMatchObject({ operation: 'Validate', fields: { TokenId: credential.id, OTP: '000000' } })
    expect((await auth.tx.resume()).status).toBe('MFA_REQUIRED')
    await verifiedWith(server, factor, credential.codes[2] ?? '')
  })
})

describe.runIf(radiusAvailable || IN_CI)('RSA SecurID (token/RSA) with okta-auth-js', () => {
  const radius = usePrivateRadius()
  const rsaOptions = (): Partial<StartOptions> => ({ rsa: { server: { host: '127.0.0.1', port: radius().port, secret: SECRET }, timeoutMs: 2_000, retries: 1 } })
  const enrolled = async () => {
    const server = await startRequiring('token', 'RSA', rsaOptions())
    return { server, ...(await enrollThenSignIn(server, 'token', 'RSA', { profile: { credentialId: USERS.alice }, passCode: PASSCODE.alice }, USERS.alice)) }
  }

  it('signInWithCredentials → MFA_ENROLL → enroll({ profile: { credentialId }, passCode }) → SUCCESS; a new sign-in → MFA_REQUIRED → verify({ passCode }) → SUCCESS, and the session token is redeemed', { timeout: 30_000 }, async () => {
    const { server, factor } = await enrolled()
    expect(factor.vendorName).toBe('RSA')
    await verifiedWith(server, factor, PASSCODE.alice)
  })

  it('a passcode the RADIUS server rejects is AuthApiError 403 E0000068; the same transaction then verifies the right one', { timeout: 30_000 }, async () => {
    const { server, auth, factor } = await enrolled()
    const wrong = await rejection(follow(factor, 'verify', { passCode: '9999000011' }))
    expect([wrong.xhr?.status, wrong.errorCode, wrong.errorSummary]).toEqual([403, 'E0000068', 'Invalid Passcode/Answer'])
    expect(wrong.errorCauses).toEqual([{ errorSummary: PASSCODE_MISMATCH }])
    expect((await auth.tx.resume()).status).toBe('MFA_REQUIRED')
    await verifiedWith(server, factor, PASSCODE.alice)
  })

  it('next-tokencode mode: the first verify({ passCode }) is AuthApiError 403 E0000068 asking for the next tokencode; verify({ passCode: the next code }) on the same transaction → SUCCESS', { timeout: 30_000 }, async () => {
    const factorId = 'rsamaecarolnext00001'
    const server = await startEnrolled([{ factorType: 'token', provider: 'RSA', id: factorId, credentialId: USERS.carol }], rsaOptions())
    const auth = oktaClient(server)
    const required = await auth.signInWithCredentials(CREDENTIALS)
    expect(required.status).toBe('MFA_REQUIRED')
    expect(factorsOf(required).map((f) => [f.id, f.factorType, f.provider, f.profile])).toEqual([[factorId, 'token', 'RSA', { credentialId: USERS.carol }]])
    const factor = factorOfType(required, 'token', 'RSA')

    const challenged = await rejection(follow(factor, 'verify', { passCode: '1234555000' }))
    expect([challenged.xhr?.status, challenged.errorCode, challenged.errorSummary]).toEqual([403, 'E0000068', 'Invalid Passcode/Answer'])
    expect(challenged.errorCauses).toEqual([{ errorSummary: NEXT_CODE_CAUSE }])
    // The RADIUS State is kept by the server in the transaction: the same factor object (same state token) answers with the next code.
    await verifiedWith(server, factor, PASSCODE.carolNext)
  })
})
