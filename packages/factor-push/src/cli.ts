#!/usr/bin/env node
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, realpathSync, renameSync, rmSync, writeSync } from 'node:fs'
import { hostname } from 'node:os'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { activateDevice, answerChallenge, DeviceRequestError, fetchTransport, parseEnrollmentUri, pendingChallenges, type DeviceState, type Transport } from './device.js'
import type { PushChallenge } from './gateway.js'

/**
 * `authn-push-device`: a command-line authenticator for push (docs/adr/0031-push.md), so a person
 * (or a test) can follow the flow by hand: enroll with the enrollment URI of the QR code or the
 * link sent by email, list the challenges waiting, approve one with the number the sign-in page
 * shows, or deny it. The device (its private key included) lives in a JSON state file, mode 0600.
 */

const COMMAND = 'authn-push-device'
const DEFAULT_STATE = 'authn-push-device.json'
const PLATFORMS = ['IOS', 'ANDROID', 'OTHER'] as const
type Platform = (typeof PLATFORMS)[number]

export const USAGE = `Usage: ${COMMAND} <command> [options]

A command-line push authenticator (push, provider OKTA) for an authn-machine server.

Commands:
  enroll <enrollment-uri>       activate this device with an enrollment URI (oktaverify://…, from the
                                QR code or the activation link) and save it in the state file
      --name NAME               the device's name (default: "<host name> (${COMMAND})")
      --platform IOS|ANDROID|OTHER   the platform the server records (default OTHER)
      --force                   replace a device already saved in the state file
  pending                       list the challenges waiting for an answer, oldest first
  approve [N|CHALLENGE_ID]      approve a challenge (default: the oldest); N is its number in \`pending\`
      --number NN               the number the sign-in page shows (required with number matching)
  deny [N|CHALLENGE_ID]         deny a challenge (default: the oldest)
  watch                         print each new challenge as it arrives, until interrupted (Ctrl-C)
      --interval SECONDS        how often to ask the server (default 2)
      --approve-with NN         approve each new challenge with NN (one that does not offer NN is
                                left alone; without number matching, each is approved)
      --deny                    deny each new challenge

Options:
  --state FILE                  the device's state file (default ./${DEFAULT_STATE}); it holds the
                                device's private key: keep it private
  -h, --help                    show this help

Exit codes: 0 done, 1 failed (no state file, refused by the server, unreachable), 2 usage error.
`

export interface CliIo {
  /** Writes text (whole lines, newline included) to standard output. */
  readonly stdout: (s: string) => void
  /** Writes text (whole lines, newline included) to standard error. */
  readonly stderr: (s: string) => void
  /** How the device reaches its server; default `fetchTransport()`. */
  readonly transport?: Transport
  /** The device's clock (epoch ms); default `Date.now`. */
  readonly now?: () => number
  /** Where a relative `--state` is resolved; default `process.cwd()`. */
  readonly cwd?: string
  /** Ends \`watch\` (which otherwise runs until interrupted); the command line wires SIGINT and SIGTERM to it. */
  readonly signal?: AbortSignal
}

/** An expected failure: a one-line message and an exit code (1 failure, 2 usage). */
class CliError extends Error {
  constructor(
    message: string,
    readonly code: 1 | 2,
  ) {
    super(message)
    this.name = 'CliError'
  }
}
const usageError = (message: string): CliError => new CliError(`${message} (see ${COMMAND} --help)`, 2)

interface Parsed {
  readonly command: string | undefined
  readonly args: ReadonlyArray<string>
  readonly statePath: string
  readonly force: boolean
  readonly name: string | undefined
  readonly platform: string | undefined
  readonly number: string | undefined
  readonly interval: string | undefined
  readonly approveWith: string | undefined
  readonly deny: boolean
  readonly help: boolean
}

const parse = (argv: ReadonlyArray<string>, cwd: string): Parsed => {
  let parsed
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        state: { type: 'string' },
        force: { type: 'boolean' },
        name: { type: 'string' },
        platform: { type: 'string' },
        number: { type: 'string' },
        interval: { type: 'string' },
        'approve-with': { type: 'string' },
        deny: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    })
  } catch (e) {
    throw usageError(e instanceof Error ? e.message : String(e))
  }
  const { values, positionals } = parsed
  return {
    command: positionals[0],
    args: positionals.slice(1),
    statePath: resolve(cwd, values.state ?? DEFAULT_STATE),
    force: values.force ?? false,
    name: values.name,
    platform: values.platform,
    number: values.number,
    interval: values.interval,
    approveWith: values['approve-with'],
    deny: values.deny ?? false,
    help: values.help ?? false,
  }
}

