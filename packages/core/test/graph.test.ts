import { describe, expect, it } from 'vitest'
import { getShortestPaths } from 'xstate/graph'
import {
  DEFAULT_POLICIES,
  asFactorId,
  asTokenHash,
  authnMachine,
  decideStart,
  decide,
  type AuthnEvent,
  type AuthnInput,
  type Decision,
  type MachineState,
  type SentCode,
} from '../src/index.js'
import { DAY, T0, strongCandidate } from './arbitraries.js'
import { inputWith } from './helpers.js'

const now = T0 + 1000
const pendingTotp = { id: asFactorId('ostpending1'), factorType: 'token:software:totp', provider: 'OKTA', status: 'PENDING_ACTIVATION', profile: { credentialId: 'dade' } } as const
const sessionTokenHash = asTokenHash('S'.repeat(43))
const sms = { id: asFactorId('mblsms1234'), factorType: 'sms', provider: 'OKTA', status: 'ACTIVE', profile: { phoneNumber: '+14155552671' } } as const
const smsCode: SentCode = { factorId: sms.id, factorType: 'sms', codeMac: 'm1.k.mac', sentAt: now, expiresAt: now + 300_000, attemptsLeft: 5, resendAfter: now + 30_000, throttledCode: 'E0000109' }

/** One event of each kind and outcome. */
const EVENTS: ReadonlyArray<AuthnEvent> = [
  { type: 'primary.verified', now, sessionTokenHash },
  { type: 'primary.rejected', now, lockedAfter: false },
  { type: 'transaction.read', now },
  { type: 'transaction.cancel', now },
  { type: 'transaction.previous', now },
  { type: 'transaction.skip', now, sessionTokenHash },
  { type: 'password.change', now, oldPasswordValid: true, candidate: strongCandidate, newPasswordHash: 'h', revokeSessions: true, sessionTokenHash },
  { type: 'password.change', now, oldPasswordValid: false, candidate: strongCandidate, newPasswordHash: 'h', revokeSessions: false, sessionTokenHash },
  { type: 'password.reset', now, candidate: strongCandidate, newPasswordHash: 'h', revokeSessions: false, sessionTokenHash },
  { type: 'password.reset', now, candidate: { ...strongCandidate, length: 1 }, newPasswordHash: null, revokeSessions: false, sessionTokenHash },
  { type: 'factor.enroll', now, factor: { ...pendingTotp }, activation: 'required', sessionTokenHash },
  { type: 'factor.enroll', now, factor: { ...sms, status: 'PENDING_ACTIVATION' }, activation: 'required', sessionTokenHash, sent: smsCode },
  { type: 'factor.enroll', now, factor: { id: asFactorId('ufsq1234'), factorType: 'question', provider: 'OKTA', status: 'ACTIVE', profile: { question: 'favorite_toy' } }, activation: 'none', sessionTokenHash },
  { type: 'factor.activate', now, factorId: pendingTotp.id, outcome: 'accepted', counter: 1, sessionTokenHash },
  { type: 'factor.activate', now, factorId: pendingTotp.id, outcome: 'rejected', counter: null, sessionTokenHash },
  { type: 'factor.verify', now, factorId: asFactorId('ostf1234'), outcome: 'accepted', counter: 2, answerKind: 'passCode', lockedAfter: false, rememberDevice: false, sessionTokenHash },
  { type: 'factor.verify', now, factorId: asFactorId('ostf1234'), outcome: 'rejected', counter: null, answerKind: 'passCode', lockedAfter: false, rememberDevice: false, sessionTokenHash },
  { type: 'factor.challenge', now, factorId: sms.id, sent: smsCode, resend: false },
  { type: 'factor.challenge', now, factorId: sms.id, sent: smsCode, resend: true },
]

const base: AuthnInput = inputWith({ options: { warnBeforePasswordExpired: true, multiOptionalFactorEnroll: false } })

const totp = { id: asFactorId('ostf1234'), factorType: 'token:software:totp', provider: 'GOOGLE', status: 'ACTIVE', profile: { credentialId: 'dade' } } as const

