import { performance } from 'node:perf_hooks'

/**
 * Timing comparison of two kinds of request (docs/adr/0011-indistinguishable-users.md): can a
 * caller tell them apart by how long they take? Used to show that a known and an unknown user
 * cost the same.
 *
 * The test: the two sides run one request at a time, in random order within each round (drift on
 * a shared machine hits both alike), after a discarded warm-up. They are told apart only when the
 * difference is BOTH
 * - statistically significant: a two-sided Mann–Whitney U test (ranks, so robust to the outliers
 *   a loaded machine produces) gives p < `alpha`; AND
 * - larger than a practical bound: the bootstrap confidence interval of the difference of the
 *   medians, or of the upper quantiles, lies wholly outside ±bound, the bound being
 *   max(`absoluteMs`, `relative` × the unknown side's statistic).
 */

/** One request of one side; `i` is the round (fresh names per round). Resolves when answered. */
export type TimedRequest = (i: number) => Promise<unknown>

/** How a side is measured. */
export interface TimingPlan {
  /** Measured requests per side, after the warm-up. Default 120. */
  readonly samples?: number
  /** Requests per side run first and discarded (JIT, pools, caches). Default 10. */
  readonly warmup?: number
  /** Seeds the order of the two sides in each round and the bootstrap. Default 1. */
  readonly seed?: number
  /** Milliseconds, monotonic. Default `performance.now`. */
  readonly clock?: () => number
}

/** The practical bound of one statistic: max(absoluteMs, relative × the unknown side's value). */
export interface PracticalBound {
  readonly absoluteMs: number
  readonly relative: number
}

/** When two samples count as told apart. */
export interface TimingBounds {
  /** Significance level of the two-sided Mann–Whitney U test. Default 0.001. */
  readonly alpha: number
  /** Level of the bootstrap confidence intervals. Default 0.99. */
  readonly confidence: number
  /** Bootstrap resamples. Default 2000. */
  readonly resamples: number
  /**
   * The upper quantile compared besides the median, for a cost paid on some requests only. Default
   * 0.8: below the few per cent of stalls a loaded machine adds to either side, which make the
   * interval of p90 from 120 requests too wide to tell anything.
   */
  readonly quantile: number
  /** Default max(1 ms, 5 %). */
  readonly median: PracticalBound
  /** Default max(2 ms, 10 %). */
  readonly upper: PracticalBound
}

export const DEFAULT_TIMING_BOUNDS: TimingBounds = {
  alpha: 0.001,
  confidence: 0.99,
  resamples: 2000,
  quantile: 0.8,
  median: { absoluteMs: 1, relative: 0.05 },
  upper: { absoluteMs: 2, relative: 0.1 },
}

export interface TimingSummary {
  readonly n: number
  readonly median: number
  /** The `quantile` of the bounds (p80 by default). */
  readonly upper: number
  /** Reported, not compared. */
  readonly p90: number
  readonly min: number
  readonly max: number
}

/** A difference known − unknown of one statistic, with its bootstrap interval and bound. */
export interface TimingDifference {
  readonly estimate: number
  readonly low: number
  readonly high: number
  readonly bound: number
  /** The whole interval lies outside ±bound. */
  readonly beyond: boolean
}

export interface TimingComparison {
  readonly known: TimingSummary
  readonly unknown: TimingSummary
  readonly median: TimingDifference
  readonly upper: TimingDifference
  /** U of the known side, its normal score (tie-corrected), the two-sided p and P(known > unknown). */
  readonly mannWhitney: { readonly u: number; readonly z: number; readonly p: number; readonly auc: number }
  readonly significant: boolean
  /** Significant and beyond a practical bound: a caller can tell the two sides apart. */
  readonly distinguishable: boolean
  readonly bounds: TimingBounds
}

