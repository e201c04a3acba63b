import type * as E from 'fp-ts/lib/Either.js'

export type SecretError =
  | { readonly _tag: 'MalformedSecret' }
  | { readonly _tag: 'UnknownKey'; readonly keyId: string }
  | { readonly _tag: 'DecryptionFailed' }

/**
 * Seals factor secrets (TOTP keys, answer hashes) before any store sees them, so that every
 * adapter that persists them holds them encrypted. The engine's default is AES-256-GCM with a
 * keyring (key rotation: `needsRotation`).
 */
export interface SecretBox {
  /** The sealed form of `plain`; `aad` (e.g. `userId/factorId`) binds it to its row. */
  readonly encryptSecret: (plain: Uint8Array | string, aad?: string) => string
  /** The plaintext, or why not: malformed, a key id not in the ring, or a failed authentication. */
  readonly decryptSecret: (sealed: string, aad?: string) => E.Either<SecretError, Uint8Array>
  /**
   * A keyed MAC of `data` for `purpose` (a sent code bound to its transaction): what is stored in
   * place of a short secret that a plain hash would not protect (a 6-digit code). Names its key.
   */
  readonly mac: (data: string, purpose: string) => string
  /** Whether `tag` is `mac(data, purpose)` under the key it names (compared in constant time). */
  readonly verifyMac: (data: string, purpose: string, tag: string) => boolean
  /** Whether `sealed` was made with a key other than the current one. */
  readonly needsRotation: (sealed: string) => boolean
}
