import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { App, AppProtocol, DEFAULT_APP_SIGN_ON, type AppSource, type StoreError } from '@authn-machine/core'
import type { Either } from 'fp-ts/lib/Either.js'
import { expectLeft, expectRight, run } from './run.js'

export interface AppSourceSuiteOptions {
  /** A fresh, empty source for each test (and each property run). */
  readonly make: () => Promise<AppSource>
  /** Writes a stored form of the app `id` (already stored) that does not decode, out of band. */
  readonly corrupt?: (source: AppSource, id: string) => Promise<void>
  readonly teardown?: (source: AppSource) => Promise<void>
  /** How many concurrent callers race in the concurrency test (default 16). */
  readonly racers?: number
  /** Runs of each property (default 20): every run makes a fresh source. */
  readonly numRuns?: number
}

const PROTOCOLS = Object.keys(AppProtocol.keys) as ReadonlyArray<AppProtocol>

/**
 * Ids that differ only by case or by `-`/`_`, so that "ordered by id" is checked on the exact
 * order of the characters (a locale's collation would mix them up).
 */
const CLOSE_IDS = ['0oaA', '0oaa', '0oa-1', '0oa_1', '0oa1', 'Z', 'a', '_', '-'] as const

const ID_CHARS = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-']
const arbId: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...CLOSE_IDS),
  fc.string({ unit: fc.constantFrom(...ID_CHARS), minLength: 1, maxLength: 64 }),
)

/** Text as the codec takes it: 1 to `max` UTF-16 units, no NUL (which jsonb cannot hold either). */
const arbText = (max: number): fc.Arbitrary<string> =>
  fc
    .oneof(
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }),
      fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 24 }),
      fc.constant('x'.repeat(max)),
    )
    .filter((s) => s.length > 0 && s.length <= max && !s.includes('\u0000'))

const arbUrl: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('https://example.com/app/sso', 'http://localhost:8080/return?to=%2Fhome#top', 'https://[2001:db8::1]/x'),
  fc.webUrl({ validSchemes: ['http', 'https'], withQueryParameters: true, withFragments: true }),
)

const arbSignOn: fc.Arbitrary<App['signOn']> = fc.oneof(
  fc.constant(DEFAULT_APP_SIGN_ON),
  fc.record({
    access: fc.constantFrom('ALLOW' as const, 'DENY' as const),
    requireFactor: fc.boolean(),
    factorLifetimeMinutes: fc.oneof(fc.nat({ max: 1440 }), fc.maxSafeNat()),
  }),
)

/** Any app the `App` codec accepts (each draw is checked by decoding it with the codec). */
const arbApp: fc.Arbitrary<App> = fc
  .record({
    id: arbId,
    name: arbText(100),
    label: arbText(100),
    status: fc.constantFrom('ACTIVE' as const, 'INACTIVE' as const),
    logo: fc.option(fc.record({ href: arbUrl, type: fc.oneof(fc.constantFrom('image/png', 'image/svg+xml'), arbText(100)) }), { nil: null }),
    protocol: fc.constantFrom(...PROTOCOLS),
    issuer: fc.record({ id: arbText(100), name: arbText(200), uri: arbText(1024) }),
    returnUrl: arbUrl,
    signOn: arbSignOn,
  })
  .filter((a) => App.decode(a)._tag === 'Right')

/** An app with this id (for sequences that must hit the same ids again). */
const withId = (app: App, id: string): App => ({ ...app, id })

const sample = (id: string, o: Partial<App> = {}): App => ({
  id,
  name: 'salesforce',
  label: 'Corporate SFDC',
  status: 'ACTIVE',
  logo: { href: 'https://example.com/logo.png', type: 'image/png' },
  protocol: 'SAML2.0',
  issuer: { id: 'exk1', name: 'http://www.okta.com/exk1', uri: 'https://example.okta.com/app/salesforce/exk1/sso/saml' },
  returnUrl: 'https://example.my.salesforce.com/',
  signOn: DEFAULT_APP_SIGN_ON,
  ...o,
})

const byId = (a: App, b: App) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
const tagOf = <A>(e: Either<StoreError, A>): string => (e._tag === 'Left' ? e.left._tag : 'Right')

/** The model: a map from id to app. */
type Model = Map<string, App>

