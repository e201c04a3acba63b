import { describe, expect, it } from 'vitest'
import { describeAppSource, expectLeft, expectRight, run } from '@authn-machine/testkit'
import type { App } from '@authn-machine/core'
import { createMemoryAppSource, createMemoryStores } from '../src/index.js'

describeAppSource('memory', { make: () => Promise.resolve(createMemoryAppSource()) })

describeAppSource('memory: createMemoryStores', { make: () => Promise.resolve(createMemoryStores().apps), numRuns: 5 })

const app = (id: string, label = 'Corporate SFDC'): App => ({
  id,
  name: 'salesforce',
  label,
  status: 'ACTIVE',
  logo: null,
  protocol: 'SAML2.0',
  issuer: { id: 'exk1', name: 'http://www.okta.com/exk1', uri: 'https://example.okta.com/app/salesforce/exk1/sso/saml' },
  returnUrl: 'https://example.my.salesforce.com/',
  signOn: { access: 'ALLOW', requireFactor: false, factorLifetimeMinutes: 0 },
})

describe('createMemoryAppSource', () => {
  it('starts with the initial apps, a later one replacing an earlier one of the same id', async () => {
    const s = createMemoryAppSource([app('0oa2'), app('0oa1'), app('0oa2', 'Second')])
    expect(expectRight(await run(s.list()))).toEqual([app('0oa1'), app('0oa2', 'Second')])
  })

  it('refuses invalid initial apps at creation', () => {
    expect(() => createMemoryAppSource([app('not an id')])).toThrow(/AppId/)
  })

  it('keeps its own copies: changing a given object later changes nothing stored', async () => {
    const given = app('0oa1')
    const s = createMemoryAppSource()
    expectRight(await run(s.put(given)))
    ;(given as { label: string }).label = 'Changed'
    expect(expectRight(await run(s.find('0oa1')))).toEqual(app('0oa1'))
  })

  it('put of an app the codec refuses is Corrupt and stores nothing', async () => {
    const s = createMemoryAppSource()
    expect(expectLeft(await run(s.put({ ...app('0oa1'), returnUrl: 'javascript:alert(1)' })))._tag).toBe('Corrupt')
    expect(expectRight(await run(s.list()))).toEqual([])
  })

  it('clear forgets every app', async () => {
    const s = createMemoryAppSource([app('0oa1')])
    s.clear()
    expect(expectRight(await run(s.list()))).toEqual([])
  })
})
