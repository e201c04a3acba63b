/**
 * Commands for the factors that send a one-time code (SMS, voice call, email; spec §4.6–4.11,
 * docs/adr/0010-sent-codes.md): send, resend, enroll, and answer with codes read back from the
 * implementation's outbox. Generated only when the driver has an outbox (`Driver.readOutbox`).
 */
import fc from 'fast-check'
import type { OutboxMessage, WireResponse } from './driver.js'
import {
  AdvanceClock,
  ConformanceError,
  LATEST,
  LATEST_MFA,
  SignIn,
  TransactionCommand,
  advance,
  answerKey,
  codeTime,
  cover,
  expectAnswer,
  isObject,
  keepSession,
  noteExpected,
  predictionKey,
  record,
  send,
  str,
  type Real,
} from './commands.js'
import { err, sendingFamily, type Model, type ModelFactor, type ModelSentCode, type ModelTransaction, type ModelUser, type Prediction } from './model.js'

/** Phone numbers an enrollment picks from (valid E.164 numbers, as the seeds' are). */
const PHONES = ['+14155552671', '+14155550100', '+12025550143']

/**
 * Over HTTP the model does not move the implementation's clock: an instant this close to the real
 * clock could fall on either side, and the answer decides.
 */
const SLACK_MS = 2_000

/** Whether `at` is before `instant`; null when the clock is not controlled and they are too close to tell. */
const isBefore = (real: Real, at: number, instant: number): boolean | null => (!real.controlsClock && Math.abs(instant - at) < SLACK_MS ? null : at < instant)

const readOutbox = async (real: Real, to: string): Promise<ReadonlyArray<OutboxMessage>> => {
  const messages = await real.driver.readOutbox?.(to)
  if (messages === null || messages === undefined) throw new ConformanceError('the outbox stays readable', `no outbox listing for ${to}`)
  return messages
}

/** Counts what a sent-code request was answered (`SENT × verifyFactor(right code) → 200 SUCCESS`), so a report shows which cases came up. */
const coverAnswer = (real: Real, label: string, r: WireResponse): void => {
  const body = isObject(r.body) ? r.body : {}
  cover(real, 'SENT', `${label} → ${r.status} ${String(r.status === 200 ? body['status'] : body['errorCode'])}`)
}

const same = (a: OutboxMessage | undefined, b: OutboxMessage | undefined): boolean => a !== undefined && b !== undefined && JSON.stringify(a) === JSON.stringify(b)

/**
 * Sends a request that may deliver a code to `to`, reading the outbox before and after it: the
 * answer, and the messages to `to` that arrived meanwhile (newest first).
 */
const sending = async (real: Real, to: string | null, request: () => Promise<WireResponse>): Promise<{ readonly r: WireResponse; readonly fresh: ReadonlyArray<OutboxMessage> }> => {
  if (to === null) return { r: await request(), fresh: [] }
  const before = await readOutbox(real, to)
  const r = await request()
  const after = await readOutbox(real, to)
  const seen = before[0] === undefined ? -1 : after.findIndex((m) => same(m, before[0]))
  return { r, fresh: seen < 0 ? after : after.slice(0, seen) }
}

/** A code the model expects to have been sent: to the factor's destination, for this purpose, at `at`. */
interface Expected {
  readonly f: ModelFactor
  readonly purpose: 'mfa-activation' | 'mfa-challenge'
  readonly at: number
}

/**
 * Checks what arrived in the outbox: nothing when no code was to be sent (a refused or throttled
 * send adds no message), else exactly one message on the factor's channel to its destination.
 * Returns the code it carries (its first digits: a call repeats the code).
 */
