import * as E from 'fp-ts/lib/Either.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import {
  applyUserChange,
  blankUser,
  changeMovesEpoch,
  changeRevokesSessions,
  isLeaseLive,
  isTransactionOnly,
  conflict,
  decoyOf,
  notFound,
  settleAttempt,
  type CredentialState,
  type StepOutcome,
  type StepRefusal,
  type StepStore,
  type FactorChange,
  type LoadedStep,
  type StepWrite,
  type StoreError,
  type FactorStore,
  type TransactionStore,
  type UserRecord,
  type UserStore,
  type AppSource,
} from '@authn-machine/core'
import { createMemoryAppSource, type MemoryAppInternals } from './app-source.js'
import { createMemoryFactorStore, type MemoryFactorInternals } from './factor-store.js'
import { createMemoryTransactionStore, type MemoryTransactionInternals } from './transaction-store.js'
import { createMemoryUserStore, type MemoryUserInternals } from './user-store.js'

const FINAL_STATES: ReadonlyArray<string> = ['SUCCESS', 'LOCKED_OUT', 'CANCELLED', 'FAILED']

const stateOf = (u: UserRecord): CredentialState => ({
  status: u.status,
  failedAttempts: u.failedAttempts,
  lockedAt: u.lockedAt,
  credentialEpoch: u.credentialEpoch,
})

/**
 * The StepStore over a memory TransactionStore and UserStore. Every method runs synchronously
 * from start to end (no `await` inside), so each is atomic with respect to every other call: a
 * commit checks everything first and writes only when nothing refuses.
 */
