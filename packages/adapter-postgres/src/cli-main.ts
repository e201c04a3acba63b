import { parseArgs } from 'node:util'
import pg from 'pg'
import { migrate } from './migrations.js'
import { DEFAULT_SCHEMA } from './schema.js'
import { sweep } from './sweep.js'

export interface CliIo {
  readonly out: (line: string) => void
  readonly err: (line: string) => void
  readonly env: Readonly<Record<string, string | undefined>>
  /** Epoch ms; the sweep's "now". */
  readonly now: () => number
}

const USAGE = `usage: authn-postgres <migrate|sweep> [--database-url URL] [--schema NAME] [--grace-ms N]
  migrate   apply pending migrations (idempotent; safe to run from several processes at once)
  sweep     delete expired transactions, their logs and expired one-time tokens
  --database-url defaults to $DATABASE_URL; --schema defaults to ${DEFAULT_SCHEMA}`

/** The CLI as a function: returns the exit code. */
export const runCli = async (argv: ReadonlyArray<string>, io: CliIo): Promise<number> => {
  let parsed
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        'database-url': { type: 'string' },
        schema: { type: 'string' },
        'grace-ms': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    })
  } catch (e) {
    io.err(`${e instanceof Error ? e.message : String(e)}\n${USAGE}`)
    return 2
  }
  const { values, positionals } = parsed
  const command = positionals[0]
  if (values.help === true || (command !== 'migrate' && command !== 'sweep') || positionals.length !== 1) {
    io.err(USAGE)
    return values.help === true ? 0 : 2
  }
  const url = values['database-url'] ?? io.env['DATABASE_URL']
  if (url === undefined || url === '') {
    io.err(`no database: pass --database-url or set DATABASE_URL\n${USAGE}`)
    return 2
  }
  const schema = values.schema ?? DEFAULT_SCHEMA
  const graceMs = Number(values['grace-ms'] ?? '0')
  if (!Number.isSafeInteger(graceMs) || graceMs < 0) {
    io.err('--grace-ms must be a non-negative integer')
    return 2
  }
  const client = new pg.Client({ connectionString: url })
  try {
    await client.connect()
    if (command === 'migrate') {
      const r = await migrate(client, { schema })
      io.out(`schema ${r.schema} is at version ${r.version}`)
    } else {
      const r = await sweep(client, io.now(), { schema, graceMs })
      io.out(`swept ${r.transactions} transactions, ${r.logEntries} log entries, ${r.tokens} tokens from ${schema}`)
    }
    return 0
  } catch (e) {
    io.err(`authn-postgres ${command}: ${e instanceof Error ? e.message : String(e)}`)
    return 1
  } finally {
    await client.end().catch(() => undefined)
  }
}
