/**
 * Commands for push with number matching (spec §4.6, §4.7, §4.7.5, §4.7.6, §4.10, §4.11;
 * docs/adr/0031-push.md), with the harness's own device (push-device.ts): enroll, send the
 * enrollment link by email and activate the device with its token, poll the activation; start a
 * push, poll it, resend it, and answer it on the device (the right number, a wrong one, a denial, or
 * a challenge no longer answerable). Invariants: no SUCCESS without the device's approval with the
 * number shown; a push challenge is answered once (never after it was answered, replaced, timed out
 * or its transaction ended); a push times out after its lifetime (5 minutes; an activation after
 * 10); REJECTED and TIMEOUT are each reported once, then the next verification sends a new push;
 * the number shown stays the same while a push waits and is among the device's three choices.
 * Generated only when the org's enrollment policy names `push/OKTA` and the driver serves the
 * device's operations and an outbox.
 */
import fc from 'fast-check'
import type { Driver, OutboxMessage, WireResponse } from './driver.js'
import {
  ActivateFactor,
  AdvanceClock,
  ConformanceError,
  EnrollFactor,
  LATEST,
  LATEST_MFA,
  SignIn,
  TransactionCommand,
  VerifyFactor,
  advance,
  checking,
  codeTime,
  cover,
  enrollPending,
  expectAnswer,
  isObject,
  keepSession,
  member,
  noteExpected,
  originOf,
  record,
  str,
  type Real,
} from './commands.js'
import { err, type Model, type ModelFactor, type ModelPush, type ModelTransaction, type ModelUser, type Prediction } from './model.js'
import { createHarnessPushDevice } from './push-device.js'

const KEY = 'push/OKTA'
/** How long a push waits for its answer, and an enrollment for its device (the reference server's defaults). */
const PUSH_MS = 5 * 60_000
const ACTIVATION_MS = 10 * 60_000

/** The operations of push that are not in the driver's table (the in-process driver has every engine operation). */
const PUSH_OPERATIONS = ['sendActivationLink', 'pollFactorActivation', 'activatePushDevice', 'listPushChallenges', 'answerPushChallenge'] as const
type PushOperation = (typeof PUSH_OPERATIONS)[number] | 'enrollFactor' | 'activateFactor' | 'verifyFactor' | 'resendChallenge'

/**
 * The states that take a device's step (an activation, an answer): elsewhere the transaction
 * refuses it as not allowed in its state (403 E0000079) before the token or challenge is looked at.
 */
const DEVICE_STATES: ReadonlyArray<ModelTransaction['status']> = ['MFA_ENROLL_ACTIVATE', 'MFA_CHALLENGE']

/** Whether a driver serves push: the device's operations, the activation link and poll. */
export const servesPush = (driver: Driver): boolean => PUSH_OPERATIONS.every((op) => typeof (driver as unknown as Readonly<Record<string, unknown>>)[op] === 'function')

/** Sends a request of push, recording it as `send` does; never a 5xx. */
const sendPush = async (real: Real, operation: PushOperation, request: unknown): Promise<WireResponse> => {
  const call = (real.driver as unknown as Readonly<Record<string, ((b: unknown) => Promise<WireResponse>) | undefined>>)[operation]
  if (call === undefined) throw new ConformanceError('the driver serves push', `no ${operation}`)
  const response = await call(request)
  record(real, operation, request, response)
  if (response.status >= 500) throw new ConformanceError('never a 5xx for client input', `${operation} answered ${response.status}`)
  return response
}

/** The user's push factor with its device, in a status. */
const pushOf = (u: ModelUser, status: ModelFactor['status']): ModelFactor | undefined => u.factors.find((f) => f.key === KEY && f.status === status && f.push !== undefined)

/** The user's active push factor, if `tx` lists it (its snapshot: one enrolled since by another transaction is not shown in it). */
const listedPush = (u: ModelUser, tx: ModelTransaction): ModelFactor | undefined => {
  const f = pushOf(u, 'ACTIVE')
  return f !== undefined && tx.factors.some((x) => x.id === f.id) ? f : undefined
}

/** The push in progress: the transaction's last, while MFA_CHALLENGE challenges its factor. */
const inProgress = (tx: ModelTransaction): ModelPush | undefined => {
  const last = tx.pushes[tx.pushes.length - 1]
  return last !== undefined && tx.status === 'MFA_CHALLENGE' && tx.challenge === last.factorId ? last : undefined
}

