/**
 * Commands for recovery transactions (spec §4.12–4.18, §10.3; docs/adr/0012-recovery.md): forgot
 * password and unlock by email, SMS and voice call, the recovery token read from the email, the
 * recovery question, the new password. Generated only when the driver has an outbox
 * (`Driver.readOutbox`), from which codes and recovery links are read back.
 *
 * What they check, besides every answer being the model's: a recovery token works once; no
 * password changes and no account unlocks without the channel proven (and the question answered
 * when the policy asks); a public caller gets the same answer, shape and links for a known and an
 * unknown user, and nothing is sent for the unknown one; a finished, cancelled or expired
 * recovery accepts nothing; an unlock ends the lock through the same credential change as an
 * administrator's (every live transaction of the user ends).
 */
import fc from 'fast-check'
import type { OutboxMessage, WireResponse } from './driver.js'
import { AdvanceClock, ConformanceError, LATEST, codeTime, cover, checking, expectAnswer, isObject, noteExpected, record, send, str, unmasked, type Real } from './commands.js'
import { sendingFamily, type Model, type ModelRecovery, type ModelUser, type RecoveryType } from './model.js'

type Channel = 'EMAIL' | 'SMS' | 'CALL'

/** The factor key whose enrolled phone a channel's codes go to. */
const KEY_OF = { SMS: 'sms/OKTA', CALL: 'call/OKTA' } as const

type ErrorPrediction = { readonly kind: 'error'; readonly status: number; readonly errorCode: string }
const err = (status: number, errorCode: string): ErrorPrediction => ({ kind: 'error', status, errorCode })

/** What the model predicts for a recovery request. */
type RecoveryPrediction =
  | ErrorPrediction
  | {
      readonly kind: 'recovery'
      readonly status: 'RECOVERY_CHALLENGE' | 'RECOVERY' | 'PASSWORD_RESET' | 'SUCCESS'
      readonly recoveryType: RecoveryType
      readonly stateToken: boolean
      readonly expiresAt: number | null
      /** RECOVERY: the question shown. */
      readonly question?: string
      /** RECOVERY_CHALLENGE: the channel named. */
      readonly channel?: 'SMS' | 'CALL'
    }
  | { readonly kind: 'emailChallenge'; readonly recoveryType: RecoveryType; readonly relayState: string | null }
  | { readonly kind: 'cancelled' }

/** A recovery prediction as a reader sees it. */
const describeRecovery = (p: Exclude<RecoveryPrediction, { readonly kind: 'error' }>): string => {
  if (p.kind === 'cancelled') return '200 (the transaction cancelled)'
  if (p.kind === 'emailChallenge') return `200 status RECOVERY_CHALLENGE, factorType EMAIL, recoveryType ${p.recoveryType}, no stateToken`
  const parts = [
    `200 status ${p.status}`,
    `recoveryType ${p.recoveryType}`,
    p.stateToken ? 'a stateToken' : 'no stateToken',
    ...(p.channel === undefined ? [] : [`factorType ${p.channel}`]),
    ...(p.question === undefined ? [] : [`question ${JSON.stringify(p.question)}`]),
    ...(p.expiresAt === null ? [] : [`expiresAt ${new Date(p.expiresAt).toISOString()}`]),
  ]
  return parts.join(', ')
}

const describeRecovery401 = '401 E0000011'

const fail = (invariant: string, what: string, r: WireResponse): never => {
  throw new ConformanceError(invariant, `${what}: ${JSON.stringify({ status: r.status, body: r.body })}`, r)
}

/** Compares a recovery answer with the model's prediction. */
const expectRecovery = (model: Model, real: Real, what: string, p: RecoveryPrediction, r: WireResponse): void => {
  if (p.kind === 'error') return expectAnswer(model, real, what, p, r)
  noteExpected(real, r, describeRecovery(p))
  checking(r, () => recoveryAnswerIs(model, real, what, p, r))
}

