import * as t from 'io-ts'

const PositiveInt = t.refinement(t.number, (n) => Number.isInteger(n) && n > 0, 'PositiveInt')

/** At most `limit` requests in every `windowSeconds` (a fixed window that starts with its first request). */
export const RateRule = t.type({ limit: PositiveInt, windowSeconds: PositiveInt }, 'RateRule')
export type RateRule = t.TypeOf<typeof RateRule>

/**
 * The rate limits of the authn API (docs/adr/0014-rate-limits.md), counted per bucket: per client
 * address and endpoint, per username on primary authentication and recovery starts (each endpoint
 * its own bucket), and per state token. `enabled: false` counts nothing and sends no headers.
 */
export const RateLimitPolicy = t.type(
  {
    enabled: t.boolean,
    perClientEndpoint: RateRule,
    perUsername: RateRule,
    perStateToken: RateRule,
  },
  'RateLimitPolicy',
)
export type RateLimitPolicy = t.TypeOf<typeof RateLimitPolicy>

/** Okta's documented order of magnitude for `/api/v1/authn` (600 a minute), and tight per-user buckets. */
export const DEFAULT_RATE_LIMIT_POLICY: RateLimitPolicy = {
  enabled: true,
  perClientEndpoint: { limit: 600, windowSeconds: 60 },
  perUsername: { limit: 10, windowSeconds: 10 },
  perStateToken: { limit: 60, windowSeconds: 60 },
}

/** The seed's `policies.rateLimits`: every member optional, over the defaults. */
export const SeedRateLimitPolicy = t.partial(
  { enabled: t.boolean, perClientEndpoint: RateRule, perUsername: RateRule, perStateToken: RateRule },
  'SeedRateLimitPolicy',
)
export type SeedRateLimitPolicy = t.TypeOf<typeof SeedRateLimitPolicy>

/** Pure: the rate limits of a seed over the defaults. */
export const rateLimitsFromSeed = (seed: SeedRateLimitPolicy | undefined): RateLimitPolicy => ({ ...DEFAULT_RATE_LIMIT_POLICY, ...seed })
