#!/usr/bin/env node
// The `authn-push-device` command: runs the built entry point, dist/cli.js. A published package carries
// dist/; in a checkout of the repository, `pnpm build` makes it (or run `pnpm device` in this package).
import { existsSync } from 'node:fs'

const entry = new URL('../dist/cli.js', import.meta.url)
if (!existsSync(entry)) {
  process.stderr.write('authn-push-device: dist/cli.js is missing: run `pnpm build` in the repository first\n')
  process.exit(1)
}
const { main } = await import(entry.href)
await main()
