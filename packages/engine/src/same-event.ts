import { TransactionEvent } from '@authn-machine/core'

/** A value as stored JSON holds it, with object keys in one order (jsonb does not keep theirs). */
const canonical = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(canonical)
  if (typeof value !== 'object' || value === null) return value
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[key]
    if (v !== undefined) out[key] = canonical(v)
  }
  return out
}

/**
 * Whether a logged event is the one a step wrote: equal once both are encoded by the event codec
 * and compared as JSON, so a store that round-trips through JSON (PostgreSQL's jsonb) still matches.
 */
export const sameEvent = (logged: TransactionEvent, written: TransactionEvent): boolean =>
  JSON.stringify(canonical(JSON.parse(JSON.stringify(TransactionEvent.encode(logged))))) ===
  JSON.stringify(canonical(JSON.parse(JSON.stringify(TransactionEvent.encode(written)))))
