import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createSecureServer, type Http2SecureServer, type IncomingHttpHeaders, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

// ---------------------------------------------------------------------------------------------
// Test PKI (the idea of packages/factor-symantec/test/pki.ts): a CA with a server certificate for
// 127.0.0.1, and a second CA with one the gateway does not trust.

export interface Issued {
  readonly cert: string
  readonly key: string
}

export const makePki = (): { readonly ca: Issued; readonly server: Issued; readonly rogueServer: Issued; readonly dispose: () => void } => {
  const dir = mkdtempSync(join(tmpdir(), 'apns-pki-'))
  const ssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
  }
  const read = (name: string): Issued => ({ cert: readFileSync(join(dir, `${name}.crt`), 'utf8'), key: readFileSync(join(dir, `${name}.key`), 'utf8') })
  const curve = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1']
  const makeCa = (name: string): Issued => {
    ssl('req', '-x509', ...curve, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-subj', `/CN=${name}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign')
    return read(name)
  }
  const issueServer = (name: string, ca: string): Issued => {
    ssl('req', '-x509', ...curve, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-subj', '/CN=localhost', '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`,
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-addext', 'extendedKeyUsage=serverAuth', '-addext', 'basicConstraints=critical,CA:FALSE')
    return read(name)
  }
  try {
    const ca = makeCa('apns-test-ca')
    const server = issueServer('server', 'apns-test-ca')
    makeCa('rogue-ca')
    const rogueServer = issueServer('rogue-server', 'rogue-ca')
    return { ca, server, rogueServer, dispose: () => rmSync(dir, { recursive: true, force: true }) }
  } catch (e) {
    rmSync(dir, { recursive: true, force: true })
    throw e
  }
}

// ---------------------------------------------------------------------------------------------
// A stand-in for APNs: records every request, answers from a script (200 when the script is empty).

export interface Received {
  readonly headers: IncomingHttpHeaders
  readonly body: string
}
export type Reply = (stream: ServerHttp2Stream) => void

export interface StubApns {
  readonly origin: string
  readonly received: Received[]
  /** The replies for the next requests, in order. */
  readonly script: Reply[]
  readonly sessionsOpened: () => number
  readonly openSessions: () => number
  readonly close: () => Promise<void>
}

export const answer = (status: number, body?: object): Reply => (stream) => {
  stream.respond({ ':status': status, ...(body === undefined ? {} : { 'content-type': 'application/json' }) })
  stream.end(body === undefined ? undefined : JSON.stringify(body))
}
export const hang: Reply = () => undefined

export const startStub = async (identity: Issued): Promise<StubApns> => {
  const server: Http2SecureServer = createSecureServer({ key: identity.key, cert: identity.cert })
  const received: Received[] = []
  const script: Reply[] = []
  const sessions = new Set<ServerHttp2Session>()
  let opened = 0
  server.on('session', (s) => {
    opened += 1
    sessions.add(s)
    s.on('error', () => undefined)
    s.on('close', () => sessions.delete(s))
  })
  server.on('tlsClientError', () => undefined)
  server.on('stream', (stream, headers) => {
    stream.on('error', () => undefined)
    const chunks: Buffer[] = []
    stream.on('data', (c: Buffer) => chunks.push(c))
    stream.on('end', () => {
      received.push({ headers, body: Buffer.concat(chunks).toString('utf8') })
      ;(script.shift() ?? answer(200))(stream)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    origin: `https://127.0.0.1:${port}`,
    received,
    script,
    sessionsOpened: () => opened,
    openSessions: () => sessions.size,
    close: () => new Promise<void>((resolve) => {
      for (const s of sessions) s.destroy()
      server.close(() => resolve())
    }),
  }
}
