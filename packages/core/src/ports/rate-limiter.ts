import { left, right } from 'fp-ts/lib/Either.js'
import type { TaskEither } from 'fp-ts/lib/TaskEither.js'
import type { EpochMs } from '../model/ids.js'
import type { RateRule } from '../model/rate-limit.js'
import { unavailable, type StoreError } from './errors.js'

/** Where a bucket stands after a request was counted in it. */
export interface RateState {
  /** The request is within the limit. */
  readonly allowed: boolean
  readonly limit: number
  /** Requests left in the current window (0 once refused). */
  readonly remaining: number
  /** When the current window ends (epoch ms). */
  readonly resetAt: EpochMs
}

/**
 * Counts requests per bucket (docs/adr/0014-rate-limits.md). `bucket` names the rule's family
 * (`ip`, `username`, `state`); `key` the counted thing, already hashed where it is a secret or a
 * personal datum. Every server on one store counts in the same buckets. Implemented by the memory
 * and PostgreSQL adapters over the same library.
 */
export interface RateLimiter {
  readonly consume: (bucket: string, key: string, rule: RateRule) => TaskEither<StoreError, RateState>
  /** Forgets every count (tests, the reference server's conformance reset). */
  readonly clear: () => Promise<void>
}

/** The shape of a counting library's answer (rate-limiter-flexible's `RateLimiterRes`). */
export interface CountedPoints {
  readonly consumedPoints: number
  readonly remainingPoints: number
  readonly msBeforeNext: number
}

/** Pure: a bucket's state from a counting library's answer at `now`. */
export const rateStateOf = (res: CountedPoints, rule: RateRule, now: EpochMs): RateState => ({
  allowed: res.consumedPoints <= rule.limit,
  limit: rule.limit,
  remaining: Math.max(0, rule.limit - res.consumedPoints),
  resetAt: now + Math.max(0, res.msBeforeNext),
})

const isCounted = (x: unknown): x is CountedPoints => typeof x === 'object' && x !== null && 'consumedPoints' in x && 'msBeforeNext' in x

/**
 * A counting library's call as a RateLimiter answer: its answer, or its refusal (a library such as
 * rate-limiter-flexible rejects with the counts when the limit is exceeded), as a bucket's state;
 * any other failure as `Unavailable`.
 */
export const countWith =
  (run: () => Promise<CountedPoints>, rule: RateRule, now: () => EpochMs): TaskEither<StoreError, RateState> =>
  () =>
    run().then(
      (res) => right(rateStateOf(res, rule, now())),
      (rejected: unknown) => (isCounted(rejected) ? right(rateStateOf(rejected, rule, now())) : left(unavailable(rejected))),
    )