/** Which options each command takes (beyond --state and --help). */
type OptionName = 'force' | 'name' | 'platform' | 'number' | 'interval' | 'approve-with' | 'deny'
const ALLOWED: Record<string, { readonly options: ReadonlyArray<OptionName>; readonly maxArgs: number }> = {
  enroll: { options: ['force', 'name', 'platform'], maxArgs: 1 },
  pending: { options: [], maxArgs: 0 },
  approve: { options: ['number'], maxArgs: 1 },
  deny: { options: [], maxArgs: 1 },
  watch: { options: ['interval', 'approve-with', 'deny'], maxArgs: 0 },
}

const checkOptions = (p: Parsed, command: string): void => {
  const allowed = ALLOWED[command]
  if (allowed === undefined) throw usageError(`unknown command '${command.slice(0, 40)}'`)
  const given: Record<OptionName, unknown> = {
    force: p.force ? true : undefined,
    name: p.name,
    platform: p.platform,
    number: p.number,
    interval: p.interval,
    'approve-with': p.approveWith,
    deny: p.deny ? true : undefined,
  }
  for (const [option, value] of Object.entries(given)) {
    if (value !== undefined && !allowed.options.includes(option as OptionName)) throw usageError(`${command} takes no --${option}`)
  }
  if (p.args.length > allowed.maxArgs) throw usageError(`${command}: unexpected argument '${String(p.args[allowed.maxArgs]).slice(0, 40)}'`)
}

// --- the state file --------------------------------------------------------------------------

const isDeviceState = (v: unknown): v is DeviceState => {
  if (typeof v !== 'object' || v === null) return false
  const s = v as Record<string, unknown>
  return (
    typeof s['origin'] === 'string' &&
    typeof s['factorId'] === 'string' &&
    typeof s['userId'] === 'string' &&
    typeof s['login'] === 'string' &&
    (s['alg'] === 'ES256' || s['alg'] === 'RS256') &&
    typeof s['privateJwk'] === 'object' &&
    s['privateJwk'] !== null &&
    typeof s['name'] === 'string'
  )
}

const loadState = (path: string): DeviceState => {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new CliError(`no device at ${path}: run \`${COMMAND} enroll <enrollment-uri>\` first (or pass --state FILE)`, 1)
    throw new CliError(`cannot read ${path}: ${(e as Error).message}`, 1)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new CliError(`${path} is not a device state file: it is not JSON`, 1)
  }
  if (!isDeviceState(json)) throw new CliError(`${path} is not a device state file: origin, factorId, userId, login, alg, privateJwk and name are required`, 1)
  return json
}

/** Writes the state, mode 0600, through a temporary file renamed over the target (never a half-written device). */
const saveState = (path: string, state: DeviceState, force: boolean): void => {
  if (!force && existsSync(path)) throw new CliError(`${path} already holds a device: pass --force to replace it (or --state FILE for another)`, 1)
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`
  try {
    const fd = openSync(temporary, 'wx', 0o600)
    try {
      writeSync(fd, `${JSON.stringify(state, null, 2)}\n`)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(temporary, path)
  } catch (e) {
    rmSync(temporary, { force: true })
    throw new CliError(`cannot write ${path}: ${(e as Error).message}`, 1)
  }
}

// --- commands --------------------------------------------------------------------------------

const describeChallenge = (c: PushChallenge, index: number, now: number): string => {
  const from = [c.context.clientIp ?? 'unknown IP', c.context.userAgent === null ? null : `(${c.context.userAgent})`].filter((x) => x !== null).join(' ')
  const left = Math.max(0, Math.round((c.expiresAt - now) / 1000))
  const choices = c.choices === null ? 'no number matching' : `choices: ${c.choices.join(' ')}`
  return `${index + 1}. ${c.context.login} from ${from}, expires in ${left} s, ${choices} [${c.challengeId}]`
}

/** The challenge `ref` names (its 1-based number in `pending`, or its id); the oldest without one. */
const pick = (pending: ReadonlyArray<PushChallenge>, ref: string | undefined): PushChallenge => {
  if (pending.length === 0) throw new CliError('no challenge is waiting for this device', 1)
  if (ref === undefined) return pending[0] as PushChallenge
  const byId = pending.find((c) => c.challengeId === ref)
  if (byId !== undefined) return byId
  if (/^\d+$/.test(ref)) {
    const n = Number(ref)
    const byIndex = pending[n - 1]
    if (n >= 1 && byIndex !== undefined) return byIndex
    throw new CliError(`no challenge number ${ref}: ${pending.length} waiting (see \`${COMMAND} pending\`)`, 1)
  }
  throw new CliError(`no challenge ${ref.slice(0, 80)} is waiting (see \`${COMMAND} pending\`)`, 1)
}

