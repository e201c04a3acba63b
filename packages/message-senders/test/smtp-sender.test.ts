import type { AddressInfo } from 'node:net'
import * as E from 'fp-ts/lib/Either.js'
import { generate } from 'selfsigned'
import { SMTPServer, type SMTPServerOptions } from 'smtp-server'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createSmtpSender } from '../src/index.js'
import { message } from './fixtures.js'
import { type Running, startSilentTcpServer } from './servers.js'

const USER = 'mailer'
const PASS = 'p@ss:w/rd'
const from = '"Authn" <no-reply@authn.test>'

interface Received {
  readonly user: unknown
  readonly mailFrom: string | false
  readonly rcptTo: ReadonlyArray<string>
  readonly raw: string
}

const running: Running[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()))
})

/** A real SMTP server on 127.0.0.1 (smtp-server) that requires AUTH with USER/PASS. */
async function startSmtpServer(tls?: { key: string; cert: string }): Promise<Running & { received: Received[] }> {
  const received: Received[] = []
  const options: SMTPServerOptions = {
    logger: false,
    authMethods: ['PLAIN', 'LOGIN'],
    ...(tls === undefined
      ? { secure: false, disabledCommands: ['STARTTLS'], allowInsecureAuth: true }
      : { secure: true, key: tls.key, cert: tls.cert }),
    onAuth(auth, _session, callback) {
      if (auth.username === USER && auth.password === PASS) callback(null, { user: USER })
      else callback(new Error('Invalid username or password'))
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        received.push({
          user: session.user,
          mailFrom: session.envelope.mailFrom === false ? false : session.envelope.mailFrom.address,
          rcptTo: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        })
        callback()
      })
    },
  }
  const server = new SMTPServer(options)
  // Client-side aborts (an untrusted certificate, a timeout) surface here; the tests check outcomes.
  server.on('error', () => {})
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const port = (server.server.address() as AddressInfo).port
  return { port, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) }
}

