/**
 * Commands for step-up to apps (spec §4.2, §4.3; docs/adr/0028-step-up.md): primary authentication
 * with an `audience`, SP-initiated step-ups that wait for their user (UNAUTHENTICATED), and the
 * `original` link of a step-up SUCCESS, which leads to the app once. Generated only when the seed
 * has apps and the driver can follow the link (`Driver.stepUpRedirect`); SP-initiated ones only
 * when it can open them (`Driver.openStepUp`, a trusted caller).
 */
import fc from 'fast-check'
import type { WireResponse } from './driver.js'
import { ConformanceError, checking, cover, isObject, noteExpected, predictPrimary, expectAnswer, record, send, str, type Real } from './commands.js'
import { err, type Model, type ModelApp, type ModelTicket } from './model.js'

const WRONG_PASSWORD = 'Wrong-Pa55word'

/** Checks an UNAUTHENTICATED answer (spec §3.2): typed SESSION_STEP_UP, its app, only the `authenticate` link. */
const expectUnauthenticated = (model: Model, real: Real, what: string, r: WireResponse, expiresAt: number): string => {
  noteExpected(real, r, `200 status UNAUTHENTICATED typed SESSION_STEP_UP, a stateToken, expiresAt ${new Date(expiresAt).toISOString()}`)
  let token = ''
  checking(r, () => {
    const body = isObject(r.body) ? r.body : {}
    const got = JSON.stringify({ status: r.status, body: r.body })
    const links = isObject(body['_links']) ? body['_links'] : {}
    const next = isObject(links['next']) ? links['next'] : {}
    const embedded = isObject(body['_embedded']) ? body['_embedded'] : {}
    if (r.status !== 200 || body['status'] !== 'UNAUTHENTICATED' || body['type'] !== 'SESSION_STEP_UP')
      throw new ConformanceError('a step-up waits for its user in UNAUTHENTICATED', `${what}: ${got}`)
    if (str(body['stateToken']) === undefined) throw new ConformanceError('live transactions carry a state token', `${what}: ${got}`)
    if (Object.keys(links).join() !== 'next' || next['name'] !== 'authenticate' || 'user' in embedded || !isObject(embedded['target']) || !isObject(embedded['authentication']))
      throw new ConformanceError('UNAUTHENTICATED shows its app and the authenticate link only', `${what}: ${got}`)
    if (real.controlsClock && body['expiresAt'] !== new Date(expiresAt).toISOString())
      throw new ConformanceError('a step-up ticket lives for the state token\'s longest life', `${what}: expected expiresAt ${new Date(expiresAt).toISOString()}, got ${got}`)
    token = str(body['stateToken']) ?? ''
  })
  void model
  return token
}

/** The app of `index`: one of the seed's, or (past them) one nobody configured. */
const appAt = (model: Model, index: number): ModelApp | null => (index < model.apps.length ? (model.apps[index] ?? null) : null)

/** `POST /api/v1/authn` with `audience` (IdP-initiated step-up, spec §4.3). */
export class SignInToApp implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly userIndex: number,
    readonly appIndex: number,
    readonly correct: boolean,
  ) {}
  check = () => true
  async run(model: Model, real: Real): Promise<void> {
    const u = model.users[this.userIndex % model.users.length]
    if (u === undefined) return
    const app = appAt(model, this.appIndex)
    const password = this.correct ? (u.password ?? 'no-password-at-all') : WRONG_PASSWORD
    const ok = u.password !== null && password === u.password
    const req = { username: u.login, password, audience: app?.id ?? '0oanobodyconfigured' }
    if (app === null || !app.active) {
      // Refused before any password is checked (spec §4.1): nothing counts toward lockout.
      cover(real, 'NEW', `authenticate(audience ${app === null ? 'unknown' : 'inactive'})`)
      const r = await send(real, 'authenticate', req)
      expectAnswer(model, real, this.toString(), err(400, 'E0000001'), r)
      return
    }
    cover(real, 'NEW', `authenticate(audience, ${ok ? 'correct' : 'wrong'})`)
    const p = predictPrimary(model, u, ok, false, false, false, app)
    const r = await send(real, 'authenticate', req)
    expectAnswer(model, real, this.toString(), p.prediction, r)
    p.commit(r)
  }
  toString = () => `SignInToApp(user#${this.userIndex}, app#${this.appIndex}, ${this.correct ? 'correct' : 'wrong'})`
}

/** A trusted caller opens an SP-initiated step-up (spec §4.2 step 1): UNAUTHENTICATED, or 400 for an inactive app. */
export class OpenStepUp implements fc.AsyncCommand<Model, Real> {
  constructor(readonly appIndex: number) {}
  check = (model: Readonly<Model>) => model.apps.length > 0
  async run(model: Model, real: Real): Promise<void> {
    const open = real.driver.openStepUp
    const app = model.apps[this.appIndex % model.apps.length]
    if (open === undefined || app === undefined) return
    cover(real, 'NEW', `openStepUp(${app.active ? 'active' : 'inactive'})`)
    const request = { appId: app.id }
    const r = await open(request)
    record(real, 'openStepUp', request, r)
    if (!app.active) return expectAnswer(model, real, this.toString(), err(400, 'E0000001'), r)
    const expiresAt = model.now + model.options.stateTokenMaxLifetimeMs
    const stateToken = expectUnauthenticated(model, real, this.toString(), r, expiresAt)
    model.tickets.push({ stateToken, app, expiresAt })
  }
  toString = () => `OpenStepUp(app#${this.appIndex})`
}