const delivered = (what: string, real: Real, fresh: ReadonlyArray<OutboxMessage>, expected: Expected | null): string | null => {
  if (expected === null) {
    if (fresh.length > 0) throw new ConformanceError('a refused or throttled send adds nothing to the outbox', `${what}: ${JSON.stringify(fresh)}`)
    return null
  }
  const { f, purpose, at } = expected
  const family = sendingFamily(f.key)
  const m = fresh[0]
  const to = f.destination ?? ''
  if (family === undefined || m === undefined || fresh.length !== 1)
    throw new ConformanceError('a code is sent once, to the enrolled destination', `${what}: ${fresh.length} new messages to ${to}`)
  const toMatches = family.channel === 'email' ? m.to.toLowerCase() === to.toLowerCase() : m.to === to
  if (!toMatches || m.channel !== family.channel || m.purpose !== purpose || (real.controlsClock && m.createdAt !== new Date(at).toISOString()))
    throw new ConformanceError('a code is sent once, to the enrolled destination', `${what}: expected ${family.channel} to ${to} (${purpose}), got ${JSON.stringify(m)}`)
  const digits = m.text.replace(/\D/g, '')
  if (digits.length < family.codeLength) throw new ConformanceError('a sent code has the family’s length', `${what}: ${JSON.stringify(m.text)}`)
  return digits.slice(0, family.codeLength)
}

/** The factor object of an answer (`_embedded.factor`). */
const factorOf = (r: WireResponse): Record<string, unknown> =>
  isObject(r.body) && isObject(r.body['_embedded']) && isObject(r.body['_embedded']['factor']) ? r.body['_embedded']['factor'] : {}

/** A state that waits for a sent code links its resend: `lifecycle/resend` (activation) or `verify/resend` (challenge). */
const expectResendLink = (what: string, r: WireResponse, f: ModelFactor, kind: 'lifecycle' | 'verify'): void => {
  const links = isObject(r.body) && isObject(r.body['_links']) ? r.body['_links']['resend'] : undefined
  const link: unknown = Array.isArray(links) ? links[0] : undefined
  const ok = isObject(link) && link['name'] === f.key.split('/')[0] && str(link['href'])?.endsWith(`/api/v1/authn/factors/${f.id}/${kind}/resend`) === true
  if (!ok) throw new ConformanceError('a sent code links its resend', `${what}: ${JSON.stringify(r.body)}`)
}

/** The user's factors that send codes (with an id), in a given status. */
const sendingFactors = (u: ModelUser, status: ModelFactor['status']): ReadonlyArray<ModelFactor> =>
  u.factors.filter((f) => f.status === status && f.id !== '' && sendingFamily(f.key) !== undefined)

/**
 * A client that waits for the resend link: moves the clock (when the driver controls it) to the
 * instant the throttle of the last code ends, exactly, so the boundary is checked too.
 */
const waitOutThrottle = (model: Model, real: Real, tx: ModelTransaction, key: string): void => {
  const until = model.throttleEnds(tx, key)
  if (until !== null && until > model.now && real.driver.advanceClock(until - model.now)) model.now = until
}

/** A new code at `at` for `f` would be inside the throttle of the last one (unknown over HTTP near the limit: the answer decides). */
const throttled = (model: Model, real: Real, tx: ModelTransaction, f: ModelFactor, at: number, r: WireResponse): boolean => {
  const until = model.throttleEnds(tx, f.key)
  return until !== null && (isBefore(real, at, until) ?? r.status === 429)
}

// -------------------------------------------------------------------------------------------------

