import { defineProject } from 'vitest/config'

export default defineProject({
  ssr: { resolve: { conditions: ['@authn-machine/source'] } },
  test: { name: 'factor-duo', include: ['test/**/*.test.ts'], testTimeout: 60_000 },
})
