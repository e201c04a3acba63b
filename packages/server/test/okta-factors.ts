// Shared by the okta-auth-js end-to-end files: factors as okta-auth-js flattens them, and calls of
// the link functions it makes of a transaction's or a factor's `_links`.
import type { AuthnTransaction } from '@okta/okta-auth-js/authn'

export type TxFn = (args?: object) => Promise<AuthnTransaction>
export type Json = Readonly<Record<string, unknown>>

/** A factor as okta-auth-js flattens it: the JSON fields, its `_embedded` members, one function per link. */
export interface OktaFactor {
  readonly id?: string
  readonly factorType: string
  readonly provider: string
  readonly vendorName?: string
  readonly status?: string
  readonly enrollment?: string
  readonly profile?: Json
  readonly activation?: Json
  readonly challenge?: Json
  readonly enroll?: TxFn
  readonly verify?: TxFn
}

/** The factors of MFA_ENROLL or MFA_REQUIRED. */
export const factorsOf = (tx: AuthnTransaction): ReadonlyArray<OktaFactor> => (tx.factors ?? []) as unknown as ReadonlyArray<OktaFactor>

/** The factor of MFA_ENROLL_ACTIVATE or MFA_CHALLENGE; fails the test when there is none. */
export const factorOf = (tx: AuthnTransaction): OktaFactor => {
  if (tx.factor === undefined) throw new Error(`${tx.status} has no factor`)
  return tx.factor as unknown as OktaFactor
}

/** The factor of `factorType` and `provider` among a transaction's factors; fails the test when there is none. */
export const factorOfType = (tx: AuthnTransaction, factorType: string, provider: string): OktaFactor => {
  const f = factorsOf(tx).find((x) => x.factorType === factorType && x.provider === provider)
  if (f === undefined) throw new Error(`${tx.status} offers no ${factorType} (${provider})`)
  return f
}

/** Calls one of the link functions of a transaction or factor; fails the test when the link is missing. */
export const follow = (owner: object, name: string, args?: object): Promise<AuthnTransaction> => {
  const fn = (owner as Record<string, unknown>)[name]
  if (typeof fn !== 'function') throw new Error(`${String((owner as { status?: unknown }).status ?? 'factor')} has no ${name}()`)
  return (fn as TxFn)(args)
}
