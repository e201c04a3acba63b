#!/usr/bin/env node
// The reference server's command line: `pnpm start [options]`. See USAGE in options.ts.
import { readFile } from 'node:fs/promises'
import { keySourceFromYubicoCsv, type YubikeyKeySource } from '@authn-machine/factor-yubikey'
import type { ApnsConfig } from '@authn-machine/factor-push'
import type { SymantecOptions } from '@authn-machine/factor-symantec'
import { formatBanner, seedPasswordsHeld } from './banner.js'
import { createLogger, errorFields, type ServerLogger } from './logging.js'
import { describeMessageRoutes } from './messages.js'
import { parseCommandLine, USAGE, type ServerOptions } from './options.js'
import { DEMO_SEED_PATH, readSeedFile } from './seed-file.js'
import { startServer, type RunningServer } from './server.js'

const fail = (message: string, code: number): never => {
  process.stderr.write(`authn-machine: ${message}\n`)
  process.exit(code)
}

/** JSON lines on stdout, once the options are read. */
let logger: ServerLogger | undefined

const main = async (): Promise<void> => {
  const parsed = parseCommandLine(process.argv.slice(2), process.env)
  if (parsed._tag === 'Help') {
    process.stdout.write(USAGE)
    return
  }
  if (parsed._tag === 'Invalid') return fail(`${parsed.message}\n\n${USAGE}`, 2)
  const o = parsed.options
  logger = createLogger({ level: o.logLevel })

  // Signals are handled from the start: one while storage opens stops the server once it is up,
  // and a repeated one (Ctrl-C under `pnpm start` arrives from the terminal and again relayed by
  // pnpm) changes nothing; the shutdown is bounded anyway (connections still open after the grace
  // period are closed).
  let server: RunningServer | null = null
  let stopping: NodeJS.Signals | null = null
  const shutDown = (s: RunningServer) =>
    s.close().then(
      () => process.exit(0),
      (e: unknown) => fail(`shutdown failed: ${e instanceof Error ? e.message : String(e)}`, 1),
    )
  const stop = (signal: NodeJS.Signals) => {
    if (stopping !== null) return
    stopping = signal
    process.stdout.write(`${signal}: finishing in-flight requests, then exiting\n`)
    logger?.info({ signal }, 'signal received')
    if (server !== null) void shutDown(server)
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)

  // The seed is read before anything opens: an unreadable one stops here.
  const seedPath = o.seedPath ?? DEMO_SEED_PATH
  const seed = await readSeedFile(seedPath)
  // The YubiKey key file too: a problem in it stops here, each with its line.
  const yubikeyKeys = o.yubikeyKeysPath === null ? undefined : await readYubikeyKeys(o.yubikeyKeysPath)
  // And the Symantec VIP client certificate: a file that cannot be read stops here.
  const symantec = o.symantec === null ? undefined : await readSymantec(o.symantec, process.env['AUTHN_SYMANTEC_KEY_PASSPHRASE'])
  // And the APNs key: a file that cannot be read stops here.
  const apns = o.push.apns === null ? undefined : await readApns(o.push.apns)
  const slow = o.store === 'embedded' ? ` in ${o.dataDir} (the first start of the embedded database takes 10 to 20 s)` : ''
  server = await startServer({
    ...(yubikeyKeys === undefined ? {} : { yubikeyKeys }),
    ...(o.yubicoValidation === null ? {} : { yubikeyValidation: { ...o.yubicoValidation, timeoutMs: 5_000 } }),
    ...(symantec === undefined ? {} : { symantec }),
    ...(o.rsa === null ? {} : { rsa: { server: o.rsa, timeoutMs: 2_000, retries: 1 } }),
    ...(o.duo === null ? {} : { duo: o.duo }),
    push: { numberChallenge: o.push.numberChallenge, ...(apns === undefined ? {} : { apns }) },
    progress: (line) => process.stdout.write(`authn-machine: ${line}${line.includes('opening') ? slow : ''}...\n`),
    host: o.host,
    port: o.port,
    ...(o.publicBaseUrl === null ? {} : { publicBaseUrl: o.publicBaseUrl }),
    apiTokens: o.apiTokens,
    trustedOrigins: o.trustedOrigins,
    allowedHosts: o.allowedHosts,
    trustedProxies: o.trustedProxies,
    seed,
    store: {
      kind: o.store,
      dataDir: o.dataDir,
      ...(o.databaseUrl === null ? {} : { databaseUrl: o.databaseUrl }),
      migrate: o.migrate,
      ...(o.schema === null ? {} : { schema: o.schema }),
      rateLimitStore: o.rateLimitStore,
      ...(o.redis === null ? {} : { redis: o.redis }),
    },
    conformance: o.conformance,
    devOutbox: o.devOutbox,
    messages: o.messages,
    bodyLimit: o.bodyLimit,
    headersTimeoutMs: o.headersTimeoutMs,
    requestTimeoutMs: o.requestTimeoutMs,
    maxConnections: o.maxConnections,
    logger,
    metrics: o.metrics,
    ...(o.metricsToken === null ? {} : { metricsToken: o.metricsToken }),
  })
  if (stopping !== null) return void shutDown(server)
  // The demo's passwords are shown only while the store still holds them.
  const shown = o.seedPath === null ? await seedPasswordsHeld(seed, server.org) : new Set<string>()
  process.stdout.write(
    formatBanner({
      url: server.url,
      publicUrl: server.publicUrl,
      store: o.store,
      seedLabel: o.seedPath ?? 'demo',
      seed,
      org: server.org,
      showSecrets: o.seedPath === null,
      passwordsHeld: shown,
      now: Date.now(),
      messages: describeMessageRoutes(o.messages),
      ...(o.devOutbox ? { devOutbox: { needsToken: o.apiTokens.length > 0 } } : {}),
      operations: { metrics: o.metrics, metricsNeedToken: o.apiTokens.length > 0 || o.metricsToken !== null },
    }),
  )
}

