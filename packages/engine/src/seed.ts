import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { PathReporter } from 'io-ts/lib/PathReporter.js'
import {
  DEFAULT_POLICIES,
  OrgSeed,
  appFromSeed,
  asFactorId,
  asUserId,
  policiesFromSeed,
  type App,
  type AppSource,
  type FactorRecord,
  type FactorStore,
  type Random,
  type EpochMs,
  type Hasher,
  type Policies,
  type SeedUser,
  type UserRecord,
  type UserStore,
} from '@authn-machine/core'
import { createHash } from 'node:crypto'
import { hashToken } from './defaults.js'
import type { FactorRegistry } from './factors.js'

export type SeedError =
  | { readonly _tag: 'InvalidSeed'; readonly details: ReadonlyArray<string> }
  | { readonly _tag: 'SeedStoreFailed'; readonly login: string; readonly cause: unknown }

export interface LoadedOrg {
  readonly users: ReadonlyArray<UserRecord>
  readonly policies: Policies
  /** The seed's apps, as stored (docs/adr/0028-step-up.md). */
  readonly apps: ReadonlyArray<App>
}

const stableId = (prefix: string, key: string) => `${prefix}${createHash('sha256').update(key).digest('hex').slice(0, 17)}`

const FACTOR_PREFIX: Record<string, string> = {
  question: 'ufs',
  sms: 'sms',
  call: 'clf',
  email: 'emf',
  'token:software:totp': 'ost',
  push: 'opf',
  token: 'rsa',
  'token:hardware': 'ykf',
  'token:hotp': 'chf',
  web: 'dsf',
  u2f: 'fuf',
  webauthn: 'fwf',
}

/** The stored row of a seeded factor: through its family's plug-in (its secret sealed), else as given. */
const toFactor = (
  user: UserRecord,
  f: NonNullable<SeedUser['factors']>[number],
  i: number,
  deps: SeedDeps,
  now: EpochMs,
): TE.TaskEither<unknown, FactorRecord> => {
  const id = asFactorId(f.id ?? stableId(FACTOR_PREFIX[f.factorType] ?? 'fct', `${user.profile.login}:${i}`))
  const given = {
    ...(f.phoneNumber === undefined ? {} : { phoneNumber: f.phoneNumber }),
    ...(f.email === undefined ? {} : { email: f.email }),
    ...(f.question === undefined ? {} : { question: f.question }),
    ...(f.credentialId === undefined ? {} : { credentialId: f.credentialId }),
  }
  const row = (profile: Readonly<Record<string, unknown>>, secret: string | null): FactorRecord => ({
    schemaVersion: 1,
    id,
    userId: user.id,
    factorType: f.factorType,
    provider: f.provider,
    status: f.status ?? 'ACTIVE',
    profile,
    secret,
    lastCounter: null,
    createdAt: now,
  })
  const plugin = deps.registry?.plugin(f) ?? null
  if (plugin === null || deps.registry === undefined) return TE.right(row(given, null))
  const registry = deps.registry
  const seeded = { profile: given, ...(f.secret === undefined ? {} : { secret: f.secret }), ...(f.answer === undefined ? {} : { answer: f.answer }) }
  return pipe(
    plugin.seed(seeded, { login: user.profile.login, email: user.profile.email ?? null }, { random: deps.random ?? zeroRandom, hasher: deps.hasher, now }),
    TE.mapLeft((e) => new Error(`factor ${f.factorType}/${f.provider}: ${e.causes.join('; ') || e.code}`)),
    TE.map((e) => row(plugin.profileCodec.encode(e.profile) as Record<string, unknown>, registry.seal(plugin, e.secret, user.id, id))),
  )
}

/** Seeding draws no randomness (seeded factors bring their secrets); a plug-in that asks gets zeros. */
const zeroRandom: Random = { bytes: (n) => new Uint8Array(n) }

const hashOpt = (hasher: Hasher, plain: string | undefined): TE.TaskEither<unknown, string | null> =>
  plain === undefined ? TE.right(null) : pipe(hasher.hash(plain), TE.mapLeft((e) => (e._tag === 'HasherFailed' ? e.cause : e)))

