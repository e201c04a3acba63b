// Bad input to the MFA operations over HTTP, run per store (memory in mfa-errors.e2e.test.ts,
// PostgreSQL in mfa-errors.int.test.ts): factor ids that are not the user's, malformed and
// forbidden enrollments, wrong answers toward lockout, one-time TOTP codes, and the stored state
// they rely on (counters, remembered devices).
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import type { StartOptions } from '../src/index.js'
import {
  FACTOR,
  MAE,
  MAE_ANSWER,
  MAE_FACTORS,
  OTHER_SECRET,
  OTTO,
  STEP_MS,
  TOTP_SECRET,
  TRUSTED,
  activationOf,
  authnClient,
  codeAt,
  factorOf,
  factorsOf,
  mfaSeed,
  outcomeOf,
  startMfaServer,
  wrongCodeAt,
  type Answer,
  type SeedPolicies,
} from './mfa-support.js'
import { createServers } from './support.js'

export interface MfaStoreUnderTest {
  /** Server options that give each server a fresh, empty store. */
  readonly fresh: () => Partial<StartOptions>
  /** Called once after the suite (drops what `fresh` made). */
  readonly teardown?: () => Promise<void>
}

const NOT_ALLOWED_BY_POLICY = 'factorType: The factor type is not allowed by the enrollment policy.'
const PASSCODE_MISMATCH = "Your passcode doesn't match our records. Please try again."
const ANSWER_MISMATCH = "Your answer doesn't match our records. Please try again."

/** The parts of an error answer that do not depend on the request's ids (errorId differs per answer). */
const errorShape = (r: Answer, id: string) => ({
  status: r.status,
  errorCode: r.body['errorCode'],
  errorSummary: String(r.body['errorSummary']).replace(id, '{id}'),
  errorLink: r.body['errorLink'],
  errorCauses: r.body['errorCauses'],
})

const causesOf = (r: Answer): ReadonlyArray<unknown> => (r.body['errorCauses'] ?? []) as ReadonlyArray<unknown>

