import { isIP } from 'node:net'
import { parseArgs } from 'node:util'
import { decodeApiKey, verifyUrlOf } from '@authn-machine/factor-yubikey'
import { isRedisUrl } from '@authn-machine/rate-limiter-redis'
import { isLogLevel, LOG_LEVELS, type LogLevel } from './logging.js'
import { DEFAULT_SMTP_FROM, messageRoutesFrom, type MessageRoutes } from './messages.js'
import {
  DEFAULT_DATA_DIR,
  defaultRateLimitStore,
  isRateLimitStoreKind,
  isStoreKind,
  RATE_LIMIT_STORE_KINDS,
  STORE_KINDS,
  type RateLimitStoreKind,
  type RedisConfig,
  type StoreKind,
} from './stores.js'

/** What the command line and the environment configure. */
export interface ServerOptions {
  readonly host: string
  readonly port: number
  readonly publicBaseUrl: string | null
  readonly apiTokens: ReadonlyArray<string>
  readonly trustedOrigins: ReadonlyArray<string>
  /** Host headers links may follow without a public URL (besides loopback names). */
  readonly allowedHosts: ReadonlyArray<string>
  /** Gateways whose X-Forwarded-For is read for trusted callers (addresses or CIDR blocks). */
  readonly trustedProxies: ReadonlyArray<string>
  /** Seed file; null means the demo org committed with the package. */
  readonly seedPath: string | null
  /** Yubico-format key file for the YubiKey OTP factor; null: the family is not offered. */
  readonly yubikeyKeysPath: string | null
  /** Yubico validation servers (protocol 2.0) checking YubiKey OTPs instead of a key file, the API key from AUTHN_YUBICO_API_KEY; null: not used. */
  readonly yubicoValidation: { readonly urls: ReadonlyArray<string>; readonly clientId: string; readonly apiKey: string } | null
  /** The Symantec VIP service and the files of its client certificate; null: the family is not offered. */
  readonly symantec: { readonly url: string; readonly certPath: string; readonly keyPath: string; readonly caPath: string | null } | null
  /** The RADIUS server of RSA SecurID (its shared secret from AUTHN_RSA_RADIUS_SECRET); null: the family is not offered. */
  readonly rsa: { readonly host: string; readonly port: number; readonly secret: string } | null
  /** Duo (Web v2): the API host and keys (secret and application keys from the environment); null: the family is not offered. */
  readonly duo: {
    readonly apiHost: string
    readonly integrationKey: string
    readonly secretKey: string
    readonly applicationKey: string
    readonly usernameFormat: 'login' | 'localPart'
  } | null
  /**
   * Push (always offered): number matching on or off, and APNs, when configured (the key file's
   * path; its PEM is read on start), for devices that give a push token; devices without one
   * fetch their challenges from the server.
   */
  readonly push: {
    readonly numberChallenge: boolean
    readonly apns: { readonly teamId: string; readonly keyId: string; readonly topic: string; readonly keyPath: string; readonly origin: string | null; readonly caPath: string | null } | null
  }
  readonly store: StoreKind
  /** PGlite data folder of the `embedded` store. */
  readonly dataDir: string
  /** Connection string of the `postgres` store. */
  readonly databaseUrl: string | null
  /** Apply the PostgreSQL migrations on start (`postgres`; `embedded` always migrates). */
  readonly migrate: boolean
  /** PostgreSQL schema of the tables (null: the adapter's default, `authn`). */
  readonly schema: string | null
  /** Where the rate-limit counts live. */
  readonly rateLimitStore: RateLimitStoreKind
  /** The Redis of the `redis` rate-limit store (from `AUTHN_REDIS_URL`); null for the others. */
  readonly redis: RedisConfig | null
  /** Serve `POST /__conformance/reset` (restores the seeded org) for the conformance harness. */
  readonly conformance: boolean
  /** Serve `GET /__dev/outbox?to=…`: the dev outbox's messages, codes included. */
  readonly devOutbox: boolean
  /** Where each channel's messages go: a configured sender, else the dev outbox. */
  readonly messages: MessageRoutes
  readonly bodyLimit: number
  /** Seconds for a client to send its headers, then the whole request; open connections at most. */
  readonly headersTimeoutMs: number
  readonly requestTimeoutMs: number
  readonly maxConnections: number
  /** Least level of the JSON log lines on stdout (`silent`: none). */
  readonly logLevel: LogLevel
  /** Serve `GET /metrics` and count. */
  readonly metrics: boolean
  /** A token for `/metrics` only (`Authorization: Bearer`), from `AUTHN_METRICS_TOKEN`. */
  readonly metricsToken: string | null
}

export type ParsedCommandLine =
  | { readonly _tag: 'Run'; readonly options: ServerOptions }
  | { readonly _tag: 'Help' }
  | { readonly _tag: 'Invalid'; readonly message: string }

