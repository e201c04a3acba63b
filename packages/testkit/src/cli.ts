#!/usr/bin/env node
/**
 * authn-conformance: runs the model-based harness over HTTP against any implementation.
 *
 *   authn-conformance --base-url http://127.0.0.1:8080 --seed org.json --runs 200 [--reset-path /__conformance/reset]
 *                     [--max-commands 30] [--fc-seed N]
 * The implementation's API token, if it needs one, is read from AUTHN_API_TOKEN (a flag's value shows in ps).
 *
 * Each run starts from the seeded org: before each run the harness POSTs to `--reset-path`
 * (with `Authorization: SSWS <api token>` when given), which must restore the org of `--seed`.
 * The reference server offers it when started with `--conformance`. Exit code 0 when every run
 * agrees with the model, 1 on a disagreement (the shrunk sequence is printed), 2 on bad usage.
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import * as E from 'fp-ts/lib/Either.js'
import { PathReporter } from 'io-ts/lib/PathReporter.js'
import { OrgSeed } from '@authn-machine/core'
import { formatReport, runConformance } from './harness/harness.js'
import { createHttpDriver, postJson } from './harness/http-driver.js'

const usage = 'usage: authn-conformance --base-url URL --seed FILE [--runs N] [--reset-path PATH] [--max-commands N] [--fc-seed N]\n(the API token, if needed: AUTHN_API_TOKEN in the environment)'

const main = async (): Promise<number> => {
  if (process.argv.some((a) => a === '--api-token' || a.startsWith('--api-token='))) {
    console.error(`--api-token is not an option: set AUTHN_API_TOKEN in the environment (a flag's value shows in ps)\n${usage}`)
    return 2
  }
  let args
  try {
    args = parseArgs({
      options: {
        'base-url': { type: 'string' },
        seed: { type: 'string' },
        runs: { type: 'string', default: '100' },
        'reset-path': { type: 'string', default: '/__conformance/reset' },
        'max-commands': { type: 'string', default: '30' },
        'fc-seed': { type: 'string' },
        help: { type: 'boolean' },
      },
    }).values
  } catch (e) {
    console.error(`${e instanceof Error ? e.message : String(e)}\n${usage}`)
    return 2
  }
  if (args.help === true || args['base-url'] === undefined || args.seed === undefined) {
    console.error(usage)
    return args.help === true ? 0 : 2
  }
  const runs = Number(args.runs)
  const maxCommands = Number(args['max-commands'])
  if (!Number.isSafeInteger(runs) || runs < 1 || !Number.isSafeInteger(maxCommands) || maxCommands < 1) {
    console.error(`--runs and --max-commands take whole numbers ≥ 1\n${usage}`)
    return 2
  }
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(args.seed, 'utf8')) as unknown
  } catch (e) {
    console.error(`cannot read seed ${args.seed}: ${e instanceof Error ? e.message : String(e)}`)
    return 2
  }
  const decoded = OrgSeed.decode(raw)
  if (E.isLeft(decoded)) {
    console.error(`invalid seed ${args.seed}:\n${PathReporter.report(decoded).join('\n')}`)
    return 2
  }
  const seed = decoded.right
  const token = process.env['AUTHN_API_TOKEN']
  const headers = token === undefined || token === '' ? undefined : { authorization: `SSWS ${token}` }
  const base = { baseUrl: args['base-url'], ...(headers === undefined ? {} : { headers }) }
  const resetPath = args['reset-path']
  const started = Date.now()
  const report = await runConformance({
    seed,
    runs,
    maxCommands,
    ...(args['fc-seed'] === undefined ? {} : { fcSeed: Number(args['fc-seed']) }),
    progressEvery: Math.max(1, Math.floor(runs / 10)),
    onProgress: (done, total) => console.log(`${done}/${total} sequences (${((Date.now() - started) / 1000).toFixed(1)} s)`),
    makeSystem: async () => {
      const r = await postJson(base, resetPath, {})
      if (r.status !== 200 && r.status !== 204)
        throw new Error(`reset at ${resetPath} answered ${r.status} ${JSON.stringify(r.body)}: the implementation must restore the seeded org before each run`)
      return { driver: createHttpDriver(base), startTime: Date.now() }
    },
  })
  console.log(formatReport(report))
  return report.ok ? 0 : 1
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e))
    process.exitCode = 1
  },
)