const recoveryAnswerIs = (model: Model, real: Real, what: string, p: Exclude<RecoveryPrediction, { readonly kind: 'error' }>, r: WireResponse): void => {
  const got = JSON.stringify({ status: r.status, body: r.body })
  const shown = unmasked(model, got)
  if (shown.length > 0) throw new ConformanceError('responses mask phone numbers and email addresses', `${what}: ${shown.join(', ')} in ${got}`)
  if (r.status !== 200) fail('answers match the spec', `${what}: expected 200`, r)
  const body = isObject(r.body) ? r.body : {}
  if (p.kind === 'cancelled') return
  if (p.kind === 'emailChallenge') {
    const expected = { status: 'RECOVERY_CHALLENGE', ...(p.relayState === null ? {} : { relayState: p.relayState }), factorResult: 'WAITING', factorType: 'EMAIL', recoveryType: p.recoveryType }
    const keys = (o: object) => JSON.stringify(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)))
    if (keys(body) !== keys(expected)) fail('a recovery by email answers the same bare challenge for everyone (spec §4.12)', `${what}: expected ${JSON.stringify(expected)}`, r)
    return
  }
  if (body['status'] !== p.status) fail('answers match the spec', `${what}: expected status ${p.status}`, r)
  const hasState = typeof body['stateToken'] === 'string'
  if (hasState !== p.stateToken) fail(p.stateToken ? 'live recovery transactions carry a state token' : 'finished recoveries hand out no state token', what, r)
  if ('recoveryType' in body && body['recoveryType'] !== p.recoveryType) fail('answers match the spec', `${what}: expected recoveryType ${p.recoveryType}`, r)
  if (p.status === 'SUCCESS') {
    if (p.recoveryType === 'UNLOCK' && (body['recoveryType'] !== 'UNLOCK' || 'sessionToken' in body)) fail('an unlock ends in SUCCESS UNLOCK without a session token', what, r)
    if (p.recoveryType === 'PASSWORD' && typeof body['sessionToken'] !== 'string') fail('a password recovery ends in SUCCESS with a session token', what, r)
  }
  if (p.status === 'RECOVERY_CHALLENGE') {
    if ('_embedded' in body) fail('nothing about the user before the channel is proven (spec §4.12)', what, r)
    if (str(body['factorType'])?.toUpperCase() !== p.channel) fail('answers match the spec', `${what}: expected factorType ${p.channel ?? ''}`, r)
  }
  if (p.question !== undefined) {
    const user = isObject(body['_embedded']) && isObject(body['_embedded']['user']) ? body['_embedded']['user'] : {}
    const q = isObject(user['recovery_question']) ? user['recovery_question']['question'] : undefined
    if (q !== p.question) fail('RECOVERY shows the recovery question (spec §4.14)', `${what}: expected ${JSON.stringify(p.question)}`, r)
  }
  if (real.controlsClock && p.expiresAt !== null && body['expiresAt'] !== new Date(p.expiresAt).toISOString())
    fail('sliding expiry', `${what}: expected expiresAt ${new Date(p.expiresAt).toISOString()}`, r)
}

const readOutbox = async (real: Real, to: string): Promise<ReadonlyArray<OutboxMessage>> => {
  const messages = await real.driver.readOutbox?.(to)
  if (messages === null || messages === undefined) throw new ConformanceError('the outbox stays readable', `no outbox listing for ${to}`)
  return messages
}

const same = (a: OutboxMessage, b: OutboxMessage | undefined): boolean => b !== undefined && JSON.stringify(a) === JSON.stringify(b)

/**
 * Sends a request that may send a message to `to` (recovery messages may be sent after the answer,
 * spec §4.12: "sent asynchronously"): the answer, and the messages to `to` that arrived meanwhile,
 * newest first, waiting briefly for `expected` of them.
 */
const sending = async (real: Real, to: string, expected: number, request: () => Promise<WireResponse>) => {
  const before = (await readOutbox(real, to))[0]
  const r = await request()
  let fresh: ReadonlyArray<OutboxMessage> = []
  for (let i = 0; i < 50; i++) {
    await new Promise((resolve) => setTimeout(resolve, i === 0 ? 0 : 20))
    const after = await readOutbox(real, to)
    const seen = before === undefined ? -1 : after.findIndex((m) => same(m, before))
    fresh = seen < 0 ? after : after.slice(0, seen)
    if (fresh.length >= expected) break
  }
  return { r, fresh }
}

