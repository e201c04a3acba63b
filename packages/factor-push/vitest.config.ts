import { defineProject } from 'vitest/config'

export default defineProject({
  ssr: { resolve: { conditions: ['@authn-machine/source'] } },
  test: { name: 'factor-push', include: ['test/**/*.test.ts'], testTimeout: 60_000 },
})
