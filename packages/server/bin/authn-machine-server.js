#!/usr/bin/env node
// The `authn-machine-server` command: runs the built entry point, dist/main.js. A published package carries
// dist/; in a checkout of the repository, `pnpm build` makes it.
import { existsSync } from 'node:fs'

const entry = new URL('../dist/main.js', import.meta.url)
if (!existsSync(entry)) {
  process.stderr.write('authn-machine-server: dist/main.js is missing: run `pnpm build` in the repository first\n')
  process.exit(1)
}
await import(entry.href)
