import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    projects: ['packages/*'],
    // In CI a JSON report too, from which .ci/run prints its closing "N passed, N failed" line.
    reporters: process.env['CI'] === 'true' ? ['default', ['json', { outputFile: '.vitest-report.json' }]] : ['default'],
  },
})
