import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import type * as t from 'io-ts'
import {
  ChangePasswordRequest,
  PrimaryAuthRequest,
  ResetPasswordRequest,
  SessionTokenRequest,
  StateTokenRequest,
  asTransactionId,
  asVersion,
  changeMovesEpoch,
  emptyStepWrite,
  lockedNow,
  decide,
  decideStart,
  describeDecodeErrors,
  effectiveLockout,
  failure,
  httpStatusOf,
  initialContext,
  meetsPasswordPolicy,
  passwordFeatures,
  precheck,
  renderError,
  renderTransaction,
  restoreAuthn,
  type AuditSink,
  type AuthnEffect,
  type AuthnEvent,
  type AuthnFailure,
  type AuthnInput,
  type Clock,
  type Decision,
  type EpochMs,
  type Hasher,
  type IssuedToken,
  type LockoutCounters,
  type LogEntry,
  type OktaErrorBody,
  type PasswordCandidate,
  type Policies,
  type PolicySource,
  type Random,
  type RequestContext,
  type StepStore,
  type StepWrite,
  type StoreError,
  type TransactionId,
  type TransactionJson,
  type TransactionRecord,
  type TransactionStore,
  type UserChange,
  type UserId,
  type UserRecord,
  type UserStore,
} from '@authn-machine/core'
import { hashToken, tokens } from './defaults.js'

/** Lifetimes the spec leaves open; see docs/adr/0003-tokens-and-lifetimes.md. */
export interface AuthnSettings {
  /** Sliding lifetime of a state token, extended by every accepted request. Default 5 minutes. */
  readonly stateTokenLifetimeMs: number
  /** Absolute cap on a state token's life, however often it slides. Default 60 minutes. */
  readonly stateTokenMaxLifetimeMs: number
  /** Lifetime of a one-time session token. Default 5 minutes (Okta's). */
  readonly sessionTokenLifetimeMs: number
  /** How often a step that lost a compare-and-set race is retried on the fresh state. Default 2. */
  readonly conflictRetries: number
  /**
   * How long a reserved attempt holds its place if its process dies before settling it. Default
   * 30 s: far above one hash, so live attempts never lapse (docs/adr/0008-credential-state.md).
   */
  readonly attemptLeaseMs: number
  /**
   * How long a password attempt waits for the attempts ahead of it when all the account's remaining
   * attempts are being verified. Past it: 429 E0000047. Default 10 s.
   */
  readonly attemptWaitMs: number
}

export const DEFAULT_SETTINGS: AuthnSettings = {
  stateTokenLifetimeMs: 5 * 60_000,
  stateTokenMaxLifetimeMs: 60 * 60_000,
  sessionTokenLifetimeMs: 5 * 60_000,
  conflictRetries: 2,
  attemptLeaseMs: 30_000,
  attemptWaitMs: 10_000,
}

export interface AuthnDeps {
  readonly transactions: TransactionStore
  readonly users: UserStore
  /** The atomic unit of work over the same storage: every step's whole write goes through it. */
  readonly steps: StepStore
  readonly policies: PolicySource
  readonly hasher: Hasher
  readonly clock: Clock
  readonly random: Random
  readonly audit: AuditSink
  readonly settings?: Partial<AuthnSettings>
  /** Waits `ms` (an attempt waiting for the ones ahead of it). Default: a timer. */
  readonly sleep?: (ms: number) => Promise<void>
}

/** Who is calling and where responses' links must point. */
export interface Call {
  /** Absolute origin for `_links` hrefs, e.g. `https://login.example.com` (no trailing slash needed). */
  readonly baseUrl: string
  readonly context: RequestContext
}

/** A response: HTTP status and JSON body. Failures are the same shape with an Okta error body. */
export interface Reply<B> {
  readonly status: number
  readonly body: B
}
export type AuthnReply = Reply<TransactionJson>
export type ErrorReply = Reply<OktaErrorBody>
export type Result<B = TransactionJson> = TE.TaskEither<ErrorReply, Reply<B>>

export interface RedeemedSession {
  readonly userId: UserId
  readonly transactionId: TransactionId
}

