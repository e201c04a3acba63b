#!/usr/bin/env node
// The `authn-audit` command: runs the built entry point, dist/audit-cli.js. A published package
// carries dist/; in a checkout of the repository, `pnpm build` makes it.
import { existsSync } from 'node:fs'

const entry = new URL('../dist/audit-cli.js', import.meta.url)
if (!existsSync(entry)) {
  process.stderr.write('authn-audit: dist/audit-cli.js is missing: run `pnpm build` in the repository first\n')
  process.exit(1)
}
await import(entry.href)