/** Exactly `expected` new messages of `purpose` (0 or 1), or the invariant `why` is broken. */
const expectMessages = (what: string, fresh: ReadonlyArray<OutboxMessage>, expected: 0 | 1, purpose: string, why: string): OutboxMessage | null => {
  if (fresh.length !== expected || (expected === 1 && fresh[0]?.purpose !== purpose))
    throw new ConformanceError(why, `${what}: expected ${expected} ${purpose} message(s), got ${JSON.stringify(fresh)}`)
  return fresh[0] ?? null
}

/** The recovery token of a recovery email: the last path segment (or `token` parameter) of the first link it carries. */
const tokenOf = (what: string, m: OutboxMessage): string => {
  const href = /https?:\/\/\S+/.exec(m.text)?.[0]
  if (href === undefined) throw new ConformanceError('a recovery email carries a link with the recovery token', `${what}: ${JSON.stringify(m.text)}`)
  const url = new URL(href)
  const token = url.searchParams.get('token') ?? decodeURIComponent(url.pathname.split('/').filter((s) => s !== '').pop() ?? '')
  if (token === '') throw new ConformanceError('a recovery email carries a link with the recovery token', `${what}: ${href}`)
  return token
}

/** The code a recovery SMS or call carries (its first digits: a call repeats the code). */
const codeOf = (what: string, m: OutboxMessage, key: string): string => {
  const length = sendingFamily(key)?.codeLength ?? 6
  const digits = m.text.replace(/\D/g, '')
  if (digits.length < length) throw new ConformanceError('a sent code has the family’s length', `${what}: ${JSON.stringify(m.text)}`)
  return digits.slice(0, length)
}

/** The user's enrolled, active phone for a channel. */
const phoneOf = (u: ModelUser, channel: 'SMS' | 'CALL') => u.factors.find((f) => f.key === KEY_OF[channel] && f.status === 'ACTIVE' && f.id !== '' && f.destination !== null)

/** The recovery a command refers to: the newest for `LATEST`, else any by index. */
const pickRecovery = (model: Model, index: number): ModelRecovery | undefined =>
  index === LATEST ? model.recoveries[model.recoveries.length - 1] : model.recoveries[index % Math.max(1, model.recoveries.length)]

const stateName = (model: Model, r: ModelRecovery | undefined): string =>
  r === undefined ? 'R:NONE' : model.liveRecovery(r) ? `R:${r.status}${r.login === null ? '(decoy)' : ''}` : 'R:DEAD'

/** The touched expiry a live recovery's answer shows. */
const touched = (model: Model, r: ModelRecovery): number => {
  model.touchRecovery(r)
  return r.expiresAt
}

// -------------------------------------------------------------------------------------------------

/**
 * The answer once the channel is proven (`next` from `Model.afterProof`): the question to answer,
 * the new password to choose, or a finished unlock (null) without a state token.
 */
const afterProofAnswer = (u: ModelUser, recoveryType: RecoveryType, next: 'RECOVERY' | 'PASSWORD_RESET' | null, expiresAt: number): RecoveryPrediction => ({
  kind: 'recovery',
  status: next ?? 'SUCCESS',
  recoveryType,
  stateToken: next !== null,
  expiresAt,
  ...(next === 'RECOVERY' && u.recoveryQuestion !== null ? { question: u.recoveryQuestion.question } : {}),
})

/** A code that arrived for `phone` at `at` becomes the recovery's open one, with the policy's bounds. */
const recordCode = (model: Model, rec: ModelRecovery, phone: { readonly id: string; readonly key: string }, m: OutboxMessage, at: number, what: string): void => {
  rec.codes.push({ factorId: phone.id, key: phone.key, code: codeOf(what, m, phone.key), sentAt: at, expiresAt: at + model.policy.sentCodeLifetimeMs, attemptsLeft: model.policy.sentCodeMaxAttempts, accepted: false })
}

/**
 * A command on one of the model's recovery transactions (picked by `index`) and its user (none
 * for a decoy): `step` runs with both, after the coverage count of `label()` in its state.
 */
abstract class RecoveryCommand implements fc.AsyncCommand<Model, Real> {
  abstract readonly index: number
  check = (model: Readonly<Model>) => model.recoveries.length > 0
  async run(model: Model, real: Real): Promise<void> {
    const rec = pickRecovery(model, this.index)
    if (rec === undefined) return
    cover(real, stateName(model, rec), this.label())
    await this.step(model, real, rec, rec.login === null ? undefined : model.user(rec.login))
  }
  protected abstract label(): string
  protected abstract step(model: Model, real: Real, rec: ModelRecovery, u: ModelUser | undefined): Promise<void>
  abstract toString(): string
}

