import * as E from 'fp-ts/lib/Either.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import type { Options } from '@node-rs/argon2'
import { describe, expect, it } from 'vitest'
import { createMemoryStores, createStaticPolicySource } from '@authn-machine/adapter-memory'
import { emptyStepWrite, unavailable, type Hasher, type OrgSeed, type UserId, type UserRecord, type UserStore } from '@authn-machine/core'
import { expectLeft, expectRight, harnessSeeds } from '@authn-machine/testkit'
import { createManualClock, createSeededRandom } from '@authn-machine/testkit/fixtures'
import { createArgon2Hasher, createAuthn, createMemoryAuditSink, createSecretBox, ephemeralKeyring, seedOrg } from '../src/index.js'
import { CALL, T0 } from './in-process-driver.js'

// argon2id at tiny costs so that the file stays fast; only the difference matters here.
const WEAK: Options = { algorithm: 2, memoryCost: 64, timeCost: 1, parallelism: 1 }
const CURRENT: Options = { algorithm: 2, memoryCost: 128, timeCost: 2, parallelism: 1 }
const CURRENT_PREFIX = /^\$argon2id\$v=19\$m=128,t=2,p=1\$/

const seed = harnessSeeds(T0)[0]?.seed as OrgSeed
const ALICE = { username: 'alice@example.com', password: 'Wonder-Land1' }
const BOB = { username: 'bob.warned@example.com', password: 'Can-We-Fix1t' }

/**
 * `hasher`, counting the hashes it computes of user passwords (not of the engine's dummy, a fresh
 * random string hashed once per engine, in the queue) and the `needsRehash` questions it answers.
 */
const counting = (hasher: Hasher, passwords: ReadonlyArray<string> = [ALICE.password, BOB.password, 'Hinkley-Water1']) => {
  let hashes = 0
  let asked = 0
  const needsRehash = hasher.needsRehash
  const counted: Hasher = {
    ...hasher,
    hash: (plain) => () => {
      if (passwords.includes(plain)) hashes += 1
      return hasher.hash(plain)()
    },
    ...(needsRehash === undefined
      ? {}
      : {
          needsRehash: (hash: string) => {
            asked += 1
            return needsRehash(hash)
          },
        }),
  }
  return { hasher: counted, hashes: () => hashes, asked: () => asked }
}

/**
 * The harness's first org in memory, its passwords hashed with `seededWith`; `engine(hasher)`
 * builds an engine over those stores (several engines share them, as servers share a database).
 */
const system = async (seededWith: Hasher, wrapUsers: (u: UserStore) => UserStore = (u) => u) => {
  const clock = createManualClock(T0)
  const stores = createMemoryStores()
  const org = expectRight(await seedOrg(seed, { users: stores.users, factors: stores.factors, apps: stores.apps, hasher: seededWith }, clock.now())())
  let engines = 0
  const engine = (hasher: Hasher) => {
    const audit = createMemoryAuditSink()
    // Each engine its own random stream: the same one would mint the same transaction ids.
    engines += 1
    const authn = createAuthn({
      ...stores,
      users: wrapUsers(stores.users),
      secrets: createSecretBox(ephemeralKeyring()),
      policies: createStaticPolicySource(org.policies),
      hasher,
      clock,
      random: createSeededRandom(`rehash-${engines}`),
      audit,
    })
    return { authn, audit }
  }
  const userOf = async (login: string): Promise<UserRecord> => expectRight(await stores.users.findByLogin(login)())
  return { stores, engine, userOf }
}

const body = (r: { readonly body: unknown }) => r.body as Record<string, unknown>
const verifies = async (hasher: Hasher, hash: string | null, password: string) => expectRight(await hasher.verify(hash ?? '', password)())

