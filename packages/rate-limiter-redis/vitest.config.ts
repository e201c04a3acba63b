import { defineProject } from 'vitest/config'

export default defineProject({
  ssr: { resolve: { conditions: ['@authn-machine/source'] } },
  test: {
    name: 'rate-limiter-redis',
    include: ['test/**/*.test.ts'],
    // Each file starts its own redis-server processes (a cluster of three takes a few seconds).
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