/** `POST /api/v1/authn/recovery/password` or `/recovery/unlock` by a public caller (spec §4.12, §4.13). */
export class StartRecovery implements fc.AsyncCommand<Model, Real> {
  constructor(
    /** A seeded user, or null for a login no seed has. */
    readonly userIndex: number | null,
    readonly kind: RecoveryType,
    readonly channel: Channel,
    /** How the client spells the factor type (`sms`, `SMS`, `Sms`): any case is accepted. */
    readonly spelling: 'upper' | 'lower' | 'mixed',
    readonly relayState: string | null,
    /** Pick among the users this recovery would really reach (so flows go deep), when there are any. */
    readonly fit = false,
  ) {}
  check = () => true
  async run(model: Model, real: Real): Promise<void> {
    const reachable = model.users.filter((x) => model.mayRecover(x, this.kind) && (this.channel === 'EMAIL' || phoneOf(x, this.channel) !== undefined))
    const from = this.fit && reachable.length > 0 ? reachable : model.users
    const u = this.userIndex === null ? undefined : from[this.userIndex % from.length]
    const login = u?.login ?? `nobody.${model.recoveries.length}.${model.recoveryTokens.length}@example.com`
    const op = this.kind === 'PASSWORD' ? 'forgotPassword' : 'unlockAccount'
    cover(real, 'NEW', `${op}(${this.channel}${u === undefined ? ', unknown user' : ''})`)
    const factorType = this.spelling === 'upper' ? this.channel : this.spelling === 'lower' ? this.channel.toLowerCase() : this.channel[0] + this.channel.slice(1).toLowerCase()
    const request = { username: login, factorType, ...(this.relayState === null ? {} : { relayState: this.relayState }) }
    const on = this.channel === 'EMAIL' ? model.policy.recovery.email : this.channel === 'SMS' ? model.policy.recovery.sms : model.policy.recovery.call
    const allowed = u !== undefined && model.mayRecover(u, this.kind)
    if (this.channel === 'EMAIL') {
      const to = u?.email ?? login
      const real_ = on && allowed
      const { r, fresh } = await sending(real, to, real_ ? 1 : 0, () => send(real, op, request))
      if (!on) return expectRecovery(model, real, this.toString(), err(400, 'E0000001'), r)
      expectRecovery(model, real, this.toString(), { kind: 'emailChallenge', recoveryType: this.kind, relayState: this.relayState }, r)
      const m = expectMessages(this.toString(), fresh, real_ ? 1 : 0, 'recovery-link', 'a recovery link goes to a user who may recover, and to no one else')
      if (m !== null && u !== undefined)
        model.recoveryTokens.push({ token: tokenOf(this.toString(), m), login: u.login, recoveryType: this.kind, expiresAt: model.now + model.policy.recovery.tokenLifetimeMs, used: false })
      return
    }
    const phone = u === undefined ? undefined : phoneOf(u, this.channel)
    const realUser = on && allowed && phone !== undefined ? u : undefined
    const at = codeTime(model, real)
    const { r, fresh } = await sending(real, phone?.destination ?? login, realUser !== undefined ? 1 : 0, () => send(real, op, request))
    if (!on) return expectRecovery(model, real, this.toString(), err(400, 'E0000001'), r)
    const expiresAt = model.now + Math.min(model.options.stateTokenLifetimeMs, model.options.stateTokenMaxLifetimeMs)
    expectRecovery(model, real, this.toString(), { kind: 'recovery', status: 'RECOVERY_CHALLENGE', recoveryType: this.kind, stateToken: true, expiresAt, channel: this.channel }, r)
    const m = expectMessages(this.toString(), fresh, realUser !== undefined ? 1 : 0, 'recovery-code', 'a recovery code goes to the enrolled phone of a user who may recover, and to no one else')
    const stateToken = isObject(r.body) ? (str(r.body['stateToken']) ?? '') : ''
    const rec = model.openRecovery(stateToken, realUser ?? null, this.kind, this.channel, 'RECOVERY_CHALLENGE')
    rec.lastSentAt = at
    if (m !== null && phone !== undefined) recordCode(model, rec, phone, m, at, this.toString())
  }
  toString = () =>
    `startRecovery(${this.userIndex === null ? 'unknown user' : `${this.fit ? 'reachable ' : ''}user#${this.userIndex}`}, ${this.kind}, ${this.channel}/${this.spelling}${this.relayState === null ? '' : ', relayState'})`
}

