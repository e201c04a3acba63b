import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import {
  PrimaryAuthRequest,
  StepUpRequest,
  stepUpOf,
  asTransactionId,
  asVersion,
  blankUser,
  decoyOf,
  emptyStepWrite,
  lockedNow,
  decideStart,
  effectiveLockout,
  failure,
  initialContext,
  type AuthnEvent,
  type AuthnInput,
  type EpochMs,
  type FactorRecord,
  type LockoutCounters,
  type Policies,
  type AuthnRecord,
  type TransactionId,
  type UserId,
  type UserRecord,
  type StepUpContext,
} from '@authn-machine/core'
import type { Authn, Call, Result, AuthnReply } from '../api.js'
import { hashToken } from '../defaults.js'
import { authnDecision } from '../flows.js'
import { failed, fromStore, ACTIVE_SIGN_IN_STATUSES } from '../pipeline.js'
import type { StepError, Pipeline } from '../pipeline.js'
import { isStepUpTicket } from '../step-up-ticket.js'
import { unknownApp, type StepUp } from './step-up.js'

/**
 * Primary authentication: a new transaction by password (attempts reserved before hashing) or
 * activation token; for a step-up, with its app (`audience`, a ticket), or opened by a trusted
 * caller for a user whose session it knows.
 */
export const primaryOperations = (p: Pipeline, stepUp: StepUp): Pick<Authn, 'authenticate' | 'getState' | 'openStepUp'> => {
  const { deps, registry, settings, mint, admit, dummyHash, audit, decodeBody, hasherFailed, auditEffects, release, effectsWrite, epochAfter, respond, finish, step, getState } = p

  // ---------------------------------------------------------------------------------------------
  // New transactions: primary authentication by password or activation token.

  /**
   * Starts a transaction from a decided primary authentication, in ONE write with its credential
   * effects: the guarded reset of the counter (refused when a lock came first), the activation
   * claim, the session token. A refused write is answered as what refused it. `afterCommit` runs
   * once the write is applied and audited, before the answer (which it cannot change).
   */
  const startTransaction = async (
    op: string,
    input: AuthnInput,
    event: AuthnEvent,
    sessionToken: string,
    call: Call,
    leaseId: string | null,
    afterCommit: ((id: TransactionId) => Promise<void>) | null = null,
  ): Promise<E.Either<StepError, AuthnReply>> => {
    const d = decideStart(input, event)
    const now = input.now
    const userId = input.user.id
    if (d.state === 'FAILED' || d.state === 'LOCKED_OUT') {
      if (leaseId !== null) {
        const released = await release(userId, leaseId)
        if (E.isLeft(released)) return E.left(fromStore(released.left))
      }
      await audit(`${op}.${d.failure?.code ?? d.state}`, null, userId, now)()
      return respond(authnDecision(d), null, null, call, now)
    }
    const stateToken = mint.stateToken()
    const id = asTransactionId(mint.transactionId())
    const parts = effectsWrite(d.effects, input.policy, id, leaseId)
    const record: AuthnRecord = {
      schemaVersion: 1,
      id,
      kind: 'authn',
      stateTokenHash: hashToken(stateToken),
      version: asVersion(1),
      state: d.state,
      context: d.snapshot.context,
      createdAt: now,
      credentialEpoch: epochAfter(input.user.credentialEpoch, parts.userChanges),
      expiresAt: d.snapshot.context.expiresAt,
    }
    const committed = await deps.steps.commit({
      ...emptyStepWrite(userId, now),
      ...parts,
      expectedEpoch: input.user.credentialEpoch,
      claimActivation: input.flow === 'ACTIVATION',
      transaction: { kind: 'create', record, event, start: initialContext(input) },
    })()
    if (E.isLeft(committed)) return E.left(fromStore(committed.left))
    const outcome = committed.right
    if (outcome._tag === 'Refused') {
      // A lock set while the password was being verified wins over the success (the request is
      // answered as locked); a credential change or a claimed activation token: authentication failed.
      const locked = outcome.reason === 'locked'
      const answer = locked
        ? decideStart({ ...input, lockedOut: true }, { type: 'primary.rejected', now, lockedAfter: true })
        : null
      await audit(`${op}.${answer?.failure?.code ?? (answer === null ? `E0000004.${outcome.reason}` : answer.state)}`, null, userId, now)()
      return answer === null ? E.left({ _tag: 'Failed', failure: failure('E0000004'), audited: true }) : respond(authnDecision(answer), null, null, call, now)
    }
    await auditEffects(d.effects, record.id, now)
    await audit(`${op}.${d.state}`, record.id, userId, now)()
    if (afterCommit !== null) await afterCommit(record.id)
    return respond(authnDecision(d), d.state === 'SUCCESS' ? null : stateToken, sessionToken, call, now)
  }

  const inputFor = (
    user: UserRecord,
    factors: ReadonlyArray<FactorRecord>,
    policy: Policies,
    req: PrimaryAuthRequest,
    flow: AuthnInput['flow'],
    call: Call,
    now: EpochMs,
    counters: LockoutCounters = user,
    app: StepUpContext | null = null,
  ): AuthnInput => {
    const lock = effectiveLockout(counters, policy.password.lockout, now)
    // The device the user asked to remember (spec §6.6), unexpired. The binding passes only a device
    // it vouches for: a trusted caller's `context.deviceToken`, or the device cookie it set itself.
    const device = call.context.deviceToken !== null ? hashToken(call.context.deviceToken) : null
    return {
      factors: factors.map(registry.view),
      deviceTokenHash: device,
      deviceRemembered: device !== null && policy.signOn.allowRememberDevice && user.rememberedDevices.some((d) => d.hash === device && now < d.until),
      user: { ...user, failedAttempts: lock.failedAttempts },
      flow,
      policy,
      options: {
        warnBeforePasswordExpired: req.options?.warnBeforePasswordExpired ?? false,
        multiOptionalFactorEnroll: req.options?.multiOptionalFactorEnroll ?? false,
      },
      relayState: req.relayState ?? null,
      now,
      lifetimeMs: settings.stateTokenLifetimeMs,
      maxLifetimeMs: settings.stateTokenMaxLifetimeMs,
      sessionLifetimeMs: settings.sessionTokenLifetimeMs,
      lockedOut: lock.lockedOut,
      stepUp: app,
    }
  }

  /** Verifies `password` against the dummy hash: what a verification costs, for a user who has none to check. */
  const verifyDummy = (password: string): TE.TaskEither<StepError, boolean> =>
    pipe(
      dummyHash(),
      TE.chain((h) => pipe(deps.hasher.verify(h, password), TE.mapLeft(hasherFailed))),
    )

  /**
   * Rewrites `stored` with the current parameters when the hasher says they changed (ASVS V11.2.2,
   * docs/adr/0015-password-rehash.md): `password` has just verified against it. A compare-and-set
   * on `stored`, so a password change that came first wins. Answers the audit entry (null: nothing
   * to do); a HasherBusy (the queue is full, ADR 0014) skips it until the next sign-in.
   */
  const rehash = async (userId: UserId, stored: string, password: string): Promise<string | null> => {
    if (deps.hasher.needsRehash?.(stored) !== true) return null
    const fresh = await deps.hasher.hash(password)()
    if (E.isLeft(fresh)) return `effect.rehashPassword.${fresh.left._tag}`
    const replaced = await deps.users.rehashPassword(userId, stored, fresh.right)()
    if (E.isLeft(replaced)) return `effect.rehashPassword.${replaced.left._tag}`
    return replaced.right ? 'effect.rehashPassword' : 'effect.rehashPassword.superseded'
  }

  /**
   * Best effort: whatever happens (a throw included) is only audited; the answer, decided and
   * committed before, stays. Only a known user's CORRECT password gets here, after its success was
   * committed: a wrong password, an unknown login and a locked account never do, so the failure
   * paths that ADR 0011 keeps equal cost what they cost. Awaited rather than left running after
   * the answer, so that the plaintext is not kept past the request (and a shutdown that waits for
   * requests waits for it).
   */
  const rehashAfterSuccess =
    (userId: UserId, stored: string, password: string) =>
    async (id: TransactionId): Promise<void> => {
      const what = await rehash(userId, stored, password).catch(() => 'effect.rehashPassword.threw')
      if (what !== null) await audit(what, id, userId, deps.clock.now())()
    }

  const byPassword =
    (req: PrimaryAuthRequest & { username: string; password: string }, call: Call, app: StepUpContext | null = null): TE.TaskEither<StepError, AuthnReply> =>
    async () => {
      const authFailed = E.left(failed(failure('E0000004')))
      const leaseId = mint.leaseId()
      const reservedAt = deps.clock.now()
      // One round trip finds the user and reserves the attempt before anything is verified.
      const reserved = await deps.steps.reserveAttempt(req.username, { id: leaseId, until: reservedAt + settings.attemptLeaseMs }, reservedAt)()
      if (E.isLeft(reserved) && reserved.left._tag !== 'NotFound') return E.left(fromStore(reserved.left))
      if (E.isLeft(reserved)) {
        // Unknown user: decided as a known user with no password, whose attempt was reserved on the
        // login's decoy. The same policy lookup, verification, writes (the decoy's lease, then its
        // settled failure) and decision as a known user's wrong password, so both cost the same and
        // get the same answer (docs/adr/0011-indistinguishable-users.md).
        const decoy = blankUser(decoyOf(req.username), req.username)
        const policy = await deps.policies.forUser(decoy, call.context)()
        if (E.isLeft(policy)) return E.left(fromStore(policy.left))
        const spent = await verifyDummy(req.password)()
        if (E.isLeft(spent)) return E.left(spent.left)
        const now = deps.clock.now()
        const settled = await deps.steps.settleUnknown(req.username, leaseId, policy.right.password.lockout, now)()
        if (E.isLeft(settled)) return E.left(fromStore(settled.left))
        const d = decideStart(inputFor(decoy, [], policy.right, req, 'PASSWORD', call, now, decoy, app), { type: 'primary.rejected', now, lockedAfter: false })
        await audit('authenticate.unknownUser', null, null, now)()
        return E.left(failed(d.failure ?? failure('E0000004')))
      }
      const { user, ahead, factors } = reserved.right
      const giveBack = async (e: E.Either<StepError, AuthnReply>) => {
        const released = await release(user.id, leaseId)
        return E.isLeft(released) ? E.left(fromStore(released.left)) : e
      }
      const policy = await deps.policies.forUser(user, call.context)()
      if (E.isLeft(policy)) return giveBack(E.left(fromStore(policy.left)))
      const lockout = policy.right.password.lockout
      const admission = await admit(user.id, leaseId, lockout, { counters: user, ahead })
      if (E.isLeft(admission)) return giveBack(admission)
      if (admission.right === 'busy') {
        await audit('authenticate.E0000047.attemptsBusy', null, user.id, deps.clock.now())()
        return giveBack(E.left({ _tag: 'Failed', failure: failure('E0000047', ['Too many sign-in attempts for this account are in progress. Retry later.']), audited: true }))
      }
      if (admission.right !== 'admitted') {
        // Locked before verifying: answered as locked (a user who may not sign in at all: as a
        // failure), and the user's hash is not verified; a dummy one is, so that a locked account
        // costs what an unknown login costs when the lockout is hidden (ADR 0011).
        const spent = await verifyDummy(req.password)()
        if (E.isLeft(spent)) return giveBack(E.left(spent.left))
        const now = deps.clock.now()
        if (!ACTIVE_SIGN_IN_STATUSES.includes(user.status)) return giveBack(authFailed)
        const input = inputFor(user, factors, policy.right, req, 'PASSWORD', call, now, admission.right.locked, app)
        return giveBack(await startTransaction('authenticate', input, { type: 'primary.rejected', now, lockedAfter: true }, '', call, null))
      }
      const stored = user.credentials.passwordHash
      const against = stored === null ? await dummyHash()() : E.right<StepError, string>(stored)
      if (E.isLeft(against)) return giveBack(against)
      const verified = await deps.hasher.verify(against.right, req.password)()
      if (E.isLeft(verified)) return giveBack(E.left(hasherFailed(verified.left)))
      const now = deps.clock.now()
      if (!ACTIVE_SIGN_IN_STATUSES.includes(user.status)) {
        await audit(`authenticate.E0000004.${user.status}`, null, user.id, now)()
        return giveBack(E.left({ _tag: 'Failed', failure: failure('E0000004'), audited: true }))
      }
      if (verified.right && stored !== null) {
        const sessionToken = mint.sessionToken()
        const event: AuthnEvent = { type: 'primary.verified', now, sessionTokenHash: hashToken(sessionToken) }
        const input = inputFor(user, factors, policy.right, req, 'PASSWORD', call, now, user, app)
        return startTransaction('authenticate', input, event, sessionToken, call, leaseId, rehashAfterSuccess(user.id, stored, req.password))
      }
      // A wrong password is recorded first; the answer comes from the state that recording produced.
      const recorded = await deps.steps.commit({
        ...emptyStepWrite(user.id, now),
        attempt: { leaseId, outcome: { type: 'failure', lockout } },
      })()
      if (E.isLeft(recorded)) return E.left(fromStore(recorded.left))
      const after = recorded.right.user
      const event: AuthnEvent = { type: 'primary.rejected', now, lockedAfter: lockedNow(after, lockout, now) }
      await audit('effect.recordFailedAttempt', null, user.id, now)()
      return startTransaction('authenticate', inputFor(user, factors, policy.right, req, 'PASSWORD', call, now, user, app), event, '', call, null)
    }

  const byActivationToken =
    (req: PrimaryAuthRequest & { token: string }, call: Call): TE.TaskEither<StepError, AuthnReply> =>
    async () => {
      const now = deps.clock.now()
      const found = await deps.users.findByActivationToken(hashToken(req.token))()
      if (E.isLeft(found)) return E.left(found.left._tag === 'NotFound' ? failed(failure('E0000004')) : fromStore(found.left))
      const user = found.right
      const policy = await deps.policies.forUser(user, call.context)()
      if (E.isLeft(policy)) return E.left(fromStore(policy.left))
      const factors = await deps.factors.listByUser(user.id)()
      if (E.isLeft(factors)) return E.left(fromStore(factors.left))
      const sessionToken = mint.sessionToken()
      const event: AuthnEvent = { type: 'primary.verified', now, sessionTokenHash: hashToken(sessionToken) }
      return startTransaction('activate', inputFor(user, factors.right, policy.right, req, 'ACTIVATION', call, now), event, sessionToken, call, null)
    }

  /** The blank-field causes of a primary authentication without a username and password. */
  const credentialsMissing = (req: PrimaryAuthRequest): StepError =>
    failed(
      failure(
        'E0000001',
        [
          ...(req.username === undefined || req.username === '' ? ['username: The field cannot be left blank'] : []),
          ...(req.password === undefined ? ['password: The field cannot be left blank'] : []),
        ],
        'authRequest',
      ),
    )

  const withPassword = (req: PrimaryAuthRequest): (PrimaryAuthRequest & { username: string; password: string }) | null =>
    req.username !== undefined && req.password !== undefined && req.username !== '' ? { ...req, username: req.username, password: req.password } : null

  /** A step-up's primary authentication (spec §4.2 step 3, §4.3): the password, then the app's policy with the org's. */
  const stepUpByPassword = (req: PrimaryAuthRequest, call: Call, app: TE.TaskEither<StepError, { readonly id: string }>): TE.TaskEither<StepError, AuthnReply> => {
    const credentials = withPassword(req)
    if (credentials === null) return TE.left(credentialsMissing(req))
    return pipe(
      app as TE.TaskEither<StepError, Parameters<typeof stepUpOf>[0]>,
      TE.chain((a) => byPassword(credentials, call, stepUpOf(a, null, deps.clock.now()))),
    )
  }

  /** Get-state (spec §4.4), of a stored transaction or of a step-up waiting for its user (UNAUTHENTICATED). */
  const getStateOf = (body: unknown, call: Call): Result => {
    const token = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>)['stateToken'] : undefined
    if (typeof token !== 'string' || !isStepUpTicket(token)) return getState(body, call)
    return finish(
      'getState',
      pipe(
        stepUp.ticketApp(token, deps.clock.now()),
        TE.map(({ ticket, app }) => stepUp.renderTicket(token, ticket, app, call)),
      ),
    )
  }

  const authenticate = (body: unknown, call: Call): Result =>
    pipe(
      decodeBody(PrimaryAuthRequest, 'authRequest')(body),
      E.fold(
        (e) => finish('authenticate', TE.left(e)),
        (req) => {
          const hasCredentials = req.username !== undefined || req.password !== undefined || req.token !== undefined
          if (req.stateToken !== undefined && !hasCredentials) return getStateOf({ stateToken: req.stateToken }, call)
          if (req.stateToken !== undefined && isStepUpTicket(req.stateToken))
            // SP-initiated step-up (spec §4.2 step 3): the ticket's app, still active.
            return finish('authenticate', stepUpByPassword(req, call, pipe(stepUp.ticketApp(req.stateToken, deps.clock.now()), TE.map(({ app }) => app))))
          if (req.stateToken !== undefined)
            // A stored transaction is past UNAUTHENTICATED: primary authentication is not allowed in it.
            return finish(
              'authenticate',
              step('authenticate', req.stateToken, 'primary.verified', call, () => TE.left(failed(failure('E0000079'))), null),
            )
          if (req.audience !== undefined)
            // IdP-initiated step-up (spec §4.3): an unknown or inactive app is refused before any password is checked.
            return finish('authenticate', stepUpByPassword(req, call, stepUp.audienceApp(req.audience)))
          if (req.token !== undefined) return finish('activate', byActivationToken({ ...req, token: req.token }, call))
          const credentials = withPassword(req)
          if (credentials !== null) return finish('authenticate', byPassword(credentials, call))
          return finish('authenticate', TE.left(credentialsMissing(req)))
        },
      ),
    )

  /**
   * SP-initiated step-up opened by a trusted caller (spec §4.2 step 1; docs/adr/0028-step-up.md).
   * Without `login`: UNAUTHENTICATED, a ticket for the sign-in page. With it: the user's session is
   * vouched for by the caller, so no password is asked; the transaction starts as after primary
   * authentication, under the app's policy (a factor verified at `factorVerifiedAt`, within the
   * app's factor lifetime, meets its factor requirement).
   */
  const openStepUp = (body: unknown, call: Call): Result =>
    finish(
      'openStepUp',
      pipe(
        TE.fromEither(decodeBody(StepUpRequest, 'stepUpRequest')(body)),
        TE.chain((req) => {
          const now = deps.clock.now()
          const verifiedAt = req.factorVerifiedAt === undefined ? null : Date.parse(req.factorVerifiedAt)
          if (verifiedAt !== null && !Number.isFinite(verifiedAt))
            return TE.left(failed(failure('E0000001', ['factorVerifiedAt: Expected an ISO 8601 date and time'], 'stepUpRequest')))
          return pipe(
            stepUp.findApp(req.appId),
            TE.mapLeft((e) => (e === 'missing' ? failed(unknownApp(req.appId)) : e)),
            TE.chain((app) =>
              app.status === 'ACTIVE' ? TE.right(app) : TE.left(failed(failure('E0000001', [`Sign in not allowed for app '${app.id}'.`], 'stepUpRequest'))),
            ),
            TE.chain((app): TE.TaskEither<StepError, AuthnReply> => {
              if (req.login === undefined) {
                const { stateToken, ticket } = stepUp.issueTicket(app, now)
                return pipe(
                  TE.fromTask(audit('openStepUp.UNAUTHENTICATED', null, null, now)),
                  TE.map(() => stepUp.renderTicket(stateToken, ticket, app, call)),
                )
              }
              return bySession(req.login, req.relayState ?? null, stepUpOf(app, verifiedAt, now), call)
            }),
          )
        }),
      ),
    )

  /** A step-up for the user of a session the trusted caller knows: no password, the user's state as it is. */
  const bySession =
    (login: string, relayState: string | null, app: StepUpContext, call: Call): TE.TaskEither<StepError, AuthnReply> =>
    async () => {
      const found = await deps.users.findByLogin(login)()
      if (E.isLeft(found)) return E.left(found.left._tag === 'NotFound' ? failed(failure('E0000007', [], `${login} (User)`)) : fromStore(found.left))
      const user = found.right
      const now = deps.clock.now()
      if (!ACTIVE_SIGN_IN_STATUSES.includes(user.status)) {
        await audit(`openStepUp.E0000004.${user.status}`, null, user.id, now)()
        return E.left({ _tag: 'Failed', failure: failure('E0000004'), audited: true })
      }
      const policy = await deps.policies.forUser(user, call.context)()
      if (E.isLeft(policy)) return E.left(fromStore(policy.left))
      const factors = await deps.factors.listByUser(user.id)()
      if (E.isLeft(factors)) return E.left(fromStore(factors.left))
      const sessionToken = mint.sessionToken()
      const event: AuthnEvent = { type: 'primary.verified', now, sessionTokenHash: hashToken(sessionToken) }
      const input = inputFor(user, factors.right, policy.right, relayState === null ? {} : { relayState }, 'SESSION', call, now, user, app)
      return startTransaction('openStepUp', input, event, sessionToken, call, null)
    }

  return { authenticate, getState: getStateOf, openStepUp }
}
