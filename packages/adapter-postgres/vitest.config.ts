import { defineProject } from 'vitest/config'

export default defineProject({
  ssr: { resolve: { conditions: ['@authn-machine/source'] } },
  test: {
    name: 'adapter-postgres',
    include: ['test/**/*.test.ts'],
    // PGlite starts in 3–5 s (initdb in wasm); the real-server race tests run hundreds of statements.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
