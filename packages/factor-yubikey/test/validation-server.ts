// A Yubico validation server (protocol 2.0, GET /wsapi/2.0/verify) for tests, on 127.0.0.1: it
// checks the request's signature with the client's API key, checks OTPs against its keys with this
// package's own local checker, keeps the last position of each key (REPLAYED_OTP, and
// REPLAYED_REQUEST for the same OTP with the same nonce) and signs its answers. `behaviour` makes
// it misbehave on purpose.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { checkOtp, decodeApiKey, formatWsapiAnswer, hasValidSignature, signed, splitOtp, VERIFY_PATH, type WsapiStatus, type YubikeyKey } from '../src/index.js'

export interface ValidationServerBehaviour {
  /** Answer this status whatever the request (still signed, echoing otp and nonce). */
  status?: WsapiStatus | undefined
  /** Break the answer: another signature, no signature, another otp, another nonce, not the protocol, an HTTP error. */
  tamper?: 'signature' | 'unsigned' | 'otp' | 'nonce' | 'garbage' | 'http500' | undefined
  /** Wait this long before answering (ms). */
  delayMs?: number | undefined
  /** Leave out the token's counters even when asked for them. */
  noCounters?: boolean | undefined
}

export interface ValidationServerOptions {
  readonly keys: ReadonlyArray<YubikeyKey>
  /** Client ids and their API keys (base64). */
  readonly clients: Readonly<Record<string, string>>
  /** Keep each key's last position and refuse replays (default true). Without it every valid OTP is OK. */
  readonly trackReplays?: boolean
}

export interface RunningValidationServer {
  /** The server's origin (`http://127.0.0.1:PORT`); the verify URL is this plus `/wsapi/2.0/verify`. */
  readonly url: string
  readonly behaviour: ValidationServerBehaviour
  /** The query of every request received, in order. */
  readonly requests: Array<Readonly<Record<string, string>>>
  readonly close: () => Promise<void>
}

const isoNow = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z0') + '001'

export const startValidationServer = async (o: ValidationServerOptions): Promise<RunningValidationServer> => {
  const behaviour: ValidationServerBehaviour = {}
  const requests: Array<Record<string, string>> = []
  const keys = new Map(o.keys.map((k) => [k.publicId, k]))
  const clients = new Map(Object.entries(o.clients).map(([id, key]) => [id, decodeApiKey(key) ?? new Uint8Array(0)]))
  const seen = new Map<string, { position: number; nonce: string }>()
  const trackReplays = o.trackReplays ?? true

  const decide = (q: ReadonlyMap<string, string>): { status: WsapiStatus; counters?: { sessionCounter: number; sessionUse: number; timestamp: number } } => {
    if (behaviour.status !== undefined) return { status: behaviour.status }
    const id = q.get('id')
    const otp = q.get('otp')
    const nonce = q.get('nonce')
    if (id === undefined || otp === undefined || nonce === undefined || !/^[A-Za-z0-9]{16,40}$/.test(nonce)) return { status: 'MISSING_PARAMETER' }
    const key = clients.get(id)
    if (key === undefined) return { status: 'NO_SUCH_CLIENT' }
    if (q.has('h') && !hasValidSignature(q, key)) return { status: 'BAD_SIGNATURE' }
    const split = splitOtp(otp)
    const yubikey = split === null ? undefined : keys.get(split.publicId)
    if (split === null || yubikey === undefined) return { status: 'BAD_OTP' }
    const check = checkOtp(split, yubikey)
    if (check._tag === 'Invalid') return { status: 'BAD_OTP' }
    const counters = { sessionCounter: check.token.sessionCounter & 0x7fff, sessionUse: check.token.sessionUse, timestamp: check.token.timestamp }
    if (trackReplays) {
      const last = seen.get(split.publicId)
      if (last !== undefined && check.position < last.position) return { status: 'REPLAYED_OTP' }
      if (last !== undefined && check.position === last.position) return { status: last.nonce === nonce ? 'REPLAYED_REQUEST' : 'REPLAYED_OTP' }
      seen.set(split.publicId, { position: check.position, nonce })
    }
    return { status: 'OK', counters }
  }

  const answer = (req: IncomingMessage, res: ServerResponse): void => {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1')
    if (req.method !== 'GET' || u.pathname !== VERIFY_PATH) {
      res.writeHead(404).end()
      return
    }
    const q = new Map(u.searchParams)
    requests.push(Object.fromEntries(q))
    const { status, counters } = decide(q)
    const fields = new Map<string, string>([['t', isoNow()]])
    const otp = q.get('otp')
    const nonce = q.get('nonce')
    if (otp !== undefined) fields.set('otp', behaviour.tamper === 'otp' ? `${otp.slice(0, -1)}${otp.endsWith('c') ? 'b' : 'c'}` : otp)
    if (nonce !== undefined) fields.set('nonce', behaviour.tamper === 'nonce' ? `${nonce}x` : nonce)
    fields.set('sl', '100')
    if (counters !== undefined && q.get('timestamp') === '1' && behaviour.noCounters !== true) {
      fields.set('timestamp', String(counters.timestamp))
      fields.set('sessioncounter', String(counters.sessionCounter))
      fields.set('sessionuse', String(counters.sessionUse))
    }
    fields.set('status', status)
    const key = clients.get(q.get('id') ?? '')
    let out: ReadonlyMap<string, string> = key === undefined || behaviour.tamper === 'unsigned' ? fields : signed(fields, key)
    if (behaviour.tamper === 'signature') out = new Map([...out, ['h', 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=']])
    const send = (): void => {
      if (behaviour.tamper === 'http500') res.writeHead(500, { 'content-type': 'text/plain' }).end('oops')
      else if (behaviour.tamper === 'garbage') res.writeHead(200, { 'content-type': 'text/plain' }).end('<html>not the protocol</html>')
      else res.writeHead(200, { 'content-type': 'text/plain' }).end(formatWsapiAnswer(out))
    }
    if (behaviour.delayMs === undefined) send()
    else setTimeout(send, behaviour.delayMs).unref()
  }

  const server = createServer(answer)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    behaviour,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** A port nothing listens on: a server started and closed. */
export const deadUrl = async (): Promise<string> => {
  const s = createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const { port } = s.address() as AddressInfo
  await new Promise<void>((resolve) => s.close(() => resolve()))
  return `http://127.0.0.1:${port}`
}