/** mulberry32: a small seeded generator of numbers in [0, 1). Reproducible order and bootstrap. */
export const seededUniform = (seed: number): (() => number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** The `q` quantile of ascending `sorted` (linear interpolation between order statistics, R's type 7). */
const quantileSorted = (sorted: ArrayLike<number>, q: number): number => {
  const n = sorted.length
  if (n === 0) return Number.NaN
  const h = (n - 1) * q
  const lo = Math.floor(h)
  const a = sorted[lo] ?? Number.NaN
  const b = sorted[Math.min(n - 1, lo + 1)] ?? a
  return a + (h - lo) * (b - a)
}

/** The `q` quantile of `xs` (type 7). */
export const quantile = (xs: ReadonlyArray<number>, q: number): number => quantileSorted(Float64Array.from(xs).sort(), q)

const summarize = (xs: ReadonlyArray<number>, q: number): TimingSummary => {
  const s = Float64Array.from(xs).sort()
  return { n: s.length, median: quantileSorted(s, 0.5), upper: quantileSorted(s, q), p90: quantileSorted(s, 0.9), min: s[0] ?? Number.NaN, max: s[s.length - 1] ?? Number.NaN }
}

/** erfc(x), Chebyshev fit (Numerical Recipes `erfcc`): fractional error below 1.2e-7 everywhere. */
const erfc = (x: number): number => {
  const z = Math.abs(x)
  const t = 1 / (1 + 0.5 * z)
  const poly =
    -z * z -
    1.26551223 +
    t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))))
  const r = t * Math.exp(poly)
  return x >= 0 ? r : 2 - r
}

/**
 * Two-sided Mann–Whitney U test of `a` against `b`, by the normal approximation with the tie
 * correction and a continuity correction (sound from about 20 per side).
 */
export const mannWhitney = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): TimingComparison['mannWhitney'] => {
  const n1 = a.length
  const n2 = b.length
  const all = [...a.map((v) => ({ v, first: true })), ...b.map((v) => ({ v, first: false }))].sort((x, y) => x.v - y.v)
  const n = all.length
  let rankSum = 0
  let ties = 0
  for (let i = 0; i < n; ) {
    let j = i
    while (j + 1 < n && all[j + 1]?.v === all[i]?.v) j++
    const rank = (i + j) / 2 + 1
    const t = j - i + 1
    ties += t * t * t - t
    for (let k = i; k <= j; k++) if (all[k]?.first === true) rankSum += rank
    i = j + 1
  }
  const u = rankSum - (n1 * (n1 + 1)) / 2
  const mean = (n1 * n2) / 2
  const variance = ((n1 * n2) / 12) * (n + 1 - ties / (n * (n - 1)))
  const diff = u - mean
  const z = variance <= 0 ? 0 : (diff - Math.sign(diff) * 0.5) / Math.sqrt(variance)
  return { u, z, p: Math.min(1, erfc(Math.abs(z) / Math.SQRT2)), auc: u / (n1 * n2) }
}

/** The percentile bootstrap of the known − unknown differences of the median and of the `q` quantile. */
const bootstrap = (known: ReadonlyArray<number>, unknown: ReadonlyArray<number>, b: TimingBounds, random: () => number) => {
  const draw = (xs: ReadonlyArray<number>, into: Float64Array) => {
    for (let i = 0; i < into.length; i++) into[i] = xs[Math.floor(random() * xs.length)] ?? Number.NaN
    return into.sort()
  }
  const k = new Float64Array(known.length)
  const u = new Float64Array(unknown.length)
  const medians = new Float64Array(b.resamples)
  const uppers = new Float64Array(b.resamples)
  for (let r = 0; r < b.resamples; r++) {
    draw(known, k)
    draw(unknown, u)
    medians[r] = quantileSorted(k, 0.5) - quantileSorted(u, 0.5)
    uppers[r] = quantileSorted(k, b.quantile) - quantileSorted(u, b.quantile)
  }
  const tail = (1 - b.confidence) / 2
  const interval = (xs: Float64Array) => {
    const s = xs.sort()
    return { low: quantileSorted(s, tail), high: quantileSorted(s, 1 - tail) }
  }
  return { median: interval(medians), upper: interval(uppers) }
}

const difference = (estimate: number, ci: { low: number; high: number }, reference: number, p: PracticalBound): TimingDifference => {
  const bound = Math.max(p.absoluteMs, p.relative * reference)
  return { estimate, ...ci, bound, beyond: ci.low > bound || ci.high < -bound }
}

