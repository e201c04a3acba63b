import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import {
  CAUSES,
  DEFAULT_RECOVERY_POLICY,
  RecoveryContext,
  RecoveryEvent,
  decideRecovery,
  decideRecoveryStart,
  describeComplexity,
  initialRecoveryContext,
  precheckRecovery,
  recoveryMachine,
  renderEmailChallenge,
  renderRecovery,
  restoreRecovery,
  type AuthnFailure,
  type MachineState,
  type PasswordCandidate,
  type PasswordPolicy,
  type RecoveryDecision,
  type RecoveryEffect,
  type RecoveryInput,
  type RecoveryPolicy,
  type RecoverySnapshot,
  type SentCode,
} from '../src/index.js'
import { MINUTE, T0, arbCandidate, arbFactorId, arbPolicies, arbSentCodeAt, arbTokenHash, arbUser } from './arbitraries.js'

// The recovery machine (docs/adr/0012-recovery.md) against a reference model written from the spec
// (§4.12–4.18, §10.3) without looking at the xstate definition.

const FINISHED: ReadonlyArray<MachineState> = ['SUCCESS', 'CANCELLED', 'FAILED']
const LIVE: ReadonlyArray<MachineState> = ['RECOVERY_CHALLENGE', 'RECOVERY', 'PASSWORD_RESET']
const STATES: ReadonlyArray<MachineState> = ['UNAUTHENTICATED', ...LIVE, ...FINISHED]
const EVENT_TYPES: ReadonlyArray<RecoveryEvent['type']> = ['recovery.challenge', 'recovery.token', 'recovery.verify', 'recovery.answer', 'password.reset', 'transaction.read', 'transaction.cancel']

const arbRecoveryPolicy: fc.Arbitrary<RecoveryPolicy> = fc.record({
  channels: fc.record({ email: fc.boolean(), sms: fc.boolean(), call: fc.boolean() }),
  recoveryTokenLifetimeMinutes: fc.constantFrom(15, 60),
  selfServicePasswordReset: fc.boolean(),
  selfServiceUnlock: fc.boolean(),
  questionRequired: fc.boolean(),
  maxAnswerAttempts: fc.integer({ min: 1, max: 4 }),
})

export const arbRecoveryInput: fc.Arbitrary<RecoveryInput> = fc.record({
  user: fc.option(arbUser, { freq: 5 }),
  recoveryType: fc.constantFrom('PASSWORD' as const, 'UNLOCK' as const),
  factorType: fc.constantFrom('SMS' as const, 'CALL' as const, null),
  policy: fc.tuple(arbPolicies, fc.option(arbRecoveryPolicy, { freq: 4 })).map(([p, r]) => (r === null ? p : { ...p, recovery: r })),
  question: fc.option(fc.constantFrom('What is the food you least liked as a child?', 'Who was your first pet?'), { freq: 4 }),
  relayState: fc.option(fc.string({ maxLength: 12 })),
  now: fc.constant(T0),
  lifetimeMs: fc.constantFrom(5 * MINUTE, 60 * MINUTE),
  maxLifetimeMs: fc.constantFrom(30 * MINUTE, 60 * MINUTE),
  sessionLifetimeMs: fc.constantFrom(5 * MINUTE),
})

/** Any context the machine may hold: progress, codes and answers that only later steps set. */
const arbRecoveryContext: fc.Arbitrary<RecoveryContext> = fc
  .tuple(arbRecoveryInput, fc.boolean(), fc.integer({ min: 0, max: 3 }), fc.option(fc.integer({ min: T0 - MINUTE, max: T0 + 3 * MINUTE }).chain((at) => arbSentCodeAt(arbFactorId, at)), { freq: 2 }))
  .map(([input, channelVerified, wrongAnswers, sent]) => ({
    ...initialRecoveryContext(input),
    channelVerified,
    wrongAnswers,
    sent,
    resendAfter: sent === null ? {} : { [sent.factorType]: sent.resendAfter },
  }))

const arbOutcome = fc.constantFrom('accepted' as const, 'accepted' as const, 'rejected' as const)

