// MFA with the unmodified okta-auth-js 8 (`@okta/okta-auth-js/authn`) against the reference server
// over real HTTP, with the default argon2id hasher. The server runs on a manual clock so that the
// TOTP codes computed here (as an authenticator app would) are the ones it expects; the clock moves
// one time step between uses of a factor, since each step's code is accepted once.
import { OktaAuth, type AuthnTransaction, type SigninWithCredentialsOptions } from '@okta/okta-auth-js/authn'
import { afterEach, describe, expect, it } from 'vitest'
import type { RunningServer } from '../src/index.js'
import {
  API_TOKEN,
  FACTOR,
  MAE,
  MAE_ANSWER,
  MAE_FACTORS,
  OTHER_SECRET,
  STEP_MS,
  TOTP_SECRET,
  codeAt,
  mfaSeed,
  startMfaServer,
  wrongCodeAt,
  type MfaServer,
  type SeedPolicies,
} from './mfa-support.js'
import { createMemoryStorageUtil, createServers, oktaClient, rejection } from './support.js'
import { checkAnswersAgainstOpenApi } from './openapi-check.js'

const servers = createServers()
// Every answer these tests receive must match the OpenAPI document (docs/openapi.json).
checkAnswersAgainstOpenApi()
afterEach(() => servers.closeAll())

type TxFn = (args?: object) => Promise<AuthnTransaction>

/** A factor as okta-auth-js flattens it: the JSON fields plus one function per link. */
interface OktaFactor {
  readonly id?: string
  readonly factorType: string
  readonly provider: string
  readonly vendorName: string
  readonly status?: string
  readonly enrollment?: string
  readonly profile?: Readonly<Record<string, unknown>>
  readonly enroll?: TxFn
  readonly verify?: TxFn
  readonly questions?: () => Promise<unknown>
}

/** `factor._embedded.activation` of a TOTP enrollment, flattened (its `qrcode` link is kept as a link: it has a type). */
interface OktaTotpActivation {
  readonly timeStep: number
  readonly sharedSecret: string
  readonly encoding: string
  readonly keyLength: number
  readonly qrcode: { readonly href: string; readonly type: string }
}

const REMEMBER_POLICY = { signOn: { requireFactor: true, allowRememberDevice: true, rememberDeviceLifetimeInMinutes: 60 } } as const
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
const PASSCODE_MISMATCH = "Your passcode doesn't match our records. Please try again."

const factorsOf = (tx: AuthnTransaction): ReadonlyArray<OktaFactor> => (tx.factors ?? []) as unknown as ReadonlyArray<OktaFactor>

const factorOfType = (tx: AuthnTransaction, factorType: string, provider: string): OktaFactor => {
  const f = factorsOf(tx).find((x) => x.factorType === factorType && x.provider === provider)
  if (f === undefined) throw new Error(`${tx.status} offers no ${factorType} (${provider})`)
  return f
}

const factorById = (tx: AuthnTransaction, id: string): OktaFactor => {
  const f = factorsOf(tx).find((x) => x.id === id)
  if (f === undefined) throw new Error(`${tx.status} lists no factor ${id}`)
  return f
}

/** Calls one of the link functions of a transaction or factor; fails the test when the link is missing. */
const follow = (owner: { readonly status?: string } & object, name: string, args?: object): Promise<AuthnTransaction> => {
  const fn = (owner as Record<string, unknown>)[name]
  if (typeof fn !== 'function') throw new Error(`${owner.status ?? 'factor'} has no ${name}()`)
  return (fn as TxFn)(args)
}

const activationOf = (tx: AuthnTransaction): OktaTotpActivation => {
  const activation = (tx.factor as { activation?: OktaTotpActivation } | undefined)?.activation
  if (activation === undefined) throw new Error(`${tx.status} has no factor activation`)
  return activation
}

const stateTokenOf = (tx: AuthnTransaction): string => {
  const data = (tx as AuthnTransaction & { data?: { stateToken?: string } }).data
  if (data?.stateToken === undefined) throw new Error('no state token')
  return data.stateToken
}

