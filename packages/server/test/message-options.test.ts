import { describe, expect, it } from 'vitest'
import { DEFAULT_SMTP_FROM, DEV_OUTBOX_ROUTES, parseCommandLine, type ServerOptions } from '../src/index.js'

const PASSWORD = 'pa55-w0rd-not-shown'
const TOKEN = 'twilio-token-not-shown-0123'
const SECRET = 'webhook-secret-not-shown-0123'
const HOOK_KEY = 'path-key-not-shown'
const SID = 'AC0123456789abcdef0123456789abcdef'
const TWILIO = ['--twilio-account-sid', SID, '--twilio-from', '+15005550006']

const run = (argv: ReadonlyArray<string>, env: Record<string, string> = {}): ServerOptions => {
  const r = parseCommandLine(argv, env)
  if (r._tag !== 'Run') throw new Error(`expected options, got ${JSON.stringify(r)}`)
  return r.options
}

/** The refusal's message, checked to repeat none of the secrets above. */
const refusal = (argv: ReadonlyArray<string>, env: Record<string, string> = {}): string => {
  const r = parseCommandLine(argv, env)
  expect(r._tag).toBe('Invalid')
  const message = r._tag === 'Invalid' ? r.message : ''
  for (const secret of [PASSWORD, TOKEN, SECRET, HOOK_KEY]) expect(message).not.toContain(secret)
  return message
}

describe('the dev outbox option', () => {
  it('is off by default, on with --dev-outbox or AUTHN_DEV_OUTBOX=1', () => {
    expect(run([]).devOutbox).toBe(false)
    expect(run(['--dev-outbox']).devOutbox).toBe(true)
    expect(run([], { AUTHN_DEV_OUTBOX: '1' }).devOutbox).toBe(true)
    expect(run([], { AUTHN_DEV_OUTBOX: '0' }).devOutbox).toBe(false)
    expect(refusal(['--dev-outbox=yes'])).toContain('--dev-outbox')
  })
})

