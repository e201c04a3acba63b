import * as E from 'fp-ts/lib/Either.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import type { AuditEntry, AuditSink } from '@authn-machine/core'

/**
 * An audit sink keeping the last `capacity` entries, so a long-running server does not grow. A
 * fixed-size ring buffer: recording is O(1) (it overwrites the oldest entry once full, nothing is
 * moved); `entries` copies them out, oldest first. A capacity below 1 keeps nothing.
 */
export const createRingAuditSink = (capacity = 10_000): AuditSink & { readonly entries: () => ReadonlyArray<AuditEntry> } => {
  const size = Math.max(0, Math.floor(capacity))
  const ring: AuditEntry[] = []
  /** Where the next entry goes once the ring is full: the slot of the oldest entry. */
  let next = 0
  return {
    entries: () => (ring.length < size ? [...ring] : [...ring.slice(next), ...ring.slice(0, next)]),
    record: (entry) =>
      TE.fromIO(() => {
        if (size === 0) return
        if (ring.length < size) ring.push(entry)
        else {
          ring[next] = entry
          next = next + 1 === size ? 0 : next + 1
        }
      }),
  }
}

/**
 * One sink that records every entry in each of `sinks`, in order (the ring, the log, the metrics).
 * Sinks never fail (`TaskEither<never, void>`), so one cannot keep an entry from the next.
 */
export const composeAuditSinks = (...sinks: ReadonlyArray<AuditSink>): AuditSink => ({
  record: (entry) => async () => {
    for (const sink of sinks) await sink.record(entry)()
    return E.right(undefined)
  },
})