/** UNAUTHENTICATED (spec §4.2 steps 2–3): get-state, a cancel (not offered: refused), or primary authentication. */
export class OnTicket implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly ticketIndex: number,
    readonly action: 'getState' | 'cancel' | 'signIn',
    readonly userIndex: number,
    readonly correct: boolean,
  ) {}
  check = (model: Readonly<Model>) => model.tickets.length > 0
  async run(model: Model, real: Real): Promise<void> {
    const ticket: ModelTicket | undefined = model.tickets[this.ticketIndex % model.tickets.length]
    if (ticket === undefined) return
    const live = model.now < ticket.expiresAt
    const state = live ? 'UNAUTHENTICATED' : 'DEAD'
    const { stateToken } = ticket
    if (this.action === 'getState') {
      cover(real, state, 'getState')
      const r = await send(real, 'authenticate', { stateToken })
      if (!live) return expectAnswer(model, real, this.toString(), err(401, 'E0000011'), r)
      const again = expectUnauthenticated(model, real, this.toString(), r, ticket.expiresAt)
      if (again !== stateToken) throw new ConformanceError('get-state answers the same state token', `${this.toString()}: ${again}`)
      return
    }
    if (this.action === 'cancel') {
      cover(real, state, 'cancel(refused)')
      const r = await send(real, 'cancel', { stateToken })
      return expectAnswer(model, real, this.toString(), live ? err(403, 'E0000079') : err(401, 'E0000011'), r)
    }
    const u = model.users[this.userIndex % model.users.length]
    if (u === undefined) return
    const password = this.correct ? (u.password ?? 'no-password-at-all') : WRONG_PASSWORD
    const ok = u.password !== null && password === u.password
    cover(real, state, `authenticate(${ok ? 'correct' : 'wrong'})`)
    const req = { stateToken, username: u.login, password }
    if (!live) {
      const r = await send(real, 'authenticate', req)
      return expectAnswer(model, real, this.toString(), err(401, 'E0000011'), r)
    }
    const p = predictPrimary(model, u, ok, false, false, false, ticket.app)
    const r = await send(real, 'authenticate', req)
    expectAnswer(model, real, this.toString(), p.prediction, r)
    p.commit(r)
  }
  toString = () => `OnTicket(ticket#${this.ticketIndex}, ${this.action}${this.action === 'signIn' ? `, user#${this.userIndex}, ${this.correct ? 'correct' : 'wrong'}` : ''})`
}

/**
 * Follows the `original` link of a step-up SUCCESS (spec §4.2 step 4): to the app's return URL
 * once; then, or once expired, or when its user can no longer sign in, 401 E0000011.
 */
export class FollowOriginal implements fc.AsyncCommand<Model, Real> {
  constructor(readonly redirectIndex: number) {}
  check = (model: Readonly<Model>) => model.redirects.length > 0
  async run(model: Model, real: Real): Promise<void> {
    const follow = real.driver.stepUpRedirect
    // MAX_SAFE_INTEGER: the newest link.
    const rd = this.redirectIndex === Number.MAX_SAFE_INTEGER ? model.redirects[model.redirects.length - 1] : model.redirects[this.redirectIndex % model.redirects.length]
    if (follow === undefined || rd === undefined) return
    const user = model.user(rd.login)
    const userOk = user !== undefined && (user.status === 'ACTIVE' || user.status === 'PASSWORD_EXPIRED') && user.lockedAt === null
    const usable = !rd.used && model.now < rd.expiresAt
    cover(real, usable ? 'ORIGINAL:LIVE' : 'ORIGINAL:SPENT', `stepUpRedirect${usable && !userOk ? '(user cannot sign in)' : ''}`)
    const r = await follow(rd.token)
    record(real, 'stepUpRedirect', { stateToken: rd.token }, r)
    if (usable) rd.used = true
    if (!usable || !userOk) return expectAnswer(model, real, this.toString(), err(401, 'E0000011'), r)
    noteExpected(real, r, `302 to ${rd.app.returnUrl}`)
    checking(r, () => {
      const location = isObject(r.body) ? r.body['location'] : undefined
      if (r.status !== 302 || location !== rd.app.returnUrl)
        throw new ConformanceError('the `original` link leads to the app\'s configured return URL, once', `${this.toString()}: ${JSON.stringify(r)}`)
    })
  }
  toString = () => `FollowOriginal(${this.redirectIndex === Number.MAX_SAFE_INTEGER ? 'newest' : `redirect#${this.redirectIndex}`})`
}

/** The step-up commands of a run over an org with `apps` apps and `users` users. */
export const stepUpArbitraries = (users: number, apps: number, sp: boolean): ReadonlyArray<fc.Arbitrary<fc.AsyncCommand<Model, Real>>> => {
  const user = fc.nat({ max: Math.max(0, users - 1) })
  // One index past the apps names an app nobody configured.
  const app = fc.nat({ max: apps })
  return [
    fc.tuple(user, app, fc.boolean()).map(([u, a, c]) => new SignInToApp(u, a, c)),
    fc.tuple(user, fc.nat({ max: Math.max(0, apps - 1) }), fc.constant(true)).map(([u, a, c]) => new SignInToApp(u, a, c)),
    // Twice: a SUCCESS's link is worth following more often than any one sign-in is worth sending.
    fc.nat({ max: 7 }).map((i) => new FollowOriginal(i)),
    fc.constant(new FollowOriginal(Number.MAX_SAFE_INTEGER)),
    ...(sp
      ? [
          fc.nat({ max: Math.max(0, apps - 1) }).map((a) => new OpenStepUp(a)),
          fc
            .tuple(fc.nat({ max: 7 }), fc.constantFrom('getState' as const, 'cancel' as const, 'signIn' as const, 'signIn' as const), user, fc.boolean())
            .map(([t, a, u, c]) => new OnTicket(t, a, u, c)),
        ]
      : []),
  ]
}
