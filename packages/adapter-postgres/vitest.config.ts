import { defineProject } from 'vitest/config'

export default defineProject({
  ssr: { resolve: { conditions: ['@authn-machine/source'] } },
  // One module graph per worker for all of this package's test files (no per-file re-import): the
  // files leave no global state behind (a stubbed fetch is restored in afterAll).
  test: {
    isolate: false,
    name: 'adapter-postgres',
    include: ['test/**/*.test.ts'],
    // PGlite starts in 3–5 s (initdb in wasm); the real-server race tests run hundreds of statements.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