/** Representative orgs: the machine's guards read the context, so each reaches part of the graph. */
const INPUTS: Readonly<Record<string, AuthnInput>> = {
  plain: base,
  lockedShown: { ...base, lockedOut: true, policy: { ...DEFAULT_POLICIES, password: { ...DEFAULT_POLICIES.password, lockout: { maxAttempts: 3, autoUnlockMinutes: 0, showLockoutFailures: true } } } },
  lockingShown: { ...base, user: { ...base.user, failedAttempts: 2 }, policy: { ...DEFAULT_POLICIES, password: { ...DEFAULT_POLICIES.password, lockout: { maxAttempts: 3, autoUnlockMinutes: 0, showLockoutFailures: true } } } },
  mfa: { ...base, factors: [totp, sms], policy: { ...DEFAULT_POLICIES, signOn: { ...DEFAULT_POLICIES.signOn, requireFactor: true } } },
  enroll: { ...base, policy: { ...DEFAULT_POLICIES, enrollment: { factors: [{ factorType: 'sms', provider: 'OKTA', enroll: 'REQUIRED' }] } } },
  expired: { ...base, user: { ...base.user, status: 'PASSWORD_EXPIRED' } },
  warn: {
    ...base,
    user: { ...base.user, credentials: { ...base.user.credentials, passwordChangedAt: T0 - 25 * DAY } },
    policy: { ...DEFAULT_POLICIES, password: { ...DEFAULT_POLICIES.password, age: { ...DEFAULT_POLICIES.password.age, maxAgeDays: 30, expireWarnDays: 7 } } },
  },
  activation: { ...base, flow: 'ACTIVATION', user: { ...base.user, status: 'STAGED', credentials: { ...base.user.credentials, passwordHash: null, passwordChangedAt: null } } },
  denied: { ...base, policy: { ...DEFAULT_POLICIES, signOn: { ...DEFAULT_POLICIES.signOn, access: 'DENY' } } },
}

const pathsFor = (input: AuthnInput) => getShortestPaths(authnMachine, { input, events: [...EVENTS] })

/** States some transition of the machine targets (plus the initial state). */
const targeted = (): ReadonlySet<string> => {
  const out = new Set<string>(['UNAUTHENTICATED'])
  for (const node of [authnMachine.root, ...Object.values(authnMachine.root.states)])
    for (const ts of node.transitions.values()) for (const t of ts) for (const n of t.target ?? []) out.add(n.key)
  return out
}

describe('state coverage (xstate/graph getShortestPaths)', () => {
  it('reaches every state the machine can reach, over representative orgs', () => {
    const reached = new Set<string>()
    for (const input of Object.values(INPUTS)) for (const p of pathsFor(input)) reached.add(String(p.state.value))
    const declared = Object.keys(authnMachine.root.states)
    const reachable = declared.filter((s) => targeted().has(s))
    expect([...reached].sort()).toEqual([...reachable].sort())
    // Every declared state is the target of some transition.
    expect(declared.filter((s) => !reachable.includes(s))).toEqual([])
  })

  it.each(Object.entries(INPUTS))('every shortest path (%s) replays through decide to the same state and context', (_, input) => {
    for (const p of pathsFor(input)) {
      const events = p.steps.map((s) => s.event as AuthnEvent).filter((e) => e.type !== ('xstate.init' as string))
      let d: Decision | null = null
      for (const e of events) d = d === null ? decideStart(input, e) : decide(d.snapshot, e)
      if (d === null) continue
      expect(d.state).toBe(p.state.value as MachineState)
      expect(d.snapshot.context).toEqual(p.state.context)
    }
  })

  it('shortest paths of the plain org', () => {
    const shortest = Object.fromEntries(
      pathsFor(INPUTS['plain'] ?? base).map((p) => [String(p.state.value), p.steps.map((s) => s.event.type as string).filter((t) => t !== 'xstate.init')]),
    )
    expect(shortest).toEqual({ UNAUTHENTICATED: [], SUCCESS: ['primary.verified'], FAILED: ['primary.rejected'] })
  })
})