export const describeMfaErrors = (name: string, store: MfaStoreUnderTest): void => {
  describe(`MFA bad input and stored factor state over HTTP (${name})`, () => {
    const servers = createServers()
    afterEach(() => servers.closeAll())
    afterAll(async () => {
      await store.teardown?.()
    })

    const start = (seed: unknown) => startMfaServer(servers.start, seed, { fast: true, options: store.fresh() })
    const enrollment = (...factors: ReadonlyArray<readonly [string, string, 'REQUIRED' | 'OPTIONAL' | 'NOT_ALLOWED']>): SeedPolicies => ({
      enrollment: { factors: factors.map(([factorType, provider, enroll]) => ({ factorType, provider, enroll })) },
    })

    it("verify with another user's factor id or an unknown one: the same 404 E0000007; neither counts toward lockout", async () => {
      const { server, clock } = await start(mfaSeed({ maeFactors: MAE_FACTORS, maxAttempts: 3, policies: { signOn: { requireFactor: true } } }))
      const c = authnClient(server)
      const signIn = await c.signIn(MAE)
      expect(outcomeOf(signIn)).toBe('MFA_REQUIRED')
      const stateToken = signIn.body['stateToken']
      const verify = (factorId: string) => c.post(`/api/v1/authn/factors/${encodeURIComponent(factorId)}/verify`, { stateToken, passCode: '123456' })
      const others = await verify(FACTOR.ottoGoogle)
      const unknown = await verify('uftunknownfactor001')
      expect(outcomeOf(others)).toBe('404 E0000007')
      expect(errorShape(others, FACTOR.ottoGoogle)).toEqual(errorShape(unknown, 'uftunknownfactor001'))
      expect(causesOf(others)).toEqual([])
      // Okta's wording: "Not found: Resource not found: {id} (UserFactor)".
      expect(String(others.body['errorSummary'])).toBe(`Not found: Resource not found: ${FACTOR.ottoGoogle} (UserFactor)`)
      // Another user's id of the same family, or several tries: still not one failure counted.
      for (let i = 0; i < 3; i++) expect(outcomeOf(await verify(FACTOR.ottoGoogle))).toBe('404 E0000007')
      const done = await c.post(`/api/v1/authn/factors/${FACTOR.maeGoogle}/verify`, { stateToken, passCode: await codeAt(TOTP_SECRET, clock.now()) })
      expect(outcomeOf(done)).toBe('SUCCESS')
      // Otto's own factor is untouched: his code (same key, same step) still works for him.
      const otto = await c.signIn(OTTO)
      const ottoDone = await c.post(`/api/v1/authn/factors/${FACTOR.ottoGoogle}/verify`, { stateToken: otto.body['stateToken'], passCode: await codeAt(TOTP_SECRET, clock.now()) })
      expect(outcomeOf(ottoDone)).toBe('SUCCESS')
    })

    it("activate with another user's factor id or an unknown one: the same 404 E0000007; another of the user's own factors is 403 E0000079", async () => {
      const { server, clock } = await start(
        mfaSeed({ maeFactors: [MAE_FACTORS[2] ?? {}], policies: enrollment(['token:software:totp', 'GOOGLE', 'REQUIRED'], ['question', 'OKTA', 'REQUIRED']) }),
      )
      const c = authnClient(server)
      const stateToken = (await c.signIn(MAE)).body['stateToken']
      const enrolled = await c.post('/api/v1/authn/factors', { stateToken, factorType: 'token:software:totp', provider: 'GOOGLE' })
      expect(outcomeOf(enrolled)).toBe('MFA_ENROLL_ACTIVATE')
      const activate = (factorId: string, passCode: string) => c.post(`/api/v1/authn/factors/${factorId}/lifecycle/activate`, { stateToken, passCode })
      const others = await activate(FACTOR.ottoGoogle, '123456')
      const unknown = await activate('uftunknownfactor001', '123456')
      expect(outcomeOf(others)).toBe('404 E0000007')
      expect(errorShape(others, FACTOR.ottoGoogle)).toEqual(errorShape(unknown, 'uftunknownfactor001'))
      expect(outcomeOf(await activate(FACTOR.maeQuestion, '123456'))).toBe('403 E0000079')
      const secret = String(activationOf(enrolled)['sharedSecret'])
      expect(outcomeOf(await activate(String(factorOf(enrolled)['id']), await codeAt(secret, clock.now())))).toBe('SUCCESS')
    })

    it('a malformed enroll profile is 400 E0000001 with causes, and leaves the transaction in MFA_ENROLL', async () => {
      const { server } = await start(mfaSeed({ policies: enrollment(['question', 'OKTA', 'REQUIRED']) }))
      const c = authnClient(server)
      const stateToken = (await c.signIn(MAE)).body['stateToken']
      const cases: ReadonlyArray<readonly [unknown, ReadonlyArray<string>]> = [
        [{ question: 'favorite_toy' }, ['profile.answer: The field cannot be left blank']],
        [undefined, ['profile.question: The field cannot be left blank', 'profile.answer: The field cannot be left blank']],
        [{ question: 'favorite_toy', answer: 1234 }, ['profile.answer: Expected string']],
        ['favorite_toy', ['profile: Expected UnknownRecord']],
        [{ question: 'favourite_colour', answer: 'Cerulean' }, ['profile.question: The security question is not one of the supported questions.']],
        [{ question: 'favorite_toy', answer: 'ab' }, ['The security question answer must be at least 4 characters in length']],
        [{ question: 'favorite_toy', answer: 'stuffed animal' }, ['The security question answer is too weak, answer must not be part of the question']],
      ]
      for (const [profile, causes] of cases) {
        const r = await c.post('/api/v1/authn/factors', { stateToken, factorType: 'question', provider: 'OKTA', ...(profile === undefined ? {} : { profile }) })
        expect([profile, r.status, r.body['errorCode'], r.body['errorSummary']]).toEqual([profile, 400, 'E0000001', 'Api validation failed: factorEnrollRequest'])
        expect(causesOf(r)).toEqual(causes.map((errorSummary) => ({ errorSummary })))
      }
      const missingType = await c.post('/api/v1/authn/factors', { stateToken, provider: 'OKTA', profile: { question: 'favorite_toy', answer: 'Wooden Horse' } })
      expect(outcomeOf(missingType)).toBe('400 E0000001')
      expect(causesOf(missingType)).toEqual([{ errorSummary: 'factorType: The field cannot be left blank' }])
      expect(outcomeOf(await c.post('/api/v1/authn', { stateToken }))).toBe('MFA_ENROLL')
      const done = await c.post('/api/v1/authn/factors', { stateToken, factorType: 'question', provider: 'OKTA', profile: { question: 'favorite_toy', answer: 'Wooden Horse' } })
      expect(outcomeOf(done)).toBe('SUCCESS')
    })

    it('enrolling a type the policy does not allow (NOT_ALLOWED, not listed, not served) or one already enrolled is 400 E0000001', async () => {
      const { server } = await start(
        mfaSeed({
          policies: enrollment(['question', 'OKTA', 'REQUIRED'], ['token:software:totp', 'GOOGLE', 'OPTIONAL'], ['token:software:totp', 'OKTA', 'NOT_ALLOWED']),
        }),
      )
      const c = authnClient(server)
      const signIn = await c.signIn(MAE, { options: { multiOptionalFactorEnroll: true } })
      // NOT_ALLOWED entries are not offered.
      expect(factorsOf(signIn).map((f) => [f['factorType'], f['provider']])).toEqual([
        ['question', 'OKTA'],
        ['token:software:totp', 'GOOGLE'],
      ])
      const stateToken = signIn.body['stateToken']
      for (const [factorType, provider] of [
        ['token:software:totp', 'OKTA'],
        ['token:hotp', 'CUSTOM'],
        ['sms', 'OKTA'],
      ] as const) {
        const r = await c.post('/api/v1/authn/factors', { stateToken, factorType, provider })
        expect([factorType, provider, outcomeOf(r), causesOf(r)]).toEqual([factorType, provider, '400 E0000001', [{ errorSummary: NOT_ALLOWED_BY_POLICY }]])
      }
      const unknownType = await c.post('/api/v1/authn/factors', { stateToken, factorType: 'carrier-pigeon', provider: 'OKTA' })
      expect(outcomeOf(unknownType)).toBe('400 E0000001')
      expect(causesOf(unknownType)).toHaveLength(1)
      const question = { stateToken, factorType: 'question', provider: 'OKTA', profile: { question: 'first_award', answer: 'Spelling bee' } }
      expect(outcomeOf(await c.post('/api/v1/authn/factors', question))).toBe('MFA_ENROLL')
      const twice = await c.post('/api/v1/authn/factors', question)
      expect([outcomeOf(twice), causesOf(twice)]).toEqual(['400 E0000001', [{ errorSummary: 'factorType: A factor of this type is already enrolled.' }]])
      expect(outcomeOf(await c.post('/api/v1/authn/skip', { stateToken }))).toBe('SUCCESS')
    })

    it('with maxAttempts 3, the third wrong answer (passCodes or the security answer) is 403 E0000069; the transaction is dead (401 E0000011) and the user locked', async () => {
      const { server, clock } = await start(mfaSeed({ maeFactors: MAE_FACTORS, maxAttempts: 3, policies: { signOn: { requireFactor: true } } }))
      const c = authnClient(server)
      const stateToken = (await c.signIn(MAE)).body['stateToken']
      const verify = (factorId: string, body: object) => c.post(`/api/v1/authn/factors/${factorId}/verify`, { stateToken, ...body })
      const first = await verify(FACTOR.maeGoogle, { passCode: await wrongCodeAt(TOTP_SECRET, clock.now()) })
      expect([outcomeOf(first), causesOf(first)]).toEqual(['403 E0000068', [{ errorSummary: PASSCODE_MISMATCH }]])
      const second = await verify(FACTOR.maeQuestion, { answer: 'a blue whistle' })
      expect([outcomeOf(second), causesOf(second)]).toEqual(['403 E0000068', [{ errorSummary: ANSWER_MISMATCH }]])
      const third = await verify(FACTOR.maeOkta, { passCode: await wrongCodeAt(OTHER_SECRET, clock.now()) })
      expect([outcomeOf(third), third.body['errorSummary'], causesOf(third)]).toEqual(['403 E0000069', 'User Locked', []])

      expect(outcomeOf(await c.post('/api/v1/authn', { stateToken }))).toBe('401 E0000011')
      expect(outcomeOf(await verify(FACTOR.maeGoogle, { passCode: await codeAt(TOTP_SECRET, clock.now()) }))).toBe('401 E0000011')
      // The policy hides lockout: the right password is answered as a wrong one.
      expect(outcomeOf(await c.signIn(MAE))).toBe('401 E0000004')
      expect(outcomeOf(await c.signIn(OTTO))).toBe('MFA_REQUIRED')
    })

    it('lockout shown by policy: after the locking passCode, sign-in answers LOCKED_OUT', async () => {
      const { server, clock } = await start(mfaSeed({ maeFactors: MAE_FACTORS, maxAttempts: 3, showLockoutFailures: true, policies: { signOn: { requireFactor: true } } }))
      const c = authnClient(server)
      const stateToken = (await c.signIn(MAE)).body['stateToken']
      const answers = []
      for (let i = 0; i < 3; i++)
        answers.push(outcomeOf(await c.post(`/api/v1/authn/factors/${FACTOR.maeGoogle}/verify`, { stateToken, passCode: await wrongCodeAt(TOTP_SECRET, clock.now()) })))
      expect(answers).toEqual(['403 E0000068', '403 E0000068', '403 E0000069'])
      expect(outcomeOf(await c.signIn(MAE))).toBe('LOCKED_OUT')
    })

    it('a success resets the count: two wrong codes, the right one, then two wrong codes again are all E0000068', async () => {
      const { server, clock } = await start(mfaSeed({ maeFactors: MAE_FACTORS, maxAttempts: 3, policies: { signOn: { requireFactor: true } } }))
      const c = authnClient(server)
      const answers: string[] = []
      for (let round = 0; round < 2; round++) {
        const stateToken = (await c.signIn(MAE)).body['stateToken']
        for (let i = 0; i < 2; i++)
          answers.push(outcomeOf(await c.post(`/api/v1/authn/factors/${FACTOR.maeGoogle}/verify`, { stateToken, passCode: await wrongCodeAt(TOTP_SECRET, clock.now()) })))
        answers.push(outcomeOf(await c.post(`/api/v1/authn/factors/${FACTOR.maeGoogle}/verify`, { stateToken, passCode: await codeAt(TOTP_SECRET, clock.now()) })))
        clock.advance(STEP_MS)
      }
      expect(answers).toEqual(['403 E0000068', '403 E0000068', 'SUCCESS', '403 E0000068', '403 E0000068', 'SUCCESS'])
    })

    it('a burst of wrong codes in parallel transactions cannot get past the lockout', async () => {
      const { server, clock } = await start(mfaSeed({ maeFactors: MAE_FACTORS, maxAttempts: 3, policies: { signOn: { requireFactor: true } } }))
      const c = authnClient(server)
      const tokens = await Promise.all(Array.from({ length: 8 }, async () => (await c.signIn(MAE)).body['stateToken']))
      const wrong = await wrongCodeAt(TOTP_SECRET, clock.now())
      const answers = await Promise.all(tokens.map((stateToken) => c.post(`/api/v1/authn/factors/${FACTOR.maeGoogle}/verify`, { stateToken, passCode: wrong })))
      const outcomes = answers.map(outcomeOf)
      // Every answer is a refusal; at most maxAttempts - 1 of them are plain mismatches. The rest are
      // the lock itself, a refusal while the attempts left are taken (E0000047), or a transaction the
      // lock ended (E0000011).
      expect(outcomes.filter((o) => !['403 E0000068', '403 E0000069', '429 E0000047', '401 E0000011'].includes(o))).toEqual([])
      expect(outcomes.filter((o) => o === '403 E0000068').length).toBeLessThanOrEqual(2)
      expect(outcomes).toContain('403 E0000069')
      expect(outcomeOf(await c.signIn(MAE))).toBe('401 E0000004')
    })

    it('the same TOTP code twice is 403 E0000082, as is the code of the step before the one used; neither counts toward lockout; the next step works', async () => {
      const { server, clock } = await start(mfaSeed({ maeFactors: MAE_FACTORS, maxAttempts: 3, policies: { signOn: { requireFactor: true } } }))
      const c = authnClient(server)
      const code = await codeAt(TOTP_SECRET, clock.now())
      const first = (await c.signIn(MAE)).body['stateToken']
      expect(outcomeOf(await c.post(`/api/v1/authn/factors/${FACTOR.maeGoogle}/verify`, { stateToken: first, passCode: code }))).toBe('SUCCESS')

      const stateToken = (await c.signIn(MAE)).body['stateToken']
      const verify = (passCode: string) => c.post(`/api/v1/authn/factors/${FACTOR.maeGoogle}/verify`, { stateToken, passCode })
      const replay = await verify(code)
      expect([replay.status, replay.body['errorCode'], replay.body['errorSummary'], causesOf(replay)]).toEqual([
        403,
        'E0000082',
        'Each code can only be used once. Please wait for a new code and try again.',
        [],
      ])
      for (let i = 0; i < 3; i++) expect(outcomeOf(await verify(code))).toBe('403 E0000082')
      expect(outcomeOf(await verify(await codeAt(TOTP_SECRET, clock.now() - STEP_MS)))).toBe('403 E0000082')
      // Another factor's code at the same step is its own: accepted.
      const other = (await c.signIn(MAE)).body['stateToken']
      expect(outcomeOf(await c.post(`/api/v1/authn/factors/${FACTOR.maeOkta}/verify`, { stateToken: other, passCode: await codeAt(OTHER_SECRET, clock.now()) }))).toBe('SUCCESS')
      clock.advance(STEP_MS)
      expect(outcomeOf(await verify(await codeAt(TOTP_SECRET, clock.now())))).toBe('SUCCESS')
    })

    it('answers of the wrong shape are 400 E0000001 and count for nothing', async () => {
      const { server, clock } = await start(mfaSeed({ maeFactors: MAE_FACTORS, maxAttempts: 3, policies: { signOn: { requireFactor: true } } }))
      const c = authnClient(server)
      const stateToken = (await c.signIn(MAE)).body['stateToken']
      const cases: ReadonlyArray<readonly [string, object, string]> = [
        [FACTOR.maeGoogle, {}, 'passCode: The field cannot be left blank'],
        [FACTOR.maeGoogle, { passCode: 123456 }, 'passCode: Expected string'],
        [FACTOR.maeGoogle, { answer: MAE_ANSWER }, 'passCode: The field cannot be left blank'],
        [FACTOR.maeQuestion, { passCode: '123456' }, 'answer: The field cannot be left blank'],
      ]
      for (const [factorId, body, cause] of cases) {
        const r = await c.post(`/api/v1/authn/factors/${factorId}/verify`, { stateToken, ...body })
        expect([factorId, body, outcomeOf(r), causesOf(r)]).toEqual([factorId, body, '400 E0000001', [{ errorSummary: cause }]])
      }
      expect(outcomeOf(await c.post(`/api/v1/authn/factors/${FACTOR.maeGoogle}/verify`, { stateToken, passCode: await codeAt(TOTP_SECRET, clock.now()) }))).toBe('SUCCESS')
    })

    it('a remembered device is kept by the store: the trusted caller signs in without MFA from it, an untrusted one does not', async () => {
      const policies = { signOn: { requireFactor: true, allowRememberDevice: true, rememberDeviceLifetimeInMinutes: 60 } }
      const { server, clock } = await start(mfaSeed({ maeFactors: MAE_FACTORS, policies }))
      const trusted = authnClient(server, TRUSTED)
      const context = { deviceToken: 'per-store-device-0001' }
      const stateToken = (await trusted.signIn(MAE, { context })).body['stateToken']
      // The device token goes with the verify body too (the engine reads it there; reported).
      const verified = await trusted.post(`/api/v1/authn/factors/${FACTOR.maeGoogle}/verify?rememberDevice=true`, {
        stateToken,
        passCode: await codeAt(TOTP_SECRET, clock.now()),
        context,
      })
      expect(outcomeOf(verified)).toBe('SUCCESS')
      expect(outcomeOf(await trusted.signIn(MAE, { context }))).toBe('SUCCESS')
      expect(outcomeOf(await authnClient(server).signIn(MAE, { context }))).toBe('MFA_REQUIRED')
      expect(outcomeOf(await trusted.signIn(OTTO, { context }))).toBe('MFA_REQUIRED')
    })
  })
}