/** okta-auth-js posts `options` as given (its types do not declare it). */
const signInWith = (auth: OktaAuth, options: Readonly<Record<string, unknown>>, extra: Readonly<Record<string, unknown>> = {}) =>
  auth.signInWithCredentials({ username: MAE.username, password: MAE.password, options, ...extra } as SigninWithCredentialsOptions)

/** An okta-auth-js client that sends the API token on every request (a trusted server-side app). */
const trustedClient = (server: RunningServer): OktaAuth =>
  new OktaAuth({ issuer: `${server.url}/oauth2/default`, storageUtil: createMemoryStorageUtil(), headers: { Authorization: `SSWS ${API_TOKEN}` } })

const enrollPolicy = (...factors: ReadonlyArray<readonly [string, string, 'REQUIRED' | 'OPTIONAL' | 'NOT_ALLOWED']>): SeedPolicies => ({
  enrollment: { factors: factors.map(([factorType, provider, enroll]) => ({ factorType, provider, enroll })) },
})

/** Enrolls a TOTP factor from MFA_ENROLL and checks the activation object okta-auth-js exposes. */
const enrollTotp = async (tx: AuthnTransaction, provider: 'GOOGLE' | 'OKTA', login: string) => {
  const offered = factorOfType(tx, 'token:software:totp', provider)
  expect(offered).toMatchObject({ vendorName: provider, status: 'NOT_SETUP' })
  const activate = await follow(offered, 'enroll')
  expect(activate.status).toBe('MFA_ENROLL_ACTIVATE')
  expect(activate.factor).toMatchObject({ factorType: 'token:software:totp', provider, vendorName: provider, profile: { credentialId: login } })
  const factorId = String(activate.factor?.['id'])
  expect(factorId).toMatch(provider === 'GOOGLE' ? /^uft[A-Za-z0-9]{17}$/ : /^ost[A-Za-z0-9]{17}$/)
  const activation = activationOf(activate)
  expect(activation).toMatchObject({ timeStep: 30, encoding: 'base32', keyLength: 6, qrcode: { type: 'image/png' } })
  expect(activation.sharedSecret).toMatch(/^[A-Z2-7]{16,}$/)
  expect(activation.qrcode.href).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//)
  for (const fn of ['activate', 'prev', 'cancel']) expect(typeof (activate as unknown as Record<string, unknown>)[fn]).toBe('function')
  return { tx: activate, factorId, secret: activation.sharedSecret, qrcode: activation.qrcode.href }
}

