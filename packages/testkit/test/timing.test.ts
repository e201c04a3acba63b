import { describe, expect, it } from 'vitest'
import { compareSamples, compareTimings, formatTimingComparison, mannWhitney, measureTimings, quantile, seededUniform } from '../src/timing.js'

// The timing comparison (src/timing.ts) on synthetic samples with fixed seeds, then on real
// requests. Samples imitate a loaded machine: a 6 ms request (argon2id's cost here), log-normal
// jitter and 5 % of stalls of up to 40 ms. The last tests time real work (busy-waits of 2 and 7
// ms): part of the timing exception of docs/adr/0011-indistinguishable-users.md, whose rule keeps
// them from flaking on a loaded machine.

const SEEDS = Array.from({ length: 30 }, (_, i) => i + 1)
const N = 120

/** `n` durations (ms): `base` + log-normal jitter + rare stalls, plus `extra(i)` on request i. */
const loaded = (seed: number, n = N, extra: (i: number) => number = () => 0): number[] => {
  const u = seededUniform(seed)
  return Array.from({ length: n }, (_, i) => {
    const normal = Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u())
    const stall = u() < 0.05 ? u() * 40 : 0
    return 6 + 0.4 * Math.exp(0.8 * normal) + stall + extra(i)
  })
}

describe('compareSamples', () => {
  it(`does not flag two samples of one distribution (${SEEDS.length} seeds)`, () => {
    for (const seed of SEEDS) {
      const c = compareSamples(loaded(seed * 2), loaded(seed * 2 + 1), { seed })
      expect(c.distinguishable, formatTimingComparison(c)).toBe(false)
    }
  })

  it(`flags a 5 ms delay on either side (${SEEDS.length} seeds)`, () => {
    for (const seed of SEEDS) {
      const slower = compareSamples(loaded(seed * 2, N, () => 5), loaded(seed * 2 + 1), { seed })
      expect(slower.distinguishable, formatTimingComparison(slower)).toBe(true)
      expect(slower.median.low).toBeGreaterThan(slower.median.bound)
      const faster = compareSamples(loaded(seed * 2), loaded(seed * 2 + 1, N, () => 5), { seed })
      expect(faster.distinguishable, formatTimingComparison(faster)).toBe(true)
      expect(faster.median.high).toBeLessThan(-faster.median.bound)
    }
  })

  it(`flags 10 ms more on every other request only, through the upper quantile (${SEEDS.length} seeds)`, () => {
    for (const seed of SEEDS) {
      const c = compareSamples(loaded(seed * 2, N, (i) => (i % 2 === 0 ? 10 : 0)), loaded(seed * 2 + 1), { seed })
      expect(c.distinguishable, formatTimingComparison(c)).toBe(true)
      expect(c.upper.beyond).toBe(true)
    }
  })

  it('does not flag a significant difference within the practical bound (0.3 ms)', () => {
    const quiet = (seed: number, extra: number) => {
      const u = seededUniform(seed)
      return Array.from({ length: N }, () => 6 + 0.2 * u() + extra)
    }
    const c = compareSamples(quiet(1, 0.3), quiet(2, 0))
    expect(c.significant).toBe(true)
    expect(c.median.estimate).toBeCloseTo(0.3, 1)
    expect(c.distinguishable, formatTimingComparison(c)).toBe(false)
  })

  it('the bound is max(absolute, relative × the unknown side) and can be set', () => {
    const c = compareSamples(loaded(1, N, () => 94), loaded(2, N, () => 94), { bounds: { median: { absoluteMs: 1, relative: 0.1 } } })
    expect(c.median.bound).toBeCloseTo(0.1 * c.unknown.median, 6)
    expect(c.upper.bound).toBeCloseTo(0.1 * c.unknown.upper, 6)
  })

  it('is deterministic for a seed', () => {
    expect(compareSamples(loaded(1), loaded(2), { seed: 7 })).toEqual(compareSamples(loaded(1), loaded(2), { seed: 7 }))
  })
})

describe('statistics', () => {
  it('quantile interpolates between order statistics (type 7)', () => {
    expect(quantile([4, 1, 3, 2], 0.5)).toBe(2.5)
    expect(quantile([4, 1, 3, 2], 0.9)).toBeCloseTo(3.7, 10)
    expect(quantile([5], 0.9)).toBe(5)
  })

  it('Mann–Whitney U: complete separation, ties and symmetry', () => {
    const a = Array.from({ length: 20 }, (_, i) => i + 1)
    const b = Array.from({ length: 20 }, (_, i) => i + 21)
    const sep = mannWhitney(a, b)
    // U = 0; mean 200; variance 20·20/12·41; continuity-corrected z = (0 − 200 + 0.5) / sd.
    expect(sep.u).toBe(0)
    expect(sep.auc).toBe(0)
    expect(sep.z).toBeCloseTo(-199.5 / Math.sqrt((400 / 12) * 41), 10)
    expect(sep.p).toBeGreaterThan(6e-8)
    expect(sep.p).toBeLessThan(8e-8)
    expect(mannWhitney(b, a).z).toBeCloseTo(-sep.z, 10)
    const same = mannWhitney([1, 1, 2, 2], [1, 1, 2, 2])
    expect(same).toEqual({ u: 8, z: 0, p: 1, auc: 0.5 })
  })
})

describe('measureTimings', () => {
  it('discards the warm-up, runs the sides in random order and passes the round', async () => {
    let now = 0
    const order: string[] = []
    const rounds: number[] = []
    const out = await measureTimings(
      (i) => {
        order.push('k')
        rounds.push(i)
        now += i < 3 ? 100 : 5
        return Promise.resolve()
      },
      () => {
        order.push('u')
        now += 2
        return Promise.resolve()
      },
      { samples: 50, warmup: 3, seed: 9, clock: () => now },
    )
    expect(out.known).toEqual(Array.from({ length: 50 }, () => 5))
    expect(out.unknown).toHaveLength(50)
    expect(rounds).toEqual(Array.from({ length: 53 }, (_, i) => i))
    const knownFirst = Array.from({ length: 53 }, (_, i) => order[2 * i] === 'k').filter(Boolean).length
    expect(knownFirst).toBeGreaterThan(10)
    expect(knownFirst).toBeLessThan(43)
  })
})

describe('compareTimings on real requests', () => {
  /** Keeps the CPU busy for `ms` (a timer would add the event loop's granularity). */
  const work = (ms: number) => () => {
    const until = performance.now() + ms
    while (performance.now() < until);
    return Promise.resolve()
  }

  it.each([1, 2, 3])('seed %i: flags 5 ms more on one side, and not two equal sides', async (seed) => {
    const plan = { samples: 40, warmup: 5, seed }
    const delayed = await compareTimings(work(7), work(2), plan)
    expect(delayed.distinguishable, formatTimingComparison(delayed)).toBe(true)
    const equal = await compareTimings(work(2), work(2), plan)
    expect(equal.distinguishable, formatTimingComparison(equal)).toBe(false)
  })
})
