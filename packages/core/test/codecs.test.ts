import { fc, test } from '@fast-check/vitest'
import * as E from 'fp-ts/lib/Either.js'
import type * as t from 'io-ts'
import { describe, expect, it } from 'vitest'
import {
  AuthnContext,
  AuthnEvent,
  ChangePasswordRequest,
  IssuedToken,
  LogEntry,
  OrgSeed,
  Policies,
  PrimaryAuthRequest,
  ResetPasswordRequest,
  SessionTokenRequest,
  StateTokenRequest,
  TransactionRecord,
  UserRecord,
  asVersion,
  describeDecodeErrors,
  type OrgSeed as OrgSeedT,
} from '../src/index.js'
import {
  FINISHED_STATES,
  LIVE_STATES,
  T0,
  arbComplexity,
  arbContext,
  arbEnrollable,
  arbEventBetween,
  arbLockout,
  arbPolicies,
  arbSignOn,
  arbTokenHash,
  arbTransactionId,
  arbUser,
  arbUserId,
  arbVersion,
} from './arbitraries.js'

/** Stored as JSON: encode, stringify, parse, decode. */
const roundTrip = <A, O>(codec: t.Type<A, O, unknown>, value: A): E.Either<t.Errors, A> =>
  codec.decode(JSON.parse(JSON.stringify(codec.encode(value))) as unknown)

const arbTransactionRecord: fc.Arbitrary<TransactionRecord> = fc
  .record({
    id: arbTransactionId,
    stateTokenHash: arbTokenHash,
    version: arbVersion,
    state: fc.constantFrom('UNAUTHENTICATED' as const, ...LIVE_STATES, ...FINISHED_STATES),
    context: arbContext,
    credentialEpoch: fc.nat({ max: 1000 }),
  })
  .map((r) => ({ schemaVersion: 1 as const, kind: 'authn' as const, createdAt: T0, expiresAt: r.context.expiresAt, ...r }))

const arbEvent = arbEventBetween(T0, T0 + 1e9)
/** The first entry (version 1) holds the start context; later entries hold null. */
const arbLogEntry: fc.Arbitrary<LogEntry> = fc.oneof(
  fc.record({ transactionId: arbTransactionId, version: fc.constant(1).map(asVersion), event: arbEvent, start: arbContext }),
  fc.record({ transactionId: arbTransactionId, version: arbVersion, event: arbEvent, start: fc.constant(null) }),
)
const arbIssuedToken: fc.Arbitrary<IssuedToken> = fc.record({
  schemaVersion: fc.constant(1 as const),
  hash: arbTokenHash,
  kind: fc.constantFrom('session' as const, 'recovery' as const),
  userId: arbUserId,
  transactionId: arbTransactionId,
  expiresAt: fc.integer({ min: T0, max: T0 + 1e9 }),
})