const arbEventOfType = (type: RecoveryEvent['type'], now: number, c: RecoveryContext): fc.Arbitrary<RecoveryEvent> => {
  switch (type) {
    case 'recovery.challenge':
      // Half of the time a code of the channel sent last, so that throttles come up.
      return fc
        .tuple(arbSentCodeAt(arbFactorId, now, fc.constant(5)), fc.boolean(), fc.boolean())
        .map(([sent, resend, same]) => ({ type, now, resend, sent: same && c.sent !== null ? { ...sent, factorType: c.sent.factorType, throttledCode: c.sent.throttledCode } : sent }))
    case 'recovery.token':
    case 'transaction.read':
    case 'transaction.cancel':
      return fc.constant({ type, now })
    case 'recovery.verify':
      return arbOutcome.map((outcome) => ({ type, now, outcome }))
    case 'recovery.answer':
      return fc.tuple(arbOutcome, arbTokenHash).map(([outcome, sessionTokenHash]) => ({ type, now, outcome, sessionTokenHash }))
    case 'password.reset':
      return fc
        .record({ candidate: arbCandidate, newPasswordHash: fc.option(fc.constant('$argon2id$v=19$m=19456,t=2,p=1$bmV3$aGFzaA'), { freq: 6 }), revokeSessions: fc.boolean(), sessionTokenHash: arbTokenHash })
        .map((r) => ({ type, now, ...r }))
  }
}

interface Step {
  readonly state: MachineState
  readonly context: RecoveryContext
  readonly event: RecoveryEvent
}

const arbStep: fc.Arbitrary<Step> = fc
  .tuple(fc.constantFrom(...STATES, 'RECOVERY_CHALLENGE', 'RECOVERY', 'PASSWORD_RESET', 'UNAUTHENTICATED'), arbRecoveryContext, fc.oneof({ weight: 12, arbitrary: fc.integer({ min: 0, max: 4 * MINUTE }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 * 24 * 60 * MINUTE }) }))
  .chain(([state, context, delta]) => fc.constantFrom(...EVENT_TYPES).chain((type) => arbEventOfType(type, T0 + delta, context).map((event) => ({ state, context, event }))))

// ---------------------------------------------------------------------------------------------
// The reference model.

interface Expected {
  readonly state: MachineState
  readonly context: RecoveryContext
  readonly effects: ReadonlyArray<RecoveryEffect>
  readonly failure: AuthnFailure | null
  readonly changed: boolean
}

const fail = (code: AuthnFailure['code'], causes: ReadonlyArray<string> = []): AuthnFailure => ({ code, causes })

const meets = (p: PasswordPolicy, c: PasswordCandidate): boolean => {
  const x = p.complexity
  if (c.length < x.minLength || c.lowerCase < x.minLowerCase || c.upperCase < x.minUpperCase || c.numbers < x.minNumber || c.symbols < x.minSymbol) return false
  if (x.excludeUsername && c.containsUsernamePart) return false
  if (x.excludeAttributes.includes('firstName') && c.containsFirstName) return false
  if (x.excludeAttributes.includes('lastName') && c.containsLastName) return false
  return !(p.age.historyCount > 0 && c.reusesHistory)
}