/** Whether a device may still answer `p` of `tx` at `now`: the push in progress, unanswered, unexpired. */
const answerable = (model: Model, tx: ModelTransaction, p: ModelPush): boolean => model.live(tx) && inProgress(tx) === p && p.state === 'waiting' && model.now < p.expiresAt

/** Checks a device's 200 answer: the fields expected (a refusal is checked as any Okta error). */
const expectDevice = (model: Model, real: Real, what: string, p: Prediction | { readonly kind: 'device'; readonly body: Readonly<Record<string, unknown>> }, r: WireResponse, invariant: string): void => {
  if (p.kind !== 'device') {
    expectAnswer(model, real, what, p, r)
    return
  }
  noteExpected(real, r, `200 ${JSON.stringify(p.body)}`)
  checking(r, () => {
    const ok = r.status === 200 && Object.entries(p.body).every(([k, v]) => member(r.body, k) === v)
    if (!ok) throw new ConformanceError(invariant, `${what}: expected 200 ${JSON.stringify(p.body)}, got ${JSON.stringify({ status: r.status, body: r.body })}`)
  })
}

/** The `factorResult` of an MFA answer (top level, as Okta shows it). */
const factorResultOf = (r: WireResponse): string | undefined => str(member(r.body, 'factorResult'))
/** The number a push's page shows (`_embedded.factor._embedded.challenge.correctAnswer`). */
const numberOf = (r: WireResponse): unknown => member(r.body, '_embedded', 'factor', '_embedded', 'challenge', 'correctAnswer')

const expectResult = (real: Real, what: string, r: WireResponse, result: string, invariant: string): void => {
  noteExpected(real, r, `200 factorResult ${result}`)
  checking(r, () => {
    if (factorResultOf(r) !== result) throw new ConformanceError(invariant, `${what}: expected factorResult ${result}, got ${JSON.stringify(r.body)}`)
  })
}

// -------------------------------------------------------------------------------------------------
// Enrollment

/** `POST /api/v1/authn/factors` for `push/OKTA` in MFA_ENROLL: MFA_ENROLL_ACTIVATE, WAITING for a device for 10 minutes. */
export class EnrollPush extends TransactionCommand {
  constructor(readonly txIndex: number) {
    super()
  }
  protected async step(model: Model, real: Real, tx: ModelTransaction, u: ModelUser, state: string): Promise<void> {
    cover(real, state, 'enrollFactor(push/OKTA)')
    await enrollPending(model, real, this.toString(), tx, u, KEY, (r, issuedAt) => {
      const id = str(member(r.body, '_embedded', 'factor', 'id'))
      const activation = member(r.body, '_embedded', 'factor', '_embedded', 'activation')
      const waiting = factorResultOf(r) === 'WAITING' && member(activation, 'factorResult') === 'WAITING' && member(r.body, '_links', 'next', 'name') === 'poll'
      const expires = !real.controlsClock || member(activation, 'expiresAt') === new Date(issuedAt + ACTIVATION_MS).toISOString()
      if (id === undefined || !waiting || !expires)
        throw new ConformanceError('a push enrollment waits for its device for 10 minutes (WAITING, an activation, a poll link)', JSON.stringify(r.body))
      return { id, push: { device: createHarnessPushDevice(id, originOf(r)), pending: { round: 0, expiresAt: issuedAt + ACTIVATION_MS, activated: false, link: null } } }
    })
  }
  toString = () => `enrollPush(tx#${this.txIndex})`
}

/** The enrollment URI of a message: `oktaverify://{login}/?t={token}&f={factorId}&s={origin}`. */
const enrollmentOf = (m: OutboxMessage): { readonly login: string; readonly token: string; readonly factorId: string; readonly origin: string } | null => {
  const uri = /oktaverify:\/\/\S+/.exec(m.text)?.[0]
  if (uri === undefined) return null
  try {
    const url = new URL(uri)
    const login = decodeURIComponent(url.host === '' ? url.pathname.replace(/^\/+|\/+$/g, '') : url.host)
    return { login, token: url.searchParams.get('t') ?? '', factorId: url.searchParams.get('f') ?? '', origin: url.searchParams.get('s') ?? '' }
  } catch {
    return null
  }
}

