/**
 * The load generator of `bench/http-mfa.ts`, in a process of its own: forked by it with an IPC
 * channel, it talks to the servers over loopback through one keep-alive `http.Agent` and answers
 * each command with its measurements. It runs one command at a time and exits on `exit`, when the
 * parent goes away (IPC disconnect), or at the latest after `DEADLINE_MS`.
 */
import { Agent, request } from 'node:http'
import { performance } from 'node:perf_hooks'
import { TOTP_DEFAULTS, secretBytes, totpCode } from '@authn-machine/factor-totp'
import { serveCommands } from './fork-client.js'

/** A seeded user with an ACTIVE TOTP factor whose base32 key is `secret`. */
export interface ClientUser {
  readonly login: string
  readonly secret: string
}

export type ClientCommand =
  | {
      readonly type: 'init'
      /** `http://127.0.0.1:port/api/v1/authn` of the reference server. */
      readonly authnUrl: string
      readonly echoUrl: string
      readonly password: string
      /** One user per flow: the client never verifies a user's factor twice (TOTP codes are single-use per step). */
      readonly users: ReadonlyArray<ClientUser>
      readonly concurrency: number
    }
  | { readonly type: 'flows'; readonly count: number }
  | { readonly type: 'echo'; readonly count: number }
  | { readonly type: 'exit' }

export type ClientReply =
  | { readonly type: 'ready' }
  | {
      readonly type: 'flows'
      readonly flows: number
      readonly seconds: number
      /** Per request (ms): `POST /api/v1/authn` → MFA_REQUIRED, and `POST …/factors/{id}/verify` → SUCCESS. */
      readonly primary: ReadonlyArray<number>
      readonly verify: ReadonlyArray<number>
      /** Whole flow (ms), code computation included. */
      readonly flow: ReadonlyArray<number>
    }
  | { readonly type: 'echo'; readonly requests: number; readonly seconds: number; readonly latencies: ReadonlyArray<number> }
  | { readonly type: 'error'; readonly message: string }

const DEADLINE_MS = 180_000

interface Answer {
  readonly status: number
  readonly text: string
}


const main = () => {
  if (process.send === undefined) throw new Error('http-mfa-client runs forked by bench/http-mfa.ts (it needs an IPC channel)')
  // Never outlive a stuck run.
  setTimeout(() => process.exit(3), DEADLINE_MS).unref()
  let agent: Agent | null = null
  let init: Extract<ClientCommand, { type: 'init' }> | null = null
  let keys: ReadonlyArray<Uint8Array> = []
  let nextUser = 0

  const post = (url: string, body: string): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const req = request(
        url,
        { method: 'POST', agent: agent ?? undefined, headers: { 'content-type': 'application/json', accept: 'application/json', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }))
          res.on('error', reject)
        },
      )
      req.on('error', reject)
      req.end(body)
    })

  /** `total` jobs with `concurrency` in flight; wall-clock seconds. */
  const drive = async (total: number, concurrency: number, job: () => Promise<void>): Promise<number> => {
    let started = 0
    const t0 = performance.now()
    const worker = async () => {
      while (started < total) {
        started++
        await job()
      }
    }
    await Promise.all(Array.from({ length: concurrency }, worker))
    return (performance.now() - t0) / 1000
  }

  const flows = async (count: number): Promise<ClientReply> => {
    if (init === null) throw new Error('flows before init')
    const { authnUrl, password, users, concurrency } = init
    if (nextUser + count > users.length) throw new Error(`${count} flows asked, ${users.length - nextUser} unused users left`)
    const primary: number[] = []
    const verify: number[] = []
    const flow: number[] = []
    const one = async () => {
      const i = nextUser++
      const user = users[i]
      const key = keys[i]
      if (user === undefined || key === undefined) throw new Error(`no user ${i}`)
      const t0 = performance.now()
      const a = await post(authnUrl, JSON.stringify({ username: user.login, password }))
      const t1 = performance.now()
      const first = JSON.parse(a.text) as { status?: string; stateToken?: string; _embedded?: { factors?: ReadonlyArray<{ id?: string }> } }
      const factorId = first._embedded?.factors?.[0]?.id
      if (a.status !== 200 || first.status !== 'MFA_REQUIRED' || first.stateToken === undefined || factorId === undefined)
        throw new Error(`primary authentication of ${user.login}: ${a.status} ${a.text.slice(0, 300)}`)
      const passCode = await totpCode(key, Math.floor(Date.now() / 1000), TOTP_DEFAULTS)
      const t2 = performance.now()
      const b = await post(`${authnUrl}/factors/${factorId}/verify`, JSON.stringify({ stateToken: first.stateToken, passCode }))
      const t3 = performance.now()
      if (b.status !== 200 || (JSON.parse(b.text) as { status?: string }).status !== 'SUCCESS') throw new Error(`verify of ${user.login}: ${b.status} ${b.text.slice(0, 300)}`)
      primary.push(t1 - t0)
      verify.push(t3 - t2)
      flow.push(t3 - t0)
    }
    const seconds = await drive(count, concurrency, one)
    return { type: 'flows', flows: count, seconds, primary, verify, flow }
  }

  const echo = async (count: number): Promise<ClientReply> => {
    if (init === null) throw new Error('echo before init')
    const { echoUrl, password, users, concurrency } = init
    const body = JSON.stringify({ username: users[0]?.login ?? 'bench@example.com', password })
    const latencies: number[] = []
    const seconds = await drive(count, concurrency, async () => {
      const t0 = performance.now()
      const a = await post(echoUrl, body)
      if (a.status !== 200) throw new Error(`echo: ${a.status}`)
      latencies.push(performance.now() - t0)
    })
    return { type: 'echo', requests: count, seconds, latencies }
  }

  const handle = async (c: ClientCommand): Promise<ClientReply | null> => {
    switch (c.type) {
      case 'init':
        init = c
        agent = new Agent({ keepAlive: true, maxSockets: c.concurrency })
        keys = c.users.map((u) => {
          const k = secretBytes(u.secret)
          if (k === null) throw new Error(`not a canonical base32 key: ${u.secret}`)
          return k
        })
        return { type: 'ready' }
      case 'flows':
        return flows(c.count)
      case 'echo':
        return echo(c.count)
      case 'exit':
        return null
    }
  }

  serveCommands(handle, () => agent?.destroy())
}

main()