/** The header block of a raw message, unfolded, as lower-cased name → value. */
const headersOf = (raw: string): Record<string, string> => {
  const block = raw.split(/\r?\n\r?\n/)[0] ?? ''
  const out: Record<string, string> = {}
  for (const line of block.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const i = line.indexOf(':')
    if (i > 0) out[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim()
  }
  return out
}
const bodyOf = (raw: string): string => raw.split(/\r?\n\r?\n/).slice(1).join('\n\n')

const url = (scheme: 'smtp' | 'smtps', port: number, pass = PASS) =>
  `${scheme}://${encodeURIComponent(USER)}:${encodeURIComponent(pass)}@127.0.0.1:${port}`

describe('createSmtpSender (real SMTP server on loopback)', () => {
  it('delivers the email with the code in the body and the From/To/Subject/Message-ID/X-Authn-Purpose headers', async () => {
    const smtp = await startSmtpServer()
    running.push(smtp)
    const sender = createSmtpSender({ url: url('smtp', smtp.port), from, timeoutMs: 5_000 })
    const m = message({
      id: 'msg-7Hq2',
      channel: 'email',
      to: 'ada@example.com',
      subject: 'Your sign-in code',
      text: 'Your sign-in code is 739184.',
      purpose: 'mfa-challenge',
    })

    expect(await sender.send(m)()).toEqual(E.right(undefined))
    expect(smtp.received).toHaveLength(1)
    const got = smtp.received[0]
    expect(got?.user).toBe(USER)
    expect(got?.mailFrom).toBe('no-reply@authn.test')
    expect(got?.rcptTo).toEqual(['ada@example.com'])
    const headers = headersOf(got?.raw ?? '')
    expect(headers['from']).toBe('Authn <no-reply@authn.test>')
    expect(headers['to']).toBe('ada@example.com')
    expect(headers['subject']).toBe('Your sign-in code')
    expect(headers['message-id']).toBe('<msg-7Hq2@authn.test>')
    expect(headers['x-authn-purpose']).toBe('mfa-challenge')
    expect(bodyOf(got?.raw ?? '')).toContain('Your sign-in code is 739184.')
  })

  it('a retry of the same message carries the same Message-ID', async () => {
    const smtp = await startSmtpServer()
    running.push(smtp)
    const sender = createSmtpSender({ url: url('smtp', smtp.port), from, timeoutMs: 5_000 })
    const m = message({ id: 'not a dot-atom <id>', channel: 'email', to: 'ada@example.com' })
    await sender.send(m)()
    await sender.send(m)()
    const ids = smtp.received.map((r) => headersOf(r.raw)['message-id'])
    expect(ids).toHaveLength(2)
    expect(ids[0]).toMatch(/^<[0-9a-f]{64}@authn\.test>$/)
    expect(ids[1]).toBe(ids[0])
  })

  it('a wrong password is Refused, nothing is delivered, and no credential is in the detail', async () => {
    const smtp = await startSmtpServer()
    running.push(smtp)
    const sender = createSmtpSender({ url: url('smtp', smtp.port, 'wrong-pass'), from, timeoutMs: 5_000 })
    const result = await sender.send(message({ channel: 'email', to: 'ada@example.com', text: 'code 111222' }))()
    expect(E.isLeft(result) && result.left._tag).toBe('Refused')
    expect(smtp.received).toEqual([])
    expect(JSON.stringify(result)).not.toContain('wrong-pass')
    expect(JSON.stringify(result)).not.toContain('111222')
  })

  it('sms and call messages are Refused without connecting', async () => {
    const smtp = await startSmtpServer()
    running.push(smtp)
    const sender = createSmtpSender({ url: url('smtp', smtp.port), from, timeoutMs: 5_000 })
    for (const channel of ['sms', 'call'] as const) {
      const result = await sender.send(message({ channel }))()
      expect(E.isLeft(result) && result.left._tag).toBe('Refused')
    }
    expect(smtp.received).toEqual([])
  })

  it('a server that accepts and stays silent is Unreachable within the timeout', async () => {
    const silent = await startSilentTcpServer()
    running.push(silent)
    const sender = createSmtpSender({ url: url('smtp', silent.port), from, timeoutMs: 500 })
    const started = Date.now()
    const result = await sender.send(message({ channel: 'email', to: 'ada@example.com' }))()
    expect(E.isLeft(result) && result.left._tag).toBe('Unreachable')
    expect(Date.now() - started).toBeLessThan(10_000)
  })

  it('a closed port is Unreachable', async () => {
    const silent = await startSilentTcpServer()
    const port = silent.port
    await silent.close()
    const sender = createSmtpSender({ url: url('smtp', port), from, timeoutMs: 2_000 })
    const result = await sender.send(message({ channel: 'email', to: 'ada@example.com' }))()
    expect(E.isLeft(result) && result.left._tag).toBe('Unreachable')
  })

  it('rejects a malformed url at creation without echoing it', () => {
    expect(() => createSmtpSender({ url: 'http://u:hunter2@127.0.0.1:25', from })).toThrow(/smtp: or smtps:/)
    expect(() => createSmtpSender({ url: 'not a url hunter2', from })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('hunter2') as unknown }),
    )
  })

  describe('smtps:// (TLS) with a certificate made for this test', () => {
    let pems: { key: string; cert: string }
    beforeAll(async () => {
      const generated = await generate([{ name: 'commonName', value: 'localhost' }], {
        keyType: 'ec',
        algorithm: 'sha256',
        extensions: [
          { name: 'basicConstraints', cA: false },
          { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
        ],
      })
      pems = { key: generated.private, cert: generated.cert }
    })

    it('delivers with the certificate trusted through `tls.ca`', async () => {
      const smtp = await startSmtpServer(pems)
      running.push(smtp)
      const sender = createSmtpSender({ url: url('smtps', smtp.port), from, timeoutMs: 5_000, tls: { ca: pems.cert } })
      const m = message({ channel: 'email', to: 'ada@example.com', text: 'TLS code 864209' })
      expect(await sender.send(m)()).toEqual(E.right(undefined))
      expect(smtp.received[0]?.user).toBe(USER)
      expect(bodyOf(smtp.received[0]?.raw ?? '')).toContain('TLS code 864209')
    })

    it('delivers with `rejectUnauthorized: false` (test configuration only)', async () => {
      const smtp = await startSmtpServer(pems)
      running.push(smtp)
      const sender = createSmtpSender({ url: url('smtps', smtp.port), from, timeoutMs: 5_000, tls: { rejectUnauthorized: false } })
      expect(await sender.send(message({ channel: 'email', to: 'ada@example.com' }))()).toEqual(E.right(undefined))
      expect(smtp.received).toHaveLength(1)
    })

    it('an untrusted certificate is not accepted: Unreachable, nothing delivered', async () => {
      const smtp = await startSmtpServer(pems)
      running.push(smtp)
      const sender = createSmtpSender({ url: url('smtps', smtp.port), from, timeoutMs: 5_000 })
      const result = await sender.send(message({ channel: 'email', to: 'ada@example.com' }))()
      expect(E.isLeft(result) && result.left._tag).toBe('Unreachable')
      expect(smtp.received).toEqual([])
    })
  })
})
