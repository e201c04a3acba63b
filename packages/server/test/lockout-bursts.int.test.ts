// The same bursts on PostgreSQL: a real server when DATABASE_URL is set (each server on a fresh,
// migrated schema, dropped afterwards), else the embedded store (PGlite, a fresh data folder each).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { describeLockoutBursts } from './lockout-bursts.js'

const url = process.env['DATABASE_URL']

if (url !== undefined && url !== '') {
  const schemas: string[] = []
  describeLockoutBursts('postgres', {
    fresh: () => {
      const schema = `bursts_${process.pid}_${Date.now().toString(36)}_${schemas.length}`
      schemas.push(schema)
      return { args: ['--store', 'postgres', '--migrate', '--schema', schema], env: { DATABASE_URL: url } }
    },
    teardown: async () => {
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      for (const schema of schemas.splice(0)) await client.query(`drop schema if exists ${schema} cascade`)
      await client.end()
    },
  })
} else {
  const dirs: string[] = []
  describeLockoutBursts('embedded PostgreSQL (DATABASE_URL not set)', {
    fresh: () => {
      const dir = mkdtempSync(join(tmpdir(), 'authn-bursts-pglite-'))
      dirs.push(dir)
      return { args: ['--store', 'embedded', '--data-dir', dir] }
    },
    teardown: async () => {
      for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
    },
  })
}
