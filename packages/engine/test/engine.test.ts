import { describe, expect, it } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import { createMemoryStores, createStaticPolicySource } from '@authn-machine/adapter-memory'
import { AuthnContext, AuthnEvent, replayAuthn, type OrgSeed, type StepStore, type TransactionRecord } from '@authn-machine/core'
import { expectLeft, expectRight, harnessSeeds } from '@authn-machine/testkit'
import { createManualClock, createSeededRandom, createTrivialHasher } from '@authn-machine/testkit/fixtures'
import {
  ARGON2ID_OWASP,
  createArgon2Hasher,
  createAuthn,
  createMemoryAuditSink,
  createSecretBox,
  ephemeralKeyring,
  hashToken,
  seedOrg,
  tokens,
  type AuthnDeps,
} from '../src/index.js'
import { CALL, T0 } from './in-process-driver.js'

const seed = harnessSeeds(T0)[0]?.seed as OrgSeed

const build = async (o: Partial<AuthnDeps> = {}, wrapSteps: (s: StepStore) => StepStore = (s) => s) => {
  const clock = createManualClock(T0)
  const hasher = o.hasher ?? createTrivialHasher()
  const { users, transactions, steps, factors, apps } = createMemoryStores()
  const org = expectRight(await seedOrg(seed, { users, factors, apps, hasher }, clock.now())())
  const audit = createMemoryAuditSink()
  const authn = createAuthn({
    transactions,
    users,
    steps: wrapSteps(steps),
    factors,
    secrets: createSecretBox(ephemeralKeyring()),
    policies: createStaticPolicySource(org.policies),
    hasher,
    clock,
    random: createSeededRandom(7),
    audit,
    ...o,
  })
  return { authn, transactions, users, steps, clock, audit }
}

const body = (r: { readonly body: unknown }) => r.body as Record<string, unknown>

