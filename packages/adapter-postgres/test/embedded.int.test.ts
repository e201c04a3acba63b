import { expect, it } from 'vitest'
import { expectRight, run } from '@authn-machine/testkit'
import { makeUser } from '@authn-machine/testkit/fixtures'
import { LATEST_VERSION, openEmbeddedPostgres } from '../src/index.js'

it('openEmbeddedPostgres: an in-process PostgreSQL (PGlite), migrated, behind the same stores', async () => {
  const pg = await openEmbeddedPostgres({ schema: 'authn_embedded' })
  try {
    const { rows } = await pg.db.query('select max(version)::int as v from "authn_embedded".schema_migrations')
    expect(rows).toEqual([{ v: LATEST_VERSION }])
    const user = makeUser({ login: 'Embedded@Example.com', passwordHash: null })
    expectRight(await run(pg.users.create(user)))
    expect(expectRight(await run(pg.users.findByLogin('embedded@example.com')))).toEqual(user)
  } finally {
    await pg.close()
  }
})