const word = fc.string({ minLength: 1, maxLength: 10 })
const arbOrgSeed: fc.Arbitrary<OrgSeedT> = fc.record(
  {
    users: fc.array(
      fc.record(
        {
          login: word,
          firstName: word,
          lastName: word,
          id: word,
          password: word,
          status: fc.constantFrom('ACTIVE' as const, 'LOCKED_OUT' as const, 'PASSWORD_EXPIRED' as const, 'STAGED' as const),
          passwordChanged: fc.constant('2024-01-01T00:00:00.000Z'),
          activationToken: word,
          email: word,
          mobilePhone: word,
          locale: word,
          timeZone: word,
          recoveryQuestion: fc.record({ question: word, answer: word }),
          factors: fc.array(
            fc.record(
              {
                factorType: fc.constantFrom('sms' as const, 'token:software:totp' as const, 'question' as const),
                provider: fc.constantFrom('OKTA' as const, 'GOOGLE' as const),
                id: word,
                status: fc.constantFrom('ACTIVE' as const, 'PENDING_ACTIVATION' as const),
                secret: word,
                phoneNumber: word,
                question: word,
                answer: word,
              },
              { requiredKeys: ['factorType', 'provider'] },
            ),
            { maxLength: 2 },
          ),
        },
        { requiredKeys: ['login', 'firstName', 'lastName'] },
      ),
      { maxLength: 3 },
    ),
    policies: fc.record(
      {
        password: fc.record(
          { complexity: arbComplexity.map((c) => ({ minLength: c.minLength, excludeUsername: c.excludeUsername })), lockout: arbLockout },
          { requiredKeys: [] },
        ),
        signOn: arbSignOn,
        enrollment: fc.record({ factors: fc.array(arbEnrollable, { maxLength: 2 }) }),
        recovery: fc.record(
          { channels: fc.record({ email: fc.boolean(), sms: fc.boolean() }, { requiredKeys: [] }), selfServiceUnlock: fc.boolean() },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: ['users'] },
)

interface Case {
  readonly name: string
  readonly codec: t.Type<unknown, unknown, unknown>
  readonly arb: fc.Arbitrary<unknown>
  /** Ways to break a valid encoded value. */
  readonly breaks: ReadonlyArray<(v: Record<string, unknown>) => unknown>
}

const set = (key: string, value: unknown) => (v: Record<string, unknown>) => ({ ...v, [key]: value })
const drop = (key: string) => (v: Record<string, unknown>) => {
  const { [key]: _dropped, ...rest } = v
  return rest
}

const CASES: ReadonlyArray<Case> = [
  {
    name: 'TransactionRecord',
    codec: TransactionRecord,
    arb: arbTransactionRecord,
    breaks: [set('schemaVersion', 2), set('id', 'abc'), set('version', 0), set('state', 'NOPE'), set('stateTokenHash', 'short'), drop('context'), set('context', { userId: 'x' })],
  },
  { name: 'LogEntry', codec: LogEntry, arb: arbLogEntry, breaks: [set('version', 1.5), set('event', { type: 'nope', now: 1 }), drop('event'), drop('start'), set('start', { flow: 'PASSWORD' })] },
  { name: 'IssuedToken', codec: IssuedToken, arb: arbIssuedToken, breaks: [set('kind', 'state'), set('hash', 'x'.repeat(42)), set('expiresAt', '1')] },
  {
    name: 'UserRecord',
    codec: UserRecord,
    arb: arbUser,
    breaks: [set('schemaVersion', 0), set('status', 'active'), set('profile', { login: 'x' }), set('rememberedDevices', [{ hash: 1 }]), set('failedAttempts', null)],
  },
  { name: 'AuthnEvent', codec: AuthnEvent, arb: arbEvent, breaks: [set('now', '1'), set('type', 'password.forgot'), drop('now')] },
  {
    name: 'AuthnContext',
    codec: AuthnContext,
    arb: arbContext,
    breaks: [set('flow', 'TOKEN'), set('sessionTokenHash', 1), drop('progress'), set('policy', {}), set('factors', null)],
  },
  {
    name: 'Policies',
    codec: Policies,
    arb: arbPolicies,
    breaks: [set('signOn', { access: 'MAYBE' }), drop('password'), set('enrollment', { factors: [{ factorType: 'sms', provider: 'OKTA', enroll: 'SOMETIMES' }] })],
  },
  { name: 'OrgSeed', codec: OrgSeed, arb: arbOrgSeed, breaks: [drop('users'), set('users', [{ login: 'a' }]), set('policies', { signOn: { access: 1 } })] },
] as unknown as ReadonlyArray<Case>

describe('stored codecs', () => {
  describe.each(CASES.map((c) => [c.name, c] as const))('%s', (_, c) => {
    test.prop([c.arb])('encode → JSON → decode round-trips', (v) => {
      const r = roundTrip(c.codec, v)
      expect(E.isRight(r) ? r.right : describeDecodeErrors(r.left)).toEqual(v)
    })

    test.prop([c.arb, fc.nat()])('malformed values fail to decode', (v, n) => {
      const encoded = JSON.parse(JSON.stringify(c.codec.encode(v))) as Record<string, unknown>
      const broken = c.breaks[n % c.breaks.length]?.(encoded)
      expect(E.isLeft(c.codec.decode(broken))).toBe(true)
    })

    test.prop([fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.array(fc.nat()))])('non-objects fail to decode', (v) => {
      expect(E.isLeft(c.codec.decode(v))).toBe(true)
    })
  })
})

const noSurrogates = fc.string({ unit: 'binary', maxLength: 256 }).filter((s) => !/[\uD800-\uDFFF]/.test(s) && !s.includes('\u0000'))
const fourByte = fc.tuple(fc.string({ maxLength: 10 }), fc.constantFrom('😀', '𝄞', '🐈', '\u{10FFFF}'), fc.string({ maxLength: 10 })).map(([a, x, b]) => a + x + b)
const tooLong = (max: number) => fc.string({ minLength: max + 1, maxLength: max + 40 })
const notAString = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 }), fc.object({ maxDepth: 1 }))