describe('engine', () => {
  it('replaying the log through the core reproduces every recorded state', async () => {
    const { authn, clock } = await build()
    const warn = expectRight(
      await authn.authenticate({ username: 'bob.warned@example.com', password: 'Can-We-Fix1t', options: { warnBeforePasswordExpired: true } }, CALL)(),
    )
    const stateToken = body(warn)['stateToken'] as string
    expect(body(warn)['status']).toBe('PASSWORD_WARN')
    clock.advance(1000)
    expectRight(await authn.getState({ stateToken }, CALL)())
    clock.advance(1000)
    expectLeft(await authn.changePassword({ stateToken, oldPassword: 'wrong', newPassword: 'Fresh-Passw0rd' }, CALL)())
    clock.advance(1000)
    const done = expectRight(await authn.changePassword({ stateToken, oldPassword: 'Can-We-Fix1t', newPassword: 'Fresh-Passw0rd' }, CALL)())
    expect(body(done)['status']).toBe('SUCCESS')

    const { record, log } = expectRight(await authn.readLog(stateToken)())
    expect(log.map((e) => e.event.type)).toEqual(['primary.verified', 'transaction.read', 'password.change', 'password.change'])
    const start = log[0]?.start
    if (start === null || start === undefined || !AuthnContext.is(start)) throw new Error('the first entry holds the start context')
    const decisions = replayAuthn(start, log.map((e) => e.event).filter(AuthnEvent.is))
    const last = decisions[decisions.length - 1]
    expect(last?.state).toBe(record.state)
    expect(last?.snapshot.context).toEqual(record.context)
    expect(decisions.map((d) => d.failure?.code ?? d.state)).toEqual(['PASSWORD_WARN', 'PASSWORD_WARN', 'E0000014', 'SUCCESS'])
  })

  it('never stores a token or password in clear', async () => {
    const { authn, transactions } = await build()
    const r = expectRight(await authn.authenticate({ username: 'carol@example.com', password: 'Higher-Further1' }, CALL)())
    const stateToken = body(r)['stateToken'] as string
    const done = expectRight(await authn.changePassword({ stateToken, oldPassword: 'Higher-Further1', newPassword: 'Brand-New-Pass9' }, CALL)())
    const sessionToken = body(done)['sessionToken'] as string
    const { record, log } = expectRight(await authn.readLog(stateToken)())
    const stored = JSON.stringify([transactions.rawTransaction(record.id), log])
    for (const secret of [stateToken, sessionToken, 'Higher-Further1', 'Brand-New-Pass9']) expect(stored).not.toContain(secret)
    expect(record.stateTokenHash).toBe(hashToken(stateToken))
  })

  it('a stored record that does not decode is a clear 500 E0000009, not a crash', async () => {
    const { authn, transactions } = await build()
    const r = expectRight(await authn.authenticate({ username: 'carol@example.com', password: 'Higher-Further1' }, CALL)())
    const stateToken = body(r)['stateToken'] as string
    const { record } = expectRight(await authn.readLog(stateToken)())
    transactions.putRawTransaction(record.id, { ...(transactions.rawTransaction(record.id) as TransactionRecord), state: 'NOPE' })
    const e = expectLeft(await authn.getState({ stateToken }, CALL)())
    expect(e.status).toBe(500)
    expect(e.body.errorCode).toBe('E0000009')
    expect(JSON.stringify(e.body)).not.toMatch(/at .*\.ts/)
  })

  it('a hasher that fails is a clean 500, never a throw', async () => {
    const failing = createTrivialHasher()
    const { authn } = await build({
      hasher: { hash: failing.hash, verify: () => () => Promise.reject(new Error('boom')) },
    })
    const e = expectLeft(await authn.authenticate({ username: 'alice@example.com', password: 'x' }, CALL)())
    expect([e.status, e.body.errorCode]).toEqual([500, 'E0000009'])
  })

  test.prop([fc.anything()], { numRuns: 300 })('any JSON value as a body is answered, never thrown', async (input) => {
    const { authn } = await build()
    for (const op of [authn.authenticate, authn.changePassword, authn.resetPassword, authn.skip, authn.previous, authn.cancel, authn.redeemSessionToken]) {
      const r = await op(input, CALL)()
      const status = r._tag === 'Left' ? r.left.status : r.right.status
      expect(status).toBeLessThan(500)
    }
  })

  it("unknown user, wrong password and hidden lockout give the same answer and cost one verification; a locked account's hash is not verified", async () => {
    const verified: string[] = []
    const trivial = createTrivialHasher()
    const { authn } = await build({
      hasher: {
        hash: trivial.hash,
        verify: (h, p) => {
          verified.push(h)
          return trivial.verify(h, p)
        },
      },
    })
    const shape = async (b: unknown) => {
      const before = verified.length
      const e = expectLeft(await authn.authenticate(b, CALL)())
      return { status: e.status, code: e.body.errorCode, summary: e.body.errorSummary, causes: e.body.errorCauses, verifies: verified.length - before }
    }
    const unknown = await shape({ username: 'nobody@example.com', password: 'Whatever1' })
    const dummy = verified.at(-1)
    const wrong = await shape({ username: 'alice@example.com', password: 'Whatever1' })
    const locked = await shape({ username: 'erin@example.com', password: 'Hinkley-Water1' })
    expect(unknown).toEqual(wrong)
    expect(wrong).toEqual({ status: 401, code: 'E0000004', summary: 'Authentication failed', causes: [], verifies: 1 })
    // Answered as locked without checking the guess against the account's hash (ASVS V6.3.1: no
    // guess is verified past a lock): the dummy hash an unknown login is verified against is, so
    // that the hidden lock costs what a wrong password costs (ADR 0011).
    expect(locked).toEqual(wrong)
    expect(verified.at(-1)).toBe(dummy)
    expect(verified.at(-2)).not.toBe(dummy)
  })

  it('audits every outcome and effect', async () => {
    const { authn, audit } = await build()
    expectLeft(await authn.authenticate({ username: 'alice@example.com', password: 'bad' }, CALL)())
    expectRight(await authn.authenticate({ username: 'alice@example.com', password: 'Wonder-Land1' }, CALL)())
    expect(audit.entries.map((e) => e.what)).toEqual([
      'effect.recordFailedAttempt',
      'authenticate.E0000004',
      'effect.resetFailedAttempts',
      'effect.issueSessionToken',
      'authenticate.SUCCESS',
    ])
  })

  it('a session token is one-time and expires after 5 minutes', async () => {
    const { authn, clock } = await build()
    const a = body(expectRight(await authn.authenticate({ username: 'alice@example.com', password: 'Wonder-Land1' }, CALL)()))
    const b = body(expectRight(await authn.authenticate({ username: 'alice@example.com', password: 'Wonder-Land1' }, CALL)()))
    expect(a['expiresAt']).toBe(new Date(T0 + 300_000).toISOString())
    expectRight(await authn.redeemSessionToken({ sessionToken: a['sessionToken'] }, CALL)())
    expect(expectLeft(await authn.redeemSessionToken({ sessionToken: a['sessionToken'] }, CALL)()).body.errorCode).toBe('E0000004')
    clock.advance(300_000)
    expect(expectLeft(await authn.redeemSessionToken({ sessionToken: b['sessionToken'] }, CALL)()).body.errorCode).toBe('E0000004')
  })

  it('tokens are random, at least 128 bits, in Okta shapes', () => {
    const t = tokens({ bytes: (n) => new Uint8Array(n).fill(255) })
    expect(t.stateToken()).toMatch(/^00[A-Za-z0-9_-]{40}$/)
    expect(t.sessionToken()).toMatch(/^20111[A-Za-z0-9_-]{44}$/)
    expect(t.errorId()).toMatch(/^oae[A-Za-z0-9_-]{22}$/)
  })

  it('the default hasher is argon2id with OWASP parameters and verifies what it hashed', async () => {
    const h = createArgon2Hasher()
    const phc = expectRight(await h.hash('Correct-Horse-1')())
    expect(phc).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
    expect(expectRight(await h.verify(phc, 'Correct-Horse-1')())).toBe(true)
    expect(expectRight(await h.verify(phc, 'wrong')())).toBe(false)
    expect(expectRight(await h.verify('not a phc string', 'x')())).toBe(false)
    expect(ARGON2ID_OWASP).toMatchObject({ algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 })
  })

  it('a lost compare-and-set race is retried on the fresh state, or answered cleanly', async () => {
    /** Fails the first `n` commits that save a transaction with a VersionConflict. */
    const racy = (n: number) => (steps: StepStore): StepStore => {
      let conflicts = 0
      return {
        ...steps,
        commit: (w) => {
          if (w.transaction?.kind === 'save' && conflicts < n) {
            conflicts += 1
            return () => Promise.resolve({ _tag: 'Left' as const, left: { _tag: 'VersionConflict' as const, actual: null } })
          }
          return steps.commit(w)
        },
      }
    }
    const { authn } = await build({}, racy(1))
    const r = body(expectRight(await authn.authenticate({ username: 'carol@example.com', password: 'Higher-Further1' }, CALL)()))
    const again = expectRight(await authn.getState({ stateToken: r['stateToken'] }, CALL)())
    expect(body(again)['status']).toBe('PASSWORD_EXPIRED')
    const { authn: noRetry } = await build({ settings: { conflictRetries: 0 } }, racy(Infinity))
    const r2 = body(expectRight(await noRetry.authenticate({ username: 'carol@example.com', password: 'Higher-Further1' }, CALL)()))
    const e = expectLeft(await noRetry.getState({ stateToken: r2['stateToken'] }, CALL)())
    expect([e.status, e.body.errorCode]).toEqual([403, 'E0000079'])
  })

  it('state tokens slide: every accepted request extends expiresAt by the configured lifetime', async () => {
    const { authn, clock } = await build({ settings: { stateTokenLifetimeMs: 60_000 } })
    const r = body(expectRight(await authn.authenticate({ username: 'carol@example.com', password: 'Higher-Further1' }, CALL)()))
    expect(r['expiresAt']).toBe(new Date(T0 + 60_000).toISOString())
    clock.advance(59_000)
    expect(body(expectRight(await authn.getState({ stateToken: r['stateToken'] }, CALL)()))['expiresAt']).toBe(new Date(T0 + 119_000).toISOString())
    clock.advance(60_000)
    expect(expectLeft(await authn.getState({ stateToken: r['stateToken'] }, CALL)()).body.errorCode).toBe('E0000011')
  })
})