/** `POST /api/v1/authn/factors/{factorId}/verify` without a passCode for an active sending factor: a code is sent (spec §4.10). */
export class SendCode extends TransactionCommand {
  constructor(
    readonly txIndex: number,
    readonly factorIndex: number,
    /** Wait out the throttle of the last code first. */
    readonly wait = false,
  ) {
    super()
  }
  protected async step(model: Model, real: Real, tx: ModelTransaction, u: ModelUser, state: string): Promise<void> {
    const candidates = sendingFactors(u, 'ACTIVE')
    const f = candidates[this.factorIndex % Math.max(1, candidates.length)]
    const family = f === undefined ? undefined : sendingFamily(f.key)
    if (f === undefined || family === undefined) return
    cover(real, state, `verifyFactor(send ${family.channel})`)
    if (this.wait) waitOutThrottle(model, real, tx, f.key)
    const at = codeTime(model, real)
    const { r, fresh } = await sending(real, f.destination, () => send(real, 'verifyFactor', { stateToken: tx.stateToken, factorId: f.id }))
    let p: Prediction
    let sends = false
    if (!model.live(tx)) p = err(401, 'E0000011')
    else if (tx.status !== 'MFA_REQUIRED' && tx.status !== 'MFA_CHALLENGE') p = err(403, 'E0000079')
    else if (throttled(model, real, tx, f, at, r)) p = err(429, family.throttledCode)
    else {
      model.touch(tx)
      tx.status = 'MFA_CHALLENGE'
      tx.challenge = f.id
      sends = true
      p = { kind: 'transaction', status: 'MFA_CHALLENGE', expiresAt: tx.expiresAt, app: tx.app }
    }
    expectAnswer(model, real, this.toString(), p, r)
    coverAnswer(real, `verifyFactor(send ${family.channel})`, r)
    const code = delivered(this.toString(), real, fresh, sends ? { f, purpose: 'mfa-challenge', at } : null)
    if (code === null) return
    expectResendLink(this.toString(), r, f, 'verify')
    model.recordCode(tx, f, code, at)
  }
  toString = () => `sendCode(tx#${this.txIndex}, factor#${this.factorIndex}${this.wait ? ', after the throttle' : ''})`
}

type ResendTarget = 'current' | 'other' | 'unknown'

/**
 * `POST /api/v1/authn/factors/{factorId}/lifecycle/resend` (MFA_ENROLL_ACTIVATE, spec §4.8) and
 * `…/verify/resend` (MFA_CHALLENGE, §4.11): a new code replaces the open one, after the throttle.
 * Elsewhere, or for another factor than the one waiting, E0000079.
 */
export class ResendCode extends TransactionCommand {
  constructor(
    readonly txIndex: number,
    /** `auto`: the resend of the transaction's state (the activation's while an enrollment waits). */
    readonly operation: 'auto' | 'resendActivation' | 'resendChallenge',
    readonly target: ResendTarget,
    readonly factorIndex: number,
    /** Wait out the throttle of the last code first. */
    readonly wait = false,
  ) {
    super()
  }
  protected async step(model: Model, real: Real, tx: ModelTransaction, u: ModelUser, state: string): Promise<void> {
    const op = this.operation !== 'auto' ? this.operation : tx.status === 'MFA_ENROLL_ACTIVATE' ? 'resendActivation' : 'resendChallenge'
    const activation = op === 'resendActivation'
    const current = activation ? (tx.pending?.id ?? null) : tx.challenge
    const pickFrom = (fs: ReadonlyArray<ModelFactor>) => fs[this.factorIndex % Math.max(1, fs.length)]?.id
    const factorId =
      this.target === 'unknown'
        ? 'mblnobodyhasthis0001'
        : this.target === 'current'
          ? (current ?? pickFrom([...sendingFactors(u, 'ACTIVE'), ...sendingFactors(u, 'PENDING_ACTIVATION')]))
          : pickFrom(u.factors.filter((f) => f.id !== '' && f.id !== current))
    if (factorId === undefined) return
    // A resend for the push challenged sends a new push, not a code: ResendPush (push-commands.ts) predicts it.
    if (!activation && factorId === current && u.factors.some((f) => f.id === factorId && f.push !== undefined)) return
    cover(real, state, `${op}(${this.target})`)
    const row = u.factors.find((f) => f.id === factorId && f.status === (activation ? 'PENDING_ACTIVATION' : 'ACTIVE'))
    const family = row === undefined ? undefined : sendingFamily(row.key)
    if (this.wait && row !== undefined) waitOutThrottle(model, real, tx, row.key)
    const at = codeTime(model, real)
    const { r, fresh } = await sending(real, family === undefined ? null : (row?.destination ?? null), () => send(real, op, { stateToken: tx.stateToken, factorId }))
    let p: Prediction
    let sends: Expected | null = null
    if (!model.live(tx)) p = err(401, 'E0000011')
    else if (tx.status !== (activation ? 'MFA_ENROLL_ACTIVATE' : 'MFA_CHALLENGE')) p = err(403, 'E0000079')
    else if (row === undefined) p = err(404, 'E0000007')
    else if (family === undefined || factorId !== current) p = err(403, 'E0000079')
    else if (throttled(model, real, tx, row, at, r)) p = err(429, family.throttledCode)
    else {
      model.touch(tx)
      sends = { f: row, purpose: activation ? 'mfa-activation' : 'mfa-challenge', at }
      p = { kind: 'transaction', status: tx.status, expiresAt: tx.expiresAt, app: tx.app }
    }
    expectAnswer(model, real, this.toString(), p, r)
    coverAnswer(real, `${op}(${this.target})`, r)
    const code = delivered(this.toString(), real, fresh, sends)
    if (code === null || row === undefined) return
    expectResendLink(this.toString(), r, row, activation ? 'lifecycle' : 'verify')
    model.recordCode(tx, row, code, at)
  }
  toString = () => `${this.operation === 'auto' ? 'resend' : this.operation}(tx#${this.txIndex}, ${this.target}, factor#${this.factorIndex}${this.wait ? ', after the throttle' : ''})`
}

