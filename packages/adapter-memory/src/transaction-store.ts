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
}

/**
 * A slot holds either a record that came through the typed API (kept as given: records are
 * immutable values, so nobody can change it behind the store's back), or a raw value written out of
 * band, which is decoded on every load.
 */
type Slot = { readonly value: TransactionRecord } | { readonly raw: unknown }

const SWEEP_INTERVAL_MS = 60_000

/** A per-instance in-memory TransactionStore. Every operation is synchronous, hence atomic. */
export const createMemoryTransactionStore = (): TransactionStore & MemoryTransactionInternals => {
  const byId = new Map<string, Slot>()
  const idByHash = new Map<string, string>()
  const logs = new Map<string, LogEntry[]>()
  const issued = new Map<string, { token: IssuedToken; consumed: boolean }>()

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
    for (const [hash, t] of issued) if (t.token.expiresAt <= now) issued.delete(hash)
  }

  const read = (id: string): E.Either<StoreError, TransactionRecord> => {
    const slot = byId.get(id)
    if (slot === undefined) return E.left(notFound)
    return 'value' in slot ? E.right(slot.value) : decodeStored(TransactionRecord)(slot.raw)
  }

  return {
    create: (record, event, start) =>
      TE.fromIOEither(() => {
        if (byId.has(record.id) || idByHash.has(record.stateTokenHash)) return E.left(conflict('transaction'))
        if (record.version !== 1) return E.left(versionConflict(null))
        if (record.createdAt >= nextSweepAt) {
          nextSweepAt = record.createdAt + SWEEP_INTERVAL_MS
          sweep(record.createdAt)
        }
        byId.set(record.id, { value: record })
        idByHash.set(record.stateTokenHash, record.id)
        logs.set(record.id, [{ transactionId: record.id, version: record.version, event, start }])
        return E.right(record)
      }),
    load: (hash, now) =>
      TE.fromIOEither(() => {
        const id = idByHash.get(hash)
        if (id === undefined) return E.left(notFound)
        return pipe(
          read(id),
          E.chain((r) => (now >= r.expiresAt ? E.left(notFound) : E.right(r))),
        )
      }),
    save: (record, expected, event) =>
      TE.fromIOEither(() =>
        pipe(
          read(record.id),
          E.chain((current) => {
            if (current.version !== expected || record.version !== expected + 1) return E.left(versionConflict(current.version))
            if (current.stateTokenHash !== record.stateTokenHash) return E.left(conflict('stateTokenHash'))
            byId.set(record.id, { value: record })
            logs.get(record.id)?.push({ transactionId: record.id, version: record.version, event, start: null })
            return E.right(record)
          }),
        ),
      ),
    readLog: (id) => TE.right([...(logs.get(id) ?? [])]),
    issueToken: (token) =>
      TE.fromIOEither(() => {
        if (issued.has(token.hash)) return E.left(conflict('token'))
        issued.set(token.hash, { token, consumed: false })
        return E.right(token)
      }),
    consumeToken: (hash: TokenHash, kind, now) =>
      TE.fromIOEither(() => {
        const slot = issued.get(hash)
        if (slot === undefined || slot.token.kind !== kind || now >= slot.token.expiresAt) return E.left(notFound)
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
    clear: () => {
      byId.clear()
      idByHash.clear()
      logs.clear()
      issued.clear()
    },
    size: () => ({
      transactions: byId.size,
      tokens: issued.size,
      logEntries: [...logs.values()].reduce((n, l) => n + l.length, 0),
    }),
  }
}
