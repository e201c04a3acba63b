import * as TE from 'fp-ts/lib/TaskEither.js'
import type { Hasher } from '@authn-machine/core'
import { createTrivialHasher } from '@authn-machine/testkit/fixtures'
import { afterEach, describe, expect, it } from 'vitest'
import { DEMO, createServers, postJson } from './support.js'

const servers = createServers()
afterEach(() => servers.closeAll())

/** A hasher whose `verify` waits until released, so a request can be held in flight. */
const gatedHasher = () => {
  const inner = createTrivialHasher()
  let entered: () => void = () => undefined
  let release: () => void = () => undefined
  const inFlight = new Promise<void>((resolve) => (entered = resolve))
  const gate = new Promise<void>((resolve) => (release = resolve))
  let armed = false
  const hasher: Hasher = {
    hash: inner.hash,
    verify: (hash, plain) =>
      armed
        ? TE.fromTask(async () => {
            entered()
            await gate
            const r = await inner.verify(hash, plain)()
            return r._tag === 'Right' ? r.right : false
          })
        : inner.verify(hash, plain),
  }
  return { hasher, inFlight, release, arm: () => (armed = true) }
}

describe('graceful shutdown', () => {
  it('finishes a request in flight, refuses new connections, then resolves close()', async () => {
    const gated = gatedHasher()
    const server = await servers.start({ hasher: gated.hasher })
    gated.arm()
    const pending = postJson(`${server.url}/api/v1/authn`, DEMO.active)
    await gated.inFlight
    let closed = false
    const closing = server.close().then(() => (closed = true))
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(closed).toBe(false)
    await expect(fetch(`${server.url}/health`)).rejects.toThrow()
    gated.release()
    const r = await pending
    expect(r.status).toBe(200)
    expect(r.body['status']).toBe('SUCCESS')
    await closing
    expect(closed).toBe(true)
  })

  it('health answers while serving', async () => {
    const server = await servers.start({ hasher: createTrivialHasher() })
    const r = await fetch(`${server.url}/health`)
    expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(await r.json()).toEqual({ status: 'ok' })
    expect((await fetch(`${server.url}/health`, { method: 'HEAD' })).status).toBe(200)
    expect((await fetch(`${server.url}/health`, { method: 'POST', body: '{}' })).status).toBe(404)
  })
})