/** Every answer of the source is the model's answer. */
abstract class AppCommand implements fc.AsyncCommand<Model, AppSource> {
  check = () => true
  abstract run(m: Model, r: AppSource): Promise<void>
  abstract toString(): string
}
class Put extends AppCommand {
  constructor(readonly app: App) {
    super()
  }
  async run(m: Model, r: AppSource) {
    expect(expectRight(await run(r.put(this.app)))).toEqual(this.app)
    m.set(this.app.id, this.app)
  }
  toString() {
    return `put(${JSON.stringify(this.app)})`
  }
}
class Find extends AppCommand {
  constructor(readonly id: string) {
    super()
  }
  async run(m: Model, r: AppSource) {
    const got = await run(r.find(this.id))
    const want = m.get(this.id)
    if (want === undefined) expect(expectLeft(got)._tag).toBe('NotFound')
    else expect(expectRight(got)).toEqual(want)
  }
  toString() {
    return `find(${JSON.stringify(this.id)})`
  }
}
class List extends AppCommand {
  async run(m: Model, r: AppSource) {
    expect(expectRight(await run(r.list()))).toEqual([...m.values()].sort(byId))
  }
  toString() {
    return 'list()'
  }
}
class Remove extends AppCommand {
  constructor(readonly id: string) {
    super()
  }
  async run(m: Model, r: AppSource) {
    const got = await run(r.remove(this.id))
    if (m.delete(this.id)) expectRight(got)
    else expect(expectLeft(got)._tag).toBe('NotFound')
  }
  toString() {
    return `remove(${JSON.stringify(this.id)})`
  }
}

/** A few ids, so that sequences put, find and remove the same apps again. */
const arbCommandId = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...CLOSE_IDS.slice(0, 5)) }, { weight: 1, arbitrary: arbId })
const arbCommands = fc.commands(
  [
    // Puts twice as often as each other command, so that most finds and lists meet stored apps.
    fc.tuple(arbApp, arbCommandId).map(([a, id]) => new Put(withId(a, id))),
    fc.tuple(arbApp, arbCommandId).map(([a, id]) => new Put(withId(a, id))),
    arbCommandId.map((id) => new Find(id)),
    fc.constant(new List()),
    arbCommandId.map((id) => new Remove(id)),
  ],
  { maxCommands: 30, size: 'medium' },
)

