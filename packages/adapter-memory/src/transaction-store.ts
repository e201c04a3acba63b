import * as E from 'fp-ts/lib/Either.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { pipe } from 'fp-ts/lib/function.js'
import {
  TransactionRecord,
  alreadyConsumed,
  conflict,
  notFound,
  versionConflict,
  type IssuedToken,
  type LogEntry,
  type StoreError,
  type TokenHash,
  type TransactionId,
  type TransactionStore,
  type TransactionWrite,
} from '@authn-machine/core'
import { decodeStored } from './decode.js'

/** Raw, out-of-band access for tests (corrupting a record, reading what is stored). */
export interface MemoryTransactionInternals {
  /** The stored record as plain JSON. */
  readonly rawTransaction: (id: TransactionId) => unknown
  /** Replaces a stored record with any value; the next load decodes it (and finds it `Corrupt`). */
  readonly putRawTransaction: (id: TransactionId, raw: unknown) => void
  readonly size: () => { readonly transactions: number; readonly tokens: number; readonly logEntries: number }
  /** Forgets everything (test resets, the reference server's conformance mode). */
  readonly clear: () => void
  /** For the StepStore of the same memory: checks and applies writes inside its synchronous commits. */
  readonly internal: {
    /** What `create` / `save` would answer, without writing anything. */
    readonly check: (w: TransactionWrite) => E.Either<StoreError, void>
    /** Writes a checked `create` / `save`. */
    readonly apply: (w: TransactionWrite) => void
    readonly read: (id: string) => E.Either<StoreError, TransactionRecord>
    readonly issue: (token: IssuedToken) => E.Either<StoreError, void>
    readonly hasToken: (hash: string) => boolean
    /** Marks the user's unredeemed session tokens consumed. */
    readonly revokeSessionTokens: (userId: string) => void
  }
}

export interface MemoryTransactionOptions {
  /**
   * The user's current credential epoch (null for an unknown user): a transaction started under
   * another epoch is dead on load. Given by `createMemoryStores`; a lone store has no users.
   */
  readonly credentialEpoch?: (userId: string) => number | null
}

/**
 * A slot holds either a record that came through the typed API (kept as given: records are
 * immutable values, so nobody can change it behind the store's back), or a raw value written out of
 * band, which is decoded on every load.
 */
type Slot = { readonly value: TransactionRecord } | { readonly raw: unknown }

const SWEEP_INTERVAL_MS = 60_000

