import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { PathReporter } from 'io-ts/lib/PathReporter.js'
import {
  DEFAULT_POLICIES,
  OrgSeed,
  asFactorId,
  asUserId,
  policiesFromSeed,
  type EnrolledFactor,
  type EpochMs,
  type Hasher,
  type Policies,
  type SeedUser,
  type UserRecord,
  type UserStore,
} from '@authn-machine/core'
import { createHash } from 'node:crypto'
import { hashToken } from './defaults.js'

export type SeedError =
  | { readonly _tag: 'InvalidSeed'; readonly details: ReadonlyArray<string> }
  | { readonly _tag: 'SeedStoreFailed'; readonly login: string; readonly cause: unknown }

export interface LoadedOrg {
  readonly users: ReadonlyArray<UserRecord>
  readonly policies: Policies
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

const toFactor = (login: string, f: NonNullable<SeedUser['factors']>[number], i: number): EnrolledFactor => ({
  id: asFactorId(f.id ?? stableId(FACTOR_PREFIX[f.factorType] ?? 'fct', `${login}:${i}`)),
  factorType: f.factorType,
  provider: f.provider,
  status: f.status ?? 'ACTIVE',
  profile: {
    ...(f.phoneNumber === undefined ? {} : { phoneNumber: f.phoneNumber }),
    ...(f.email === undefined ? {} : { email: f.email }),
    ...(f.question === undefined ? {} : { question: f.question }),
    ...(f.credentialId === undefined
      ? f.factorType.startsWith('token') ? { credentialId: login } : {}
      : { credentialId: f.credentialId }),
  },
})

const hashOpt = (hasher: Hasher, plain: string | undefined): TE.TaskEither<unknown, string | null> =>
  plain === undefined ? TE.right(null) : pipe(hasher.hash(plain), TE.mapLeft((e) => e.cause))

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
        factors: (u.factors ?? []).map((f, i) => toFactor(u.login, f, i)),
      }
    }),
  )

export interface SeedOptions {
  /**
   * What to do with a seed user whose login is already stored (a persistent store reopened):
   * `keep` leaves the stored user as it is (its password changes and lockout survive restarts);
   * `fail` stops with `SeedStoreFailed`. Default `fail`.
   */
  readonly existing?: 'keep' | 'fail'
}

/** Decodes an org seed (e.g. parsed JSON), hashes its secrets and adds its users to `users`. */
export const seedOrg = (
  raw: unknown,
  deps: { readonly users: UserStore; readonly hasher: Hasher },
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
                  TE.orElse((e) =>
                    e._tag === 'Conflict' && options.existing === 'keep' ? deps.users.findByLogin(user.profile.login) : TE.left(e),
                  ),
                  TE.mapLeft((e) => e as unknown),
                ),
              ),
              TE.mapLeft((cause): SeedError => ({ _tag: 'SeedStoreFailed', login: u.login, cause })),
            ),
          ),
        ),
        TE.map((users) => ({ users, policies: policiesFromSeed(seed.policies, defaults) })),
      ),
    ),
  )