/** Pure: compares two samples of durations (ms) by the test stated at the top of this file. */
export const compareSamples = (
  known: ReadonlyArray<number>,
  unknown: ReadonlyArray<number>,
  o: { readonly bounds?: Partial<TimingBounds>; readonly seed?: number } = {},
): TimingComparison => {
  const bounds = { ...DEFAULT_TIMING_BOUNDS, ...o.bounds }
  const k = summarize(known, bounds.quantile)
  const u = summarize(unknown, bounds.quantile)
  const ci = bootstrap(known, unknown, bounds, seededUniform(o.seed ?? 1))
  const median = difference(k.median - u.median, ci.median, u.median, bounds.median)
  const upper = difference(k.upper - u.upper, ci.upper, u.upper, bounds.upper)
  const mw = mannWhitney(known, unknown)
  const significant = mw.p < bounds.alpha
  return { known: k, unknown: u, median, upper, mannWhitney: mw, significant, distinguishable: significant && (median.beyond || upper.beyond), bounds }
}

/** The rounds a plan runs, warm-up included (`warmup + samples`): how many requests of each side to prepare. */
export const roundsOf = (plan: TimingPlan = {}): number => (plan.warmup ?? 10) + (plan.samples ?? 120)

/**
 * Runs both sides `warmup + samples` times, one request at a time, in random order within each
 * round, and returns the durations (ms) after the warm-up. A request that rejects stops the run.
 */
export const measureTimings = async (
  known: TimedRequest,
  unknown: TimedRequest,
  plan: TimingPlan = {},
): Promise<{ readonly known: ReadonlyArray<number>; readonly unknown: ReadonlyArray<number> }> => {
  const warmup = plan.warmup ?? 10
  const rounds = roundsOf(plan)
  const clock = plan.clock ?? (() => performance.now())
  const random = seededUniform((plan.seed ?? 1) ^ 0x5bd1e995)
  const out = { known: [] as number[], unknown: [] as number[] }
  const time = async (side: 'known' | 'unknown', i: number) => {
    const started = clock()
    await (side === 'known' ? known : unknown)(i)
    const took = clock() - started
    if (i >= warmup) out[side].push(took)
  }
  for (let i = 0; i < rounds; i++) {
    const [first, second] = random() < 0.5 ? (['known', 'unknown'] as const) : (['unknown', 'known'] as const)
    await time(first, i)
    await time(second, i)
  }
  return out
}

/** Measures both sides (`measureTimings`) and compares them (`compareSamples`). */
export const compareTimings = async (
  known: TimedRequest,
  unknown: TimedRequest,
  o: TimingPlan & { readonly bounds?: Partial<TimingBounds> } = {},
): Promise<TimingComparison> => {
  const measured = await measureTimings(known, unknown, o)
  return compareSamples(measured.known, measured.unknown, { ...(o.bounds === undefined ? {} : { bounds: o.bounds }), seed: o.seed ?? 1 })
}

const ms = (x: number) => `${x.toFixed(2)} ms`
const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(2)}`
const line = (name: string, d: TimingDifference) =>
  `Δ${name} ${signed(d.estimate)} ms [${signed(d.low)}, ${signed(d.high)}], bound ±${d.bound.toFixed(2)} ms${d.beyond ? ' BEYOND' : ''}`

/** One paragraph for a test log or an assertion message. */
export const formatTimingComparison = (c: TimingComparison): string => {
  const q = `p${Math.round(c.bounds.quantile * 100)}`
  const side = (name: string, s: TimingSummary) => `${name} n=${s.n} median ${ms(s.median)} ${q} ${ms(s.upper)} p90 ${ms(s.p90)} (min ${ms(s.min)}, max ${ms(s.max)})`
  return [
    `${c.distinguishable ? 'DISTINGUISHABLE' : 'indistinguishable'}: ${side('known', c.known)}; ${side('unknown', c.unknown)}`,
    `  ${line('median', c.median)}; ${line(q, c.upper)}`,
    `  Mann–Whitney U=${c.mannWhitney.u.toFixed(0)} z=${c.mannWhitney.z.toFixed(2)} p=${c.mannWhitney.p.toExponential(2)} (α ${c.bounds.alpha}) P(known>unknown)=${c.mannWhitney.auc.toFixed(3)}`,
  ].join('\n')
}
