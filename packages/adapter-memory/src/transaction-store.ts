import * as E from 'fp-ts/lib/Either.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { pipe } from 'fp-ts/lib/function.js'
import {
  IssuedToken,
  LogEntry,
  TransactionRecord,
  alreadyConsumed,
  conflict,
  corrupt,
  notFound,
  versionConflict,
  type AuthnContext,
  type AuthnEvent,
  type StoreError,
  type TokenHash,
  type TransactionId,
  type TransactionStore,
} from '@authn-machine/core'
import { decodeStored } from './decode.js'

const copy = <A>(a: A): unknown => JSON.parse(JSON.stringify(a)) as unknown

/** io-ts `encode` throws on a value outside its unions: that is a `Corrupt` write, not a crash. */
const encodeOr = <A>(f: () => A): E.Either<StoreError, unknown> => {
  try {
    return E.right(copy(f()))
  } catch (e) {
    return E.left(corrupt([e instanceof Error ? e.message : String(e)]))
  }
}

/** Raw, out-of-band access for tests (corrupting a record, reading what is stored). */
export interface MemoryTransactionInternals {
  readonly rawTransaction: (id: TransactionId) => unknown
  readonly putRawTransaction: (id: TransactionId, raw: unknown) => void
  readonly size: () => { readonly transactions: number; readonly tokens: number; readonly logEntries: number }
}

/** A per-instance in-memory TransactionStore. Values are stored as JSON copies and decoded on read. */
export const createMemoryTransactionStore = (): TransactionStore & MemoryTransactionInternals => {
  const byId = new Map<string, unknown>()
  const idByHash = new Map<string, string>()
  const logs = new Map<string, unknown[]>()
  const issued = new Map<string, { raw: unknown; consumed: boolean }>()

  const read = (id: string): E.Either<StoreError, TransactionRecord> => {
    const raw = byId.get(id)
    return raw === undefined ? E.left(notFound) : decodeStored(TransactionRecord)(raw)
  }

  const entry = (record: TransactionRecord, event: AuthnEvent, start: AuthnContext | null) =>
    encodeOr(() => LogEntry.encode({ transactionId: record.id, version: record.version, event, start }))

  return {
    create: (record, event, start) =>
      TE.fromIOEither(() => {
        if (byId.has(record.id) || idByHash.has(record.stateTokenHash)) return E.left(conflict('transaction'))
        if (record.version !== 1) return E.left(versionConflict(null))
        return pipe(
          E.Do,
          E.bind('raw', () => encodeOr(() => TransactionRecord.encode(record))),
          E.bind('first', () => entry(record, event, start)),
          E.map(({ raw, first }) => {
            byId.set(record.id, raw)
            idByHash.set(record.stateTokenHash, record.id)
            logs.set(record.id, [first])
            return record
          }),
        )
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
            return pipe(
              E.Do,
              E.bind('raw', () => encodeOr(() => TransactionRecord.encode(record))),
              E.bind('next', () => entry(record, event, null)),
              E.map(({ raw, next }) => {
                byId.set(record.id, raw)
                logs.get(record.id)?.push(next)
                return record
              }),
            )
          }),
        ),
      ),
    readLog: (id) =>
      TE.fromEither(
        pipe(
          logs.get(id) ?? [],
          E.traverseArray((raw) => decodeStored(LogEntry)(raw)),
        ),
      ),
    issueToken: (token) =>
      TE.fromIOEither(() => {
        if (issued.has(token.hash)) return E.left(conflict('token'))
        return pipe(
          encodeOr(() => IssuedToken.encode(token)),
          E.map((raw) => {
            issued.set(token.hash, { raw, consumed: false })
            return token
          }),
        )
      }),
    consumeToken: (hash: TokenHash, kind, now) =>
      TE.fromIOEither(() => {
        const slot = issued.get(hash)
        if (slot === undefined) return E.left(notFound)
        return pipe(
          decodeStored(IssuedToken)(slot.raw),
          E.chain((token) => {
            if (token.kind !== kind || now >= token.expiresAt) return E.left(notFound)
            if (slot.consumed) return E.left(alreadyConsumed)
            slot.consumed = true
            return E.right(token)
          }),
        )
      }),
    rawTransaction: (id) => byId.get(id),
    putRawTransaction: (id, raw) => {
      byId.set(id, raw)
    },
    size: () => ({
      transactions: byId.size,
      tokens: issued.size,
      logEntries: [...logs.values()].reduce((n, l) => n + l.length, 0),
    }),
  }
}