describe('request codecs', () => {
  test.prop([fc.array(fc.constantFrom('a', 'Z', '9', '!', 'é', '😀', '𝄞', '\u{10FFFF}'), { minLength: 1, maxLength: 256 }).map((cs) => cs.join(''))])(
    'passwords count code points: any Unicode up to 256 characters is accepted (an emoji is one character)',
    (password) => {
      expect(E.isRight(PrimaryAuthRequest.decode({ username: 'u', password }))).toBe(true)
      expect(E.isRight(ChangePasswordRequest.decode({ stateToken: '00st', oldPassword: password, newPassword: password }))).toBe(true)
      expect(E.isRight(ResetPasswordRequest.decode({ stateToken: '00st', newPassword: password }))).toBe(true)
    },
  )

  test.prop([fc.oneof(fc.constant('😀'.repeat(257)), fc.constant('a'.repeat(257)), fc.constantFrom('ab\uD83D', '\uDE00x', 'a\u0000b'), notAString)])(
    'a password over 256 characters, with NUL or an unpaired surrogate is refused with a cause that says so',
    (password) => {
      const r = PrimaryAuthRequest.decode({ username: 'u', password })
      expect(E.isLeft(r)).toBe(true)
      if (E.isLeft(r) && typeof password === 'string')
        expect(describeDecodeErrors(r.left)).toEqual(['password: Expected a password of at most 256 characters, without NUL or unpaired surrogates'])
    },
  )

  test.prop([noSurrogates, noSurrogates, fc.string({ maxLength: 2048 }).filter((s) => !/[\uD800-\uDFFF]/.test(s) && !s.includes('\u0000'))])(
    'PrimaryAuthRequest accepts strings up to their limits (BMP only, no NUL)',
    (username, password, relayState) => {
      expect(E.isRight(PrimaryAuthRequest.decode({ username, password, relayState, options: { warnBeforePasswordExpired: true } }))).toBe(true)
    },
  )

  test.prop([fc.constantFrom('username', 'token', 'stateToken', 'audience'), fc.oneof(notAString, fourByte, tooLong(256))])(
    'PrimaryAuthRequest refuses wrong types, oversize strings and 4-byte characters (except in passwords)',
    (field, value) => {
      const r = PrimaryAuthRequest.decode({ username: 'u', password: 'p', [field]: value })
      expect(E.isLeft(r)).toBe(true)
      if (E.isLeft(r)) for (const cause of describeDecodeErrors(r.left)) expect(cause.startsWith(`${field}: `)).toBe(true)
    },
  )

  it('request strings refuse NUL, which no JSON store keeps', () => {
    expect(E.isLeft(PrimaryAuthRequest.decode({ username: 'a\u0000b', password: 'p' }))).toBe(true)
    expect(E.isLeft(PrimaryAuthRequest.decode({ relayState: '\u0000' }))).toBe(true)
  })

  it('PrimaryAuthRequest limits relayState to 2048 and context.deviceToken to 32', () => {
    expect(E.isRight(PrimaryAuthRequest.decode({ relayState: 'r'.repeat(2048), context: { deviceToken: 'd'.repeat(32) } }))).toBe(true)
    expect(E.isLeft(PrimaryAuthRequest.decode({ relayState: 'r'.repeat(2049) }))).toBe(true)
    const r = PrimaryAuthRequest.decode({ context: { deviceToken: 'd'.repeat(33) } })
    expect(E.isLeft(r) && describeDecodeErrors(r.left)).toEqual(['context.deviceToken: Expected string (max 32)'])
    const o = PrimaryAuthRequest.decode({ options: { warnBeforePasswordExpired: 'true' } })
    expect(E.isLeft(o) && describeDecodeErrors(o.left)).toEqual(['options.warnBeforePasswordExpired: Expected boolean'])
  })

  test.prop([fc.constantFrom('stateToken', 'oldPassword', 'newPassword').chain((field) => fc.tuple(fc.constant(field), field === 'stateToken' ? fc.oneof(notAString, fourByte, tooLong(256)) : fc.oneof(notAString, tooLong(256))))])(
    'ChangePasswordRequest refuses wrong types and oversize strings (and 4-byte characters in the state token)',
    ([field, value]) => {
      const r = ChangePasswordRequest.decode({ stateToken: 's', oldPassword: 'o', newPassword: 'n', [field]: value })
      expect(E.isLeft(r)).toBe(true)
      if (E.isLeft(r)) expect(describeDecodeErrors(r.left).every((c) => c.startsWith(`${field}: `))).toBe(true)
    },
  )

  it('ChangePasswordRequest: missing fields, revokeSessions, empty state token', () => {
    const missing = ChangePasswordRequest.decode({ stateToken: 's', newPassword: 'n' })
    expect(E.isLeft(missing) && describeDecodeErrors(missing.left)).toEqual(['oldPassword: The field cannot be left blank'])
    expect(E.isRight(ChangePasswordRequest.decode({ stateToken: 's', oldPassword: 'o', newPassword: 'n', revokeSessions: true }))).toBe(true)
    expect(E.isLeft(ChangePasswordRequest.decode({ stateToken: 's', oldPassword: 'o', newPassword: 'n', revokeSessions: 'yes' }))).toBe(true)
    expect(E.isLeft(ChangePasswordRequest.decode({ stateToken: '', oldPassword: 'o', newPassword: 'n' }))).toBe(true)
  })

  test.prop([fc.oneof(notAString, fourByte, tooLong(256), fc.constant(''))])('StateTokenRequest and ResetPasswordRequest refuse bad state tokens', (stateToken) => {
    expect(E.isLeft(StateTokenRequest.decode({ stateToken }))).toBe(true)
    expect(E.isLeft(ResetPasswordRequest.decode({ stateToken, newPassword: 'n' }))).toBe(true)
  })

  test.prop([fc.oneof(notAString, fourByte, tooLong(256))])('SessionTokenRequest refuses bad session tokens', (sessionToken) => {
    expect(E.isLeft(SessionTokenRequest.decode({ sessionToken }))).toBe(true)
  })

  test.prop([fc.anything()])('describeDecodeErrors always gives `field: …` causes', (body) => {
    for (const codec of [PrimaryAuthRequest, StateTokenRequest, ChangePasswordRequest, ResetPasswordRequest, SessionTokenRequest] as ReadonlyArray<t.Decoder<unknown, unknown>>) {
      const r = codec.decode(body)
      if (E.isLeft(r)) {
        const causes = describeDecodeErrors(r.left)
        expect(causes.length).toBeGreaterThan(0)
        for (const c of causes) expect(c).toMatch(/^[A-Za-z][A-Za-z.]*: (The field cannot be left blank|Expected .+)$/)
      }
    }
  })
})