const model = (state: MachineState, c: RecoveryContext, e: RecoveryEvent): Expected => {
  const same = (failure: AuthnFailure): Expected => ({ state, context: c, effects: [], failure, changed: false })
  if (FINISHED.includes(state) || e.now >= c.expiresAt) return same(fail('E0000011'))
  const notAllowed = same(fail('E0000079', [CAUSES.notAllowedInState]))
  const touched: RecoveryContext = { ...c, expiresAt: Math.min(e.now + c.lifetimeMs, c.absoluteExpiresAt) }
  const to = (next: MachineState, context: RecoveryContext, effects: ReadonlyArray<RecoveryEffect> = [], failure: AuthnFailure | null = null): Expected => ({ state: next, context, effects, failure, changed: true })
  const policy = c.policy.recovery ?? DEFAULT_RECOVERY_POLICY
  const userId = c.userId
  const unlock: ReadonlyArray<RecoveryEffect> = userId === null ? [] : [{ type: 'unlockUser', params: { userId } }]
  /** Spec §10.3: a proven channel leads to the question when the policy asks and the user has one. */
  const proven = (base: RecoveryContext): Expected => {
    const ctx = { ...base, channelVerified: true }
    if (policy.questionRequired && c.question !== null) return to('RECOVERY', ctx)
    return c.recoveryType === 'UNLOCK' ? to('SUCCESS', ctx, unlock) : to('PASSWORD_RESET', ctx)
  }
  const sending = (sent: SentCode): { readonly throttled: boolean; readonly ctx: RecoveryContext; readonly effects: ReadonlyArray<RecoveryEffect> } => ({
    throttled: e.now < (c.resendAfter[sent.factorType] ?? -Infinity),
    ctx: { ...touched, sent, resendAfter: { ...c.resendAfter, [sent.factorType]: sent.resendAfter } },
    effects: userId === null ? [] : [{ type: 'sendCode', params: { userId, factorId: sent.factorId, purpose: 'recovery-code' } }],
  })
  if (e.type === 'transaction.read') return state === 'UNAUTHENTICATED' ? notAllowed : to(state, touched)
  if (e.type === 'transaction.cancel') return state === 'UNAUTHENTICATED' ? notAllowed : to('CANCELLED', c)
  switch (state) {
    case 'UNAUTHENTICATED':
      if (e.type === 'recovery.challenge') {
        const s = sending(e.sent)
        return to('RECOVERY_CHALLENGE', s.ctx, s.effects)
      }
      if (e.type === 'recovery.token') return userId === null ? to('FAILED', c, [], fail('E0000011')) : proven(touched)
      return notAllowed
    case 'RECOVERY_CHALLENGE':
      if (e.type === 'recovery.verify') {
        if (userId === null || e.outcome !== 'accepted')
          return to(state, { ...touched, sent: c.sent === null ? null : { ...c.sent, attemptsLeft: Math.max(0, c.sent.attemptsLeft - 1) } }, [], fail('E0000068', [CAUSES.tokenMismatch]))
        return proven({ ...touched, sent: c.sent === null ? null : { ...c.sent, attemptsLeft: 0 } })
      }
      if (e.type === 'recovery.challenge') {
        const s = sending(e.sent)
        return s.throttled ? same(fail(e.sent.throttledCode)) : to(state, s.ctx, s.effects)
      }
      return notAllowed
    case 'RECOVERY':
      if (e.type === 'recovery.answer') {
        if (userId === null) return to('FAILED', c, [], fail('E0000011'))
        if (e.outcome !== 'accepted') {
          if (c.wrongAnswers + 1 >= policy.maxAnswerAttempts) return to('FAILED', c, [], fail('E0000087'))
          return to(state, { ...touched, wrongAnswers: c.wrongAnswers + 1 }, [], fail('E0000087'))
        }
        return c.recoveryType === 'UNLOCK' ? to('SUCCESS', touched, unlock) : to('PASSWORD_RESET', touched)
      }
      return notAllowed
    case 'PASSWORD_RESET':
      if (e.type === 'password.reset') {
        if (userId === null) return to('FAILED', c, [], fail('E0000011'))
        const p = c.policy.password
        const changedAt = c.user.passwordChangedAt
        if (p.age.minAgeMinutes > 0 && changedAt !== null && e.now < changedAt + p.age.minAgeMinutes * MINUTE)
          return to(state, touched, [], fail('E0000080', [`Password cannot be changed more than once every ${p.age.minAgeMinutes} minutes.`]))
        if (e.newPasswordHash === null || !meets(p, e.candidate)) return to(state, touched, [], fail('E0000080', [describeComplexity(p)]))
        const uid = userId as NonNullable<typeof userId>
        const sessionExpiresAt = e.now + c.sessionLifetimeMs
        return to(
          'SUCCESS',
          { ...touched, user: { ...c.user, passwordChangedAt: e.now }, sessionTokenHash: e.sessionTokenHash, sessionExpiresAt },
          [
            { type: 'setPassword', params: { userId: uid, passwordHash: e.newPasswordHash, changedAt: e.now, historyCount: p.age.historyCount } },
            ...(e.revokeSessions ? [{ type: 'revokeOtherSessions' as const, params: { userId: uid } }] : []),
            ...unlock,
            { type: 'issueSessionToken', params: { userId: uid, tokenHash: e.sessionTokenHash, expiresAt: sessionExpiresAt } },
          ],
        )
      }
      return notAllowed
    default:
      return notAllowed
  }
}

const snapshotOf = (state: MachineState, context: RecoveryContext): RecoverySnapshot => restoreRecovery(state, context)
/** Plain data, as JSON keeps it (drops `undefined` members). */
const json = <A>(a: A): A => JSON.parse(JSON.stringify(a)) as A
const view = (d: RecoveryDecision): Expected => json({ state: d.state, context: d.snapshot.context, effects: d.effects, failure: d.failure, changed: d.changed })

/** `source|event|index` of every transition declared on the machine. */
const declared = (): ReadonlyArray<string> => {
  const out: string[] = []
  for (const node of [recoveryMachine.root, ...Object.values(recoveryMachine.root.states)])
    for (const [event, ts] of node.transitions) ts.forEach((_, i) => out.push(`${node.id}|${event}|${i}`))
  return out
}
const taken = (s: RecoverySnapshot, event: RecoveryEvent): string => {
  const [t] = recoveryMachine.getTransitionData(s, event)
  if (t === undefined) return 'none'
  return `${t.source.id}|${t.eventType}|${(t.source.transitions.get(t.eventType) ?? []).indexOf(t)}`
}

