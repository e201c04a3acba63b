import * as E from 'fp-ts/lib/Either.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { FactorRecord, conflict, notFound, type FactorStore, type StoreError } from '@authn-machine/core'
import type { PgQueryable } from './client.js'
import { asRow, decodeStored } from './decode.js'
import { encoding, json, queryRunner } from './query.js'
import { DEFAULT_SCHEMA, tables, type Tables } from './schema.js'
import type { PostgresStoreOptions } from './transaction-store.js'

/**
 * A sub-select answering the factors of the user whose id is the SQL expression `userId`, oldest
 * first, as ONE jsonb array of encoded `FactorRecord`s (`'[]'` for none). The StepStore puts it in
 * its reservation and load statements, so the factors come in the same round trip.
 */
export const factorsOf = (t: Tables, userId: string): string =>
  `(select coalesce(jsonb_agg(jsonb_build_object(
      'schemaVersion', f.schema_version, 'id', f.id, 'userId', f.user_id, 'factorType', f.factor_type,
      'provider', f.provider, 'status', f.status, 'profile', f.profile, 'secret', f.secret,
      'lastCounter', f.last_counter, 'createdAt', f.created_at) order by f.sequence), '[]'::jsonb)
    from ${t.factors} f where f.user_id = ${userId})`

const FactorList = t.readonlyArray(FactorRecord)

/** The `factors` column of a row holding `factorsOf(…) as factors`. */
export const decodeFactors = (row: unknown): E.Either<StoreError, ReadonlyArray<FactorRecord>> =>
  pipe(
    asRow(row),
    E.chain((r) => decodeStored(FactorList)(r['factors'])),
  )

const CreateRow = t.type({ inserted: t.boolean, id_taken: t.boolean, user_exists: t.boolean })

/**
 * A FactorStore on PostgreSQL (migration 3's `factors` table, one row per factor, in insertion
 * order). Both methods are one statement. Changes made by steps go through the StepStore's commit.
 */
export const createPostgresFactorStore = (db: PgQueryable, opts: PostgresStoreOptions = {}): FactorStore => {
  const s = tables(opts.schema ?? DEFAULT_SCHEMA)
  const query = queryRunner(db, opts.namedStatements)

  const sql = {
    listByUser: `select ${factorsOf(s, '$1')} as factors`,
    // Inserted only for a user that exists. The trailing sub-selects read the statement's snapshot
    // (before the insert): an id taken then is Conflict, a missing user NotFound. Neither, yet
    // nothing inserted: a concurrent create of the same id committed while this one waited for it
    // (`on conflict do nothing` then skips the row): Conflict too.
    create: `with i as (
        insert into ${s.factors} (id, user_id, schema_version, factor_type, provider, status, profile, secret, last_counter, created_at)
        select $1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9::bigint, $10::bigint
        where exists (select 1 from ${s.users} where id = $2)
        on conflict (id) do nothing
        returning id)
      select exists (select 1 from i) as inserted,
             exists (select 1 from ${s.factors} where id = $1) as id_taken,
             exists (select 1 from ${s.users} where id = $2) as user_exists`,
  }

  return {
    listByUser: (userId) =>
      pipe(
        query(sql.listByUser, [userId]),
        TE.chainEitherK((rows) => (rows[0] === undefined ? E.right([]) : decodeFactors(rows[0]))),
      ),

    create: (record) =>
      encoding(() => {
        const e = FactorRecord.encode(record)
        return pipe(
          query(sql.create, [e.id, e.userId, e.schemaVersion, e.factorType, e.provider, e.status, json(e.profile), e.secret, e.lastCounter, e.createdAt]),
          TE.chainEitherK((rows) => decodeStored(CreateRow)(rows[0])),
          TE.chainEitherK((r): E.Either<StoreError, FactorRecord> => {
            if (r.inserted) return E.right(record)
            if (r.id_taken || r.user_exists) return E.left(conflict('factor'))
            return E.left(notFound)
          }),
        )
      }),
  }
}