const outbox = async (real: Real, to: string): Promise<ReadonlyArray<OutboxMessage>> => {
  const messages = await real.driver.readOutbox?.(to)
  if (messages === null || messages === undefined) throw new ConformanceError('the outbox stays readable', `no outbox listing for ${to}`)
  return messages
}

/**
 * The device activates (`POST /api/v1/push/devices/activate`) with the token of an enrollment
 * link: `link` sends one by email first (`POST …/lifecycle/activate/email`, spec §4.7.6) and reads
 * it from the outbox (`send`: only that, the device does not follow it yet); `again` uses the
 * last link read, without a new one (spent, or late).
 */
export class ActivatePushDevice extends TransactionCommand {
  constructor(
    readonly txIndex: number,
    readonly how: 'link' | 'send' | 'again' = 'link',
  ) {
    super()
  }
  protected async step(model: Model, real: Real, tx: ModelTransaction, u: ModelUser, state: string): Promise<void> {
    const pending = tx.pending
    const w = pending?.push
    if (pending === null || w === undefined) return
    const row = u.factors.find((f) => f.id === pending.id)
    if (this.how !== 'again') {
      cover(real, state, 'sendActivationLink(email)')
      let p: Prediction
      if (!model.live(tx)) p = err(401, 'E0000011')
      else if (tx.status !== 'MFA_ENROLL_ACTIVATE' || row === undefined) p = err(403, 'E0000079')
      // A device activated it already: nothing to send, the next poll finishes the activation.
      else if (w.pending.activated) p = err(403, 'E0000079')
      else {
        model.touch(tx)
        const a = w.pending
        // Sent while the activation waits: the same one; after it timed out: a new one, 10 minutes from now.
        if (model.now >= a.expiresAt) {
          a.round += 1
          a.expiresAt = model.now + ACTIVATION_MS
        }
        p = { kind: 'transaction', status: 'MFA_ENROLL_ACTIVATE', expiresAt: tx.expiresAt, app: tx.app }
      }
      const before = await outbox(real, u.email)
      const at = model.now
      const r = await sendPush(real, 'sendActivationLink', { stateToken: tx.stateToken, factorId: pending.id, channel: 'email' })
      const after = await outbox(real, u.email)
      expectAnswer(model, real, this.toString(), p, r)
      const fresh = before[0] === undefined ? after : after.slice(0, Math.max(0, after.findIndex((m) => JSON.stringify(m) === JSON.stringify(before[0]))))
      if (p.kind !== 'transaction') {
        if (fresh.length > 0) throw new ConformanceError('a refused send adds nothing to the outbox', `${this.toString()}: ${JSON.stringify(fresh)}`)
        return
      }
      expectResult(real, this.toString(), r, 'WAITING', 'a push enrollment waits for its device for 10 minutes (WAITING, an activation, a poll link)')
      const m = fresh[0]
      const e = m === undefined ? null : enrollmentOf(m)
      if (m === undefined || fresh.length !== 1 || e === null || m.channel !== 'email' || m.purpose !== 'mfa-activation' || (real.controlsClock && m.createdAt !== new Date(at).toISOString()))
        throw new ConformanceError('an enrollment link is sent once, to the user’s primary email', `${this.toString()}: ${JSON.stringify(fresh)}`)
      if (e.factorId !== pending.id || e.origin !== w.device.origin || e.login.toLowerCase() !== u.login.toLowerCase() || e.token === '')
        throw new ConformanceError('an enrollment link names the user, the factor and the API’s origin', `${this.toString()}: ${m.text}`)
      w.pending.link = { token: e.token, round: w.pending.round }
    }
    const link = w.pending.link
    if (link === null || this.how === 'send') return
    cover(real, state, `activatePushDevice(${this.how})`)
    const now = codeTime(model, real)
    const request = { activationToken: link.token, factorId: pending.id, device: { name: 'harness phone', platform: 'OTHER' }, key: w.device.publicJwk, proof: await w.device.proof(now) }
    const a = w.pending
    let p: Prediction | { readonly kind: 'device'; readonly body: Readonly<Record<string, unknown>> }
    // A token is good once, for the activation it was sent for, while it waits, in its transaction's MFA_ENROLL_ACTIVATE.
    if (model.live(tx) && !DEVICE_STATES.includes(tx.status)) p = err(403, 'E0000079')
    else if (!model.live(tx) || tx.status !== 'MFA_ENROLL_ACTIVATE' || row === undefined || link.round !== a.round || a.activated || model.now >= a.expiresAt) p = err(401, 'E0000011')
    else {
      model.touch(tx)
      a.activated = true
      p = { kind: 'device', body: { factorId: pending.id, status: 'ACTIVATED' } }
    }
    const r = await sendPush(real, 'activatePushDevice', request)
    expectDevice(model, real, this.toString(), p, r, 'an activation token activates one device, once, while its activation waits')
    const userId = str(member(r.body, 'userId'))
    if (p.kind === 'device' && userId !== undefined) w.device.userId = userId
  }
  toString = () => `activatePushDevice(tx#${this.txIndex}, ${this.how})`
}