/**
 * `POST /api/v1/authn/factors` for SMS, call or email in MFA_ENROLL (spec §4.6): the factor waits
 * in MFA_ENROLL_ACTIVATE and an activation code goes to the phone number (or the user's primary
 * email). Another number while one waits unverified needs `updatePhone`.
 */
export class EnrollSending extends TransactionCommand {
  constructor(
    readonly txIndex: number,
    readonly keyIndex: number,
    readonly phoneIndex: number,
    readonly updatePhone: boolean,
  ) {
    super()
  }
  protected async step(model: Model, real: Real, tx: ModelTransaction, u: ModelUser, state: string): Promise<void> {
    const policy = model.policy
    const keys = [...policy.requiredEnrollments, ...policy.optionalEnrollments, ...policy.notAllowedEnrollments].filter((k) => sendingFamily(k) !== undefined)
    const key = keys[this.keyIndex % Math.max(1, keys.length)]
    const family = key === undefined ? undefined : sendingFamily(key)
    if (key === undefined || family === undefined) return
    const [factorType = ''] = key.split('/')
    const phone = family.channel === 'email' ? null : (PHONES[this.phoneIndex % PHONES.length] ?? null)
    const destination = phone ?? u.email
    cover(real, state, `enrollFactor(${key})`)
    const body = {
      stateToken: tx.stateToken,
      factorType,
      provider: 'OKTA',
      ...(phone === null ? {} : { profile: { phoneNumber: phone } }),
      ...(phone !== null && this.updatePhone ? { updatePhone: true } : {}),
    }
    const at = codeTime(model, real)
    const { r, fresh } = await sending(real, destination, () => send(real, 'enrollFactor', body))
    const otherPhoneWaits = phone !== null && u.factors.some((f) => f.status === 'PENDING_ACTIVATION' && f.key === key && f.destination !== phone)
    // The factor as it will be stored (its id comes with the answer).
    const row: ModelFactor = { id: '', key, secret: null, answer: null, destination, status: 'PENDING_ACTIVATION', lastStep: null }
    let p: Prediction
    let sends: Expected | null = null
    if (!model.live(tx)) p = err(401, 'E0000011')
    else if (tx.status !== 'MFA_ENROLL') p = err(403, 'E0000079')
    else if (policy.notAllowedEnrollments.includes(key)) p = err(400, 'E0000001')
    else if (tx.factors.some((f) => f.status === 'ACTIVE' && f.key === key)) p = err(400, 'E0000001')
    else if (otherPhoneWaits && !this.updatePhone) p = err(400, 'E0000001')
    else if (throttled(model, real, tx, row, at, r)) p = err(429, family.throttledCode)
    else {
      model.touch(tx)
      tx.status = 'MFA_ENROLL_ACTIVATE'
      sends = { f: row, purpose: 'mfa-activation', at }
      p = { kind: 'transaction', status: 'MFA_ENROLL_ACTIVATE', expiresAt: tx.expiresAt, app: tx.app }
    }
    expectAnswer(model, real, this.toString(), p, r)
    coverAnswer(real, `enrollFactor(${key})`, r)
    const code = delivered(this.toString(), real, fresh, sends)
    if (code === null) return
    const id = str(factorOf(r)['id'])
    if (id === undefined) throw new ConformanceError('MFA_ENROLL_ACTIVATE shows the factor', `${this.toString()}: ${JSON.stringify(r.body)}`)
    row.id = id
    expectResendLink(this.toString(), r, row, 'lifecycle')
    // A new enrollment replaces a pending one of the same type.
    u.factors = [...u.factors.filter((f) => !(f.key === key && f.status === 'PENDING_ACTIVATION')), row]
    tx.pending = row
    model.recordCode(tx, row, code, at)
  }
  toString = () => `enrollFactor(tx#${this.txIndex}, sending key#${this.keyIndex}, phone#${this.phoneIndex}${this.updatePhone ? ', updatePhone' : ''})`
}

