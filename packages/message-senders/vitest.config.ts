import { defineProject } from 'vitest/config'

export default defineProject({
  ssr: { resolve: { conditions: ['@authn-machine/source'] } },
  test: { name: 'message-senders', include: ['test/**/*.test.ts'], testTimeout: 30_000 },
})