export const USAGE = `Usage: pnpm start [options]        (or: authn-machine-server [options])

Serves Okta's classic /api/v1/authn for a seeded org.

Options (each also read from the environment variable shown; options win):
  --host HOST              interface to listen on (AUTHN_HOST)            default 127.0.0.1
  --port PORT              port, 0 = any free port (AUTHN_PORT)           default 8080
  --public-url URL         origin for links in responses (AUTHN_PUBLIC_URL)
                           default: http://<Host header of each request>
  --trusted-origin ORIGIN  browser origin allowed cross-origin (CORS), e.g. https://app.example.com;
                           repeatable (AUTHN_TRUSTED_ORIGINS, comma-separated)
  --allowed-host HOST      without --public-url, a Host header links may follow (name, or name:port),
                           besides loopback names; repeatable (AUTHN_ALLOWED_HOSTS, comma-separated).
                           Listening beyond loopback needs --public-url or an allowed host
  --trusted-proxy ADDRESS  a gateway (IP address or CIDR block) whose X-Forwarded-For is read for
                           trusted callers, from the right; repeatable (AUTHN_TRUSTED_PROXIES)
  --seed FILE              org to load, JSON as in docs/seed-format.md (AUTHN_SEED)
                           default: the demo org, packages/server/seeds/demo.json
  --yubikey-keys FILE      YubiKey OTP keys, Yubico-format CSV (AUTHN_YUBIKEY_KEYS): offers the
                           token:hardware/YUBICO factor; the file holds AES keys, keep it private
  --yubico-validation-url URL
                           or: a Yubico validation server (protocol 2.0, /wsapi/2.0/verify added to a
                           URL without a path) checks the OTPs; repeatable or comma-separated, tried
                           in order when one does not answer (AUTHN_YUBICO_VALIDATION_URL), with
                           --yubico-client-id ID (AUTHN_YUBICO_CLIENT_ID) and the API key (base64)
                           in AUTHN_YUBICO_API_KEY; not with --yubikey-keys
  --symantec-vip-url URL   Symantec VIP validation service, https (AUTHN_SYMANTEC_VIP_URL): offers
                           the token/SYMANTEC factor, with --symantec-cert FILE and --symantec-key
                           FILE (PEM; AUTHN_SYMANTEC_CERT, AUTHN_SYMANTEC_KEY; the key's passphrase
                           in AUTHN_SYMANTEC_KEY_PASSPHRASE), --symantec-ca FILE to trust instead
                           of the system's CAs (AUTHN_SYMANTEC_CA)
  --rsa-radius HOST:PORT   RADIUS server of RSA SecurID (AUTHN_RSA_RADIUS; the shared secret in
                           AUTHN_RSA_RADIUS_SECRET): offers the token/RSA factor
  --duo-api-host HOST      Duo's API host name (AUTHN_DUO_API_HOST): offers the web/DUO factor
                           (Duo Web v2), with --duo-integration-key KEY (AUTHN_DUO_INTEGRATION_KEY),
                           the secret key in AUTHN_DUO_SECRET_KEY and an application key of this
                           server (40 or more characters, kept secret) in AUTHN_DUO_APPLICATION_KEY;
                           --duo-username-format login|localPart: the Duo user name is the login
                           or its part before '@' (AUTHN_DUO_USERNAME_FORMAT)  default login
  --push-number-challenge on|off  push (always offered) asks the user to pick the number the
                           sign-in page shows (AUTHN_PUSH_NUMBER_CHALLENGE)  default on
  --apns-key FILE          APNs token key (.p8, PEM) for push notifications to iOS devices
                           (AUTHN_APNS_KEY_FILE), with --apns-team-id ID, --apns-key-id ID and
                           --apns-topic BUNDLE_ID (AUTHN_APNS_TEAM_ID, AUTHN_APNS_KEY_ID,
                           AUTHN_APNS_TOPIC); --apns-origin URL for another APNs endpoint
                           (AUTHN_APNS_ORIGIN), --apns-ca FILE to also trust (AUTHN_APNS_CA)
  --store KIND             where transactions and users live: ${STORE_KINDS.join(' | ')} (AUTHN_STORE)
                           default: postgres when a database URL is set, else embedded
                             embedded  PostgreSQL in-process (PGlite), kept in --data-dir across restarts
                             postgres  a PostgreSQL server at --database-url
                             memory    throwaway, in this process
  --data-dir DIR           folder of the embedded store (AUTHN_DATA_DIR)  default ${DEFAULT_DATA_DIR}
  --database-url URL       PostgreSQL connection string (DATABASE_URL); one with a password
                           only in DATABASE_URL (a flag's value shows in ps)
  --migrate                apply the PostgreSQL migrations on start (AUTHN_MIGRATE=1)
  --schema NAME            PostgreSQL schema of the tables (AUTHN_SCHEMA)   default authn
  --rate-limit-store KIND  where rate-limit counts live: ${RATE_LIMIT_STORE_KINDS.join(' | ')}
                           (AUTHN_RATE_LIMIT_STORE)  default: postgres with the postgres store, else memory
                             memory    in this process: each server counts on its own
                             postgres  per-username and per-state-token counts in the database,
                                       per-client ones in each process (postgres store only)
                             redis     every count in Redis at AUTHN_REDIS_URL, shared by all servers
  --redis-cluster          AUTHN_REDIS_URL names nodes of a Redis Cluster (AUTHN_REDIS_CLUSTER=1)
  --redis-key-prefix P     prefix of the rate-limit keys (AUTHN_REDIS_KEY_PREFIX)  default authn:rl;
                           deployments that share one Redis need one each
  --conformance            serve POST /__conformance/reset, which restores the seeded org, for
                           authn-conformance; needs an API token when tokens are configured
                           (AUTHN_CONFORMANCE=1). Never in production.
  --dev-outbox             serve GET /__dev/outbox?to=RECIPIENT: the messages kept by the dev outbox,
                           one-time codes included, newest first, as JSON; needs an API token when
                           tokens are configured (AUTHN_DEV_OUTBOX=1); the front page lists them in a
                           side panel. Never in production.
  --body-limit BYTES       largest request body (AUTHN_BODY_LIMIT)        default 65536
  --headers-timeout SEC    time for a client to send its headers, then 408 (AUTHN_HEADERS_TIMEOUT) default 10
  --request-timeout SEC    time for a whole request, then 408 (AUTHN_REQUEST_TIMEOUT)   default 30
  --max-connections N      open connections at most (AUTHN_MAX_CONNECTIONS)           default 1024
  --log-level LEVEL        JSON log lines on stdout from this level up: ${LOG_LEVELS.join(' | ')}
                           (AUTHN_LOG_LEVEL)                              default info
  --no-metrics             do not serve GET /metrics (AUTHN_METRICS=0); served by default, needing
                           a token when API tokens or AUTHN_METRICS_TOKEN are set
  -h, --help               show this text

Messages (one-time codes by email, SMS and voice call). A channel with no sender below goes to the
dev outbox, which delivers nothing: it keeps the last 200 messages in memory and prints each one,
code included, to this server's output. One sender per channel.
  --smtp-url URL           email over SMTP: smtp://user:password@host:port (STARTTLS when offered,
                           default port 587) or smtps://user:password@host:port (TLS, default 465)
                           (AUTHN_SMTP_URL); one with a password only in AUTHN_SMTP_URL
  --smtp-from ADDRESS      From of the emails (AUTHN_SMTP_FROM)
                           default ${DEFAULT_SMTP_FROM}
  --twilio-account-sid SID SMS and voice calls through Twilio's REST API (AUTHN_TWILIO_ACCOUNT_SID);
                           its auth token is read from AUTHN_TWILIO_AUTH_TOKEN only
  --twilio-from NUMBER     sending number, E.164, e.g. +15005550006 (AUTHN_TWILIO_FROM)
  --twilio-base-url URL    another service speaking Twilio's API (AUTHN_TWILIO_BASE_URL)
                           default Twilio's public API
  --email-webhook-url URL  a channel's messages as signed JSON POSTs to URL (AUTHN_EMAIL_WEBHOOK_URL,
  --sms-webhook-url URL    AUTHN_SMS_WEBHOOK_URL, AUTHN_CALL_WEBHOOK_URL); the HMAC-SHA256 key is read
  --call-webhook-url URL   from AUTHN_WEBHOOK_SECRET only (header X-Authn-Signature: sha256=<hex>)

Secrets come from the environment only, never from flags (which show in ps):
  AUTHN_API_TOKENS         admin API tokens for trusted callers ("Authorization: SSWS TOKEN"),
                           comma-separated, each at least 16 characters; needed for the user
                           lifecycle operations
  AUTHN_SECRET_KEYS        keys sealing factor secrets: id:base64key[,id:base64key…], first current
  AUTHN_METRICS_TOKEN      a token for GET /metrics only ("Authorization: Bearer TOKEN"), at least
                           16 characters; an API token (SSWS) is accepted there too
  AUTHN_TWILIO_AUTH_TOKEN, AUTHN_WEBHOOK_SECRET, AUTHN_YUBICO_API_KEY   as above
  AUTHN_REDIS_URL          Redis for --rate-limit-store redis: redis://[user:password@]host[:port][/db],
                           rediss://… for TLS; with --redis-cluster one or more nodes, comma-separated

Endpoints: GET / (the front page: the Okta Sign-In Widget, served from its npm package under
/widget/), POST /api/v1/authn[/...], POST /api/v1/sessions, GET /health/live, GET /health/ready
(the store answers), GET /health (= live), GET /metrics, and with an API token
POST /api/v1/users/{id}/lifecycle/{unlock|suspend|unsuspend|deactivate|expire_password}.
Stops gracefully on SIGINT / SIGTERM.
`

