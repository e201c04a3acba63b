import * as E from 'fp-ts/lib/Either.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { localClustersUnavailable, startPrimaryAndStandby, type PrimaryAndStandby } from '../../adapter-postgres/test/local-clusters.js'
import { createStores, type Stores } from '../src/stores.js'

const unavailable = localClustersUnavailable()
if (unavailable !== null) console.log(`multi-host.int.test.ts skipped: ${unavailable}`)

// The server's postgres store on a URL naming a standby and a primary (docs/adr/0025-failover.md):
// it works on the writable one and follows a promotion.
describe.skipIf(unavailable !== null)('the postgres store on a multi-host URL', () => {
  let servers: PrimaryAndStandby
  let stores: Stores

  beforeAll(async () => {
    servers = await startPrimaryAndStandby()
    const url = `postgres://postgres@127.0.0.1:${servers.standby.port},127.0.0.1:${servers.primary.port}/postgres`
    stores = await createStores({ kind: 'postgres', databaseUrl: url, migrate: true, schema: 'authn_multi_host' })
  }, 120_000)

  afterAll(async () => {
    await stores?.close()
    await servers?.dispose()
  })

  it('migrates and answers on the primary, refuses while none is writable, and resumes on the promoted standby', async () => {
    await expect(stores.ping()).resolves.toBeUndefined()
    const missing = await stores.users.findByLogin('nobody@example.com')()
    expect(E.isLeft(missing) && missing.left._tag).toBe('NotFound')
    await servers.primary.stop('immediate')
    await expect(stores.ping()).rejects.toBeDefined()
    const down = await stores.users.findByLogin('nobody@example.com')()
    expect(E.isLeft(down) && down.left._tag).toBe('Unavailable')
    await servers.standby.promote()
    await expect(stores.ping()).resolves.toBeUndefined()
    const again = await stores.users.findByLogin('nobody@example.com')()
    expect(E.isLeft(again) && again.left._tag).toBe('NotFound')
  })
})