/** A per-instance in-memory TransactionStore. Every operation is synchronous, hence atomic. */
export const createMemoryTransactionStore = (opts: MemoryTransactionOptions = {}): TransactionStore & MemoryTransactionInternals => {
  const epochOf = opts.credentialEpoch ?? (() => null)
  const byId = new Map<string, Slot>()
  const idByHash = new Map<string, string>()
  const logs = new Map<string, LogEntry[]>()
  const issued = new Map<string, { token: IssuedToken; consumed: boolean }>()
  /** Unexpired session token hashes per user, for revocation without a scan. */
  const sessionsByUser = new Map<string, Set<string>>()

  /**
   * Forgets transactions (with their logs) and tokens that expired before `now`. Runs on a create
   * at most once every SWEEP_INTERVAL_MS of the records' clock, so a long-lived memory store does
   * not grow without bound; like the PostgreSQL sweeper, correctness never depends on it (loads
   * ignore expired values).
   */
  let nextSweepAt = Number.NEGATIVE_INFINITY
  const sweep = (now: number) => {
    for (const [id, slot] of byId) {
      const expiresAt = 'value' in slot ? slot.value.expiresAt : null
      if (expiresAt !== null && expiresAt <= now) {
        byId.delete(id)
        logs.delete(id)
        if ('value' in slot) idByHash.delete(slot.value.stateTokenHash)
      }
    }
    for (const [hash, t] of issued)
      if (t.token.expiresAt <= now) {
        issued.delete(hash)
        const mine = sessionsByUser.get(t.token.userId)
        mine?.delete(hash)
        if (mine?.size === 0) sessionsByUser.delete(t.token.userId)
      }
  }

  const read = (id: string): E.Either<StoreError, TransactionRecord> => {
    const slot = byId.get(id)
    if (slot === undefined) return E.left(notFound)
    return 'value' in slot ? E.right(slot.value) : decodeStored(TransactionRecord)(slot.raw)
  }

  const check = (w: TransactionWrite): E.Either<StoreError, void> => {
    const { record } = w
    if (w.kind === 'create') {
      if (byId.has(record.id) || idByHash.has(record.stateTokenHash)) return E.left(conflict('transaction'))
      return record.version !== 1 ? E.left(versionConflict(null)) : E.right(undefined)
    }
    return pipe(
      read(record.id),
      E.chain((current) => {
        if (current.version !== w.expected || record.version !== w.expected + 1) return E.left(versionConflict(current.version))
        return current.stateTokenHash !== record.stateTokenHash ? E.left(conflict('stateTokenHash')) : E.right(undefined)
      }),
    )
  }

  const apply = (w: TransactionWrite): void => {
    const { record } = w
    byId.set(record.id, { value: record })
    if (w.kind === 'create') {
      if (record.createdAt >= nextSweepAt) {
        nextSweepAt = record.createdAt + SWEEP_INTERVAL_MS
        sweep(record.createdAt)
      }
      idByHash.set(record.stateTokenHash, record.id)
      logs.set(record.id, [{ transactionId: record.id, version: record.version, event: w.event, start: w.start, state: record.state }])
    } else logs.get(record.id)?.push({ transactionId: record.id, version: record.version, event: w.event, start: null, state: record.state })
  }

  const write = (w: TransactionWrite) =>
    TE.fromIOEither(() =>
      pipe(
        check(w),
        E.map(() => {
          apply(w)
          return w.record
        }),
      ),
    )

  const issue = (token: IssuedToken): E.Either<StoreError, void> => {
    if (issued.has(token.hash)) return E.left(conflict('token'))
    issued.set(token.hash, { token, consumed: false })
    if (token.kind === 'session') {
      const mine = sessionsByUser.get(token.userId) ?? new Set<string>()
      sessionsByUser.set(token.userId, mine.add(token.hash))
    }
    return E.right(undefined)
  }

  return {
    create: (record, event, start) => write({ kind: 'create', record, event, start }),
    load: (hash, now) =>
      TE.fromIOEither(() => {
        const id = idByHash.get(hash)
        if (id === undefined) return E.left(notFound)
        return pipe(
          read(id),
          E.chain((r) => {
            const epoch = r.context.userId === null ? null : epochOf(r.context.userId)
            return now >= r.expiresAt || (epoch !== null && epoch !== r.credentialEpoch) ? E.left(notFound) : E.right(r)
          }),
        )
      }),
    save: (record, expected, event) => write({ kind: 'save', record, expected, event }),
    readLog: (id) => TE.right([...(logs.get(id) ?? [])]),
    issueToken: (token) =>
      TE.fromIOEither(() =>
        pipe(
          issue(token),
          E.map(() => token),
        ),
      ),
    consumeToken: (hash: TokenHash, kind, now) =>
      TE.fromIOEither(() => {
        const slot = issued.get(hash)
        const kinds: ReadonlyArray<IssuedToken['kind']> = typeof kind === 'string' ? [kind] : kind
        if (slot === undefined || !kinds.includes(slot.token.kind) || now >= slot.token.expiresAt) return E.left(notFound)
        if (slot.consumed) return E.left(alreadyConsumed)
        slot.consumed = true
        return E.right(slot.token)
      }),
    rawTransaction: (id) => {
      const slot = byId.get(id)
      return slot === undefined ? undefined : 'value' in slot ? (JSON.parse(JSON.stringify(TransactionRecord.encode(slot.value))) as unknown) : slot.raw
    },
    putRawTransaction: (id, raw) => {
      byId.set(id, { raw })
    },
    internal: {
      check,
      apply,
      read,
      issue,
      hasToken: (hash) => issued.has(hash),
      revokeSessionTokens: (userId) => {
        for (const hash of sessionsByUser.get(userId) ?? []) {
          const slot = issued.get(hash)
          if (slot !== undefined) slot.consumed = true
        }
        sessionsByUser.delete(userId)
      },
    },
    clear: () => {
      byId.clear()
      idByHash.clear()
      logs.clear()
      issued.clear()
      sessionsByUser.clear()
    },
    size: () => ({
      transactions: byId.size,
      tokens: issued.size,
      logEntries: [...logs.values()].reduce((n, l) => n + l.length, 0),
    }),
  }
}