/** Which code an answer carries. An expired one is the right code after the clock moved. */
type CodeChoice = 'right' | 'wrong' | 'old' | 'foreign'

/** A code that differs from `code` in its last digit. */
const otherThan = (code: string): string => `${code.slice(0, -1)}${(Number(code.slice(-1)) + 1) % 10}`

/** The passCode of a choice: read from the outbox for this transaction, an earlier one, another transaction's, or a wrong one. */
const passCodeFor = (model: Model, tx: ModelTransaction, choice: CodeChoice, length: number): string => {
  const open = model.openCode(tx)
  const wrong = otherThan(open?.code ?? '0'.repeat(length))
  const differs = (c: ModelSentCode) => c.code !== open?.code
  switch (choice) {
    case 'right':
      return open?.code ?? wrong
    case 'wrong':
      return wrong
    case 'old':
      return tx.codes.filter(differs).pop()?.code ?? wrong
    case 'foreign':
      return model.transactions.filter((t) => t !== tx).flatMap((t) => t.codes.filter(differs)).pop()?.code ?? wrong
  }
}

/**
 * An answer with a passCode to a factor that sends codes: `verifyFactor` in MFA_REQUIRED or
 * MFA_CHALLENGE (a wrong code counts toward lockout), `activateFactor` in MFA_ENROLL_ACTIVATE (it
 * does not). Only the open code of this transaction for this factor works, once, before it expires
 * and while it has attempts left.
 */
export class VerifySentCode extends TransactionCommand {
  constructor(
    readonly txIndex: number,
    /** `auto`: the operation of the transaction's state (activation while an enrollment waits). */
    readonly operation: 'auto' | 'verifyFactor' | 'activateFactor',
    readonly choice: CodeChoice,
  ) {
    super()
  }
  protected async step(model: Model, real: Real, tx: ModelTransaction, u: ModelUser, state: string): Promise<void> {
    const op = this.operation !== 'auto' ? this.operation : tx.status === 'MFA_ENROLL_ACTIVATE' ? 'activateFactor' : 'verifyFactor'
    const targetId = tx.challenge ?? model.openCode(tx)?.factorId
    const f = op === 'activateFactor' ? tx.pending : (sendingFactors(u, 'ACTIVE').find((x) => x.id === targetId) ?? sendingFactors(u, 'ACTIVE')[0])
    const family = f === undefined || f === null ? undefined : sendingFamily(f.key)
    if (f === undefined || f === null || family === undefined) return
    cover(real, state, `${op}(${this.choice} code)`)
    const passCode = passCodeFor(model, tx, this.choice, family.codeLength)
    const at = codeTime(model, real)
    const r = await send(real, op, { stateToken: tx.stateToken, factorId: f.id, passCode })
    const { accepted, why } = judge(model, real, tx, f, passCode, at, r)
    const p = predictAnswer(model, op, tx, u, f, accepted)
    expectAnswer(model, real, this.toString(), p, r)
    coverAnswer(real, `${op}(${this.choice} code${why})`, r)
    keepSession(model, u, p, r)
  }
  toString = () => `verifySentCode(tx#${this.txIndex}, ${this.operation}, ${this.choice})`
}

