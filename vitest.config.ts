import { availableParallelism } from 'node:os'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    projects: ['packages/*'],
    // Test files run in parallel, one worker per core and at least two: much of the suite waits on
    // processes it starts (servers, browsers, FreeRADIUS, PostgreSQL nodes), and vitest's default of
    // one worker less than the cores would run them one at a time on a 2-core machine. The timing tests
    // (testkit's timing.ts) hold under that load: they fail only on a difference that is both
    // significant and beyond a practical bound.
    maxWorkers: Math.max(2, availableParallelism()),
    // In CI a JSON report too, from which .ci/run prints its closing "N passed, N failed" line.
    reporters: process.env['CI'] === 'true' ? ['default', ['json', { outputFile: '.vitest-report.json' }]] : ['default'],
  },
})
