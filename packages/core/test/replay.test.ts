import { test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { initialContext, replayAuthn } from '../src/index.js'
import { arbRun } from './arbitraries.js'
import { drive, plain } from './helpers.js'

describe('replayAuthn (audit: the log replays through the core)', () => {
  test.prop([arbRun], { numRuns: 300 })('reproduces every decision of a run driven event by event', ({ input, events }) => {
    const live = drive(input, events).map(plain)
    const replayed = replayAuthn(initialContext(input), events).map(plain)
    expect(replayed).toEqual(live)
  })

  test.prop([arbRun], { numRuns: 200 })('replaying a prefix gives the prefix of the decisions', ({ input, events }) => {
    const all = replayAuthn(initialContext(input), events).map(plain)
    const half = Math.floor(events.length / 2)
    expect(replayAuthn(initialContext(input), events.slice(0, half)).map(plain)).toEqual(all.slice(0, half))
  })

  test.prop([arbRun], { numRuns: 200 })('replaying from a JSON copy of the start context changes nothing', ({ input, events }) => {
    const stored = JSON.parse(JSON.stringify(initialContext(input))) as ReturnType<typeof initialContext>
    expect(replayAuthn(stored, events).map(plain)).toEqual(replayAuthn(initialContext(input), events).map(plain))
  })
})