/**
 * `POST …/lifecycle/activate/poll` (spec §4.7.5), or `…/lifecycle/activate` (which starts an
 * activation that ended anew): WAITING while the activation waits, TIMEOUT at every poll once its
 * 10 minutes are over, and once the device activated, the factor is active and the flow goes on.
 */
export class PollPushActivation extends TransactionCommand {
  constructor(
    readonly txIndex: number,
    readonly operation: 'pollFactorActivation' | 'activateFactor' = 'pollFactorActivation',
  ) {
    super()
  }
  protected async step(model: Model, real: Real, tx: ModelTransaction, u: ModelUser, state: string): Promise<void> {
    const pending = tx.pending
    const w = pending?.push
    if (pending === null || w === undefined) return
    const row = u.factors.find((f) => f.id === pending.id)
    const a = w.pending
    let p: Prediction
    let result: 'WAITING' | 'TIMEOUT' | null = null
    if (!model.live(tx)) p = err(401, 'E0000011')
    else if (row === undefined) p = err(404, 'E0000007')
    else if (tx.status !== 'MFA_ENROLL_ACTIVATE') p = err(403, 'E0000079')
    else if (a.activated) {
      model.touch(tx)
      row.status = 'ACTIVE'
      tx.factors = [...tx.factors.filter((f) => f.id !== row.id), { ...row }]
      tx.pending = null
      tx.enrolledHere = true
      p = advance(model, tx, u)
    } else {
      model.touch(tx)
      if (model.now >= a.expiresAt && this.operation === 'activateFactor') {
        a.round += 1
        a.expiresAt = model.now + ACTIVATION_MS
      }
      result = model.now >= a.expiresAt ? 'TIMEOUT' : 'WAITING'
      p = { kind: 'transaction', status: 'MFA_ENROLL_ACTIVATE', expiresAt: tx.expiresAt, app: tx.app }
    }
    cover(real, state, `${this.operation}(push${result === null ? '' : `, ${result}`}${a.activated ? ', activated' : ''})`)
    const r = await sendPush(real, this.operation, { stateToken: tx.stateToken, factorId: pending.id })
    if (isObject(r.body) && r.body['status'] === 'SUCCESS' && !a.activated) throw new ConformanceError('no push factor is active without its device’s activation', `${this.toString()}: ${JSON.stringify(r.body)}`)
    expectAnswer(model, real, this.toString(), p, r)
    if (result !== null) expectResult(real, this.toString(), r, result, 'an activation times out after its 10 minutes, and only then')
    keepSession(model, u, p, r)
  }
  toString = () => `${this.operation === 'activateFactor' ? 'activatePush' : 'pollPushActivation'}(tx#${this.txIndex})`
}

// -------------------------------------------------------------------------------------------------
// Verification

/** Lists the device's pending challenges (`POST /api/v1/push/challenges/pending`): 200 and the list, or null when it cannot ask. */
const pendingChallenges = async (model: Model, real: Real, f: ModelFactor, state: string): Promise<ReadonlyArray<Record<string, unknown>> | null> => {
  const device = f.push?.device
  if (device === undefined || device.userId === null) return null
  cover(real, state, 'listPushChallenges')
  const r = await sendPush(real, 'listPushChallenges', { factorId: f.id, userId: device.userId, assertion: await device.assertion(codeTime(model, real)) })
  noteExpected(real, r, '200 {challenges}')
  const list = member(r.body, 'challenges')
  if (r.status !== 200 || !Array.isArray(list)) throw new ConformanceError('an activated device lists its pending challenges', JSON.stringify({ status: r.status, body: r.body }))
  return list.filter(isObject)
}