/** One method per operation of `/api/v1/authn`. Every method takes the raw JSON body and never throws. */
export interface Authn {
  /** `POST /api/v1/authn`: primary authentication (password or activation token), or get-state. */
  readonly authenticate: (body: unknown, call: Call) => Result
  /** `POST /api/v1/authn` with only `stateToken`. */
  readonly getState: (body: unknown, call: Call) => Result
  readonly changePassword: (body: unknown, call: Call) => Result
  readonly resetPassword: (body: unknown, call: Call) => Result
  readonly skip: (body: unknown, call: Call) => Result
  readonly previous: (body: unknown, call: Call) => Result
  /** Answers `{ relayState }`, as Okta does. */
  readonly cancel: (body: unknown, call: Call) => Result<{ readonly relayState: string }>
  /** Redeems a one-time session token (`{ sessionToken }`), as a Sessions API would. */
  readonly redeemSessionToken: (body: unknown, call: Call) => Result<RedeemedSession>
  /**
   * An administrator's lifecycle operation on a user (Okta's Users API
   * `/api/v1/users/{id}/lifecycle/…`), written atomically with its credential epoch: every live
   * transaction of the user ends, and lock, suspend and deactivate revoke unredeemed session tokens.
   */
  readonly lifecycle: (userId: string, operation: LifecycleOperation) => Result<LifecycleJson>
  /** The transaction's log (for audit and replay), by its state token. */
  readonly readLog: (stateToken: string) => TE.TaskEither<ErrorReply, { readonly record: TransactionRecord; readonly log: ReadonlyArray<LogEntry> }>
}

export type LifecycleOperation = 'lock' | 'unlock' | 'suspend' | 'unsuspend' | 'deactivate' | 'expirePassword'
export const LIFECYCLE_OPERATIONS: ReadonlyArray<LifecycleOperation> = ['lock', 'unlock', 'suspend', 'unsuspend', 'deactivate', 'expirePassword']

/** What a lifecycle operation answers: `{}` as Okta does, the user for `expirePassword`. */
export type LifecycleJson =
  | Record<string, never>
  | {
      readonly id: string
      readonly status: UserRecord['status']
      readonly passwordChanged: string | null
      readonly profile: { readonly login: string; readonly firstName: string; readonly lastName: string }
    }

/** `audited`: the failure came from a decision that was already written to the audit sink. */
type Failed = { readonly _tag: 'Failed'; readonly failure: AuthnFailure; readonly audited?: true }
type Lost = { readonly _tag: 'Lost' }
type StepError = Failed | Lost

const failed = (f: AuthnFailure): StepError => ({ _tag: 'Failed', failure: f })
const lost: Lost = { _tag: 'Lost' }

const fromStore = (e: StoreError): StepError => storeFailure(e)

/** How a storage error is answered. */
const storeFailure = (e: StoreError): Failed => {
  switch (e._tag) {
    case 'NotFound':
    case 'AlreadyConsumed':
      return { _tag: 'Failed', failure: failure('E0000011') }
    case 'VersionConflict':
      return { _tag: 'Failed', failure: failure('E0000079', ['The transaction was changed by a concurrent request. Get its state and retry.']) }
    case 'Corrupt':
      return { _tag: 'Failed', failure: failure('E0000009', ['A stored record could not be read.']) }
    case 'Conflict':
    case 'Unavailable':
      return { _tag: 'Failed', failure: failure('E0000009', ['Storage is unavailable. Retry the request.']) }
  }
}

const ACTIVE_SIGN_IN_STATUSES: ReadonlyArray<UserRecord['status']> = ['ACTIVE', 'PASSWORD_EXPIRED', 'LOCKED_OUT', 'RECOVERY']

