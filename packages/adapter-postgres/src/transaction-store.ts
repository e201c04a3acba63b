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
import { policySnapshot } from './policy.js'
import { encoding, json, queryRunner } from './query.js'
import { DEFAULT_SCHEMA, tables, type Tables } from './schema.js'

export interface PostgresStoreOptions {
  /** The schema holding the tables (see `migrate`). Default `authn`. */
  readonly schema?: string
  /**
   * Send statements as named (prepared) statements: planned once per connection. Default: on for
   * a node-postgres `Pool`/`Client` (or a client with `namedStatements: true`), off otherwise
   * (PGlite). Turn it off behind PgBouncer in transaction mode (before 1.21).
   */
  readonly namedStatements?: boolean
}

export const TX_COLUMNS = `t.id, t.state_token_hash, t.schema_version, t.kind, t.version, t.state, t.context,
  t.created_at::float8 as created_at, t.expires_at::float8 as expires_at, t.credential_epoch, p.policy`
const TOKEN_COLUMNS = `hash, schema_version, kind, user_id, transaction_id, expires_at::float8 as expires_at`

type Json = Readonly<Record<string, unknown>>
const isObject = (u: unknown): u is Json => typeof u === 'object' && u !== null && !Array.isArray(u)

/**
 * A context as stored: without `policy` (kept once in `policy_snapshot`, referenced by hash) and,
 * in a transaction row, without `expiresAt` when it equals the row's `expires_at` column (it
 * mirrors it). Anything else is stored as is, so every record round-trips exactly.
 */
export const storedContext = (context: Json, expiresAt: number | null): Json => {
  const stored: Record<string, unknown> = {}
  for (const key of Object.keys(context)) {
    if (key === 'policy' || (key === 'expiresAt' && expiresAt !== null && context[key] === expiresAt)) continue
    stored[key] = context[key]
  }
  return stored
}

/** The inverse of `storedContext` (a value that is not an object is left for the codec to refuse). */
const fullContext = (stored: unknown, policy: unknown, expiresAt: unknown): unknown => {
  if (!isObject(stored)) return stored
  const withPolicy = policy === null || policy === undefined ? stored : { ...stored, policy }
  return expiresAt === undefined || 'expiresAt' in withPolicy ? withPolicy : { ...withPolicy, expiresAt }
}

/**
 * The live transaction whose state token hashes to $1 at $2 (epoch ms), as `load` answers it. A
 * transaction is dead once its user's credential epoch moved: the user is found by primary key
 * (the id is in the context); a user that does not exist moves nothing. The StepStore's `load`
 * starts from the same query.
 */
export const liveTransactionQuery = (t: Tables): string => `select ${TX_COLUMNS} from ${t.transactions} t left join ${t.policies} p on p.hash = t.policy_hash
      where t.state_token_hash = $1 and t.expires_at > $2::bigint
        and not exists (select 1 from ${t.users} u where u.id = t.context->>'userId' and u.credential_epoch <> t.credential_epoch)`

/** The statement failed a foreign key (SQLSTATE 23503), e.g. a policy hash with no snapshot yet. */
export const isForeignKeyViolation = (e: StoreError): boolean =>
  e._tag === 'Unavailable' && typeof e.cause === 'object' && e.cause !== null && (e.cause as { code?: unknown }).code === '23503'

export const decodeRecord = (row: unknown): E.Either<StoreError, TransactionRecord> =>
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
        context: fullContext(r['context'], r['policy'], r['expires_at']),
        createdAt: r['created_at'],
        credentialEpoch: r['credential_epoch'],
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
    E.chain((r) =>
      decodeStored(LogEntry)({
        transactionId: r['transaction_id'],
        version: r['version'],
        event: r['event'],
        start: fullContext(r['start'], r['start_policy'], undefined),
        ...(typeof r['state'] === 'string' ? { state: r['state'] } : {}),
      }),
    ),
  )

/**
 * A TransactionStore on PostgreSQL. Every method is ONE statement (one round trip): `create`
 * inserts the policy snapshot (if new), the record and its first log entry together; `save` is a compare-and-set on
 * `(id, version)` that appends the log entry in the same statement; `consumeToken` is a guarded
 * `UPDATE … WHERE consumed_at IS NULL`. Rows are decoded with the core codecs; nothing throws.
 */
