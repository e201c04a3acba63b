import {
  TransactionRecord,
  decide,
  precheck,
  renderTransaction,
  restoreAuthn,
  type AuthnEvent,
  type AuthnFailure,
  type AuthnSnapshot,
  type Decision,
  type EpochMs,
  type ResponseSecrets,
  type TransactionJson,
} from '@authn-machine/core'

/**
 * A kind of transaction as the pipeline drives it: its stored record's codec, how its snapshot is
 * restored, the precheck and the decider over its machine, and its renderer. The pipeline (load by
 * state-token hash → pick the flow by `record.kind` → gather facts → decide → commit → render) is
 * written once for every flow; the decision's effects become the step's write in `effectsWrite`.
 */
export interface Flow<K extends TransactionRecord['kind'] = TransactionRecord['kind']> {
  readonly kind: K
  readonly codec: typeof TransactionRecord
  readonly restore: (record: TransactionRecord) => AuthnSnapshot
  /** Refuses an event type before any costly fact is gathered (hashing, a factor verification). */
  readonly precheck: (snapshot: AuthnSnapshot, type: AuthnEvent['type'], now: EpochMs) => AuthnFailure | null
  readonly decide: (snapshot: AuthnSnapshot, event: AuthnEvent) => Decision
  readonly render: (
    d: Decision,
    secrets: ResponseSecrets,
    baseUrl: string,
    now: EpochMs,
  ) => TransactionJson
}

/** The authentication transaction (spec §3, §10.1–10.2). */
export const authnFlow: Flow<'authn'> = {
  kind: 'authn',
  codec: TransactionRecord,
  restore: (record) => restoreAuthn(record.state, record.context),
  precheck,
  decide,
  render: (d, secrets, baseUrl, now) => renderTransaction(d.state, d.snapshot.context, secrets, baseUrl, now),
}

/** Every flow, by the `kind` of its records. */
export const FLOWS: { readonly [K in TransactionRecord['kind']]: Flow<K> } = { authn: authnFlow }

export const flowOf = (record: TransactionRecord): Flow => FLOWS[record.kind]
