import * as E from 'fp-ts/lib/Either.js'
import { auditReplay, LogEntry, TransactionRecord, type AuditReplay } from '@authn-machine/core'
import type { PgQueryable } from './client.js'
import { DEFAULT_SCHEMA, tables } from './schema.js'
import { TX_COLUMNS, createPostgresTransactionStore, decodeRecord } from './transaction-store.js'

/** A transaction's stored record and its log, as `authn-audit export` writes them. */
export interface AuditTrail {
  readonly format: 'authn-audit-trail/1'
  readonly transactionId: string
  /** The stored record; null when it was swept (the log alone still replays). */
  readonly record: TransactionRecord | null
  readonly log: ReadonlyArray<LogEntry>
}

/** Reads a transaction's record and log by id (whether live, finished or expired). */
export const readAuditTrail = async (db: PgQueryable, id: string, opts: { readonly schema?: string } = {}): Promise<AuditTrail> => {
  const schema = opts.schema ?? DEFAULT_SCHEMA
  const t = tables(schema)
  const rows = (await db.query(`select ${TX_COLUMNS} from ${t.transactions} t left join ${t.policies} p on p.hash = t.policy_hash where t.id = $1`, [id])).rows
  const record = rows[0] === undefined ? null : decodeRecord(rows[0])
  if (record !== null && E.isLeft(record)) throw new Error(`the stored record of ${id} does not decode: ${JSON.stringify(record.left)}`)
  const log = await createPostgresTransactionStore(db, { schema }).readLog(id as TransactionRecord['id'])()
  if (E.isLeft(log)) throw new Error(`the log of ${id} cannot be read: ${JSON.stringify(log.left)}`)
  return { format: 'authn-audit-trail/1', transactionId: id, record: record === null ? null : record.right, log: log.right }
}

/** The most recent transactions (newest first): id, flow, state, version, created. */
export const listTransactions = async (db: PgQueryable, limit: number, opts: { readonly schema?: string } = {}) => {
  const t = tables(opts.schema ?? DEFAULT_SCHEMA)
  const rows = (await db.query(`select id, kind, state, version, created_at from ${t.transactions} order by created_at desc, id limit $1`, [limit])).rows
  return rows as ReadonlyArray<{ readonly id: string; readonly kind: string; readonly state: string; readonly version: number; readonly created_at: number | string }>
}

/** The JSON form of a trail (the codecs' encoding), and back: a file an auditor can keep and replay. */
export const encodeAuditTrail = (trail: AuditTrail): unknown => ({
  format: trail.format,
  transactionId: trail.transactionId,
  record: trail.record === null ? null : TransactionRecord.encode(trail.record),
  log: trail.log.map((e) => LogEntry.encode(e)),
})

export const decodeAuditTrail = (raw: unknown): E.Either<string, AuditTrail> => {
  const o = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {}
  if (o['format'] !== 'authn-audit-trail/1' || typeof o['transactionId'] !== 'string' || !Array.isArray(o['log']))
    return E.left('not an audit trail written by authn-audit export (format authn-audit-trail/1)')
  const record = o['record'] === null ? E.right(null) : TransactionRecord.decode(o['record'])
  if (E.isLeft(record)) return E.left('its record does not decode as a transaction record')
  const log: LogEntry[] = []
  for (const [i, e] of (o['log'] as ReadonlyArray<unknown>).entries()) {
    const d = LogEntry.decode(e)
    if (E.isLeft(d)) return E.left(`log entry ${i + 1} does not decode as a log entry`)
    log.push(d.right)
  }
  return E.right({ format: 'authn-audit-trail/1', transactionId: o['transactionId'], record: record.right, log })
}

/** The replay of a trail as lines a reader follows: each entry, recorded and replayed, the first divergence marked. */
export const formatAuditReplay = (trail: AuditTrail, r: AuditReplay): ReadonlyArray<string> => {
  const lines = [`transaction ${trail.transactionId} (${r.flow ?? 'unknown flow'}), ${trail.log.length} log entries${trail.record === null ? ', record swept' : `, record at version ${trail.record.version} in ${trail.record.state}`}`]
  const w = Math.max(5, ...r.steps.map((s) => s.event.length))
  for (const [i, s] of r.steps.entries()) {
    const mark = r.divergence?.index === i ? '>>>' : '   '
    lines.push(`${mark} v${String(s.version).padEnd(3)} ${s.event.padEnd(w)}  recorded ${(s.recorded ?? '(not recorded)').padEnd(20)}  replayed ${s.replayed}${s.failure === null ? '' : ` (${s.failure})`}`)
  }
  if (r.divergence === null) lines.push(`replay agrees with the record${trail.record === null ? '' : `: ${trail.record.state} at version ${trail.record.version}`}`)
  else
    lines.push(
      `DIVERGES${r.divergence.version === null ? '' : ` at version ${r.divergence.version}`}: ${r.divergence.why}`,
      `  expected (the core): ${r.divergence.expected}`,
      `  recorded:            ${r.divergence.recorded}`,
    )
  return lines
}

/** Replays a trail through the core. */
export const replayTrail = (trail: AuditTrail): AuditReplay => auditReplay(trail.log, trail.record ?? undefined)
