import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import {
  DEFAULT_POLICIES,
  asTokenHash,
  asTransactionId,
  asUserId,
  asVersion,
  initialContext,
  initialRecoveryContext,
  type AuthnContext,
  type RecoveryContext,
  type RecoveryRecord,
  type AuthnEvent,
  type IssuedToken,
  type TokenHash,
  type TransactionId,
  type AuthnRecord,
  type TransactionStore,
  type UserId,
} from '@authn-machine/core'
import { makeUser } from './fixtures.js'
import { expectLeft, expectRight, run } from './run.js'

export interface TransactionStoreSuiteOptions {
  /** A fresh, empty store for each test. */
  readonly make: () => Promise<TransactionStore>
  /** Writes a raw stored value out of band (to check that undecodable records are `Corrupt`). */
  readonly corrupt?: (store: TransactionStore, id: TransactionId) => Promise<void>
  /** Runs after each test. */
  readonly teardown?: (store: TransactionStore) => Promise<void>
  /** How many concurrent callers race in the concurrency tests (default 16). */
  readonly racers?: number
}

const T0 = Date.UTC(2026, 0, 1)
const hex = (n: number, len: number) => n.toString(16).padStart(len, '0')

let counter = 0
/** A token hash that is unique within the process: 43 base64url chars. */
export const uniqueHash = (): TokenHash => asTokenHash(`h${hex(++counter, 12)}${'A'.repeat(30)}`)
const uniqueId = (): TransactionId => asTransactionId(`txn${hex(++counter, 12)}test`)

const read: AuthnEvent = { type: 'transaction.read', now: T0 }

/** The context every conformance record starts from. */
export const START: AuthnContext = initialContext({
  user: makeUser({ login: 'conformance@example.com', passwordHash: '$trivial$x' }),
  flow: 'PASSWORD',
  policy: DEFAULT_POLICIES,
  options: { warnBeforePasswordExpired: false, multiOptionalFactorEnroll: false },
  relayState: null,
  now: T0,
  lifetimeMs: 300_000,
  maxLifetimeMs: 3_600_000,
  sessionLifetimeMs: 300_000,
  lockedOut: false,
  factors: [],
  deviceRemembered: false,
  deviceTokenHash: null,
})

/** The context a decoy recovery (no user) starts from. */
export const DECOY_START: RecoveryContext = initialRecoveryContext({
  user: null,
  recoveryType: 'PASSWORD',
  factorType: 'SMS',
  policy: DEFAULT_POLICIES,
  question: null,
  relayState: null,
  now: T0,
  lifetimeMs: 300_000,
  maxLifetimeMs: 3_600_000,
  sessionLifetimeMs: 300_000,
})

/** A stored decoy recovery (`userId: null`, docs/adr/0012-recovery.md), live until `expiresAt`. */
export const makeDecoyRecord = (o: { readonly expiresAt?: number } = {}): RecoveryRecord => {
  const expiresAt = o.expiresAt ?? T0 + 300_000
  return {
    schemaVersion: 1,
    id: uniqueId(),
    kind: 'recovery',
    stateTokenHash: uniqueHash(),
    version: asVersion(1),
    state: 'RECOVERY_CHALLENGE',
    context: { ...DECOY_START, expiresAt },
    createdAt: T0,
    credentialEpoch: 0,
    expiresAt,
  }
}

/**
 * A valid stored transaction, live until `expiresAt`, of `userId` (default: the conformance user,
 * whom the TransactionStore suite never creates) under `credentialEpoch` (default 0).
 */
export const makeRecord = (
  o: {
    readonly expiresAt?: number
    readonly id?: TransactionId
    readonly hash?: TokenHash
    readonly userId?: UserId
    readonly credentialEpoch?: number
  } = {},
): AuthnRecord => {
  const context = o.userId === undefined ? START : { ...START, userId: o.userId }
  const expiresAt = o.expiresAt ?? T0 + 300_000
  return {
    schemaVersion: 1,
    id: o.id ?? uniqueId(),
    kind: 'authn',
    stateTokenHash: o.hash ?? uniqueHash(),
    version: asVersion(1),
    state: 'PASSWORD_EXPIRED',
    context: { ...context, expiresAt },
    createdAt: T0,
    credentialEpoch: o.credentialEpoch ?? 0,
    expiresAt,
  }
}

const bump = (r: AuthnRecord, expiresAt = r.expiresAt + 1000): AuthnRecord => ({
  ...r,
  version: asVersion(r.version + 1),
  expiresAt,
  context: { ...r.context, expiresAt },
})

const makeToken = (o: Partial<IssuedToken> = {}): IssuedToken => ({
  schemaVersion: 1,
  hash: uniqueHash(),
  kind: 'session',
  userId: asUserId('00uconformance0000001'),
  transactionId: uniqueId(),
  expiresAt: T0 + 300_000,
  ...o,
})