/**
 * Whether the implementation may accept `passCode` for `f` at `at` (only the open code of this
 * transaction for this factor, unexpired, with attempts left, never accepted before), with why a
 * right code was refused (for the coverage count). Checks the invariants on an accepted answer
 * first: they name the fault better than a wrong answer does.
 */
const judge = (model: Model, real: Real, tx: ModelTransaction, f: ModelFactor, passCode: string, at: number, r: WireResponse) => {
  const open = model.openCode(tx)
  const match = model.matchingCode(tx, f.id, passCode)
  const accepted = match !== undefined && (isBefore(real, at, match.expiresAt) ?? r.status === 200)
  const what = `${f.key} ${f.id} ${passCode}`
  if (r.status === 200) {
    const own = tx.codes.filter((c) => c.factorId === f.id && c.code === passCode)
    if (own.length === 0) throw new ConformanceError('no SUCCESS through a sending factor without the code sent in that transaction', what)
    if (open === undefined || !own.includes(open)) throw new ConformanceError('a new code makes the earlier one useless', what)
    if (open.accepted) throw new ConformanceError('a sent code is accepted at most once', what)
  }
  const mine = open !== undefined && open.factorId === f.id && open.code === passCode
  const why = !mine || accepted ? '' : match === undefined ? ', used up' : ', expired'
  return { accepted, why }
}

const predictAnswer = (model: Model, op: 'verifyFactor' | 'activateFactor', tx: ModelTransaction, u: ModelUser, f: ModelFactor, accepted: boolean): Prediction =>
  op === 'verifyFactor' ? predictVerify(model, tx, u, f, accepted, model.openCode(tx)) : predictActivation(model, tx, u, f, accepted, model.openCode(tx))

/**
 * The open code, still valid, sent in parallel requests (verification or activation): one is
 * accepted, the others are refused by the state that one moved to (spec §9: a code is single use;
 * the step's compare-and-set decides the race). At most as many as the account has failures left,
 * so none waits for admission.
 */
export class CodeBurst extends TransactionCommand {
  constructor(
    readonly txIndex: number,
    readonly size: number,
  ) {
    super()
  }
  protected async step(model: Model, real: Real, tx: ModelTransaction, u: ModelUser, state: string): Promise<void> {
    const open = model.openCode(tx)
    const op = tx.status === 'MFA_ENROLL_ACTIVATE' ? 'activateFactor' : 'verifyFactor'
    const f = u.factors.find((x) => x.id === open?.factorId)
    const size = Math.min(this.size, model.policy.maxAttempts - u.failedAttempts)
    const at = codeTime(model, real)
    // Only a code that works: parallel refusals race on the attempt counters instead (another property).
    const works = open !== undefined && model.matchingCode(tx, open.factorId, open.code) !== undefined && isBefore(real, at, open.expiresAt) === true
    if (open === undefined || f === undefined || size < 2 || !works || !model.live(tx)) return
    cover(real, state, `${op}(burst of ${size} with the code)`)
    const req = { stateToken: tx.stateToken, factorId: f.id, passCode: open.code }
    const answers = await Promise.all(Array.from({ length: size }, () => real.driver[op](req)))
    for (const r of answers) record(real, op, req, r)
    const wins = answers.filter((r) => r.status === 200)
    if (wins.length > 1) throw new ConformanceError('a sent code is accepted at most once', `${this.toString()}: ${wins.length} accepted`)
    // The first is accepted; the others meet the state it moved to.
    const predictions = answers.map(() => predictAnswer(model, op, tx, u, f, model.matchingCode(tx, f.id, open.code) !== undefined))
    const expected = predictions.map(predictionKey).sort()
    for (const r of answers) noteExpected(real, r, `in any order, one of: ${expected.join('; ')}`)
    const got = answers.map(answerKey).sort()
    if (JSON.stringify(expected) !== JSON.stringify(got))
      throw new ConformanceError('answers match the spec', `${this.toString()}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(got)}`)
    for (const [i, r] of answers.entries()) {
      coverAnswer(real, `${op}(burst)`, r)
      const p = predictions[i]
      if (p?.kind === 'transaction' && r.status === 200) keepSession(model, u, p, r)
    }
  }
  toString = () => `codeBurst(tx#${this.txIndex}, ${this.size})`
}

