import * as TE from 'fp-ts/lib/TaskEither.js'
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client'
import type { AuditSink } from '@authn-machine/core'

/** Latency buckets in seconds: a cached answer takes a millisecond, one password hash tens. */
export const LATENCY_BUCKETS: ReadonlyArray<number> = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/** The route label of a request no route of the server or the binding answers. */
export const UNMATCHED_ROUTE = 'unmatched'

/** An engine decision in an audit entry: the operation and the state it led to, or the error code. */
export interface Outcome {
  readonly operation: string
  /** A transaction state (`SUCCESS`, `MFA_REQUIRED`, `LOCKED_OUT`…), an error code (`E0000004`) or `VersionConflict`. */
  readonly outcome: string
}

const OPERATION = /^[a-z][A-Za-z]{0,39}$/
const OUTCOME = /^(?:[A-Z][A-Z_]{1,39}|E\d{7}|VersionConflict)$/
/** Entries that record effects and deliveries rather than an operation's answer. */
const NOT_OPERATIONS: ReadonlyArray<string> = ['effect', 'delivery']

/**
 * The decision an audit entry records, if it records one: the engine writes `<operation>.<state>`
 * or `<operation>.<error code>[.<reason>]` once per answer (`authenticate.MFA_REQUIRED`,
 * `verifyFactor.E0000068`). Effects (`effect.*`), deliveries (`delivery.*`) and notes such as
 * `authenticate.unknownUser` or `forgotPassword.email.issued` are not outcomes. Both labels come
 * from fixed sets, so a metric keyed by them stays small.
 */
export const outcomeOf = (what: string): Outcome | null => {
  const [operation = '', outcome = ''] = what.split('.')
  if (!OPERATION.test(operation) || NOT_OPERATIONS.includes(operation) || !OUTCOME.test(outcome)) return null
  return { operation, outcome }
}

/** Outcomes that tell of a lockout: a shown one at sign-in, or a factor's (Okta's E0000069). */
const LOCKOUT_OUTCOMES: ReadonlyArray<string> = ['LOCKED_OUT', 'E0000069']

/**
 * Node's process metrics (`process_*`, `nodejs_*`), collected once per process: they describe the
 * process, whatever number of servers it runs, and their collectors (a GC observer, an event-loop
 * delay monitor) are never stopped, so one set is made, on first use.
 */
let processRegistry: Registry | undefined
const processMetrics = (): Registry => {
  if (processRegistry === undefined) {
    processRegistry = new Registry()
    collectDefaultMetrics({ register: processRegistry })
  }
  return processRegistry
}

export interface ServerMetrics {
  readonly registry: Registry
  /** One answered request: its method, route template (never the raw path), status and duration. */
  readonly observeRequest: (method: string, route: string, status: number, seconds: number) => void
  /** Counts outcomes and lockouts from the engine's audit entries. */
  readonly audit: AuditSink
  /** One failed call of a store port (`Unavailable`, `Corrupt`, or a throw). */
  readonly storeError: (port: string, error: string) => void
  /** The exposition text and its content type. */
  readonly render: () => Promise<{ readonly contentType: string; readonly text: string }>
}

/**
 * The server's Prometheus metrics, in a registry of its own (two servers in one process do not
 * share counts), exposed with the process's metrics. Every label value comes from a fixed set:
 * route templates, methods, statuses, operations, states and error codes.
 */
export const createServerMetrics = (): ServerMetrics => {
  const registry = new Registry()
  const processWide = processMetrics()
  const requests = new Counter({
    name: 'authn_http_requests_total',
    help: 'HTTP requests answered, by method, route template and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  })
  const latency = new Histogram({
    name: 'authn_http_request_duration_seconds',
    help: 'Time from a request’s arrival to the end of its answer, by method and route template.',
    labelNames: ['method', 'route'] as const,
    buckets: [...LATENCY_BUCKETS],
    registers: [registry],
  })
  const rateLimited = new Counter({
    name: 'authn_rate_limited_total',
    help: 'Requests refused with 429 (a rate limit or the full hashing queue), by route template.',
    labelNames: ['route'] as const,
    registers: [registry],
  })
  const outcomes = new Counter({
    name: 'authn_outcomes_total',
    help: 'Answers of the engine by operation and outcome: the resulting transaction state, or the error code.',
    labelNames: ['operation', 'outcome'] as const,
    registers: [registry],
  })
  const lockouts = new Counter({
    name: 'authn_lockouts_total',
    help: 'Answers that report a lockout (LOCKED_OUT, or E0000069 for a factor), by operation.',
    labelNames: ['operation'] as const,
    registers: [registry],
  })
  const storeErrors = new Counter({
    name: 'authn_store_errors_total',
    help: 'Failed store calls (Unavailable, Corrupt, or thrown), by port.',
    labelNames: ['port', 'error'] as const,
    registers: [registry],
  })
  return {
    registry,
    observeRequest: (method, route, status, seconds) => {
      requests.inc({ method, route, status: String(status) })
      latency.observe({ method, route }, seconds)
      if (status === 429) rateLimited.inc({ route })
    },
    audit: {
      record: (entry) =>
        TE.fromIO(() => {
          const o = outcomeOf(entry.what)
          if (o === null) return
          outcomes.inc({ operation: o.operation, outcome: o.outcome })
          if (LOCKOUT_OUTCOMES.includes(o.outcome)) lockouts.inc({ operation: o.operation })
        }),
    },
    storeError: (port, error) => storeErrors.inc({ port, error }),
    // Two expositions one after the other are one exposition: no metric name is in both.
    render: async () => ({ contentType: registry.contentType, text: `${await registry.metrics()}\n${await processWide.metrics()}` }),
  }
}
