import * as E from 'fp-ts/lib/Either.js'
import { corrupt, unavailable, type StoreError } from '@authn-machine/core'

export { decodeStored } from '@authn-machine/core'

/** A driver failure (connection lost, pool exhausted, statement error) as a port error. */
export const toUnavailable = (cause: unknown): StoreError => unavailable(cause)

/** A row as a plain record, for reading columns (`Corrupt` when the driver answered something else). */
export const asRow = (row: unknown): E.Either<StoreError, Readonly<Record<string, unknown>>> =>
  typeof row === 'object' && row !== null ? E.right(row as Readonly<Record<string, unknown>>) : E.left(corrupt(['row is not an object']))