/** Secrets are read from the environment only; a flag for one is refused (without repeating its value). */
const SECRET_FLAGS = [
  { flag: '--api-token', variable: 'AUTHN_API_TOKENS' },
  { flag: '--twilio-auth-token', variable: 'AUTHN_TWILIO_AUTH_TOKEN' },
  { flag: '--webhook-secret', variable: 'AUTHN_WEBHOOK_SECRET' },
  { flag: '--metrics-token', variable: 'AUTHN_METRICS_TOKEN' },
  { flag: '--redis-url', variable: 'AUTHN_REDIS_URL' },
  { flag: '--yubico-api-key', variable: 'AUTHN_YUBICO_API_KEY' },
  { flag: '--duo-secret-key', variable: 'AUTHN_DUO_SECRET_KEY' },
  { flag: '--duo-application-key', variable: 'AUTHN_DUO_APPLICATION_KEY' },
] as const

/** Interfaces that only this machine can reach: links may follow their Host headers. */
const LOOPBACK_LISTEN: ReadonlyArray<string> = ['127.0.0.1', 'localhost', '::1']

/** Whether a URL carries a password (`scheme://user:password@host`). */
const hasPassword = (s: string): boolean => {
  try {
    return new URL(s).password !== ''
  } catch {
    return /\/\/[^/\s:@]*:[^\s/@]+@/.test(s)
  }
}