/** `POST /api/v1/authn/recovery/factors/{sms|call}/verify` (spec §4.14). */
export class VerifyRecoveryCode extends RecoveryCommand {
  constructor(
    readonly index: number,
    readonly choice: 'right' | 'wrong' | 'old',
    /** The path names the transaction's channel, or the other one. */
    readonly segment: 'own' | 'other',
  ) {
    super()
  }
  protected label = () => `verifyRecoveryFactor(${this.choice}${this.segment === 'other' ? ', other channel' : ''})`
  protected async step(model: Model, real: Real, rec: ModelRecovery, u: ModelUser | undefined): Promise<void> {
    const own = rec.channel ?? 'SMS'
    const segment = this.segment === 'own' ? own : own === 'SMS' ? 'CALL' : 'SMS'
    const open = rec.codes[rec.codes.length - 1]
    const passCode = this.choice === 'right' ? (open?.code ?? '000000') : this.choice === 'old' ? (rec.codes[rec.codes.length - 2]?.code ?? '999999') : '000001'
    let p: RecoveryPrediction
    if (!model.liveRecovery(rec)) p = err(401, 'E0000011')
    else if (rec.status !== 'RECOVERY_CHALLENGE' || segment !== rec.channel) p = err(403, 'E0000079')
    else {
      const expiresAt = touched(model, rec)
      const accepted = u !== undefined && open !== undefined && open.code === passCode && open.attemptsLeft > 0 && codeTime(model, real) < open.expiresAt
      if (!accepted) {
        if (open !== undefined) open.attemptsLeft = Math.max(0, open.attemptsLeft - 1)
        p = err(403, 'E0000068')
      } else {
        open.attemptsLeft = 0
        open.accepted = true
        const next = model.afterProof(u, rec.recoveryType)
        if (next === null) rec.dead = true
        else rec.status = next
        p = afterProofAnswer(u, rec.recoveryType, next, expiresAt)
      }
    }
    const r = await send(real, 'verifyRecoveryFactor', { stateToken: rec.stateToken, factorType: segment.toLowerCase(), passCode })
    expectRecovery(model, real, this.toString(), p, r)
    if (p.kind === 'recovery' && u === undefined) throw new ConformanceError('an unknown user proves nothing', this.toString())
  }
  toString = () => `verifyRecoveryCode(rec#${this.index}, ${this.choice}, ${this.segment})`
}

/** `POST /api/v1/authn/recovery/factors/{sms|call}/resend` (spec §4.15): a new code, after the channel's throttle. */
export class ResendRecoveryCode extends RecoveryCommand {
  constructor(
    readonly index: number,
    readonly segment: 'own' | 'other',
    /** Wait out the throttle first (only where the clock is controlled). */
    readonly wait: boolean,
  ) {
    super()
  }
  protected label = () => `resendRecoveryChallenge(${this.segment})`
  protected async step(model: Model, real: Real, rec: ModelRecovery, u: ModelUser | undefined): Promise<void> {
    const own = rec.channel ?? 'SMS'
    const segment = this.segment === 'own' ? own : own === 'SMS' ? 'CALL' : 'SMS'
    const family = sendingFamily(KEY_OF[own])
    const until = rec.lastSentAt + (family?.resendAfterMs ?? 30_000)
    if (this.wait && until > model.now && real.driver.advanceClock(until - model.now)) model.now = until
    const phone = u === undefined ? undefined : phoneOf(u, own)
    const at = codeTime(model, real)
    let p: RecoveryPrediction
    let sends = false
    if (!model.liveRecovery(rec)) p = err(401, 'E0000011')
    else if (rec.status !== 'RECOVERY_CHALLENGE' || segment !== rec.channel) p = err(403, 'E0000079')
    else if (at < until && (real.controlsClock || until - at > 2_000)) p = err(429, family?.throttledCode ?? 'E0000109')
    else {
      if (!real.controlsClock && at < until) return // too close to the throttle's end to predict over a real clock
      const expiresAt = touched(model, rec)
      rec.lastSentAt = at
      sends = phone !== undefined
      p = { kind: 'recovery', status: 'RECOVERY_CHALLENGE', recoveryType: rec.recoveryType, stateToken: true, expiresAt, channel: own }
    }
    const { r, fresh } = await sending(real, phone?.destination ?? 'nobody@example.invalid', sends ? 1 : 0, () =>
      send(real, 'resendRecoveryChallenge', { stateToken: rec.stateToken, factorType: segment.toLowerCase() }),
    )
    expectRecovery(model, real, this.toString(), p, r)
    const m = expectMessages(this.toString(), fresh, sends ? 1 : 0, 'recovery-code', 'a resend sends one new code to a real user’s phone; a refused one sends nothing')
    if (m !== null && phone !== undefined) recordCode(model, rec, phone, m, at, this.toString())
  }
  toString = () => `resendRecoveryCode(rec#${this.index}, ${this.segment}${this.wait ? ', after the throttle' : ''})`
}

