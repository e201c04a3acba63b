import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net'

export interface Running {
  readonly port: number
  readonly close: () => Promise<void>
}

const closeServer = (server: Server, sockets: Set<Socket>): Promise<void> =>
  new Promise((resolve) => {
    for (const s of sockets) s.destroy()
    server.close(() => resolve())
  })

const listen = (server: Server): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port))
  })

/** A TCP server on 127.0.0.1 that accepts connections and never says anything. */
export async function startSilentTcpServer(): Promise<Running> {
  const sockets = new Set<Socket>()
  const server = createTcpServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
  })
  const port = await listen(server)
  return { port, close: () => closeServer(server, sockets) }
}

export interface RecordedRequest {
  readonly method: string
  readonly url: string
  readonly headers: IncomingMessage['headers']
  readonly body: string
}

/**
 * An HTTP server on 127.0.0.1 that records each request (with its whole body) and answers with
 * `handler`; a handler that returns `'silent'` leaves the request unanswered.
 */
export async function startHttpServer(
  handler: (req: RecordedRequest, res: ServerResponse) => void | 'silent',
): Promise<Running & { readonly requests: RecordedRequest[] }> {
  const requests: RecordedRequest[] = []
  const sockets = new Set<Socket>()
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const recorded = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      }
      requests.push(recorded)
      handler(recorded, res)
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  const port = await listen(server)
  return { port, requests, close: () => closeServer(server, sockets) }
}

export const json = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body))
}
