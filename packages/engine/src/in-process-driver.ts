import * as TE from 'fp-ts/lib/TaskEither.js'
import { OPERATIONS, type AppSource, type Clock, type Factor, type FactorStore, type Hasher, type MessageSender, type OutboundMessage, type Random, type SecretBox, type StepStore, type TransactionStore, type UserStore } from '@authn-machine/core'
import { createAuthn, type Authn, type AuthnSettings, type Call, type LifecycleOperation, type Reply, type Result } from './authn.js'
import { createMemoryAuditSink } from './defaults.js'
import { createFactorRegistry } from './factors.js'
import { seedOrg } from './seed.js'
import { createSecretBox, ephemeralKeyring } from './secrets.js'

type BodyOperation = (body: unknown, call: Call) => Result<unknown>
/** The engine's operations that take a JSON body. */
type BodyOperationName = { [K in keyof Authn]: Authn[K] extends BodyOperation ? K : never }[keyof Authn]

/** A response as on the wire: status and JSON body (through JSON, so nothing but JSON survives). */
export interface InProcessResponse {
  readonly status: number
  readonly body: unknown
}

/**
 * The engine as the testkit's `Driver` (one method per operation, raw JSON body in, wire response
 * out), for running the model-based harness in process. `advanceClock` moves the caller's clock.
 */
export const createInProcessDriver = (authn: Authn, call: Call, advanceClock: (ms: number) => boolean) => {
  const wire = async <B>(r: Result<B>): Promise<InProcessResponse> => {
    const e = await r()
    const reply: Reply<unknown> = e._tag === 'Left' ? e.left : e.right
    return { status: reply.status, body: JSON.parse(JSON.stringify(reply.body)) as unknown }
  }
  // Every operation of the table that the engine has and that takes a body.
  const operations = Object.fromEntries(
    OPERATIONS.flatMap((o) => {
      const method = o.body !== 'none' ? (authn as unknown as Readonly<Record<string, unknown>>)[o.name] : undefined
      return typeof method === 'function' ? [[o.name, (b: unknown) => wire((method as BodyOperation)(b, call))]] : []
    }),
  ) as { readonly [K in BodyOperationName]: (body: unknown) => Promise<InProcessResponse> }
  return {
    ...operations,
    lifecycle: (userId: string, operation: LifecycleOperation) => wire(authn.lifecycle(userId, operation)),
    /** Follows a step-up SUCCESS's `original` link: 302 with `{ location }`, as the binding's redirect says it. */
    stepUpRedirect: async (token: string): Promise<InProcessResponse> => {
      const e = await authn.redeemStepUp(token)()
      return e._tag === 'Left' ? { status: e.left.status, body: JSON.parse(JSON.stringify(e.left.body)) as unknown } : { status: e.right.status, body: { location: e.right.body.location } }
    },
    advanceClock,
  }
}

/** A sender that keeps what it delivers and lists it, newest first (the dev outbox of `@authn-machine/message-senders`). */
export interface ReadableOutbox extends MessageSender {
  readonly messages: (filter?: { readonly to?: string }) => ReadonlyArray<OutboundMessage>
}

/** The harness's `readOutbox` over an outbox: its messages to `to` as the wire lists them (`createdAt` in ISO 8601). */
const outboxReader = (outbox: ReadableOutbox) => (to: string) =>
  Promise.resolve(outbox.messages({ to }).map((m) => ({ id: m.id, channel: m.channel, to: m.to, text: m.text, purpose: m.purpose, createdAt: new Date(m.createdAt).toISOString() })))

/**
 * A seeded org behind the engine, as a harness `System`: loads `seed` into `users`, builds the
 * engine over the given stores with the seed's policies, and drives it in process. The clock must
 * be one the caller can move (the harness's `advanceClock`).
 */
export const createInProcessSystem = async (o: {
  readonly seed: unknown
  readonly transactions: TransactionStore
  readonly users: UserStore
  readonly steps: StepStore
  readonly factors: FactorStore
  /** The apps of step-ups (the seed's `apps` are stored there); without it no app is known. */
  readonly apps?: AppSource
  /** Seals factor secrets. Default: a box with a random key (nothing outlives the process). */
  readonly secrets?: SecretBox
  readonly factorPlugins?: ReadonlyArray<Factor>
  /** Delivers sent codes (SMS, call, email). */
  readonly messages?: MessageSender
  /**
   * Delivers sent codes when `messages` is not given, and is read back by the driver's
   * `readOutbox` (the harness then sends and checks codes): a dev outbox.
   */
  readonly outbox?: ReadableOutbox
  readonly settings?: Partial<AuthnSettings>
  readonly hasher: Hasher
  readonly clock: Clock & { readonly advance: (ms: number) => void }
  readonly random: Random
  readonly call: Call
}) => {
  const startTime = o.clock.now()
  // From the system's random source: the same seed gives the same sealed values (determinism checks).
  const secrets = o.secrets ?? createSecretBox(ephemeralKeyring(o.random), o.random)
  const factorPlugins = o.factorPlugins ?? []
  const registry = createFactorRegistry(factorPlugins, secrets)
  const org = await seedOrg(o.seed, { users: o.users, factors: o.factors, ...(o.apps === undefined ? {} : { apps: o.apps }), hasher: o.hasher, registry, random: o.random }, startTime)()
  if (org._tag === 'Left') throw new Error(`seed: ${JSON.stringify(org.left)}`)
  const policies = org.right.policies
  const messages = o.messages ?? o.outbox
  const authn = createAuthn({
    transactions: o.transactions,
    users: o.users,
    steps: o.steps,
    factors: o.factors,
    ...(o.apps === undefined ? {} : { apps: o.apps }),
    secrets,
    factorPlugins,
    ...(messages === undefined ? {} : { messages }),
    ...(o.settings === undefined ? {} : { settings: o.settings }),
    policies: { forUser: () => TE.right(policies) },
    hasher: o.hasher,
    clock: o.clock,
    random: o.random,
    audit: createMemoryAuditSink(),
  })
  const driver = {
    ...createInProcessDriver(authn, o.call, (ms) => {
      o.clock.advance(ms)
      return true
    }),
    ...(o.outbox === undefined ? {} : { readOutbox: outboxReader(o.outbox) }),
  }
  return { driver, startTime, authn }
}