/** `POST /api/v1/authn/recovery/answer` (spec §4.17). */
export class AnswerRecoveryQuestion extends RecoveryCommand {
  constructor(
    readonly index: number,
    readonly right: boolean,
  ) {
    super()
  }
  protected label = () => `answerRecoveryQuestion(${this.right ? 'right' : 'wrong'})`
  protected async step(model: Model, real: Real, rec: ModelRecovery, u: ModelUser | undefined): Promise<void> {
    const answer = this.right ? (u?.recoveryQuestion?.answer ?? 'no answer') : 'Certainly not the answer'
    let p: RecoveryPrediction
    if (!model.liveRecovery(rec)) p = err(401, 'E0000011')
    else if (rec.status !== 'RECOVERY' || u === undefined) p = err(403, 'E0000079')
    else if (!this.right) {
      // The last wrong answer the policy allows ends the transaction.
      if (rec.wrongAnswers + 1 >= model.policy.recovery.maxAnswerAttempts) rec.dead = true
      else {
        model.touchRecovery(rec)
        rec.wrongAnswers += 1
      }
      p = err(403, 'E0000087')
    } else {
      const expiresAt = touched(model, rec)
      if (rec.recoveryType === 'UNLOCK') {
        model.unlock(u)
        rec.dead = true
        p = { kind: 'recovery', status: 'SUCCESS', recoveryType: 'UNLOCK', stateToken: false, expiresAt }
      } else {
        rec.status = 'PASSWORD_RESET'
        p = { kind: 'recovery', status: 'PASSWORD_RESET', recoveryType: 'PASSWORD', stateToken: true, expiresAt }
      }
    }
    const r = await send(real, 'answerRecoveryQuestion', { stateToken: rec.stateToken, answer })
    expectRecovery(model, real, this.toString(), p, r)
  }
  toString = () => `answerRecoveryQuestion(rec#${this.index}, ${this.right ? 'right' : 'wrong'})`
}

type NewPassword = 'fresh' | 'weak' | 'current' | 'previous'

/** `POST /api/v1/authn/credentials/reset_password` in a recovery's PASSWORD_RESET (spec §4.18). */
export class ResetRecoveredPassword extends RecoveryCommand {
  constructor(
    readonly index: number,
    readonly choice: NewPassword,
  ) {
    super()
  }
  protected label = () => `resetPassword(${this.choice})`
  protected async step(model: Model, real: Real, rec: ModelRecovery, u: ModelUser | undefined): Promise<void> {
    const newPassword =
      this.choice === 'fresh' ? model.freshPassword() : this.choice === 'weak' ? 'ab' : this.choice === 'current' ? (u?.password ?? 'ab') : (u?.history[0] ?? model.freshPassword())
    let p: RecoveryPrediction
    if (!model.liveRecovery(rec)) p = err(401, 'E0000011')
    else if (rec.status !== 'PASSWORD_RESET' || u === undefined) p = err(403, 'E0000079')
    else {
      model.touchRecovery(rec)
      const tooSoon = model.policy.minAgeMinutes > 0 && u.passwordChangedAt !== null && model.now < u.passwordChangedAt + model.policy.minAgeMinutes * 60_000
      if (tooSoon || !model.meetsComplexity(newPassword, u) || model.reuses(newPassword, u)) p = err(403, 'E0000080')
      else {
        // The new password (a credential change) also ends any lock, in the same write.
        model.setPassword(u, newPassword)
        u.lockedAt = null
        u.failedAttempts = 0
        rec.dead = true
        p = { kind: 'recovery', status: 'SUCCESS', recoveryType: 'PASSWORD', stateToken: false, expiresAt: model.now + model.options.sessionTokenLifetimeMs }
      }
    }
    const r = await send(real, 'resetPassword', { stateToken: rec.stateToken, newPassword })
    expectRecovery(model, real, this.toString(), p, r)
    if (p.kind === 'recovery' && u !== undefined && isObject(r.body)) model.issueSession(u, str(r.body['sessionToken']) ?? '')
  }
  toString = () => `resetRecoveredPassword(rec#${this.index}, ${this.choice})`
}

