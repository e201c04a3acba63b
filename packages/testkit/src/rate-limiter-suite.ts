import { describe, expect, it } from 'vitest'
import type { RateLimiter, RateState } from '@authn-machine/core'
import { expectRight, run } from './run.js'

export interface RateLimiterSuiteOptions {
  /** A fresh limiter with no counts; `second` gives another one over the same storage (another server). */
  readonly make: () => Promise<{ readonly limiter: RateLimiter; readonly second?: RateLimiter; readonly dispose?: () => Promise<void> }>
  /** Concurrent callers in the race tests (default 24). */
  readonly racers?: number
}

let n = 0
const key = () => `k${(n += 1)}`

/**
 * The RateLimiter port's contract (docs/adr/0014-rate-limits.md), checked against every adapter:
 * a bucket lets `limit` requests through per window and refuses the rest with its counts; buckets
 * of other keys, names or rules are apart; of concurrent requests exactly `limit` get through; two
 * limiters over one storage count in the same buckets; `clear` forgets every count.
 */
export function describeRateLimiter(name: string, o: RateLimiterSuiteOptions): void {
  const racers = o.racers ?? 24
  const withLimiter = async (f: (l: RateLimiter, second: RateLimiter | undefined) => Promise<void>) => {
    const made = await o.make()
    try {
      await f(made.limiter, made.second)
    } finally {
      await made.dispose?.()
    }
  }
  const consume = async (l: RateLimiter, bucket: string, k: string, limit: number, windowSeconds = 60): Promise<RateState> =>
    expectRight(await run(l.consume(bucket, k, { limit, windowSeconds })))

  describe(`RateLimiter conformance (${name})`, () => {
    it('a bucket lets `limit` requests through, then refuses with remaining 0; the window end is about windowSeconds away', () =>
      withLimiter(async (l) => {
        const k = key()
        const before = Date.now()
        const states = [] as RateState[]
        for (let i = 0; i < 5; i++) states.push(await consume(l, 'ip', k, 3))
        expect(states.map((s) => [s.allowed, s.limit, s.remaining])).toEqual([
          [true, 3, 2],
          [true, 3, 1],
          [true, 3, 0],
          [false, 3, 0],
          [false, 3, 0],
        ])
        for (const s of states) {
          expect(s.resetAt).toBeGreaterThan(before + 58_000)
          expect(s.resetAt).toBeLessThanOrEqual(Date.now() + 60_000)
        }
      }))

    it('other keys, bucket names and rules count apart', () =>
      withLimiter(async (l) => {
        const k = key()
        expect((await consume(l, 'ip', k, 1)).allowed).toBe(true)
        expect((await consume(l, 'ip', k, 1)).allowed).toBe(false)
        expect((await consume(l, 'ip', key(), 1)).allowed).toBe(true)
        expect((await consume(l, 'username', k, 1)).allowed).toBe(true)
        expect((await consume(l, 'ip', k, 2)).allowed).toBe(true)
      }))

    it('a window ends: after windowSeconds the bucket starts again', () =>
      withLimiter(async (l) => {
        const k = key()
        expect((await consume(l, 'ip', k, 1, 1)).allowed).toBe(true)
        expect((await consume(l, 'ip', k, 1, 1)).allowed).toBe(false)
        await new Promise((resolve) => setTimeout(resolve, 1_100))
        expect((await consume(l, 'ip', k, 1, 1)).allowed).toBe(true)
      }))

    it(`${racers} concurrent requests on one bucket of limit 7: exactly 7 get through`, () =>
      withLimiter(async (l) => {
        const k = key()
        const states = await Promise.all(Array.from({ length: racers }, () => consume(l, 'ip', k, 7)))
        expect(states.filter((s) => s.allowed)).toHaveLength(7)
        // Each allowed request saw a different count: remaining 6, 5, … 0.
        expect(states.filter((s) => s.allowed).map((s) => s.remaining).sort()).toEqual([0, 1, 2, 3, 4, 5, 6])
      }))

    it('two limiters over one storage (two servers) count in the same buckets, also concurrently', () =>
      withLimiter(async (l, second) => {
        if (second === undefined) return
        const k = key()
        const states = await Promise.all(Array.from({ length: racers }, (_, i) => consume(i % 2 === 0 ? l : second, 'username', k, 5)))
        expect(states.filter((s) => s.allowed)).toHaveLength(5)
        expect((await consume(second, 'username', k, 5)).allowed).toBe(false)
      }))

    it('clear forgets every count', () =>
      withLimiter(async (l) => {
        const k = key()
        await consume(l, 'ip', k, 1)
        expect((await consume(l, 'ip', k, 1)).allowed).toBe(false)
        await l.clear()
        expect((await consume(l, 'ip', k, 1)).allowed).toBe(true)
      }))
  })
}
