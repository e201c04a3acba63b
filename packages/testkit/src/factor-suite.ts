import { randomBytes } from 'node:crypto'
import { fc, test } from '@fast-check/vitest'
import type { Either } from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import {
  ERROR_CATALOGUE,
  describeDecodeErrors,
  type AuthnFailure,
  type DelegatingFactor,
  type DelegationLinks,
  type Enrollment,
  type EpochMs,
  type ErrorCode,
  type Factor,
  type FactorContext,
  type FactorSubject,
  type Hasher,
  type IssuedNonce,
  type SeededFactor,
  type SendingFactor,
  type Verification,
  type VerifyingFactor,
} from '@authn-machine/core'
import { createSeededRandom, createTrivialHasher } from './fixtures.js'
import { expectLeft, expectRight } from './run.js'

/** One known-answer check: raw (stored/wire) values, decoded through the factor's codecs. */
export interface FactorVector {
  readonly name: string
  /** The secret as stored (goes through `secretCodec`). */
  readonly secret: unknown
  /** The verification body (goes through `answerCodec`). */
  readonly answer: unknown
  readonly now: EpochMs
  readonly lastCounter: number | null
  /** `Rejected`, or Accepted with this counter. */
  readonly expected: 'Rejected' | 'Replayed' | { readonly counter: number | null }
}

/**
 * What `describeFactor` needs. A family that verifies answers against its secret (`verify`: TOTP,
 * HOTP, a question) needs `validAnswer` and `invalidAnswers`; a family that sends codes (`delivery`:
 * SMS, call, email) needs neither, since the engine checks the codes it sends: it may give `seed`.
 * A family a third party verifies (`delegation`: Duo) needs neither either: it may give `seed`,
 * `responseFields` and `wrongResponses`.
 */
export interface FactorSuiteOptions<P, S, A> {
  readonly factor: Factor<P, S, A>
  /** A well-formed enroll request body (what follows `stateToken`, `factorType` and `provider`). */
  readonly enrollRequest: unknown
  /**
   * Verifying families only. For a family that cannot be enrolled through authn (token:hotp): the
   * failure code `enroll` answers for a well-formed request, and a seeded factor (stored profile
   * and secret) to verify.
   */
  readonly refusesEnrollment?: {
    readonly code: ErrorCode
    readonly seeded: { readonly profile: unknown; readonly secret: unknown }
  }
  /**
   * Required for a verifying family (describeFactor throws without it). A valid answer
   * (verification body) for `secret` at `now`, when no counter has been used yet.
   */
  readonly validAnswer?: (secret: S, now: EpochMs) => A | Promise<A>
  /**
   * Required for a verifying family (describeFactor throws without it). Well-formed (the answer
   * codec accepts them) but wrong answers for `secret` at `now`: each is Rejected.
   */
  readonly invalidAnswers?: (secret: S, now: EpochMs) => ReadonlyArray<unknown> | Promise<ReadonlyArray<unknown>>
  /**
   * The secret's strings that the profile may show because they are public by nature (a token's
   * credential id that the verification service needs, and that Okta shows as `credentialId`);
   * every other string of the secret stays out of the profile view.
   */
  readonly publicSecretStrings?: (secret: S) => ReadonlyArray<string>
  /** Family-specific malformed enroll bodies, refused with E0000001 and causes (generic ones are always tried). */
  readonly malformedEnrollRequests?: ReadonlyArray<unknown>
  /** Verifying, time-based families: the time step (ms). A code from 5 steps ago must be Rejected. */
  readonly timeStepMs?: number
  /** Verifying families: known-answer vectors. */
  readonly vectors?: ReadonlyArray<FactorVector>
  /**
   * Sending families: an org seed the factor loads (default: the enroll request's profile).
   * Delegating families: an org seed the factor loads (default: the profile enrollment stores).
   */
  readonly seed?: SeededFactor
  /** Delegating families: the fields of the third party's response (the answer codec's), for the arbitrary responses tried. */
  readonly responseFields?: ReadonlyArray<string>
  /**
   * Delegating families: responses the answer codec accepts but that no third party signed for the
   * verification (garbage, empty, wrong format): each is `rejected`.
   */
  readonly wrongResponses?: ReadonlyArray<unknown>
  readonly subject?: FactorSubject
  /** Default: the testkit's trivial hasher. */
  readonly hasher?: Hasher
  /** Default: 2026-01-01T12:00:10Z. */
  readonly now?: EpochMs
  /** fast-check runs per property (default 50). */
  readonly numRuns?: number
}