const toUser = (u: SeedUser, hasher: Hasher, now: EpochMs): TE.TaskEither<unknown, UserRecord> =>
  pipe(
    TE.Do,
    TE.bind('passwordHash', () => hashOpt(hasher, u.password)),
    TE.bind('answerHash', () => hashOpt(hasher, u.recoveryQuestion?.answer.trim().toLowerCase())),
    TE.map(({ passwordHash, answerHash }) => {
      const changed = u.passwordChanged === undefined ? now : Date.parse(u.passwordChanged)
      return {
        schemaVersion: 1 as const,
        id: asUserId(u.id ?? stableId('00u', u.login.toLowerCase())),
        status: u.status === 'LOCKED_OUT' ? ('ACTIVE' as const) : (u.status ?? 'ACTIVE'),
        profile: {
          login: u.login,
          firstName: u.firstName,
          lastName: u.lastName,
          email: u.email ?? u.login,
          ...(u.mobilePhone === undefined ? {} : { mobilePhone: u.mobilePhone }),
          ...(u.locale === undefined ? {} : { locale: u.locale }),
          ...(u.timeZone === undefined ? {} : { timeZone: u.timeZone }),
        },
        credentials: {
          passwordHash,
          passwordChangedAt: passwordHash === null ? null : Number.isNaN(changed) ? now : changed,
          passwordHistory: [],
          recoveryQuestion:
            u.recoveryQuestion === undefined || answerHash === null
              ? null
              : { question: u.recoveryQuestion.question, answerHash },
        },
        failedAttempts: 0,
        lockedAt: u.status === 'LOCKED_OUT' ? now : null,
        activationTokenHash: u.activationToken === undefined ? null : hashToken(u.activationToken),
        activationClaim: null,
        credentialEpoch: 0,
        rememberedDevices: [],
      }
    }),
  )

/** Stores a new seed user's factors, in order. */
const seedFactors = (user: UserRecord, u: SeedUser, deps: SeedDeps, now: EpochMs): TE.TaskEither<unknown, void> => {
  const factors = u.factors ?? []
  if (factors.length === 0) return TE.right(undefined)
  const store = deps.factors
  if (store === undefined) return TE.left(new Error('the seed has factors but no factor store was given'))
  return pipe(
    TE.sequenceSeqArray(factors.map((f, i) => pipe(toFactor(user, f, i, deps, now), TE.chainW((r) => pipe(store.create(r), TE.mapLeft((e) => e as unknown)))))),
    TE.map(() => undefined),
  )
}

export interface SeedOptions {
  /**
   * What to do with a seed user whose login is already stored (a persistent store reopened):
   * `keep` leaves the stored user as it is (its password changes and lockout survive restarts);
   * `fail` stops with `SeedStoreFailed`. Default `fail`.
   */
  readonly existing?: 'keep' | 'fail'
}

export interface SeedDeps {
  readonly users: UserStore
  readonly hasher: Hasher
  /**
   * Where seeded apps go: each is added, or replaces the stored app of its id (the seed is the
   * configuration of the apps it lists); without it a seed with apps is refused.
   */
  readonly apps?: AppSource
  /** Where seeded factors go; without it a seed with factors is refused. */
  readonly factors?: FactorStore
  /** The factor plug-ins and the SecretBox that seal seeded secrets (`createFactorRegistry`). */
  readonly registry?: FactorRegistry
  readonly random?: Random
}

/**
 * Decodes an org seed (e.g. parsed JSON), hashes its secrets and adds its users to `users` and
 * their factors to `factors` (secrets sealed through the plug-in of each factor's family).
 */
export const seedOrg = (
  raw: unknown,
  deps: SeedDeps,
  now: EpochMs,
  defaults: Policies = DEFAULT_POLICIES,
  options: SeedOptions = {},
): TE.TaskEither<SeedError, LoadedOrg> =>
  pipe(
    TE.fromEither(
      pipe(
        OrgSeed.decode(raw),
        E.mapLeft((errors): SeedError => ({ _tag: 'InvalidSeed', details: PathReporter.report(E.left(errors)) })),
      ),
    ),
    TE.chain((seed) =>
      pipe(
        TE.sequenceSeqArray(
          seed.users.map((u) =>
            pipe(
              toUser(u, deps.hasher, now),
              TE.chainW((user) =>
                pipe(
                  deps.users.create(user),
                  TE.map(() => true),
                  TE.orElse((e) => (e._tag === 'Conflict' && options.existing === 'keep' ? TE.right(false) : TE.left(e))),
                  TE.mapLeft((e) => e as unknown),
                  TE.chain((created) =>
                    created ? pipe(seedFactors(user, u, deps, now), TE.map(() => user)) : pipe(deps.users.findByLogin(user.profile.login), TE.mapLeft((e) => e as unknown)),
                  ),
                ),
              ),
              TE.mapLeft((cause): SeedError => ({ _tag: 'SeedStoreFailed', login: u.login, cause })),
            ),
          ),
        ),
        TE.chain((users) =>
          pipe(
            TE.sequenceSeqArray(
              (seed.apps ?? []).map((a) => {
                const apps = deps.apps
                return apps === undefined
                  ? TE.left<SeedError, App>({ _tag: 'SeedStoreFailed', login: `app ${a.id}`, cause: 'no app source to seed apps into' })
                  : pipe(apps.put(appFromSeed(a)), TE.mapLeft((cause): SeedError => ({ _tag: 'SeedStoreFailed', login: `app ${a.id}`, cause })))
              }),
            ),
            TE.map((apps) => ({ users, policies: policiesFromSeed(seed.policies, defaults), apps })),
          ),
        ),
      ),
    ),
  )