export const createAuthn = (deps: AuthnDeps): Authn => {
  const settings: AuthnSettings = { ...DEFAULT_SETTINGS, ...deps.settings }
  const mint = tokens(deps.random)
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)))

  // A hash to verify against when the user is unknown, so that both cases cost the same. Made at
  // once, so that not even the first unknown user pays for hashing it.
  const dummy: Promise<string> = deps.hasher
    .hash(mint.stateToken())()
    .then((e) => (e._tag === 'Right' ? e.right : ''), () => '')
  const dummyHash = (): TE.TaskEither<StepError, string> => () => dummy.then(E.right)

  const errorReply = (f: AuthnFailure): ErrorReply => ({ status: httpStatusOf(f), body: renderError(f, mint.errorId()) })

  const audit = (what: string, transactionId: TransactionId | null, userId: UserId | null, at: EpochMs) =>
    deps.audit.record({ at, transactionId, userId, what })

  const decodeBody =
    <A>(codec: t.Decoder<unknown, A>, name: string) =>
    (body: unknown): E.Either<StepError, A> => {
      if (typeof body !== 'object' || body === null || Array.isArray(body))
        return E.left(failed(failure('E0000003', ['The request body must be a JSON object.'])))
      return pipe(
        codec.decode(body),
        E.mapLeft((errs) => failed(failure('E0000001', describeDecodeErrors(errs), name))),
      )
    }

  const hasherFailed = (): StepError => failed(failure('E0000009', ['Password hashing failed.']))

  /** The audit entries of a step's effects, once its write is committed. */
  const auditEffects = async (effects: ReadonlyArray<AuthnEffect>, tx: TransactionId | null, now: EpochMs) => {
    for (const effect of effects) await audit(`effect.${effect.type}`, tx, effect.params.userId, now)()
  }

  /** Gives a reserved attempt back without counting it. */
  const release = (userId: UserId, leaseId: string) =>
    deps.steps.commit({ ...emptyStepWrite(userId, deps.clock.now()), attempt: { leaseId, outcome: { type: 'release' } } })()

  /**
   * What a decision's effects write, in the step's own write (docs/adr/0008-credential-state.md):
   * the guarded reset of the failure counter, credential changes, session revocation, the token.
   */
  const effectsWrite = (
    effects: ReadonlyArray<AuthnEffect>,
    policies: Policies,
    tx: TransactionId,
    leaseId: string | null,
  ): Pick<StepWrite, 'attempt' | 'userChanges' | 'revokeSessionTokens' | 'issue'> => {
    const userChanges: UserChange[] = []
    let attempt: StepWrite['attempt'] = null
    let revokeSessionTokens = false
    let issue: IssuedToken | null = null
    for (const effect of effects) {
      switch (effect.type) {
        case 'resetFailedAttempts':
          attempt = { leaseId, outcome: { type: 'success', lockout: policies.password.lockout } }
          break
        case 'issueSessionToken':
          issue = { schemaVersion: 1, hash: effect.params.tokenHash, kind: 'session', userId: effect.params.userId, transactionId: tx, expiresAt: effect.params.expiresAt }
          break
        case 'setPassword':
          userChanges.push({ type: 'setPassword', passwordHash: effect.params.passwordHash, changedAt: effect.params.changedAt, historyCount: effect.params.historyCount })
          break
        case 'activateUser':
          userChanges.push({ type: 'activate' })
          break
        case 'revokeOtherSessions':
          revokeSessionTokens = true
          break
      }
    }
    if (attempt === null && leaseId !== null) attempt = { leaseId, outcome: { type: 'release' } }
    return { attempt, userChanges, revokeSessionTokens, issue }
  }

  /** The epoch a transaction lives under after its step's user changes. */
  const epochAfter = (epoch: number, changes: ReadonlyArray<UserChange>): number => epoch + (changes.some(changeMovesEpoch) ? 1 : 0)

  const respond = (
    d: Decision,
    stateToken: string | null,
    sessionToken: string | null,
    call: Call,
    now: EpochMs,
  ): E.Either<StepError, AuthnReply> =>
    d.failure !== null
      ? E.left({ _tag: 'Failed', failure: d.failure, audited: true })
      : E.right({
          status: 200,
          body: renderTransaction(
            d.state,
            d.snapshot.context,
            { stateToken, sessionToken: d.state === 'SUCCESS' ? sessionToken : null },
            call.baseUrl,
            now,
          ),
        })

  /** The edge of every operation: never throws, audits failures not audited yet, renders errors. */
  const finish =
    <B>(op: string, te: TE.TaskEither<StepError, Reply<B>>): Result<B> =>
    async () => {
      let r: E.Either<StepError, Reply<B>>
      try {
        r = await te()
      } catch {
        r = E.left(failed(failure('E0000009')))
      }
      if (E.isRight(r)) return r
      const e = r.left
      if (!(e._tag === 'Failed' && e.audited === true))
        await audit(`${op}.${e._tag === 'Lost' ? 'VersionConflict' : e.failure.code}`, null, null, deps.clock.now())()
      return E.left(errorReply(e._tag === 'Lost' ? failure('E0000079', ['The transaction was changed by a concurrent request.']) : e.failure))
    }

  // ---------------------------------------------------------------------------------------------
  // Operations on an existing transaction: load → decide → compare-and-set save → effects → render.

  interface Loaded {
    readonly record: TransactionRecord
    readonly now: EpochMs
  }

  const step = (
    op: string,
    stateToken: string,
    type: AuthnEvent['type'],
    call: Call,
    buildEvent: (l: Loaded) => TE.TaskEither<StepError, AuthnEvent>,
    sessionToken: string | null,
  ): TE.TaskEither<StepError, AuthnReply> => {
    const attempt = async (): Promise<E.Either<StepError, AuthnReply>> => {
      const now = deps.clock.now()
      const loaded = await deps.transactions.load(hashToken(stateToken), now)()
      if (E.isLeft(loaded)) return E.left(fromStore(loaded.left))
      const record = loaded.right
      const snapshot = restoreAuthn(record.state, record.context)
      const refused = precheck(snapshot, type, now)
      if (refused !== null) return E.left(failed(refused))
      const built = await buildEvent({ record, now })()
      if (E.isLeft(built)) return built
      const event = built.right
      const d = decide(snapshot, event)
      const userId = record.context.userId
      if (d.changed) {
        const parts = effectsWrite(d.effects, record.context.policy, record.id, null)
        const next: TransactionRecord = {
          ...record,
          version: asVersion(record.version + 1),
          state: d.state,
          context: d.snapshot.context,
          expiresAt: d.snapshot.context.expiresAt,
          credentialEpoch: epochAfter(record.credentialEpoch, parts.userChanges),
        }
        const committed = await deps.steps.commit({
          ...emptyStepWrite(userId, now),
          ...parts,
          expectedEpoch: record.credentialEpoch,
          transaction: { kind: 'save', record: next, expected: record.version, event },
        })()
        if (E.isLeft(committed)) return E.left(committed.left._tag === 'VersionConflict' ? lost : fromStore(committed.left))
        // The user's credentials moved since the load: this transaction is dead.
        if (committed.right._tag === 'Refused') return E.left(failed(failure('E0000011')))
        await auditEffects(d.effects, record.id, now)
      }
      await audit(`${op}.${d.failure?.code ?? d.state}`, record.id, userId, now)()
      return respond(d, stateToken, sessionToken, call, now)
    }
    return async () => {
      let r = await attempt()
      for (let retries = settings.conflictRetries; retries > 0 && E.isLeft(r) && r.left._tag === 'Lost'; retries--) r = await attempt()
      return r
    }
  }

  const simpleStep = (op: string, type: 'transaction.read' | 'transaction.previous') => (body: unknown, call: Call): Result =>
    finish(
      op,
      pipe(
        TE.fromEither(decodeBody(StateTokenRequest, 'stateTokenRequest')(body)),
        TE.chain(({ stateToken }) => step(op, stateToken, type, call, ({ now }) => TE.right({ type, now }), null)),
      ),
    )

  const getState = simpleStep('getState', 'transaction.read')

  // ---------------------------------------------------------------------------------------------
  // New transactions: primary authentication by password or activation token.

  /**
   * Starts a transaction from a decided primary authentication, in ONE write with its credential
   * effects: the guarded reset of the counter (refused when a lock came first), the activation
   * claim, the session token. A refused write is answered as what refused it.
   */
  const startTransaction = async (
    op: string,
    input: AuthnInput,
    event: AuthnEvent,
    sessionToken: string,
    call: Call,
    leaseId: string | null,
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
      return respond(d, null, null, call, now)
    }
    const stateToken = mint.stateToken()
    const id = asTransactionId(mint.transactionId())
    const parts = effectsWrite(d.effects, input.policy, id, leaseId)
    const record: TransactionRecord = {
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
      return answer === null ? E.left({ _tag: 'Failed', failure: failure('E0000004'), audited: true }) : respond(answer, null, null, call, now)
    }
    await auditEffects(d.effects, record.id, now)
    await audit(`${op}.${d.state}`, record.id, userId, now)()
    return respond(d, d.state === 'SUCCESS' ? null : stateToken, sessionToken, call, now)
  }

  const inputFor = (
    user: UserRecord,
    policy: Policies,
    req: PrimaryAuthRequest,
    flow: AuthnInput['flow'],
    now: EpochMs,
    counters: LockoutCounters = user,
  ): AuthnInput => {
    const lock = effectiveLockout(counters, policy.password.lockout, now)
    return {
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
    }
  }

  type Admission = 'admitted' | 'busy' | { readonly locked: LockoutCounters }

  /**
   * Waits until the reserved attempt may be verified: the account is not locked and the failures
   * recorded plus the attempts still ahead of this one leave room for it. So at most `maxAttempts`
   * verifications of one account can be under way at once, and never one past a lock
   * (ASVS V6.3.1; docs/adr/0008-credential-state.md). Polls with a doubling pause, up to
   * `attemptWaitMs` of pauses in all.
   */
  const admit = async (
    userId: UserId,
    leaseId: string,
    lockout: Policies['password']['lockout'],
    first: { readonly counters: LockoutCounters; readonly ahead: number },
  ): Promise<E.Either<StepError, Admission>> => {
    let { counters, ahead } = first
    let waited = 0
    let pause = 2
    for (;;) {
      const now = deps.clock.now()
      const current = effectiveLockout(counters, lockout, now)
      if (current.lockedOut) return E.right({ locked: counters })
      if (lockout.maxAttempts <= 0 || current.failedAttempts + ahead < lockout.maxAttempts) return E.right('admitted')
      if (waited >= settings.attemptWaitMs) return E.right('busy')
      await sleep(pause)
      waited += pause
      pause = Math.min(pause * 2, 100)
      const status = await deps.steps.attemptStatus(userId, leaseId, deps.clock.now())()
      if (E.isLeft(status)) return E.left(fromStore(status.left))
      if (status.right.ahead === null) return E.right('busy')
      counters = status.right
      ahead = status.right.ahead
    }
  }

  const byPassword =
    (req: PrimaryAuthRequest & { username: string; password: string }, call: Call): TE.TaskEither<StepError, AuthnReply> =>
    async () => {
      const authFailed = E.left(failed(failure('E0000004')))
      const leaseId = mint.leaseId()
      const reservedAt = deps.clock.now()
      // One round trip finds the user and reserves the attempt before anything is verified.
      const reserved = await deps.steps.reserveAttempt(req.username, { id: leaseId, until: reservedAt + settings.attemptLeaseMs }, reservedAt)()
      if (E.isLeft(reserved) && reserved.left._tag !== 'NotFound') return E.left(fromStore(reserved.left))
      if (E.isLeft(reserved)) {
        // Unknown user: the same verification as a known one, so both cost the same.
        const against = await dummyHash()()
        if (E.isLeft(against)) return against
        const verified = await deps.hasher.verify(against.right, req.password)()
        if (E.isLeft(verified)) return E.left(hasherFailed())
        await audit('authenticate.unknownUser', null, null, reservedAt)()
        return authFailed
      }
      const { user, ahead } = reserved.right
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
        // failure), and no hash is verified.
        const now = deps.clock.now()
        if (!ACTIVE_SIGN_IN_STATUSES.includes(user.status)) return giveBack(authFailed)
        const input = inputFor(user, policy.right, req, 'PASSWORD', now, admission.right.locked)
        return giveBack(await startTransaction('authenticate', input, { type: 'primary.rejected', now, lockedAfter: true }, '', call, null))
      }
      const stored = user.credentials.passwordHash
      const against = stored === null ? await dummyHash()() : E.right<StepError, string>(stored)
      if (E.isLeft(against)) return giveBack(against)
      const verified = await deps.hasher.verify(against.right, req.password)()
      if (E.isLeft(verified)) return giveBack(E.left(hasherFailed()))
      const now = deps.clock.now()
      if (!ACTIVE_SIGN_IN_STATUSES.includes(user.status)) {
        await audit(`authenticate.E0000004.${user.status}`, null, user.id, now)()
        return giveBack(E.left({ _tag: 'Failed', failure: failure('E0000004'), audited: true }))
      }
      if (verified.right && stored !== null) {
        const sessionToken = mint.sessionToken()
        const event: AuthnEvent = { type: 'primary.verified', now, sessionTokenHash: hashToken(sessionToken) }
        return startTransaction('authenticate', inputFor(user, policy.right, req, 'PASSWORD', now), event, sessionToken, call, leaseId)
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
      return startTransaction('authenticate', inputFor(user, policy.right, req, 'PASSWORD', now), event, '', call, null)
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
      const sessionToken = mint.sessionToken()
      const event: AuthnEvent = { type: 'primary.verified', now, sessionTokenHash: hashToken(sessionToken) }
      return startTransaction('activate', inputFor(user, policy.right, req, 'ACTIVATION', now), event, sessionToken, call, null)
    }

  const authenticate = (body: unknown, call: Call): Result =>
    pipe(
      decodeBody(PrimaryAuthRequest, 'authRequest')(body),
      E.fold(
        (e) => finish('authenticate', TE.left(e)),
        (req) => {
          const hasCredentials = req.username !== undefined || req.password !== undefined || req.token !== undefined
          if (req.stateToken !== undefined && !hasCredentials) return getState({ stateToken: req.stateToken }, call)
          if (req.stateToken !== undefined)
            // Step-up (§4.2) needs an UNAUTHENTICATED transaction, which only step-up creates.
            return finish(
              'authenticate',
              step('authenticate', req.stateToken, 'primary.verified', call, () => TE.left(failed(failure('E0000079'))), null),
            )
          if (req.audience !== undefined)
            return finish(
              'authenticate',
              TE.left(failed(failure('E0000001', [`Invalid or unknown audience '${req.audience}'.`], 'authRequest'))),
            )
          if (req.token !== undefined) return finish('activate', byActivationToken({ ...req, token: req.token }, call))
          if (req.username !== undefined && req.password !== undefined && req.username !== '')
            return finish('authenticate', byPassword({ ...req, username: req.username, password: req.password }, call))
          const causes = [
            ...(req.username === undefined || req.username === '' ? ['username: The field cannot be left blank'] : []),
            ...(req.password === undefined ? ['password: The field cannot be left blank'] : []),
          ]
          return finish('authenticate', TE.left(failed(failure('E0000001', causes, 'authRequest'))))
        },
      ),
    )

  // ---------------------------------------------------------------------------------------------
  // Password change and reset: the plaintext stays here; the machine gets its features and hash.

  const loadUser = (id: UserId) => pipe(deps.users.findById(id), TE.mapLeft(fromStore))

  /** Whether `plain` matches the current password or one of the last `historyCount - 1` earlier ones. */
  const reusesHistory = (user: UserRecord, plain: string, historyCount: number): TE.TaskEither<StepError, boolean> => {
    if (historyCount <= 0) return TE.right(false)
    const hashes = [user.credentials.passwordHash, ...user.credentials.passwordHistory.slice(0, historyCount - 1)].filter(
      (h): h is string => h !== null,
    )
    return pipe(
      TE.sequenceSeqArray(hashes.map((h) => pipe(deps.hasher.verify(h, plain), TE.mapLeft(hasherFailed)))),
      TE.map((matches) => matches.some(Boolean)),
    )
  }

  interface NewPasswordFacts {
    readonly candidate: PasswordCandidate
    readonly newPasswordHash: string | null
  }

  const newPasswordFacts = (record: TransactionRecord, user: UserRecord, plain: string): TE.TaskEither<StepError, NewPasswordFacts> => {
    const policy = record.context.policy.password
    return pipe(
      reusesHistory(user, plain, policy.age.historyCount),
      TE.map((reuses) => passwordFeatures(plain, { login: user.profile.login, firstName: user.profile.firstName, lastName: user.profile.lastName }, reuses)),
      TE.chain((candidate) =>
        meetsPasswordPolicy(policy, candidate)
          ? pipe(
              deps.hasher.hash(plain),
              TE.mapLeft(hasherFailed),
              TE.map((h) => ({ candidate, newPasswordHash: h as string | null })),
            )
          : TE.right({ candidate, newPasswordHash: null as string | null }),
      ),
    )
  }

  const changePassword = (body: unknown, call: Call): Result =>
    finish(
      'changePassword',
      pipe(
        TE.fromEither(decodeBody(ChangePasswordRequest, 'changePasswordRequest')(body)),
        TE.chain((req) => {
          const sessionToken = mint.sessionToken()
          return step(
            'changePassword',
            req.stateToken,
            'password.change',
            call,
            ({ record, now }) =>
              pipe(
                loadUser(record.context.userId),
                TE.chain((user) =>
                  pipe(
                    user.credentials.passwordHash === null
                      ? TE.right(false)
                      : pipe(deps.hasher.verify(user.credentials.passwordHash, req.oldPassword), TE.mapLeft(hasherFailed)),
                    TE.chain((oldOk): TE.TaskEither<StepError, NewPasswordFacts & { readonly oldOk: boolean }> =>
                      oldOk
                        ? pipe(
                            newPasswordFacts(record, user, req.newPassword),
                            TE.map((facts) => ({ oldOk, ...facts })),
                          )
                        : TE.right({
                            oldOk,
                            candidate: passwordFeatures('', { login: '', firstName: '', lastName: '' }, false),
                            newPasswordHash: null,
                          }),
                    ),
                  ),
                ),
                TE.map(
                  ({ oldOk, candidate, newPasswordHash }): AuthnEvent => ({
                    type: 'password.change',
                    now,
                    oldPasswordValid: oldOk,
                    candidate,
                    newPasswordHash,
                    revokeSessions: req.revokeSessions ?? false,
                    sessionTokenHash: hashToken(sessionToken),
                  }),
                ),
              ),
            sessionToken,
          )
        }),
      ),
    )

  const resetPassword = (body: unknown, call: Call): Result =>
    finish(
      'resetPassword',
      pipe(
        TE.fromEither(decodeBody(ResetPasswordRequest, 'resetPasswordRequest')(body)),
        TE.chain((req) => {
          const sessionToken = mint.sessionToken()
          return step(
            'resetPassword',
            req.stateToken,
            'password.reset',
            call,
            ({ record, now }) =>
              pipe(
                loadUser(record.context.userId),
                TE.chain((user) => newPasswordFacts(record, user, req.newPassword)),
                TE.map(
                  ({ candidate, newPasswordHash }): AuthnEvent => ({
                    type: 'password.reset',
                    now,
                    candidate,
                    newPasswordHash,
                    revokeSessions: req.revokeSessions ?? false,
                    sessionTokenHash: hashToken(sessionToken),
                  }),
                ),
              ),
            sessionToken,
          )
        }),
      ),
    )

  const skip = (body: unknown, call: Call): Result =>
    finish(
      'skip',
      pipe(
        TE.fromEither(decodeBody(StateTokenRequest, 'stateTokenRequest')(body)),
        TE.chain(({ stateToken }) => {
          const sessionToken = mint.sessionToken()
          return step(
            'skip',
            stateToken,
            'transaction.skip',
            call,
            ({ now }) => TE.right({ type: 'transaction.skip', now, sessionTokenHash: hashToken(sessionToken) }),
            sessionToken,
          )
        }),
      ),
    )

  const cancel = (body: unknown, call: Call): Result<{ readonly relayState: string }> =>
    finish(
      'cancel',
      pipe(
        TE.fromEither(decodeBody(StateTokenRequest, 'stateTokenRequest')(body)),
        TE.chain(({ stateToken }) =>
          pipe(
            step('cancel', stateToken, 'transaction.cancel', call, ({ now }) => TE.right({ type: 'transaction.cancel', now }), null),
            TE.map((r) => ({ status: 200, body: { relayState: typeof r.body['relayState'] === 'string' ? r.body['relayState'] : '' } })),
          ),
        ),
      ),
    )

  const redeemSessionToken = (body: unknown, _call: Call): Result<RedeemedSession> =>
    finish(
      'redeemSessionToken',
      pipe(
        TE.fromEither(decodeBody(SessionTokenRequest, 'sessionRequest')(body)),
        TE.chain(({ sessionToken }) =>
          pipe(
            deps.transactions.consumeToken(hashToken(sessionToken), 'session', deps.clock.now()),
            TE.mapLeft((e): StepError => (e._tag === 'NotFound' || e._tag === 'AlreadyConsumed' ? failed(failure('E0000004')) : fromStore(e))),
          ),
        ),
        TE.map((t) => ({ status: 200, body: { userId: t.userId, transactionId: t.transactionId } })),
      ),
    )

  /** When an operation does not apply to a user in its status, Okta's refusal. */
  const lifecycleRefusal = (op: LifecycleOperation, u: UserRecord): AuthnFailure | null => {
    switch (op) {
      case 'unlock':
        return u.lockedAt !== null || u.status === 'LOCKED_OUT' ? null : failure('E0000032')
      case 'suspend':
        return ['ACTIVE', 'PASSWORD_EXPIRED', 'LOCKED_OUT', 'RECOVERY'].includes(u.status)
          ? null
          : failure('E0000001', ['Cannot suspend a user that is not active'], 'user')
      case 'unsuspend':
        return u.status === 'SUSPENDED' ? null : failure('E0000001', ['Cannot unsuspend a user that is not suspended'], 'user')
      case 'expirePassword':
        return u.status === 'ACTIVE' || u.status === 'PASSWORD_EXPIRED' ? null : failure('E0000001', ['Cannot expire the password of a user that is not active'], 'user')
      case 'lock':
      case 'deactivate':
        return null
    }
  }

  const lifecycleChange = (op: LifecycleOperation, now: EpochMs): UserChange => (op === 'lock' ? { type: 'lock', at: now } : { type: op })

  const lifecycle = (userId: string, op: LifecycleOperation): Result<LifecycleJson> =>
    finish(`lifecycle.${op}`, async () => {
      const id = userId as UserId
      // An id no store could hold is unknown, without asking the store.
      if (userId.length === 0 || userId.length > 256 || userId.includes('\u0000')) return E.left(failed(failure('E0000007', [], 'user')))
      // A concurrent credential change refuses the write (its epoch moved): read again and retry.
      for (let attempt = 0; ; attempt++) {
        // By id, or by login as Okta's Users API also accepts.
        const byId = await deps.users.findById(id)()
        const found = E.isLeft(byId) && byId.left._tag === 'NotFound' ? await deps.users.findByLogin(userId)() : byId
        if (E.isLeft(found))
          return E.left(found.left._tag === 'NotFound' ? failed(failure('E0000007', [], userId)) : fromStore(found.left))
        const user = found.right
        const refused = lifecycleRefusal(op, user)
        if (refused !== null) return E.left(failed(refused))
        const now = deps.clock.now()
        const committed = await deps.steps.commit({
          ...emptyStepWrite(user.id, now),
          expectedEpoch: user.credentialEpoch,
          userChanges: [lifecycleChange(op, now)],
        })()
        if (E.isLeft(committed)) return E.left(fromStore(committed.left))
        if (committed.right._tag === 'Refused') {
          if (attempt < settings.conflictRetries) continue
          return E.left(lost)
        }
        await audit(`lifecycle.${op}`, null, user.id, now)()
        if (op !== 'expirePassword') return E.right({ status: 200, body: {} })
        const changedAt = user.credentials.passwordChangedAt
        return E.right({
          status: 200,
          body: {
            id: user.id,
            status: committed.right.user.status,
            passwordChanged: changedAt === null ? null : new Date(changedAt).toISOString(),
            profile: { login: user.profile.login, firstName: user.profile.firstName, lastName: user.profile.lastName },
          },
        })
      }
    })

  const readLog = (stateToken: string) =>
    pipe(
      deps.transactions.load(hashToken(stateToken), 0),
      TE.bindTo('record'),
      TE.bind('log', ({ record }) => deps.transactions.readLog(record.id)),
      TE.mapLeft((e) => errorReply(storeFailure(e).failure)),
    )

  return {
    authenticate,
    getState,
    changePassword,
    resetPassword,
    skip,
    previous: simpleStep('previous', 'transaction.previous'),
    cancel,
    redeemSessionToken,
    lifecycle,
    readLog,
  }
}