/**
 * A user who mistypes: `wrong` wrong codes, then the right one, in one transaction (each answer
 * checked as {@link VerifySentCode} does). With few attempts per code, the right one comes too late.
 */
export class GuessesThenCode extends TransactionCommand {
  constructor(
    readonly txIndex: number,
    readonly wrong: number,
  ) {
    super()
  }
  protected async step(model: Model, real: Real, tx: ModelTransaction): Promise<void> {
    if (model.openCode(tx) === undefined) return
    const index = model.transactions.indexOf(tx)
    for (let i = 0; i < this.wrong; i++) await new VerifySentCode(index, 'auto', 'wrong').run(model, real)
    await new VerifySentCode(index, 'auto', 'right').run(model, real)
  }
  toString = () => `guessesThenCode(tx#${this.txIndex}, ${this.wrong} wrong)`
}

/** A wrong answer uses one attempt of the open code, when it is this factor's. */
const spend = (open: ModelSentCode | undefined, f: ModelFactor) => {
  if (open !== undefined && open.factorId === f.id) open.attemptsLeft = Math.max(0, open.attemptsLeft - 1)
}

/** An accepted code is used up. */
const useUp = (open: ModelSentCode | undefined) => {
  if (open === undefined) return
  open.attemptsLeft = 0
  open.accepted = true
}

/** `verifyFactor` with a passCode for a sending factor (spec §4.10): as a TOTP code is, toward lockout. */
const predictVerify = (model: Model, tx: ModelTransaction, u: ModelUser, f: ModelFactor, accepted: boolean, open: ModelSentCode | undefined): Prediction => {
  if (!model.live(tx)) return err(401, 'E0000011')
  if (tx.status !== 'MFA_REQUIRED' && tx.status !== 'MFA_CHALLENGE') return err(403, 'E0000079')
  if (!u.factors.some((x) => x.id === f.id && x.status === 'ACTIVE')) return err(404, 'E0000007')
  if (tx.status === 'MFA_CHALLENGE' && f.id !== tx.challenge) {
    // Only the challenged factor is answered here; another factor's answer is refused uncounted.
    return err(403, 'E0000079')
  }
  if (!accepted) {
    const locks = model.recordFailure(u)
    if (locks) return err(403, 'E0000069')
    model.touch(tx)
    spend(open, f)
    return err(403, 'E0000068')
  }
  model.touch(tx)
  useUp(open)
  u.failedAttempts = 0
  u.lockedAt = null
  tx.mfaVerified = true
  tx.challenge = null
  return advance(model, tx, u)
}

