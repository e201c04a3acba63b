import * as E from 'fp-ts/lib/Either.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { fc } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { createMemoryStores } from '@authn-machine/adapter-memory'
import type { Hasher } from '@authn-machine/core'
import { createManualClock, createSeededRandom, createTrivialHasher } from '@authn-machine/testkit/fixtures'
import { createInProcessSystem, createQueuedHasher } from '../src/index.js'
import { CALL, T0 } from './in-process-driver.js'

/** A hasher whose every verification waits until the test releases it; counts what runs at once. */
const gatedHasher = (check: (hash: string, plain: string) => boolean = (hash, plain) => hash === `$gated$${plain}`) => {
  const waiting: Array<() => void> = []
  let running = 0
  let most = 0
  const hasher: Hasher = {
    hash: (plain) => TE.right(`$gated$${plain}`),
    verify: (hash, plain) => () => {
      running += 1
      most = Math.max(most, running)
      return new Promise((resolve) => {
        waiting.push(() => {
          running -= 1
          resolve(E.right(check(hash, plain)))
        })
      })
    },
  }
  const releaseOne = (): boolean => {
    const next = waiting.shift()
    next?.()
    return next !== undefined
  }
  return { hasher, releaseOne, started: () => waiting.length, most: () => most }
}

const tick = () => new Promise((resolve) => setImmediate(resolve))

describe('the password-hashing queue (docs/adr/0014-rate-limits.md)', () => {
  it('runs at most `concurrency` at once, queues `maxQueued`, refuses the rest at once with HasherBusy; the queued run later', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 1, max: 14 }), async (concurrency, maxQueued, n) => {
        const gate = gatedHasher()
        const queued = createQueuedHasher(gate.hasher, { concurrency, maxQueued })
        const answers = Array.from({ length: n }, () => queued.verify('$gated$pw', 'pw')())
        await tick()
        expect(gate.started()).toBe(Math.min(n, concurrency))
        const busy = Math.max(0, n - concurrency - maxQueued)
        while (gate.releaseOne()) await tick()
        const results = await Promise.all(answers)
        expect(results.filter((r) => E.isLeft(r) && r.left._tag === 'HasherBusy')).toHaveLength(busy)
        expect(results.filter((r) => E.isRight(r) && r.right)).toHaveLength(n - busy)
        expect(gate.most()).toBeLessThanOrEqual(concurrency)
      }),
      { numRuns: 60 },
    )
  })

  it('passes needsRehash through, unqueued: it reads a string and computes nothing, so a full queue does not hold it (docs/adr/0015-password-rehash.md)', async () => {
    const gate = gatedHasher()
    const asked: string[] = []
    const needsRehash = (hash: string) => {
      asked.push(hash)
      return hash === '$gated$old'
    }
    const queued = createQueuedHasher({ ...gate.hasher, needsRehash }, { concurrency: 1, maxQueued: 0 })
    const running = queued.verify('$gated$pw', 'pw')()
    await tick()
    expect(E.isLeft(await queued.hash('pw')())).toBe(true) // the queue is full
    expect([queued.needsRehash?.('$gated$old'), queued.needsRehash?.('$gated$pw')]).toEqual([true, false])
    expect(asked).toEqual(['$gated$old', '$gated$pw'])
    while (gate.releaseOne()) await tick()
    expect(await running).toEqual(E.right(true))
    // A hasher that cannot tell gets no member: nothing is ever rehashed.
    expect('needsRehash' in createQueuedHasher(createTrivialHasher())).toBe(false)
  })

  it('over the engine: sign-ins past a full queue are answered 429 E0000047 at once, the others as usual', async () => {
    const trivial = createTrivialHasher()
    const trivialHashOf = async (plain: string) => {
      const h = await trivial.hash(plain)()
      return E.isRight(h) ? h.right : ''
    }
    const right = await trivialHashOf('Queue-Passw0rd')
    // Seeded with the trivial hasher's hashes; sign-ins verify through the gate.
    const gate = gatedHasher((hash, plain) => plain === 'Queue-Passw0rd' && hash === right)
    const seeded = await createInProcessSystem({
      seed: { users: [1, 2, 3, 4].map((i) => ({ login: `q${i}@example.com`, firstName: 'Q', lastName: `${i}`, password: 'Queue-Passw0rd' })) },
      ...createMemoryStores(),
      hasher: { hash: trivial.hash, verify: gate.hasher.verify },
      clock: createManualClock(T0),
      random: createSeededRandom(5),
      call: CALL,
      settings: { hashQueue: { concurrency: 1, maxQueued: 1 } },
    })
    const { driver } = seeded
    await tick()
    // The engine hashes a dummy password at start; let it through.
    while (gate.releaseOne()) await tick()
    const answers = [1, 2, 3, 4].map((i) => driver.authenticate({ username: `q${i}@example.com`, password: 'Queue-Passw0rd' }))
    await tick()
    await tick()
    while (gate.releaseOne()) await tick()
    const results = await Promise.all(answers)
    const statuses = results.map((r) => [r.status, (r.body as Record<string, unknown>)['errorCode'] ?? (r.body as Record<string, unknown>)['status']])
    expect(statuses.filter(([s]) => s === 429)).toEqual([
      [429, 'E0000047'],
      [429, 'E0000047'],
    ])
    expect(statuses.filter(([s]) => s === 200)).toEqual([
      [200, 'SUCCESS'],
      [200, 'SUCCESS'],
    ])
  })
})
