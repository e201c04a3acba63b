import { hash as argonHash, verify as argonVerify, type Options } from '@node-rs/argon2'
import { createHash, randomBytes } from 'node:crypto'
import * as TE from 'fp-ts/lib/TaskEither.js'
import type { AuditEntry, AuditSink, Clock, Hasher, Random, TokenHash } from '@authn-machine/core'
import { argon2NeedsRehash } from './argon2-params.js'

/** OWASP's argon2id parameters: m = 19 MiB, t = 2, p = 1. `algorithm: 2` is argon2id. */
export const ARGON2ID_OWASP: Options = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 }

/**
 * argon2id through `@node-rs/argon2`. A malformed stored hash verifies as false. A hash whose
 * parameters are not `options` needs a rehash (`argon2NeedsRehash`, docs/adr/0015-password-rehash.md).
 */
export const createArgon2Hasher = (options: Options = ARGON2ID_OWASP): Hasher => ({
  hash: (plain) => TE.tryCatch(() => argonHash(plain, options), (cause) => ({ _tag: 'HasherFailed', cause })),
  verify: (hash, plain) =>
    TE.tryCatch(
      () => argonVerify(hash, plain).catch(() => false),
      (cause) => ({ _tag: 'HasherFailed', cause }),
    ),
  needsRehash: argon2NeedsRehash(options),
})

export const systemClock: Clock = { now: () => Date.now() }

/**
 * `crypto.randomBytes`, drawn 4 KiB at a time: one system call serves many tokens. Each request
 * gets fresh bytes that are never handed out twice.
 */
export const createCryptoRandom = (poolSize = 4096): Random => {
  let pool = randomBytes(poolSize)
  let offset = 0
  return {
    bytes: (n) => {
      if (n > poolSize) return new Uint8Array(randomBytes(n))
      if (offset + n > poolSize) {
        pool = randomBytes(poolSize)
        offset = 0
      }
      const out = new Uint8Array(pool.subarray(offset, offset + n))
      pool.fill(0, offset, offset + n)
      offset += n
      return out
    },
  }
}

export const cryptoRandom: Random = createCryptoRandom()

/** An audit sink that keeps entries in memory (tests, the reference server's demo mode). */
export const createMemoryAuditSink = (): AuditSink & { readonly entries: ReadonlyArray<AuditEntry> } => {
  const entries: AuditEntry[] = []
  return {
    entries,
    record: (entry) =>
      TE.fromIO(() => {
        entries.push(entry)
      }),
  }
}

const b64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url')

/** SHA-256 of a bearer token, as stored. High-entropy tokens need no slow hash. */
export const hashToken = (token: string): TokenHash =>
  createHash('sha256').update(token, 'utf8').digest('base64url') as TokenHash

/** Fresh tokens in Okta's shapes; every one carries at least 128 random bits. */
export const tokens = (random: Random) => ({
  /** 42 chars starting `00` (240 bits). */
  stateToken: () => `00${b64url(random.bytes(30))}`,
  /** 49 chars starting `20111` (264 bits). */
  sessionToken: () => `20111${b64url(random.bytes(33))}`,
  /** Internal transaction id, `txn` + 160 bits. */
  transactionId: () => `txn${b64url(random.bytes(20))}`,
  /** A recovery token (an email link, a trusted caller's issuance): 32 URL-safe chars (192 bits). */
  recoveryToken: () => b64url(random.bytes(24)),
  /** A reserved attempt's lease id (128 bits). */
  leaseId: () => b64url(random.bytes(16)),
  /** Okta's `errorId`: `oae` + 22 chars (128 bits). */
  errorId: () => `oae${b64url(random.bytes(16))}`,
})