/**
 * A new push for `f` was started in `tx` at `at` (its answer `r`): learns the number shown and,
 * from the device's list, the challenge (the newest, the number among its three choices).
 */
const learnPush = async (model: Model, real: Real, tx: ModelTransaction, f: ModelFactor, at: number, r: WireResponse, state: string, what: string): Promise<void> => {
  const correct = numberOf(r)
  if (factorResultOf(r) !== 'WAITING' || typeof correct !== 'number' || !Number.isInteger(correct) || correct < 10 || correct > 99)
    throw new ConformanceError('a push waits with the number to pick (10 to 99)', `${what}: ${JSON.stringify(r.body)}`)
  const known = new Set(tx.pushes.map((p) => p.challengeId))
  const list = (await pendingChallenges(model, real, f, state)) ?? []
  const c = list[list.length - 1]
  const choices = member(c, 'choices')
  const challengeId = str(member(c, 'challengeId'))
  if (
    c === undefined ||
    challengeId === undefined ||
    known.has(challengeId) ||
    member(c, 'factorId') !== f.id ||
    (real.controlsClock && member(c, 'expiresAt') !== at + PUSH_MS) ||
    !Array.isArray(choices) ||
    choices.length !== 3 ||
    new Set(choices).size !== 3 ||
    !choices.includes(correct)
  )
    throw new ConformanceError('a push reaches the device, with three choices among which the number shown', `${what}: ${JSON.stringify(list)}`)
  tx.pushes.push({ factorId: f.id, challengeId, expiresAt: at + PUSH_MS, correct, state: 'waiting', reported: false })
}

/**
 * `POST …/verify` for the user's push factor (spec §4.10): starts a push, and every later call
 * polls it: WAITING with the same number while it waits, the next state once approved with that
 * number, REJECTED (denied, or another number) or TIMEOUT (after 5 minutes) once, then a new push.
 */
export class VerifyPush extends TransactionCommand {
  constructor(readonly txIndex: number) {
    super()
  }
  protected async step(model: Model, real: Real, tx: ModelTransaction, u: ModelUser, state: string): Promise<void> {
    const f = listedPush(u, tx)
    if (f === undefined) return
    const cur = inProgress(tx)
    const ended = cur !== undefined && (cur.state === 'denied' || (cur.state === 'waiting' && model.now >= cur.expiresAt))
    const at = model.now
    let p: Prediction
    let shows: 'new' | 'WAITING' | 'REJECTED' | 'TIMEOUT' | null = null
    if (!model.live(tx)) p = err(401, 'E0000011')
    else if (tx.status !== 'MFA_REQUIRED' && tx.status !== 'MFA_CHALLENGE') p = err(403, 'E0000079')
    else {
      model.touch(tx)
      if (cur?.state === 'approved') {
        u.failedAttempts = 0
        u.lockedAt = null
        tx.mfaVerified = true
        tx.challenge = null
        p = advance(model, tx, u)
      } else {
        if (cur !== undefined && cur.state === 'waiting' && !ended) shows = 'WAITING'
        else if (cur !== undefined && ended && !cur.reported) {
          shows = cur.state === 'denied' ? 'REJECTED' : 'TIMEOUT'
          cur.reported = true
        } else {
          // A new push: the factor is challenged, any nonce issued before is gone (one verification at a time).
          shows = 'new'
          tx.status = 'MFA_CHALLENGE'
          tx.challenge = f.id
          tx.nonce = null
        }
        p = { kind: 'transaction', status: 'MFA_CHALLENGE', expiresAt: tx.expiresAt, app: tx.app }
      }
    }
    cover(real, state, `verifyFactor(push${shows === null ? '' : shows === 'new' ? ', new push' : `, ${shows}`}${cur?.state === 'approved' ? ', approved' : ''})`)
    const r = await sendPush(real, 'verifyFactor', { stateToken: tx.stateToken, factorId: f.id })
    if (isObject(r.body) && r.body['status'] !== 'MFA_CHALLENGE' && r.status === 200 && cur?.state !== 'approved')
      throw new ConformanceError('no SUCCESS without the device’s approval with the number shown', `${this.toString()}: ${JSON.stringify(r.body)}`)
    expectAnswer(model, real, this.toString(), p, r)
    if (shows === 'WAITING' && cur !== undefined) {
      expectResult(real, this.toString(), r, 'WAITING', 'a push times out after its 5 minutes, and only then')
      if (numberOf(r) !== cur.correct) throw new ConformanceError('a push shows the same number while it waits', `${this.toString()}: expected ${cur.correct}, got ${JSON.stringify(r.body)}`, r)
    } else if (shows === 'REJECTED' || shows === 'TIMEOUT') {
      expectResult(real, this.toString(), r, shows, shows === 'TIMEOUT' ? 'a push times out after its 5 minutes, and only then' : 'REJECTED and TIMEOUT are reported once, then a new push')
      if (numberOf(r) !== undefined) throw new ConformanceError('a push that ended shows no number', `${this.toString()}: ${JSON.stringify(r.body)}`, r)
    } else if (shows === 'new') {
      if (cur !== undefined && cur.reported && factorResultOf(r) !== 'WAITING')
        throw new ConformanceError('REJECTED and TIMEOUT are reported once, then a new push', `${this.toString()}: ${JSON.stringify(r.body)}`, r)
      await learnPush(model, real, tx, f, at, r, state, this.toString())
    }
    keepSession(model, u, p, r)
  }
  toString = () => `verifyPush(tx#${this.txIndex})`
}

