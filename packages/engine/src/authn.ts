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
  type LogEntry,
  type OktaErrorBody,
  type PasswordCandidate,
  type Policies,
  type PolicySource,
  type Random,
  type RequestContext,
  type StoreError,
  type TransactionId,
  type TransactionJson,
  type TransactionRecord,
  type TransactionStore,
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
}

export const DEFAULT_SETTINGS: AuthnSettings = {
  stateTokenLifetimeMs: 5 * 60_000,
  stateTokenMaxLifetimeMs: 60 * 60_000,
  sessionTokenLifetimeMs: 5 * 60_000,
  conflictRetries: 2,
}

export interface AuthnDeps {
  readonly transactions: TransactionStore
  readonly users: UserStore
  readonly policies: PolicySource
  readonly hasher: Hasher
  readonly clock: Clock
  readonly random: Random
  readonly audit: AuditSink
  readonly settings?: Partial<AuthnSettings>
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
  /** The transaction's log (for audit and replay), by its state token. */
  readonly readLog: (stateToken: string) => TE.TaskEither<ErrorReply, { readonly record: TransactionRecord; readonly log: ReadonlyArray<LogEntry> }>
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

  /** Runs the effects a decision asked for, in order, after the decision was saved. */
  const runEffects = async (
    effects: ReadonlyArray<AuthnEffect>,
    policies: Policies,
    tx: TransactionId | null,
    now: EpochMs,
  ): Promise<E.Either<StepError, void>> => {
    for (const effect of effects) {
      const r = await runEffect(effect, policies, tx, now)()
      if (E.isLeft(r)) return E.left(fromStore(r.left))
      await audit(`effect.${effect.type}`, tx, effect.params.userId, now)()
    }
    return E.right(undefined)
  }

  const runEffect = (effect: AuthnEffect, policies: Policies, tx: TransactionId | null, now: EpochMs): TE.TaskEither<StoreError, unknown> => {
    switch (effect.type) {
      case 'recordFailedAttempt':
        return deps.users.recordFailedAttempt(effect.params.userId, policies.password.lockout, now)
      case 'resetFailedAttempts':
        return deps.users.resetFailedAttempts(effect.params.userId)
      case 'issueSessionToken':
        return tx === null
          ? TE.left({ _tag: 'Unavailable', cause: 'a session token needs a stored transaction' })
          : deps.transactions.issueToken({
              schemaVersion: 1,
              hash: effect.params.tokenHash,
              kind: 'session',
              userId: effect.params.userId,
              transactionId: tx,
              expiresAt: effect.params.expiresAt,
            })
      case 'setPassword':
        return deps.users.setPassword(effect.params.userId, {
          passwordHash: effect.params.passwordHash,
          changedAt: effect.params.changedAt,
          historyCount: effect.params.historyCount,
        })
      case 'activateUser':
        return deps.users.activate(effect.params.userId)
      case 'revokeOtherSessions':
        // Sessions live in the embedding server: the audit entry is the request to revoke them.
        return TE.right(undefined)
    }
  }

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
        const next: TransactionRecord = {
          ...record,
          version: asVersion(record.version + 1),
          state: d.state,
          context: d.snapshot.context,
          expiresAt: d.snapshot.context.expiresAt,
        }
        const saved = await deps.transactions.save(next, record.version, event)()
        if (E.isLeft(saved)) return E.left(saved.left._tag === 'VersionConflict' ? lost : fromStore(saved.left))
        const effects = await runEffects(d.effects, record.context.policy, record.id, now)
        if (E.isLeft(effects)) return effects
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

