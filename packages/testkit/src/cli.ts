#!/usr/bin/env node
/**
 * authn-conformance: runs the model-based harness over HTTP against any implementation.
 *
 *   authn-conformance --base-url http://127.0.0.1:8080 --seed org.json --runs 200 [--reset-path /__conformance/reset]
 *                     [--max-commands 30] [--fc-seed N] [--counterexample FILE]
 *   authn-conformance --base-url http://127.0.0.1:8080 --replay FILE
 * The implementation's API token, if it needs one, is read from AUTHN_API_TOKEN (a flag's value shows in ps).
 *
 * `--help` lists every option and the reset contract. Before the first run it checks that the
 * implementation answers (a server that is down, a missing reset endpoint and a wrong base URL are
 * each said plainly). Each run starts from the seeded org: before each run the harness POSTs to `--reset-path`
 * (with `Authorization: SSWS <api token>` when given), which must restore the org of `--seed`.
 * The reference server offers it when started with `--conformance`. Exit code 0 when every run
 * agrees with the model, 1 on a disagreement (the shrunk sequence is printed step by step, request,
 * expected and actual, and written to a JSON file that `--replay` runs again), 2 on bad usage.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import * as E from 'fp-ts/lib/Either.js'
import { PathReporter } from 'io-ts/lib/PathReporter.js'
import { OrgSeed } from '@authn-machine/core'
import { formatReport, runConformance, type Counterexample } from './harness/harness.js'
import { createHttpDriver, postJson } from './harness/http-driver.js'

const usage =
  'usage: authn-conformance --base-url URL --seed FILE [--runs N] [--reset-path PATH] [--max-commands N] [--fc-seed N] [--counterexample FILE]\n' +
  '       authn-conformance --base-url URL --replay FILE [--reset-path PATH]\n' +
  '(the API token, if needed: AUTHN_API_TOKEN in the environment; --help for every option)'

const help = `authn-conformance: runs the model-based harness over HTTP against an implementation of Okta's
classic authn API, and exits 0 when every run agrees with the model, 1 on a disagreement or when
the implementation cannot be used, 2 on bad usage.

Options:
  --base-url URL       the implementation's origin, serving POST /api/v1/authn (required)
  --seed FILE          the org every run starts from, the JSON the reference server's --seed reads
                       (docs/seed-format.md); relative dates (now-85d) are resolved the way the
                       reference server resolves them, when each run starts (required)
  --runs N             command sequences to run (default 100)
  --max-commands N     commands per sequence at most (default 30)
  --reset-path PATH    where to POST before each run (default /__conformance/reset)
  --fc-seed N          fast-check's seed, to run the same sequences again
  --counterexample FILE
                       where a disagreement is written, as JSON (default
                       authn-counterexample.json in the working directory): the org, the shrunk
                       commands, each request with what the model expected and what came back,
                       the first divergence, and what --replay needs
  --replay FILE        runs the counterexample of FILE once more against --base-url (the org is
                       the file's; --seed, --runs and --fc-seed are not given with it) and prints
                       it step by step: after a fix, it passes
  --help               this text

Environment:
  AUTHN_API_TOKEN      sent as Authorization: SSWS <token> (trusted caller: lifecycle operations,
                       the reset, the outbox); never a flag, whose value would show in ps

The reset contract: POST <reset-path> with an empty JSON object answers 200 or 204 once the
implementation holds exactly the org of --seed again (no transaction, token, lock, factor enrolled
since, or rate-limit count left over). With GET /__dev/outbox?to=<address> answering the messages
sent to it (newest first, JSON array of { channel, to, text, purpose, createdAt }), codes and
recovery links are read back and those flows are driven too. The reference server offers both with
--conformance --dev-outbox.`

/** Why the implementation at `base` cannot be driven, or null: the reset and the API answer. */
const preflight = async (base: { readonly baseUrl: string; readonly headers?: Readonly<Record<string, string>> }, resetPath: string, hasToken: boolean): Promise<string | null> => {
  const describe = (e: unknown): string => {
    const cause = e instanceof Error && e.cause instanceof Error ? e.cause : e
    const code = typeof cause === 'object' && cause !== null && 'code' in cause ? String((cause as { code: unknown }).code) : null
    return code ?? (cause instanceof Error ? cause.message : String(cause))
  }
  let reset
  try {
    reset = await postJson(base, resetPath, {})
  } catch (e) {
    return `cannot reach ${base.baseUrl} (${describe(e)}): is the implementation running, and is --base-url its origin?`
  }
  if (reset.status === 404)
    return `POST ${resetPath} answered 404: the implementation has no reset endpoint there. Start the reference server with --conformance, or give your implementation's path with --reset-path (the contract: --help).`
  if (reset.status === 401 || reset.status === 403)
    return `POST ${resetPath} answered ${reset.status}: ${hasToken ? 'AUTHN_API_TOKEN is not accepted' : 'it needs an API token; set AUTHN_API_TOKEN'}.`
  if (reset.status !== 200 && reset.status !== 204) return `POST ${resetPath} answered ${reset.status} ${JSON.stringify(reset.body)}: the reset must answer 200 or 204 (the contract: --help).`
  const probe = await postJson(base, '/api/v1/authn', {}).catch((e: unknown) => describe(e))
  if (typeof probe === 'string') return `POST /api/v1/authn failed (${probe})`
  const code = typeof probe.body === 'object' && probe.body !== null ? (probe.body as Record<string, unknown>)['errorCode'] : undefined
  if (probe.status !== 400 || typeof code !== 'string')
    return `POST /api/v1/authn with {} answered ${probe.status} ${JSON.stringify(probe.body).slice(0, 200)}, not an Okta 400: is --base-url the origin that serves /api/v1/authn?`
  return null
}

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
        counterexample: { type: 'string', default: 'authn-counterexample.json' },
        replay: { type: 'string' },
        help: { type: 'boolean' },
      },
    }).values
  } catch (e) {
    console.error(`${e instanceof Error ? e.message : String(e)}\n${usage}`)
    return 2
  }
  if (args.help === true) {
    console.log(help)
    return 0
  }
  const replay = args.replay === undefined ? undefined : readReplay(args.replay)
  if (typeof replay === 'string') {
    console.error(replay)
    return 2
  }
  if (replay !== undefined && (args.seed !== undefined || args['fc-seed'] !== undefined || process.argv.some((a) => a === '--runs' || a.startsWith('--runs=')))) {
    console.error(`--replay runs the file's org and sequence: --seed, --runs and --fc-seed do not go with it\n${usage}`)
    return 2
  }
  if (args['base-url'] === undefined || (args.seed === undefined && replay === undefined)) {
    console.error(usage)
    return 2
  }
  const runs = Number(args.runs)
  const maxCommands = Number(args['max-commands'])
  if (!Number.isSafeInteger(runs) || runs < 1 || !Number.isSafeInteger(maxCommands) || maxCommands < 1) {
    console.error(`--runs and --max-commands take whole numbers ≥ 1\n${usage}`)
    return 2
  }
  let raw: unknown = replay?.seed
  const seedFile = args.seed ?? `the org of ${args.replay ?? ''}`
  if (args.seed !== undefined)
    try {
      raw = JSON.parse(readFileSync(args.seed, 'utf8')) as unknown
    } catch (e) {
      console.error(`cannot read seed ${args.seed}: ${e instanceof Error ? e.message : String(e)}`)
      return 2
    }
  const decoded = OrgSeed.decode(raw)
  if (E.isLeft(decoded)) {
    console.error(`invalid seed ${seedFile}:\n${PathReporter.report(decoded).join('\n')}`)
    return 2
  }
  const seed = decoded.right
  const token = process.env['AUTHN_API_TOKEN']
  const headers = token === undefined || token === '' ? undefined : { authorization: `SSWS ${token}` }
  const base = { baseUrl: args['base-url'], ...(headers === undefined ? {} : { headers }) }
  const resetPath = args['reset-path']
  const unusable = await preflight(base, resetPath, headers !== undefined)
  if (unusable !== null) {
    console.error(unusable)
    return 1
  }
  const started = Date.now()
  const report = await runConformance({
    seed,
    runs: replay === undefined ? runs : 1,
    maxCommands: replay?.maxCommands ?? maxCommands,
    ...(args['fc-seed'] === undefined ? {} : { fcSeed: Number(args['fc-seed']) }),
    ...(replay === undefined ? {} : { replay }),
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
  if (replay !== undefined && report.ok) console.log(`\nthe counterexample of ${args.replay ?? ''} now passes`)
  if (report.counterexample !== null) {
    const file = args.counterexample
    writeFileSync(file, `${JSON.stringify(report.counterexample, null, 2)}\n`)
    console.log(`\ncounterexample written to ${file}; run it again with: authn-conformance --base-url ${args['base-url']} --replay ${file}`)
  }
  return report.ok ? 0 : 1
}

/** The counterexample of a file written by an earlier run, or why it cannot be replayed. */
const readReplay = (file: string): Counterexample | string => {
  let c: unknown
  try {
    c = JSON.parse(readFileSync(file, 'utf8')) as unknown
  } catch (e) {
    return `cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`
  }
  const o = typeof c === 'object' && c !== null ? (c as Partial<Record<keyof Counterexample, unknown>>) : {}
  if (o.format !== 'authn-conformance-counterexample/1' || typeof o.fcSeed !== 'number' || typeof o.path !== 'string' || typeof o.maxCommands !== 'number')
    return `${file} is not a counterexample written by authn-conformance (format authn-conformance-counterexample/1)`
  if (o.varyPolicies === true) return `${file} comes from a run with drawn policies (in process); over HTTP the org is the implementation's, so it cannot be replayed here`
  return c as Counterexample
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
