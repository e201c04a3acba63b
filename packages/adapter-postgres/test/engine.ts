import * as E from 'fp-ts/lib/Either.js'
import { createStaticPolicySource } from '@authn-machine/adapter-memory'
import type { Policies, UserRecord } from '@authn-machine/core'
import { createAuthn, createMemoryAuditSink, createSecretBox, cryptoRandom, ephemeralKeyring, type Authn, type AuthnSettings, type Call, type ErrorReply, type Reply } from '@authn-machine/engine'
import { run } from '@authn-machine/testkit'
import { PUBLIC_CONTEXT, createManualClock, createTrivialHasher, makeUser } from '@authn-machine/testkit/fixtures'
import type { PostgresTestStores } from './support.js'

export const CALL: Call = { baseUrl: 'https://login.example.com', context: PUBLIC_CONTEXT }
export const PASSWORD = 'correct horse battery staple'

/** The engine on Postgres stores, with the trivial hasher and a manual clock. */
export const engineOn = (s: PostgresTestStores, o: { readonly policies?: Policies; readonly settings?: Partial<AuthnSettings> } = {}): Authn =>
  createAuthn({
    transactions: s.transactions,
    users: s.users,
    steps: s.steps,
    factors: s.factors,
    secrets: createSecretBox(ephemeralKeyring()),
    policies: createStaticPolicySource(o.policies),
    hasher: createTrivialHasher(),
    clock: createManualClock(),
    random: cryptoRandom,
    audit: createMemoryAuditSink(),
    ...(o.settings === undefined ? {} : { settings: o.settings }),
  })

/** A user whose password is PASSWORD. */
export const userWithPassword = async (login: string, status: UserRecord['status'] = 'ACTIVE'): Promise<UserRecord> => {
  const hash = await run(createTrivialHasher().hash(PASSWORD))
  if (E.isLeft(hash)) throw new Error('hasher failed')
  return makeUser({ login, passwordHash: hash.right, status })
}

export type Outcome = E.Either<ErrorReply, Reply<unknown>>

/** `status errorCode` of a reply, e.g. `200`, `403 E0000079`. */
export const summary = (o: Outcome): string => (E.isRight(o) ? String(o.right.status) : `${o.left.status} ${o.left.body.errorCode}`)

/** The body field of a successful reply. */
export const field = (o: Outcome, name: string): string => {
  if (E.isLeft(o)) throw new Error(`expected success, got ${summary(o)}`)
  const v = (o.right.body as Readonly<Record<string, unknown>>)[name]
  if (typeof v !== 'string') throw new Error(`no ${name} in the reply`)
  return v
}
