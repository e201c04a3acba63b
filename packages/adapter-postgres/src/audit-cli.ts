#!/usr/bin/env node
import { runAuditCli } from './audit-cli-main.js'

process.exitCode = await runAuditCli(process.argv.slice(2), {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  env: process.env,
  now: () => Date.now(),
})
