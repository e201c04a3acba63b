import { describe, expect, it } from 'vitest'
import { DEV_OUTBOX_ROUTES, parseCommandLine } from '../src/index.js'

describe('parseCommandLine', () => {
  it('defaults to 127.0.0.1:8080, the embedded store in .data/authn, demo seed, no tokens, no origins', () => {
    expect(parseCommandLine([], {})).toEqual({
      _tag: 'Run',
      options: {
        host: '127.0.0.1',
        port: 8080,
        publicBaseUrl: null,
        apiTokens: [],
        trustedOrigins: [],
        allowedHosts: [],
        trustedProxies: [],
        headersTimeoutMs: 10_000,
        requestTimeoutMs: 30_000,
        maxConnections: 1024,
        seedPath: null,
        yubikeyKeysPath: null,
        yubicoValidation: null,
        symantec: null,
        rsa: null,
        duo: null,
        push: { numberChallenge: true, apns: null },
        store: 'embedded',
        dataDir: '.data/authn',
        databaseUrl: null,
        migrate: false,
        schema: null,
        rateLimitStore: 'memory',
        redis: null,
        conformance: false,
        devOutbox: false,
        messages: DEV_OUTBOX_ROUTES,
        bodyLimit: 65536,
        logLevel: 'info',
        metrics: true,
        metricsToken: null,
      },
    })
  })

  it('picks the postgres store when a database URL is given, and reads its options', () => {
    expect(parseCommandLine(['--migrate', '--schema', 'authn_test'], { DATABASE_URL: 'postgres://u@db/x' })).toMatchObject({
      _tag: 'Run',
      options: { store: 'postgres', databaseUrl: 'postgres://u@db/x', migrate: true, schema: 'authn_test' },
    })
    expect(parseCommandLine(['--store', 'memory', '--conformance'], { DATABASE_URL: 'postgres://u@db/x' })).toMatchObject({
      _tag: 'Run',
      options: { store: 'memory', conformance: true },
    })
    expect(parseCommandLine(['--data-dir', '/var/lib/authn'], { AUTHN_MIGRATE: '1' })).toMatchObject({
      _tag: 'Run',
      options: { store: 'embedded', dataDir: '/var/lib/authn', migrate: true },
    })
  })

  it('reads flags, repeatable ones included', () => {
    const r = parseCommandLine(
      [
        '--host', '0.0.0.0', '--port', '9090', '--public-url', 'https://login.example.com/',
        '--trusted-origin', 'https://app.example.com', '--trusted-origin', 'http://localhost:3000/',
        '--seed', 'org.json', '--store', 'memory', '--body-limit', '1024', '--yubikey-keys', 'keys.csv',
      ],
      { AUTHN_API_TOKENS: 'aaaaaaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbbbbbb' },
    )
    expect(r).toEqual({
      _tag: 'Run',
      options: {
        host: '0.0.0.0',
        port: 9090,
        publicBaseUrl: 'https://login.example.com',
        apiTokens: ['aaaaaaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbbbbbb'],
        trustedOrigins: ['https://app.example.com', 'http://localhost:3000'],
        allowedHosts: [],
        trustedProxies: [],
        headersTimeoutMs: 10_000,
        requestTimeoutMs: 30_000,
        maxConnections: 1024,
        seedPath: 'org.json',
        yubikeyKeysPath: 'keys.csv',
        yubicoValidation: null,
        symantec: null,
        rsa: null,
        duo: null,
        push: { numberChallenge: true, apns: null },
        store: 'memory',
        dataDir: '.data/authn',
        databaseUrl: null,
        migrate: false,
        schema: null,
        rateLimitStore: 'memory',
        redis: null,
        conformance: false,
        devOutbox: false,
        messages: DEV_OUTBOX_ROUTES,
        bodyLimit: 1024,
        logLevel: 'info',
        metrics: true,
        metricsToken: null,
      },
    })
  })

  it('reads the environment; flags win', () => {
    const env = {
      AUTHN_HOST: '::1',
      AUTHN_PORT: '7000',
      AUTHN_PUBLIC_URL: 'https://sso.example.org',
      AUTHN_API_TOKENS: 'cccccccccccccccccccc, dddddddddddddddddddd',
      AUTHN_TRUSTED_ORIGINS: 'https://a.example.org,https://b.example.org',
      AUTHN_SEED: '/etc/org.json',
      AUTHN_YUBIKEY_KEYS: '/etc/authn/yubikeys.csv',
    }
    const r = parseCommandLine(['--port', '7001'], env)
    expect(r).toMatchObject({
      _tag: 'Run',
      options: {
        host: '::1',
        port: 7001,
        publicBaseUrl: 'https://sso.example.org',
        apiTokens: ['cccccccccccccccccccc', 'dddddddddddddddddddd'],
        trustedOrigins: ['https://a.example.org', 'https://b.example.org'],
        seedPath: '/etc/org.json',
        yubikeyKeysPath: '/etc/authn/yubikeys.csv',
        yubicoValidation: null,
      },
    })
  })

  it('refuses what it cannot use', () => {
    const invalid = (argv: string[]) => {
      const r = parseCommandLine(argv, {})
      expect(r._tag).toBe('Invalid')
      return r._tag === 'Invalid' ? r.message : ''
    }
    expect(invalid(['--port', '70000'])).toContain('port')
    expect(invalid(['--port', 'http'])).toContain('port')
    expect(invalid(['--store', 'postgres'])).toContain('needs --database-url')
    expect(invalid(['--store', 'nosql'])).toContain("unknown store 'nosql'")
    expect(invalid(['--schema', 'Bad-Name'])).toContain('schema')
    expect(invalid(['--public-url', 'ftp://x.example'])).toContain('http(s)')
    expect(invalid(['--public-url', 'https://x.example/?a=1'])).toContain('query')
    expect(invalid(['--trusted-origin', 'not a url'])).toContain('URL')
    expect(parseCommandLine([], { AUTHN_API_TOKENS: 'short' })).toEqual({ _tag: 'Invalid', message: 'an API token must have at least 16 characters and no spaces' })
    expect(invalid(['--bogus'])).toContain('bogus')
    expect(invalid(['extra'])).not.toBe('')
  })

  it('takes no secret from a flag (a flag shows in ps): API tokens, and URLs with a password, come from the environment', () => {
    for (const argv of [['--api-token', 'aaaaaaaaaaaaaaaaaaaa'], ['--api-token=aaaaaaaaaaaaaaaaaaaa']]) {
      const r = parseCommandLine(argv, {})
      expect(r).toEqual({ _tag: 'Invalid', message: "--api-token is not an option: set AUTHN_API_TOKENS in the environment (a flag's value shows in ps)" })
    }
    for (const [flag, variable] of [['--database-url', 'DATABASE_URL'], ['--smtp-url', 'AUTHN_SMTP_URL']] as const) {
      const r = parseCommandLine([flag, 'postgres://app:s3cret-pa55@db.example:5432/authn'.replace('postgres:', flag === '--smtp-url' ? 'smtp:' : 'postgres:').replace('/authn', flag === '--smtp-url' ? '' : '/authn')], {})
      expect(r._tag).toBe('Invalid')
      if (r._tag === 'Invalid') {
        expect(r.message).toBe(`${flag} has a password: set ${variable} in the environment instead (a flag's value shows in ps)`)
        expect(r.message).not.toContain('s3cret')
      }
    }
    // Without a password a URL flag is fine; with one, the environment is.
    expect(parseCommandLine(['--database-url', 'postgres://app@db.example/authn'], {})._tag).toBe('Run')
    expect(parseCommandLine([], { DATABASE_URL: 'postgres://app:s3cret@db.example/authn', AUTHN_API_TOKENS: 'aaaaaaaaaaaaaaaaaaaa' })._tag).toBe('Run')
  })

  it('links follow a Host header only on loopback or when allowed: listening beyond loopback needs --public-url or --allowed-host', () => {
    expect(parseCommandLine(['--host', '0.0.0.0'], {})).toEqual({
      _tag: 'Invalid',
      message: 'listening on 0.0.0.0 needs --public-url (or --allowed-host): links must not follow any Host header a client sends',
    })
    const r = parseCommandLine(['--host', '0.0.0.0', '--allowed-host', 'login.example.com', '--trusted-proxy', '10.0.0.0/8', '--trusted-proxy', '2001:db8::1'], {})
    expect(r._tag === 'Run' && [r.options.allowedHosts, r.options.trustedProxies]).toEqual([['login.example.com'], ['10.0.0.0/8', '2001:db8::1']])
    const fromEnv = parseCommandLine([], { AUTHN_ALLOWED_HOSTS: 'a.example.com, b.example.com:8443', AUTHN_TRUSTED_PROXIES: '192.0.2.1' })
    expect(fromEnv._tag === 'Run' && [fromEnv.options.allowedHosts, fromEnv.options.trustedProxies]).toEqual([['a.example.com', 'b.example.com:8443'], ['192.0.2.1']])
    for (const [argv, text] of [
      [['--allowed-host', 'evil.example/<x>'], 'an allowed host'],
      [['--trusted-proxy', 'gateway.example'], 'a trusted proxy'],
      [['--trusted-proxy', '10.0.0.0/33'], 'a trusted proxy'],
    ] as const) {
      const bad = parseCommandLine([...argv], {})
      expect(bad._tag === 'Invalid' && bad.message.startsWith(text)).toBe(true)
    }
  })

  it('reads the connection limits: --headers-timeout and --request-timeout in seconds, --max-connections', () => {
    const r = parseCommandLine(['--headers-timeout', '5', '--request-timeout', '20', '--max-connections', '64'], {})
    expect(r._tag === 'Run' && [r.options.headersTimeoutMs, r.options.requestTimeoutMs, r.options.maxConnections]).toEqual([5000, 20_000, 64])
    const env = parseCommandLine([], { AUTHN_HEADERS_TIMEOUT: '7', AUTHN_REQUEST_TIMEOUT: '9', AUTHN_MAX_CONNECTIONS: '3' })
    expect(env._tag === 'Run' && [env.options.headersTimeoutMs, env.options.requestTimeoutMs, env.options.maxConnections]).toEqual([7000, 9000, 3])
    for (const argv of [['--headers-timeout', '0'], ['--request-timeout', 'soon'], ['--max-connections', '-1']]) expect(parseCommandLine(argv, {})._tag).toBe('Invalid')
  })

  it('reads the log level, turns metrics off, and takes the metrics token from the environment only', () => {
    const r = parseCommandLine(['--log-level', 'warn', '--no-metrics'], { AUTHN_METRICS_TOKEN: 'scrape-token-0123456789' })
    expect(r._tag === 'Run' && [r.options.logLevel, r.options.metrics, r.options.metricsToken]).toEqual(['warn', false, 'scrape-token-0123456789'])
    const env = parseCommandLine([], { AUTHN_LOG_LEVEL: 'silent', AUTHN_METRICS: '0' })
    expect(env._tag === 'Run' && [env.options.logLevel, env.options.metrics]).toEqual(['silent', false])
    expect(parseCommandLine(['--log-level', 'loud'], {})).toEqual({ _tag: 'Invalid', message: "unknown log level 'loud' (available: fatal, error, warn, info, debug, trace, silent)" })
    expect(parseCommandLine([], { AUTHN_METRICS_TOKEN: 'short' })).toEqual({ _tag: 'Invalid', message: 'the metrics token must have at least 16 characters and no spaces' })
    const flag = parseCommandLine(['--metrics-token', 'scrape-token-0123456789'], {})
    expect(flag._tag === 'Invalid' && flag.message).toBe("--metrics-token is not an option: set AUTHN_METRICS_TOKEN in the environment (a flag's value shows in ps)")
  })

  it('reads where rate limits are counted: memory, postgres (the postgres store only) or redis at AUTHN_REDIS_URL, a cluster with --redis-cluster', () => {
    const options = (argv: string[], env: Record<string, string>) => {
      const r = parseCommandLine(argv, env)
      if (r._tag !== 'Run') throw new Error(`expected options, got ${JSON.stringify(r)}`)
      return [r.options.rateLimitStore, r.options.redis]
    }
    const invalid = (argv: string[], env: Record<string, string>) => {
      const r = parseCommandLine(argv, env)
      return r._tag === 'Invalid' ? r.message : `not refused: ${JSON.stringify(r)}`
    }
    const DB = { DATABASE_URL: 'postgres://u@db/x' }
    // The defaults of each store, as before: the database for postgres, else this process's memory.
    expect(options([], {})).toEqual(['memory', null])
    expect(options(['--store', 'memory'], {})).toEqual(['memory', null])
    expect(options([], DB)).toEqual(['postgres', null])
    expect(options(['--rate-limit-store', 'memory'], DB)).toEqual(['memory', null])
    // Redis: the URL from the environment only; rediss (TLS), a password and a database are fine.
    const REDIS = 'rediss://limits:pa55-w0rd@redis.internal:6380/2'
    expect(options(['--rate-limit-store', 'redis'], { AUTHN_REDIS_URL: REDIS })).toEqual(['redis', { urls: [REDIS], cluster: false }])
    expect(options(['--store', 'postgres'], { ...DB, AUTHN_RATE_LIMIT_STORE: 'redis', AUTHN_REDIS_URL: 'redis://127.0.0.1:6379' })).toEqual([
      'redis',
      { urls: ['redis://127.0.0.1:6379'], cluster: false },
    ])
    // A flag wins over the environment; a Redis URL alone changes nothing.
    expect(options(['--rate-limit-store', 'memory'], { AUTHN_RATE_LIMIT_STORE: 'redis', AUTHN_REDIS_URL: REDIS })).toEqual(['memory', null])
    expect(options([], { AUTHN_REDIS_URL: REDIS })).toEqual(['memory', null])
    // A cluster: one or more nodes, comma-separated.
    const NODES = 'redis://10.0.0.1:7000, redis://10.0.0.2:7000'
    expect(options(['--rate-limit-store', 'redis', '--redis-cluster'], { AUTHN_REDIS_URL: NODES })).toEqual([
      'redis',
      { urls: ['redis://10.0.0.1:7000', 'redis://10.0.0.2:7000'], cluster: true },
    ])
    expect(options([], { AUTHN_RATE_LIMIT_STORE: 'redis', AUTHN_REDIS_CLUSTER: '1', AUTHN_REDIS_URL: 'redis://10.0.0.1:7000' })).toEqual([
      'redis',
      { urls: ['redis://10.0.0.1:7000'], cluster: true },
    ])

    // Deployments that share one Redis keep apart by the key prefix.
    expect(options(['--rate-limit-store', 'redis', '--redis-key-prefix', 'eu-prod:rl'], { AUTHN_REDIS_URL: REDIS })).toEqual(['redis', { urls: [REDIS], cluster: false, keyPrefix: 'eu-prod:rl' }])
    expect(options([], { AUTHN_RATE_LIMIT_STORE: 'redis', AUTHN_REDIS_URL: REDIS, AUTHN_REDIS_KEY_PREFIX: 'staging' })).toEqual(['redis', { urls: [REDIS], cluster: false, keyPrefix: 'staging' }])
    expect(invalid(['--rate-limit-store', 'redis', '--redis-key-prefix', 'has space'], { AUTHN_REDIS_URL: REDIS })).toMatch(/^a Redis key prefix is 1 to 64 letters/)

    expect(invalid(['--rate-limit-store', 'etcd'], {})).toBe("unknown rate-limit store 'etcd' (available: memory, postgres, redis)")
    expect(invalid(['--rate-limit-store', 'postgres'], {})).toBe('rate limits in PostgreSQL need the postgres store (--store postgres)')
    expect(invalid(['--rate-limit-store', 'redis'], {})).toContain('needs AUTHN_REDIS_URL')
    expect(invalid(['--rate-limit-store', 'redis', '--redis-cluster'], { AUTHN_REDIS_URL: NODES.replace('redis://10.0.0.2', 'http://10.0.0.2') })).toMatch(/^AUTHN_REDIS_URL is not a Redis URL/)
    expect(invalid(['--rate-limit-store', 'redis'], { AUTHN_REDIS_URL: NODES })).toContain('--redis-cluster')
    // Never echoed: a wrong URL may still carry a password.
    const wrong = invalid(['--rate-limit-store', 'redis'], { AUTHN_REDIS_URL: 'postgres://u:s3cret-pw@db/x' })
    expect(wrong).toMatch(/^AUTHN_REDIS_URL is not a Redis URL/)
    expect(wrong).not.toContain('s3cret')
    // A flag shows in ps: the URL is read from the environment only.
    for (const argv of [['--redis-url', 'redis://127.0.0.1:6379'], ['--redis-url=redis://u:s3cret@127.0.0.1:6379']]) {
      const r = parseCommandLine(argv, {})
      expect(r).toEqual({ _tag: 'Invalid', message: "--redis-url is not an option: set AUTHN_REDIS_URL in the environment (a flag's value shows in ps)" })
    }
  })

  it('reads Yubico validation servers (repeatable or comma-separated), the client id, and the API key from the environment only', () => {
    const apiKey = Buffer.from('validation key').toString('base64')
    const validation = (argv: ReadonlyArray<string>, env: Record<string, string>) => {
      const r = parseCommandLine(argv, env)
      return r._tag === 'Run' ? r.options.yubicoValidation : r
    }
    expect(validation(['--yubico-validation-url', 'https://a.example,https://b.example', '--yubico-validation-url', 'http://127.0.0.1:9/wsapi/2.0/verify', '--yubico-client-id', '42'], { AUTHN_YUBICO_API_KEY: apiKey })).toEqual({
      urls: ['https://a.example', 'https://b.example', 'http://127.0.0.1:9/wsapi/2.0/verify'],
      clientId: '42',
      apiKey,
    })
    expect(validation([], { AUTHN_YUBICO_VALIDATION_URL: 'https://a.example, https://b.example', AUTHN_YUBICO_CLIENT_ID: '7', AUTHN_YUBICO_API_KEY: apiKey })).toEqual({ urls: ['https://a.example', 'https://b.example'], clientId: '7', apiKey })
    const invalid = (argv: ReadonlyArray<string>, env: Record<string, string>) => {
      const r = parseCommandLine(argv, env)
      return r._tag === 'Invalid' ? r.message : `not refused: ${JSON.stringify(r)}`
    }
    const url = ['--yubico-validation-url', 'https://a.example']
    expect(invalid(url, { AUTHN_YUBICO_API_KEY: apiKey })).toMatch(/need --yubico-validation-url, --yubico-client-id and AUTHN_YUBICO_API_KEY together/)
    expect(invalid([...url, '--yubico-client-id', '42'], {})).toMatch(/together/)
    expect(invalid(['--yubico-client-id', '42'], { AUTHN_YUBICO_API_KEY: apiKey })).toMatch(/together/)
    expect(invalid([...url, '--yubico-client-id', '42', '--yubikey-keys', 'k.csv'], { AUTHN_YUBICO_API_KEY: apiKey })).toMatch(/not both/)
    expect(invalid(['--yubico-validation-url', 'ftp://a.example', '--yubico-client-id', '42'], { AUTHN_YUBICO_API_KEY: apiKey })).toMatch(/http\(s\) URL/)
    expect(invalid(['--yubico-validation-url', 'https://u:pw@a.example', '--yubico-client-id', '42'], { AUTHN_YUBICO_API_KEY: apiKey })).not.toContain('pw')
    expect(invalid([...url, '--yubico-client-id', 'abc'], { AUTHN_YUBICO_API_KEY: apiKey })).toMatch(/client id is digits/)
    expect(invalid([...url, '--yubico-client-id', '42'], { AUTHN_YUBICO_API_KEY: 'not base64!' })).toBe('AUTHN_YUBICO_API_KEY is not a Yubico API key: base64 of 1 to 64 bytes, as Yubico gives it')
    expect(invalid(['--yubico-api-key', apiKey], {})).toBe("--yubico-api-key is not an option: set AUTHN_YUBICO_API_KEY in the environment (a flag's value shows in ps)")
  })

  it('reads Duo: the API host and integration key from flags or the environment, the secret and application keys from the environment only, all together', () => {
    const keys = { AUTHN_DUO_SECRET_KEY: 's'.repeat(40), AUTHN_DUO_APPLICATION_KEY: 'a'.repeat(40) }
    const duo = (argv: ReadonlyArray<string>, env: Record<string, string>) => {
      const r = parseCommandLine(argv, env)
      return r._tag === 'Run' ? r.options.duo : r
    }
    const flags = ['--duo-api-host', 'api-0123abcd.duosecurity.com', '--duo-integration-key', 'DIXXXXXXXXXXXXXXXXXX']
    expect(duo(flags, keys)).toEqual({ apiHost: 'api-0123abcd.duosecurity.com', integrationKey: 'DIXXXXXXXXXXXXXXXXXX', secretKey: 's'.repeat(40), applicationKey: 'a'.repeat(40), usernameFormat: 'login' })
    expect(duo([], { ...keys, AUTHN_DUO_API_HOST: '127.0.0.1:8443', AUTHN_DUO_INTEGRATION_KEY: 'DIXXXXXXXXXXXXXXXXXX', AUTHN_DUO_USERNAME_FORMAT: 'localPart' })).toMatchObject({ apiHost: '127.0.0.1:8443', usernameFormat: 'localPart' })
    const invalid = (argv: ReadonlyArray<string>, env: Record<string, string>) => {
      const r = parseCommandLine(argv, env)
      return r._tag === 'Invalid' ? r.message : `not refused: ${JSON.stringify(r)}`
    }
    expect(invalid(flags, { AUTHN_DUO_SECRET_KEY: 's'.repeat(40) })).toMatch(/together/)
    expect(invalid(['--duo-api-host', 'api.example'], keys)).toMatch(/together/)
    expect(invalid(['--duo-api-host', 'https://api.example/', '--duo-integration-key', 'DIXXXXXXXXXXXXXXXXXX'], keys)).toMatch(/host name with an optional port/)
    expect(invalid(['--duo-api-host', 'api.example', '--duo-integration-key', 'short'], keys)).toBe('a Duo integration key is 20 characters')
    expect(invalid(flags, { ...keys, AUTHN_DUO_SECRET_KEY: 'short' })).toBe('AUTHN_DUO_SECRET_KEY is not a Duo secret key: 40 characters')
    expect(invalid(flags, { ...keys, AUTHN_DUO_APPLICATION_KEY: 'short' })).toBe('AUTHN_DUO_APPLICATION_KEY must be 40 characters or more')
    expect(invalid([...flags, '--duo-username-format', 'email'], keys)).toMatch(/login or localPart/)
    // Keys are never echoed, and never taken from a flag.
    expect(invalid(flags, { ...keys, AUTHN_DUO_SECRET_KEY: 'secret-value' })).not.toContain('secret-value')
    expect(invalid(['--duo-secret-key', 'x'], {})).toBe("--duo-secret-key is not an option: set AUTHN_DUO_SECRET_KEY in the environment (a flag's value shows in ps)")
  })

  it('reads push: number matching on by default (on|off), APNs from flags or the environment, all four together', () => {
    const push = (argv: ReadonlyArray<string>, env: Record<string, string> = {}) => {
      const r = parseCommandLine(argv, env)
      return r._tag === 'Run' ? r.options.push : r._tag === 'Invalid' ? r.message : r
    }
    expect(push([])).toEqual({ numberChallenge: true, apns: null })
    expect(push(['--push-number-challenge', 'off'])).toEqual({ numberChallenge: false, apns: null })
    expect(push([], { AUTHN_PUSH_NUMBER_CHALLENGE: 'OFF' })).toEqual({ numberChallenge: false, apns: null })
    expect(push(['--push-number-challenge', 'maybe'])).toMatch(/on or off/)
    const flags = ['--apns-key', 'AuthKey.p8', '--apns-team-id', 'ABCDE12345', '--apns-key-id', 'KEY1234567', '--apns-topic', 'com.example.app']
    expect(push(flags)).toEqual({ numberChallenge: true, apns: { keyPath: 'AuthKey.p8', teamId: 'ABCDE12345', keyId: 'KEY1234567', topic: 'com.example.app', origin: null, caPath: null } })
    expect(push([], { AUTHN_APNS_KEY_FILE: 'k.p8', AUTHN_APNS_TEAM_ID: 'ABCDE12345', AUTHN_APNS_KEY_ID: 'KEY1234567', AUTHN_APNS_TOPIC: 't', AUTHN_APNS_ORIGIN: 'https://127.0.0.1:8443', AUTHN_APNS_CA: 'ca.pem' })).toMatchObject({ apns: { origin: 'https://127.0.0.1:8443', caPath: 'ca.pem' } })
    expect(push(flags.slice(0, 6))).toMatch(/together/)
    expect(push(['--apns-origin', 'https://x.example'])).toMatch(/together/)
    expect(push([...flags.slice(0, 2), '--apns-team-id', 'short', ...flags.slice(4)])).toMatch(/team id is 10/)
    expect(push([...flags, '--apns-origin', 'http://plain.example'])).toMatch(/https origin/)
  })

  it('answers help', () => {
    expect(parseCommandLine(['--help'], {})).toEqual({ _tag: 'Help' })
    expect(parseCommandLine(['-h'], {})).toEqual({ _tag: 'Help' })
  })
})
