import { fc, test } from '@fast-check/vitest'
import type { Either } from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import {
  ERROR_CATALOGUE,
  describeDecodeErrors,
  type AuthnFailure,
  type Enrollment,
  type EpochMs,
  type ErrorCode,
  type Factor,
  type FactorContext,
  type FactorSubject,
  type Hasher,
  type Verification,
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

export interface FactorSuiteOptions<P, S, A> {
  readonly factor: Factor<P, S, A>
  /** A well-formed enroll request body (what follows `stateToken`, `factorType` and `provider`). */
  readonly enrollRequest: unknown
  /**
   * For a family that cannot be enrolled through authn (token:hotp): the failure code `enroll`
   * answers for a well-formed request, and a seeded factor (stored profile and secret) to verify.
   */
  readonly refusesEnrollment?: {
    readonly code: ErrorCode
    readonly seeded: { readonly profile: unknown; readonly secret: unknown }
  }
  /** A valid answer (verification body) for `secret` at `now`, when no counter has been used yet. */
  readonly validAnswer: (secret: S, now: EpochMs) => A | Promise<A>
  /** Well-formed (the answer codec accepts them) but wrong answers for `secret` at `now`: each is Rejected. */
  readonly invalidAnswers: (secret: S, now: EpochMs) => ReadonlyArray<unknown> | Promise<ReadonlyArray<unknown>>
  /** Family-specific malformed enroll bodies, refused with E0000001 and causes (generic ones are always tried). */
  readonly malformedEnrollRequests?: ReadonlyArray<unknown>
  /** Time-based families: the time step (ms). A code from 5 steps ago must be Rejected. */
  readonly timeStepMs?: number
  readonly vectors?: ReadonlyArray<FactorVector>
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

/**
 * The Factor contract (core/src/ports/factor.ts), run against any factor family: enrollment and a
 * valid answer, wrong answers, malformed requests as E0000001 with causes, no throw on any input,
 * one-time counters (replay), expired time windows, no secret in the profile view, codecs that
 * round-trip through JSON, and known-answer vectors.
 */
export function describeFactor<P, S, A>(name: string, o: FactorSuiteOptions<P, S, A>): void {
  const f = o.factor
  const hasher = o.hasher ?? createTrivialHasher()
  const subject = o.subject ?? SUBJECT
  const now = o.now ?? NOW
  const numRuns = o.numRuns ?? 50
  const ctx = (seed: number | string, at: EpochMs = now): FactorContext => ({ random: createSeededRandom(`${name}:${seed}`), hasher, now: at })

  /** A fresh enrollment (activation included), for enrollable families. */
  const enrollmentOf = async (seed: number | string): Promise<Enrollment<P, S>> => {
    const req = expectRight(f.enrollRequestCodec.decode(o.enrollRequest))
    return expectRight(await settle(() => f.enroll(req, subject, ctx(seed)), 'enroll'))
  }
  /** A factor to verify against: a fresh enrollment, or the seeded one when enrollment is refused. */
  const enrolled = async (seed: number | string): Promise<{ readonly profile: P; readonly secret: S }> => {
    if (o.refusesEnrollment !== undefined) {
      return {
        profile: expectRight(f.profileCodec.decode(o.refusesEnrollment.seeded.profile)),
        secret: expectRight(f.secretCodec.decode(o.refusesEnrollment.seeded.secret)),
      }
    }
    return enrollmentOf(seed)
  }
  const verify = (secret: S, answer: A, lastCounter: number | null, at: EpochMs = now): Promise<Either<AuthnFailure, Verification<S>>> =>
    settle(() => f.verify(secret, answer, lastCounter, ctx('verify', at)), 'verify')
  const decodeAnswer = (raw: unknown): A => expectRight(f.answerCodec.decode(raw))
  const sensitive = (secret: S): ReadonlyArray<string> => stringsIn(f.secretCodec.encode(secret)).filter((s) => s.length >= 8)

  describe(`Factor conformance (${name}: ${f.factorType}/${f.provider})`, () => {
    it('declares its family: a factor type, a provider and a three-letter id prefix', () => {
      expect(f.idPrefix).toMatch(/^[a-z0-9]{3}$/)
      expect(typeof f.factorType).toBe('string')
      expect(typeof f.provider).toBe('string')
    })

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
        const req = expectRight(f.enrollRequestCodec.decode(o.enrollRequest))
        const failure = expectLeft(await settle(() => f.enroll(req, subject, ctx('refuse')), 'enroll'))
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

    it('malformed enroll requests are refused with E0000001 and causes, never a throw', async () => {
      for (const raw of [...GENERIC_MALFORMED_ENROLL, ...(o.malformedEnrollRequests ?? [])]) {
        const decoded = f.enrollRequestCodec.decode(raw)
        if (decoded._tag === 'Left') {
          expect(describeDecodeErrors(decoded.left).length, `causes for ${JSON.stringify(raw)}`).toBeGreaterThan(0)
          continue
        }
        const failure = expectLeft(await settle(() => f.enroll(decoded.right, subject, ctx('malformed')), 'enroll'))
        expect(failure.code, `enroll ${JSON.stringify(raw)}`).toBe('E0000001')
        expect(failure.causes.length).toBeGreaterThan(0)
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
        const decoded = f.enrollRequestCodec.decode(raw)
        if (decoded._tag === 'Left') {
          expect(describeDecodeErrors(decoded.left).length).toBeGreaterThan(0)
          return
        }
        const r = await settle(() => f.enroll(decoded.right, subject, ctx(seed)), 'enroll')
        if (r._tag === 'Left') {
          expect(isFailure(r.left)).toBe(true)
          expect(r.left.code).toBe(o.refusesEnrollment?.code ?? 'E0000001')
          expect(r.left.causes.length).toBeGreaterThan(0)
        } else {
          expect(f.profileCodec.is(r.right.profile)).toBe(true)
          expect(f.secretCodec.is(r.right.secret)).toBe(true)
        }
      },
    )

    test.prop([fc.oneof(fc.jsonValue({ maxDepth: 3 }).map((v) => ({ kind: 'json' as const, v })), arbPairs.map((p) => ({ kind: 'fields' as const, p }))), arbLastCounter], { numRuns })(
      'any answer body and any lastCounter: the codec refuses it, or verify answers Accepted, Rejected or a failure; never a throw',
      async (input, lastCounter) => {
        const e = await enrolled('fuzz-answer')
        const keys = Object.keys((await o.validAnswer(e.secret, now)) as object)
        const raw = input.kind === 'json' ? input.v : bodyOver(keys, input.p)
        const decoded = f.answerCodec.decode(raw)
        if (decoded._tag === 'Left') return
        const r = await verify(e.secret, decoded.right, lastCounter)
        if (r._tag === 'Left') expect(isFailure(r.left)).toBe(true)
        else expect(['Accepted', 'Rejected', 'Replayed']).toContain(r.right._tag)
      },
    )

    test.prop([fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.string({ maxLength: 120 }), fc.stringMatching(/^[A-Za-z2-7=\s]{0,120}$/))], { numRuns })(
      'any stored secret the codec accepts can be verified against without a throw',
      async (raw) => {
        const decoded = f.secretCodec.decode(raw)
        if (decoded._tag === 'Left') return
        const e = await enrolled('fuzz-secret')
        const r = await verify(decoded.right, await o.validAnswer(e.secret, now), null)
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

    test.prop([fc.integer({ min: 0, max: 1_000_000 })], { numRuns: Math.min(numRuns, 25) })('profileView never contains the secret', async (seed) => {
      const e = await enrolled(seed)
      const secrets = sensitive(e.secret)
      for (const s of stringsIn(f.profileView(e.profile))) for (const k of secrets) expect(s.includes(k), `profile view string ${s}`).toBe(false)
    })

    test.prop([fc.integer({ min: 0, max: 1_000_000 })], { numRuns: Math.min(numRuns, 25) })('the profile and secret codecs round-trip through JSON', async (seed) => {
      const e = await enrolled(seed)
      const json = (x: unknown): unknown => JSON.parse(JSON.stringify(x)) as unknown
      expect(expectRight(f.profileCodec.decode(json(f.profileCodec.encode(e.profile))))).toEqual(e.profile)
      expect(expectRight(f.secretCodec.decode(json(f.secretCodec.encode(e.secret))))).toEqual(e.secret)
    })

    for (const v of o.vectors ?? []) {
      it(`vector: ${v.name}`, async () => {
        const secret = expectRight(f.secretCodec.decode(v.secret))
        const r = expectRight(await verify(secret, decodeAnswer(v.answer), v.lastCounter, v.now))
        expect(r).toMatchObject(typeof v.expected === 'string' ? { _tag: v.expected } : { _tag: 'Accepted', counter: v.expected.counter })
      })
    }
  })
}