describe('password rehash on sign-in (ASVS V11.2.2, docs/adr/0015-password-rehash.md)', () => {
  it('a user with a weaker argon2id hash signs in: the stored hash is rewritten once with the current parameters, still verifies the same password, and nothing else of the user moves', async () => {
    const { engine, userOf } = await system(createArgon2Hasher(WEAK))
    const current = counting(createArgon2Hasher(CURRENT))
    const { authn, audit } = engine(current.hasher)
    const before = await userOf(ALICE.username)
    expect(before.credentials.passwordHash).toMatch(/^\$argon2id\$v=19\$m=64,t=1,p=1\$/)
    const hashesAtStart = current.hashes()

    expect(body(expectRight(await authn.authenticate(ALICE, CALL)()))['status']).toBe('SUCCESS')
    // Awaited within the request: rewritten by the time the answer is back.
    const after = await userOf(ALICE.username)
    const rehashed = after.credentials.passwordHash
    expect(rehashed).toMatch(CURRENT_PREFIX)
    expect(await verifies(current.hasher, rehashed, ALICE.password)).toBe(true)
    expect(await verifies(current.hasher, rehashed, 'Wonder-Land2')).toBe(false)
    expect(after).toEqual({ ...before, credentials: { ...before.credentials, passwordHash: rehashed } })
    expect(current.hashes() - hashesAtStart).toBe(1)
    expect(audit.entries.map((e) => e.what).slice(-2)).toEqual(['authenticate.SUCCESS', 'effect.rehashPassword'])

    // Once: the next sign-in finds the current parameters and hashes nothing.
    expect(body(expectRight(await authn.authenticate(ALICE, CALL)()))['status']).toBe('SUCCESS')
    expect((await userOf(ALICE.username)).credentials.passwordHash).toBe(rehashed)
    expect(current.hashes() - hashesAtStart).toBe(1)
    expect(audit.entries.filter((e) => e.what.startsWith('effect.rehashPassword'))).toHaveLength(1)
  })

  it('the rehash ends no live transaction and no unredeemed session token of the user', async () => {
    const { engine, userOf } = await system(createArgon2Hasher(WEAK))
    // Before the parameters change: a transaction left open and a session token not yet redeemed.
    const { authn: before } = engine(createArgon2Hasher(WEAK))
    const open = body(expectRight(await before.authenticate({ ...BOB, options: { warnBeforePasswordExpired: true } }, CALL)()))
    expect(open['status']).toBe('PASSWORD_WARN')
    const unredeemed = body(expectRight(await before.authenticate(BOB, CALL)()))
    expect(unredeemed['status']).toBe('SUCCESS')
    const epoch = (await userOf(BOB.username)).credentialEpoch

    const { authn } = engine(createArgon2Hasher(CURRENT))
    expect(body(expectRight(await authn.authenticate(BOB, CALL)()))['status']).toBe('SUCCESS')
    const bob = await userOf(BOB.username)
    expect(bob.credentials.passwordHash).toMatch(CURRENT_PREFIX)
    expect(bob.credentialEpoch).toBe(epoch)

    expect(body(expectRight(await authn.getState({ stateToken: open['stateToken'] }, CALL)()))['status']).toBe('PASSWORD_WARN')
    expectRight(await authn.redeemSessionToken({ sessionToken: unredeemed['sessionToken'] }, CALL)())
    // The open transaction's next step is committed under the epoch it started with.
    expect(body(expectRight(await authn.skip({ stateToken: open['stateToken'] }, CALL)()))['status']).toBe('SUCCESS')
  })

  it('a wrong password, an unknown login and a locked account (right password, lockout hidden) rehash nothing and are not even asked about', async () => {
    const { engine, userOf } = await system(createArgon2Hasher(WEAK))
    const current = counting(createArgon2Hasher(CURRENT))
    const { authn, audit } = engine(current.hasher)
    const hashesAtStart = current.hashes()
    const [alice, erin] = [await userOf(ALICE.username), await userOf('erin@example.com')]

    const answers = [
      expectLeft(await authn.authenticate({ ...ALICE, password: 'Wonder-Land2' }, CALL)()),
      expectLeft(await authn.authenticate({ username: 'nobody@example.com', password: ALICE.password }, CALL)()),
      expectLeft(await authn.authenticate({ username: 'erin@example.com', password: 'Hinkley-Water1' }, CALL)()),
    ]
    expect(answers.map((e) => [e.status, e.body.errorCode])).toEqual([
      [401, 'E0000004'],
      [401, 'E0000004'],
      [401, 'E0000004'],
    ])
    expect((await userOf(ALICE.username)).credentials).toEqual(alice.credentials)
    expect((await userOf('erin@example.com')).credentials).toEqual(erin.credentials)
    expect([current.hashes() - hashesAtStart, current.asked()]).toEqual([0, 0])
    expect(audit.entries.filter((e) => e.what.startsWith('effect.rehashPassword'))).toEqual([])
  })

  it('an up-to-date hash is not rehashed: no hash is computed and the stored hash stays', async () => {
    const { engine, userOf } = await system(createArgon2Hasher(CURRENT))
    const current = counting(createArgon2Hasher(CURRENT))
    const { authn, audit } = engine(current.hasher)
    const hashesAtStart = current.hashes()
    const before = await userOf(ALICE.username)
    expect(body(expectRight(await authn.authenticate(ALICE, CALL)()))['status']).toBe('SUCCESS')
    expect((await userOf(ALICE.username)).credentials.passwordHash).toBe(before.credentials.passwordHash)
    expect([current.hashes() - hashesAtStart, current.asked()]).toEqual([0, 1])
    expect(audit.entries.filter((e) => e.what.startsWith('effect.rehashPassword'))).toEqual([])
  })

  it('a rehash that cannot be done (queue full, hasher failing or throwing, store down) is audited; the answer is the same SUCCESS and the stored hash stays', async () => {
    const real = createArgon2Hasher(CURRENT)
    const boom = () => Promise.reject(new Error('boom'))
    const cases: ReadonlyArray<{ readonly name: string; readonly hasher: Hasher; readonly users?: (u: UserStore) => UserStore; readonly audited: string }> = [
      { name: 'HasherBusy', hasher: { ...real, hash: () => TE.left({ _tag: 'HasherBusy' }) }, audited: 'effect.rehashPassword.HasherBusy' },
      { name: 'HasherFailed', hasher: { ...real, hash: () => TE.left({ _tag: 'HasherFailed', cause: 'x' }) }, audited: 'effect.rehashPassword.HasherFailed' },
      { name: 'hash throws', hasher: { ...real, hash: () => boom }, audited: 'effect.rehashPassword.threw' },
      {
        name: 'needsRehash throws',
        hasher: {
          ...real,
          needsRehash: () => {
            throw new Error('boom')
          },
        },
        audited: 'effect.rehashPassword.threw',
      },
      { name: 'store Unavailable', hasher: real, users: (u) => ({ ...u, rehashPassword: () => TE.left(unavailable('down')) }), audited: 'effect.rehashPassword.Unavailable' },
      { name: 'store throws', hasher: real, users: (u) => ({ ...u, rehashPassword: () => boom }), audited: 'effect.rehashPassword.threw' },
    ]
    for (const c of cases) {
      const { engine, userOf } = await system(createArgon2Hasher(WEAK), c.users)
      const { authn, audit } = engine(c.hasher)
      const before = await userOf(ALICE.username)
      const r = expectRight(await authn.authenticate(ALICE, CALL)())
      expect([c.name, r.status, body(r)['status'], typeof body(r)['sessionToken']]).toEqual([c.name, 200, 'SUCCESS', 'string'])
      expect([c.name, (await userOf(ALICE.username)).credentials]).toEqual([c.name, before.credentials])
      expect([c.name, audit.entries.map((e) => e.what).slice(-2)]).toEqual([c.name, ['authenticate.SUCCESS', c.audited]])
    }
  })

  it('a password change committed between the verification and the rehash wins: the rehash replaces nothing and is audited as superseded', async () => {
    const changed = expectRight(await createArgon2Hasher(CURRENT).hash('Brand-New-Pass9')())
    /** Commits a password change just before the rehash's compare-and-set reaches the store. */
    const changeFirst = (users: UserStore): UserStore => ({
      ...users,
      rehashPassword: (id: UserId, expected, replacement) => async () => {
        const committed = await stores().steps.commit({
          ...emptyStepWrite(id, T0),
          userChanges: [{ type: 'setPassword', passwordHash: changed, changedAt: T0, historyCount: 4 }],
        })()
        if (E.isLeft(committed)) throw new Error('the password change is committed')
        return users.rehashPassword(id, expected, replacement)()
      },
    })
    let made: Awaited<ReturnType<typeof system>> | null = null
    const stores = () => {
      if (made === null) throw new Error('system not made')
      return made.stores
    }
    made = await system(createArgon2Hasher(WEAK), changeFirst)
    const { authn, audit } = made.engine(createArgon2Hasher(CURRENT))
    const before = await made.userOf(ALICE.username)
    expect(body(expectRight(await authn.authenticate(ALICE, CALL)()))['status']).toBe('SUCCESS')
    const after = await made.userOf(ALICE.username)
    expect(after.credentials.passwordHash).toBe(changed)
    expect(after.credentials.passwordHistory[0]).toBe(before.credentials.passwordHash)
    expect(audit.entries.map((e) => e.what).at(-1)).toBe('effect.rehashPassword.superseded')
  })
})