/** `POST …/verify/resend` for the push factor challenged (spec §4.11): a new push at once; the one in progress can no longer be answered. */
export class ResendPush extends TransactionCommand {
  constructor(readonly txIndex: number) {
    super()
  }
  protected async step(model: Model, real: Real, tx: ModelTransaction, u: ModelUser, state: string): Promise<void> {
    const f = listedPush(u, tx)
    if (f === undefined) return
    cover(real, state, 'resendChallenge(push)')
    const at = model.now
    let p: Prediction
    if (!model.live(tx)) p = err(401, 'E0000011')
    else if (tx.status !== 'MFA_CHALLENGE' || tx.challenge !== f.id) p = err(403, 'E0000079')
    else {
      model.touch(tx)
      tx.nonce = null
      p = { kind: 'transaction', status: 'MFA_CHALLENGE', expiresAt: tx.expiresAt, app: tx.app }
    }
    const r = await sendPush(real, 'resendChallenge', { stateToken: tx.stateToken, factorId: f.id })
    expectAnswer(model, real, this.toString(), p, r)
    if (p.kind === 'transaction') await learnPush(model, real, tx, f, at, r, state, this.toString())
  }
  toString = () => `resendPush(tx#${this.txIndex})`
}

type AnswerChoice = 'right' | 'wrong' | 'deny' | 'stale'

/**
 * The device answers a push of the transaction (`POST /api/v1/push/challenges/answer`): the last
 * one with the number shown (`right`), another number (`wrong`), a denial (`deny`), or an earlier
 * one (`stale`: replaced, answered or timed out). Only the push in progress, unanswered and
 * unexpired, takes an answer (APPROVED with the right number, DENIED otherwise, neither counted
 * toward lockout); any other is 403 E0000068 (403 E0000079 once its transaction moved on to a state
 * that takes no device answer), and after its transaction ended 401 E0000011.
 */
