import * as TE from 'fp-ts/lib/TaskEither.js'
import { YubikeyKey } from './key.js'
import { decodeErrorMessages } from './messages.js'

/** Why the key store could not answer (a database down, a file unreadable): the engine answers 500 E0000009. */
export interface YubikeyKeyStoreError {
  readonly _tag: 'Unavailable'
  readonly cause: unknown
}

/**
 * Where the factor finds a YubiKey's key: the key whose public id is `publicId` (lower-case
 * modhex), or null when there is none (or the token may not be enrolled). Never throws. The keys
 * come from the admin (a Yubico-format CSV, see `parseYubicoCsv`); the source may be backed by a
 * file, a database table or a list in memory (`keySourceOf`).
 */
export type YubikeyKeySource = (publicId: string) => TE.TaskEither<YubikeyKeyStoreError, YubikeyKey | null>

/**
 * A key source over a fixed list of keys, indexed by public id. Throws a RangeError (at
 * construction only) for a key the `YubikeyKey` codec refuses or for two keys with one public id.
 */
export const keySourceOf = (keys: Iterable<YubikeyKey>): YubikeyKeySource => {
  const byPublicId = new Map<string, YubikeyKey>()
  for (const raw of keys) {
    const decoded = YubikeyKey.decode(raw)
    if (decoded._tag === 'Left') throw new RangeError(`Not a YubiKey key: ${decodeErrorMessages(decoded.left).join('; ')}`)
    const key = decoded.right
    if (byPublicId.has(key.publicId)) throw new RangeError(`Two YubiKey keys have the public id ${key.publicId}`)
    byPublicId.set(key.publicId, key)
  }
  return (publicId) => TE.right(byPublicId.get(publicId.toLowerCase()) ?? null)
}