export const createPostgresTransactionStore = (db: PgQueryable, opts: PostgresStoreOptions = {}): TransactionStore => {
  const t = tables(opts.schema ?? DEFAULT_SCHEMA)
  const query = queryRunner(db, opts.namedStatements)

  const saveStatement = (policyCte: string) => `${policyCte === '' ? 'with' : `${policyCte},`}
      u as (
        update ${t.transactions}
        set version = $3, state = $4, context = $5::jsonb, expires_at = $6::bigint,
            schema_version = $8, kind = $9, created_at = $10::bigint, policy_hash = decode($12, 'hex'), credential_epoch = $13
        where id = $1 and version = $2 and state_token_hash = $7
        returning id, version),
      l as (insert into ${t.log} (transaction_id, version, event, state) select id, version, $11::jsonb, $4 from u returning version)
      select l.version as saved,
             case when l.version is null then (select c.version from ${t.transactions} c where c.id = $1) end as current,
             case when l.version is null then (select c.state_token_hash = $7 from ${t.transactions} c where c.id = $1) end as same_token
      from (select 1) as one left join l on true`

  const sql = {
    // The policy snapshots (the record's, and the start context's when it differs), the record and
    // its first log entry, in one statement. A snapshot is written once per distinct policy.
    create: `with p as (
        insert into ${t.policies} (hash, policy)
        select decode(v.hash, 'hex'), v.policy::jsonb from (values ($12::text, $13::text), ($14::text, $15::text)) as v (hash, policy)
        where v.policy is not null
        on conflict do nothing),
      t as (
        insert into ${t.transactions} (id, state_token_hash, schema_version, kind, version, state, context, created_at, expires_at, policy_hash, credential_epoch)
        values ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::bigint, $9::bigint, decode($12, 'hex'), $16)
        on conflict do nothing
        returning id, version)
      insert into ${t.log} (transaction_id, version, event, start, start_policy_hash, state)
      select id, version, $10::jsonb, $11::jsonb, decode($14, 'hex'), $6 from t
      returning version`,
    load: liveTransactionQuery(t),
    // The update and the log append succeed or fail together. The trailing sub-selects run only
    // when nothing was saved; they read the statement's snapshot (before the update), which tells
    // a stale version from an unknown id without a second round trip. The policy is referenced by
    // hash: the machine never changes it, so the hash is the stored one and the foreign key is not
    // even checked. A policy whose snapshot does not exist yet fails the foreign key (and with it
    // the whole statement); `saveWithPolicy` then writes the snapshot in the same statement.
    save: saveStatement(''),
    saveWithPolicy: saveStatement(`with p as (
        insert into ${t.policies} (hash, policy) values (decode($12, 'hex'), $14::text::jsonb)
        on conflict do nothing)`),
    readLog: `select l.transaction_id, l.version, l.event, l.start, l.state, p.policy as start_policy
      from ${t.log} l left join ${t.policies} p on p.hash = l.start_policy_hash
      where l.transaction_id = $1 order by l.version`,
    issueToken: `insert into ${t.tokens} (hash, schema_version, kind, user_id, transaction_id, expires_at)
      values ($1, $2, $3, $4, $5, $6::bigint)
      on conflict do nothing
      returning hash`,
    // Exactly one of N concurrent calls matches `consumed_at is null`; the others wait for its row
    // lock, re-check, and fall through to the second branch, which explains why.
    consumeToken: `with c as (
        update ${t.tokens} set consumed_at = $3::bigint
        where hash = $1 and kind = any($2::text[]) and consumed_at is null and expires_at > $3::bigint
        returning ${TOKEN_COLUMNS})
      select true as won, c.* from c
      union all
      select false as won, ${TOKEN_COLUMNS} from ${t.tokens}
      where hash = $1 and not exists (select 1 from c)`,
  }

  return {
    create: (record, event, start) => encoding(() => {
      if (record.version !== 1) return TE.left(versionConflict(null))
      const encoded = TransactionRecord.encode(record)
      const entry = LogEntry.encode({ transactionId: record.id, version: record.version, event, start })
      const policy = policySnapshot(encoded.context.policy)
      const startPolicy = entry.start === null ? policy : policySnapshot(entry.start.policy)
      return pipe(
        query(sql.create, [
          record.id,
          record.stateTokenHash,
          record.schemaVersion,
          record.kind,
          record.version,
          record.state,
          json(storedContext(encoded.context, encoded.expiresAt)),
          record.createdAt,
          record.expiresAt,
          json(entry.event),
          entry.start === null ? null : json(storedContext(entry.start, null)),
          policy.hash,
          policy.json,
          startPolicy.hash,
          startPolicy.hash === policy.hash ? null : startPolicy.json,
          record.credentialEpoch,
        ]),
        TE.chain((rows) => (rows.length === 1 ? TE.right(record) : TE.left(conflict('transaction')))),
      )
    }),

    load: (hash, now) =>
      pipe(
        query(sql.load, [hash, now]),
        TE.chainEitherK((rows) => (rows[0] === undefined ? E.left(notFound) : decodeRecord(rows[0]))),
      ),

    save: (record, expected, event) => encoding(() => {
      if (record.version !== expected + 1) return TE.left(versionConflict(null))
      const encoded = TransactionRecord.encode(record)
      const policy = policySnapshot(encoded.context.policy)
      const values = [
        record.id,
        expected,
        record.version,
        record.state,
        json(storedContext(encoded.context, encoded.expiresAt)),
        record.expiresAt,
        record.stateTokenHash,
        record.schemaVersion,
        record.kind,
        record.createdAt,
        json(LogEntry.encode({ transactionId: record.id, version: record.version, event, start: null }).event),
        policy.hash,
        record.credentialEpoch,
      ]
      return pipe(
        query(sql.save, values),
        TE.orElse((e) => (isForeignKeyViolation(e) ? query(sql.saveWithPolicy, [...values, policy.json]) : TE.left(e))),
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
        query(sql.readLog, [id]),
        TE.chainEitherK((rows) => E.traverseArray(decodeLogEntry)(rows)),
      ),

    issueToken: (token) =>
      pipe(
        query(sql.issueToken, [token.hash, token.schemaVersion, token.kind, token.userId, token.transactionId, token.expiresAt]),
        TE.chain((rows) => (rows.length === 1 ? TE.right(token) : TE.left(conflict('token')))),
      ),

    consumeToken: (hash, kind, now) => {
      const kinds: ReadonlyArray<string> = typeof kind === 'string' ? [kind] : kind
      return pipe(
        query(sql.consumeToken, [hash, kinds, now]),
        TE.chainEitherK((rows): E.Either<StoreError, IssuedToken> => {
          const r = rows[0] as { won?: unknown; kind?: unknown; expires_at?: unknown } | undefined
          if (r === undefined) return E.left(notFound)
          if (r.won === true) return decodeToken(r)
          if (typeof r.kind !== 'string' || !kinds.includes(r.kind) || typeof r.expires_at !== 'number' || now >= r.expires_at) return E.left(notFound)
          return E.left(alreadyConsumed)
        }),
      )
    },
  }
}