/**
 * The TransactionStore contract (core/src/ports/transaction-store.ts), run against any adapter:
 * every sentence of the port's documentation is one or more tests here.
 */
export function describeTransactionStore(name: string, o: TransactionStoreSuiteOptions): void {
  const racers = o.racers ?? 16
  const withStore = async (f: (s: TransactionStore) => Promise<void>) => {
    const s = await o.make()
    try {
      await f(s)
    } finally {
      await o.teardown?.(s)
    }
  }

  describe(`TransactionStore conformance (${name})`, () => {
    it('load of an unknown token hash is NotFound', () =>
      withStore(async (s) => {
        expect(expectLeft(await run(s.load(uniqueHash(), T0)))._tag).toBe('NotFound')
      }))

    it('create then load round-trips the record', () =>
      withStore(async (s) => {
        const r = makeRecord()
        expectRight(await run(s.create(r, read, START)))
        expect(expectRight(await run(s.load(r.stateTokenHash, T0)))).toEqual(r)
      }))

    test.prop([fc.integer({ min: 1, max: 10_000_000 }), fc.constantFrom('PASSWORD_WARN', 'PASSWORD_EXPIRED', 'MFA_REQUIRED', 'SUCCESS', 'CANCELLED'), fc.option(fc.string({ maxLength: 64 }), { nil: null })], { numRuns: 15 })(
      'any valid record round-trips through create and load',
      (ttl, state, relayState) =>
        withStore(async (s) => {
          const base = makeRecord({ expiresAt: T0 + ttl })
          const r: AuthnRecord = { ...base, state, context: { ...base.context, relayState } }
          expectRight(await run(s.create(r, read, START)))
          expect(expectRight(await run(s.load(r.stateTokenHash, T0)))).toEqual(r)
        }),
    )

    it('load at or after expiresAt is NotFound', () =>
      withStore(async (s) => {
        const r = makeRecord({ expiresAt: T0 + 1000 })
        expectRight(await run(s.create(r, read, START)))
        expectRight(await run(s.load(r.stateTokenHash, T0 + 999)))
        expect(expectLeft(await run(s.load(r.stateTokenHash, T0 + 1000)))._tag).toBe('NotFound')
        expect(expectLeft(await run(s.load(r.stateTokenHash, T0 + 5000)))._tag).toBe('NotFound')
      }))

    it('load of a transaction whose user does not exist finds it, whatever its credential epoch (a missing user moves nothing)', () =>
      withStore(async (s) => {
        for (const credentialEpoch of [0, 7]) {
          const r = makeRecord({ credentialEpoch, userId: asUserId(`00unobody${hex(++counter, 12)}`) })
          expectRight(await run(s.create(r, read, START)))
          expect(expectRight(await run(s.load(r.stateTokenHash, T0)))).toEqual(r)
        }
      }))

    it('create with an existing id or token hash is Conflict', () =>
      withStore(async (s) => {
        const r = makeRecord()
        expectRight(await run(s.create(r, read, START)))
        expect(expectLeft(await run(s.create(makeRecord({ id: r.id }), read, START)))._tag).toBe('Conflict')
        expect(expectLeft(await run(s.create(makeRecord({ hash: r.stateTokenHash }), read, START)))._tag).toBe('Conflict')
      }))

    it('save with the current version stores the next one and load sees it', () =>
      withStore(async (s) => {
        const r = makeRecord()
        expectRight(await run(s.create(r, read, START)))
        const next = { ...bump(r), state: 'SUCCESS' as const }
        expectRight(await run(s.save(next, r.version, read)))
        expect(expectRight(await run(s.load(r.stateTokenHash, T0)))).toEqual(next)
      }))

    it('save with a stale version is VersionConflict and changes nothing', () =>
      withStore(async (s) => {
        const r = makeRecord()
        expectRight(await run(s.create(r, read, START)))
        const v2 = bump(r)
        expectRight(await run(s.save(v2, r.version, read)))
        const stale = { ...bump(r), state: 'CANCELLED' as const }
        expect(expectLeft(await run(s.save(stale, r.version, read)))._tag).toBe('VersionConflict')
        expect(expectRight(await run(s.load(r.stateTokenHash, T0)))).toEqual(v2)
      }))

    it('save of an unknown transaction fails without creating it', () =>
      withStore(async (s) => {
        const r = makeRecord()
        const e = expectLeft(await run(s.save(bump(r), r.version, read)))
        expect(['NotFound', 'VersionConflict']).toContain(e._tag)
        expect(expectLeft(await run(s.load(r.stateTokenHash, T0)))._tag).toBe('NotFound')
      }))

    it(`${racers} concurrent saves on one version: exactly one wins, the others are VersionConflict`, () =>
      withStore(async (s) => {
        const r = makeRecord()
        expectRight(await run(s.create(r, read, START)))
        const results = await Promise.all(
          Array.from({ length: racers }, (_, i) => run(s.save({ ...bump(r), context: { ...bump(r).context, relayState: `racer-${i}` } }, r.version, read))),
        )
        const winners = results.filter((x) => x._tag === 'Right')
        expect(winners).toHaveLength(1)
        for (const x of results) if (x._tag === 'Left') expect(x.left._tag).toBe('VersionConflict')
        const stored = expectRight(await run(s.load(r.stateTokenHash, T0)))
        expect(stored.version).toBe(2)
        expect(stored).toEqual(expectRight(winners[0] ?? results[0]!))
        // Nothing lost: the log holds the create and exactly the winner's save.
        expect(expectRight(await run(s.readLog(r.id))).map((e) => e.version)).toEqual([1, 2])
      }))

    it('the log is append-only: one entry per create and save, oldest first, with the events', () =>
      withStore(async (s) => {
        const r = makeRecord()
        const e1: AuthnEvent = { type: 'transaction.read', now: T0 + 1 }
        const e2: AuthnEvent = { type: 'transaction.cancel', now: T0 + 2 }
        expectRight(await run(s.create(r, { type: 'transaction.read', now: T0 }, START)))
        const v2 = bump(r)
        expectRight(await run(s.save(v2, r.version, e1)))
        expectRight(await run(s.save(bump(v2), v2.version, e2)))
        // Each entry records the state it left the transaction in (the audit replay compares it).
        expect(expectRight(await run(s.readLog(r.id)))).toEqual([
          { transactionId: r.id, version: 1, event: { type: 'transaction.read', now: T0 }, start: START, state: r.state },
          { transactionId: r.id, version: 2, event: e1, start: null, state: v2.state },
          { transactionId: r.id, version: 3, event: e2, start: null, state: bump(v2).state },
        ])
      }))

    it('a failed save appends nothing to the log', () =>
      withStore(async (s) => {
        const r = makeRecord()
        expectRight(await run(s.create(r, read, START)))
        expectLeft(await run(s.save(bump(bump(r)), asVersion(7), read)))
        expect(expectRight(await run(s.readLog(r.id)))).toHaveLength(1)
      }))

    it('readLog of an unknown id is empty', () =>
      withStore(async (s) => {
        expect(expectRight(await run(s.readLog(uniqueId())))).toEqual([])
      }))

    if (o.corrupt !== undefined) {
      const corrupt = o.corrupt
      it('a stored record that does not decode is Corrupt, not a crash', () =>
        withStore(async (s) => {
          const r = makeRecord()
          expectRight(await run(s.create(r, read, START)))
          await corrupt(s, r.id)
          const e = expectLeft(await run(s.load(r.stateTokenHash, T0)))
          expect(e._tag).toBe('Corrupt')
        }))
    }

    it('consumeToken redeems an issued token once; the second is AlreadyConsumed', () =>
      withStore(async (s) => {
        const t = makeToken()
        expectRight(await run(s.issueToken(t)))
        expect(expectRight(await run(s.consumeToken(t.hash, 'session', T0)))).toEqual(t)
        expect(expectLeft(await run(s.consumeToken(t.hash, 'session', T0)))._tag).toBe('AlreadyConsumed')
      }))

    it('consumeToken of an unknown, expired or other-kind token is NotFound', () =>
      withStore(async (s) => {
        const t = makeToken({ expiresAt: T0 + 1000 })
        expectRight(await run(s.issueToken(t)))
        expect(expectLeft(await run(s.consumeToken(uniqueHash(), 'session', T0)))._tag).toBe('NotFound')
        expect(expectLeft(await run(s.consumeToken(t.hash, 'recovery', T0)))._tag).toBe('NotFound')
        expect(expectLeft(await run(s.consumeToken(t.hash, 'session', T0 + 1000)))._tag).toBe('NotFound')
      }))

    it('issueToken with an existing hash is Conflict', () =>
      withStore(async (s) => {
        const t = makeToken()
        expectRight(await run(s.issueToken(t)))
        expect(expectLeft(await run(s.issueToken({ ...t, kind: 'recovery' })))._tag).toBe('Conflict')
      }))

    it(`${racers} concurrent consumeToken calls: exactly one succeeds`, () =>
      withStore(async (s) => {
        const t = makeToken({ kind: 'recovery' })
        expectRight(await run(s.issueToken(t)))
        const results = await Promise.all(Array.from({ length: racers }, () => run(s.consumeToken(t.hash, 'recovery', T0))))
        expect(results.filter((x) => x._tag === 'Right')).toHaveLength(1)
        for (const x of results) if (x._tag === 'Left') expect(x.left._tag).toBe('AlreadyConsumed')
      }))
  })
}
