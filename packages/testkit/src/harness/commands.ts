import fc from 'fast-check'
import type { Driver, LifecycleOp, PushDriverOperation, WireResponse } from './driver.js'
import { createGuardrails, generate, ScureBase32Plugin } from 'otplib'
import { err, sendingFamily, type Model, type ModelApp, type ModelFactor, type ModelStatus, type ModelTransaction, type ModelUser, type Prediction } from './model.js'

/**
 * One request and its answer, kept so a failure can show the shrunk sequence on the wire: the
 * command that sent it and, once the answer was checked, what the model expected.
 */
export interface Exchange {
  readonly command: string
  readonly operation: string
  readonly request: unknown
  readonly response: WireResponse
  /** The model's expectation (`401 E0000004`, `200 MFA_REQUIRED, expiresAt …`), once checked. */
  expected?: string
}

/** The system under test as the commands see it. */
export interface Real {
  readonly driver: Driver
  readonly exchanges: Exchange[]
  /** `(state before, operation)` pairs seen, for coverage. */
  readonly coverage: Map<string, number>
  readonly controlsClock: boolean
  /** The command running now (set by the harness before each command), named in its exchanges. */
  command: string
}

/** A broken invariant or a wrong answer. The message names the invariant. */
export class ConformanceError extends Error {
  constructor(
    readonly invariant: string,
    detail: string,
    /** The answer whose check failed, when one answer did: the counterexample's divergence. */
    public response?: WireResponse,
  ) {
    super(`${invariant}: ${detail}`)
  }
}

/** Runs the checks of the answer `r`; a failure among them names `r` as the divergence. */
export const checking = (r: WireResponse, checks: () => void): void => {
  try {
    checks()
  } catch (e) {
    if (e instanceof ConformanceError && e.response === undefined) e.response = r
    throw e
  }
}

export const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x)
export const str = (x: unknown): string | undefined => (typeof x === 'string' ? x : undefined)

export const cover = (real: Real, state: string, operation: string) =>
  real.coverage.set(`${state} × ${operation}`, (real.coverage.get(`${state} × ${operation}`) ?? 0) + 1)

type Operation = keyof Omit<Driver, 'advanceClock' | 'lifecycle' | 'readOutbox' | 'openStepUp' | 'stepUpRedirect' | PushDriverOperation>

/** Keeps an exchange of the running command. */
export const record = (real: Real, operation: string, request: unknown, response: WireResponse): void => {
  real.exchanges.push({ command: real.command, operation, request, response })
}

/** Notes what the model expected of the answer `r` (the exchange that carried it). */
export const noteExpected = (real: Real, r: WireResponse, expected: string): void => {
  for (let i = real.exchanges.length - 1; i >= 0; i--) {
    const e = real.exchanges[i]
    if (e !== undefined && e.response === r) {
      e.expected = expected
      return
    }
  }
}

/** A prediction as a reader sees it: `401 E0000004`, `200 MFA_REQUIRED (expiresAt …)`. */
export const describePrediction = (p: Prediction): string => {
  if (p.kind === 'error') return `${p.status} ${p.errorCode}`
  if (p.kind === 'cancelled') return '200 (the transaction cancelled)'
  if (p.kind === 'session') return '200 (the session token redeemed)'
  const stepUp = p.app !== undefined && p.app !== null
  const token =
    p.status === 'SUCCESS'
      ? stepUp
        ? ' typed SESSION_STEP_UP, no sessionToken, the `original` link and its one-time token as stateToken'
        : ', a sessionToken and no stateToken'
      : p.status === 'LOCKED_OUT'
        ? ', no stateToken'
        : `${stepUp ? ' typed SESSION_STEP_UP' : ''}, a stateToken`
  return `200 status ${p.status}${token}${p.expiresAt === null ? '' : `, expiresAt ${new Date(p.expiresAt).toISOString()}`}`
}

export const send = async (real: Real, operation: Operation, request: unknown): Promise<WireResponse> => {
  const response = await real.driver[operation](request)
  record(real, operation, request, response)
  if (response.status >= 500) throw new ConformanceError('never a 5xx for client input', `${operation} answered ${response.status}`)
  return response
}

/** The phone numbers and email addresses of the model's factors that `text` shows unmasked. */
export const unmasked = (model: Model, text: string): ReadonlyArray<string> => {
  const folded = text.toLowerCase()
  return model.destinations().filter((d) => folded.includes(d.toLowerCase()) || (d.startsWith('+') && text.includes(d.slice(1))))
}

/** Compares an answer with the model's prediction; throws a ConformanceError on any difference. */
export const expectAnswer = (model: Model, real: Real, what: string, p: Prediction, r: WireResponse): void => {
  noteExpected(real, r, describePrediction(p))
  checking(r, () => answerIs(model, real, what, p, r))
}

const answerIs = (model: Model, real: Real, what: string, p: Prediction, r: WireResponse): void => {
  const body = isObject(r.body) ? r.body : {}
  const got = JSON.stringify({ status: r.status, body: r.body })
  const shown = unmasked(model, got)
  if (shown.length > 0) throw new ConformanceError('responses mask phone numbers and email addresses', `${what}: ${shown.join(', ')} in ${got}`)
  if (p.kind === 'error') {
    if (r.status !== p.status || body['errorCode'] !== p.errorCode)
      throw new ConformanceError('answers match the spec', `${what}: expected ${p.status} ${p.errorCode}, got ${got}`)
    for (const k of ['errorSummary', 'errorLink', 'errorId', 'errorCauses'])
      if (!(k in body)) throw new ConformanceError('Okta error shape', `${what}: missing ${k} in ${got}`)
    return
  }
  if (r.status !== 200) throw new ConformanceError('answers match the spec', `${what}: expected 200, got ${got}`)
  if (p.kind === 'cancelled' || p.kind === 'session') return
  if (body['status'] !== p.status)
    throw new ConformanceError('answers match the spec', `${what}: expected status ${p.status}, got ${got}`)
  const hasState = typeof body['stateToken'] === 'string'
  const stepUp = p.app !== undefined && p.app !== null
  if (stepUp !== (body['type'] === 'SESSION_STEP_UP'))
    throw new ConformanceError('a step-up, and only a step-up, is typed SESSION_STEP_UP', `${what}: ${got}`)
  if (stepUp && p.status === 'SUCCESS') {
    // Spec §4.2 step 4: no session token; the `original` link (GET) carries a one-time token, also shown as stateToken.
    const next = isObject(body['_links']) && isObject(body['_links']['next']) ? body['_links']['next'] : {}
    const href = str(next['name']) === 'original' ? str(next['href']) : undefined
    if (!hasState || typeof body['sessionToken'] === 'string' || href === undefined || !href.endsWith(`stateToken=${encodeURIComponent(str(body['stateToken']) ?? '')}`))
      throw new ConformanceError('a step-up SUCCESS leads to its app by the `original` link, with no session token', `${what}: ${got}`)
  } else if (p.status === 'SUCCESS' || p.status === 'LOCKED_OUT') {
    if (hasState) throw new ConformanceError('finished transactions hand out no state token', `${what}: ${got}`)
  } else if (!hasState) throw new ConformanceError('live transactions carry a state token', `${what}: ${got}`)
  if (p.status === 'SUCCESS' && !stepUp && typeof body['sessionToken'] !== 'string')
    throw new ConformanceError('SUCCESS carries a one-time session token', `${what}: ${got}`)
  if (real.controlsClock && p.expiresAt !== null && body['expiresAt'] !== new Date(p.expiresAt).toISOString())
    throw new ConformanceError('sliding expiry', `${what}: expected expiresAt ${new Date(p.expiresAt).toISOString()}, got ${got}`)
}

