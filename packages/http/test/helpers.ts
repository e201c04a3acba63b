import { createMemoryStores, createStaticPolicySource } from '@authn-machine/adapter-memory'
import type { Policies, UserRecord } from '@authn-machine/core'
import { createAuthn, createMemoryAuditSink, createSecretBox, ephemeralKeyring, hashToken, type Authn } from '@authn-machine/engine'
import {
  createManualClock,
  createSeededRandom,
  createTrivialHasher,
  makeUser,
  policiesWith,
} from '@authn-machine/testkit/fixtures'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { createAuthnHandler, type AuthnHttpOptions, type HttpRequest, type HttpResponse } from '../src/index.js'

export const PASSWORD = 'Tr0ub4dor&3x'
/** A seeded user's sign-in body (the right password). */
export const DADE = { username: 'dade.murphy@example.com', password: PASSWORD }
const hasher = createTrivialHasher()
const hashOf = async (plain: string): Promise<string> => {
  const r = await hasher.hash(plain)()
  if (r._tag === 'Left') throw new Error('hash failed')
  return r.right
}

/** An org with an active user, a user whose password an admin expired, and a staged user. */
export const setupEngine = async (policies: Policies = policiesWith({ maxAttempts: 3 })) => {
  const { transactions, users, steps, factors } = createMemoryStores()
  const clock = createManualClock()
  const hash = await hashOf(PASSWORD)
  const seed: ReadonlyArray<UserRecord> = [
    makeUser({ login: 'dade.murphy@example.com', passwordHash: hash }),
    makeUser({ login: 'kate.libby@example.com', passwordHash: hash, status: 'PASSWORD_EXPIRED', firstName: 'Kate', lastName: 'Libby' }),
    makeUser({
      login: 'paul.cook@example.com',
      passwordHash: null,
      status: 'STAGED',
      firstName: 'Paul',
      lastName: 'Cook',
      activationTokenHash: hashToken('activation-token-paul'),
    }),
  ]
  for (const u of seed) await users.create(u)()
  const authn = createAuthn({
    transactions,
    users,
    steps,
    factors,
    secrets: createSecretBox(ephemeralKeyring()),
    policies: createStaticPolicySource(policies),
    hasher,
    clock,
    random: createSeededRandom(7),
    audit: createMemoryAuditSink(),
  })
  return { authn, transactions, users, steps, clock }
}

/** A handler over a fresh engine; `options` may replace anything but the engine. */
export const setupHandler = async (options: Partial<AuthnHttpOptions> = {}) => {
  const env = await setupEngine()
  // The tests' requests name this host (helpers' `post`): allowed as the org's own.
  const handler = createAuthnHandler({ engine: env.authn, allowedHosts: ['login.example.test'], ...options })
  return { ...env, handler }
}

export const post = (url: string, body: unknown, headers: Record<string, string> = {}): HttpRequest => ({
  method: 'POST',
  url,
  headers: { host: 'login.example.test:8080', 'content-type': 'application/json', ...headers },
  body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
  remoteAddress: '10.0.0.7',
})

export const json = (r: HttpResponse): Record<string, unknown> => JSON.parse(typeof r.body === 'string' ? r.body : new TextDecoder().decode(r.body)) as Record<string, unknown>

/** Records the `call` (and body) every engine operation receives. */
export const spyOn = (authn: Authn) => {
  const calls: Array<{ readonly op: string; readonly body: unknown; readonly call: Parameters<Authn['authenticate']>[1] }> = []
  const wrap =
    <K extends 'authenticate' | 'getState' | 'cancel' | 'changePassword'>(op: K) =>
    (body: unknown, call: Parameters<Authn['authenticate']>[1]): ReturnType<Authn[K]> => {
      calls.push({ op, body, call })
      return authn[op](body, call) as ReturnType<Authn[K]>
    }
  const engine: Authn = {
    ...authn,
    authenticate: wrap('authenticate'),
    getState: wrap('getState'),
    cancel: wrap('cancel'),
    changePassword: wrap('changePassword'),
  }
  return { engine, calls }
}

export const rightReply = <B>(body: B) => TE.right({ status: 200, body })