const SUBJECT: FactorSubject = { login: 'factor.conformance@example.com', email: 'factor.conformance@example.com' }
const NOW: EpochMs = Date.UTC(2026, 0, 1, 12, 0, 10)

/** Bodies no factor accepts as an enroll request. */
const GENERIC_MALFORMED_ENROLL: ReadonlyArray<unknown> = [null, 42, 'profile', [], true, { profile: 'x' }, { profile: null }, { profile: [] }, { profile: {}, passCode: 7 }]

/** Every string in a JSON-like value, keys included. */
const stringsIn = (v: unknown, out: string[] = []): string[] => {
  if (typeof v === 'string') out.push(v)
  else if (Array.isArray(v)) for (const x of v) stringsIn(x, out)
  else if (typeof v === 'object' && v !== null)
    for (const [k, x] of Object.entries(v)) {
      out.push(k)
      stringsIn(x, out)
    }
  return out
}

const isFailure = (f: AuthnFailure): boolean =>
  Object.prototype.hasOwnProperty.call(ERROR_CATALOGUE, f.code) && Array.isArray(f.causes) && f.causes.every((c) => typeof c === 'string')

/** Runs a port call, turning a synchronous throw or a rejected promise into a test failure with a clear message. */
const settle = async <E, B>(thunk: () => () => Promise<Either<E, B>>, what: string): Promise<Either<E, B>> => {
  try {
    return await thunk()()
  } catch (e) {
    throw new Error(`${what} threw or rejected its promise: ${String(e)}`, { cause: e })
  }
}

/** Turns `[index, value]` pairs into an object over `keys` (so arbitrary bodies hit the real field names). */
const bodyOver = (keys: ReadonlyArray<string>, pairs: ReadonlyArray<readonly [number, unknown]>): Record<string, unknown> =>
  Object.fromEntries(pairs.map(([i, v]) => [keys.length === 0 ? 'x' : (keys[i % keys.length] ?? 'x'), v]))

const arbFieldValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.stringMatching(/^[0-9]{0,10}$/),
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(undefined, null, '', ' ', '\u0000', 'é', '０１２３４５'),
)
const arbPairs = fc.array(fc.tuple(fc.nat({ max: 16 }), arbFieldValue), { maxLength: 5 })
const arbLastCounter: fc.Arbitrary<number | null> = fc.oneof(
  fc.constant(null),
  fc.integer({ min: -5, max: 100 }),
  fc.integer(),
  fc.double(),
  fc.constantFrom(Number.MAX_SAFE_INTEGER, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
)

/** What the family-specific parts of the suite share: the options with their defaults, and helpers. */
interface SuiteScope<P, S> {
  readonly subject: FactorSubject
  readonly now: EpochMs
  readonly numRuns: number
  readonly ctx: (seed: number | string, at?: EpochMs) => FactorContext
  /** A fresh enrollment (activation included), for enrollable families. */
  readonly enrollmentOf: (seed: number | string) => Promise<Enrollment<P, S>>
  /** A factor to check: a fresh enrollment, or the seeded one when enrollment is refused. */
  readonly enrolled: (seed: number | string) => Promise<{ readonly profile: P; readonly secret: S }>
}

/** A JSON round trip. */
const json = (x: unknown): unknown => JSON.parse(JSON.stringify(x)) as unknown

/** The Right of a decode; a Left fails the test, showing the errors (the suite only decodes what the codec must accept). */
const decoded = <B>(codec: { readonly decode: (u: unknown) => Either<unknown, B> }, raw: unknown): B => expectRight(codec.decode(raw))

/**
 * The Factor contract (core/src/ports/factor.ts), run against any factor family. For every family:
 * malformed requests as E0000001 with causes, no throw on any enroll body, codecs that round-trip
 * through JSON, no secret in the profile view. For a family that verifies answers (`verify`):
 * enrollment and a valid answer, wrong answers, no throw on any answer or stored secret, one-time
 * counters (replay), expired time windows and known-answer vectors. For a family that sends codes
 * (`delivery`): enrollment PENDING_ACTIVATION, seeding, the message that carries a code, sane
 * delivery parameters, the `{ passCode }` answer codec and a profile view of the profile's fields.
 * For a family a third party verifies (`delegation`): enrollment PENDING_ACTIVATION, seeding, fresh
 * nonces, a pure view that carries its links, and no response the suite can make confirmed.
 */
export function describeFactor<P, S, A>(name: string, o: FactorSuiteOptions<P, S, A>): void {
  const f = o.factor
  const hasher = o.hasher ?? createTrivialHasher()
  const now = o.now ?? NOW
  const ctx = (seed: number | string, at: EpochMs = now): FactorContext => ({ random: createSeededRandom(`${name}:${seed}`), hasher, now: at })
  const subject = o.subject ?? SUBJECT
  const enrollmentOf = async (seed: number | string): Promise<Enrollment<P, S>> => {
    const req = decoded(f.enrollRequestCodec, o.enrollRequest)
    return expectRight(await settle(() => f.enroll(req, subject, ctx(seed)), 'enroll'))
  }
  const refused = o.refusesEnrollment
  const scope: SuiteScope<P, S> = {
    subject,
    now,
    numRuns: o.numRuns ?? 50,
    ctx,
    enrollmentOf,
    enrolled: async (seed) =>
      refused === undefined
        ? enrollmentOf(seed)
        : { profile: decoded(f.profileCodec, refused.seeded.profile), secret: decoded(f.secretCodec, refused.seeded.secret) },
  }
  if (f.delegation !== undefined) {
    // A family a third party verifies (Duo): what can be checked without the third party.
    describe(`Factor conformance (${name}: ${f.factorType}/${f.provider}, verified by a third party)`, () => {
      describeCommon(f, o, scope, 'E0000001')
      describeDelegating(f, o, scope)
    })
  } else if (f.challenges !== undefined) {
    // A family that signs nonces (WebAuthn, U2F) has its own protocol tests; the common part applies.
    describe(`Factor conformance (${name}: ${f.factorType}/${f.provider}, signs nonces)`, () => {
      describeCommon(f, o, scope, o.refusesEnrollment?.code ?? 'E0000001')
    })
  } else if (f.delivery === undefined) {
    const { validAnswer, invalidAnswers } = o
    if (validAnswer === undefined || invalidAnswers === undefined)
      throw new Error(`describeFactor(${name}): ${f.factorType}/${f.provider} verifies answers (no delivery): give validAnswer and invalidAnswers`)
    describe(`Factor conformance (${name}: ${f.factorType}/${f.provider})`, () => {
      describeCommon(f, o, scope, o.refusesEnrollment?.code ?? 'E0000001')
      describeVerifying(f, { ...o, validAnswer, invalidAnswers }, scope)
    })
  } else {
    describe(`Factor conformance (${name}: ${f.factorType}/${f.provider}, sends codes by ${f.delivery.channel})`, () => {
      describeCommon(f, o, scope, 'E0000001')
      describeSending(f, o, scope)
    })
  }
}

/** The links a started verification is shown with in the suite. */
const LINKS: DelegationLinks = {
  complete: 'https://authn.example/api/v1/authn/factors/f00conformance/lifecycle/duoCallback',
  script: 'https://authn.example/js/sections/duo/Duo-Web-v2.js',
  qrcode: 'https://authn.example/api/v1/authn/factors/f00conformance/qr/sealedToken',
  send: {
    email: 'https://authn.example/api/v1/authn/factors/f00conformance/lifecycle/activate/email',
    sms: 'https://authn.example/api/v1/authn/factors/f00conformance/lifecycle/activate/sms',
  },
}
const LINK_STRINGS: ReadonlyArray<string> = [LINKS.complete, LINKS.script, LINKS.qrcode, LINKS.send.email, LINKS.send.sms, LINKS.send.email.replace(/\/email$/, '')]

/**
 * The contract of a family a third party verifies (`delegation`), as far as it can be checked
 * without the third party: enrollment starts a verification (PENDING_ACTIVATION), seeding gives an
 * ACTIVE factor, nonces are Okta's 20 alphanumerics and fresh, the view of a started verification
 * is pure and carries its links, and no response the suite can make is confirmed, nor throws.
 */
function describeDelegating<P, S, A>(f: DelegatingFactor<P, S, A>, o: FactorSuiteOptions<P, S, A>, s: SuiteScope<P, S>): void {
  const { subject, ctx, enrollmentOf, now, numRuns } = s
  const d = f.delegation
  const startedAt = (nonce: string, at: EpochMs = now): IssuedNonce => ({ nonce, expiresAt: at + d.lifetimeMs })
  const seededOf = async (): Promise<SeededFactor> => {
    if (o.seed !== undefined) return o.seed
    const encoded = f.profileCodec.encode((await enrollmentOf('seed')).profile)
    if (typeof encoded !== 'object' || encoded === null) throw new Error(`the encoded profile is not an object: ${JSON.stringify(encoded)}`)
    return { profile: encoded as Readonly<Record<string, unknown>> }
  }
  const confirm = (profile: P, response: A, started: IssuedNonce, at: EpochMs = now): Promise<Either<AuthnFailure, 'confirmed' | 'denied' | 'rejected'>> =>
    settle(() => d.confirm(profile, response, started, { ...ctx('confirm', at), origin: 'https://authn.example' }), 'delegation.confirm')

  it('lifetimeMs is a positive, finite number of milliseconds', () => {
    expect(Number.isFinite(d.lifetimeMs)).toBe(true)
    expect(d.lifetimeMs).toBeGreaterThan(0)
  })

  it('enroll gives a PENDING_ACTIVATION factor (activation required) whose profile round-trips its codec', async () => {
    const e = await enrollmentOf('enroll')
    expect(e.activation).toBe('required')
    expect(f.profileCodec.is(e.profile)).toBe(true)
    expect(f.secretCodec.is(e.secret)).toBe(true)
    expect(decoded(f.profileCodec, json(f.profileCodec.encode(e.profile)))).toEqual(e.profile)
  })

  it('seed gives an ACTIVE factor (activation none) with a valid profile', async () => {
    const seeded = await seededOf()
    const e = expectRight(await settle(() => f.seed(seeded, subject, ctx('seed')), 'seed'))
    expect(e.activation).toBe('none')
    expect(f.profileCodec.is(e.profile)).toBe(true)
    expect(f.secretCodec.is(e.secret)).toBe(true)
    if (o.seed === undefined) expect(e.profile, 'a seed of the profile enrollment stores stores the same profile').toEqual((await enrollmentOf('seed')).profile)
  })

  test.prop([fc.integer({ min: 0, max: 1_000_000 })], { numRuns })('a nonce is 20 or more characters of [A-Za-z0-9_-], whatever the seeded source', (seed) => {
    const c = ctx(seed)
    const first = d.nonce(c)
    expect(first).toMatch(/^[A-Za-z0-9_-]{20,}$/)
    expect(d.nonce(c), 'a second draw from the same source').not.toBe(first)
  })

  it('nonces from a real random source differ between draws', () => {
    const real: FactorContext = { ...ctx('real'), random: { bytes: (n) => new Uint8Array(randomBytes(n)) } }
    const nonces = Array.from({ length: 16 }, () => d.nonce(real))
    for (const n of nonces) expect(n).toMatch(/^[A-Za-z0-9_-]{20,}$/)
    expect(new Set(nonces).size).toBe(nonces.length)
  })

  test.prop([fc.integer({ min: 0, max: 1_000_000 })], { numRuns: Math.min(numRuns, 25) })(
    'the view of a started verification, in either phase and with any result, is pure (the same for the same input, through JSON too), and every link in it is one it was given',
    async (seed) => {
      const e = await enrollmentOf(seed)
      const nonce = startedAt(d.nonce(ctx(seed)))
      for (const phase of ['activation', 'verification'] as const)
        for (const factorResult of ['WAITING', 'REJECTED', 'TIMEOUT'] as const) {
          const started = { ...nonce, phase, factorResult }
          const view = d.view(e.profile, started, LINKS)
          expect(d.view(e.profile, { ...started }, { ...LINKS, send: { ...LINKS.send } })).toEqual(view)
          expect(json(view)).toEqual(view)
          for (const link of stringsIn(view).filter((x) => x.startsWith('https://'))) expect(LINK_STRINGS, `${phase} ${factorResult}`).toContain(link)
        }
    },
  )

  it('the answer codec refuses what is not an object', () => {
    for (const raw of NON_OBJECT_ANSWERS) expect(f.answerCodec.decode(raw)._tag, `answer ${JSON.stringify(raw)}`).toBe('Left')
  })

  it('wrong responses (garbage, empty, wrong format) are rejected, before and after the verification expires; never a throw', async () => {
    const e = await enrollmentOf('wrong')
    const started = startedAt(d.nonce(ctx('wrong')))
    const fields = o.responseFields ?? []
    const generic = fields.flatMap((k) => [{ [k]: '' }, { [k]: 'garbage' }, { [k]: 'A|B|C:D|E|F' }, { [k]: ':' }, { [k]: '|||' }, { [k]: 'é\u0000' }])
    const candidates = [{}, ...generic, ...(o.wrongResponses ?? [])]
    let tried = 0
    for (const raw of candidates) {
      const response = f.answerCodec.decode(raw)
      if (response._tag === 'Left') continue
      tried += 1
      for (const at of [now, started.expiresAt, started.expiresAt + 1]) {
        expect(expectRight(await confirm(e.profile, response.right, started, at)), `response ${JSON.stringify(raw)} at ${at}`).toBe('rejected')
      }
    }
    if (fields.length > 0 || o.wrongResponses !== undefined) expect(tried, 'responses the answer codec accepted').toBeGreaterThan(0)
  })

  test.prop([fc.oneof(fc.jsonValue({ maxDepth: 3 }).map((v) => ({ kind: 'json' as const, v })), arbPairs.map((p) => ({ kind: 'fields' as const, p }))), fc.integer({ min: -1_000_000, max: 1_000_000 })], { numRuns })(
    'any response body at any time: the codec refuses it, or confirm answers rejected; never a throw',
    async (input, offset) => {
      const e = await enrollmentOf('fuzz-response')
      const raw = input.kind === 'json' ? input.v : bodyOver(o.responseFields ?? [], input.p)
      const response = f.answerCodec.decode(raw)
      if (response._tag === 'Left') return
      const started = startedAt(d.nonce(ctx('fuzz-response')))
      expect(expectRight(await confirm(e.profile, response.right, started, now + offset))).toBe('rejected')
    },
  )
}

/** The contract every family meets: its declaration, refusals of malformed enroll requests, codecs. */
function describeCommon<P, S, A>(f: Factor<P, S, A>, o: FactorSuiteOptions<P, S, A>, s: SuiteScope<P, S>, refusalCode: ErrorCode): void {
  const { subject, ctx, enrolled, numRuns } = s
  const sensitive = (secret: S): ReadonlyArray<string> => stringsIn(f.secretCodec.encode(secret)).filter((x) => x.length >= 8)

  it('declares its family: a factor type, a provider and a three-letter id prefix', () => {
    expect(f.idPrefix).toMatch(/^[a-z0-9]{3}$/)
    expect(typeof f.factorType).toBe('string')
    expect(typeof f.provider).toBe('string')
  })

  it('malformed enroll requests are refused with E0000001 and causes, never a throw', async () => {
    for (const raw of [...GENERIC_MALFORMED_ENROLL, ...(o.malformedEnrollRequests ?? [])]) {
      const decodedRequest = f.enrollRequestCodec.decode(raw)
      if (decodedRequest._tag === 'Left') {
        expect(describeDecodeErrors(decodedRequest.left).length, `causes for ${JSON.stringify(raw)}`).toBeGreaterThan(0)
        continue
      }
      const failure = expectLeft(await settle(() => f.enroll(decodedRequest.right, subject, ctx('malformed')), 'enroll'))
      expect(failure.code, `enroll ${JSON.stringify(raw)}`).toBe('E0000001')
      expect(failure.causes.length).toBeGreaterThan(0)
      expect(failure.causes.every((c) => typeof c === 'string' && c.length > 0), `causes ${JSON.stringify(failure.causes)}`).toBe(true)
    }
  })

  const enrollKeys = (): ReadonlyArray<string> => {
    const r = o.enrollRequest
    const profile = typeof r === 'object' && r !== null ? (r as { profile?: unknown }).profile : undefined
    return typeof profile === 'object' && profile !== null ? Object.keys(profile) : []
  }
  test.prop([fc.oneof(fc.jsonValue({ maxDepth: 3 }).map((v) => ({ kind: 'json' as const, v })), arbPairs.map((p) => ({ kind: 'profile' as const, p }))), fc.nat()], { numRuns })(
    'any enroll body: the codec refuses it with causes, or enroll answers (an enrollment, or a failure with causes); never a throw',
    async (input, seed) => {
      const raw = input.kind === 'json' ? input.v : { profile: bodyOver(enrollKeys(), input.p) }
      const decodedRequest = f.enrollRequestCodec.decode(raw)
      if (decodedRequest._tag === 'Left') {
        expect(describeDecodeErrors(decodedRequest.left).length).toBeGreaterThan(0)
        return
      }
      const r = await settle(() => f.enroll(decodedRequest.right, subject, ctx(seed)), 'enroll')
      if (r._tag === 'Left') {
        expect(isFailure(r.left)).toBe(true)
        expect(r.left.code).toBe(refusalCode)
        expect(r.left.causes.length).toBeGreaterThan(0)
      } else {
        expect(f.profileCodec.is(r.right.profile)).toBe(true)
        expect(f.secretCodec.is(r.right.secret)).toBe(true)
        // A family that sends codes is activated by a first sent code.
        if (f.delivery !== undefined) expect(r.right.activation).toBe('required')
      }
    },
  )

  test.prop([fc.integer({ min: 0, max: 1_000_000 })], { numRuns: Math.min(numRuns, 25) })('profileView never contains the secret', async (seed) => {
    const e = await enrolled(seed)
    const publicOnes = new Set(o.publicSecretStrings?.(e.secret) ?? [])
    const secrets = sensitive(e.secret).filter((k) => !publicOnes.has(k))
    for (const x of stringsIn(f.profileView(e.profile))) for (const k of secrets) expect(x.includes(k), `profile view string ${x}`).toBe(false)
  })

  test.prop([fc.integer({ min: 0, max: 1_000_000 })], { numRuns: Math.min(numRuns, 25) })('the profile and secret codecs round-trip through JSON', async (seed) => {
    const e = await enrolled(seed)
    expect(decoded(f.profileCodec, json(f.profileCodec.encode(e.profile)))).toEqual(e.profile)
    expect(decoded(f.secretCodec, json(f.secretCodec.encode(e.secret)))).toEqual(e.secret)
  })
}

/** The contract of a family that checks answers against its stored secret (`verify`). */
function describeVerifying<P, S, A>(
  f: VerifyingFactor<P, S, A>,
  o: FactorSuiteOptions<P, S, A> & Required<Pick<FactorSuiteOptions<P, S, A>, 'validAnswer' | 'invalidAnswers'>>,
  s: SuiteScope<P, S>,
): void {
  const { ctx, enrollmentOf, enrolled, now, numRuns } = s
  const verify = (secret: S, answer: A, lastCounter: number | null, at: EpochMs = now): Promise<Either<AuthnFailure, Verification<S>>> =>
    settle(() => f.verify(secret, answer, lastCounter, ctx('verify', at)), 'verify')
  const decodeAnswer = (raw: unknown): A => decoded(f.answerCodec, raw)

  if (o.refusesEnrollment === undefined) {
    it('enroll then verify with a valid answer is Accepted', async () => {
      const e = await enrolled('accept')
      const r = expectRight(await verify(e.secret, await o.validAnswer(e.secret, now), null))
      expect(r._tag).toBe('Accepted')
    })
    test.prop([fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 0, max: 4_000_000_000_000 })], { numRuns })(
      'a valid answer is Accepted for any enrollment at any time',
      async (seed, at) => {
        const e = await enrollmentOf(seed)
        expect(['required', 'none']).toContain(e.activation)
        const r = expectRight(await verify(e.secret, await o.validAnswer(e.secret, at), null, at))
        expect(r._tag).toBe('Accepted')
      },
    )
  } else {
    const refusal = o.refusesEnrollment
    it(`a well-formed enroll request is refused with ${refusal.code} and causes (enrollment is not offered through authn)`, async () => {
      const req = decoded(f.enrollRequestCodec, o.enrollRequest)
      const failure = expectLeft(await settle(() => f.enroll(req, s.subject, ctx('refuse')), 'enroll'))
      expect(failure.code).toBe(refusal.code)
      expect(failure.causes.length).toBeGreaterThan(0)
    })
    it('a seeded factor verifies a valid answer (Accepted)', async () => {
      const e = await enrolled('seeded')
      const r = expectRight(await verify(e.secret, await o.validAnswer(e.secret, now), null))
      expect(r._tag).toBe('Accepted')
    })
  }

  it('well-formed wrong answers are Rejected', async () => {
    const e = await enrolled('wrong')
    const wrong = await o.invalidAnswers(e.secret, now)
    expect(wrong.length).toBeGreaterThan(0)
    for (const raw of wrong) {
      const r = expectRight(await verify(e.secret, decodeAnswer(raw), null))
      expect(r, `answer ${JSON.stringify(raw)}`).toEqual({ _tag: 'Rejected' })
    }
  })

  test.prop([fc.oneof(fc.jsonValue({ maxDepth: 3 }).map((v) => ({ kind: 'json' as const, v })), arbPairs.map((p) => ({ kind: 'fields' as const, p }))), arbLastCounter], { numRuns })(
    'any answer body and any lastCounter: the codec refuses it, or verify answers Accepted, Rejected or a failure; never a throw',
    async (input, lastCounter) => {
      const e = await enrolled('fuzz-answer')
      const keys = Object.keys((await o.validAnswer(e.secret, now)) as object)
      const raw = input.kind === 'json' ? input.v : bodyOver(keys, input.p)
      const decodedAnswer = f.answerCodec.decode(raw)
      if (decodedAnswer._tag === 'Left') return
      const r = await verify(e.secret, decodedAnswer.right, lastCounter)
      if (r._tag === 'Left') expect(isFailure(r.left)).toBe(true)
      else expect(['Accepted', 'Rejected', 'Replayed']).toContain(r.right._tag)
    },
  )

  test.prop([fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.string({ maxLength: 120 }), fc.stringMatching(/^[A-Za-z2-7=\s]{0,120}$/))], { numRuns })(
    'any stored secret the codec accepts can be verified against without a throw',
    async (raw) => {
      const decodedSecret = f.secretCodec.decode(raw)
      if (decodedSecret._tag === 'Left') return
      const e = await enrolled('fuzz-secret')
      const r = await verify(decodedSecret.right, await o.validAnswer(e.secret, now), null)
      if (r._tag === 'Left') expect(isFailure(r.left)).toBe(true)
      else expect(['Accepted', 'Rejected', 'Replayed']).toContain(r.right._tag)
    },
  )

  it('one-time counters: an accepted counter is refused the second time (replay); a counter-less factor reports null each time', async () => {
    const e = await enrolled('replay')
    const answer = await o.validAnswer(e.secret, now)
    const first = expectRight(await verify(e.secret, answer, null))
    if (first._tag !== 'Accepted') throw new Error('the valid answer was not Accepted')
    if (first.counter === null) {
      // A family without one-time positions (security question): the same answer is accepted again, still without a counter.
      expect(expectRight(await verify(e.secret, answer, null))).toMatchObject({ _tag: 'Accepted', counter: null })
      return
    }
    // The same code again: a replay (403 E0000082), whether or not later positions were used since.
    expect(expectRight(await verify(e.secret, answer, first.counter))).toEqual({ _tag: 'Replayed' })
    expect(['Replayed', 'Rejected']).toContain(expectRight(await verify(e.secret, answer, first.counter + 1))._tag)
    if (first.counter > 0) {
      // Only positions at or before lastCounter are used up: the one just before leaves this one usable.
      expect(expectRight(await verify(e.secret, answer, first.counter - 1))).toMatchObject({ _tag: 'Accepted', counter: first.counter })
    }
  })

  if (o.timeStepMs !== undefined) {
    const step = o.timeStepMs
    it('expired windows: a code from 5 steps ago is Rejected', async () => {
      const e = await enrolled('expired')
      const old = await o.validAnswer(e.secret, now - 5 * step)
      expect(expectRight(await verify(e.secret, old, null))).toEqual({ _tag: 'Rejected' })
      expect(expectRight(await verify(e.secret, old, null, now - 5 * step))._tag).toBe('Accepted')
    })
  }

  for (const v of o.vectors ?? []) {
    it(`vector: ${v.name}`, async () => {
      const secret = decoded(f.secretCodec, v.secret)
      const r = expectRight(await verify(secret, decodeAnswer(v.answer), v.lastCounter, v.now))
      expect(r).toMatchObject(typeof v.expected === 'string' ? { _tag: v.expected } : { _tag: 'Accepted', counter: v.expected.counter })
    })
  }
}