const stateOf = (model: Model, index: number): [ReturnType<typeof pick>, string] => {
  const tx = pick(model, index)
  return [tx, tx === undefined ? 'NONE' : model.live(tx) ? tx.status : 'DEAD']
}
/**
 * A command's transaction: `LATEST` (the one most recently opened), `LATEST_MFA` (the newest live
 * one in an MFA state, else the newest live one, else the latest), else any by index.
 */
export const LATEST = -1
export const LATEST_MFA = -2
const MFA_STATES: ReadonlyArray<ModelStatus> = ['MFA_ENROLL', 'MFA_ENROLL_ACTIVATE', 'MFA_REQUIRED', 'MFA_CHALLENGE']
const pick = (model: Model, index: number) => {
  const newest = [...model.transactions].reverse()
  if (index === LATEST_MFA) return newest.find((t) => model.live(t) && MFA_STATES.includes(t.status)) ?? newest.find((t) => model.live(t)) ?? newest[0]
  return index === LATEST ? newest[0] : model.transactions[index % model.transactions.length]
}

const staleToken = '00thisStateTokenWasNeverIssuedByAnyone0000'

/** The transaction a command refers to and its user, or nothing when there is no transaction yet. */
const txAndUser = (model: Model, index: number): [ModelTransaction, ModelUser, string] | undefined => {
  const [tx, state] = stateOf(model, index)
  if (tx === undefined) return undefined
  const u = model.user(tx.login)
  if (u === undefined) throw new Error('model: unknown user')
  return [tx, u, state]
}

/**
 * A command on one of the model's transactions (picked by `txIndex`) and its user: `step` runs
 * with both found, and with the transaction's current status for the coverage count.
 */
export abstract class TransactionCommand implements fc.AsyncCommand<Model, Real> {
  abstract readonly txIndex: number
  check = (model: Readonly<Model>) => model.transactions.length > 0
  async run(model: Model, real: Real): Promise<void> {
    const found = txAndUser(model, this.txIndex)
    if (found === undefined) return
    await this.step(model, real, ...found)
  }
  protected abstract step(model: Model, real: Real, tx: ModelTransaction, u: ModelUser, state: string): Promise<void>
  abstract toString(): string
}

/** A step was completed in `tx`: the evaluation order picks the next status (spec §10.1). */
export const advance = (model: Model, tx: ModelTransaction, _u: ModelUser): Prediction => {
  tx.status = model.route(tx)
  if (tx.status === 'SUCCESS') tx.dead = true
  return {
    kind: 'transaction',
    status: tx.status,
    expiresAt: tx.status === 'SUCCESS' ? model.now + model.options.sessionTokenLifetimeMs : tx.expiresAt,
    app: tx.app,
  }
}

/** A new password was accepted in `tx`: it is neither expired nor due any more. */
const acceptNewPassword = (model: Model, tx: ModelTransaction, u: ModelUser, password: string, revokeSessions = false): Prediction => {
  // The new password moves the user's epoch: every other live transaction ends; this one goes on.
  model.setPassword(u, password)
  tx.epoch = u.epoch
  if (revokeSessions) model.revokeSessions(u)
  tx.passwordChanged = true
  tx.changedAtAtStart = model.now
  return advance(model, tx, u)
}

/** Keeps the session token of an answer that the model predicted to be SUCCESS. */
export const keepSession = (model: Model, u: ModelUser, p: Prediction, r: WireResponse): void => {
  if (p.kind !== 'transaction' || p.status !== 'SUCCESS') return
  const body = isObject(r.body) ? r.body : {}
  // A step-up's SUCCESS hands out the one-time token of its `original` link instead of a session token.
  if (p.app !== undefined && p.app !== null) model.issueRedirect(u, p.app, str(body['stateToken']) ?? '')
  else model.issueSession(u, str(body['sessionToken']) ?? '')
}

/** The member of a JSON body at `path`; undefined when a step is missing. */
export const member = (x: unknown, ...path: ReadonlyArray<string>): unknown => path.reduce<unknown>((v, k) => (isObject(v) ? v[k] : undefined), x)

/** The origin the API is served at, from an answer's links (what an authenticator or a device talks to). */
export const originOf = (r: WireResponse): string => {
  const href = str(member(r.body, '_links', 'next', 'href')) ?? str(member(r.body, '_links', 'cancel', 'href'))
  if (href === undefined) throw new ConformanceError('transactions link to the API', JSON.stringify(r.body))
  return new URL(href).origin
}

/**
 * `POST /api/v1/authn/factors` for a factor that something other than the client activates (an
 * authenticator, a device), checked against the model: 401 E0000011 for a finished transaction,
 * 403 E0000079 outside MFA_ENROLL, 400 E0000001 when the policy does not offer `key` or the user has
 * it active; otherwise MFA_ENROLL_ACTIVATE, and the factor with the id and the authenticator or device
 * `pending` finds in the answer (it throws a ConformanceError for an answer that lacks them) becomes the
 * user's pending one.
 */