  const startTransaction =
    (op: string, input: AuthnInput, event: AuthnEvent, sessionToken: string, call: Call): TE.TaskEither<StepError, AuthnReply> =>
    async () => {
      const d = decideStart(input, event)
      const now = input.now
      const userId = input.user.id
      if (d.state === 'FAILED' || d.state === 'LOCKED_OUT') {
        const effects = await runEffects(d.effects, input.policy, null, now)
        if (E.isLeft(effects)) return effects
        await audit(`${op}.${d.failure?.code ?? d.state}`, null, userId, now)()
        return respond(d, null, null, call, now)
      }
      const stateToken = mint.stateToken()
      const record: TransactionRecord = {
        schemaVersion: 1,
        id: asTransactionId(mint.transactionId()),
        kind: 'authn',
        stateTokenHash: hashToken(stateToken),
        version: asVersion(1),
        state: d.state,
        context: d.snapshot.context,
        createdAt: now,
        expiresAt: d.snapshot.context.expiresAt,
      }
      const created = await deps.transactions.create(record, event, initialContext(input))()
      if (E.isLeft(created)) return E.left(fromStore(created.left))
      const effects = await runEffects(d.effects, input.policy, record.id, now)
      if (E.isLeft(effects)) return effects
      await audit(`${op}.${d.state}`, record.id, userId, now)()
      return respond(d, d.state === 'SUCCESS' ? null : stateToken, sessionToken, call, now)
    }

  const inputFor = (user: UserRecord, policy: Policies, req: PrimaryAuthRequest, flow: AuthnInput['flow'], now: EpochMs): AuthnInput => {
    const lock = effectiveLockout(user, policy.password.lockout, now)
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

  const byPassword =
    (req: PrimaryAuthRequest & { username: string; password: string }, call: Call): TE.TaskEither<StepError, AuthnReply> =>
    async () => {
      const now = deps.clock.now()
      const authFailed = E.left(failed(failure('E0000004')))
      const found = await deps.users.findByLogin(req.username)()
      if (E.isLeft(found) && found.left._tag !== 'NotFound') return E.left(fromStore(found.left))
      const user = E.isRight(found) ? found.right : null
      const stored = user?.credentials.passwordHash ?? null
      // Every path verifies one hash (a dummy one when there is none), so all failures cost the same.
      const against = stored === null ? await dummyHash()() : E.right<StepError, string>(stored)
      if (E.isLeft(against)) return against
      const verified = await deps.hasher.verify(against.right, req.password)()
      if (E.isLeft(verified)) return E.left(hasherFailed())
      if (user === null) {
        await audit('authenticate.unknownUser', null, null, now)()
        return authFailed
      }
      if (!ACTIVE_SIGN_IN_STATUSES.includes(user.status)) return authFailed
      const policy = await deps.policies.forUser(user, call.context)()
      if (E.isLeft(policy)) return E.left(fromStore(policy.left))
      const sessionToken = mint.sessionToken()
      const event: AuthnEvent =
        verified.right && stored !== null
          ? { type: 'primary.verified', now, sessionTokenHash: hashToken(sessionToken) }
          : { type: 'primary.rejected', now }
      return startTransaction('authenticate', inputFor(user, policy.right, req, 'PASSWORD', now), event, sessionToken, call)()
    }

  const byActivationToken = (req: PrimaryAuthRequest & { token: string }, call: Call): TE.TaskEither<StepError, AuthnReply> => {
    const now = deps.clock.now()
    return pipe(
      deps.users.findByActivationToken(hashToken(req.token)),
      TE.mapLeft((e): StepError => (e._tag === 'NotFound' ? failed(failure('E0000004')) : fromStore(e))),
      TE.bindTo('user'),
      TE.bind('policy', ({ user }) => pipe(deps.policies.forUser(user, call.context), TE.mapLeft(fromStore))),
      TE.chain(({ user, policy }) => {
        const sessionToken = mint.sessionToken()
        const event: AuthnEvent = { type: 'primary.verified', now, sessionTokenHash: hashToken(sessionToken) }
        return startTransaction('activate', inputFor(user, policy, req, 'ACTIVATION', now), event, sessionToken, call)
      }),
    )
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
    readLog,
  }
}

