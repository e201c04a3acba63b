import { verify as argonVerify, hash as argonHash } from '@node-rs/argon2'
import { createMemoryStores } from '@authn-machine/adapter-memory'
import { DEFAULT_POLICIES, type Hasher } from '@authn-machine/core'
import { ARGON2ID_OWASP, createArgon2Hasher, systemClock, seedOrg } from '@authn-machine/engine'
import { createTrivialHasher, PUBLIC_CONTEXT } from '@authn-machine/testkit/fixtures'
import { interleaved, throughput } from './stats.js'
import { benchEngine } from './support.js'
import type { BenchLine } from './types.js'

const CALL = { baseUrl: 'https://authn.example.test', context: PUBLIC_CONTEXT }
const PASSWORD = 'Bench-Passw0rd'

const engineWith = async (hasher: Hasher) => {
  const { users, transactions, steps, factors } = createMemoryStores()
  const seeded = await seedOrg(
    { users: [{ login: 'bench@example.com', firstName: 'Ben', lastName: 'Ch', password: PASSWORD }], policies: { password: { lockout: { maxAttempts: 0 } } } },
    { users, hasher },
    systemClock.now(),
    DEFAULT_POLICIES,
  )()
  if (seeded._tag === 'Left') throw new Error('seed failed')
  return benchEngine({ transactions, users, steps, factors }, seeded.right.policies, hasher)
}

const signIn = (authn: Awaited<ReturnType<typeof engineWith>>) => async () => {
  const r = await authn.authenticate({ username: 'bench@example.com', password: PASSWORD }, CALL)()
  if (r._tag === 'Left' || (r.right.body as { status?: string }).status !== 'SUCCESS') throw new Error('sign-in failed')
}

/**
 * Engine primary authentication (to SUCCESS) on the memory adapter: with argon2id, as a ratio of
 * raw argon2id verifies measured alternately in the same run (goal ≥ 0.95), and with a trivial hasher.
 */
export async function run(): Promise<ReadonlyArray<BenchLine>> {
  const argon = await engineWith(createArgon2Hasher())
  const trivial = await engineWith(createTrivialHasher())
  const phc = await argonHash(PASSWORD, ARGON2ID_OWASP)
  const rawVerify = async () => {
    if (!(await argonVerify(phc, PASSWORD))) throw new Error('verify')
  }
  const lines: BenchLine[] = []
  for (const concurrency of [1, 2]) {
    const ops = 60 * concurrency
    await throughput(10, concurrency, signIn(argon))
    await throughput(10, concurrency, rawVerify)
    const r = await interleaved(5, () => throughput(ops, concurrency, signIn(argon)), () => throughput(ops, concurrency, rawVerify))
    lines.push(
      { name: `engine sign-in, argon2id, concurrency ${concurrency}`, value: r.a, unit: 'ops/s' },
      { name: `raw argon2id verify, concurrency ${concurrency}`, value: r.b, unit: 'ops/s' },
      { name: `engine sign-in / raw argon2id verify, concurrency ${concurrency}`, value: r.a / r.b, unit: 'ratio', note: 'goal ≥ 0.95' },
    )
  }
  await throughput(2000, 1, signIn(trivial))
  const fast = await interleaved(5, () => throughput(10_000, 1, signIn(trivial)), () => throughput(10_000, 16, signIn(trivial)))
  lines.push(
    { name: 'engine sign-in, trivial hasher, sequential', value: fast.a, unit: 'ops/s' },
    { name: 'engine sign-in, trivial hasher, concurrency 16', value: fast.b, unit: 'ops/s' },
  )
  return lines
}