export const enrollPending = async (
  model: Model,
  real: Real,
  what: string,
  tx: ModelTransaction,
  u: ModelUser,
  key: string,
  pending: (r: WireResponse, issuedAt: number) => { readonly id: string } & Pick<ModelFactor, 'webauthn' | 'push'>,
): Promise<void> => {
  const allowed = [...model.policy.requiredEnrollments, ...model.policy.optionalEnrollments].includes(key)
  let p: Prediction
  let learn: ((r: WireResponse) => void) | null = null
  if (!model.live(tx)) p = err(401, 'E0000011')
  else if (tx.status !== 'MFA_ENROLL') p = err(403, 'E0000079')
  else if (!allowed || tx.factors.some((f) => f.status === 'ACTIVE' && f.key === key)) p = err(400, 'E0000001')
  else {
    model.touch(tx)
    tx.status = 'MFA_ENROLL_ACTIVATE'
    p = { kind: 'transaction', status: 'MFA_ENROLL_ACTIVATE', expiresAt: tx.expiresAt, app: tx.app }
    const issuedAt = model.now
    learn = (r) => {
      const row: ModelFactor = { key, secret: null, answer: null, destination: null, status: 'PENDING_ACTIVATION', lastStep: null, ...pending(r, issuedAt) }
      u.factors = [...u.factors.filter((f) => !(f.key === key && f.status === 'PENDING_ACTIVATION')), row]
      tx.pending = row
    }
  }
  const [factorType, provider] = key.split('/')
  const r = await send(real, 'enrollFactor', { stateToken: tx.stateToken, factorType, provider })
  expectAnswer(model, real, what, p, r)
  checking(r, () => learn?.(r))
  keepSession(model, u, p, r)
}

// -------------------------------------------------------------------------------------------------

type PasswordChoice = 'correct' | 'wrong' | 'previous'

/** `POST /api/v1/authn` with a username and password. */
export class SignIn implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly userIndex: number,
    readonly choice: PasswordChoice,
    readonly warn: boolean,
    readonly upperCaseLogin: boolean,
    readonly multiOptional: boolean = false,
  ) {}
  check = () => true
  async run(model: Model, real: Real): Promise<void> {
    const u = model.users[this.userIndex % model.users.length]
    if (u === undefined) return
    const password =
      this.choice === 'correct' ? (u.password ?? 'no-password-at-all') : this.choice === 'previous' ? (u.history[0] ?? 'Wrong-Pa55word') : 'Wrong-Pa55word'
    const ok = u.password !== null && password === u.password
    const login = this.upperCaseLogin ? u.login.toUpperCase() : u.login
    const req = { username: login, password, options: { warnBeforePasswordExpired: this.warn, ...(this.multiOptional ? { multiOptionalFactorEnroll: true } : {}) } }
    cover(real, 'NEW', `authenticate(${ok ? 'correct' : 'wrong'})`)
    const p = predictPrimary(model, u, ok, this.warn, false, this.multiOptional)
    const r = await send(real, 'authenticate', req)
    expectAnswer(model, real, this.toString(), p.prediction, r)
    if (p.prediction.kind === 'transaction' && p.prediction.status === 'SUCCESS' && !ok)
      throw new ConformanceError('no SUCCESS without a verified password', this.toString())
    p.commit(r)
  }
  toString = () => `SignIn(user#${this.userIndex}, ${this.choice}, warn=${this.warn}${this.upperCaseLogin ? ', LOGIN' : ''}${this.multiOptional ? ', multiOptional' : ''})`
}

/**
 * A run of `wrong` wrong passwords for one user, one after the other, then the right one when
 * `thenCorrect`: what finds a lockout off by one, which single sign-ins scattered over a sequence
 * rarely line up for (each answer is checked against the model as it comes).
 */
export class SignInRun implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly userIndex: number,
    readonly wrong: number,
    readonly thenCorrect: boolean,
  ) {}
  check = () => true
  async run(model: Model, real: Real): Promise<void> {
    for (let i = 0; i < this.wrong; i++) await new SignIn(this.userIndex, 'wrong', false, false).run(model, real)
    if (this.thenCorrect) await new SignIn(this.userIndex, 'correct', false, false).run(model, real)
  }
  toString = () => `SignInRun(user#${this.userIndex}, ${this.wrong} wrong${this.thenCorrect ? ', then correct' : ''})`
}

/**
 * The model's prediction for a primary authentication, and what to record once the real answer
 * (which carries the fresh tokens) is known.
 */
export const predictPrimary = (model: Model, u: ModelUser, ok: boolean, warn: boolean, viaActivation = false, multiOptional = false, app: ModelApp | null = null) => {
  const keep = (prediction: Prediction, commit: (r: WireResponse) => void = () => {}) => ({ prediction, commit })
  if (!viaActivation && u.status !== 'ACTIVE' && u.status !== 'PASSWORD_EXPIRED') return keep(err(401, 'E0000004'))
  if (model.isLocked(u)) return keep(model.policy.showLockoutFailures ? { kind: 'transaction', status: 'LOCKED_OUT', expiresAt: null } : err(401, 'E0000004'))
  if (!ok) {
    const locks = model.recordFailure(u)
    return keep(locks && model.policy.showLockoutFailures ? { kind: 'transaction', status: 'LOCKED_OUT', expiresAt: null } : err(401, 'E0000004'))
  }
  // The org's sign-on policy, or a step-up app's, may refuse (spec §4.1): a failure, the counter as it was.
  if (model.policy.signOnDenied || app?.deny === true) return keep(err(401, 'E0000004'))
  u.failedAttempts = 0
  u.lockedAt = null
  const start = { changedAtAtStart: u.passwordChangedAt, adminExpiredAtStart: u.status === 'PASSWORD_EXPIRED', warnOption: warn }
  const fresh = { factors: u.factors, mfaVerified: false, enrolledHere: false, enrollHandled: false, multiOptional }
  const status: ModelStatus =
    viaActivation && u.password === null ? 'PASSWORD_RESET' : model.route({ ...start, ...fresh, passwordChanged: false, warnHandled: false, app })
  if (viaActivation && status !== 'PASSWORD_RESET') {
    // The activation completes at once: a credential change.
    u.status = 'ACTIVE'
    u.activationToken = null
    u.epoch += 1
  }
  const expiresAt =
    status === 'SUCCESS'
      ? model.now + model.options.sessionTokenLifetimeMs
      : model.now + Math.min(model.options.stateTokenLifetimeMs, model.options.stateTokenMaxLifetimeMs)
  return keep({ kind: 'transaction', status, expiresAt, app }, (r) => {
    const body = isObject(r.body) ? r.body : {}
    // A transaction that finished at once hands out no state token: nothing for a client to reuse.
    const stateToken = str(body['stateToken'])
    if (status === 'MFA_REQUIRED') learnFactorIds(u, r)
    if (stateToken !== undefined && status !== 'SUCCESS') {
      const tx = model.open(stateToken, u, status, warn, start.changedAtAtStart, start.adminExpiredAtStart, multiOptional, app)
      // An activation token opens one live transaction at a time.
      if (viaActivation && status === 'PASSWORD_RESET') u.activationHolder = tx
    }
    if (status === 'SUCCESS' && app !== null) model.issueRedirect(u, app, stateToken ?? '')
    else if (status === 'SUCCESS') model.issueSession(u, str(body['sessionToken']) ?? '')
  })
}

