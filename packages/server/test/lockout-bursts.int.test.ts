// The same bursts on PostgreSQL: a real server when DATABASE_URL is set (each server on a fresh,
// migrated schema, dropped afterwards), else the embedded store (PGlite, a fresh data folder each).
import { freshDataDirs, freshSchemas } from './fresh-storage.js'
import { describeLockoutBursts } from './lockout-bursts.js'

const url = process.env['DATABASE_URL']

if (url !== undefined && url !== '') {
  const schemas = freshSchemas(url, 'bursts')
  describeLockoutBursts('postgres', {
    fresh: () => ({ args: ['--store', 'postgres', '--migrate', '--schema', schemas.next()], env: { DATABASE_URL: url } }),
    teardown: schemas.dropAll,
  })
} else {
  const dirs = freshDataDirs('authn-bursts-pglite-')
  describeLockoutBursts('embedded PostgreSQL (DATABASE_URL not set)', {
    fresh: () => ({ args: ['--store', 'embedded', '--data-dir', dirs.next()] }),
    teardown: dirs.removeAll,
  })
}
