import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import type * as t from 'io-ts'
import { PathReporter } from 'io-ts/lib/PathReporter.js'
import { corrupt, type StoreError } from '../ports/errors.js'

/** Pure: decodes a stored value; one that does not decode is `Corrupt` with io-ts's report. For adapters. */
export const decodeStored =
  <A, O>(codec: t.Type<A, O, unknown>) =>
  (raw: unknown): E.Either<StoreError, A> =>
    pipe(
      codec.decode(raw),
      E.mapLeft((errors) => corrupt(PathReporter.report(E.left(errors)))),
    )