/** Answer bodies that are not objects: no answer codec accepts them. */
const NON_OBJECT_ANSWERS: ReadonlyArray<unknown> = [undefined, null, 42, '123456', [], ['123456'], true]

/** The profile field a channel's message is addressed to. */
const DESTINATION_FIELD: Readonly<Record<'sms' | 'call' | 'email', string>> = { sms: 'phoneNumber', call: 'phoneNumber', email: 'email' }

/** Whether `text` carries `code`: as written, or (a voice call) its digits in order, with only non-digits between them. */
const carriesCode = (text: string, code: string, spoken: boolean): boolean =>
  spoken ? new RegExp(`(^|\\D)${[...code].join('\\D*')}(\\D|$)`, 'u').test(text) : text.includes(code)

/**
 * The contract of a family that sends codes (`delivery`): the engine checks the codes, so there is
 * no answer to verify here; the family enrolls, seeds, words its messages and sets its throttle.
 */
function describeSending<P, S, A>(f: SendingFactor<P, S, A>, o: FactorSuiteOptions<P, S, A>, s: SuiteScope<P, S>): void {
  const { subject, ctx, enrollmentOf, numRuns } = s
  const d = f.delivery
  const request = o.enrollRequest
  const requestProfile = typeof request === 'object' && request !== null ? (request as { profile?: unknown }).profile : undefined
  const seeded: SeededFactor = o.seed ?? { profile: typeof requestProfile === 'object' && requestProfile !== null ? (requestProfile as Record<string, unknown>) : {} }
  const encodedProfile = (profile: P): Readonly<Record<string, unknown>> => {
    const encoded = f.profileCodec.encode(profile)
    if (typeof encoded !== 'object' || encoded === null) throw new Error(`the encoded profile is not an object: ${JSON.stringify(encoded)}`)
    return encoded as Readonly<Record<string, unknown>>
  }

  it('delivery parameters are sane: a channel, 4 to 10 digits, a positive resend delay, a 429 throttle code of the catalogue', () => {
    expect(['sms', 'call', 'email']).toContain(d.channel)
    expect(Number.isInteger(d.codeLength)).toBe(true)
    expect(d.codeLength).toBeGreaterThanOrEqual(4)
    expect(d.codeLength).toBeLessThanOrEqual(10)
    expect(Number.isFinite(d.resendAfterMs)).toBe(true)
    expect(d.resendAfterMs).toBeGreaterThan(0)
    expect(Object.prototype.hasOwnProperty.call(ERROR_CATALOGUE, d.throttledCode)).toBe(true)
    expect(ERROR_CATALOGUE[d.throttledCode].status).toBe(429)
  })

  it('enroll gives a PENDING_ACTIVATION factor (activation required) with no secret to show', async () => {
    const e = await enrollmentOf('enroll')
    expect(e.activation).toBe('required')
    expect(f.profileCodec.is(e.profile)).toBe(true)
    expect(f.secretCodec.is(e.secret)).toBe(true)
    expect(f.activationView(e.profile, e.secret, { qrcode: 'https://authn.example/qr' })).toBeNull()
  })

  it('seed gives an ACTIVE factor (activation none) with a valid profile', async () => {
    const e = expectRight(await settle(() => f.seed(seeded, subject, ctx('seed')), 'seed'))
    expect(e.activation).toBe('none')
    expect(f.profileCodec.is(e.profile)).toBe(true)
    expect(f.secretCodec.is(e.secret)).toBe(true)
    if (o.seed === undefined) expect(e.profile, 'a seed of the enroll request profile stores what enrollment stores').toEqual((await enrollmentOf('seed')).profile)
  })

  const arbCode = fc.stringMatching(new RegExp(`^[0-9]{${d.codeLength}}$`, 'u'))
  test.prop([arbCode, fc.constantFrom('mfa-activation' as const, 'mfa-challenge' as const)], { numRuns })(
    "the message of any code, for either purpose, carries the code and is addressed to the profile's destination",
    async (code, purpose) => {
      const e = await enrollmentOf('message')
      const m = d.message(e.profile, code, purpose)
      expect(m.to).toBe(encodedProfile(e.profile)[DESTINATION_FIELD[d.channel]])
      expect(typeof m.subject).toBe('string')
      expect(m.text.length).toBeGreaterThan(0)
      expect(carriesCode(m.text, code, d.channel === 'call'), `${d.channel} text ${JSON.stringify(m.text)} carries ${code}`).toBe(true)
    },
  )

  it('the answer codec accepts { passCode } and refuses what is not an object', () => {
    expect(f.answerCodec.decode({ passCode: '123456' })).toEqual({ _tag: 'Right', right: { passCode: '123456' } })
    for (const raw of NON_OBJECT_ANSWERS) expect(f.answerCodec.decode(raw)._tag, `answer ${JSON.stringify(raw)}`).toBe('Left')
  })

  it("profileView shows the profile's fields and nothing else (the renderer masks them)", async () => {
    for (const e of [await enrollmentOf('view'), expectRight(await settle(() => f.seed(seeded, subject, ctx('view')), 'seed'))]) {
      const profile = encodedProfile(e.profile)
      const view = f.profileView(e.profile)
      for (const [k, v] of Object.entries(view)) expect(profile[k], `profile view field ${k}`).toEqual(v)
    }
  })
}
