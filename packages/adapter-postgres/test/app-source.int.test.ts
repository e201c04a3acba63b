import { afterAll, describe, expect, it } from 'vitest'
import { describeAppSource, expectLeft, expectRight, run } from '@authn-machine/testkit'
import type { App, AppSource } from '@authn-machine/core'
import { countQueries, createPostgresAppSource, createPostgresStores, migrate, resetStores, type PgQueryable } from '../src/index.js'
import { BACKEND, closeTestDatabase, randomSchema, testDatabase } from './support.js'

// A fresh schema per test (and per property run), dropped in teardown; the real server when
// DATABASE_URL is set, else one embedded PGlite for this file.
interface Made {
  readonly db: PgQueryable
  readonly schema: string
}
const made = new WeakMap<AppSource, Made>()
const freshSchema = async (): Promise<Made> => {
  const db = await testDatabase()
  const schema = randomSchema()
  await migrate(db, { schema })
  return { db, schema }
}
const fresh = async (): Promise<AppSource> => {
  const m = await freshSchema()
  const source = createPostgresAppSource(m.db, { schema: m.schema })
  made.set(source, m)
  return source
}
const of = (source: AppSource): Made => {
  const m = made.get(source)
  if (m === undefined) throw new Error('source not made by this file')
  return m
}
const drop = (m: Made) => m.db.query(`drop schema if exists "${m.schema}" cascade`).then(() => undefined)

afterAll(closeTestDatabase)

describeAppSource(`postgres: ${BACKEND}`, {
  make: fresh,
  corrupt: async (source, id) => {
    const m = of(source)
    // Valid JSON, and the row's id still matches, but not an App.
    await m.db.query(`update "${m.schema}".apps set app = jsonb_set(app, '{status}', '"NOT_A_STATUS"') where id = $1`, [id])
  },
  teardown: (source) => drop(of(source)),
})

const app = (id: string, o: Partial<App> = {}): App => ({
  id,
  name: 'salesforce',
  label: 'Corporate SFDC',
  status: 'ACTIVE',
  logo: null,
  protocol: 'SAML1.1',
  issuer: { id: 'exk1', name: 'http://www.okta.com/exk1', uri: 'https://example.okta.com/app/salesforce/exk1/sso/saml' },
  returnUrl: 'https://example.my.salesforce.com/',
  signOn: { access: 'ALLOW', requireFactor: true, factorLifetimeMinutes: 30 },
  ...o,
})

const withSchema = async (f: (m: Made) => Promise<void>) => {
  const m = await freshSchema()
  try {
    await f(m)
  } finally {
    await drop(m)
  }
}

describe(`createPostgresAppSource (${BACKEND})`, () => {
  it('each method is one round trip; an id no app can have needs none', () =>
    withSchema(async (m) => {
      const db = countQueries(m.db)
      const s = createPostgresAppSource(db, { schema: m.schema })
      const once = async (f: () => Promise<unknown>) => {
        db.reset()
        await f()
        return db.count()
      }
      expect(await once(() => run(s.put(app('0oa1'))))).toBe(1)
      expect(await once(() => run(s.find('0oa1')))).toBe(1)
      expect(await once(() => run(s.list()))).toBe(1)
      expect(await once(() => run(s.remove('0oa1')))).toBe(1)
      expect(await once(() => run(s.remove('0oa1')))).toBe(1)
      expect(await once(() => run(s.find('not an id')))).toBe(0)
    }))

  it('put of an app the codec refuses is Corrupt and writes nothing', () =>
    withSchema(async (m) => {
      const s = createPostgresAppSource(m.db, { schema: m.schema })
      expect(expectLeft(await run(s.put(app('0oa1', { returnUrl: 'javascript:alert(1)' }))))._tag).toBe('Corrupt')
      expect(expectLeft(await run(s.put({ ...app('0oa2'), protocol: 'OIDC' } as unknown as App)))._tag).toBe('Corrupt')
      expect(expectLeft(await run(s.put(null as unknown as App)))._tag).toBe('Corrupt')
      expect(expectRight(await run(s.list()))).toEqual([])
    }))

  it('a row that is not even an object is Corrupt, not a crash', () =>
    withSchema(async (m) => {
      const s = createPostgresAppSource(m.db, { schema: m.schema })
      expectRight(await run(s.put(app('0oa1'))))
      await m.db.query(`alter table "${m.schema}".apps drop constraint apps_id_matches`)
      await m.db.query(`update "${m.schema}".apps set app = '[1, 2]'::jsonb`)
      expect(expectLeft(await run(s.find('0oa1')))._tag).toBe('Corrupt')
      expect(expectLeft(await run(s.list()))._tag).toBe('Corrupt')
    }))

  it('the table refuses a row whose key is not its app\'s id', () =>
    withSchema(async (m) => {
      await expect(m.db.query(`insert into "${m.schema}".apps (id, app) values ('0oa1', '{"id": "0oa2"}'::jsonb)`)).rejects.toThrow(/apps_id_matches/)
    }))

  it('a database error is Unavailable, never a throw', () =>
    withSchema(async (m) => {
      // The schema without migration 7: the table does not exist.
      const schema = randomSchema()
      await migrate(m.db, { schema, to: 6 })
      try {
        const s = createPostgresAppSource(m.db, { schema })
        expect(expectLeft(await run(s.find('0oa1')))._tag).toBe('Unavailable')
        expect(expectLeft(await run(s.list()))._tag).toBe('Unavailable')
        expect(expectLeft(await run(s.put(app('0oa1'))))._tag).toBe('Unavailable')
        expect(expectLeft(await run(s.remove('0oa1')))._tag).toBe('Unavailable')
      } finally {
        await m.db.query(`drop schema if exists "${schema}" cascade`)
      }
    }))

  it('createPostgresStores includes it, and resetStores empties it', () =>
    withSchema(async (m) => {
      const { apps } = createPostgresStores(m.db, { schema: m.schema })
      expectRight(await run(apps.put(app('0oa1'))))
      expect(expectRight(await run(apps.list()))).toEqual([app('0oa1')])
      await resetStores(m.db, { schema: m.schema })
      expect(expectRight(await run(apps.list()))).toEqual([])
    }))
})