const parseNumber = (raw: string, option = '--number'): number => {
  if (!/^\d{1,3}$/.test(raw.trim())) throw usageError(`${option} is the number the sign-in page shows, got '${raw.slice(0, 20)}'`)
  return Number(raw.trim())
}

/** Resolves after `ms`, or at once when `signal` aborts. */
const pause = (ms: number, signal: AbortSignal | undefined): Promise<void> =>
  new Promise((done) => {
    if (signal?.aborted === true) return done()
    const timer = setTimeout(finish, ms)
    function finish(): void {
      clearTimeout(timer)
      signal?.removeEventListener('abort', finish)
      done()
    }
    signal?.addEventListener('abort', finish, { once: true })
  })

/** `watch`: asks for the pending challenges every `intervalMs`, prints each new one once, and answers it when told to. */
const watch = async (state: DeviceState, p: Parsed, io: CliIo, device: { readonly transport: Transport; readonly now: () => number }): Promise<number> => {
  const interval = p.interval === undefined ? 2 : Number(p.interval)
  if (!Number.isFinite(interval) || interval < 0.1 || interval > 3600) throw usageError(`--interval is a number of seconds from 0.1 to 3600, got '${p.interval?.slice(0, 20) ?? ''}'`)
  if (p.deny && p.approveWith !== undefined) throw usageError('watch takes --approve-with or --deny, not both')
  const approveWith = p.approveWith === undefined ? undefined : parseNumber(p.approveWith, '--approve-with')
  const seen = new Set<string>()
  io.stdout(`watching for challenges to ${state.login} at ${state.origin} (every ${interval} s; Ctrl-C to stop)\n`)
  while (io.signal?.aborted !== true) {
    const pending = await pendingChallenges(state, device)
    const at = device.now()
    for (const [i, c] of pending.entries()) {
      if (seen.has(c.challengeId)) continue
      seen.add(c.challengeId)
      io.stdout(`${describeChallenge(c, i, at)}\n`)
      if (!p.deny && approveWith === undefined) continue
      if (approveWith !== undefined && c.choices !== null && !c.choices.includes(approveWith)) {
        io.stdout(`  left alone: ${approveWith} is not among its choices\n`)
        continue
      }
      const answer = p.deny ? { consent: 'DENIED' as const } : c.choices === null || approveWith === undefined ? { consent: 'APPROVED' as const } : { consent: 'APPROVED' as const, selectedAnswer: approveWith }
      try {
        const result = await answerChallenge(state, c.challengeId, answer, device)
        io.stdout(`  ${p.deny ? 'denied' : result === 'APPROVED' ? 'approved' : 'approved, but the server recorded DENIED: not the number shown'}\n`)
      } catch (e) {
        // One refused answer (expired, replaced) does not end the watch.
        if (!(e instanceof DeviceRequestError)) throw e
        io.stderr(`${COMMAND}: the server refused the answer to ${c.challengeId}: ${e.message}\n`)
      }
    }
    // Forget what is gone, so the set does not grow without bound.
    for (const id of seen) if (!pending.some((c) => c.challengeId === id)) seen.delete(id)
    await pause(interval * 1000, io.signal)
  }
  return 0
}