export class AnswerPush extends TransactionCommand {
  constructor(
    readonly txIndex: number,
    readonly how: AnswerChoice,
  ) {
    super()
  }
  protected async step(model: Model, real: Real, tx: ModelTransaction, u: ModelUser, state: string): Promise<void> {
    const target = this.how === 'stale' ? (tx.pushes[tx.pushes.length - 2] ?? tx.pushes[tx.pushes.length - 1]) : tx.pushes[tx.pushes.length - 1]
    const f = target === undefined ? undefined : u.factors.find((x) => x.id === target.factorId)
    const device = f?.push?.device
    if (target === undefined || f === undefined || device === undefined || target.challengeId === '') return
    cover(real, state, `answerPushChallenge(${this.how})`)
    // The device's list: an answered push is gone from it; one that waits is there until it expires.
    if (f.status === 'ACTIVE') {
      const listed = (await pendingChallenges(model, real, f, state))?.map((c) => c['challengeId'])
      const waits = target.state === 'waiting' && model.now < target.expiresAt
      if (listed !== undefined && listed.length < 16 && listed.includes(target.challengeId) !== waits)
        throw new ConformanceError('a push challenge is answered once', `${this.toString()}: ${target.challengeId} ${waits ? 'missing from' : 'still in'} ${JSON.stringify(listed)}`)
    }
    const open = answerable(model, tx, target)
    const approve = this.how === 'right' || this.how === 'stale'
    const selected = this.how === 'wrong' ? (target.correct === 99 ? 10 : target.correct + 1) : target.correct
    const response = await device.answer(target.challengeId, this.how === 'deny' ? 'DENIED' : 'APPROVED', this.how === 'deny' ? undefined : selected, codeTime(model, real))
    let p: Prediction | { readonly kind: 'device'; readonly body: Readonly<Record<string, unknown>> }
    if (!model.live(tx)) p = err(401, 'E0000011')
    // A device's answer is a step on the transaction: a state that takes none refuses it first (E0000079).
    else if (!DEVICE_STATES.includes(tx.status)) p = err(403, 'E0000079')
    else if (!open) p = err(403, 'E0000068')
    else {
      // A step on the transaction: it slides; a denial or a wrong number is the user's decision, not counted.
      model.touch(tx)
      target.state = approve ? 'approved' : 'denied'
      p = { kind: 'device', body: { result: approve ? 'APPROVED' : 'DENIED' } }
    }
    const r = await sendPush(real, 'answerPushChallenge', { challengeId: target.challengeId, challengeResponse: response })
    if (r.status === 200 && !open) throw new ConformanceError('a push challenge is answered once', `${this.toString()}: ${JSON.stringify(r.body)}`, r)
    if (member(r.body, 'result') === 'APPROVED' && !approve)
      throw new ConformanceError('no SUCCESS without the device’s approval with the number shown', `${this.toString()}: approved with ${selected} for ${target.correct}`, r)
    expectDevice(model, real, this.toString(), p, r, 'a push is approved with the number shown only, and answered once')
  }
  toString = () => `answerPush(tx#${this.txIndex}, ${this.how})`
}

type RunKind = 'enroll' | 'approve' | 'deny' | 'wrong' | 'timeout' | 'late activation'

/**
 * A push flow from a sign-in. Without a user with push yet (or for `enroll`, `late activation`):
 * the user signs in, answers a factor first where one is asked (TOTP, question), enrolls push,
 * activates the device and polls (and enrolls the first factor the policy still requires, so the
 * flow can finish); `late activation` polls past the activation's 10 minutes instead, then starts
 * it anew. Then the user with push signs in and: `approve`s a push with the number shown, polls
 * (SUCCESS when nothing else is due); or `deny`s it (or picks a `wrong` number), polls REJECTED,
 * polls a new push, resends it, answers the replaced one (refused) and approves the new one; or
 * leaves one unanswered past its 5 minutes (`timeout`, polled meanwhile), then approves the next.
 */
