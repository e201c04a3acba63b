import * as TE from 'fp-ts/lib/TaskEither.js'
import type { AuditEntry, AuditSink } from '@authn-machine/core'

/** An audit sink keeping the last `capacity` entries, so a long-running server does not grow. */
export const createRingAuditSink = (capacity = 10_000): AuditSink & { readonly entries: () => ReadonlyArray<AuditEntry> } => {
  const ring: AuditEntry[] = []
  return {
    entries: () => [...ring],
    record: (entry) =>
      TE.fromIO(() => {
        ring.push(entry)
        if (ring.length > capacity) ring.splice(0, ring.length - capacity)
      }),
  }
}