/**
 * `POST /api/v1/authn/recovery/token` (spec §4.16): a token read from a recovery email, or one
 * never issued. With `racers` > 1, that many redemptions of the same token at once: one wins.
 */
export class RedeemRecoveryToken implements fc.AsyncCommand<Model, Real> {
  constructor(
    /** A token the model holds (`LATEST`: the newest, else by index), or null for one never issued. */
    readonly index: number | null,
    readonly racers: number,
  ) {}
  check = () => true
  async run(model: Model, real: Real): Promise<void> {
    const tokens = model.recoveryTokens
    const held = this.index === null ? undefined : this.index === LATEST ? tokens[tokens.length - 1] : tokens[this.index % Math.max(1, tokens.length)]
    const token = held?.token ?? 'VBQ0gwBp5LyJJFdbmWCM'
    const u = held === undefined ? undefined : model.user(held.login)
    const redeemable = held !== undefined && !held.used && model.now < held.expiresAt
    cover(real, held === undefined ? 'TOKEN:UNKNOWN' : redeemable ? 'TOKEN:LIVE' : 'TOKEN:SPENT', `verifyRecoveryToken(${this.racers > 1 ? `${this.racers} at once` : 'once'})`)
    if (redeemable) held.used = true
    let p: RecoveryPrediction = err(401, 'E0000011')
    let next: ModelRecovery['status'] | null = null
    if (redeemable && u !== undefined && model.mayRecover(u, held.recoveryType)) {
      next = model.afterProof(u, held.recoveryType)
      const expiresAt = model.now + Math.min(model.options.stateTokenLifetimeMs, model.options.stateTokenMaxLifetimeMs)
      p = afterProofAnswer(u, held.recoveryType, next, expiresAt)
    }
    const answers = await Promise.all(Array.from({ length: this.racers }, () => real.driver.verifyRecoveryToken({ recoveryToken: token })))
    const each = p.kind === 'recovery' ? `exactly one of the ${this.racers}: ${describeRecovery(p)}; the others 401 E0000011` : describeRecovery401
    for (const response of answers) {
      record(real, 'verifyRecoveryToken', { recoveryToken: token }, response)
      noteExpected(real, response, this.racers > 1 ? each : p.kind === 'recovery' ? describeRecovery(p) : describeRecovery401)
    }
    const winners = answers.filter((a) => a.status === 200)
    if (p.kind === 'recovery' ? winners.length !== 1 : winners.length !== 0)
      throw new ConformanceError('a recovery token works once (of parallel redemptions, one wins)', `${this.toString()}: ${answers.map((a) => a.status).join(', ')}`)
    for (const a of answers) expectRecovery(model, real, this.toString(), a.status === 200 ? p : err(401, 'E0000011'), a)
    const win = winners[0]
    if (win !== undefined && next !== null && u !== undefined && held !== undefined) {
      const stateToken = isObject(win.body) ? (str(win.body['stateToken']) ?? '') : ''
      model.openRecovery(stateToken, u, held.recoveryType, null, next)
    }
  }
  toString = () => `redeemRecoveryToken(${this.index === null ? 'never issued' : `token#${this.index}`}${this.racers > 1 ? `, ${this.racers} at once` : ''})`
}