export class PushRun implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly kind: RunKind,
    readonly userIndex: number,
  ) {}
  check = () => true
  async run(model: Model, real: Real): Promise<void> {
    const withPush = () => model.users.findIndex((u) => u.factors.some((f) => f.key === KEY && f.status === 'ACTIVE'))
    if (this.kind === 'enroll' || this.kind === 'late activation' || withPush() < 0) {
      await new SignIn(this.userIndex, 'correct', false, false).run(model, real)
      // A factor the sign-in asks for first, where the model knows its answer (TOTP, question).
      await new VerifyFactor(LATEST_MFA, 0, 'right').run(model, real)
      await new EnrollPush(LATEST_MFA).run(model, real)
      if (this.kind === 'late activation') {
        // The link is sent but not followed; polled every 4 minutes (which keeps the transaction
        // alive) past the activation's 10: TIMEOUT, the link's token refused, `activate` starts anew.
        await new ActivatePushDevice(LATEST_MFA, 'send').run(model, real)
        for (const ms of [240_000, 240_000, 121_000]) {
          await new AdvanceClock(ms).run(model, real)
          await new PollPushActivation(LATEST_MFA).run(model, real)
        }
        await new ActivatePushDevice(LATEST_MFA, 'again').run(model, real)
        await new PollPushActivation(LATEST_MFA, 'activateFactor').run(model, real)
        await new ActivatePushDevice(LATEST_MFA, 'again').run(model, real)
        await new PollPushActivation(LATEST_MFA).run(model, real)
      }
      await new ActivatePushDevice(LATEST_MFA, 'link').run(model, real)
      // The token once more: spent.
      if (this.kind === 'late activation') await new ActivatePushDevice(LATEST_MFA, 'again').run(model, real)
      await new PollPushActivation(LATEST_MFA).run(model, real)
      // The first factor the policy still asks to enroll (TOTP or a question), so the flow may finish.
      await new EnrollFactor(LATEST_MFA, 0).run(model, real)
      await new ActivateFactor(LATEST_MFA, true).run(model, real)
    }
    if (this.kind === 'enroll' || this.kind === 'late activation') return
    // The user with push signs in again: the new transaction lists the factor.
    const enrolled = withPush()
    if (enrolled < 0) return
    await new SignIn(enrolled, 'correct', false, false).run(model, real)
    await new VerifyPush(LATEST_MFA).run(model, real)
    if (this.kind === 'timeout') {
      await new AdvanceClock(240_000).run(model, real)
      await new VerifyPush(LATEST_MFA).run(model, real)
      await new AdvanceClock(61_000).run(model, real)
      await new AnswerPush(LATEST_MFA, 'right').run(model, real)
      await new VerifyPush(LATEST_MFA).run(model, real)
      await new VerifyPush(LATEST_MFA).run(model, real)
    } else if (this.kind === 'deny' || this.kind === 'wrong') {
      await new AnswerPush(LATEST_MFA, this.kind).run(model, real)
      await new AnswerPush(LATEST_MFA, 'right').run(model, real)
      await new VerifyPush(LATEST_MFA).run(model, real)
      await new VerifyPush(LATEST_MFA).run(model, real)
      await new ResendPush(LATEST_MFA).run(model, real)
      await new AnswerPush(LATEST_MFA, 'stale').run(model, real)
    }
    await new AnswerPush(LATEST_MFA, 'right').run(model, real)
    await new VerifyPush(LATEST_MFA).run(model, real)
  }
  toString = () => `PushRun(user#${this.userIndex}, ${this.kind})`
}

/** The push commands of a run (the clock-bound flows only where the driver moves the clock). */
export const pushArbitraries = (userCount: number, controlsClock: boolean): ReadonlyArray<fc.Arbitrary<fc.AsyncCommand<Model, Real>>> => {
  const txIndex = fc.oneof(fc.constant(LATEST), fc.constant(LATEST_MFA), fc.nat({ max: 50 }))
  const runs: RunKind[] = ['enroll', 'approve', 'approve', 'deny', 'wrong', ...(controlsClock ? (['timeout', 'late activation'] as const) : [])]
  return [
    txIndex.map((i) => new EnrollPush(i)),
    // Right after an enrollment, mostly with a fresh link.
    fc.constantFrom<'link' | 'send' | 'again'>('link', 'link', 'link', 'send', 'again').map((h) => new ActivatePushDevice(LATEST_MFA, h)),
    fc.constantFrom<'pollFactorActivation' | 'activateFactor'>('pollFactorActivation', 'pollFactorActivation', 'activateFactor').map((op) => new PollPushActivation(LATEST_MFA, op)),
    txIndex.map((i) => new VerifyPush(i)),
    fc.constant(LATEST_MFA).map((i) => new VerifyPush(i)),
    fc.constant(LATEST_MFA).map((i) => new ResendPush(i)),
    fc.tuple(txIndex, fc.constantFrom<AnswerChoice>('right', 'right', 'right', 'wrong', 'deny', 'stale')).map(([i, h]) => new AnswerPush(i, h)),
    fc.constantFrom<AnswerChoice>('right', 'wrong', 'deny', 'stale').map((h) => new AnswerPush(LATEST_MFA, h)),
    ...[1, 2].map(() => fc.tuple(fc.constantFrom<RunKind>(...runs), fc.nat({ max: Math.max(0, userCount - 1) })).map(([k, u]) => new PushRun(k, u))),
  ]
}
