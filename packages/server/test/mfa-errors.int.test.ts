// The MFA bad-input suite on PostgreSQL, in process: a real server when DATABASE_URL is set (each
// server on a fresh, migrated schema, dropped afterwards), else the embedded store (PGlite, a fresh
// data folder each). Factor counters, remembered devices and lockout live in the database here.
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll } from 'vitest'
import { freshDataDirs, freshSchemas } from './fresh-storage.js'
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
  const schemas = freshSchemas(url, 'mfa')
  describeMfaErrors('postgres', {
    fresh: () => ({ store: { kind: 'postgres', databaseUrl: url, migrate: true, schema: schemas.next() } }),
    teardown: schemas.dropAll,
  })
} else {
  const dirs = freshDataDirs('authn-mfa-pglite-')
  describeMfaErrors('embedded PostgreSQL (DATABASE_URL not set)', {
    fresh: () => ({ store: { kind: 'embedded', dataDir: dirs.next() } }),
    teardown: dirs.removeAll,
  })
}
