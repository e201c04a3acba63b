import * as E from 'fp-ts/lib/Either.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { pipe } from 'fp-ts/lib/function.js'
import {
  IssuedToken,
  LogEntry,
  TransactionRecord,
  alreadyConsumed,
  asVersion,
  conflict,
  notFound,
  versionConflict,
  type StoreError,
  type TransactionStore,
} from '@authn-machine/core'
import type { PgQueryable } from './client.js'
import { asRow, decodeStored } from './decode.js'
import { encoding, json, query } from './query.js'
import { DEFAULT_SCHEMA, tables } from './schema.js'

export interface PostgresStoreOptions {
  /** The schema holding the tables (see `migrate`). Default `authn`. */
  readonly schema?: string
}

const TX_COLUMNS = `id, state_token_hash, schema_version, kind, version, state, context,
  created_at::float8 as created_at, expires_at::float8 as expires_at`
const TOKEN_COLUMNS = `hash, schema_version, kind, user_id, transaction_id, expires_at::float8 as expires_at`

const decodeRecord = (row: unknown): E.Either<StoreError, TransactionRecord> =>
  pipe(
    asRow(row),
    E.chain((r) =>
      decodeStored(TransactionRecord)({
        schemaVersion: r['schema_version'],
        id: r['id'],
        kind: r['kind'],
        stateTokenHash: r['state_token_hash'],
        version: r['version'],
        state: r['state'],
        context: r['context'],
        createdAt: r['created_at'],
        expiresAt: r['expires_at'],
      }),
    ),
  )

const decodeToken = (row: unknown): E.Either<StoreError, IssuedToken> =>
  pipe(
    asRow(row),
    E.chain((r) =>
      decodeStored(IssuedToken)({
        schemaVersion: r['schema_version'],
        hash: r['hash'],
        kind: r['kind'],
        userId: r['user_id'],
        transactionId: r['transaction_id'],
        expiresAt: r['expires_at'],
      }),
    ),
  )

const decodeLogEntry = (row: unknown): E.Either<StoreError, LogEntry> =>
  pipe(
    asRow(row),
    E.chain((r) => decodeStored(LogEntry)({ transactionId: r['transaction_id'], version: r['version'], event: r['event'], start: r['start'] })),
  )

/**
 * A TransactionStore on PostgreSQL. Every method is ONE statement (one round trip): `create`
 * inserts the record and its first log entry together; `save` is a compare-and-set on
 * `(id, version)` that appends the log entry in the same statement; `consumeToken` is a guarded
 * `UPDATE … WHERE consumed_at IS NULL`. Rows are decoded with the core codecs; nothing throws.
 */