const run = async (argv: ReadonlyArray<string>, io: CliIo): Promise<number> => {
  const p = parse(argv, io.cwd ?? process.cwd())
  if (p.help || p.command === 'help') {
    io.stdout(USAGE)
    return 0
  }
  if (p.command === undefined) throw usageError('a command is required: enroll, pending, approve, deny or watch')
  checkOptions(p, p.command)
  const device = { transport: io.transport ?? fetchTransport(), now: io.now ?? Date.now }
  const now = device.now

  switch (p.command) {
    case 'enroll': {
      const uri = p.args[0]
      if (uri === undefined) throw usageError('enroll needs the enrollment URI (oktaverify://…)')
      let enrollment
      try {
        enrollment = parseEnrollmentUri(uri)
      } catch (e) {
        throw usageError((e as Error).message)
      }
      const platform = (p.platform ?? 'OTHER').toUpperCase()
      if (!PLATFORMS.includes(platform as Platform)) throw usageError(`--platform is IOS, ANDROID or OTHER, got '${p.platform?.slice(0, 20) ?? ''}'`)
      const name = p.name ?? `${hostname()} (${COMMAND})`
      if (name.trim() === '' || name.length > 255) throw usageError('--name is 1 to 255 characters')
      // Checked before activating too: the enrollment token is spent by a successful activation.
      if (!p.force && existsSync(p.statePath)) throw new CliError(`${p.statePath} already holds a device: pass --force to replace it (or --state FILE for another)`, 1)
      const state = await activateDevice(enrollment, { name, platform: platform as Platform }, device)
      saveState(p.statePath, state, p.force)
      io.stdout(`activated factor ${state.factorId} for ${state.login} at ${state.origin}\n`)
      io.stdout(`device saved in ${p.statePath}\n`)
      return 0
    }
    case 'pending': {
      const state = loadState(p.statePath)
      const pending = await pendingChallenges(state, device)
      if (pending.length === 0) {
        io.stdout(`no challenge is waiting for ${state.login} at ${state.origin}\n`)
        return 0
      }
      const at = now()
      io.stdout(pending.map((c, i) => `${describeChallenge(c, i, at)}\n`).join(''))
      return 0
    }
    case 'approve':
    case 'deny': {
      const state = loadState(p.statePath)
      const number = p.number === undefined ? undefined : parseNumber(p.number)
      const challenge = pick(await pendingChallenges(state, device), p.args[0])
      if (p.command === 'deny') {
        await answerChallenge(state, challenge.challengeId, { consent: 'DENIED' }, device)
        io.stdout(`denied: ${challenge.context.login} [${challenge.challengeId}]\n`)
        return 0
      }
      let answer: { readonly consent: 'APPROVED'; readonly selectedAnswer?: number } = { consent: 'APPROVED' }
      if (challenge.choices !== null) {
        if (number === undefined) throw usageError(`number matching: pass --number, the number the sign-in page shows (one of ${challenge.choices.join(', ')}); nothing was sent`)
        if (!challenge.choices.includes(number)) throw usageError(`${number} is not one of this challenge's choices (${challenge.choices.join(', ')}): nothing was sent`)
        answer = { consent: 'APPROVED', selectedAnswer: number }
      }
      const result = await answerChallenge(state, challenge.challengeId, answer, device)
      if (result !== 'APPROVED') {
        io.stderr(`${COMMAND}: the server recorded the answer as ${result}: ${number ?? ''} is not the number the sign-in page shows; that sign-in is refused\n`)
        return 1
      }
      io.stdout(`approved: ${challenge.context.login} [${challenge.challengeId}]\n`)
      return 0
    }
    case 'watch':
      return watch(loadState(p.statePath), p, io, device)
    default:
      throw usageError(`unknown command '${p.command.slice(0, 40)}'`)
  }
}

/** Runs `authn-push-device` with `argv` (the arguments after the command); resolves with its exit code. */
export const runCli = async (argv: string[], io: CliIo): Promise<number> => {
  try {
    return await run(argv, io)
  } catch (e) {
    if (e instanceof CliError) {
      io.stderr(`${COMMAND}: ${e.message}\n`)
      return e.code
    }
    if (e instanceof DeviceRequestError) {
      io.stderr(`${COMMAND}: the server refused: ${e.message}\n`)
      return 1
    }
    // fetch's failures (refused connection, DNS, timeout) carry the reason in `cause`.
    const cause = e instanceof Error && e.cause instanceof Error ? `: ${e.cause.message}` : ''
    io.stderr(`${COMMAND}: ${e instanceof Error ? e.message : String(e)}${cause}\n`)
    return 1
  }
}

const isMain = (): boolean => {
  const script = process.argv[1]
  if (script === undefined) return false
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url))
  } catch {
    return false
  }
}

/** Runs the command for this process: `watch` stops on SIGINT or SIGTERM; the exit code is runCli's. */
export const main = async (): Promise<void> => {
  const stop = new AbortController()
  const onSignal = (): void => stop.abort()
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    process.exitCode = await runCli(process.argv.slice(2), { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s), signal: stop.signal })
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

if (isMain()) await main()