describe('cancel', () => {
  it('answers the relayState the transaction started with', async () => {
    const { authn } = await build()
    const r = body(expectRight(await authn.authenticate({ username: 'carol@example.com', password: 'Higher-Further1', relayState: '/app/home' }, CALL)()))
    expect(r['relayState']).toBe('/app/home')
    const c = expectRight(await authn.cancel({ stateToken: r['stateToken'] }, CALL)())
    expect(c).toEqual({ status: 200, body: { relayState: '/app/home' } })
    expect(expectLeft(await authn.cancel({ stateToken: r['stateToken'] }, CALL)()).body.errorCode).toBe('E0000011')
  })
})

describe('absolute lifetime', () => {
  it('sliding stops at the absolute cap: the state token dies then, however busy', async () => {
    const { authn, clock } = await build({ settings: { stateTokenLifetimeMs: 60_000, stateTokenMaxLifetimeMs: 150_000 } })
    const r = body(expectRight(await authn.authenticate({ username: 'carol@example.com', password: 'Higher-Further1' }, CALL)()))
    const stateToken = r['stateToken']
    clock.advance(50_000)
    expect(body(expectRight(await authn.getState({ stateToken }, CALL)()))['expiresAt']).toBe(new Date(T0 + 110_000).toISOString())
    clock.advance(50_000)
    expect(body(expectRight(await authn.getState({ stateToken }, CALL)()))['expiresAt']).toBe(new Date(T0 + 150_000).toISOString())
    clock.advance(49_999)
    expectRight(await authn.getState({ stateToken }, CALL)())
    clock.advance(1)
    expect(expectLeft(await authn.getState({ stateToken }, CALL)()).body.errorCode).toBe('E0000011')
  })
})
