import { defineProject } from 'vitest/config'

export default defineProject({
  ssr: { resolve: { conditions: ['@authn-machine/source'] } },
  // One module graph per worker for all of this package's test files (no per-file re-import): the
  // files leave no global state behind (a stubbed fetch is restored in afterAll).
  test: {
    isolate: false,
    name: 'rate-limiter-redis',
    include: ['test/**/*.test.ts'],
    // Each file starts its own redis-server processes (a cluster of three takes a few seconds).
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