/** `POST /api/v1/authn` with an activation token (spec §4.1, §10.1 rows 1–2). */
export class Activate implements fc.AsyncCommand<Model, Real> {
  constructor(readonly userIndex: number, readonly valid: boolean) {}
  check = () => true
  async run(model: Model, real: Real): Promise<void> {
    const u = model.users[this.userIndex % model.users.length]
    if (u === undefined) return
    const token = this.valid && u.activationToken !== null ? u.activationToken : 'not-an-activation-token'
    cover(real, 'NEW', `authenticate(token ${token === u.activationToken ? 'valid' : 'invalid'})`)
    const usable = token === u.activationToken && u.status === 'STAGED' && !model.live(u.activationHolder ?? undefined)
    const p = usable ? predictPrimary(model, u, true, false, true) : { prediction: err(401, 'E0000004'), commit: () => {} }
    const r = await send(real, 'authenticate', { token })
    expectAnswer(model, real, this.toString(), p.prediction, r)
    p.commit(r)
  }
  toString = () => `Activate(user#${this.userIndex}, ${this.valid ? 'token' : 'bad token'})`
}

/** `POST /api/v1/authn` with an unknown username: indistinguishable from a wrong password. */
export class SignInUnknown implements fc.AsyncCommand<Model, Real> {
  constructor(readonly login: string) {}
  check = () => true
  async run(model: Model, real: Real): Promise<void> {
    cover(real, 'NEW', 'authenticate(unknown user)')
    if (model.user(this.login) !== undefined) return
    const r = await send(real, 'authenticate', { username: this.login, password: 'Whatever-1' })
    expectAnswer(model, real, this.toString(), err(401, 'E0000004'), r)
    if (isObject(r.body) && Array.isArray(r.body['errorCauses']) && r.body['errorCauses'].length !== 0)
      throw new ConformanceError('no user enumeration', `${this.toString()}: causes ${JSON.stringify(r.body)}`)
  }
  toString = () => `SignInUnknown(${JSON.stringify(this.login)})`
}

/** Operations on an existing transaction that take only `{ stateToken }`. */
export class OnTransaction implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly txIndex: number,
    readonly operation: 'getState' | 'skip' | 'previous' | 'cancel',
  ) {}
  check = (model: Readonly<Model>) => model.transactions.length > 0
  async run(model: Model, real: Real): Promise<void> {
    const [tx, state] = stateOf(model, this.txIndex)
    if (tx === undefined) return
    cover(real, state, this.operation)
    let p: Prediction
    if (!model.live(tx)) p = err(401, 'E0000011')
    else if (this.operation === 'getState') {
      model.touch(tx)
      p = { kind: 'transaction', status: tx.status, expiresAt: tx.expiresAt, app: tx.app }
    } else if (this.operation === 'cancel') {
      tx.dead = true
      p = { kind: 'cancelled' }
    } else if (this.operation === 'skip' && tx.status === 'PASSWORD_WARN') {
      const u = model.user(tx.login)
      if (u === undefined) throw new Error('model: unknown user')
      tx.warnHandled = true
      model.touch(tx)
      p = advance(model, tx, u)
    } else if (this.operation === 'skip' && tx.status === 'MFA_ENROLL' && !model.requiredLeft(tx)) {
      // Skip is accepted only when nothing REQUIRED is left to enroll.
      const u = model.user(tx.login)
      if (u === undefined) throw new Error('model: unknown user')
      tx.enrollHandled = true
      model.touch(tx)
      p = advance(model, tx, u)
    } else if (this.operation === 'previous' && tx.status === 'MFA_ENROLL_ACTIVATE') {
      tx.pending = null
      tx.status = 'MFA_ENROLL'
      model.touch(tx)
      p = { kind: 'transaction', status: 'MFA_ENROLL', expiresAt: tx.expiresAt, app: tx.app }
    } else if (this.operation === 'previous' && tx.status === 'MFA_CHALLENGE') {
      // Back to the list of factors; the code sent stays open (and its throttle holds); a nonce is forgotten.
      tx.challenge = null
      tx.nonce = null
      tx.status = 'MFA_REQUIRED'
      model.touch(tx)
      p = { kind: 'transaction', status: 'MFA_REQUIRED', expiresAt: tx.expiresAt, app: tx.app }
    } else p = err(403, 'E0000079')
    const r = await send(real, this.operation === 'getState' ? 'authenticate' : this.operation, { stateToken: tx.stateToken })
    expectAnswer(model, real, this.toString(), p, r)
    const u = model.user(tx.login)
    if (u !== undefined) keepSession(model, u, p, r)
  }
  toString = () => `${this.operation}(tx#${this.txIndex})`
}

type NewPasswordChoice = 'fresh' | 'weak' | 'current' | 'previous'

const newPasswordFor = (model: Model, u: ModelUser, choice: NewPasswordChoice): string =>
  choice === 'fresh' ? model.freshPassword() : choice === 'weak' ? 'ab' : choice === 'current' ? (u.password ?? 'ab') : (u.history[0] ?? model.freshPassword())

/** `POST /api/v1/authn/credentials/change_password` (spec §4.5). */
export class ChangePassword extends TransactionCommand {
  constructor(
    readonly txIndex: number,
    readonly oldCorrect: boolean,
    readonly choice: NewPasswordChoice,
    readonly revokeSessions: boolean = false,
  ) {
    super()
  }
  protected async step(model: Model, real: Real, tx: ModelTransaction, u: ModelUser, state: string): Promise<void> {
    cover(real, state, 'changePassword')
    const oldPassword = this.oldCorrect ? (u.password ?? 'none') : 'Not-The-0ld-One'
    const newPassword = newPasswordFor(model, u, this.choice)
    let p: Prediction
    if (!model.live(tx)) p = err(401, 'E0000011')
    else if (tx.status !== 'PASSWORD_WARN' && tx.status !== 'PASSWORD_EXPIRED') p = err(403, 'E0000079')
    else {
      model.touch(tx)
      const minAge =
        tx.status === 'PASSWORD_WARN' &&
        model.policy.minAgeMinutes > 0 &&
        tx.changedAtAtStart !== null &&
        model.now < tx.changedAtAtStart + model.policy.minAgeMinutes * 60_000
      if (!(u.password !== null && oldPassword === u.password)) p = err(403, 'E0000014')
      else if (minAge) p = err(403, 'E0000080')
      else if (!model.meetsComplexity(newPassword, u) || model.reuses(newPassword, u)) p = err(403, 'E0000080')
      else p = acceptNewPassword(model, tx, u, newPassword, this.revokeSessions)
    }
    const r = await send(real, 'changePassword', { stateToken: tx.stateToken, oldPassword, newPassword, ...(this.revokeSessions ? { revokeSessions: true } : {}) })
    expectAnswer(model, real, this.toString(), p, r)
    keepSession(model, u, p, r)
  }
  toString = () => `changePassword(tx#${this.txIndex}, old=${this.oldCorrect ? 'correct' : 'wrong'}, new=${this.choice}${this.revokeSessions ? ', revokeSessions' : ''})`
}