main().catch((e: unknown) => {
  logger?.fatal({ err: errorFields(e) }, 'server failed to start')
  fail(e instanceof Error ? e.message : String(e), 1)
})

/** The key source of a Yubico-format key file, or a one-line error naming the file and its bad lines. */
const readYubikeyKeys = async (path: string): Promise<YubikeyKeySource> => {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (e) {
    throw new Error(`cannot read the YubiKey key file ${path}: ${e instanceof Error ? e.message : String(e)}`, { cause: e })
  }
  const keys = keySourceFromYubicoCsv(text)
  if (keys._tag === 'Left') throw new Error(`the YubiKey key file ${path} is not a Yubico-format key list: ${keys.left.join('; ')}`)
  return keys.right
}

/** The APNs gateway's options: the token key and CA files read; a file that cannot be read is one line. */
const readApns = async (o: NonNullable<ServerOptions['push']['apns']>): Promise<ApnsConfig> => {
  const read = async (what: string, path: string): Promise<string> => {
    try {
      return await readFile(path, 'utf8')
    } catch (e) {
      throw new Error(`cannot read the APNs ${what} ${path}: ${e instanceof Error ? e.message : String(e)}`, { cause: e })
    }
  }
  return {
    teamId: o.teamId,
    keyId: o.keyId,
    topic: o.topic,
    privateKey: await read('token key', o.keyPath),
    ...(o.origin === null ? {} : { origin: o.origin }),
    ...(o.caPath === null ? {} : { ca: await read('CA file', o.caPath) }),
  }
}

/** The VIP client's options: the certificate, key and CA files read; a file that cannot be read is one line. */
const readSymantec = async (
  o: NonNullable<ServerOptions['symantec']>,
  passphrase: string | undefined,
): Promise<SymantecOptions> => {
  const read = async (what: string, path: string): Promise<string> => {
    try {
      return await readFile(path, 'utf8')
    } catch (e) {
      throw new Error(`cannot read the Symantec VIP ${what} ${path}: ${e instanceof Error ? e.message : String(e)}`, { cause: e })
    }
  }
  return {
    endpoint: o.url,
    clientCert: await read('client certificate', o.certPath),
    clientKey: await read('client key', o.keyPath),
    ...(o.caPath === null ? {} : { ca: await read('CA file', o.caPath) }),
    ...(passphrase === undefined || passphrase === '' ? {} : { passphrase }),
    timeoutMs: 5_000,
  }
}
