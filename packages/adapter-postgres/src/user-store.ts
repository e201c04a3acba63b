import * as E from 'fp-ts/lib/Either.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { UserRecord, conflict, notFound, type StoreError, type UserStore } from '@authn-machine/core'
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

/**
 * The columns of a `UserRecord` (the attempt leases are the StepStore's, not part of the record;
 * the factors have their own table since migration 3: see src/factor-store.ts).
 */
export const USER_COLUMNS = `id, schema_version, status, profile, credentials, failed_attempts,
  locked_at::float8 as locked_at, activation_token_hash, activation_claim, credential_epoch, remembered_devices`

export const decodeUser = (row: unknown): E.Either<StoreError, UserRecord> =>
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
        activationClaim: r['activation_claim'],
        credentialEpoch: r['credential_epoch'],
        rememberedDevices: r['remembered_devices'],
      }),
    ),
  )

const oneUser = (rows: ReadonlyArray<unknown>): E.Either<StoreError, UserRecord> =>
  rows[0] === undefined ? E.left(notFound) : decodeUser(rows[0])

const RehashRow = t.type({ replaced: t.boolean, user_exists: t.boolean })

/**
 * A UserStore on PostgreSQL. Every method is one statement. Credential changes (counters, locks,
 * passwords, activation, the epoch) are written by the StepStore (src/step-store.ts) only; a
 * rehash (the same password with new parameters) is not one.
 */
export const createPostgresUserStore = (db: PgQueryable, opts: PostgresStoreOptions = {}): UserStore => {
  const u = tables(opts.schema ?? DEFAULT_SCHEMA).users
  const query = queryRunner(db, opts.namedStatements)

  const sql = {
    create: `insert into ${u} (id, login_key, schema_version, status, profile, credentials, failed_attempts, locked_at,
        activation_token_hash, remembered_devices, activation_claim, credential_epoch)
      values ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7, $8::bigint, $9, $10::jsonb, $11, $12)
      on conflict do nothing
      returning id`,
    findByLogin: `select ${USER_COLUMNS} from ${u} where login_key = $1`,
    findById: `select ${USER_COLUMNS} from ${u} where id = $1`,
    findByActivationToken: `select ${USER_COLUMNS} from ${u}
      where activation_token_hash = $1 and status in ('STAGED', 'PROVISIONED')`,
    // The compare-and-set of a rehash (docs/adr/0015-password-rehash.md): only the `passwordHash`
    // key of the credentials changes, and only while it is still the hash that was verified. Under
    // READ COMMITTED an update that waited for the row lock (a commit of the user's, which takes it
    // first thing; another rehash) re-checks its condition on the row as that one left it, so a
    // password change that came first makes it replace nothing. The trailing sub-select reads the
    // statement's snapshot: nothing replaced and no such user is NotFound.
    rehashPassword: `with r as (
        update ${u} set credentials = jsonb_set(credentials, '{passwordHash}', to_jsonb($3::text))
        where id = $1 and credentials->>'passwordHash' = $2
        returning id)
      select exists (select 1 from r) as replaced,
             exists (select 1 from ${u} where id = $1) as user_exists`,
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
          json(e.rememberedDevices),
          e.activationClaim,
          e.credentialEpoch,
        ]),
        TE.chain((rows) => (rows.length === 1 ? TE.right(user) : TE.left(conflict('user')))),
      )
    }),
    findByLogin: (login) => pipe(query(sql.findByLogin, [loginKey(login)]), TE.chainEitherK(oneUser)),
    findById: (id) => pipe(query(sql.findById, [id]), TE.chainEitherK(oneUser)),
    findByActivationToken: (hash) => pipe(query(sql.findByActivationToken, [hash]), TE.chainEitherK(oneUser)),
    rehashPassword: (id, expected, replacement) =>
      pipe(
        query(sql.rehashPassword, [id, expected, replacement]),
        TE.chainEitherK((rows) => decodeStored(RehashRow)(rows[0])),
        TE.chainEitherK((r) => (r.replaced || r.user_exists ? E.right(r.replaced) : E.left(notFound))),
      ),
  }
}
