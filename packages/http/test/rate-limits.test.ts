import { fc } from '@fast-check/vitest'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { describe, expect, it } from 'vitest'
import { createMemoryRateLimiter } from '@authn-machine/adapter-memory'
import { DEFAULT_RATE_LIMIT_POLICY, unavailable, type RateLimitPolicy, type RateLimiter } from '@authn-machine/core'
import type { HttpResponse } from '../src/index.js'
import { DADE, PASSWORD, json, post, setupHandler } from './helpers.js'

/** Limits small enough to reach in a test; each family can be turned up out of the way. */
const limits = (o: Partial<RateLimitPolicy> = {}): RateLimitPolicy => ({
  enabled: true,
  perClientEndpoint: { limit: 1_000, windowSeconds: 60 },
  perUsername: { limit: 1_000, windowSeconds: 60 },
  perStateToken: { limit: 1_000, windowSeconds: 60 },
  ...o,
})

const from = (address: string) => (r: ReturnType<typeof post>) => ({ ...r, remoteAddress: address })

const rateHeaders = (r: HttpResponse) => ({
  limit: r.headers['x-rate-limit-limit'],
  remaining: r.headers['x-rate-limit-remaining'],
  reset: r.headers['x-rate-limit-reset'],
})

const expect429 = (r: HttpResponse) => {
  expect(r.status).toBe(429)
  expect(json(r)).toMatchObject({ errorCode: 'E0000047', errorSummary: 'API call exceeded rate limit due to too many requests.', errorCauses: [] })
  expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1)
  expect(r.headers['x-rate-limit-remaining']).toBe('0')
}

describe('rate limits (docs/adr/0014-rate-limits.md)', () => {
  it('every counted response carries X-Rate-Limit-Limit, -Remaining and -Reset; past the limit, 429 E0000047 with Retry-After', async () => {
    const { handler } = await setupHandler({ rateLimiter: createMemoryRateLimiter(), rateLimits: limits({ perClientEndpoint: { limit: 3, windowSeconds: 60 } }) })
    const before = Math.floor(Date.now() / 1000)
    const answers: HttpResponse[] = []
    for (let i = 0; i < 5; i++) answers.push(await handler(post('/api/v1/authn', { ...DADE, password: 'wrong' })))
    expect(answers.slice(0, 3).map((r) => [r.status, rateHeaders(r).limit, rateHeaders(r).remaining])).toEqual([
      [401, '3', '2'],
      [401, '3', '1'],
      [401, '3', '0'],
    ])
    for (const r of answers.slice(3)) expect429(r)
    for (const r of answers) expect(Number(rateHeaders(r).reset)).toBeGreaterThanOrEqual(before + 59)
    // Another endpoint of the same client has a bucket of its own.
    const other = await handler(post('/api/v1/authn/cancel', { stateToken: '00unknown' }))
    expect([other.status, rateHeaders(other).remaining]).toEqual([401, '2'])
    // So has another client of the same endpoint.
    const elsewhere = await handler(from('10.0.0.8')(post('/api/v1/authn', { username: 'kate.libby@example.com', password: PASSWORD })))
    expect([json(elsewhere)['status'], rateHeaders(elsewhere).remaining]).toEqual(['PASSWORD_EXPIRED', '2'])
  })

  it('a username has its own bucket across client addresses, on primary authentication and on each recovery start', async () => {
    const { handler } = await setupHandler({ rateLimiter: createMemoryRateLimiter(), rateLimits: limits({ perUsername: { limit: 2, windowSeconds: 60 } }) })
    const wrong = { ...DADE, password: 'wrong' }
    expect((await handler(from('10.0.0.1')(post('/api/v1/authn', wrong)))).status).toBe(401)
    expect((await handler(from('10.0.0.2')(post('/api/v1/authn', { ...wrong, username: DADE.username.toUpperCase() })))).status).toBe(401)
    expect429(await handler(from('10.0.0.3')(post('/api/v1/authn', DADE))))
    // A refused request is not verified: the right password did not get through, and nothing else is limited.
    expect((await handler(post('/api/v1/authn', { username: 'kate.libby@example.com', password: 'x' }))).status).toBe(401)
    const recovery = { username: DADE.username, factorType: 'EMAIL' }
    expect((await handler(post('/api/v1/authn/recovery/password', recovery))).status).toBe(200)
    expect((await handler(post('/api/v1/authn/recovery/password', recovery))).status).toBe(200)
    expect429(await handler(post('/api/v1/authn/recovery/password', recovery)))
    expect((await handler(post('/api/v1/authn/recovery/unlock', recovery))).status).toBe(200)
  })

  it('a state token has its own bucket', async () => {
    const { handler } = await setupHandler({ rateLimiter: createMemoryRateLimiter(), rateLimits: limits({ perStateToken: { limit: 3, windowSeconds: 60 } }) })
    const kate = json(await handler(post('/api/v1/authn', { username: 'kate.libby@example.com', password: PASSWORD })))
    const stateToken = String(kate['stateToken'])
    expect((await handler(post('/api/v1/authn', { stateToken }))).status).toBe(200)
    expect((await handler(from('10.9.9.9')(post('/api/v1/authn', { stateToken })))).status).toBe(200)
    expect((await handler(post('/api/v1/authn', { stateToken }))).status).toBe(200)
    expect429(await handler(post('/api/v1/authn', { stateToken })))
    expect429(await handler(post('/api/v1/authn/cancel', { stateToken })))
  })

  it('limits off: nothing is counted and no rate-limit header is sent', async () => {
    const { handler } = await setupHandler({ rateLimiter: createMemoryRateLimiter(), rateLimits: { ...DEFAULT_RATE_LIMIT_POLICY, enabled: false } })
    for (let i = 0; i < 12; i++) {
      const r = await handler(post('/api/v1/authn', { ...DADE, password: 'wrong' }))
      expect([r.status, r.headers['x-rate-limit-limit']]).toEqual([401, undefined])
    }
  })

  it('a limiter that fails is reported and lets requests through (the engine’s own bounds still hold)', async () => {
    const errors: unknown[] = []
    const broken: RateLimiter = { consume: () => TE.left(unavailable('down')), clear: () => Promise.resolve() }
    const { handler } = await setupHandler({ rateLimiter: broken, rateLimits: limits(), onError: (e) => errors.push(e) })
    const r = await handler(post('/api/v1/authn', DADE))
    expect([r.status, r.headers['x-rate-limit-limit']]).toEqual([200, undefined])
    expect(errors.length).toBeGreaterThan(0)
  })

  it('concurrent requests: exactly `limit` of them get through, whatever the interleaving; the others are 429', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 14 }), fc.scheduler(), async (limit, n, s) => {
        const { handler } = await setupHandler({ rateLimiter: createMemoryRateLimiter(), rateLimits: limits({ perUsername: { limit, windowSeconds: 60 } }) })
        const answers = Promise.all(Array.from({ length: n }, (_, i) => s.schedule(Promise.resolve(i)).then(() => handler(from(`10.1.0.${i}`)(post('/api/v1/authn', { ...DADE, password: 'wrong' }))))))
        await s.waitAll()
        const statuses = (await answers).map((r) => r.status)
        expect(statuses.filter((x) => x === 401)).toHaveLength(Math.min(limit, n))
        expect(statuses.filter((x) => x === 429)).toHaveLength(Math.max(0, n - limit))
      }),
      { numRuns: 30 },
    )
  })
})