/** Get-state, cancel and an authentication-only operation (`skip`) on a recovery transaction. */
export class OnRecovery extends RecoveryCommand {
  constructor(
    readonly index: number,
    readonly operation: 'getState' | 'cancel' | 'skip',
  ) {
    super()
  }
  protected label = () => this.operation
  protected async step(model: Model, real: Real, rec: ModelRecovery, u: ModelUser | undefined): Promise<void> {
    let p: RecoveryPrediction
    if (!model.liveRecovery(rec)) p = err(401, 'E0000011')
    else if (this.operation === 'cancel') {
      rec.dead = true
      p = { kind: 'cancelled' }
    } else if (this.operation === 'skip') p = err(403, 'E0000079')
    else {
      p = {
        kind: 'recovery',
        status: rec.status,
        recoveryType: rec.recoveryType,
        stateToken: true,
        expiresAt: touched(model, rec),
        ...(rec.status === 'RECOVERY_CHALLENGE' ? { channel: rec.channel ?? 'SMS' } : {}),
        ...(rec.status === 'RECOVERY' && u?.recoveryQuestion !== null && u?.recoveryQuestion !== undefined ? { question: u.recoveryQuestion.question } : {}),
      }
    }
    const r = await send(real, this.operation === 'getState' ? 'authenticate' : this.operation, { stateToken: rec.stateToken })
    expectRecovery(model, real, this.toString(), p, r)
  }
  toString = () => `${this.operation}(rec#${this.index})`
}

/**
 * The recovery commands, for a driver with an outbox: weighted toward flows that go deep (a start,
 * then the code, the question, the new password on the newest recovery).
 */
export const recoveryArbitraries = (userCount: number, controlsClock: boolean, concurrent = true): Array<fc.Arbitrary<fc.AsyncCommand<Model, Real>>> => {
  const user = fc.option(fc.nat({ max: Math.max(0, userCount - 1) }), { nil: null, freq: 5 })
  const index = fc.oneof(fc.constant(LATEST), fc.constant(LATEST), fc.nat({ max: 20 }))
  const kind = fc.constantFrom<RecoveryType>('PASSWORD', 'PASSWORD', 'UNLOCK')
  const channel = fc.constantFrom<Channel>('EMAIL', 'SMS', 'SMS', 'CALL')
  const spelling = fc.constantFrom('upper' as const, 'lower' as const, 'mixed' as const)
  const times = <A>(n: number, arb: fc.Arbitrary<A>): Array<fc.Arbitrary<A>> => Array.from({ length: n }, () => arb)
  const wait = controlsClock ? fc.boolean() : fc.constant(false)
  return [
    ...times(3, fc.tuple(user, kind, channel, spelling, fc.option(fc.constant('/after-recovery'), { nil: null }), fc.boolean()).map(([u, k, c, s, rs, fit]) => new StartRecovery(u, k, c, s, rs, fit))),
    ...times(2, fc.tuple(index, fc.constantFrom<'right' | 'wrong' | 'old'>('right', 'right', 'wrong', 'old'), fc.constantFrom<'own' | 'other'>('own', 'own', 'own', 'other')).map(([i, c, s]) => new VerifyRecoveryCode(i, c, s))),
    fc.tuple(index, fc.constantFrom<'own' | 'other'>('own', 'own', 'other'), wait).map(([i, s, w]) => new ResendRecoveryCode(i, s, w)),
    ...times(2, fc.tuple(index, fc.boolean()).map(([i, right]) => new AnswerRecoveryQuestion(i, right))),
    ...times(2, fc.tuple(index, fc.constantFrom<NewPassword>('fresh', 'fresh', 'weak', 'current', 'previous')).map(([i, c]) => new ResetRecoveredPassword(i, c))),
    ...times(2, fc.tuple(fc.option(index, { nil: null, freq: 6 }), concurrent ? fc.constantFrom(1, 1, 1, 4) : fc.constant(1)).map(([i, n]) => new RedeemRecoveryToken(i, n))),
    fc.tuple(index, fc.constantFrom('getState' as const, 'cancel' as const, 'skip' as const)).map(([i, op]) => new OnRecovery(i, op)),
    ...(controlsClock ? [fc.constantFrom(30_000, 61 * 60_000).map((ms) => new AdvanceClock(ms))] : []),
  ]
}