describe('the recovery machine against the reference model (spec §4.12–4.18, §10.3)', () => {
  test.prop([arbStep], { numRuns: 4000 })('decide does what the model says for any state, context and event', ({ state, context, event }) => {
    expect(view(decideRecovery(snapshotOf(state, context), event))).toEqual(json(model(state, context, event)))
  })

  it('property runs take every declared transition', () => {
    const hits = new Map<string, number>()
    fc.assert(
      fc.property(arbStep, ({ state, context, event }) => {
        const s = snapshotOf(state, context)
        if (s.status === 'active' && event.now < context.expiresAt) hits.set(taken(s, event), (hits.get(taken(s, event)) ?? 0) + 1)
      }),
      { numRuns: 6000 },
    )
    expect(declared().filter((k) => (hits.get(k) ?? 0) === 0)).toEqual([])
  })

  test.prop([arbStep])('precheck agrees with decide about E0000011 and E0000079 by event type', ({ state, context, event }) => {
    const s = snapshotOf(state, context)
    const early = precheckRecovery(s, event.type, event.now)
    const d = decideRecovery(s, event)
    if (early !== null) expect(d.failure).toEqual(early)
    // Past the precheck, only a decoy (by content, not type) is E0000011: it can prove nothing.
    if (early === null && context.userId !== null) expect(d.failure?.code).not.toBe('E0000011')
  })

  test.prop([arbStep])('stored shapes round-trip: the context and every event through JSON', ({ context, event }) => {
    expect(RecoveryContext.decode(JSON.parse(JSON.stringify(context)))).toEqual({ _tag: 'Right', right: context })
    expect(RecoveryEvent.decode(JSON.parse(JSON.stringify(event)))).toEqual({ _tag: 'Right', right: event })
  })
})

/** A run: a start and later events with increasing `now`. */
const arbRun = fc
  .tuple(arbRecoveryInput, fc.constantFrom('recovery.challenge' as const, 'recovery.token' as const), fc.array(fc.tuple(fc.constantFrom(...EVENT_TYPES, 'recovery.verify', 'recovery.answer', 'password.reset'), fc.integer({ min: 0, max: 2 * MINUTE })), { maxLength: 10 }))
  .chain(([input, first, later]) => {
    const c0 = initialRecoveryContext(input)
    let now = T0
    const arbs = [arbEventOfType(first, now, c0)]
    for (const [type, delta] of later) {
      now += delta
      arbs.push(arbEventOfType(type, now, c0))
    }
    return fc.tuple(...arbs).map((events) => ({ input, events }))
  })

const runOf = (input: RecoveryInput, events: ReadonlyArray<RecoveryEvent>): ReadonlyArray<{ readonly e: RecoveryEvent; readonly d: RecoveryDecision }> => {
  const out: { e: RecoveryEvent; d: RecoveryDecision }[] = []
  let s: RecoverySnapshot | null = null
  for (const e of events) {
    const d: RecoveryDecision = s === null ? decideRecoveryStart(input, e) : decideRecovery(s, e)
    out.push({ e, d })
    s = d.snapshot
  }
  return out
}