/** `POST /api/v1/authn/credentials/reset_password` (spec §4.18, activation flow). */
export class ResetPassword extends TransactionCommand {
  constructor(
    readonly txIndex: number,
    readonly choice: NewPasswordChoice,
  ) {
    super()
  }
  protected async step(model: Model, real: Real, tx: ModelTransaction, u: ModelUser, state: string): Promise<void> {
    cover(real, state, 'resetPassword')
    const newPassword = newPasswordFor(model, u, this.choice)
    let p: Prediction
    if (!model.live(tx)) p = err(401, 'E0000011')
    else if (tx.status !== 'PASSWORD_RESET') p = err(403, 'E0000079')
    else {
      model.touch(tx)
      if (!model.meetsComplexity(newPassword, u) || model.reuses(newPassword, u)) p = err(403, 'E0000080')
      else {
        // Setting the password completes an activation.
        u.status = 'ACTIVE'
        u.activationToken = null
        u.activationHolder = null
        p = acceptNewPassword(model, tx, u, newPassword)
      }
    }
    const r = await send(real, 'resetPassword', { stateToken: tx.stateToken, newPassword })
    expectAnswer(model, real, this.toString(), p, r)
    keepSession(model, u, p, r)
  }
  toString = () => `resetPassword(tx#${this.txIndex}, new=${this.choice})`
}

/** `POST /api/v1/sessions`: a session token is redeemed once, within its lifetime. */
export class RedeemSession implements fc.AsyncCommand<Model, Real> {
  constructor(readonly index: number) {}
  check = (model: Readonly<Model>) => model.sessions.length > 0
  async run(model: Model, real: Real): Promise<void> {
    const s = model.sessions[this.index % model.sessions.length]
    if (s === undefined) return
    cover(real, s.consumed ? 'SESSION(used)' : 'SESSION', 'redeemSessionToken')
    const ok = !s.consumed && model.now < s.expiresAt
    if (ok) s.consumed = true
    const r = await send(real, 'redeemSessionToken', { sessionToken: s.token })
    const p: Prediction = ok ? { kind: 'session' } : err(401, 'E0000004')
    noteExpected(real, r, describePrediction(p))
    if (r.status === 200 && !ok) throw new ConformanceError('a session token is redeemed once', `${this.toString()}: ${JSON.stringify(r.body)}`)
    expectAnswer(model, real, this.toString(), p, r)
  }
  toString = () => `redeemSessionToken(#${this.index})`
}

// ------------------------------------------------------------------------------------- MFA (§4.6–4.10)

const base32 = new ScureBase32Plugin()
const STEP_MS = 30_000

/** The TOTP code (6 digits, 30 s, SHA-1) of a base32 secret at `ms`: the model's own computation (otplib). */
const totpAt = (secret: string, ms: number): Promise<string> =>
  generate({ strategy: 'hotp', secret: base32.decode(secret), counter: Math.floor(ms / STEP_MS), digits: 6, algorithm: 'sha1', guardrails: createGuardrails({ MIN_SECRET_BYTES: 10 }) })

/** The time codes are made for: the model's clock, or (over HTTP, where the model does not move the clock) the real one. */
export const codeTime = (model: Model, real: Real): number => (real.controlsClock ? model.now : Date.now())

/** An answer to a factor: the right one, a wrong one, or one for a factor id nobody has. */
type AnswerChoice = 'right' | 'wrong' | 'unknown factor'

/** The request fields of an answer to `f` (a question's answer, else a TOTP passCode). */
const answerFor = async (at: number, f: ModelFactor, choice: AnswerChoice): Promise<Record<string, string>> => {
  if (f.key === 'question/OKTA') return { answer: choice === 'right' ? (f.answer ?? '') : 'certainly not it' }
  // Not digits: never a code of any step, so "wrong" is wrong for sure.
  return { passCode: choice === 'right' && f.secret !== null ? await totpAt(f.secret, at) : 'nope!!' }
}

/** Whether the model can answer this factor (TOTP with a known secret, or a question). */
const answerable = (f: ModelFactor) =>
  f.id !== '' && ((f.key.startsWith('token:software:totp/') && f.secret !== null) || (f.key === 'question/OKTA' && f.answer !== null))

/** Learns the ids of factors enrolled without one shown (a question) from an MFA_REQUIRED answer. */
const learnFactorIds = (u: ModelUser, r: WireResponse): void => {
  const listed = isObject(r.body) && isObject(r.body['_embedded']) && Array.isArray(r.body['_embedded']['factors']) ? r.body['_embedded']['factors'] : []
  for (const f of u.factors)
    if (f.id === '') {
      const match = listed.find((x: unknown) => isObject(x) && `${String(x['factorType'])}/${String(x['provider'])}` === f.key && typeof x['id'] === 'string')
      if (isObject(match)) (f as { id: string }).id = String(match['id'])
    }
}

