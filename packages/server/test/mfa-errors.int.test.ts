// The MFA bad-input suite on PostgreSQL, in process: a real server when DATABASE_URL is set (each
// server on a fresh, migrated schema, dropped afterwards), else the embedded store (PGlite, a fresh
// data folder each). Factor counters, remembered devices and lockout live in the database here.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll } from 'vitest'
import { describeMfaErrors } from './mfa-errors.js'

const url = process.env['DATABASE_URL']

// One sealing key for the run (the postgres store otherwise warns that it makes a throwaway one).
const keysBefore = process.env['AUTHN_SECRET_KEYS']
beforeAll(() => {
  process.env['AUTHN_SECRET_KEYS'] = `k1:${randomBytes(32).toString('base64')}`
})
afterAll(() => {
  if (keysBefore === undefined) delete process.env['AUTHN_SECRET_KEYS']
  else process.env['AUTHN_SECRET_KEYS'] = keysBefore
})

if (url !== undefined && url !== '') {
  const schemas: string[] = []
  describeMfaErrors('postgres', {
    fresh: () => {
      const schema = `mfa_${process.pid}_${Date.now().toString(36)}_${schemas.length}`
      schemas.push(schema)
      return { store: { kind: 'postgres', databaseUrl: url, migrate: true, schema } }
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
  describeMfaErrors('embedded PostgreSQL (DATABASE_URL not set)', {
    fresh: () => {
      const dir = mkdtempSync(join(tmpdir(), 'authn-mfa-pglite-'))
      dirs.push(dir)
      return { store: { kind: 'embedded', dataDir: dir } }
    },
    teardown: async () => {
      for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
    },
  })
}
