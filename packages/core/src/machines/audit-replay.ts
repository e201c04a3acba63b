import { AuthnContext } from './authn-context.js'
import { AuthnEvent } from '../model/events.js'
import { RecoveryContext } from './recovery-context.js'
import { RecoveryEvent } from '../model/recovery-events.js'
import type { LogEntry, TransactionRecord } from '../codecs/transaction-record.js'
import { replayAuthn } from './decide.js'
import { replayRecovery } from './recovery-decide.js'

/** One entry of a log as the replay saw it. */
export interface ReplayStep {
  readonly version: number
  readonly event: string
  /** The state recorded beside the event; null for entries written before states were recorded. */
  readonly recorded: string | null
  /** The state the core reaches from the previous step with this event. */
  readonly replayed: string
  /** The error the core answers for this event, if any. */
  readonly failure: string | null
}

/** Where the replay first disagrees with the record, and how. */
export interface ReplayDivergence {
  /** Index into `steps`; -1 when the log cannot be replayed at all (no start, a gap). */
  readonly index: number
  readonly version: number | null
  /** What the core says (the expected state), and what was recorded. */
  readonly expected: string
  readonly recorded: string
  readonly why: string
}

export interface AuditReplay {
  readonly ok: boolean
  readonly flow: 'authn' | 'recovery' | null
  readonly steps: ReadonlyArray<ReplayStep>
  readonly divergence: ReplayDivergence | null
}

const stable = (x: unknown): string => JSON.stringify(x, (_k, v: unknown) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v))

/**
 * Pure: re-runs a transaction's log through the core, from the context it started with, and
 * compares each step with what was recorded: the state beside each entry, and, when the stored
 * record is given, the final state and context. The first disagreement is reported with the
 * state the core expects and the state recorded. A log that cannot be replayed (no start context,
 * versions not 1, 2, 3…, an event of the other flow) is a divergence at index -1 or at its entry.
 */
export const auditReplay = (log: ReadonlyArray<LogEntry>, record?: TransactionRecord): AuditReplay => {
  const broken = (why: string, version: number | null = null): AuditReplay => ({
    ok: false,
    flow: null,
    steps: [],
    divergence: { index: -1, version, expected: '(a replayable log)', recorded: '(see why)', why },
  })
  const first = log[0]
  if (first === undefined) return broken('the log is empty')
  const gap = log.findIndex((e, i) => e.version !== i + 1)
  if (gap >= 0) return broken(`entry ${gap + 1} has version ${log[gap]?.version ?? '?'}: versions must run 1, 2, 3, … without a gap`, log[gap]?.version ?? null)
  const start = first.start
  const flow = AuthnContext.is(start) ? 'authn' : RecoveryContext.is(start) ? 'recovery' : null
  if (flow === null) return broken('the first entry holds no start context')
  const events = log.map((e) => e.event)
  const foreign = events.findIndex((e) => (flow === 'authn' ? !AuthnEvent.is(e) : !RecoveryEvent.is(e)))
  if (foreign >= 0) return broken(`entry ${foreign + 1} holds an event of the other flow (${events[foreign]?.type ?? '?'})`, foreign + 1)
  const decisions =
    flow === 'authn' ? replayAuthn(start as AuthnContext, events as ReadonlyArray<AuthnEvent>) : replayRecovery(start as RecoveryContext, events as ReadonlyArray<RecoveryEvent>)
  const steps: ReplayStep[] = log.map((e, i) => {
    const d = decisions[i]
    return { version: e.version, event: e.event.type, recorded: e.state ?? null, replayed: d?.state ?? '(none)', failure: d?.failure?.code ?? null }
  })
  const at = steps.findIndex((s) => s.recorded !== null && s.recorded !== s.replayed)
  if (at >= 0) {
    const s = steps[at] as ReplayStep
    return { ok: false, flow, steps, divergence: { index: at, version: s.version, expected: s.replayed, recorded: s.recorded ?? '', why: `the core reaches ${s.replayed} with ${s.event}; ${s.recorded ?? ''} was recorded` } }
  }
  if (record !== undefined) {
    const last = steps.length - 1
    const final = decisions[last]
    const s = steps[last] as ReplayStep
    if (record.version !== log.length)
      return { ok: false, flow, steps, divergence: { index: last, version: record.version, expected: `version ${log.length}`, recorded: `version ${record.version}`, why: 'the stored record is not at the version of the last log entry' } }
    if (final === undefined || final.state !== record.state)
      return { ok: false, flow, steps, divergence: { index: last, version: s.version, expected: s.replayed, recorded: record.state, why: 'the stored record is in another state than the replay ends in' } }
    if (stable(final.snapshot.context) !== stable(record.context))
      return { ok: false, flow, steps, divergence: { index: last, version: s.version, expected: `${s.replayed} with the replayed context`, recorded: `${record.state} with another context`, why: 'the stored context differs from the replayed one' } }
  }
  return { ok: true, flow, steps, divergence: null }
}
