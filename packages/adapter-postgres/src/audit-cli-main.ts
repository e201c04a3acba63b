import { readFile, writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import * as E from 'fp-ts/lib/Either.js'
import pg from 'pg'
import { decodeAuditTrail, encodeAuditTrail, formatAuditReplay, listTransactions, readAuditTrail, replayTrail, type AuditTrail } from './audit.js'
import type { CliIo } from './cli-main.js'
import type { PgQueryable } from './client.js'
import { DEFAULT_SCHEMA } from './schema.js'

const USAGE = `usage: authn-audit <list|export|replay> [options]
  list                          the most recent transactions: id, flow, state, version (--limit N, default 20)
  export --transaction ID       the transaction's stored record and log as JSON (--out FILE, default stdout)
  replay --transaction ID       re-runs the transaction's log through the core and compares every step
  replay --file FILE            the same for a trail written by export (no database needed)
Where the transactions are: --database-url URL (default $DATABASE_URL) and --schema NAME (default ${DEFAULT_SCHEMA}),
or --data-dir DIR for the reference server's embedded store (stop the server first: one process at a time).
Exit codes: 0 the replay agrees (or list/export done), 1 it diverges or the store failed, 2 bad usage.`

/** How the CLI reaches a database: a URL (pg) or an embedded data folder (PGlite). */
export type OpenDatabase = (where: { readonly url?: string; readonly dataDir?: string }) => Promise<{ readonly db: PgQueryable; readonly close: () => Promise<void> }>

const openDatabase: OpenDatabase = async (where) => {
  if (where.dataDir !== undefined) {
    const { PGlite } = await import('@electric-sql/pglite')
    const lite = await PGlite.create({ dataDir: where.dataDir })
    return { db: lite, close: () => lite.close() }
  }
  const client = new pg.Client({ connectionString: where.url })
  await client.connect()
  return { db: client, close: () => client.end() }
}

/** `authn-audit` as a function: returns the exit code. */
export const runAuditCli = async (argv: ReadonlyArray<string>, io: CliIo, open: OpenDatabase = openDatabase): Promise<number> => {
  let parsed
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        'database-url': { type: 'string' },
        'data-dir': { type: 'string' },
        schema: { type: 'string' },
        transaction: { type: 'string' },
        file: { type: 'string' },
        out: { type: 'string' },
        limit: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    })
  } catch (e) {
    io.err(`${e instanceof Error ? e.message : String(e)}\n${USAGE}`)
    return 2
  }
  const { values, positionals } = parsed
  const command = positionals[0]
  if (values.help === true) {
    io.out(USAGE)
    return 0
  }
  if ((command !== 'list' && command !== 'export' && command !== 'replay') || positionals.length !== 1) {
    io.err(USAGE)
    return 2
  }
  const schema = values.schema ?? DEFAULT_SCHEMA
  const fromFile = command === 'replay' && values.file !== undefined
  if (command === 'replay' && (values.file === undefined) === (values.transaction === undefined)) {
    io.err(`replay takes either --transaction ID or --file FILE\n${USAGE}`)
    return 2
  }
  if (command === 'export' && values.transaction === undefined) {
    io.err(`export takes --transaction ID\n${USAGE}`)
    return 2
  }
  const limit = Number(values.limit ?? '20')
  if (!Number.isSafeInteger(limit) || limit < 1) {
    io.err('--limit takes a whole number ≥ 1')
    return 2
  }

  const report = (trail: AuditTrail): number => {
    const r = replayTrail(trail)
    for (const line of formatAuditReplay(trail, r)) io.out(line)
    return r.ok ? 0 : 1
  }

  if (fromFile) {
    let raw: unknown
    try {
      raw = JSON.parse(await readFile(values.file ?? '', 'utf8')) as unknown
    } catch (e) {
      io.err(`cannot read ${values.file ?? ''}: ${e instanceof Error ? e.message : String(e)}`)
      return 2
    }
    const trail = decodeAuditTrail(raw)
    if (E.isLeft(trail)) {
      io.err(`${values.file ?? ''} is ${trail.left}`)
      return 2
    }
    return report(trail.right)
  }

  const url = values['database-url'] ?? io.env['DATABASE_URL']
  const dataDir = values['data-dir']
  if (dataDir === undefined && (url === undefined || url === '')) {
    io.err(`no database: pass --database-url, set DATABASE_URL, or give the embedded store's --data-dir\n${USAGE}`)
    return 2
  }
  let opened
  try {
    opened = await open(dataDir !== undefined ? { dataDir } : { url: url ?? '' })
  } catch (e) {
    io.err(`authn-audit: cannot open the store: ${e instanceof Error ? e.message : String(e)}`)
    return 1
  }
  try {
    if (command === 'list') {
      for (const t of await listTransactions(opened.db, limit, { schema }))
        io.out(`${t.id}  ${t.kind.padEnd(8)}  ${t.state.padEnd(20)}  v${t.version}  ${new Date(Number(t.created_at)).toISOString()}`)
      return 0
    }
    const trail = await readAuditTrail(opened.db, values.transaction ?? '', { schema })
    if (trail.log.length === 0 && trail.record === null) {
      io.err(`no transaction ${values.transaction ?? ''} in schema ${schema} (never created, or swept)`)
      return 1
    }
    if (command === 'export') {
      const text = `${JSON.stringify(encodeAuditTrail(trail), null, 2)}\n`
      if (values.out === undefined) io.out(text.trimEnd())
      else await writeFile(values.out, text)
      return 0
    }
    return report(trail)
  } catch (e) {
    io.err(`authn-audit ${command}: ${e instanceof Error ? e.message : String(e)}`)
    return 1
  } finally {
    await opened.close().catch(() => undefined)
  }
}
