import * as E from 'fp-ts/lib/Either.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { pipe } from 'fp-ts/lib/function.js'
import { App, AppId, notFound, type AppSource, type StoreError } from '@authn-machine/core'
import type { PgQueryable } from './client.js'
import { asRow, decodeStored } from './decode.js'
import { encoding, json, queryRunner } from './query.js'
import { DEFAULT_SCHEMA, tables } from './schema.js'
import type { PostgresStoreOptions } from './transaction-store.js'

/** The `app` column of a row, decoded with core's `App` codec (`Corrupt` when it does not decode). */
const decodeApp = (row: unknown): E.Either<StoreError, App> =>
  pipe(
    asRow(row),
    E.chain((r) => decodeStored(App)(r['app'])),
  )

const oneApp = (rows: ReadonlyArray<unknown>): E.Either<StoreError, App> => (rows[0] === undefined ? E.left(notFound) : decodeApp(rows[0]))

/**
 * An AppSource on PostgreSQL (migration 7's `apps` table: one row per app, the encoded app as
 * jsonb). Every method is one statement. Ids are ordered by `collate "C"`, that is by their
 * characters' codes, whatever the database's collation. An id that no app can have (not an
 * `AppId`) is `NotFound` without a round trip; an app the codec refuses is `Corrupt` and is not
 * written.
 */
export const createPostgresAppSource = (db: PgQueryable, opts: PostgresStoreOptions = {}): AppSource => {
  const a = tables(opts.schema ?? DEFAULT_SCHEMA).apps
  const query = queryRunner(db, opts.namedStatements)

  const sql = {
    find: `select app from ${a} where id = $1`,
    list: `select app from ${a} order by id collate "C"`,
    // An upsert: concurrent puts of one id never fail on the key; the last to commit stays.
    put: `insert into ${a} (id, app) values ($1, $2::jsonb)
      on conflict (id) do update set app = excluded.app, updated_at = now()
      returning app`,
    remove: `delete from ${a} where id = $1 returning id`,
  }

  return {
    find: (id) => (AppId.is(id) ? pipe(query(sql.find, [id]), TE.chainEitherK(oneApp)) : TE.left(notFound)),

    list: () =>
      pipe(
        query(sql.list, []),
        TE.chainEitherK((rows) => E.traverseArray(decodeApp)(rows)),
      ),

    put: (app) =>
      encoding(() => {
        const encoded = App.encode(app)
        return pipe(
          TE.fromEither(decodeStored(App)(encoded)),
          TE.chain(() => query(sql.put, [encoded.id, json(encoded)])),
          TE.chainEitherK(oneApp),
        )
      }),

    remove: (id) =>
      AppId.is(id)
        ? pipe(
            query(sql.remove, [id]),
            TE.chainEitherK((rows): E.Either<StoreError, void> => (rows.length === 0 ? E.left(notFound) : E.right(undefined))),
          )
        : TE.left(notFound),
  }
}
