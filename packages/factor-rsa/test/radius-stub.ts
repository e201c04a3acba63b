import { createHash } from 'node:crypto'
import { createSocket, type RemoteInfo } from 'node:dgram'
import radius from 'radius'

/** What the stub does with one Access-Request (its index among those received, from 0). */
export type StubBehaviour = (index: number) => 'drop' | 'accept' | 'accept-wrong-secret' | 'accept-bad-ma' | 'accept-no-ma' | 'accept-other-id'

export interface RadiusStub {
  readonly port: number
  /** Every request received, raw. */
  readonly requests: ReadonlyArray<Buffer>
  readonly close: () => Promise<void>
}

/** Re-signs a reply's Response Authenticator (after its attributes were changed). */
const resign = (reply: Buffer, requestAuthenticator: Buffer, secret: string): Buffer => {
  const p = Buffer.from(reply)
  requestAuthenticator.copy(p, 4)
  createHash('md5').update(p).update(secret, 'utf8').digest().copy(p, 4)
  return p
}

/** An in-process RADIUS server on 127.0.0.1 (UDP), scripted per request, for what a real server will not do. */
export async function startRadiusStub(secret: string, behaviour: StubBehaviour): Promise<RadiusStub> {
  const socket = createSocket('udp4')
  const requests: Buffer[] = []
  const send = (b: Buffer, to: RemoteInfo): void => {
    socket.send(b, to.port, to.address)
  }
  socket.on('message', (msg, rinfo) => {
    const index = requests.length
    requests.push(Buffer.from(msg))
    const what = behaviour(index)
    if (what === 'drop') return
    const request = radius.decode({ packet: Buffer.from(msg), secret })
    const signed = radius.encode_response({ packet: request, code: 'Access-Accept', secret: what === 'accept-wrong-secret' ? `${secret}-not` : secret })
    switch (what) {
      case 'accept':
      case 'accept-wrong-secret':
        return send(signed, rinfo)
      case 'accept-bad-ma': {
        // The Message-Authenticator is the last attribute: flip a bit, keep the Response Authenticator right.
        const bad = Buffer.from(signed)
        bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 1
        return send(resign(bad, request.authenticator, secret), rinfo)
      }
      case 'accept-no-ma': {
        const bare = Buffer.from(signed.subarray(0, signed.length - 18))
        bare.writeUInt16BE(bare.length, 2)
        return send(resign(bare, request.authenticator, secret), rinfo)
      }
      case 'accept-other-id': {
        const other = Buffer.from(signed)
        other[1] = ((other[1] ?? 0) + 1) & 0xff
        return send(other, rinfo)
      }
    }
  })
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()))
  return {
    port: socket.address().port,
    requests,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  }
}