/** The text with the password of any `scheme://user:password@` replaced by `***`. */
export const redactCredentials = (text: string): string => text.replace(/(\/\/[^/\s:@]*):[^\s/]*@/g, '$1:***@')

const list = (s: string | undefined): ReadonlyArray<string> =>
  s === undefined ? [] : s.split(',').map((x) => x.trim()).filter((x) => x !== '')

const integer = (s: string, name: string, min: number, max: number): number | string => {
  if (!/^\d+$/.test(s)) return `${name} must be a whole number, got '${s}'`
  const n = Number(s)
  return n < min || n > max ? `${name} must be between ${min} and ${max}, got ${n}` : n
}

const httpUrl = (s: string, name: string, originOnly: boolean): string | { error: string } => {
  try {
    const u = new URL(s)
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return { error: `${name} must be an http(s) URL, got '${s}'` }
    if (u.search !== '' || u.hash !== '' || u.username !== '' || u.password !== '')
      return { error: `${name} must not have a query, fragment or credentials, got '${s}'` }
    if (originOnly) return u.origin
    return `${u.origin}${u.pathname.replace(/\/+$/, '')}`
  } catch {
    return { error: `${name} must be a URL, got '${s}'` }
  }
}

/** Pure: options from the arguments (after the script name) and the environment. */
export const parseCommandLine = (argv: ReadonlyArray<string>, env: Readonly<Record<string, string | undefined>>): ParsedCommandLine => {
  const secretFlag = SECRET_FLAGS.find(({ flag }) => argv.some((a) => a === flag || a.startsWith(`${flag}=`)))
  if (secretFlag !== undefined)
    return { _tag: 'Invalid', message: `${secretFlag.flag} is not an option: set ${secretFlag.variable} in the environment (a flag's value shows in ps)` }
  let values
  try {
    values = parseArgs({
      args: [...argv],
      allowPositionals: false,
      strict: true,
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        'public-url': { type: 'string' },
        'trusted-origin': { type: 'string', multiple: true },
        'allowed-host': { type: 'string', multiple: true },
        'trusted-proxy': { type: 'string', multiple: true },
        seed: { type: 'string' },
        'yubikey-keys': { type: 'string' },
        'yubico-validation-url': { type: 'string', multiple: true },
        'yubico-client-id': { type: 'string' },
        'duo-api-host': { type: 'string' },
        'duo-integration-key': { type: 'string' },
        'duo-username-format': { type: 'string' },
        'symantec-vip-url': { type: 'string' },
        'symantec-cert': { type: 'string' },
        'symantec-key': { type: 'string' },
        'symantec-ca': { type: 'string' },
        'rsa-radius': { type: 'string' },
        'push-number-challenge': { type: 'string' },
        'apns-key': { type: 'string' },
        'apns-team-id': { type: 'string' },
        'apns-key-id': { type: 'string' },
        'apns-topic': { type: 'string' },
        'apns-origin': { type: 'string' },
        'apns-ca': { type: 'string' },
        store: { type: 'string' },
        'data-dir': { type: 'string' },
        'database-url': { type: 'string' },
        migrate: { type: 'boolean' },
        schema: { type: 'string' },
        'rate-limit-store': { type: 'string' },
        'redis-cluster': { type: 'boolean' },
        'redis-key-prefix': { type: 'string' },
        conformance: { type: 'boolean' },
        'dev-outbox': { type: 'boolean' },
        'smtp-url': { type: 'string' },
        'smtp-from': { type: 'string' },
        'twilio-account-sid': { type: 'string' },
        'twilio-from': { type: 'string' },
        'twilio-base-url': { type: 'string' },
        'email-webhook-url': { type: 'string' },
        'sms-webhook-url': { type: 'string' },
        'call-webhook-url': { type: 'string' },
        'body-limit': { type: 'string' },
        'headers-timeout': { type: 'string' },
        'request-timeout': { type: 'string' },
        'max-connections': { type: 'string' },
        'log-level': { type: 'string' },
        'no-metrics': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values
  } catch (e) {
    // An unexpected argument is repeated in the message: it may be a URL with a password.
    return { _tag: 'Invalid', message: redactCredentials(e instanceof Error ? e.message : String(e)) }
  }
  if (values.help === true) return { _tag: 'Help' }

  const host = values.host ?? env['AUTHN_HOST'] ?? '127.0.0.1'
  const port = integer(values.port ?? env['AUTHN_PORT'] ?? '8080', 'port', 0, 65535)
  if (typeof port === 'string') return { _tag: 'Invalid', message: port }
  const bodyLimit = integer(values['body-limit'] ?? env['AUTHN_BODY_LIMIT'] ?? '65536', 'body limit', 256, 16 * 1024 * 1024)
  if (typeof bodyLimit === 'string') return { _tag: 'Invalid', message: bodyLimit }
  const headersTimeout = integer(values['headers-timeout'] ?? env['AUTHN_HEADERS_TIMEOUT'] ?? '10', 'headers timeout', 1, 600)
  if (typeof headersTimeout === 'string') return { _tag: 'Invalid', message: headersTimeout }
  const requestTimeout = integer(values['request-timeout'] ?? env['AUTHN_REQUEST_TIMEOUT'] ?? '30', 'request timeout', 1, 3600)
  if (typeof requestTimeout === 'string') return { _tag: 'Invalid', message: requestTimeout }
  const maxConnections = integer(values['max-connections'] ?? env['AUTHN_MAX_CONNECTIONS'] ?? '1024', 'max connections', 1, 1_000_000)
  if (typeof maxConnections === 'string') return { _tag: 'Invalid', message: maxConnections }
  // A URL flag is seen by anyone who can list processes: its password belongs in the environment.
  for (const [flag, variable] of [['database-url', 'DATABASE_URL'], ['smtp-url', 'AUTHN_SMTP_URL']] as const) {
    const v = values[flag]
    if (v !== undefined && hasPassword(v)) return { _tag: 'Invalid', message: `--${flag} has a password: set ${variable} in the environment instead (a flag's value shows in ps)` }
  }
  const rawUrl = values['database-url'] ?? env['DATABASE_URL']
  const databaseUrl = rawUrl === undefined || rawUrl === '' ? null : rawUrl
  const store = values.store ?? env['AUTHN_STORE'] ?? (databaseUrl === null ? 'embedded' : 'postgres')
  if (store === 'postgres' && databaseUrl === null) return { _tag: 'Invalid', message: 'the postgres store needs --database-url or DATABASE_URL' }
  // Checked before anything opens; the URL itself is never echoed (it may carry a password).
  if (store === 'postgres' && databaseUrl !== null && !isPostgresUrl(databaseUrl))
    return { _tag: 'Invalid', message: 'the database URL is not a PostgreSQL URL: postgres://user[:password]@host[:port]/database' }
  if (!isStoreKind(store)) return { _tag: 'Invalid', message: `unknown store '${store}' (available: ${STORE_KINDS.join(', ')})` }
  const rateLimitStore = values['rate-limit-store'] ?? (env['AUTHN_RATE_LIMIT_STORE'] || defaultRateLimitStore(store))
  if (!isRateLimitStoreKind(rateLimitStore))
    return { _tag: 'Invalid', message: `unknown rate-limit store '${rateLimitStore}' (available: ${RATE_LIMIT_STORE_KINDS.join(', ')})` }
  if (rateLimitStore === 'postgres' && store !== 'postgres') return { _tag: 'Invalid', message: 'rate limits in PostgreSQL need the postgres store (--store postgres)' }
  const redisCluster = values['redis-cluster'] === true || env['AUTHN_REDIS_CLUSTER'] === '1'
  let redis: RedisConfig | null = null
  if (rateLimitStore === 'redis') {
    const urls = list(env['AUTHN_REDIS_URL'])
    if (urls.length === 0) return { _tag: 'Invalid', message: 'the redis rate-limit store needs AUTHN_REDIS_URL (redis://host:port or rediss://host:port)' }
    // The URL itself is never echoed (it may carry a password).
    if (!urls.every(isRedisUrl)) return { _tag: 'Invalid', message: 'AUTHN_REDIS_URL is not a Redis URL: redis://[user:password@]host[:port][/db] or rediss://… (TLS)' }
    if (urls.length > 1 && !redisCluster) return { _tag: 'Invalid', message: 'several Redis URLs name the nodes of a cluster: add --redis-cluster (AUTHN_REDIS_CLUSTER=1)' }
    const keyPrefix = values['redis-key-prefix'] ?? env['AUTHN_REDIS_KEY_PREFIX']
    if (keyPrefix !== undefined && !/^[A-Za-z0-9:._-]{1,64}$/.test(keyPrefix))
      return { _tag: 'Invalid', message: `a Redis key prefix is 1 to 64 letters, digits and ':._-', got '${keyPrefix.slice(0, 80)}'` }
    redis = { urls, cluster: redisCluster, ...(keyPrefix === undefined || keyPrefix === '' ? {} : { keyPrefix }) }
  }

  const vip = {
    url: values['symantec-vip-url'] ?? env['AUTHN_SYMANTEC_VIP_URL'],
    cert: values['symantec-cert'] ?? env['AUTHN_SYMANTEC_CERT'],
    key: values['symantec-key'] ?? env['AUTHN_SYMANTEC_KEY'],
    ca: values['symantec-ca'] ?? env['AUTHN_SYMANTEC_CA'],
  }
  const vipGiven = [vip.url, vip.cert, vip.key, vip.ca].filter((x) => x !== undefined && x !== '')
  let symantec: ServerOptions['symantec'] = null
  if (vipGiven.length > 0) {
    if (vip.url === undefined || vip.url === '' || vip.cert === undefined || vip.cert === '' || vip.key === undefined || vip.key === '')
      return { _tag: 'Invalid', message: 'the Symantec VIP factor needs --symantec-vip-url, --symantec-cert and --symantec-key together' }
    if (!/^https:\/\/[^\s]+$/.test(vip.url)) return { _tag: 'Invalid', message: 'the Symantec VIP service is reached over https: --symantec-vip-url https://…' }
    symantec = { url: vip.url, certPath: vip.cert, keyPath: vip.key, caPath: vip.ca === undefined || vip.ca === '' ? null : vip.ca }
  }

  const yubikeyKeysPath = ((k) => (k === undefined || k === '' ? null : k))(values['yubikey-keys'] ?? env['AUTHN_YUBIKEY_KEYS'])
  const yubico = {
    urls: (values['yubico-validation-url'] ?? [env['AUTHN_YUBICO_VALIDATION_URL'] ?? '']).flatMap((u) => list(u)),
    clientId: values['yubico-client-id'] ?? env['AUTHN_YUBICO_CLIENT_ID'] ?? '',
    apiKey: env['AUTHN_YUBICO_API_KEY'] ?? '',
  }
  let yubicoValidation: ServerOptions['yubicoValidation'] = null
  if (yubico.urls.length > 0 || yubico.clientId !== '' || yubico.apiKey !== '') {
    if (yubico.urls.length === 0 || yubico.clientId === '' || yubico.apiKey === '')
      return { _tag: 'Invalid', message: 'YubiKey OTPs checked by a validation server need --yubico-validation-url, --yubico-client-id and AUTHN_YUBICO_API_KEY together' }
    if (yubikeyKeysPath !== null) return { _tag: 'Invalid', message: 'YubiKey OTPs are checked locally (--yubikey-keys) or by a validation server (--yubico-validation-url), not both' }
    const badUrl = yubico.urls.find((u) => verifyUrlOf(u) === null)
    if (badUrl !== undefined) return { _tag: 'Invalid', message: `a Yubico validation server is an http(s) URL without credentials, query or fragment, got '${redactCredentials(badUrl).slice(0, 120)}'` }
    if (!/^\d{1,20}$/.test(yubico.clientId)) return { _tag: 'Invalid', message: `a Yubico client id is digits, got '${yubico.clientId.slice(0, 40)}'` }
    // The key itself is never echoed.
    if (decodeApiKey(yubico.apiKey) === null) return { _tag: 'Invalid', message: 'AUTHN_YUBICO_API_KEY is not a Yubico API key: base64 of 1 to 64 bytes, as Yubico gives it' }
    yubicoValidation = yubico
  }

  const duoGiven = {
    apiHost: values['duo-api-host'] ?? env['AUTHN_DUO_API_HOST'] ?? '',
    integrationKey: values['duo-integration-key'] ?? env['AUTHN_DUO_INTEGRATION_KEY'] ?? '',
    secretKey: env['AUTHN_DUO_SECRET_KEY'] ?? '',
    applicationKey: env['AUTHN_DUO_APPLICATION_KEY'] ?? '',
    usernameFormat: values['duo-username-format'] ?? env['AUTHN_DUO_USERNAME_FORMAT'] ?? 'login',
  }
  let duo: ServerOptions['duo'] = null
  if (duoGiven.apiHost !== '' || duoGiven.integrationKey !== '' || duoGiven.secretKey !== '' || duoGiven.applicationKey !== '') {
    if (duoGiven.apiHost === '' || duoGiven.integrationKey === '' || duoGiven.secretKey === '' || duoGiven.applicationKey === '')
      return { _tag: 'Invalid', message: 'the Duo factor needs --duo-api-host, --duo-integration-key, AUTHN_DUO_SECRET_KEY and AUTHN_DUO_APPLICATION_KEY together' }
    if (!/^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(duoGiven.apiHost)) return { _tag: 'Invalid', message: `a Duo API host is a host name with an optional port, got '${duoGiven.apiHost.slice(0, 80)}'` }
    // The keys themselves are never echoed.
    if (duoGiven.integrationKey.length !== 20) return { _tag: 'Invalid', message: 'a Duo integration key is 20 characters' }
    if (duoGiven.secretKey.length !== 40) return { _tag: 'Invalid', message: 'AUTHN_DUO_SECRET_KEY is not a Duo secret key: 40 characters' }
    if (duoGiven.applicationKey.length < 40) return { _tag: 'Invalid', message: 'AUTHN_DUO_APPLICATION_KEY must be 40 characters or more' }
    if (duoGiven.usernameFormat !== 'login' && duoGiven.usernameFormat !== 'localPart')
      return { _tag: 'Invalid', message: `--duo-username-format is login or localPart, got '${duoGiven.usernameFormat.slice(0, 40)}'` }
    duo = { ...duoGiven, usernameFormat: duoGiven.usernameFormat }
  }

  const numberChallenge = (values['push-number-challenge'] ?? env['AUTHN_PUSH_NUMBER_CHALLENGE'] ?? 'on').toLowerCase()
  if (numberChallenge !== 'on' && numberChallenge !== 'off') return { _tag: 'Invalid', message: `--push-number-challenge is on or off, got '${numberChallenge.slice(0, 40)}'` }
  const apnsGiven = {
    keyPath: values['apns-key'] ?? env['AUTHN_APNS_KEY_FILE'] ?? '',
    teamId: values['apns-team-id'] ?? env['AUTHN_APNS_TEAM_ID'] ?? '',
    keyId: values['apns-key-id'] ?? env['AUTHN_APNS_KEY_ID'] ?? '',
    topic: values['apns-topic'] ?? env['AUTHN_APNS_TOPIC'] ?? '',
  }
  const apnsOrigin = values['apns-origin'] ?? env['AUTHN_APNS_ORIGIN'] ?? ''
  const apnsCa = values['apns-ca'] ?? env['AUTHN_APNS_CA'] ?? ''
  let apns: ServerOptions['push']['apns'] = null
  if (Object.values(apnsGiven).some((v) => v !== '') || apnsOrigin !== '' || apnsCa !== '') {
    if (Object.values(apnsGiven).some((v) => v === '')) return { _tag: 'Invalid', message: 'APNs needs --apns-key, --apns-team-id, --apns-key-id and --apns-topic together' }
    if (!/^[A-Z0-9]{10}$/.test(apnsGiven.teamId)) return { _tag: 'Invalid', message: 'an APNs team id is 10 upper-case letters or digits' }
    if (!/^[A-Z0-9]{10}$/.test(apnsGiven.keyId)) return { _tag: 'Invalid', message: 'an APNs key id is 10 upper-case letters or digits' }
    if (apnsOrigin !== '' && !/^https:\/\/[^/\s]+$/.test(apnsOrigin)) return { _tag: 'Invalid', message: `--apns-origin is an https origin, got '${apnsOrigin.slice(0, 80)}'` }
    apns = { ...apnsGiven, origin: apnsOrigin === '' ? null : apnsOrigin, caPath: apnsCa === '' ? null : apnsCa }
  }
  const push: ServerOptions['push'] = { numberChallenge: numberChallenge === 'on', apns }

  const radius = values['rsa-radius'] ?? env['AUTHN_RSA_RADIUS']
  let rsa: ServerOptions['rsa'] = null
  if (radius !== undefined && radius !== '') {
    const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(radius)
    const port = Number(m?.[2])
    if (m?.[1] === undefined || !(port >= 1 && port <= 65535)) return { _tag: 'Invalid', message: `--rsa-radius is HOST:PORT, got '${radius.slice(0, 80)}'` }
    const secret = env['AUTHN_RSA_RADIUS_SECRET']
    if (secret === undefined || secret === '') return { _tag: 'Invalid', message: 'the RSA RADIUS server needs its shared secret in AUTHN_RSA_RADIUS_SECRET' }
    rsa = { host: m[1].replace(/^\[|\]$/g, ''), port, secret }
  }

  const rawPublic = values['public-url'] ?? env['AUTHN_PUBLIC_URL']
  const publicBaseUrl = rawPublic === undefined || rawPublic === '' ? null : httpUrl(rawPublic, 'public URL', false)
  if (publicBaseUrl !== null && typeof publicBaseUrl !== 'string') return { _tag: 'Invalid', message: publicBaseUrl.error }

  const origins: string[] = []
  for (const o of values['trusted-origin'] ?? list(env['AUTHN_TRUSTED_ORIGINS'])) {
    const u = httpUrl(o, 'trusted origin', true)
    if (typeof u !== 'string') return { _tag: 'Invalid', message: u.error }
    origins.push(u)
  }
  const allowedHosts = values['allowed-host'] ?? list(env['AUTHN_ALLOWED_HOSTS'])
  const badHost = allowedHosts.find((h) => !/^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/.test(h))
  if (badHost !== undefined) return { _tag: 'Invalid', message: `an allowed host is a host name with an optional port, got '${badHost}'` }
  const trustedProxies = values['trusted-proxy'] ?? list(env['AUTHN_TRUSTED_PROXIES'])
  const badProxy = trustedProxies.find((p) => {
    const [address = '', bits, extra] = p.split('/')
    const family = isIP(address)
    return family === 0 || extra !== undefined || (bits !== undefined && !(/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 6 ? 128 : 32)))
  })
  if (badProxy !== undefined) return { _tag: 'Invalid', message: `a trusted proxy is an IP address or a CIDR block, got '${badProxy}'` }
  // Beyond loopback, a request's Host header could name any origin: links need a configured one.
  if (!LOOPBACK_LISTEN.includes(host) && publicBaseUrl === null && allowedHosts.length === 0)
    return { _tag: 'Invalid', message: `listening on ${host} needs --public-url (or --allowed-host): links must not follow any Host header a client sends` }
  const apiTokens = list(env['AUTHN_API_TOKENS'])
  if (apiTokens.some((t) => t.length < 16 || /\s/.test(t)))
    return { _tag: 'Invalid', message: 'an API token must have at least 16 characters and no spaces' }
  const rawMetricsToken = env['AUTHN_METRICS_TOKEN']
  const metricsToken = rawMetricsToken === undefined || rawMetricsToken === '' ? null : rawMetricsToken
  if (metricsToken !== null && (metricsToken.length < 16 || /\s/.test(metricsToken)))
    return { _tag: 'Invalid', message: 'the metrics token must have at least 16 characters and no spaces' }
  const logLevel = values['log-level'] ?? env['AUTHN_LOG_LEVEL'] ?? 'info'
  if (!isLogLevel(logLevel)) return { _tag: 'Invalid', message: `unknown log level '${logLevel}' (available: ${LOG_LEVELS.join(', ')})` }
  const seed = values.seed ?? env['AUTHN_SEED']
  const schema = values.schema ?? env['AUTHN_SCHEMA']
  if (schema !== undefined && schema !== '' && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema))
    return { _tag: 'Invalid', message: `a schema name is lower-case letters, digits and _, got '${schema}'` }
  const given = (value: string | undefined, variable: string): string | undefined => {
    const v = value ?? env[variable]
    return v === '' ? undefined : v
  }
  const messages = messageRoutesFrom({
    smtpUrl: given(values['smtp-url'], 'AUTHN_SMTP_URL'),
    smtpFrom: given(values['smtp-from'], 'AUTHN_SMTP_FROM'),
    twilioAccountSid: given(values['twilio-account-sid'], 'AUTHN_TWILIO_ACCOUNT_SID'),
    twilioFrom: given(values['twilio-from'], 'AUTHN_TWILIO_FROM'),
    twilioBaseUrl: given(values['twilio-base-url'], 'AUTHN_TWILIO_BASE_URL'),
    twilioAuthToken: given(undefined, 'AUTHN_TWILIO_AUTH_TOKEN'),
    emailWebhookUrl: given(values['email-webhook-url'], 'AUTHN_EMAIL_WEBHOOK_URL'),
    smsWebhookUrl: given(values['sms-webhook-url'], 'AUTHN_SMS_WEBHOOK_URL'),
    callWebhookUrl: given(values['call-webhook-url'], 'AUTHN_CALL_WEBHOOK_URL'),
    webhookSecret: given(undefined, 'AUTHN_WEBHOOK_SECRET'),
  })
  if ('error' in messages) return { _tag: 'Invalid', message: messages.error }

  return {
    _tag: 'Run',
    options: {
      host,
      port,
      publicBaseUrl,
      apiTokens,
      trustedOrigins: origins,
      allowedHosts,
      trustedProxies,
      seedPath: seed === undefined || seed === '' ? null : seed,
      yubikeyKeysPath,
      yubicoValidation,
      symantec,
      rsa,
      duo,
      push,
      store,
      dataDir: values['data-dir'] ?? env['AUTHN_DATA_DIR'] ?? DEFAULT_DATA_DIR,
      databaseUrl,
      migrate: values.migrate === true || env['AUTHN_MIGRATE'] === '1',
      schema: schema === undefined || schema === '' ? null : schema,
      rateLimitStore,
      redis,
      conformance: values.conformance === true || env['AUTHN_CONFORMANCE'] === '1',
      devOutbox: values['dev-outbox'] === true || env['AUTHN_DEV_OUTBOX'] === '1',
      messages,
      bodyLimit,
      headersTimeoutMs: headersTimeout * 1000,
      requestTimeoutMs: requestTimeout * 1000,
      maxConnections,
      logLevel,
      metrics: values['no-metrics'] !== true && env['AUTHN_METRICS'] !== '0',
      metricsToken,
    },
  }
}

/** Whether `url` is a PostgreSQL connection URL node-postgres reads (`postgres:`, `postgresql:` or `socket:`). */
const isPostgresUrl = (url: string): boolean => {
  try {
    const u = new URL(url)
    return ['postgres:', 'postgresql:', 'socket:'].includes(u.protocol) && (u.protocol === 'socket:' || u.hostname !== '' || u.searchParams.has('host'))
  } catch {
    return false
  }
}
