import { createHash } from 'node:crypto'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { corrupt, type StoreError } from '@authn-machine/core'
import { supportsNamedStatements, type PgNamedQuery, type PgQueryable } from './client.js'
import { toUnavailable } from './decode.js'

/** Runs one statement: one round trip; a driver failure (never a throw) is `Unavailable`. */
export type Query = (text: string, values: unknown[]) => TE.TaskEither<StoreError, ReadonlyArray<unknown>>

/** A statement's name: derived from its text (which includes the schema), so one name is one text. */
const statementName = (text: string): string => `authn_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`

/**
 * The statement runner of a store on `db`. With `named` (default: when `db` takes named
 * statements, i.e. node-postgres), each statement is sent as a named statement: each connection
 * parses and plans it once, then only binds and executes it, which for the adapter's CTEs costs
 * about as much as the whole execution otherwise. Turn it off behind a pooler that does not keep
 * prepared statements per client (PgBouncer in transaction mode before 1.21).
 */
export const queryRunner = (db: PgQueryable, named: boolean = supportsNamedStatements(db)): Query => {
  if (!named) return (text, values) => TE.tryCatch(async () => (await db.query(text, values)).rows, toUnavailable)
  const names = new Map<string, string>()
  const send = db.query.bind(db) as unknown as (q: PgNamedQuery) => ReturnType<PgQueryable['query']>
  return (text, values) =>
    TE.tryCatch(async () => {
      let name = names.get(text)
      if (name === undefined) names.set(text, (name = statementName(text)))
      return (await send({ name, text, values })).rows
    }, toUnavailable)
}

/** `jsonb` parameters are sent as JSON text (pg would turn a JS array into a PostgreSQL array). */
export const json = (value: unknown): string => JSON.stringify(value)

/**
 * Builds a statement's task; if building throws (io-ts `encode` throws on a value outside its
 * codec, e.g. a union member that no branch accepts), the answer is `Corrupt`, never a throw.
 */
export const encoding = <A>(build: () => TE.TaskEither<StoreError, A>): TE.TaskEither<StoreError, A> => {
  try {
    return build()
  } catch (e) {
    return TE.left(corrupt([`cannot encode: ${e instanceof Error ? e.message : String(e)}`]))
  }
}