describe('MFA with okta-auth-js against the reference server', () => {
  it('TOTP (Google): enroll, read the shared secret, activate({ passCode }) → SUCCESS; the QR code is a PNG; next sign-in verifies it from MFA_REQUIRED', async () => {
    const { server, clock } = await startMfaServer(
      servers.start,
      mfaSeed({ policies: { signOn: { requireFactor: true }, ...enrollPolicy(['token:software:totp', 'GOOGLE', 'REQUIRED']) } }),
    )
    const auth = oktaClient(server)
    const enroll = await auth.signInWithCredentials(MAE)
    expect(enroll.status).toBe('MFA_ENROLL')
    // A required factor is missing: no skip.
    expect(enroll.skip).toBeUndefined()
    expect(factorsOf(enroll).map((f) => [f.factorType, f.provider, f.status, f.enrollment])).toEqual([['token:software:totp', 'GOOGLE', 'NOT_SETUP', 'REQUIRED']])

    const { tx, factorId, secret, qrcode } = await enrollTotp(enroll, 'GOOGLE', MAE.username)
    const png = await fetch(qrcode)
    expect(png.status).toBe(200)
    expect(png.headers.get('content-type')).toBe('image/png')
    expect(Array.from(new Uint8Array(await png.arrayBuffer()).subarray(0, 8))).toEqual(PNG_SIGNATURE)

    const done = await follow(tx, 'activate', { passCode: await codeAt(secret, clock.now()) })
    expect(done.status).toBe('SUCCESS')
    expect(done.sessionToken).toMatch(/^20111/)
    expect(done.user).toMatchObject({ id: MAE.id })

    clock.advance(STEP_MS)
    const required = await auth.signInWithCredentials(MAE)
    expect(required.status).toBe('MFA_REQUIRED')
    expect(factorsOf(required).map((f) => [f.id, f.factorType, f.provider, f.vendorName, f.profile])).toEqual([
      [factorId, 'token:software:totp', 'GOOGLE', 'GOOGLE', { credentialId: MAE.username }],
    ])
    const verified = await follow(factorById(required, factorId), 'verify', { passCode: await codeAt(secret, clock.now()) })
    expect(verified.status).toBe('SUCCESS')
    expect(verified.sessionToken).toMatch(/^20111/)
  })

  it('TOTP (Okta): a wrong activation code is AuthApiError 403 E0000068 and the enrollment waits; the right code → SUCCESS', async () => {
    const { server, clock } = await startMfaServer(servers.start, mfaSeed({ policies: enrollPolicy(['token:software:totp', 'OKTA', 'REQUIRED']) }))
    const auth = oktaClient(server)
    const { tx, factorId, secret } = await enrollTotp(await auth.signInWithCredentials(MAE), 'OKTA', MAE.username)

    const wrong = await rejection(follow(tx, 'activate', { passCode: await wrongCodeAt(secret, clock.now()) }))
    expect(wrong.errorCode).toBe('E0000068')
    expect(wrong.errorSummary).toBe('Invalid Passcode/Answer')
    expect(wrong.errorCauses).toEqual([{ errorSummary: PASSCODE_MISMATCH }])
    expect(wrong.xhr?.status).toBe(403)

    const resumed = await auth.tx.resume()
    expect(resumed.status).toBe('MFA_ENROLL_ACTIVATE')
    expect(resumed.factor?.['id']).toBe(factorId)
    expect(activationOf(resumed).sharedSecret).toBe(secret)
    const done = await follow(resumed, 'activate', { passCode: await codeAt(secret, clock.now()) })
    expect(done.status).toBe('SUCCESS')
  })

  it('security question: questions() lists the catalogue, enroll({ profile: { question, answer } }) → SUCCESS; MFA_REQUIRED verify({ answer })', async () => {
    const { server } = await startMfaServer(servers.start, mfaSeed({ policies: { signOn: { requireFactor: true }, ...enrollPolicy(['question', 'OKTA', 'REQUIRED']) } }))
    const auth = oktaClient(server)
    const enroll = await auth.signInWithCredentials(MAE)
    expect(enroll.status).toBe('MFA_ENROLL')
    const question = factorOfType(enroll, 'question', 'OKTA')
    expect(question).toMatchObject({ status: 'NOT_SETUP', enrollment: 'REQUIRED' })
    if (question.questions === undefined) throw new Error('the question factor has no questions link')
    const catalogue = (await question.questions()) as ReadonlyArray<Readonly<Record<string, unknown>>>
    expect(catalogue).toEqual(
      expect.arrayContaining([expect.objectContaining({ question: 'favorite_toy', questionText: 'What is the toy/stuffed animal you liked the most as a kid?' })]),
    )

    const short = await rejection(follow(question, 'enroll', { profile: { question: 'favorite_toy', answer: 'ab' } }))
    expect([short.xhr?.status, short.errorCode]).toEqual([400, 'E0000001'])
    expect(short.errorCauses).toEqual([{ errorSummary: 'The security question answer must be at least 4 characters in length' }])

    const done = await follow(question, 'enroll', { profile: { question: 'favorite_toy', answer: 'Wooden Horse' } })
    expect(done.status).toBe('SUCCESS')
    expect(done.sessionToken).toMatch(/^20111/)

    const required = await auth.signInWithCredentials(MAE)
    expect(required.status).toBe('MFA_REQUIRED')
    const [enrolled] = factorsOf(required)
    expect(enrolled).toMatchObject({
      factorType: 'question',
      provider: 'OKTA',
      profile: { question: 'favorite_toy', questionText: 'What is the toy/stuffed animal you liked the most as a kid?' },
    })
    expect(enrolled?.id).toMatch(/^ufs/)
    const wrong = await rejection(follow(enrolled ?? {}, 'verify', { answer: 'a plastic duck' }))
    expect([wrong.xhr?.status, wrong.errorCode]).toEqual([403, 'E0000068'])
    expect(wrong.errorCauses).toEqual([{ errorSummary: "Your answer doesn't match our records. Please try again." }])
    const verified = await follow(enrolled ?? {}, 'verify', { answer: '  wooden   HORSE ' })
    expect(verified.status).toBe('SUCCESS')
  })

  it('MFA_REQUIRED lists every active factor with its profile; each verifies through its own verify()', async () => {
    const { server, clock } = await startMfaServer(servers.start, mfaSeed({ maeFactors: MAE_FACTORS, policies: { signOn: { requireFactor: true } } }))
    const auth = oktaClient(server)
    const answers: ReadonlyArray<readonly [string, () => Promise<object>]> = [
      [FACTOR.maeGoogle, async () => ({ passCode: await codeAt(TOTP_SECRET, clock.now()) })],
      [FACTOR.maeOkta, async () => ({ passCode: await codeAt(OTHER_SECRET, clock.now()) })],
      [FACTOR.maeQuestion, () => Promise.resolve({ answer: MAE_ANSWER })],
    ]
    for (const [factorId, answer] of answers) {
      const required = await auth.signInWithCredentials(MAE)
      expect(required.status).toBe('MFA_REQUIRED')
      expect(factorsOf(required).map((f) => [f.id, f.factorType, f.provider, f.profile])).toEqual([
        [FACTOR.maeGoogle, 'token:software:totp', 'GOOGLE', { credentialId: MAE.username }],
        [FACTOR.maeOkta, 'token:software:totp', 'OKTA', { credentialId: MAE.username }],
        [FACTOR.maeQuestion, 'question', 'OKTA', { question: 'favorite_toy', questionText: 'What is the toy/stuffed animal you liked the most as a kid?' }],
      ])
      expect(required.policy).toMatchObject({ allowRememberDevice: false })
      const done = await follow(factorById(required, factorId), 'verify', await answer())
      expect([factorId, done.status]).toEqual([factorId, 'SUCCESS'])
      clock.advance(STEP_MS)
    }
  })

  it('a wrong passCode surfaces as AuthApiError 403 E0000068; the transaction stays in MFA_REQUIRED and the right code then succeeds', async () => {
    const { server, clock } = await startMfaServer(servers.start, mfaSeed({ maeFactors: MAE_FACTORS, policies: { signOn: { requireFactor: true } } }))
    const auth = oktaClient(server)
    const required = await auth.signInWithCredentials(MAE)
    const google = factorById(required, FACTOR.maeGoogle)
    const e = await rejection(follow(google, 'verify', { passCode: await wrongCodeAt(TOTP_SECRET, clock.now()) }))
    expect(e.errorCode).toBe('E0000068')
    expect(e.errorSummary).toBe('Invalid Passcode/Answer')
    expect(e.errorCauses).toEqual([{ errorSummary: PASSCODE_MISMATCH }])
    expect(e.xhr?.status).toBe(403)
    expect((await auth.tx.resume()).status).toBe('MFA_REQUIRED')
    expect((await follow(google, 'verify', { passCode: await codeAt(TOTP_SECRET, clock.now()) })).status).toBe('SUCCESS')
  })

  it('prev() from MFA_ENROLL_ACTIVATE goes back to MFA_ENROLL; the abandoned secret no longer activates, a new enrollment does', async () => {
    const { server, clock } = await startMfaServer(servers.start, mfaSeed({ policies: enrollPolicy(['token:software:totp', 'GOOGLE', 'REQUIRED']) }))
    const auth = oktaClient(server)
    const first = await enrollTotp(await auth.signInWithCredentials(MAE), 'GOOGLE', MAE.username)

    const back = await follow(first.tx, 'prev')
    expect(back.status).toBe('MFA_ENROLL')
    expect(factorOfType(back, 'token:software:totp', 'GOOGLE')).toMatchObject({ status: 'NOT_SETUP', enrollment: 'REQUIRED' })
    expect(back.factor).toBeUndefined()

    const second = await enrollTotp(back, 'GOOGLE', MAE.username)
    expect(second.factorId).not.toBe(first.factorId)
    expect(second.secret).not.toBe(first.secret)
    const stale = await rejection(follow(second.tx, 'activate', { passCode: await codeAt(first.secret, clock.now()) }))
    expect(stale.errorCode).toBe('E0000068')
    expect((await follow(second.tx, 'activate', { passCode: await codeAt(second.secret, clock.now()) })).status).toBe('SUCCESS')
  })

  it('skip() in MFA_ENROLL once only optional factors remain (options.multiOptionalFactorEnroll) → SUCCESS', async () => {
    const { server, clock } = await startMfaServer(
      servers.start,
      mfaSeed({
        policies: enrollPolicy(['token:software:totp', 'GOOGLE', 'REQUIRED'], ['token:software:totp', 'OKTA', 'OPTIONAL'], ['question', 'OKTA', 'OPTIONAL']),
      }),
    )
    const auth = oktaClient(server)
    const enroll = await signInWith(auth, { multiOptionalFactorEnroll: true, warnBeforePasswordExpired: false })
    expect(enroll.status).toBe('MFA_ENROLL')
    expect(enroll.skip).toBeUndefined()
    expect(factorsOf(enroll).map((f) => [f.factorType, f.provider, f.enrollment])).toEqual([
      ['token:software:totp', 'GOOGLE', 'REQUIRED'],
      ['token:software:totp', 'OKTA', 'OPTIONAL'],
      ['question', 'OKTA', 'OPTIONAL'],
    ])
    const { tx, secret } = await enrollTotp(enroll, 'GOOGLE', MAE.username)
    const again = await follow(tx, 'activate', { passCode: await codeAt(secret, clock.now()) })
    // Back to MFA_ENROLL: the required factor is ACTIVE, the optional ones are offered, and skip is there.
    expect(again.status).toBe('MFA_ENROLL')
    expect(factorsOf(again).map((f) => [f.factorType, f.provider, f.status])).toEqual([
      ['token:software:totp', 'GOOGLE', 'ACTIVE'],
      ['token:software:totp', 'OKTA', 'NOT_SETUP'],
      ['question', 'OKTA', 'NOT_SETUP'],
    ])
    const skipped = await follow(again, 'skip')
    expect(skipped.status).toBe('SUCCESS')
    expect(skipped.sessionToken).toMatch(/^20111/)
  })

  it('without multiOptionalFactorEnroll, activating the required factor ends the transaction: SUCCESS', async () => {
    const { server, clock } = await startMfaServer(
      servers.start,
      mfaSeed({ policies: enrollPolicy(['token:software:totp', 'OKTA', 'REQUIRED'], ['question', 'OKTA', 'OPTIONAL']) }),
    )
    const auth = oktaClient(server)
    const { tx, secret } = await enrollTotp(await auth.signInWithCredentials(MAE), 'OKTA', MAE.username)
    expect((await follow(tx, 'activate', { passCode: await codeAt(secret, clock.now()) })).status).toBe('SUCCESS')
  })

  it('cancel() in MFA_REQUIRED and in MFA_ENROLL_ACTIVATE revokes the state token: resuming is E0000011', async () => {
    const { server } = await startMfaServer(
      servers.start,
      mfaSeed({ maeFactors: MAE_FACTORS, policies: { signOn: { requireFactor: true } } }),
    )
    const auth = oktaClient(server)
    const required = await auth.signInWithCredentials(MAE)
    const stateToken = stateTokenOf(required)
    expect(await follow(required, 'cancel')).toBeDefined()
    const gone = await rejection(auth.tx.resume({ stateToken }))
    expect([gone.xhr?.status, gone.errorCode]).toEqual([401, 'E0000011'])
    const late = await rejection(follow(factorById(required, FACTOR.maeQuestion), 'verify', { answer: MAE_ANSWER }))
    expect([late.xhr?.status, late.errorCode]).toEqual([401, 'E0000011'])

    const enrolling = await startMfaServer(servers.start, mfaSeed({ policies: enrollPolicy(['token:software:totp', 'GOOGLE', 'REQUIRED']) }))
    const other = oktaClient(enrolling.server)
    const { tx } = await enrollTotp(await other.signInWithCredentials(MAE), 'GOOGLE', MAE.username)
    const activating = stateTokenOf(tx)
    await follow(tx, 'cancel')
    expect((await rejection(other.tx.resume({ stateToken: activating }))).errorCode).toBe('E0000011')
  })

  // Okta's clients send the device token only with the primary authentication: the transaction
  // keeps that device, and the verification's rememberDevice remembers it.
  it('remember device, as Okta does it: deviceToken at sign-in only, then verify({ passCode, rememberDevice: true }) → the device skips MFA', async () => {
    const { server, clock } = await startMfaServer(servers.start, mfaSeed({ maeFactors: MAE_FACTORS, policies: REMEMBER_POLICY }))
    const trusted = trustedClient(server)
    const device = { context: { deviceToken: 'okta-auth-js-device-0001' } }
    const required = await signInWith(trusted, {}, device)
    expect(required.status).toBe('MFA_REQUIRED')
    // okta-auth-js moves rememberDevice to the query string: …/verify?rememberDevice=true
    const verified = await follow(factorById(required, FACTOR.maeGoogle), 'verify', { passCode: await codeAt(TOTP_SECRET, clock.now()), rememberDevice: true })
    expect(verified.status).toBe('SUCCESS')
    expect((await signInWith(trusted, {}, device)).status).toBe('SUCCESS')
  })

  it('remember device (trusted okta-auth-js, SSWS): that device then signs in without MFA, until the lifetime ends; a device token in the verify body is ignored', async () => {
    const { server, clock } = await startMfaServer(servers.start, mfaSeed({ maeFactors: MAE_FACTORS, policies: REMEMBER_POLICY }))
    const trusted = trustedClient(server)
    const device = { context: { deviceToken: 'okta-auth-js-device-0002' } }

    const required = await signInWith(trusted, {}, device)
    expect(required.status).toBe('MFA_REQUIRED')
    expect(required.policy).toMatchObject({ allowRememberDevice: true, rememberDeviceLifetimeInMinutes: 60, rememberDeviceByDefault: false })
    // okta-auth-js posts the extra `context` member as given and moves rememberDevice to the query string.
    const verified = await follow(factorById(required, FACTOR.maeGoogle), 'verify', { passCode: await codeAt(TOTP_SECRET, clock.now()), rememberDevice: true, ...device })
    expect(verified.status).toBe('SUCCESS')

    const remembered = await signInWith(trusted, {}, device)
    expect(remembered.status).toBe('SUCCESS')
    expect(remembered.sessionToken).toMatch(/^20111/)
    // Another device, or the same device token from an untrusted caller (ignored), still needs the factor.
    expect((await signInWith(trusted, {}, { context: { deviceToken: 'okta-auth-js-device-0009' } })).status).toBe('MFA_REQUIRED')
    expect((await signInWith(oktaClient(server), {}, device)).status).toBe('MFA_REQUIRED')
    // Past the policy's lifetime the device is forgotten.
    clock.advance(61 * 60_000)
    expect((await signInWith(trusted, {}, device)).status).toBe('MFA_REQUIRED')
  })

  it('remember device is not granted to an untrusted caller, nor without rememberDevice, nor when the policy does not allow it', async () => {
    const device = { context: { deviceToken: 'okta-auth-js-device-0003' } }
    const verifyThenSignIn = async (mfa: MfaServer, auth: OktaAuth, rememberDevice: boolean | undefined) => {
      const required = await signInWith(auth, {}, device)
      expect(required.status).toBe('MFA_REQUIRED')
      const args = { passCode: await codeAt(TOTP_SECRET, mfa.clock.now()), ...device, ...(rememberDevice === undefined ? {} : { rememberDevice }) }
      expect((await follow(factorById(required, FACTOR.maeGoogle), 'verify', args)).status).toBe('SUCCESS')
      mfa.clock.advance(STEP_MS)
      return (await signInWith(trustedClient(mfa.server), {}, device)).status
    }
    const a = await startMfaServer(servers.start, mfaSeed({ maeFactors: MAE_FACTORS, policies: REMEMBER_POLICY }))
    expect(await verifyThenSignIn(a, oktaClient(a.server), true)).toBe('MFA_REQUIRED')
    expect(await verifyThenSignIn(a, trustedClient(a.server), false)).toBe('MFA_REQUIRED')
    expect(await verifyThenSignIn(a, trustedClient(a.server), undefined)).toBe('MFA_REQUIRED')
    // The control: the same calls with rememberDevice: true do remember.
    expect(await verifyThenSignIn(a, trustedClient(a.server), true)).toBe('SUCCESS')
    const notAllowed = { signOn: { ...REMEMBER_POLICY.signOn, allowRememberDevice: false } }
    const b = await startMfaServer(servers.start, mfaSeed({ maeFactors: MAE_FACTORS, policies: notAllowed }))
    expect(await verifyThenSignIn(b, trustedClient(b.server), true)).toBe('MFA_REQUIRED')
  })

  it('the same TOTP code twice: the second transaction gets AuthApiError 403 E0000082', async () => {
    const { server, clock } = await startMfaServer(servers.start, mfaSeed({ maeFactors: MAE_FACTORS, policies: { signOn: { requireFactor: true } } }))
    const auth = oktaClient(server)
    const code = await codeAt(TOTP_SECRET, clock.now())
    const first = await auth.signInWithCredentials(MAE)
    expect((await follow(factorById(first, FACTOR.maeGoogle), 'verify', { passCode: code })).status).toBe('SUCCESS')
    const second = await auth.signInWithCredentials(MAE)
    const e = await rejection(follow(factorById(second, FACTOR.maeGoogle), 'verify', { passCode: code }))
    expect([e.xhr?.status, e.errorCode, e.errorSummary]).toEqual([403, 'E0000082', 'Each code can only be used once. Please wait for a new code and try again.'])
  })

  it('the QR code link answers GET while the enrollment is pending; a tampered token, and the link after activation, are 404 E0000007', async () => {
    const { server, clock } = await startMfaServer(servers.start, mfaSeed({ policies: enrollPolicy(['token:software:totp', 'GOOGLE', 'REQUIRED']) }))
    const auth = oktaClient(server)
    const { tx, secret, qrcode } = await enrollTotp(await auth.signInWithCredentials(MAE), 'GOOGLE', MAE.username)
    const png = await fetch(qrcode)
    expect([png.status, png.headers.get('content-type'), png.headers.get('cache-control')]).toEqual([200, 'image/png', 'no-store'])
    expect(Array.from(new Uint8Array(await png.arrayBuffer()).subarray(0, 8))).toEqual(PNG_SIGNATURE)
    const notFound = async (url: string) => {
      const r = await fetch(url)
      return [r.status, ((await r.json()) as { errorCode?: string }).errorCode]
    }
    // One character in the middle of the sealed token changed (the last one may only carry padding bits).
    const at = qrcode.lastIndexOf('/') + Math.floor((qrcode.length - qrcode.lastIndexOf('/')) / 2)
    const tampered = `${qrcode.slice(0, at)}${qrcode[at] === 'A' ? 'B' : 'A'}${qrcode.slice(at + 1)}`
    expect(await notFound(tampered)).toEqual([404, 'E0000007'])
    expect((await follow(tx, 'activate', { passCode: await codeAt(secret, clock.now()) })).status).toBe('SUCCESS')
    expect(await notFound(qrcode)).toEqual([404, 'E0000007'])
  })
})
