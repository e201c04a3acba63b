import { connect, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { DEFAULT_LIMITS } from '../src/index.js'
import { DEMO, createServers, postJson } from './support.js'

const servers = createServers()
const sockets: Socket[] = []
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy()
  await servers.closeAll()
})

/** Opens a raw connection to a server URL; resolves once connected. */
const open = (url: string): Promise<Socket> =>
  new Promise((resolve, reject) => {
    const { hostname, port } = new URL(url)
    const socket = connect(Number(port), hostname, () => resolve(socket))
    sockets.push(socket)
    socket.on('error', reject)
  })

/** What the server wrote before it closed the connection, and after how many ms. */
const untilClosed = (socket: Socket, started: number): Promise<{ readonly text: string; readonly afterMs: number }> =>
  new Promise((resolve) => {
    let text = ''
    socket.setEncoding('utf8')
    socket.on('data', (d: string) => (text += d))
    socket.on('error', () => undefined)
    socket.on('close', () => resolve({ text, afterMs: Date.now() - started }))
  })

/** Starts a server, opens a connection and writes the start of a request that never completes. */
const stall = async (options: Parameters<typeof servers.start>[0], start: string) => {
  const server = await servers.start(options)
  const socket = await open(server.url)
  const closed = untilClosed(socket, Date.now())
  socket.write(start)
  return { socket, closed }
}

describe('connection limits of the reference server', () => {
  it('defaults to explicit timeouts and a connection cap instead of Node’s', () => {
    expect(DEFAULT_LIMITS).toEqual({ headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000, maxConnections: 1_024 })
  })

  it('cuts off a client that sends its headers slowly (slowloris) with 408', async () => {
    const { socket, closed } = await stall({ headersTimeoutMs: 400, requestTimeoutMs: 2_000 }, 'POST /api/v1/authn HTTP/1.1\r\nHost: localhost\r\n')
    // One header line every 100 ms: the connection is never idle, but the headers never end.
    const drip = setInterval(() => {
      if (!socket.destroyed) socket.write(`X-Drip-${Date.now()}: 1\r\n`)
    }, 100)
    try {
      const { text, afterMs } = await closed
      expect(text).toMatch(/^HTTP\/1\.1 408/)
      expect(afterMs).toBeGreaterThanOrEqual(350)
      expect(afterMs).toBeLessThan(3_000)
    } finally {
      clearInterval(drip)
    }
  })

  it('cuts off a client that stalls in the middle of its body', async () => {
    const body = 'POST /api/v1/authn HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"user'
    const { closed } = await stall({ headersTimeoutMs: 300, requestTimeoutMs: 600 }, body)
    const { text, afterMs } = await closed
    expect(text).toMatch(/^HTTP\/1\.1 408/)
    expect(afterMs).toBeLessThan(3_000)
  })

  it('still serves ordinary requests under the limits', async () => {
    const server = await servers.start({ headersTimeoutMs: 400, requestTimeoutMs: 1_000, keepAliveTimeoutMs: 200, maxConnections: 4 })
    const r = await postJson(`${server.url}/api/v1/authn`, DEMO.active)
    expect(r.status).toBe(200)
  })

  it('closes connections beyond maxConnections on arrival', async () => {
    const server = await servers.start({ maxConnections: 1 })
    const first = await open(server.url)
    first.write('POST /api/v1/authn HTTP/1.1\r\nHost: localhost\r\n')
    const second = await open(server.url)
    const { text } = await untilClosed(second, Date.now())
    expect(text).toBe('')
    expect(first.destroyed).toBe(false)
  })
})
