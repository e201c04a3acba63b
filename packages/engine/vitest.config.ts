import { defineProject } from 'vitest/config'

export default defineProject({
  ssr: { resolve: { conditions: ['@authn-machine/source'] } },
  // No global state in these tests: one module graph for all of them (no per-file re-import), which keeps CI under its 20 minutes.
  test: { name: 'engine', include: ['test/**/*.test.ts'], testTimeout: 60_000, isolate: false },
})