/** The AppSource contract (core/src/ports/app-source.ts), run against any adapter. */
export function describeAppSource(name: string, o: AppSourceSuiteOptions): void {
  const racers = o.racers ?? 16
  const numRuns = o.numRuns ?? 20
  const withSource = async (f: (s: AppSource) => Promise<void>) => {
    const s = await o.make()
    try {
      await f(s)
    } finally {
      await o.teardown?.(s)
    }
  }
  const list = async (s: AppSource) => expectRight(await run(s.list()))

  describe(`AppSource conformance (${name})`, () => {
    it('the arbitrary apps of this suite decode with the App codec', () => {
      fc.assert(
        fc.property(arbApp, (a) => {
          expect(App.is(a)).toBe(true)
          expect(expectRight(App.decode(a))).toEqual(a)
        }),
        { numRuns: 200 },
      )
    })

    it('a fresh source lists no apps', () =>
      withSource(async (s) => {
        expect(await list(s)).toEqual([])
      }))

    it('find of an unknown id is NotFound', () =>
      withSource(async (s) => {
        expect(expectLeft(await run(s.find('0oanobody')))._tag).toBe('NotFound')
        expectRight(await run(s.put(sample('0oasomebody'))))
        expect(expectLeft(await run(s.find('0oanobody')))._tag).toBe('NotFound')
      }))

    it('find and remove of an id no app can have (empty, too long, a space, a NUL, non-ASCII) are NotFound', () =>
      withSource(async (s) => {
        expectRight(await run(s.put(sample('0oa1'))))
        for (const id of ['', 'x'.repeat(65), '0oa 1', '0oa\u00001', '0oa\u00e91', '0oa1\n']) {
          expect(expectLeft(await run(s.find(id)))._tag).toBe('NotFound')
          expect(expectLeft(await run(s.remove(id)))._tag).toBe('NotFound')
        }
        expect(await list(s)).toEqual([sample('0oa1')])
      }))

    it('remove of an unknown id is NotFound and changes nothing', () =>
      withSource(async (s) => {
        const a = sample('0oakept')
        expectRight(await run(s.put(a)))
        expect(expectLeft(await run(s.remove('0oanobody')))._tag).toBe('NotFound')
        expect(await list(s)).toEqual([a])
      }))

    it('put answers what is stored; find and list then answer it', () =>
      withSource(async (s) => {
        const a = sample('0oa1')
        expect(expectRight(await run(s.put(a)))).toEqual(a)
        expect(expectRight(await run(s.find(a.id)))).toEqual(a)
        expect(await list(s)).toEqual([a])
      }))

    it('put of an existing id replaces the app (one app per id)', () =>
      withSource(async (s) => {
        const a = sample('0oa1')
        const b = sample('0oa1', {
          label: 'Renamed',
          status: 'INACTIVE',
          logo: null,
          protocol: 'WS-FED',
          signOn: { access: 'DENY', requireFactor: true, factorLifetimeMinutes: 15 },
        })
        expectRight(await run(s.put(a)))
        expect(expectRight(await run(s.put(b)))).toEqual(b)
        expect(expectRight(await run(s.find('0oa1')))).toEqual(b)
        expect(await list(s)).toEqual([b])
      }))

    it('remove deletes the app: then find is NotFound, a second remove is NotFound, the others stay', () =>
      withSource(async (s) => {
        const [a, b] = [sample('0oa1'), sample('0oa2')]
        for (const x of [a, b]) expectRight(await run(s.put(x)))
        expectRight(await run(s.remove(a.id)))
        expect(expectLeft(await run(s.find(a.id)))._tag).toBe('NotFound')
        expect(expectLeft(await run(s.remove(a.id)))._tag).toBe('NotFound')
        expect(await list(s)).toEqual([b])
        // A removed id can be put again.
        expectRight(await run(s.put(a)))
        expect(await list(s)).toEqual([a, b])
      }))

    it('list is ordered by id, character by character (case and "-"/"_" included), not by insertion', () =>
      withSource(async (s) => {
        const apps = [...CLOSE_IDS].reverse().map((id) => sample(id))
        for (const a of apps) expectRight(await run(s.put(a)))
        const ids = (await list(s)).map((a) => a.id)
        expect(ids).toEqual(['-', '0oa-1', '0oa1', '0oaA', '0oa_1', '0oaa', 'Z', '_', 'a'])
      }))

    it('every protocol, with and without a logo, round-trips', () =>
      withSource(async (s) => {
        const apps = PROTOCOLS.flatMap((protocol, i) => [
          sample(`0oap${i}logo`, { protocol }),
          sample(`0oap${i}nologo`, { protocol, logo: null, status: 'INACTIVE' }),
        ])
        for (const a of apps) expectRight(await run(s.put(a)))
        for (const a of apps) expect(expectRight(await run(s.find(a.id)))).toEqual(a)
        expect(await list(s)).toEqual([...apps].sort(byId))
      }))

    test.prop([fc.uniqueArray(arbApp, { minLength: 1, maxLength: 5, selector: (a) => a.id })], { numRuns })(
      'stored apps round-trip exactly through put, find and list',
      (apps) =>
        withSource(async (s) => {
          for (const a of apps) expect(expectRight(await run(s.put(a)))).toEqual(a)
          for (const a of apps) expect(expectRight(await run(s.find(a.id)))).toEqual(a)
          expect(await list(s)).toEqual([...apps].sort(byId))
        }),
    )

    test.prop([arbCommands], { numRuns })('any sequence of put, find, list and remove answers as a map from id to app would', (cmds) =>
      withSource((s) => fc.asyncModelRun(() => ({ model: new Map<string, App>(), real: s }), cmds)),
    )

    test.prop([fc.array(arbApp, { minLength: racers, maxLength: racers })], { numRuns: Math.min(numRuns, 5) })(
      `${racers} concurrent puts of one id leave exactly one of the written apps`,
      (drawn) =>
        withSource(async (s) => {
          const written = drawn.map((a) => withId(a, '0oarace'))
          const results = await Promise.all(written.map((a) => run(s.put(a))))
          results.forEach((r, i) => expect(expectRight(r)).toEqual(written[i]))
          const stored = await list(s)
          expect(stored).toHaveLength(1)
          expect(written).toContainEqual(stored[0])
          expect(expectRight(await run(s.find('0oarace')))).toEqual(stored[0])
        }),
    )

    it(`${racers} concurrent removes of one id: exactly one succeeds, the others are NotFound`, () =>
      withSource(async (s) => {
        expectRight(await run(s.put(sample('0oarace'))))
        const results = await Promise.all(Array.from({ length: racers }, () => run(s.remove('0oarace'))))
        expect(results.map(tagOf).sort()).toEqual(['Right', ...Array.from({ length: racers - 1 }, () => 'NotFound')].sort())
        expect(await list(s)).toEqual([])
      }))

    if (o.corrupt !== undefined) {
      const corrupt = o.corrupt
      it('a stored app that does not decode is Corrupt on find and list, not a crash; put then repairs it', () =>
        withSource(async (s) => {
          const a = sample('0oa1')
          expectRight(await run(s.put(a)))
          expectRight(await run(s.put(sample('0oa2'))))
          await corrupt(s, a.id)
          expect(expectLeft(await run(s.find(a.id)))._tag).toBe('Corrupt')
          expect(expectLeft(await run(s.list()))._tag).toBe('Corrupt')
          expect(expectRight(await run(s.find('0oa2')))).toEqual(sample('0oa2'))
          expectRight(await run(s.put(a)))
          expect(expectRight(await run(s.find(a.id)))).toEqual(a)
        }))
    }
  })
}
