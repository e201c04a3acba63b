import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import type * as t from 'io-ts'
import {
  StateTokenRequest,
  asVersion,
  changeMovesEpoch,
  emptyStepWrite,
  describeDecodeErrors,
  failure,
  httpStatusOf,
  renderError,
  type AuthnEffect,
  type AuthnEvent,
  type AuthnFailure,
  type Decision,
  type EpochMs,
  type IssuedToken,
  type Policies,
  type StepWrite,
  type StoreError,
  type TransactionId,
  type TransactionRecord,
  type UserChange,
  type UserId,
  type UserRecord,
} from '@authn-machine/core'
import type { AuthnDeps, AuthnSettings, Call, Reply, Result, ErrorReply, AuthnReply } from './api.js'
import { DEFAULT_SETTINGS } from './api.js'
import { authnFlow, flowOf } from './flows.js'
import { hashToken, tokens } from './defaults.js'

/** `audited`: the failure came from a decision that was already written to the audit sink. */
export type Failed = { readonly _tag: 'Failed'; readonly failure: AuthnFailure; readonly audited?: true }
export type Lost = { readonly _tag: 'Lost' }
export type StepError = Failed | Lost

export const failed = (f: AuthnFailure): StepError => ({ _tag: 'Failed', failure: f })
export const lost: Lost = { _tag: 'Lost' }

export const fromStore = (e: StoreError): StepError => storeFailure(e)

/** How a storage error is answered. */
export const storeFailure = (e: StoreError): Failed => {
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

export const ACTIVE_SIGN_IN_STATUSES: ReadonlyArray<UserRecord['status']> = ['ACTIVE', 'PASSWORD_EXPIRED', 'LOCKED_OUT', 'RECOVERY']

/**
 * The shared pipeline of every operation: decoding, the edge that never throws, audit, and the
 * step on an existing transaction: load by state-token hash → precheck → gather facts → decide →
 * one atomic commit (docs/adr/0008-credential-state.md) → render.
 */
/** What a step's event is built from: the loaded transaction and the time of the request. */
export interface Loaded {
  readonly record: TransactionRecord
  readonly now: EpochMs
}

export const createPipeline = (deps: AuthnDeps) => {
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
          body: authnFlow.render(d, { stateToken, sessionToken: d.state === 'SUCCESS' ? sessionToken : null }, call.baseUrl, now),
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
      const flow = flowOf(record)
      const snapshot = flow.restore(record)
      const refused = flow.precheck(snapshot, type, now)
      if (refused !== null) return E.left(failed(refused))
      const built = await buildEvent({ record, now })()
      if (E.isLeft(built)) return built
      const event = built.right
      const d = flow.decide(snapshot, event)
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

  return {
    settings,
    mint,
    sleep,
    dummyHash,
    errorReply,
    audit,
    decodeBody,
    hasherFailed,
    auditEffects,
    release,
    effectsWrite,
    epochAfter,
    respond,
    finish,
    step,
    simpleStep,
    getState,
    deps,
  }
}

export type Pipeline = ReturnType<typeof createPipeline>
