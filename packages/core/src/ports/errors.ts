import type { Version } from '../model/ids.js'

/** What any storage port can answer instead of a value. Adapters never throw. */
export type StoreError =
  | { readonly _tag: 'NotFound' }
  | { readonly _tag: 'AlreadyConsumed' }
  | { readonly _tag: 'Conflict'; readonly what: string }
  | { readonly _tag: 'VersionConflict'; readonly actual: Version | null }
  | { readonly _tag: 'Corrupt'; readonly details: ReadonlyArray<string> }
  | { readonly _tag: 'Unavailable'; readonly cause: unknown }

export const notFound: StoreError = { _tag: 'NotFound' }
export const alreadyConsumed: StoreError = { _tag: 'AlreadyConsumed' }
export const conflict = (what: string): StoreError => ({ _tag: 'Conflict', what })
export const versionConflict = (actual: Version | null): StoreError => ({ _tag: 'VersionConflict', actual })
export const corrupt = (details: ReadonlyArray<string>): StoreError => ({ _tag: 'Corrupt', details })
export const unavailable = (cause: unknown): StoreError => ({ _tag: 'Unavailable', cause })