describe('recovery invariants over arbitrary runs (spec §9 items 2 and 7)', () => {
  test.prop([arbRun], { numRuns: 1500 })('no password change and no unlock without the proven channel, and the answer when the policy asks', ({ input, events }) => {
    let answered = false
    let verified = false
    for (const { e, d } of runOf(input, events)) {
      if (d.failure === null && (e.type === 'recovery.token' || (e.type === 'recovery.verify' && e.outcome === 'accepted'))) verified = true
      if (d.failure === null && e.type === 'recovery.answer' && e.outcome === 'accepted') answered = true
      const writes = d.effects.filter((x) => x.type === 'setPassword' || x.type === 'unlockUser' || x.type === 'issueSessionToken')
      if (writes.length > 0) {
        expect(verified).toBe(true)
        const asks = (input.policy.recovery ?? DEFAULT_RECOVERY_POLICY).questionRequired && input.question !== null
        if (asks) expect(answered).toBe(true)
      }
      if (d.state === 'PASSWORD_RESET' || d.state === 'SUCCESS' || d.state === 'RECOVERY') expect(d.snapshot.context.channelVerified).toBe(true)
    }
  })

  test.prop([arbRun], { numRuns: 1000 })('a decoy (unknown user) never proves anything, never writes, never sends', ({ input, events }) => {
    for (const { d } of runOf({ ...input, user: null }, events)) {
      expect(['UNAUTHENTICATED', 'RECOVERY_CHALLENGE', 'CANCELLED', 'FAILED']).toContain(d.state)
      expect(d.effects).toEqual([])
    }
  })

  test.prop([arbRun], { numRuns: 1000 })('SUCCESS: a password recovery sets the password, unlocks and issues one session token; an unlock only unlocks', ({ input, events }) => {
    for (const { d } of runOf(input, events)) {
      if (!(d.state === 'SUCCESS' && d.changed)) continue
      const types = d.effects.map((x) => x.type)
      if (input.recoveryType === 'UNLOCK') expect(types).toEqual(['unlockUser'])
      else expect(types.filter((t) => t !== 'revokeOtherSessions')).toEqual(['setPassword', 'unlockUser', 'issueSessionToken'])
    }
  })

  test.prop([arbRun], { numRuns: 1000 })('a finished or expired recovery accepts nothing', ({ input, events }) => {
    const run = runOf(input, events)
    for (let i = 1; i < run.length; i++) {
      const prev = run[i - 1]?.d
      const cur = run[i]
      if (prev === undefined || cur === undefined) continue
      if (FINISHED.includes(prev.state) || cur.e.now >= prev.snapshot.context.expiresAt) {
        expect(cur.d.failure?.code).toBe('E0000011')
        expect(cur.d.changed).toBe(false)
      }
    }
  })
})

describe('recovery rendering (spec §5.2, §3.2, §6.9)', () => {
  test.prop([arbRecoveryContext])('RECOVERY_CHALLENGE: factorType as on the wire, verify / resend (one object) links by channel, no user data', (c) => {
    const base = 'https://auth.example.test'
    const json = renderRecovery('RECOVERY_CHALLENGE', c, { stateToken: '00st', sessionToken: null }, base, T0)
    const segment = c.factorType ?? 'SMS'
    expect(json['factorType']).toBe(segment === 'SMS' ? 'SMS' : 'call')
    expect(json['_links']).toEqual({
      next: { name: 'verify', href: `${base}/api/v1/authn/recovery/factors/${segment}/verify`, hints: { allow: ['POST'] } },
      cancel: { href: `${base}/api/v1/authn/cancel`, hints: { allow: ['POST'] } },
      resend: { name: segment === 'SMS' ? 'sms' : 'call', href: `${base}/api/v1/authn/recovery/factors/${segment}/resend`, hints: { allow: ['POST'] } },
    })
    expect(json['_embedded']).toBeUndefined()
    // A decoy and a real transaction look the same: only the token and times differ.
    const decoy = renderRecovery('RECOVERY_CHALLENGE', { ...c, userId: null, user: { login: '', firstName: '', lastName: '', locale: null, timeZone: null, passwordChangedAt: null }, question: null }, { stateToken: '00st', sessionToken: null }, base, T0)
    expect(decoy).toEqual(json)
  })

  test.prop([arbRecoveryContext])('RECOVERY shows the user and the recovery question, with the answer link; SUCCESS of an unlock has recoveryType UNLOCK and no session token', (c) => {
    const json = renderRecovery('RECOVERY', c, { stateToken: '00st', sessionToken: null }, 'https://a.test', T0)
    const user = (json['_embedded'] as Record<string, Record<string, unknown>>)['user']
    expect(user?.['recovery_question']).toEqual(c.question === null ? undefined : { question: c.question })
    expect((json['_links'] as Record<string, Record<string, unknown>>)['next']?.['name']).toBe('answer')
    const done = renderRecovery('SUCCESS', c, { stateToken: null, sessionToken: '20111session' }, 'https://a.test', T0)
    if (c.recoveryType === 'UNLOCK') {
      expect(done['recoveryType']).toBe('UNLOCK')
      expect(done['sessionToken']).toBeUndefined()
    } else expect(done['sessionToken']).toBe('20111session')
  })

  it('a public email recovery is the bare body of the spec, whoever asked', () => {
    expect(renderEmailChallenge('PASSWORD', null)).toEqual({ status: 'RECOVERY_CHALLENGE', factorResult: 'WAITING', factorType: 'EMAIL', recoveryType: 'PASSWORD' })
    expect(Object.keys(renderEmailChallenge('UNLOCK', 'https://app.test/'))).toEqual(['status', 'relayState', 'factorResult', 'factorType', 'recoveryType'])
  })
})