/** `activateFactor` with the code sent at enrollment (spec §4.7): wrong codes use the code's attempts, not the account's. */
const predictActivation = (model: Model, tx: ModelTransaction, u: ModelUser, f: ModelFactor, accepted: boolean, open: ModelSentCode | undefined): Prediction => {
  const row = u.factors.find((x) => x.id === f.id)
  if (!model.live(tx)) return err(401, 'E0000011')
  if (tx.status !== 'MFA_ENROLL_ACTIVATE') return err(403, 'E0000079')
  if (row === undefined) return err(404, 'E0000007')
  // Only the factor being enrolled activates: after `previous` and another enrollment (WebAuthn or
  // push, which send no code), the code sent for the first is still open but its factor is not pending.
  if (tx.pending?.id !== f.id) return err(403, 'E0000079')
  model.touch(tx)
  if (!accepted) {
    spend(open, f)
    return err(403, 'E0000068')
  }
  useUp(open)
  row.status = 'ACTIVE'
  tx.factors = [...tx.factors.filter((x) => x.id !== row.id), { ...row }]
  tx.pending = null
  tx.enrolledHere = true
  return advance(model, tx, u)
}

/**
 * The sent-code commands, for a driver with an outbox. Time-dependent ones only when the clock is
 * controlled. Weighted toward the flows that reach a code: a correct sign-in, then a send or an
 * enrollment, then answers and resends on the latest transaction.
 */
export const sentCodeArbitraries = (
  /** The indices of the users with a factor that sends codes (else all users). */
  senders: ReadonlyArray<number>,
  controlsClock: boolean,
  concurrent = true,
): Array<fc.Arbitrary<fc.AsyncCommand<Model, Real>>> => {
  const txIndex = fc.oneof(fc.constant(LATEST), fc.nat({ max: 50 }))
  const latest = fc.oneof(fc.constant(LATEST_MFA), fc.constant(LATEST_MFA), fc.constant(LATEST), fc.nat({ max: 50 }))
  const choice = fc.constantFrom<CodeChoice>('right', 'right', 'right', 'wrong', 'old', 'foreign')
  // Only a driver that moves the clock can wait out a throttle.
  const wait = controlsClock ? fc.boolean() : fc.constant(false)
  const times = <A>(n: number, arb: fc.Arbitrary<A>): Array<fc.Arbitrary<A>> => Array.from({ length: n }, () => arb)
  return [
    ...times(2, fc.constantFrom(...(senders.length === 0 ? [0] : senders)).map((u) => new SignIn(u, 'correct', false, false))),
    ...times(3, fc.tuple(latest, fc.nat({ max: 3 }), wait).map(([i, f, w]) => new SendCode(i, f, w))),
    ...times(2, fc.tuple(latest, wait).map(([i, w]) => new ResendCode(i, 'auto', 'current', 0, w))),
    fc
      .tuple(txIndex, fc.constantFrom('resendActivation' as const, 'resendChallenge' as const), fc.constantFrom<ResendTarget>('current', 'other', 'unknown'), fc.nat({ max: 3 }), wait)
      .map(([i, op, t, f, w]) => new ResendCode(i, op, t, f, w)),
    ...times(2, fc.tuple(latest, fc.nat({ max: 5 }), fc.nat({ max: 2 }), fc.boolean()).map(([i, k, ph, up]) => new EnrollSending(i, k, ph, up))),
    // An answer needs a code sent just before it: offered more often so flows reach it.
    ...times(4, fc.tuple(fc.constantFrom(LATEST_MFA, LATEST_MFA, LATEST), choice).map(([i, c]) => new VerifySentCode(i, 'auto', c))),
    fc.tuple(txIndex, fc.constantFrom('verifyFactor' as const, 'activateFactor' as const), choice).map(([i, op, c]) => new VerifySentCode(i, op, c)),
    fc.tuple(fc.constant(LATEST_MFA), fc.integer({ min: 1, max: 3 })).map(([i, n]) => new GuessesThenCode(i, n)),
    ...(concurrent ? [fc.tuple(fc.constant(LATEST_MFA), fc.integer({ min: 2, max: 4 })).map(([i, n]) => new CodeBurst(i, n))] : []),
    // Past a throttle (5 s, 30 s) or a code's lifetime (one minute in one seed).
    ...(controlsClock ? times(2, fc.constantFrom(5_000, 30_000, 60_000, 61_000).map((ms) => new AdvanceClock(ms))) : []),
  ]
}
