import { createMemoryTransactionStore, createMemoryUserStore } from '@authn-machine/adapter-memory'
import type { TransactionStore, UserStore } from '@authn-machine/core'

/** The stores the server can run on. PostgreSQL joins this list (and the switch below) later. */
export const STORE_KINDS = ['memory'] as const
export type StoreKind = (typeof STORE_KINDS)[number]

export const isStoreKind = (s: string): s is StoreKind => (STORE_KINDS as ReadonlyArray<string>).includes(s)

export interface Stores {
  readonly transactions: TransactionStore
  readonly users: UserStore
  /** Releases connections and the like; the server calls it after the last request finished. */
  readonly close: () => Promise<void>
}

/** The one place that knows how each kind of store is built. */
export const createStores = async (kind: StoreKind): Promise<Stores> => {
  switch (kind) {
    case 'memory':
      return { transactions: createMemoryTransactionStore(), users: createMemoryUserStore(), close: () => Promise.resolve() }
  }
}
