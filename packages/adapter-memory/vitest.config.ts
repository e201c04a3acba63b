import { defineProject } from 'vitest/config'

export default defineProject({
  ssr: { resolve: { conditions: ['@authn-machine/source'] } },
  // One module graph per worker for all of this package's test files (no per-file re-import): the
  // files leave no global state behind (a stubbed fetch is restored in afterAll).
  test: { name: 'adapter-memory', include: ['test/**/*.test.ts'], testTimeout: 60_000, isolate: false },
})