/** `POST /api/v1/authn/factors/{factorId}/verify` in MFA_REQUIRED (spec §4.10). */
export class VerifyFactor extends TransactionCommand {
  constructor(
    readonly txIndex: number,
    readonly factorIndex: number,
    readonly choice: AnswerChoice,
  ) {
    super()
  }
  protected async step(model: Model, real: Real, tx: ModelTransaction, u: ModelUser, state: string): Promise<void> {
    const candidates = u.factors.filter((f) => f.status === 'ACTIVE' && answerable(f))
    const f = candidates[this.factorIndex % Math.max(1, candidates.length)]
    if (f === undefined && this.choice !== 'unknown factor') return
    cover(real, state, `verifyFactor(${this.choice})`)
    const factorId = this.choice === 'unknown factor' || f === undefined ? 'ostnobodyhasthis0001' : f.id
    const at = codeTime(model, real)
    const fields = f === undefined || this.choice === 'unknown factor' ? { passCode: '123456' } : await answerFor(at, f, this.choice)
    let p: Prediction
    if (!model.live(tx)) p = err(401, 'E0000011')
    else if (tx.status !== 'MFA_REQUIRED' && tx.status !== 'MFA_CHALLENGE') p = err(403, 'E0000079')
    else if (f === undefined || this.choice === 'unknown factor') p = err(404, 'E0000007')
    else if (tx.status === 'MFA_CHALLENGE') {
      // Only the challenged factor is answered here (a sending one); another factor's answer is refused uncounted.
      p = err(403, 'E0000079')
    } else if (this.choice === 'wrong') {
      // Recorded toward lockout first; the failure that locks answers E0000069 and ends the transaction.
      const locks = model.recordFailure(u)
      if (!locks) model.touch(tx)
      p = err(locks ? 403 : 403, locks ? 'E0000069' : 'E0000068')
    } else {
      const step = Math.floor(at / STEP_MS)
      model.touch(tx)
      if (f.key !== 'question/OKTA' && f.lastStep !== null && step <= f.lastStep) p = err(403, 'E0000082')
      else {
        if (f.key !== 'question/OKTA') f.lastStep = step
        u.failedAttempts = 0
        u.lockedAt = null
        tx.mfaVerified = true
        p = advance(model, tx, u)
      }
    }
    const r = await send(real, 'verifyFactor', { stateToken: tx.stateToken, factorId, ...fields })
    expectAnswer(model, real, this.toString(), p, r)
    if (p.kind === 'transaction' && p.status === 'SUCCESS' && this.choice !== 'right')
      throw new ConformanceError('no SUCCESS without every required factor', this.toString())
    keepSession(model, u, p, r)
  }
  toString = () => `verifyFactor(tx#${this.txIndex}, factor#${this.factorIndex}, ${this.choice})`
}

/**
 * A run of `wrong` wrong answers to one factor of the newest MFA transaction, then the right one
 * when `thenRight`: long runs of failures on factors, where a factor that accepts anything, or a
 * lockout counted wrongly, shows.
 */
export class VerifyRun implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly factorIndex: number,
    readonly wrong: number,
    readonly thenRight: boolean,
  ) {}
  check = (model: Readonly<Model>) => model.transactions.length > 0
  async run(model: Model, real: Real): Promise<void> {
    for (let i = 0; i < this.wrong; i++) await new VerifyFactor(LATEST_MFA, this.factorIndex, 'wrong').run(model, real)
    if (this.thenRight) await new VerifyFactor(LATEST_MFA, this.factorIndex, 'right').run(model, real)
  }
  toString = () => `VerifyRun(newest MFA tx, factor#${this.factorIndex}, ${this.wrong} wrong${this.thenRight ? ', then right' : ''})`
}

const TOTP_ANSWER = 'A real answer 42'

/** `POST /api/v1/authn/factors` in MFA_ENROLL (spec §4.6): a TOTP (then activated) or a question. */
export class EnrollFactor extends TransactionCommand {
  constructor(
    readonly txIndex: number,
    readonly keyIndex: number,
  ) {
    super()
  }
  protected async step(model: Model, real: Real, tx: ModelTransaction, u: ModelUser, state: string): Promise<void> {
    const keys = [...model.policy.requiredEnrollments, ...model.policy.optionalEnrollments, ...model.policy.notAllowedEnrollments].filter(
      (k) => k.startsWith('token:software:totp/') || k === 'question/OKTA',
    )
    const key = keys[this.keyIndex % Math.max(1, keys.length)]
    if (key === undefined) return
    const [factorType = '', provider = ''] = key.split('/')
    cover(real, state, `enrollFactor(${key})`)
    const body = { stateToken: tx.stateToken, factorType, provider, ...(key === 'question/OKTA' ? { profile: { question: 'favorite_toy', answer: TOTP_ANSWER } } : {}) }
    let p: Prediction
    let learn: ((r: WireResponse) => void) | null = null
    if (!model.live(tx)) p = err(401, 'E0000011')
    else if (tx.status !== 'MFA_ENROLL') p = err(403, 'E0000079')
    else if (model.policy.notAllowedEnrollments.includes(key) || !keys.includes(key)) p = err(400, 'E0000001')
    else if (tx.factors.some((f) => f.status === 'ACTIVE' && f.key === key)) p = err(400, 'E0000001')
    else if (key === 'question/OKTA') {
      // ACTIVE at once; its id is not in the answer: it is learnt from the next MFA_REQUIRED list.
      model.touch(tx)
      const row: ModelFactor = { id: '', key, secret: null, answer: TOTP_ANSWER, destination: null, status: 'ACTIVE', lastStep: null }
      tx.factors = [...tx.factors, row]
      tx.enrolledHere = true
      p = advance(model, tx, u)
      learn = () => {
        u.factors = [...u.factors.filter((f) => !(f.key === key && f.status === 'PENDING_ACTIVATION')), row]
      }
    } else {
      model.touch(tx)
      tx.status = 'MFA_ENROLL_ACTIVATE'
      p = { kind: 'transaction', status: 'MFA_ENROLL_ACTIVATE', expiresAt: tx.expiresAt, app: tx.app }
      learn = (r) => {
        // The id and the shared secret come from the answer (its activation object).
        const factor = isObject(r.body) && isObject(r.body['_embedded']) && isObject(r.body['_embedded']['factor']) ? r.body['_embedded']['factor'] : {}
        const activation = isObject(factor['_embedded']) && isObject(factor['_embedded']['activation']) ? factor['_embedded']['activation'] : {}
        const id = str(factor['id'])
        const secret = str(activation['sharedSecret'])
        if (id === undefined || secret === undefined) throw new ConformanceError('MFA_ENROLL_ACTIVATE shows the factor and its activation', JSON.stringify(r.body))
        const row: ModelFactor = { id, key, secret, answer: null, destination: null, status: 'PENDING_ACTIVATION', lastStep: null }
        u.factors = [...u.factors.filter((f) => !(f.key === key && f.status === 'PENDING_ACTIVATION')), row]
        tx.pending = row
      }
    }
    const r = await send(real, 'enrollFactor', body)
    expectAnswer(model, real, this.toString(), p, r)
    learn?.(r)
    keepSession(model, u, p, r)
  }
  toString = () => `enrollFactor(tx#${this.txIndex}, key#${this.keyIndex})`
}

