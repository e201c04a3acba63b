import { availableParallelism } from 'node:os'
import * as E from 'fp-ts/lib/Either.js'
import type { TaskEither } from 'fp-ts/lib/TaskEither.js'
import pLimit from 'p-limit'
import type { Hasher, HasherError } from '@authn-machine/core'

export interface HashQueueOptions {
  /** Hashes computed at once. Default: the machine's available parallelism. */
  readonly concurrency?: number
  /** Hashes that may wait for a free slot; one more is refused at once (`HasherBusy`). Default 64. */
  readonly maxQueued?: number
}

const busy: HasherError = { _tag: 'HasherBusy' }

/**
 * A Hasher whose work is queued (ASVS V2.2: hash work cannot exhaust the CPU; docs/adr/0014-rate-limits.md):
 * at most `concurrency` hashes or verifications run at once, at most `maxQueued` wait, and any
 * further one is refused at once with `HasherBusy` (answered 429 E0000047) instead of queueing
 * without bound. Built on `p-limit`.
 */
export const createQueuedHasher = (hasher: Hasher, options: HashQueueOptions = {}): Hasher => {
  const limit = pLimit(Math.max(1, options.concurrency ?? availableParallelism()))
  const maxQueued = Math.max(0, options.maxQueued ?? 64)
  /** Runs `task` in the queue, or refuses it at once when the queue is full. */
  const run =
    <A>(task: TaskEither<HasherError, A>): TaskEither<HasherError, A> =>
    () =>
      limit.activeCount >= limit.concurrency && limit.pendingCount >= maxQueued ? Promise.resolve(E.left(busy)) : limit(task)
  return {
    hash: (plain) => run(hasher.hash(plain)),
    verify: (hash, plain) => run(hasher.verify(hash, plain)),
    // Reads a string, computes no hash: not queued (the rehash it asks for is a queued `hash`).
    ...(hasher.needsRehash === undefined ? {} : { needsRehash: hasher.needsRehash }),
  }
}
