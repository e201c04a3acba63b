import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { parseVipRequest, responseEnvelope, type VipStatus } from '../src/index.js'
import type { TestPki } from './pki.js'

/** A credential the stub knows: its codes in order (each usable once), and whether it is disabled. */
export interface StubCredential {
  readonly codes: ReadonlyArray<string>
  readonly disabled?: boolean
}

/** How the stub misbehaves, when a test asks it to. */
export type StubMode = 'normal' | 'slow' | 'malformed' | 'fault' | 'doctype'

/** A request the stub answered: the operation, its fields, and the client certificate's common name. */
export interface StubCall {
  readonly operation: string
  readonly fields: Readonly<Record<string, string>>
  readonly clientCn: string
}

export interface VipStub {
  readonly endpoint: string
  readonly calls: StubCall[]
  /** TLS connections accepted so far (pooled connections are reused). */
  readonly connections: () => number
  mode: StubMode
  readonly close: () => Promise<void>
}

/** The reason code this stub answers for a code used before (the test's choice, given to the factor). */
export const STUB_REPLAY_CODE = '49F0'
export const STUB_UNKNOWN_CREDENTIAL_CODE = '4994'
const SLOW_MS = 3_000

/**
 * A local VIP validation service over HTTPS that requires a client certificate from the test CA.
 * `Validate`: a code of the credential's list not used yet succeeds (0000) and is used up; a used
 * one answers `replayCode`; another answers 49B5; a disabled credential 4993. `Synchronize`: two
 * consecutive unused codes of the list succeed and are both used up.
 */
export const startVipStub = async (
  pki: TestPki,
  credentials: Readonly<Record<string, StubCredential>>,
  replayCode: string = STUB_REPLAY_CODE,
  /** `false`: codes are never used up (a service that keeps no memory, for the conformance suite). */
  remember = true,
): Promise<VipStub> => {
  const used = new Map<string, Set<string>>()
  const calls: StubCall[] = []
  let connections = 0
  const usedOf = (tokenId: string): Set<string> => {
    const s = used.get(tokenId) ?? new Set<string>()
    if (remember) used.set(tokenId, s)
    return s
  }
  const decide = (operation: string, f: Readonly<Record<string, string>>): VipStatus => {
    const tokenId = f['TokenId'] ?? ''
    const cred = credentials[tokenId]
    if (cred === undefined) return { reasonCode: STUB_UNKNOWN_CREDENTIAL_CODE, statusMessage: 'Token does not exist' }
    if (cred.disabled === true) return { reasonCode: '4993', statusMessage: 'Operation not allowed on a disabled token' }
    const u = usedOf(tokenId)
    if (operation === 'Validate') {
      const otp = f['OTP'] ?? ''
      if (u.has(otp)) return { reasonCode: replayCode, statusMessage: 'OTP already used' }
      if (!cred.codes.includes(otp)) return { reasonCode: '49B5', statusMessage: 'Failed with an invalid OTP' }
      u.add(otp)
      return { reasonCode: '0000', statusMessage: 'Success' }
    }
    if (operation === 'Synchronize') {
      const a = cred.codes.indexOf(f['OTP1'] ?? '')
      const b = cred.codes.indexOf(f['OTP2'] ?? '')
      if (a < 0 || b !== a + 1 || u.has(f['OTP1'] ?? '') || u.has(f['OTP2'] ?? '')) return { reasonCode: '49B5', statusMessage: 'Failed with an invalid OTP' }
      u.add(f['OTP1'] ?? '')
      u.add(f['OTP2'] ?? '')
      return { reasonCode: '0000', statusMessage: 'Success' }
    }
    return { reasonCode: '4E01', statusMessage: 'Unsupported operation' }
  }

  const stub: { mode: StubMode } = { mode: 'normal' }
  const server: Server = createServer({ key: pki.server.key, cert: pki.server.cert, ca: pki.ca.cert, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const parsed = parseVipRequest(Buffer.concat(chunks).toString('utf8'))
      const clientCn = String((req.socket as TLSSocket).getPeerCertificate().subject?.CN ?? '')
      const reply = (status: number, body: string): void => {
        res.writeHead(status, { 'content-type': 'text/xml; charset=utf-8' }).end(body)
      }
      if (parsed === null || req.method !== 'POST') return reply(400, 'not a SOAP request')
      calls.push({ operation: parsed.operation, fields: parsed.fields, clientCn })
      const answer = responseEnvelope(parsed.operation, parsed.requestId, decide(parsed.operation, parsed.fields))
      switch (stub.mode) {
        case 'normal':
          return reply(200, answer)
        case 'slow': {
          const t = setTimeout(() => reply(200, answer), SLOW_MS)
          res.on('close', () => clearTimeout(t))
          return
        }
        case 'malformed':
          return reply(200, '<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body><ValidateResponse><Status><ReasonCode>00')
        case 'fault':
          return reply(500, '<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body><S:Fault><faultcode>S:Server</faultcode><faultstring>boom</faultstring></S:Fault></S:Body></S:Envelope>')
        case 'doctype':
          return reply(200, `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "0000">]>${answer.replace(/^<\?xml[^>]*\?>/, '')}`)
      }
    })
  })
  server.on('secureConnection', () => {
    connections += 1
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return Object.assign(stub, {
    endpoint: `https://127.0.0.1:${port}/val/soap`,
    calls,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  })
}