/** `POST /api/v1/authn/factors/{factorId}/lifecycle/activate` in MFA_ENROLL_ACTIVATE (spec §4.7). */
export class ActivateFactor extends TransactionCommand {
  constructor(
    readonly txIndex: number,
    readonly right: boolean,
  ) {
    super()
  }
  protected async step(model: Model, real: Real, tx: ModelTransaction, u: ModelUser, state: string): Promise<void> {
    const pending = tx.pending
    // A factor that sends codes is activated with the code sent (AnswerSentCode); WebAuthn with its authenticator (ActivateWebauthn); push by its device (push-commands.ts).
    if (pending === null || sendingFamily(pending.key) !== undefined || pending.webauthn !== undefined || pending.push !== undefined) return
    cover(real, state, `activateFactor(${this.right ? 'right' : 'wrong'})`)
    const at = codeTime(model, real)
    const passCode = this.right && pending.secret !== null ? await totpAt(pending.secret, at) : 'nope!!'
    const row = u.factors.find((f) => f.id === pending.id)
    let p: Prediction
    if (!model.live(tx)) p = err(401, 'E0000011')
    else if (tx.status !== 'MFA_ENROLL_ACTIVATE') p = err(403, 'E0000079')
    else if (row === undefined) p = err(404, 'E0000007')
    else if (!this.right) {
      model.touch(tx)
      p = err(403, 'E0000068')
    } else {
      model.touch(tx)
      row.status = 'ACTIVE'
      row.lastStep = Math.floor(at / STEP_MS)
      tx.factors = [...tx.factors.filter((f) => f.id !== row.id), { ...row }]
      tx.pending = null
      tx.enrolledHere = true
      p = advance(model, tx, u)
    }
    const r = await send(real, 'activateFactor', { stateToken: tx.stateToken, factorId: pending.id, passCode })
    expectAnswer(model, real, this.toString(), p, r)
    keepSession(model, u, p, r)
  }
  toString = () => `activateFactor(tx#${this.txIndex}, ${this.right ? 'right' : 'wrong'})`
}

/** Any operation with a state token that was never issued. */
export class UnknownToken implements fc.AsyncCommand<Model, Real> {
  constructor(readonly operation: 'authenticate' | 'skip' | 'previous' | 'cancel') {}
  check = () => true
  async run(model: Model, real: Real): Promise<void> {
    cover(real, 'UNKNOWN', this.operation)
    const r = await send(real, this.operation, { stateToken: staleToken })
    expectAnswer(model, real, this.toString(), err(401, 'E0000011'), r)
  }
  toString = () => `${this.operation}(unknown stateToken)`
}

/** Malformed bodies: an Okta 400, never an exception. */
export class Malformed implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly operation: 'authenticate' | 'changePassword' | 'skip' | 'cancel',
    readonly body: unknown,
  ) {}
  check = () => true
  async run(model: Model, real: Real): Promise<void> {
    cover(real, 'ANY', `${this.operation}(malformed)`)
    const r = await send(real, this.operation, this.body)
    noteExpected(real, r, '400 E0000001 or E0000003 (an Okta error)')
    const code = isObject(r.body) ? r.body['errorCode'] : undefined
    if (r.status !== 400 || (code !== 'E0000001' && code !== 'E0000003'))
      throw new ConformanceError('bad input gets an Okta 400', `${this.toString()}: got ${JSON.stringify(r)}`)
  }
  toString = () => `${this.operation}(malformed ${JSON.stringify(this.body)})`
}

/** Time passes (only where the driver controls the clock). */
export class AdvanceClock implements fc.AsyncCommand<Model, Real> {
  constructor(readonly ms: number) {}
  check = () => true
  run(model: Model, real: Real): Promise<void> {
    if (real.driver.advanceClock(this.ms)) model.now += this.ms
    return Promise.resolve()
  }
  toString = () => `advanceClock(${this.ms} ms)`
}

/**
 * An administrator's lifecycle operation on a user (Okta's Users API): written with a new
 * credential epoch, so every live transaction of the user ends; lock-like ones revoke sessions.
 */
export class Lifecycle implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly userIndex: number,
    readonly operation: LifecycleOp,
  ) {}
  check = () => true
  async run(model: Model, real: Real): Promise<void> {
    const u = model.users[this.userIndex % model.users.length]
    const call = real.driver.lifecycle
    if (u === undefined || call === undefined) return
    cover(real, 'ADMIN', `lifecycle(${this.operation})`)
    const p = predictLifecycle(model, u, this.operation)
    const r = await call(u.login, this.operation)
    record(real, `lifecycle.${this.operation}`, { user: u.login }, r)
    if (r.status >= 500) throw new ConformanceError('never a 5xx for client input', `${this.toString()} answered ${r.status}`)
    if (p.kind === 'error') expectAnswer(model, real, this.toString(), p, r)
    else noteExpected(real, r, '200')
    if (p.kind !== 'error' && r.status !== 200) throw new ConformanceError('answers match the spec', `${this.toString()}: expected 200, got ${JSON.stringify(r)}`)
  }
  toString = () => `lifecycle(user#${this.userIndex}, ${this.operation})`
}

/** The model's answer to a lifecycle operation, applied to the model. */
const predictLifecycle = (model: Model, u: ModelUser, op: LifecycleOp): Prediction => {
  const ok: Prediction = { kind: 'session' }
  switch (op) {
    case 'unlock':
      if (u.lockedAt === null) return err(403, 'E0000032')
      u.lockedAt = null
      u.failedAttempts = 0
      u.epoch += 1
      return ok
    case 'suspend':
      if (u.status !== 'ACTIVE' && u.status !== 'PASSWORD_EXPIRED') return err(400, 'E0000001')
      u.status = 'SUSPENDED'
      u.epoch += 1
      model.revokeSessions(u)
      return ok
    case 'unsuspend':
      if (u.status !== 'SUSPENDED') return err(400, 'E0000001')
      u.status = 'ACTIVE'
      u.epoch += 1
      return ok
    case 'deactivate':
      u.status = 'DEPROVISIONED'
      u.activationToken = null
      u.activationHolder = null
      u.epoch += 1
      model.revokeSessions(u)
      return ok
    case 'expirePassword':
      if (u.status !== 'ACTIVE' && u.status !== 'PASSWORD_EXPIRED') return err(400, 'E0000001')
      u.status = 'PASSWORD_EXPIRED'
      return ok
  }
}

/** A prediction as `status errorCode` or `200 STATUS`, to compare the answers of concurrent requests as a multiset. */
export const predictionKey = (p: Prediction): string => (p.kind === 'error' ? `${p.status} ${p.errorCode}` : p.kind === 'transaction' ? `200 ${p.status}` : p.kind)

/** An answer in the form of {@link predictionKey}. */
export const answerKey = (r: WireResponse): string => {
  const body = isObject(r.body) ? r.body : {}
  return r.status === 200 ? `200 ${String(body['status'])}` : `${r.status} ${String(body['errorCode'])}`
}

/**
 * A burst of wrong passwords for one user, sent concurrently. Whatever the interleaving, the
 * failures are counted one by one: with `r` attempts left before the lock, `r - 1` are answered
 * 401 and the rest as locked (LOCKED_OUT when shown), and the account ends locked exactly when
 * the burst reaches the limit (spec §9; ASVS V6.3.1).
 */
