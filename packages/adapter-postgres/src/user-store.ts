import * as E from 'fp-ts/lib/Either.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { UserRecord, conflict, notFound, type LockoutState, type StoreError, type UserStore } from '@authn-machine/core'
import type { PgQueryable } from './client.js'
import { asRow, decodeStored } from './decode.js'
import { encoding, json, queryRunner } from './query.js'
import { DEFAULT_SCHEMA, tables } from './schema.js'
import type { PostgresStoreOptions } from './transaction-store.js'

/**
 * The case-insensitive login key, computed here rather than with SQL `lower()` (which depends on
 * the database's `LC_CTYPE`: under the C locale it folds ASCII only). Same key as adapter-memory.
 */
export const loginKey = (login: string): string => login.normalize('NFC').toLowerCase()

const USER_COLUMNS = `id, schema_version, status, profile, credentials, failed_attempts,
  locked_at::float8 as locked_at, activation_token_hash, factors`

const decodeUser = (row: unknown): E.Either<StoreError, UserRecord> =>
  pipe(
    asRow(row),
    E.chain((r) =>
      decodeStored(UserRecord)({
        schemaVersion: r['schema_version'],
        id: r['id'],
        status: r['status'],
        profile: r['profile'],
        credentials: r['credentials'],
        failedAttempts: r['failed_attempts'],
        lockedAt: r['locked_at'],
        activationTokenHash: r['activation_token_hash'],
        factors: r['factors'],
      }),
    ),
  )

const LockoutRow = t.type({ failed_attempts: t.number, locked_at: t.union([t.number, t.null]) }, 'LockoutRow')

const oneUser = (rows: ReadonlyArray<unknown>): E.Either<StoreError, UserRecord> =>
  rows[0] === undefined ? E.left(notFound) : decodeUser(rows[0])

/**
 * A UserStore on PostgreSQL. Every method is one statement; counter and password updates are
 * computed inside the `UPDATE` from the row's current values, so concurrent callers serialise on
 * the row lock and none is lost.
 */
export const createPostgresUserStore = (db: PgQueryable, opts: PostgresStoreOptions = {}): UserStore => {
  const u = tables(opts.schema ?? DEFAULT_SCHEMA).users
  const query = queryRunner(db, opts.namedStatements)

  // nextLockoutState (core/src/policy/lockout.ts) in SQL: $2 maxAttempts, $3 autoUnlockMinutes, $4 now.
  const locked = `(locked_at is not null and ($3::bigint = 0 or $4::bigint < locked_at + $3::bigint * 60000))`
  const next = `((case when locked_at is not null then 0 else failed_attempts end) + 1)`

  const samePassword = `(credentials->>'passwordHash' is not distinct from $2::text and credentials->'passwordChangedAt' = to_jsonb($3::bigint))`

  const sql = {
    create: `insert into ${u} (id, login_key, schema_version, status, profile, credentials, failed_attempts, locked_at, activation_token_hash, factors)
      values ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7, $8::bigint, $9, $10::jsonb)
      on conflict do nothing
      returning id`,
    findByLogin: `select ${USER_COLUMNS} from ${u} where login_key = $1`,
    findById: `select ${USER_COLUMNS} from ${u} where id = $1`,
    findByActivationToken: `select ${USER_COLUMNS} from ${u}
      where activation_token_hash = $1 and status in ('STAGED', 'PROVISIONED')`,
    recordFailedAttempt: `update ${u} set
        failed_attempts = case when ${locked} then failed_attempts else ${next} end,
        locked_at = case when ${locked} then locked_at
                         when $2::int > 0 and ${next} >= $2::int then $4::bigint
                         else null end
      where id = $1
      returning failed_attempts, locked_at::float8 as locked_at`,
    resetFailedAttempts: `update ${u} set failed_attempts = 0, locked_at = null,
        status = case when status = 'LOCKED_OUT' then 'ACTIVE' else status end
      where id = $1
      returning id`,
    // $2 new hash, $3 changedAt, $4 how many history entries to keep. The same hash at the same
    // time again (a repeated effect) changes nothing but the status.
    setPassword: `update ${u} set
        status = case when status = 'PASSWORD_EXPIRED' then 'ACTIVE' else status end,
        credentials = case when ${samePassword} then credentials
          else credentials || jsonb_build_object(
            'passwordHash', $2::text,
            'passwordChangedAt', $3::bigint,
            'passwordHistory', (
              select coalesce(jsonb_agg(h order by i), '[]'::jsonb)
              from jsonb_array_elements(
                case when jsonb_typeof(credentials->'passwordHash') = 'string'
                     then jsonb_build_array(credentials->'passwordHash') || (credentials->'passwordHistory')
                     else credentials->'passwordHistory' end) with ordinality as x(h, i)
              where i <= $4::int)) end
      where id = $1
      returning ${USER_COLUMNS}`,
    activate: `update ${u} set
        status = case when status in ('STAGED', 'PROVISIONED') then 'ACTIVE' else status end,
        activation_token_hash = null
      where id = $1
      returning ${USER_COLUMNS}`,
  }

  return {
    create: (user) => encoding(() => {
      const e = UserRecord.encode(user)
      return pipe(
        query(sql.create, [
          e.id,
          loginKey(e.profile.login),
          e.schemaVersion,
          e.status,
          json(e.profile),
          json(e.credentials),
          e.failedAttempts,
          e.lockedAt,
          e.activationTokenHash,
          json(e.factors),
        ]),
        TE.chain((rows) => (rows.length === 1 ? TE.right(user) : TE.left(conflict('user')))),
      )
    }),
    findByLogin: (login) => pipe(query(sql.findByLogin, [loginKey(login)]), TE.chainEitherK(oneUser)),
    findById: (id) => pipe(query(sql.findById, [id]), TE.chainEitherK(oneUser)),
    findByActivationToken: (hash) => pipe(query(sql.findByActivationToken, [hash]), TE.chainEitherK(oneUser)),
    recordFailedAttempt: (id, policy, now) =>
      pipe(
        query(sql.recordFailedAttempt, [id, policy.maxAttempts, policy.autoUnlockMinutes, now]),
        TE.chainEitherK((rows): E.Either<StoreError, LockoutState> =>
          rows[0] === undefined
            ? E.left(notFound)
            : pipe(
                decodeStored(LockoutRow)(rows[0]),
                E.map((r) => ({ failedAttempts: r.failed_attempts, lockedAt: r.locked_at })),
              ),
        ),
      ),
    resetFailedAttempts: (id) =>
      pipe(
        query(sql.resetFailedAttempts, [id]),
        TE.chainEitherK((rows): E.Either<StoreError, LockoutState> =>
          rows[0] === undefined ? E.left(notFound) : E.right({ failedAttempts: 0, lockedAt: null }),
        ),
      ),
    setPassword: (id, p) =>
      pipe(
        query(sql.setPassword, [id, p.passwordHash, p.changedAt, Math.max(0, p.historyCount - 1)]),
        TE.chainEitherK(oneUser),
      ),
    activate: (id) => pipe(query(sql.activate, [id]), TE.chainEitherK(oneUser)),
  }
}
