import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { createMemoryStores } from '@authn-machine/adapter-memory'
import { registered, type OrgSeed, type StepStore } from '@authn-machine/core'
import { createInProcessSystem, hashToken, type Call } from '@authn-machine/engine'
import { createDevOutbox } from '@authn-machine/message-senders'
import { expectRight, run } from '@authn-machine/testkit'
import { createManualClock, createSeededRandom, createTrivialHasher } from '@authn-machine/testkit/fixtures'
import { createPushFactor } from '@authn-machine/factor-push'
import { inProcessTransport, activateDevice, answerChallenge, parseEnrollmentUri, pendingChallenges, answerOf } from '@authn-machine/factor-push/device'

// Push under any interleaving (fc.scheduler, memory store; docs/adr/0031-push.md): device answers
// (approvals and denials) and the client's polls to one push, their loads and commits ordered as
// the scheduler says. What each caller is told, and the transaction left behind, agree: one answer
// is taken, SUCCESS only after an approval, REJECTED only after a denial, each shown once.
const ORIGIN = 'https://login.example.com'
const CALL: Call = { baseUrl: ORIGIN, context: { ip: null, userAgent: null, deviceToken: null, trusted: false } }
const PASSWORD = 'Right-Passw0rd-1'
const LOGIN = 'racer.push@example.com'
const seed: OrgSeed = {
  users: [{ login: LOGIN, firstName: 'Ray', lastName: 'Cer', password: PASSWORD, email: LOGIN }],
  policies: { signOn: { requireFactor: true }, enrollment: { factors: [{ factorType: 'push', provider: 'OKTA', enroll: 'REQUIRED' }] } },
}
type Json = Record<string, unknown>
const body = (r: { readonly body: unknown }) => r.body as Json

/** The store, its loads and commits held by the scheduler while `racing` is on. */
const scheduled = (steps: StepStore, gate: { racing: fc.Scheduler | null }): StepStore => {
  const held = <A>(label: string, f: () => Promise<A>): Promise<A> => (gate.racing === null ? f() : gate.racing.schedule(Promise.resolve(), label).then(f))
  return {
    ...steps,
    load: (hash, now, lease) => () => held('load', steps.load(hash, now, lease)),
    commit: (w) => () => held(`commit(${w.transaction?.event.type ?? '-'})`, steps.commit(w)),
  }
}

const setUp = async () => {
  const gate: { racing: fc.Scheduler | null } = { racing: null }
  const clock = createManualClock(Date.UTC(2026, 11, 1, 13))
  const outbox = createDevOutbox({ log: () => undefined })
  const stores = createMemoryStores()
  const s = await createInProcessSystem({
    seed,
    ...stores,
    steps: scheduled(stores.steps, gate),
    factorPlugins: [registered(createPushFactor())],
    outbox,
    hasher: createTrivialHasher(),
    clock,
    random: createSeededRandom(17),
    call: CALL,
  })
  const d = s.driver
  const options = { transport: inProcessTransport(d, ORIGIN), now: () => clock.now() }
  const first = body(await d.authenticate({ username: LOGIN, password: PASSWORD }))['stateToken'] as string
  const factorId = ((body(await d.enrollFactor({ stateToken: first, factorType: 'push', provider: 'OKTA' }))['_embedded'] as Json)['factor'] as Json)['id'] as string
  await d.sendActivationLink({ stateToken: first, factorId, channel: 'email' })
  const device = await activateDevice(parseEnrollmentUri(/oktaverify:\/\/\S+/.exec(outbox.messages({ to: LOGIN })[0]?.text ?? '')?.[0] ?? ''), { name: 'phone' }, options)
  await d.pollFactorActivation({ stateToken: first, factorId })
  const stateToken = body(await d.authenticate({ username: LOGIN, password: PASSWORD }))['stateToken'] as string
  const started = await d.verifyFactor({ stateToken, factorId })
  const correctAnswer = ((((body(started)['_embedded'] as Json)['factor'] as Json)['_embedded'] as Json)['challenge'] as Json)['correctAnswer'] as number
  const [challenge] = await pendingChallenges(device, options)
  if (challenge === undefined) throw new Error('no challenge')
  return { gate, d, options, device, stateToken, factorId, correctAnswer, challengeId: challenge.challengeId, transactions: stores.transactions }
}

const pollOutcome = (r: { readonly status: number; readonly body: unknown }): string =>
  r.status !== 200 ? `${r.status} ${String(body(r)['errorCode'])}` : body(r)['status'] === 'MFA_CHALLENGE' ? String(body(r)['factorResult']) : String(body(r)['status'])

describe('push under any interleaving (fc.scheduler, memory store)', () => {
  test.prop([fc.scheduler(), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 })], { numRuns: 80 })(
    'approvals, denials and polls at once: one answer taken, SUCCESS only after it approved, REJECTED only after it denied, each shown once',
    async (s, approvals, denials, polls) => {
      fc.pre(approvals + denials > 0)
      const r = await setUp()
      r.gate.racing = s
      const answers = [
        ...Array.from({ length: approvals }, () => answerOf(answerChallenge(r.device, r.challengeId, { consent: 'APPROVED', selectedAnswer: r.correctAnswer }, r.options))),
        ...Array.from({ length: denials }, () => answerOf(answerChallenge(r.device, r.challengeId, { consent: 'DENIED' }, r.options))),
      ]
      const polling = Array.from({ length: polls }, () => r.d.verifyFactor({ stateToken: r.stateToken, factorId: r.factorId }).then(pollOutcome))
      const [devices, clients] = await s.waitFor(Promise.all([Promise.all(answers), Promise.all(polling)]))
      r.gate.racing = null
      const taken = devices.filter((a) => a === 'APPROVED' || a === 'DENIED')
      const trace = `${s.report().map((x) => x.label).join(' ')} devices=${devices.join(',')} polls=${clients.join(',')}`
      expect(taken, trace).toHaveLength(1)
      for (const a of devices.filter((x) => x !== taken[0])) expect(a, trace).toBe('403 E0000068')
      // The client saw WAITING until the answer, then its end once.
      for (const c of clients) expect(['WAITING', 'SUCCESS', 'REJECTED'], trace).toContain(c)
      expect(clients.filter((c) => c === 'SUCCESS').length, trace).toBeLessThanOrEqual(taken[0] === 'APPROVED' ? 1 : 0)
      expect(clients.filter((c) => c === 'REJECTED').length, trace).toBeLessThanOrEqual(taken[0] === 'DENIED' ? 1 : 0)
      // The log holds the one answer taken; the next poll finishes (or was finished by a racing poll).
      const log = expectRight(await run(r.transactions.readLog(expectRight(await run(r.transactions.load(hashToken(r.stateToken), 0))).id)))
      expect(log.filter((l) => l.event.type === 'factor.confirm' || l.event.type === 'factor.deny').map((l) => l.event.type), trace).toEqual([taken[0] === 'APPROVED' ? 'factor.confirm' : 'factor.deny'])
      const after = pollOutcome(await r.d.verifyFactor({ stateToken: r.stateToken, factorId: r.factorId }))
      // Approved: SUCCESS once, to a racing poll (then the transaction is over) or to this one.
      if (taken[0] === 'APPROVED') expect(after, trace).toBe(clients.includes('SUCCESS') ? '401 E0000011' : 'SUCCESS')
      // Denied: REJECTED once, to a racing poll (then this call sends a new push) or to this one.
      else expect(after, trace).toBe(clients.includes('REJECTED') ? 'WAITING' : 'REJECTED')
    },
  )
})
