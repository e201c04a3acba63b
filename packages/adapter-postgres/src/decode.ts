import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import type * as t from 'io-ts'
import { PathReporter } from 'io-ts/lib/PathReporter.js'
import { corrupt, unavailable, type StoreError } from '@authn-machine/core'

/** Decodes a stored value; a value that does not decode is `Corrupt` with io-ts's report. */
export const decodeStored =
  <A, O>(codec: t.Type<A, O, unknown>) =>
  (raw: unknown): E.Either<StoreError, A> =>
    pipe(
      codec.decode(raw),
      E.mapLeft((errors) => corrupt(PathReporter.report(E.left(errors)))),
    )

/** A driver failure (connection lost, pool exhausted, statement error) as a port error. */
export const toUnavailable = (cause: unknown): StoreError => unavailable(cause)

/** A row as a plain record, for reading columns (`Corrupt` when the driver answered something else). */
export const asRow = (row: unknown): E.Either<StoreError, Readonly<Record<string, unknown>>> =>
  typeof row === 'object' && row !== null ? E.right(row as Readonly<Record<string, unknown>>) : E.left(corrupt(['row is not an object']))
