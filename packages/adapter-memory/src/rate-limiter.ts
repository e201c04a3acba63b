import rlf from 'rate-limiter-flexible'
import { countWith, type RateLimiter, type RateRule } from '@authn-machine/core'

/**
 * A RateLimiter over one process's memory (`rate-limiter-flexible`'s `RateLimiterMemory`: a fixed
 * window per key that starts with its first request, atomic within the process). For one server;
 * servers that share a database share counts through the PostgreSQL adapter's limiter.
 */
export const createMemoryRateLimiter = (): RateLimiter => {
  let limiters = new Map<string, InstanceType<typeof rlf.RateLimiterMemory>>()
  const limiterOf = (bucket: string, rule: RateRule) => {
    const name = `${bucket}/${rule.limit}/${rule.windowSeconds}`
    let l = limiters.get(name)
    if (l === undefined) {
      l = new rlf.RateLimiterMemory({ keyPrefix: name, points: rule.limit, duration: rule.windowSeconds })
      limiters.set(name, l)
    }
    return l
  }
  return {
    consume: (bucket, key, rule) => countWith(() => limiterOf(bucket, rule).consume(key, 1), rule, Date.now),
    clear: () => {
      limiters = new Map()
      return Promise.resolve()
    },
  }
}