export class WrongGuessBurst implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly userIndex: number,
    readonly size: number,
  ) {}
  check = () => true
  async run(model: Model, real: Real): Promise<void> {
    const u = model.users[this.userIndex % model.users.length]
    if (u === undefined) return
    cover(real, 'NEW', `authenticate(burst of ${this.size} wrong)`)
    const canSignIn = u.status === 'ACTIVE' || u.status === 'PASSWORD_EXPIRED'
    const predictions: Prediction[] = []
    for (let i = 0; i < this.size; i++) predictions.push(canSignIn ? predictPrimary(model, u, false, false).prediction : err(401, 'E0000004'))
    const req = { username: u.login, password: 'Wrong-Burst-Pa55' }
    const answers = await Promise.all(predictions.map(() => real.driver.authenticate(req)))
    const expected = predictions.map(predictionKey).sort()
    for (const r of answers) {
      record(real, 'authenticate', req, r)
      noteExpected(real, r, `in any order, one of: ${expected.join('; ')}`)
    }
    const got = answers.map(answerKey).sort()
    if (JSON.stringify(expected) !== JSON.stringify(got))
      throw new ConformanceError('concurrent failures are counted one by one', `${this.toString()}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(got)}`)
  }
  toString = () => `WrongGuessBurst(user#${this.userIndex}, ${this.size})`
}

const malformedBodies = fc.oneof(
  fc.constantFrom<unknown>([], 'a string', 42, null, true),
  fc.record({ username: fc.oneof(fc.integer(), fc.boolean(), fc.constant(null)), password: fc.string({ maxLength: 8 }) }),
  fc.record({ stateToken: fc.oneof(fc.integer(), fc.constant(''), fc.string({ minLength: 257, maxLength: 300 })) }),
  fc.record({ username: fc.constant('x'), password: fc.string({ minLength: 257, maxLength: 300 }) }),
)

/** Every command the harness generates. Time-dependent ones only when the clock is controlled. */
export const commandArbitraries = (
  userCount: number,
  controlsClock: boolean,
  more: {
    /** The driver serves lifecycle operations (an administrator's API token). */
    readonly lifecycle?: boolean
    /** Concurrent bursts (left out where answers must be byte-for-byte reproducible). */
    readonly concurrent?: boolean
  } = {},
): Array<fc.Arbitrary<fc.AsyncCommand<Model, Real>>> => {
  const userIndex = fc.nat({ max: Math.max(0, userCount - 1) })
  // The latest transaction half of the time: flows go deep (enroll, activate, verify) rather than wide.
  const txIndex = fc.oneof(fc.constant(LATEST), fc.nat({ max: 50 }))
  return [
    fc
      .tuple(userIndex, fc.constantFrom<PasswordChoice>('correct', 'correct', 'wrong', 'previous'), fc.boolean(), fc.boolean(), fc.boolean())
      .map(([u, c, w, up, multi]) => new SignIn(u, c, w, up, multi)),
    // Runs of failures as long as small limits and a few more: a lockout off by one shows.
    fc.tuple(userIndex, fc.integer({ min: 1, max: 6 }), fc.boolean()).map(([u, n, then]) => new SignInRun(u, n, then)),
    fc.tuple(txIndex, fc.nat({ max: 3 }), fc.constantFrom<AnswerChoice>('right', 'right', 'right', 'wrong', 'unknown factor')).map(([i, f, c]) => new VerifyFactor(i, f, c)),
    fc.tuple(fc.nat({ max: 3 }), fc.integer({ min: 1, max: 4 }), fc.boolean()).map(([f, n, then]) => new VerifyRun(f, n, then)),
    fc.tuple(txIndex, fc.nat({ max: 5 })).map(([i, k]) => new EnrollFactor(i, k)),
    // Activation needs an enrollment just before it: offered more often so flows reach it.
    ...[1, 2, 3].map(() => fc.tuple(fc.constant(LATEST), fc.constantFrom(true, true, false)).map(([i, right]) => new ActivateFactor(i, right))),
    fc.tuple(userIndex, fc.boolean()).map(([u, v]) => new Activate(u, v)),
    fc.emailAddress().filter((l) => l.length < 200).map((l) => new SignInUnknown(`nobody.${l}`)),
    fc.tuple(txIndex, fc.constantFrom('getState', 'skip', 'previous', 'cancel') as fc.Arbitrary<'getState' | 'skip' | 'previous' | 'cancel'>).map(([i, op]) => new OnTransaction(i, op)),
    // The same on the newest MFA transaction (else the newest live one): every state meets them soon after it is reached.
    (fc.constantFrom('getState', 'skip', 'previous', 'cancel') as fc.Arbitrary<'getState' | 'skip' | 'previous' | 'cancel'>).map((op) => new OnTransaction(LATEST_MFA, op)),
    fc
      .tuple(txIndex, fc.boolean(), fc.constantFrom<NewPasswordChoice>('fresh', 'fresh', 'weak', 'current', 'previous'), fc.boolean())
      .map(([i, o, c, revoke]) => new ChangePassword(i, o, c, revoke)),
    // Right after a sign-in, a recent password again: the history rule is met where it applies.
    fc.constantFrom<NewPasswordChoice>('current', 'previous', 'fresh').map((c) => new ChangePassword(LATEST, true, c)),
    ...(more.concurrent === false ? [] : [fc.tuple(userIndex, fc.integer({ min: 2, max: 12 })).map(([u, n]) => new WrongGuessBurst(u, n))]),
    fc.tuple(txIndex, fc.constantFrom<NewPasswordChoice>('fresh', 'fresh', 'weak')).map(([i, c]) => new ResetPassword(i, c)),
    fc.nat({ max: 20 }).map((i) => new RedeemSession(i)),
    fc.constantFrom('authenticate', 'skip', 'previous', 'cancel' as const).map((op) => new UnknownToken(op)),
    fc.tuple(fc.constantFrom('authenticate', 'changePassword', 'skip', 'cancel' as const), malformedBodies).map(([op, b]) => new Malformed(op, b)),
    ...(more.lifecycle === true
      ? [
          fc
            .tuple(userIndex, fc.constantFrom<LifecycleOp>('unlock', 'unlock', 'unlock', 'suspend', 'unsuspend', 'unsuspend', 'expirePassword', 'deactivate'))
            .map(([u, op]) => new Lifecycle(u, op)),
        ]
      : []),
    ...(controlsClock
      ? [fc.constantFrom(1_000, 60_000, 240_000, 299_000, 301_000, 30 * 60_000, 86_400_000, 5 * 86_400_000).map((ms) => new AdvanceClock(ms))]
      : []),
  ]
}