describe('message senders from options', () => {
  it('sends every channel to the dev outbox when no sender is configured; secrets alone configure nothing', () => {
    expect(run([]).messages).toEqual(DEV_OUTBOX_ROUTES)
    expect(run([], { AUTHN_TWILIO_AUTH_TOKEN: TOKEN, AUTHN_WEBHOOK_SECRET: SECRET, AUTHN_SMTP_URL: '' }).messages).toEqual(DEV_OUTBOX_ROUTES)
  })

  it('--smtp-url / AUTHN_SMTP_URL send email over SMTP, from --smtp-from / AUTHN_SMTP_FROM or the default', () => {
    const url = `smtp://alice:${PASSWORD}@mail.example.com:587`
    // A URL with a password comes from the environment (a flag's value shows in ps); one without may be a flag.
    expect(run([], { AUTHN_SMTP_URL: url }).messages).toEqual({ ...DEV_OUTBOX_ROUTES, email: { kind: 'smtp', url, from: DEFAULT_SMTP_FROM } })
    expect(refusal(['--smtp-url', url])).toBe("--smtp-url has a password: set AUTHN_SMTP_URL in the environment instead (a flag's value shows in ps)")
    expect(run([], { AUTHN_SMTP_URL: 'smtps://mail.example.com', AUTHN_SMTP_FROM: 'Example <no-reply@example.com>' }).messages.email).toEqual({
      kind: 'smtp',
      url: 'smtps://mail.example.com',
      from: 'Example <no-reply@example.com>',
    })
    expect(run(['--smtp-url', 'smtp://localhost:2525', '--smtp-from', 'a@b.example'], { AUTHN_SMTP_URL: url, AUTHN_SMTP_FROM: 'x@y.example' }).messages.email).toEqual({
      kind: 'smtp',
      url: 'smtp://localhost:2525',
      from: 'a@b.example',
    })
  })

  it('Twilio sends sms and call; its auth token comes from AUTHN_TWILIO_AUTH_TOKEN', () => {
    const twilio = { kind: 'twilio', accountSid: SID, authToken: TOKEN, from: '+15005550006', baseUrl: null }
    expect(run(TWILIO, { AUTHN_TWILIO_AUTH_TOKEN: TOKEN }).messages).toEqual({ email: { kind: 'dev-outbox' }, sms: twilio, call: twilio })
    const fromEnv = run([], {
      AUTHN_TWILIO_ACCOUNT_SID: SID,
      AUTHN_TWILIO_FROM: '+15005550006',
      AUTHN_TWILIO_BASE_URL: 'http://127.0.0.1:9999',
      AUTHN_TWILIO_AUTH_TOKEN: TOKEN,
    })
    expect(fromEnv.messages.sms).toEqual({ ...twilio, baseUrl: 'http://127.0.0.1:9999/' })
    expect(run([...TWILIO, '--twilio-base-url', 'https://twilio.proxy.example/v'], { AUTHN_TWILIO_AUTH_TOKEN: TOKEN }).messages.call).toEqual({
      ...twilio,
      baseUrl: 'https://twilio.proxy.example/v',
    })
  })

  it('a webhook per channel, signed with AUTHN_WEBHOOK_SECRET', () => {
    const env = { AUTHN_WEBHOOK_SECRET: SECRET }
    const hook = (url: string) => ({ kind: 'webhook', url, secret: SECRET })
    expect(
      run(['--sms-webhook-url', 'https://hooks.example.com/sms', '--call-webhook-url', 'https://hooks.example.com/call?k=1', '--email-webhook-url', 'http://127.0.0.1:8081/'], env)
        .messages,
    ).toEqual({ sms: hook('https://hooks.example.com/sms'), call: hook('https://hooks.example.com/call?k=1'), email: hook('http://127.0.0.1:8081/') })
    expect(run([], { ...env, AUTHN_SMS_WEBHOOK_URL: 'https://a.example/s', AUTHN_CALL_WEBHOOK_URL: 'https://a.example/c', AUTHN_EMAIL_WEBHOOK_URL: 'https://a.example/e' }).messages).toEqual({
      sms: hook('https://a.example/s'),
      call: hook('https://a.example/c'),
      email: hook('https://a.example/e'),
    })
    // Twilio for sms and call, a webhook for email.
    expect(run([...TWILIO, '--email-webhook-url', 'https://a.example/e'], { ...env, AUTHN_TWILIO_AUTH_TOKEN: TOKEN }).messages.email).toEqual(hook('https://a.example/e'))
  })

  it('refuses a malformed SMTP setting without repeating the URL', () => {
    expect(refusal(['--smtp-url', `mail.example.com:${PASSWORD}`])).toContain('smtp://')
    expect(refusal([], { AUTHN_SMTP_URL: `https://alice:${PASSWORD}@mail.example.com` })).toContain('smtp://')
    expect(refusal([], { AUTHN_SMTP_URL: `smtp://alice:${PASSWORD}@` })).toContain('SMTP URL')
    expect(refusal([], { AUTHN_SMTP_URL: `smtp://alice:${PASSWORD}@mail.example.com/?pool=true` })).toContain('query')
    expect(refusal([], { AUTHN_SMTP_URL: `smtp://al%zzice:${PASSWORD}@mail.example.com` })).toContain('%-escape')
    expect(refusal(['--smtp-url', 'smtp://mail.example.com', '--smtp-from', 'nobody'])).toContain('email address')
    expect(refusal(['--smtp-from', 'a@b.example'])).toContain('--smtp-url')
  })

  it('refuses an incomplete or malformed Twilio setting without repeating the token', () => {
    expect(refusal(TWILIO)).toContain('AUTHN_TWILIO_AUTH_TOKEN')
    expect(refusal(['--twilio-account-sid', SID], { AUTHN_TWILIO_AUTH_TOKEN: TOKEN })).toContain('--twilio-from')
    expect(refusal(['--twilio-account-sid', SID, '--twilio-from', '5005550006'], { AUTHN_TWILIO_AUTH_TOKEN: TOKEN })).toContain('E.164')
    expect(refusal(['--twilio-account-sid', 'AC/../x', '--twilio-from', '+15005550006'], { AUTHN_TWILIO_AUTH_TOKEN: TOKEN })).toContain('SID')
    expect(refusal(TWILIO, { AUTHN_TWILIO_AUTH_TOKEN: `${TOKEN} x` })).toContain('spaces')
    expect(refusal([...TWILIO, '--twilio-base-url', 'ftp://twilio.example'], { AUTHN_TWILIO_AUTH_TOKEN: TOKEN })).toContain('http(s)')
    expect(refusal([...TWILIO, '--twilio-base-url', `https://u:${PASSWORD}@twilio.example`], { AUTHN_TWILIO_AUTH_TOKEN: TOKEN })).toContain('credentials')
    expect(refusal(['--twilio-from', '+15005550006'])).toContain('--twilio-account-sid')
  })

  it('refuses a webhook without its secret, with a short one, or at a URL it cannot use, without repeating the URL', () => {
    expect(refusal(['--sms-webhook-url', `https://hooks.example.com/${HOOK_KEY}`])).toContain('AUTHN_WEBHOOK_SECRET')
    expect(refusal(['--call-webhook-url', `https://hooks.example.com/${HOOK_KEY}`], { AUTHN_WEBHOOK_SECRET: 'short' })).toContain('16 characters')
    expect(refusal(['--email-webhook-url', `https://u:${PASSWORD}@hooks.example.com/${HOOK_KEY}`], { AUTHN_WEBHOOK_SECRET: SECRET })).toContain('credentials')
    expect(refusal(['--email-webhook-url', `hooks.example.com/${HOOK_KEY}`], { AUTHN_WEBHOOK_SECRET: SECRET })).toContain('not a URL')
    expect(refusal(['--sms-webhook-url', `https://hooks.example.com/${HOOK_KEY}#x`], { AUTHN_WEBHOOK_SECRET: SECRET })).toContain('fragment')
  })

  it('refuses two senders for one channel', () => {
    const env = { AUTHN_WEBHOOK_SECRET: SECRET, AUTHN_TWILIO_AUTH_TOKEN: TOKEN }
    expect(refusal(['--smtp-url', 'smtp://mail.example.com', '--email-webhook-url', 'https://a.example/e'], env)).toBe(
      'two senders for the email channel: --smtp-url and --email-webhook-url; configure one',
    )
    expect(refusal([...TWILIO, '--sms-webhook-url', 'https://a.example/s'], env)).toContain('the sms channel: --twilio-account-sid and --sms-webhook-url')
    expect(refusal(TWILIO, { ...env, AUTHN_CALL_WEBHOOK_URL: 'https://a.example/c' })).toContain('the call channel')
  })

  it('takes secrets from the environment only: a flag for one is refused without repeating it', () => {
    expect(refusal([...TWILIO, '--twilio-auth-token', TOKEN])).toBe(
      "--twilio-auth-token is not an option: set AUTHN_TWILIO_AUTH_TOKEN in the environment (a flag's value shows in ps)",
    )
    expect(refusal([`--webhook-secret=${SECRET}`])).toContain('AUTHN_WEBHOOK_SECRET')
  })

  it('does not repeat the password of a URL given as a stray argument', () => {
    const message = refusal(['--dev-outbox', `smtp://alice:${PASSWORD}@mail.example.com`])
    expect(message).toContain('smtp://alice:***@mail.example.com')
  })
})