export const createMemoryStepStore = (
  transactions: MemoryTransactionInternals & TransactionStore,
  users: MemoryUserInternals,
  factors: MemoryFactorInternals,
): StepStore => {
  const { leases } = users.internal
  /**
   * The decoys of unknown logins (`decoyOf`), and their leases: written as users and their leases
   * are (docs/adr/0011-indistinguishable-users.md), read by nothing else.
   */
  const decoys = new Map<string, UserRecord>()
  const decoyLeases: typeof leases = new Map()

  /** The user's (or decoy's) live leases at `now` (lapsed ones dropped). */
  const liveLeases = (userId: string, now: number, held = leases) => {
    const live = (held.get(userId) ?? []).filter((l) => isLeaseLive(l.until, now))
    if (live.length === 0) held.delete(userId)
    else held.set(userId, live)
    return live
  }
  const dropLease = (userId: string, leaseId: string | null, held = leases) => {
    if (leaseId === null) return
    const rest = (held.get(userId) ?? []).filter((l) => l.id !== leaseId)
    if (rest.length === 0) held.delete(userId)
    else held.set(userId, rest)
  }

  /** Whether another live transaction of the user's current epoch holds the activation token. */
  const claimHeld = (u: UserRecord, now: number): boolean => {
    if (u.activationClaim === null) return false
    const holder = transactions.internal.read(u.activationClaim)
    return (
      E.isRight(holder) &&
      !FINAL_STATES.includes(holder.right.state) &&
      now < holder.right.expiresAt &&
      holder.right.credentialEpoch === u.credentialEpoch
    )
  }

  const applyFactorChange = (c: FactorChange): void => {
    switch (c.type) {
      case 'enroll':
        // A new enrollment replaces a pending one of the same type and provider.
        for (const f of factors.internal.byUser(c.record.userId))
          if (f.status === 'PENDING_ACTIVATION' && f.factorType === c.record.factorType && f.provider === c.record.provider) factors.internal.remove(f.id)
        factors.internal.put(c.record)
        return
      case 'activate': {
        const f = factors.internal.get(c.factorId)
        if (f !== undefined) factors.internal.put({ ...f, status: 'ACTIVE' })
        return
      }
      case 'use': {
        const f = factors.internal.get(c.factorId)
        if (f !== undefined) factors.internal.put({ ...f, lastCounter: c.counter })
        return
      }
      case 'update': {
        const f = factors.internal.get(c.factorId)
        if (f !== undefined) factors.internal.put({ ...f, profile: c.profile, secret: c.secret })
        return
      }
    }
  }

  const commit = (w: StepWrite): E.Either<StoreError, StepOutcome> => {
    const found = users.internal.read(w.userId)
    if (E.isLeft(found)) return found
    const before = found.right
    if (w.transaction !== null) {
      const checked = transactions.internal.check(w.transaction)
      if (E.isLeft(checked)) return checked
    }
    if (w.issue !== null && transactions.internal.hasToken(w.issue.hash)) return E.left(conflict('token'))
    // In the write's order, as PostgreSQL checks them; an id enrolled twice in one write conflicts too.
    const enrolled = new Set<string>()
    for (const c of w.factorChanges) {
      if (c.type === 'enroll' && (factors.internal.get(c.record.id) !== undefined || c.record.userId !== w.userId || enrolled.has(c.record.id)))
        return E.left(conflict('factor'))
      if (c.type === 'enroll') enrolled.add(c.record.id)
      if (c.type !== 'enroll' && factors.internal.get(c.factorId)?.userId !== w.userId) return E.left(notFound)
    }
    const refuse = (reason: StepRefusal): StepOutcome => {
      dropLease(w.userId, w.attempt?.leaseId ?? null)
      return { _tag: 'Refused', reason, user: stateOf(before) }
    }
    if (w.expectedEpoch !== null && before.credentialEpoch !== w.expectedEpoch) return E.right(refuse('epoch'))
    let user = before
    let locks = false
    if (w.attempt !== null) {
      const settled = settleAttempt(user, w.attempt.outcome, w.now)
      if (settled === 'locked') return E.right(refuse('locked'))
      user = settled.user
      locks = settled.locks
    }
    if (w.claimActivation && claimHeld(before, w.now)) return E.right(refuse('activationClaimed'))
    // A one-time position is accepted once: only above the factor's last one.
    for (const c of w.factorChanges)
      if (c.type === 'use') {
        const last = factors.internal.get(c.factorId)?.lastCounter ?? null
        if (last !== null && c.counter <= last) return E.right(refuse('factorReplayed'))
      }

    // Nothing refuses: write it all.
    dropLease(w.userId, w.attempt?.leaseId ?? null)
    // The claim first: an activation completed in the same step clears it again.
    if (w.claimActivation && w.transaction !== null) user = { ...user, activationClaim: w.transaction.record.id }
    for (const c of w.userChanges) user = applyUserChange(user, c)
    const moves = w.moveEpoch || locks || w.userChanges.some(changeMovesEpoch)
    if (moves) user = { ...user, credentialEpoch: before.credentialEpoch + 1 }
    if (w.revokeSessionTokens || locks || w.userChanges.some(changeRevokesSessions)) transactions.internal.revokeSessionTokens(w.userId)
    if (w.transaction !== null) transactions.internal.apply(w.transaction)
    if (w.issue !== null) transactions.internal.issue(w.issue)
    for (const c of w.factorChanges) applyFactorChange(c)
    if (w.rememberDevice !== null) {
      const { hash, until } = w.rememberDevice
      user = { ...user, rememberedDevices: [...user.rememberedDevices.filter((d) => d.hash !== hash && d.until > w.now), { hash, until }] }
    }
    users.internal.write(user, before)
    return E.right({ _tag: 'Applied', user: stateOf(user) })
  }

  return {
    reserveAttempt: (login, lease, now) =>
      TE.fromIOEither(() => {
        const id = users.internal.idByLogin(login)
        if (id === undefined) {
          const decoy = decoyOf(login)
          decoyLeases.set(decoy, [...liveLeases(decoy, now, decoyLeases), { id: lease.id, until: lease.until }])
          return E.left(notFound)
        }
        const user = users.internal.read(id)
        if (E.isLeft(user)) return user
        const live = liveLeases(id, now)
        leases.set(id, [...live, { id: lease.id, until: lease.until }])
        return E.right({ user: user.right, factors: factors.internal.byUser(id), ahead: live.length })
      }),
    load: (hash, now, lease) => async () => {
      const loaded = await transactions.load(hash, now)()
      if (E.isLeft(loaded)) return loaded
      const record = loaded.right
      const userId = record.context.userId
      let attempt: LoadedStep['attempt'] = null
      // A transaction without a user (a decoy recovery) has nothing to reserve on: as a missing user.
      if (userId === null) return lease === null ? E.right({ record, factors: [], attempt }) : E.left(notFound)
      if (lease !== null) {
        const user = users.internal.read(userId)
        if (E.isLeft(user)) return user
        const live = liveLeases(userId, now)
        leases.set(userId, [...live, { id: lease.id, until: lease.until }])
        attempt = { failedAttempts: user.right.failedAttempts, lockedAt: user.right.lockedAt, ahead: live.length }
      }
      return E.right({ record, factors: factors.internal.byUser(userId), attempt })
    },
    attemptStatus: (userId, leaseId, now) =>
      TE.fromIOEither(() => {
        const user = users.internal.read(userId)
        if (E.isLeft(user)) return user
        const at = liveLeases(userId, now).findIndex((l) => l.id === leaseId)
        return E.right({
          failedAttempts: user.right.failedAttempts,
          lockedAt: user.right.lockedAt,
          credentialEpoch: user.right.credentialEpoch,
          ahead: at < 0 ? null : at,
        })
      }),
    settleUnknown: (login, leaseId, lockout, now) =>
      TE.fromIO(() => {
        const decoy = decoyOf(login)
        const settled = settleAttempt(decoys.get(decoy) ?? blankUser(decoy), { type: 'failure', lockout }, now)
        dropLease(decoy, leaseId, decoyLeases)
        if (settled !== 'locked') decoys.set(decoy, settled.user)
      }),
    commit: (w) => TE.fromIOEither(() => commit(w)),
    commitDecoy: (key, w) =>
      TE.fromIOEither(() => {
        if (!isTransactionOnly(w)) return E.left(conflict('decoy'))
        const decoy = decoys.get(decoyOf(key)) ?? blankUser(decoyOf(key))
        if (w.transaction !== null) {
          const checked = transactions.internal.check(w.transaction)
          if (E.isLeft(checked)) return checked
          transactions.internal.apply(w.transaction)
        }
        return E.right({ _tag: 'Applied', user: stateOf(decoy) })
      }),
  }
}

export interface MemoryStores {
  readonly transactions: TransactionStore & MemoryTransactionInternals
  readonly users: UserStore & MemoryUserInternals
  readonly factors: FactorStore & MemoryFactorInternals
  readonly steps: StepStore
  /** The applications a step-up can target (empty at first). */
  readonly apps: AppSource & MemoryAppInternals
}

/** A TransactionStore, a UserStore and the StepStore over both, sharing one memory; and an AppSource. */
export const createMemoryStores = (): MemoryStores => {
  const users = createMemoryUserStore()
  const transactions = createMemoryTransactionStore({
    credentialEpoch: (userId) => {
      const u = users.internal.read(userId)
      return E.isRight(u) ? u.right.credentialEpoch : null
    },
  })
  const factors = createMemoryFactorStore((userId) => E.isRight(users.internal.read(userId)))
  return { transactions, users, factors, steps: createMemoryStepStore(transactions, users, factors), apps: createMemoryAppSource() }
}
