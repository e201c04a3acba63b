/**
 * A sign-in load generator in a process of its own (forked by `bench/rate-limits.ts` through
 * `fork-client.ts`, IPC channel): `POST /api/v1/authn` with a username and password, expecting 200
 * SUCCESS, through one keep-alive `http.Agent` over loopback, and answers each command with its
 * measurements. Each target (and each target with forwarded addresses) has its own cursor over the
 * same list of usernames, so every one sees the same sequence of users. It runs one command at a
 * time and exits on `exit`, when the parent goes away (IPC disconnect), or at the latest after
 * `DEADLINE_MS`.
 */
import { Agent, request } from 'node:http'
import { performance } from 'node:perf_hooks'
import { serveCommands } from './fork-client.js'

export type SigninCommand =
  | {
      readonly type: 'init'
      /** Name → `http://127.0.0.1:port/api/v1/authn` of a server seeded with every login below. */
      readonly targets: Readonly<Record<string, string>>
      readonly logins: ReadonlyArray<string>
      readonly password: string
      readonly concurrency: number
    }
  | {
      readonly type: 'signins'
      readonly target: string
      readonly count: number
      /**
       * Send each request with `X-Forwarded-For` from one of this many addresses in turn (10.0.x.y),
       * as a gateway in front of many clients would (the server must trust 127.0.0.1 as a proxy).
       * Default 0: none, every request from the loopback address.
       */
      readonly addresses?: number
    }
  | { readonly type: 'exit' }

export type SigninReply =
  | { readonly type: 'ready' }
  | {
      readonly type: 'signins'
      readonly requests: number
      readonly seconds: number
      /** Per request (ms). */
      readonly latencies: ReadonlyArray<number>
      /** Answers that carried `X-Rate-Limit-Limit` (the server counted the request). */
      readonly withRateHeaders: number
      /** The least `X-Rate-Limit-Remaining` seen (the client-address bucket's), or null when none came. */
      readonly minRemaining: number | null
    }
  | { readonly type: 'error'; readonly message: string }

const DEADLINE_MS = 600_000


const main = () => {
  if (process.send === undefined) throw new Error('http-signin-client runs forked by bench/rate-limits.ts (it needs an IPC channel)')
  // Never outlive a stuck run.
  setTimeout(() => process.exit(3), DEADLINE_MS).unref()
  let agent: Agent | null = null
  let init: Extract<SigninCommand, { type: 'init' }> | null = null
  let bodies: ReadonlyArray<string> = []
  const cursors = new Map<string, number>()

  interface Answer {
    readonly status: number
    readonly text: string
    readonly limit: string | undefined
    readonly remaining: string | undefined
  }
  const post = (url: string, body: string, forwardedFor: string | null): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = { 'content-type': 'application/json', accept: 'application/json', 'content-length': Buffer.byteLength(body) }
      if (forwardedFor !== null) headers['x-forwarded-for'] = forwardedFor
      const req = request(
        url,
        { method: 'POST', agent: agent ?? undefined, headers },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () => {
            const h = (name: string) => {
              const v = res.headers[name]
              return Array.isArray(v) ? v[0] : v
            }
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), limit: h('x-rate-limit-limit'), remaining: h('x-rate-limit-remaining') })
          })
          res.on('error', reject)
        },
      )
      req.on('error', reject)
      req.end(body)
    })

  const signins = async (target: string, count: number, addresses: number): Promise<SigninReply> => {
    if (init === null) throw new Error('signins before init')
    const url = init.targets[target]
    if (url === undefined) throw new Error(`unknown target ${target}`)
    const latencies: number[] = []
    let withRateHeaders = 0
    let minRemaining: number | null = null
    let started = 0
    const cursor = addresses > 0 ? `${target} from ${addresses} addresses` : target
    const one = async () => {
      const i = cursors.get(cursor) ?? 0
      cursors.set(cursor, i + 1)
      const body = bodies[i % bodies.length] ?? ''
      const k = addresses > 0 ? i % addresses : 0
      const t0 = performance.now()
      const a = await post(url, body, addresses > 0 ? `10.0.${(k >> 8) & 255}.${k & 255}` : null)
      const t1 = performance.now()
      if (a.status !== 200 || !a.text.includes('"status":"SUCCESS"')) throw new Error(`sign-in on ${target}: ${a.status} ${a.text.slice(0, 300)}`)
      latencies.push(t1 - t0)
      if (a.limit !== undefined) withRateHeaders++
      if (a.remaining !== undefined) {
        const r = Number(a.remaining)
        if (minRemaining === null || r < minRemaining) minRemaining = r
      }
    }
    const t0 = performance.now()
    const worker = async () => {
      while (started < count) {
        started++
        await one()
      }
    }
    await Promise.all(Array.from({ length: init.concurrency }, worker))
    const seconds = (performance.now() - t0) / 1000
    return { type: 'signins', requests: count, seconds, latencies, withRateHeaders, minRemaining }
  }

  const handle = async (c: SigninCommand): Promise<SigninReply | null> => {
    switch (c.type) {
      case 'init':
        init = c
        agent = new Agent({ keepAlive: true, maxSockets: c.concurrency })
        bodies = c.logins.map((username) => JSON.stringify({ username, password: c.password }))
        return { type: 'ready' }
      case 'signins':
        return signins(c.target, c.count, c.addresses ?? 0)
      case 'exit':
        return null
    }
  }

  serveCommands(handle, () => agent?.destroy())
}

main()
