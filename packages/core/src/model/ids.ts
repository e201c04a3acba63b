import * as t from 'io-ts'
import { annotate } from '../codecs/json-schema.js'

export interface TransactionIdBrand {
  readonly TransactionId: unique symbol
}
export interface UserIdBrand {
  readonly UserId: unique symbol
}
export interface FactorIdBrand {
  readonly FactorId: unique symbol
}
export interface TokenHashBrand {
  readonly TokenHash: unique symbol
}
export interface VersionBrand {
  readonly Version: unique symbol
}

const isId = (prefix: string) => (s: string) => s.length >= 4 && s.length <= 64 && s.startsWith(prefix)

/** Internal transaction id (never shown to clients): `txn` + random. */
export const TransactionId = t.brand(t.string, (s): s is t.Branded<string, TransactionIdBrand> => isId('txn')(s), 'TransactionId')
export type TransactionId = t.TypeOf<typeof TransactionId>

/** Okta-style user id (`00u…`). */
export const UserId = annotate(
  t.brand(t.string, (s): s is t.Branded<string, UserIdBrand> => s.length > 0 && s.length <= 64, 'UserId'),
  { minLength: 1, maxLength: 64 },
)
export type UserId = t.TypeOf<typeof UserId>

/** Factor id (`ost…`, `sms…`, …). */
export const FactorId = annotate(
  t.brand(t.string, (s): s is t.Branded<string, FactorIdBrand> => s.length > 0 && s.length <= 64, 'FactorId'),
  { minLength: 1, maxLength: 64 },
)
export type FactorId = t.TypeOf<typeof FactorId>

/** SHA-256 of a bearer token, base64url (43 chars). Tokens are only ever stored as this. */
export const TokenHash = t.brand(
  t.string,
  (s): s is t.Branded<string, TokenHashBrand> => /^[A-Za-z0-9_-]{43}$/.test(s),
  'TokenHash',
)
export type TokenHash = t.TypeOf<typeof TokenHash>

/** Optimistic-concurrency version of a stored transaction: 1 on create, +1 on every save. */
export const Version = t.brand(
  t.number,
  (n): n is t.Branded<number, VersionBrand> => Number.isSafeInteger(n) && n >= 1,
  'Version',
)
export type Version = t.TypeOf<typeof Version>

/** Epoch milliseconds. Time always arrives from outside the core. */
export type EpochMs = number

export const asTransactionId = (s: string): TransactionId => s as TransactionId
export const asUserId = (s: string): UserId => s as UserId
export const asFactorId = (s: string): FactorId => s as FactorId
export const asTokenHash = (s: string): TokenHash => s as TokenHash
export const asVersion = (n: number): Version => n as Version