export const createPostgresTransactionStore = (db: PgQueryable, opts: PostgresStoreOptions = {}): TransactionStore => {
  const t = tables(opts.schema ?? DEFAULT_SCHEMA)

  const sql = {
    create: `with t as (
        insert into ${t.transactions} (id, state_token_hash, schema_version, kind, version, state, context, created_at, expires_at)
        values ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::bigint, $9::bigint)
        on conflict do nothing
        returning id, version)
      insert into ${t.log} (transaction_id, version, event, start) select id, version, $10::jsonb, $11::jsonb from t
      returning version`,
    load: `select ${TX_COLUMNS} from ${t.transactions} where state_token_hash = $1 and expires_at > $2::bigint`,
    // The update and the log append succeed or fail together. The trailing sub-selects read the
    // statement's snapshot (before the update), which tells a stale version from an unknown id
    // without a second round trip.
    save: `with u as (
        update ${t.transactions}
        set version = $3, state = $4, context = $5::jsonb, expires_at = $6::bigint,
            schema_version = $8, kind = $9, created_at = $10::bigint
        where id = $1 and version = $2 and state_token_hash = $7
        returning id, version),
      l as (insert into ${t.log} (transaction_id, version, event) select id, version, $11::jsonb from u returning version)
      select (select version from l) as saved,
             c.version as current,
             c.state_token_hash = $7 as same_token
      from (select 1) as one left join ${t.transactions} c on c.id = $1`,
    readLog: `select transaction_id, version, event, start from ${t.log} where transaction_id = $1 order by version`,
    issueToken: `insert into ${t.tokens} (hash, schema_version, kind, user_id, transaction_id, expires_at)
      values ($1, $2, $3, $4, $5, $6::bigint)
      on conflict do nothing
      returning hash`,
    // Exactly one of N concurrent calls matches `consumed_at is null`; the others wait for its row
    // lock, re-check, and fall through to the second branch, which explains why.
    consumeToken: `with c as (
        update ${t.tokens} set consumed_at = $3::bigint
        where hash = $1 and kind = $2 and consumed_at is null and expires_at > $3::bigint
        returning ${TOKEN_COLUMNS})
      select true as won, c.* from c
      union all
      select false as won, ${TOKEN_COLUMNS} from ${t.tokens}
      where hash = $1 and not exists (select 1 from c)`,
  }

  return {
    create: (record, event, start) => encoding(() => {
      if (record.version !== 1) return TE.left(versionConflict(null))
      const entry = LogEntry.encode({ transactionId: record.id, version: record.version, event, start })
      return pipe(
            query(db, sql.create, [
              record.id,
              record.stateTokenHash,
              record.schemaVersion,
              record.kind,
              record.version,
              record.state,
              json(TransactionRecord.encode(record).context),
              record.createdAt,
              record.expiresAt,
              json(entry.event),
              json(entry.start),
            ]),
            TE.chain((rows) => (rows.length === 1 ? TE.right(record) : TE.left(conflict('transaction')))),
          )
    }),

    load: (hash, now) =>
      pipe(
        query(db, sql.load, [hash, now]),
        TE.chainEitherK((rows) => (rows[0] === undefined ? E.left(notFound) : decodeRecord(rows[0]))),
      ),

    save: (record, expected, event) => encoding(() => {
      if (record.version !== expected + 1) return TE.left(versionConflict(null))
      const encoded = TransactionRecord.encode(record)
      return pipe(
        query(db, sql.save, [
          record.id,
          expected,
          record.version,
          record.state,
          json(encoded.context),
          record.expiresAt,
          record.stateTokenHash,
          record.schemaVersion,
          record.kind,
          record.createdAt,
          json(LogEntry.encode({ transactionId: record.id, version: record.version, event, start: null }).event),
        ]),
        TE.chainEitherK((rows): E.Either<StoreError, TransactionRecord> => {
          const r = rows[0] as { saved?: unknown; current?: unknown; same_token?: unknown } | undefined
          if (r === undefined) return E.left(notFound)
          if (r.saved !== null && r.saved !== undefined) return E.right(record)
          if (typeof r.current !== 'number') return E.left(notFound)
          if (r.same_token === false) return E.left(conflict('stateTokenHash'))
          // Stale in our snapshot: report what we saw. Same as expected: a concurrent save won
          // while we waited for its row lock, so the version is at least expected + 1.
          return E.left(versionConflict(asVersion(r.current === expected ? expected + 1 : r.current)))
        }),
      )
    }),

    readLog: (id) =>
      pipe(
        query(db, sql.readLog, [id]),
        TE.chainEitherK((rows) => E.traverseArray(decodeLogEntry)(rows)),
      ),

    issueToken: (token) =>
      pipe(
        query(db, sql.issueToken, [token.hash, token.schemaVersion, token.kind, token.userId, token.transactionId, token.expiresAt]),
        TE.chain((rows) => (rows.length === 1 ? TE.right(token) : TE.left(conflict('token')))),
      ),

    consumeToken: (hash, kind, now) =>
      pipe(
        query(db, sql.consumeToken, [hash, kind, now]),
        TE.chainEitherK((rows): E.Either<StoreError, IssuedToken> => {
          const r = rows[0] as { won?: unknown; kind?: unknown; expires_at?: unknown } | undefined
          if (r === undefined) return E.left(notFound)
          if (r.won === true) return decodeToken(r)
          if (r.kind !== kind || typeof r.expires_at !== 'number' || now >= r.expires_at) return E.left(notFound)
          return E.left(alreadyConsumed)
        }),
      ),
  }
}
