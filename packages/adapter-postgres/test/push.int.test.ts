import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registered, type OrgSeed } from '@authn-machine/core'
import { createInProcessSystem, hashToken } from '@authn-machine/engine'
import { createPushFactor } from '@authn-machine/factor-push'
import { inProcessTransport, activateDevice, answerChallenge, parseEnrollmentUri, pendingChallenges, answerOf } from '@authn-machine/factor-push/device'
import { createDevOutbox } from '@authn-machine/message-senders'
import { expectRight, run } from '@authn-machine/testkit'
import { createManualClock, createSeededRandom, createTrivialHasher } from '@authn-machine/testkit/fixtures'
import { CALL } from './engine.js'
import { BACKEND, closeTestDatabase, createPostgresTestStores, type PostgresTestStores } from './support.js'

// Push on PostgreSQL (docs/adr/0031-push.md): a device's activation writes its key with the step
// that records it, and parallel answers to one challenge, or parallel activations with one
// token, leave exactly one winner, whatever the interleaving the database gives them.
const PASSWORD = 'Right-Passw0rd-1'
const RACERS = 12
type Json = Record<string, unknown>
const body = (r: { readonly body: unknown }) => r.body as Json

const seedFor = (login: string): OrgSeed => ({
  users: [{ login, firstName: 'Par', lastName: 'Allel', password: PASSWORD, email: login }],
  policies: { signOn: { requireFactor: true }, enrollment: { factors: [{ factorType: 'push', provider: 'OKTA', enroll: 'REQUIRED' }] } },
})

describe(`push on PostgreSQL (${BACKEND})`, () => {
  let stores: PostgresTestStores
  beforeAll(async () => {
    stores = await createPostgresTestStores()
  })
  afterAll(async () => {
    await stores.dispose()
    await closeTestDatabase()
  })

  const enrolling = async (login: string) => {
    const clock = createManualClock(Date.UTC(2026, 11, 1, 11))
    const outbox = createDevOutbox({ log: () => undefined })
    const system = await createInProcessSystem({
      seed: seedFor(login),
      transactions: stores.transactions,
      users: stores.users,
      steps: stores.steps,
      factors: stores.factors,
      factorPlugins: [registered(createPushFactor())],
      messages: outbox,
      hasher: createTrivialHasher(),
      clock,
      random: createSeededRandom(login),
      call: CALL,
    })
    const d = system.driver
    const options = { transport: inProcessTransport(d), now: () => clock.now() }
    const signIn = await d.authenticate({ username: login, password: PASSWORD })
    const stateToken = body(signIn)['stateToken'] as string
    const enroll = await d.enrollFactor({ stateToken, factorType: 'push', provider: 'OKTA' })
    const factorId = ((body(enroll)['_embedded'] as Json)['factor'] as Json)['id'] as string
    await d.sendActivationLink({ stateToken, factorId, channel: 'email' })
    const enrollment = parseEnrollmentUri(/oktaverify:\/\/\S+/.exec(outbox.messages({ to: login })[0]?.text ?? '')?.[0] ?? '')
    return { d, options, stateToken, factorId, enrollment }
  }

  const challenged = async (login: string) => {
    const e = await enrolling(login)
    const device = await activateDevice(e.enrollment, { name: 'phone' }, e.options)
    expect(body(await e.d.pollFactorActivation({ stateToken: e.stateToken, factorId: e.factorId }))['status']).toBe('SUCCESS')
    const signIn = await e.d.authenticate({ username: login, password: PASSWORD })
    const stateToken = body(signIn)['stateToken'] as string
    const verify = await e.d.verifyFactor({ stateToken, factorId: e.factorId })
    const correctAnswer = ((((body(verify)['_embedded'] as Json)['factor'] as Json)['_embedded'] as Json)['challenge'] as Json)['correctAnswer'] as number
    const [challenge] = await pendingChallenges(device, e.options)
    if (challenge === undefined) throw new Error('no challenge')
    return { ...e, device, stateToken, correctAnswer, challengeId: challenge.challengeId }
  }

  it(`${RACERS} activations with one token at once: exactly one device is registered, and it is the one the factor keeps`, async () => {
    const e = await enrolling('race.push.activate@example.com')
    const answers = await Promise.all(Array.from({ length: RACERS }, (_, i) => answerOf(activateDevice(e.enrollment, { name: `phone ${i}` }, e.options).then((s) => s.name))))
    const winners = answers.filter((a) => a.startsWith('phone '))
    expect(winners).toHaveLength(1)
    for (const a of answers.filter((x) => !x.startsWith('phone '))) expect(a).toBe('401 E0000011')
    expect(body(await e.d.pollFactorActivation({ stateToken: e.stateToken, factorId: e.factorId }))['status']).toBe('SUCCESS')
    const user = expectRight(await run(stores.users.findByLogin('race.push.activate@example.com')))
    const factor = expectRight(await run(stores.factors.listByUser(user.id))).find((f) => f.id === e.factorId)
    expect(factor?.status).toBe('ACTIVE')
    expect(factor?.profile['name']).toBe(winners[0])
  })

  it(`${RACERS} answers to one challenge at once (approvals and denials): exactly one is taken, the poll shows its result`, async () => {
    for (const mix of ['approve', 'mixed'] as const) {
      const c = await challenged(`race.push.answer.${mix}@example.com`)
      const answers = await Promise.all(
        Array.from({ length: RACERS }, (_, i) =>
          answerOf(answerChallenge(c.device, c.challengeId, mix === 'approve' || i % 2 === 0 ? { consent: 'APPROVED', selectedAnswer: c.correctAnswer } : { consent: 'DENIED' }, c.options)),
        ),
      )
      const taken = answers.filter((a) => a === 'APPROVED' || a === 'DENIED')
      expect(taken, answers.join(', ')).toHaveLength(1)
      for (const a of answers.filter((x) => x !== taken[0])) expect(a).toBe('403 E0000068')
      const poll = await c.d.verifyFactor({ stateToken: c.stateToken, factorId: c.factorId })
      if (taken[0] === 'APPROVED') expect(body(poll)['status']).toBe('SUCCESS')
      else expect(body(poll)['factorResult']).toBe('REJECTED')
      // The transaction's log holds the one answer taken.
      const log = expectRight(await run(stores.transactions.readLog(expectRight(await run(stores.transactions.load(hashToken(c.stateToken), 0))).id)))
      expect(log.filter((l) => l.event.type === 'factor.confirm' || l.event.type === 'factor.deny')).toHaveLength(1)
    }
  })
})
