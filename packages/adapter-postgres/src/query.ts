import * as TE from 'fp-ts/lib/TaskEither.js'
import { corrupt, type StoreError } from '@authn-machine/core'
import type { PgQueryable } from './client.js'
import { toUnavailable } from './decode.js'

/** One round trip; a driver failure (never a throw) is `Unavailable`. */
export const query = (db: PgQueryable, text: string, values: unknown[]): TE.TaskEither<StoreError, ReadonlyArray<unknown>> =>
  TE.tryCatch(async () => (await db.query(text, values)).rows, toUnavailable)

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
