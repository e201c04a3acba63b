import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import type * as t from 'io-ts'
import {
  CAUSES,
  DUO_SCRIPT_PATH,
  isChallenging,
  isDelegating,
  StateTokenRequest,
  asUserId,
  asVersion,
  type RecoveryEvent,
  changeMovesEpoch,
  emptyStepWrite,
  effectiveLockout,
  describeDecodeErrors,
  failure,
  httpStatusOf,
  renderError,
  type AuthnEvent,
  type AuthnFailure,
  type AuthnRecord,
  type RecoveryRecord,
  type EpochMs,
  type IssuedToken,
  type Policies,
  type StepWrite,
  type StepRefusal,
  type LockoutCounters,
  type FactorChange,
  type FactorRecord,
  type HasherError,
  type StoreError,
  type TransactionId,
  type TransactionEvent,
  type TransactionRecord,
  type TokenHash,
  type DelegationView,
  type UserChange,
  type UserId,
  type UserRecord,
  type OutboundMessage,
} from '@authn-machine/core'
import type { AuthnDeps, AuthnSettings, Call, Reply, Result, ErrorReply, AuthnReply } from './api.js'
import { DEFAULT_SETTINGS } from './api.js'
import { createFactorRegistry } from './factors.js'
import { flowOf, type FlowEffect, type StepDecision } from './flows.js'
import { hashToken, tokens } from './defaults.js'
import { createSentCodes } from './sent-codes.js'
import { createQueuedHasher } from './hash-queue.js'
import { sameEvent } from './same-event.js'
import { isStepUpTicket, openTicket } from './step-up-ticket.js'

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

/** The cause of a step whose commit lost its connection and was found not applied: it may be sent again. */
export const STEP_NOT_SAVED = 'The connection to storage was lost and the request was not saved. Retry the request.'
/** The cause of a step whose commit lost its connection and whose outcome could not be read back. */
export const STEP_OUTCOME_UNKNOWN = 'The connection to storage was lost while the request was saved. Get the transaction state before retrying.'

export const ACTIVE_SIGN_IN_STATUSES: ReadonlyArray<UserRecord['status']> = ['ACTIVE', 'PASSWORD_EXPIRED', 'LOCKED_OUT', 'RECOVERY']

/**
 * The shared pipeline of every operation: decoding, the edge that never throws, audit, and the
 * step on an existing transaction: load by state-token hash → precheck → gather facts → decide →
 * one atomic commit (docs/adr/0008-credential-state.md) → render.
 */
/** What a step's event is built from: the loaded transaction, its user's factors, the time. */
export interface Loaded<R extends TransactionRecord = AuthnRecord> {
  readonly record: R
  readonly now: EpochMs
  readonly factors: ReadonlyArray<FactorRecord>
  /** The attempt reserved with the load (factor verifications), or null. */
  readonly lease: { readonly id: string; readonly failedAttempts: number; readonly lockedAt: EpochMs | null; readonly ahead: number } | null
}

/**
 * The facts a step gathered besides its event: a factor row to write if the decision enrolls it,
 * and what the write must do besides the decision's effects (an attempt to settle or release).
 */
export interface StepFacts<V extends TransactionEvent = AuthnEvent> {
  readonly event: V
  readonly factorRecord?: FactorRecord
  /** A registration completed at activation: the factor's new profile and sealed secret (docs/adr/0029). */
  readonly factorUpdate?: { readonly factorId: FactorRecord['id']; readonly profile: Readonly<Record<string, unknown>>; readonly secret: string }
  /** The attempt that a rejected answer recorded before deciding (so the step only releases nothing). */
  readonly settled?: true
  /** The message carrying the code the event sends: delivered once, after the step is saved, if the decision sends it. */
  readonly outbound?: OutboundMessage
  /**
   * Runs once the step is saved (not after a refused or lost commit): a started verification told
   * to the user's device (push). Its failure is the step's answer, as a message's is.
   */
  readonly afterCommit?: () => Promise<E.Either<StepError, void>>
  /**
   * Deliver `outbound` without waiting for it (recovery, spec §4.12: "sent asynchronously"): the
   * answer must not take longer for a real user, whose code is sent, than for a decoy, whose is not.
   */
  readonly deliverInBackground?: true
}

export const createPipeline = (given: AuthnDeps) => {
  const settings: AuthnSettings = { ...DEFAULT_SETTINGS, ...given.settings }
  // Every hash and verification goes through one bounded queue (ADR 0014).
  const deps: AuthnDeps = {
    ...given,
    hasher: settings.hashQueue === null ? given.hasher : createQueuedHasher(given.hasher, settings.hashQueue),
  }
  const mint = tokens(deps.random)
  const registry = createFactorRegistry(deps.factorPlugins ?? [], deps.secrets)
  const sentCodes = createSentCodes(deps, settings.deliveryTimeoutMs)
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

  /** A full hashing queue is a 429 the client may retry; any other hashing failure a 500. */
  const hasherFailed = (e?: HasherError): StepError =>
    e?._tag === 'HasherBusy'
      ? failed(failure('E0000047', ['Too many password checks are waiting. Retry later.']))
      : failed(failure('E0000009', ['Password hashing failed.']))

  /** The audit entries of a step's effects, once its write is committed. */
  const auditEffects = async (effects: ReadonlyArray<FlowEffect>, tx: TransactionId | null, now: EpochMs) => {
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
    effects: ReadonlyArray<FlowEffect>,
    policies: Policies,
    tx: TransactionId,
    leaseId: string | null,
    factorRecord: FactorRecord | null = null,
    factorUpdate: StepFacts['factorUpdate'] | null = null,
  ): Pick<StepWrite, 'attempt' | 'userChanges' | 'revokeSessionTokens' | 'issue' | 'factorChanges' | 'rememberDevice'> => {
    const userChanges: UserChange[] = []
    const factorChanges: FactorChange[] = []
    let rememberDevice: StepWrite['rememberDevice'] = null
    let updateLeft = factorUpdate
    let attempt: StepWrite['attempt'] = null
    let revokeSessionTokens = false
    let issue: IssuedToken | null = null
    for (const effect of effects) {
      switch (effect.type) {
        case 'resetFailedAttempts':
          attempt = { leaseId, outcome: { type: 'success', lockout: policies.password.lockout } }
          break
        case 'issueSessionToken':
          issue = { schemaVersion: 1, hash: effect.params.tokenHash, kind: 'kind' in effect.params ? effect.params.kind : 'session', userId: effect.params.userId, transactionId: tx, expiresAt: effect.params.expiresAt }
          break
        case 'setPassword':
          userChanges.push({ type: 'setPassword', passwordHash: effect.params.passwordHash, changedAt: effect.params.changedAt, historyCount: effect.params.historyCount })
          break
        case 'activateUser':
          userChanges.push({ type: 'activate' })
          break
        case 'unlockUser':
          // The guarded unlock of a recovery (docs/adr/0012-recovery.md): clears the lock and the
          // counter and moves the credential epoch, in the step's write.
          userChanges.push({ type: 'unlock' })
          break
        case 'revokeOtherSessions':
          revokeSessionTokens = true
          break
        case 'enrollFactor':
          if (factorRecord !== null && factorRecord.id === effect.params.factorId) factorChanges.push({ type: 'enroll', record: factorRecord })
          break
        case 'activateFactor':
          // A registration completed here writes the credential before the factor turns ACTIVE.
          if (factorUpdate !== null && factorUpdate.factorId === effect.params.factorId)
            factorChanges.push({ type: 'update', factorId: factorUpdate.factorId, profile: factorUpdate.profile, secret: factorUpdate.secret })
          factorChanges.push({ type: 'activate', factorId: effect.params.factorId })
          updateLeft = null
          break
        case 'useFactor':
          factorChanges.push({ type: 'use', factorId: effect.params.factorId, counter: effect.params.counter })
          break
        case 'rememberDevice':
          rememberDevice = { hash: effect.params.hash, until: effect.params.until }
          break
      }
    }
    // A registration made by the user's device (push) is written with the step that records it; the
    // factor turns ACTIVE later, with the step that activates it.
    if (updateLeft !== null) factorChanges.push({ type: 'update', factorId: updateLeft.factorId, profile: updateLeft.profile, secret: updateLeft.secret })
    if (attempt === null && leaseId !== null) attempt = { leaseId, outcome: { type: 'release' } }
    return { attempt, userChanges, revokeSessionTokens, issue, factorChanges, rememberDevice }
  }

  type Admission = 'admitted' | 'busy' | { readonly locked: LockoutCounters }

  /** The nonce a transaction holds (WebAuthn, U2F), or the verification it started (Duo, push). */
  type HeldNonce =
    | { readonly factorId: string; readonly nonce: string; readonly expiresAt: number; readonly confirmed?: boolean; readonly denied?: boolean; readonly reported?: boolean }
    | null
    | undefined

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

  /** The epoch a transaction lives under after its step's user changes. */
  const epochAfter = (epoch: number, changes: ReadonlyArray<UserChange>): number => epoch + (changes.some(changeMovesEpoch) ? 1 : 0)

  /**
   * What became of a step's write whose commit lost its connection (`Unavailable`): it may have
   * been applied before the answer was lost, so it is never sent again. The transaction's log is
   * read back instead (it is written atomically with the record): an entry at the version the step
   * would have written, holding the step's own event, means `applied`; an entry there with another
   * event means a concurrent step won (`overtaken`, as a lost compare-and-set); no entry means the
   * record is still at the version the step read (`notApplied`). When the log cannot be read
   * either, the outcome stays `unknown` (docs/adr/0025-failover.md).
   */
  const outcomeOfLostCommit = async (
    id: TransactionId,
    version: number,
    event: TransactionEvent,
  ): Promise<'applied' | 'notApplied' | 'overtaken' | 'unknown'> => {
    const log = await deps.transactions.readLog(id)()
    if (E.isLeft(log)) return 'unknown'
    const entry = log.right.find((l) => l.version === version)
    if (entry === undefined) return log.right.some((l) => l.version > version) ? 'unknown' : 'notApplied'
    return sameEvent(entry.event, event) ? 'applied' : 'overtaken'
  }

  const respond = (
    d: StepDecision,
    stateToken: string | null,
    sessionToken: string | null,
    call: Call,
    now: EpochMs,
    activation: Readonly<Record<string, unknown>> | null = null,
    challenge: Readonly<Record<string, unknown>> | null = null,
    delegation: DelegationView | null = null,
  ): E.Either<StepError, AuthnReply> =>
    d.failure !== null
      ? E.left({ _tag: 'Failed', failure: d.failure, audited: true })
      : E.right({
          status: 200,
          body: d.render({ stateToken, sessionToken: d.state === 'SUCCESS' ? sessionToken : null, activation, challenge, delegation }, call.baseUrl, now),
        })

  /**
   * Delivers a step's message once its step is saved (ADR 0002, 0010): awaited, a failure is the
   * answer (400 E0000074); or, for a recovery, in the background, a failure only audited.
   */
  const deliverAfterCommit = async (facts: { readonly outbound?: OutboundMessage; readonly deliverInBackground?: true }, op: string, tx: TransactionId | null, userId: UserId | null, now: EpochMs): Promise<E.Either<StepError, void>> => {
    const message = facts.outbound
    if (message === undefined) return E.right(undefined)
    const deliver = () => sentCodes.deliver(message).then(async (delivered) => {
      if (E.isLeft(delivered)) {
        await audit(`delivery.failed.${message.channel}.${delivered.left.reason}`, tx, userId, now)()
        return delivered
      }
      await audit(`delivery.sent.${message.channel}`, tx, userId, now)()
      return delivered
    })
    if (facts.deliverInBackground === true) {
      // Not even the sender's first synchronous steps run before the answer leaves.
      setImmediate(() => void deliver().catch(() => undefined))
      return E.right(undefined)
    }
    const delivered = await deliver()
    if (E.isRight(delivered)) return delivered
    await audit(`${op}.${delivered.left.failure.code}`, tx, userId, now)()
    return E.left({ _tag: 'Failed', failure: delivered.left.failure, audited: true })
  }

  /** What a device's handle is sealed for (docs/adr/0031-push.md). */
  const HANDLE_PURPOSE = 'delegation-handle'

  /** How long a QR code link of a pending enrollment works. */
  const QR_LINK_LIFETIME_MS = 10 * 60_000

  /**
   * `factor._embedded.activation` of a pending enrollment, made for this response from its sealed
   * secret; its QR code link carries a sealed, expiring token naming the factor (no state token
   * in a URL).
   */
  const activationOf = (row: FactorRecord, baseUrl: string, now: EpochMs): Readonly<Record<string, unknown>> | null => {
    const plugin = registry.plugin(row)
    if (plugin === null || isDelegating(plugin)) return null
    const secret = registry.open(plugin, row)
    const profile = plugin.profileCodec.decode(row.profile)
    if (E.isLeft(secret) || E.isLeft(profile)) return null
    const base = baseUrl.replace(/\/+$/, '')
    const token = deps.secrets.encryptSecret(JSON.stringify({ u: row.userId, f: row.id, e: now + QR_LINK_LIFETIME_MS, i: new URL(base).host }), 'qrcode')
    return plugin.activationView(profile.right, secret.right, { qrcode: `${base}/api/v1/authn/factors/${encodeURIComponent(row.id)}/qr/${token}`, origin: base })
  }

  /**
   * `factor._embedded.challenge` of MFA_CHALLENGE for a factor whose client signs a nonce (WebAuthn,
   * U2F): the plug-in's view of the nonce the transaction holds, or null.
   */
  const challengeOf = (row: FactorRecord | undefined, nonce: { readonly factorId: string; readonly nonce: string; readonly expiresAt: number } | null | undefined, baseUrl: string, now: EpochMs): Readonly<Record<string, unknown>> | null => {
    // By factor type (WebAuthn), the nonce names the type, and any factor of it shows it.
    if (row === undefined || nonce === null || nonce === undefined || (nonce.factorId !== row.id && nonce.factorId !== row.factorType)) return null
    const plugin = registry.plugin(row)
    if (plugin === null || !isChallenging(plugin)) return null
    const profile = plugin.profileCodec.decode(row.profile)
    if (E.isLeft(profile)) return null
    return plugin.challenges.view(profile.right, { nonce: nonce.nonce, expiresAt: nonce.expiresAt }, { random: deps.random, hasher: deps.hasher, now, origin: baseUrl.replace(/\/+$/, '') })
  }

  /**
   * The sealed handle of a verification a device answers (push, docs/adr/0031-push.md): the
   * transaction by its state token's hash, the factor, the verification's nonce. It is the
   * activation token of an enrollment and the `challengeId` a device answers; it opens only here.
   */
  const sealHandle = (stateTokenHash: TokenHash, factorId: string, started: { readonly nonce: string; readonly expiresAt: number }): string =>
    deps.secrets.encryptSecret(JSON.stringify({ h: stateTokenHash, f: factorId, n: started.nonce, e: started.expiresAt }), HANDLE_PURPOSE)

  /** A handle `sealHandle` made, or null (forged, garbled, or sealed under a key no longer held). */
  const openHandle = (handle: string): { readonly stateTokenHash: TokenHash; readonly factorId: string; readonly nonce: string; readonly expiresAt: number } | null => {
    if (typeof handle !== 'string' || handle.length === 0 || handle.length > 2048) return null
    const opened = deps.secrets.decryptSecret(handle, HANDLE_PURPOSE)
    if (E.isLeft(opened)) return null
    try {
      const c = JSON.parse(new TextDecoder().decode(opened.right)) as { h?: unknown; f?: unknown; n?: unknown; e?: unknown }
      if (typeof c.h !== 'string' || typeof c.f !== 'string' || typeof c.n !== 'string' || typeof c.e !== 'number') return null
      return { stateTokenHash: c.h as TokenHash, factorId: c.f, nonce: c.n, expiresAt: c.e }
    } catch {
      return null
    }
  }

  /** What a started delegated verification shows now: WAITING, REJECTED once its device refused, TIMEOUT once over (when its family reports that). */
  const delegationResult = (started: NonNullable<HeldNonce>, timeout: 'restart' | 'report', now: EpochMs): DelegationView['factorResult'] =>
    started.denied === true ? 'REJECTED' : started.confirmed !== true && timeout === 'report' && now >= started.expiresAt ? 'TIMEOUT' : 'WAITING'

  /**
   * The verification the transaction started for a factor a third party verifies (Duo, push), as
   * the factor's `_embedded` and its result: the plug-in's view, with the links its client needs
   * (where the third party's response is posted, its script; a device's QR code and activation
   * links), or null.
   */
  const delegationOf = (
    row: FactorRecord,
    started: HeldNonce,
    baseUrl: string,
    now: EpochMs,
    phase: 'activation' | 'verification',
    stateTokenHash: TokenHash | null,
  ): DelegationView | null => {
    const plugin = registry.plugin(row)
    if (plugin === null || !isDelegating(plugin) || started === null || started === undefined || started.factorId !== row.id) return null
    const profile = plugin.profileCodec.decode(row.profile)
    if (E.isLeft(profile)) return null
    const base = baseUrl.replace(/\/+$/, '')
    const factorPath = `${base}/api/v1/authn/factors/${encodeURIComponent(row.id)}`
    const factorResult = delegationResult(started, plugin.delegation.timeout, now)
    // A device's activation token, inside a sealed, expiring QR code link (never in clear in a URL).
    const token = plugin.delegation.device === undefined || stateTokenHash === null || phase !== 'activation' ? null : sealHandle(stateTokenHash, row.id, started)
    const qrClaim = token === null ? null : deps.secrets.encryptSecret(JSON.stringify({ u: row.userId, f: row.id, e: started.expiresAt, i: new URL(base).host, t: token, o: base }), 'qrcode')
    const embedded = plugin.delegation.view(
      profile.right,
      { nonce: started.nonce, expiresAt: started.expiresAt, phase, factorResult },
      {
        complete: `${factorPath}/lifecycle/duoCallback`,
        script: `${base}${DUO_SCRIPT_PATH}`,
        qrcode: qrClaim === null ? '' : `${factorPath}/qr/${qrClaim}`,
        send: { email: `${factorPath}/lifecycle/activate/email`, sms: `${factorPath}/lifecycle/activate/sms` },
      },
    )
    return { factorResult, embedded }
  }

  /** The PNG behind an activation's QR code link (404 E0000007 once expired, used or unknown). */
  const factorQrCode = (token: string): TE.TaskEither<ErrorReply, { readonly contentType: string; readonly body: Uint8Array }> => async () => {
    const gone = E.left(errorReply(failure('E0000007', [], 'qrcode')))
    const opened = deps.secrets.decryptSecret(token, 'qrcode')
    if (E.isLeft(opened)) return gone
    let claim: { u?: unknown; f?: unknown; e?: unknown; i?: unknown; t?: unknown; o?: unknown }
    try {
      claim = JSON.parse(new TextDecoder().decode(opened.right)) as typeof claim
    } catch {
      return gone
    }
    if (typeof claim.u !== 'string' || typeof claim.f !== 'string' || typeof claim.e !== 'number' || deps.clock.now() >= claim.e) return gone
    const listed = await deps.factors.listByUser(claim.u as UserId)()
    if (E.isLeft(listed)) return E.left(errorReply(storeFailure(listed.left).failure))
    const row = listed.right.find((f) => f.id === claim.f && f.status === 'PENDING_ACTIVATION')
    const plugin = row === undefined ? null : registry.plugin(row)
    if (row === undefined || plugin?.qrCode === undefined) return gone
    const secret = registry.open(plugin, row)
    const profile = plugin.profileCodec.decode(row.profile)
    if (E.isLeft(secret) || E.isLeft(profile)) return gone
    try {
      const issuer = typeof claim.i === 'string' ? claim.i : 'authn-machine'
      // A device's enrollment (push) draws its activation token; the link names the origin it was made for.
      const activation = typeof claim.t === 'string' && typeof claim.o === 'string' ? { token: claim.t, factorId: row.id, origin: claim.o } : undefined
      return E.right({ contentType: 'image/png', body: await plugin.qrCode(profile.right, secret.right, issuer, activation) })
    } catch {
      return E.left(errorReply(failure('E0000009', ['The QR code could not be drawn.'])))
    }
  }

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


  /**
   * One step on an existing transaction of any flow: load by state-token hash → bind the flow →
   * precheck → `accepts` the record (an operation of another flow: 403 E0000079) → gather facts →
   * decide → one atomic commit → deliver → render. A transaction without a user (a decoy recovery)
   * is committed under a decoy's lock (`StepStore.commitDecoy`).
   */
  const flowStep = <R extends TransactionRecord, V extends TransactionEvent>(
    accepts: (record: TransactionRecord) => record is R,
    op: string,
    /** The state token; or only its hash, for a step a device takes through a sealed handle (push), whose answer holds no state token. */
    key: string | { readonly hash: TokenHash },
    type: V['type'],
    call: Call,
    buildEvent: (l: Loaded<R>) => TE.TaskEither<StepError, V | StepFacts<V>>,
    sessionToken: string | null,
    /** Reserve an attempt with the load (a factor verification), as a password is reserved. */
    reserve = false,
  ): TE.TaskEither<StepError, AuthnReply> => {
    const attempt = async (): Promise<E.Either<StepError, AuthnReply>> => {
      const now = deps.clock.now()
      const stateToken = typeof key === 'string' ? key : null
      const stateTokenHash = typeof key === 'string' ? hashToken(key) : key.hash
      // A step-up waiting for its user (UNAUTHENTICATED) is a sealed ticket, not a stored
      // transaction: it takes primary authentication and get-state only (docs/adr/0028-step-up.md).
      if (stateToken !== null && isStepUpTicket(stateToken))
        return E.left(failed(openTicket(deps.secrets, stateToken, now) === null ? failure('E0000011') : failure('E0000079', [CAUSES.notAllowedInState])))
      const leaseId = reserve ? mint.leaseId() : null
      const loaded = await deps.steps.load(stateTokenHash, now, leaseId === null ? null : { id: leaseId, until: now + settings.attemptLeaseMs })()
      if (E.isLeft(loaded)) return E.left(fromStore(loaded.left))
      const { record, factors } = loaded.right
      const flow = flowOf(record)
      const userId = flow.userId
      const lease = leaseId === null || loaded.right.attempt === null ? null : { id: leaseId, ...loaded.right.attempt }
      // Whatever happens from here, a reserved attempt is settled or given back.
      const giveBack = async (e: E.Either<StepError, AuthnReply>) => {
        if (lease === null || userId === null) return e
        const released = await release(userId, lease.id)
        return E.isLeft(released) ? E.left(fromStore(released.left)) : e
      }
      const refused = flow.precheck(type, now) ?? (accepts(record) ? null : failure('E0000079', [CAUSES.notAllowedInState]))
      if (refused !== null || !accepts(record)) return giveBack(E.left(failed(refused ?? failure('E0000079'))))
      const built = await buildEvent({ record, now, factors, lease })()
      if (E.isLeft(built)) return giveBack(built)
      const facts: StepFacts<V> = 'event' in built.right ? built.right : { event: built.right }
      const { event } = facts
      const decided = flow.decide(event)
      if ('code' in decided) return giveBack(E.left(failed(decided)))
      const d = decided
      if (!d.changed) {
        await audit(`${op}.${d.failure?.code ?? d.state}`, record.id, userId, now)()
        return giveBack(respond(d, stateToken, sessionToken, call, now))
      }
      {
        const parts = effectsWrite(d.effects, record.context.policy, record.id, facts.settled === true ? null : (lease?.id ?? null), facts.factorRecord ?? null, facts.factorUpdate ?? null)
        const next = {
          ...record,
          version: asVersion(record.version + 1),
          state: d.state,
          context: d.context,
          expiresAt: d.context.expiresAt,
          credentialEpoch: epochAfter(record.credentialEpoch, parts.userChanges),
        } as TransactionRecord
        const transaction = { kind: 'save' as const, record: next, expected: record.version, event }
        const committed =
          userId === null
            ? await deps.steps.commitDecoy(record.id, { ...emptyStepWrite(asUserId(record.id), now), transaction })()
            : await deps.steps.commit({ ...emptyStepWrite(userId, now), ...parts, expectedEpoch: record.credentialEpoch, transaction })()
        let refusal: StepRefusal | null = null
        if (E.isRight(committed)) refusal = committed.right._tag === 'Refused' ? committed.right.reason : null
        else if (committed.left._tag !== 'Unavailable')
          return facts.settled === true ? E.left(fromStore(committed.left)) : giveBack(E.left(committed.left._tag === 'VersionConflict' ? lost : fromStore(committed.left)))
        else {
          // The connection was lost during the commit: an unknown outcome, settled by reading back,
          // never by sending the write again. Applied: answer as if the commit had answered.
          const found = await outcomeOfLostCommit(record.id, next.version, event)
          await audit(`${op}.commitLost.${found}`, record.id, userId, now)()
          if (found !== 'applied') {
            const answer =
              found === 'overtaken'
                ? facts.settled === true
                  ? failed(failure('E0000079', ['The transaction was changed by a concurrent request. Get its state and retry.']))
                  : lost
                : failed(failure('E0000009', [found === 'notApplied' ? STEP_NOT_SAVED : STEP_OUTCOME_UNKNOWN]))
            return facts.settled === true ? E.left(answer) : giveBack(E.left(answer))
          }
        }
        if (refusal !== null) {
          // A code used meanwhile by a concurrent request: a replay. A failure that locked the
          // account answers as decided (E0000069). Otherwise the credentials moved: the transaction is dead.
          if (refusal === 'factorReplayed') return E.left(failed(failure('E0000082')))
          if (d.failure?.code !== 'E0000069') return E.left(failed(failure('E0000011')))
        } else {
          await auditEffects(d.effects, record.id, now)
          // The code leaves only once the step that holds its MAC is saved, at most once (ADR 0002,
          // 0010); a decoy's decision never sends.
          if (d.effects.some((e) => e.type === 'sendCode')) {
            const delivered = await deliverAfterCommit(facts, op, record.id, userId, now)
            if (E.isLeft(delivered)) return delivered
          }
          if (facts.afterCommit !== undefined) {
            const done = await facts.afterCommit()
            if (E.isLeft(done)) return done
          }
        }
      }
      await audit(`${op}.${d.failure?.code ?? d.state}`, record.id, userId, now)()
      // A pending enrollment's activation object (TOTP: shared secret, QR code link) is shown while it waits.
      const pendingId = d.state === 'MFA_ENROLL_ACTIVATE' && 'activating' in d.context ? d.context.activating?.id : undefined
      const pending = pendingId === undefined ? undefined : facts.factorRecord?.id === pendingId ? facts.factorRecord : factors.find((f) => f.id === pendingId)
      // The nonce of a factor that signs one is shown while MFA_CHALLENGE waits for its answer.
      const held: HeldNonce = 'nonce' in d.context ? d.context.nonce : null
      const challenged = d.state === 'MFA_CHALLENGE' ? held : null
      const row =
        challenged === null || challenged === undefined
          ? undefined
          : (factors.find((f) => f.id === challenged.factorId) ?? factors.find((f) => f.status === 'ACTIVE' && f.factorType === challenged.factorId))
      const challenge = challengeOf(row, challenged, call.baseUrl, now)
      // A verification a third party carries out (Duo, push) is shown while it is waited for.
      const delegation =
        pending !== undefined ? delegationOf(pending, held, call.baseUrl, now, 'activation', stateTokenHash) : row === undefined ? null : delegationOf(row, challenged, call.baseUrl, now, 'verification', stateTokenHash)
      return respond(d, stateToken, sessionToken, call, now, pending === undefined ? null : activationOf(pending, call.baseUrl, now), challenge, delegation)
    }
    return async () => {
      let r = await attempt()
      for (let retries = settings.conflictRetries; retries > 0 && E.isLeft(r) && r.left._tag === 'Lost'; retries--) r = await attempt()
      return r
    }
  }

  const isAuthn = (r: TransactionRecord): r is AuthnRecord => r.kind === 'authn'
  const isRecovery = (r: TransactionRecord): r is RecoveryRecord => r.kind === 'recovery'
  const isAny = (_: TransactionRecord): _ is TransactionRecord => true

  /** A step of the authentication flow (a recovery transaction answers 403 E0000079). */
  const step = (
    op: string,
    stateToken: string | { readonly hash: TokenHash },
    type: AuthnEvent['type'],
    call: Call,
    buildEvent: (l: Loaded) => TE.TaskEither<StepError, AuthnEvent | StepFacts>,
    sessionToken: string | null,
    reserve = false,
  ) => flowStep(isAuthn, op, stateToken, type, call, buildEvent, sessionToken, reserve)

  /** A step of the recovery flow (an authentication transaction answers 403 E0000079). */
  const recoveryStep = (
    op: string,
    stateToken: string,
    type: RecoveryEvent['type'],
    call: Call,
    buildEvent: (l: Loaded<RecoveryRecord>) => TE.TaskEither<StepError, RecoveryEvent | StepFacts<RecoveryEvent>>,
    sessionToken: string | null,
  ) => flowStep(isRecovery, op, stateToken, type, call, buildEvent, sessionToken)

  /** A step any flow takes (get state, cancel, reset password): the event is built for the loaded flow. */
  const anyStep = (
    op: string,
    stateToken: string,
    type: TransactionEvent['type'],
    call: Call,
    buildEvent: (l: Loaded<TransactionRecord>) => TE.TaskEither<StepError, TransactionEvent | StepFacts<TransactionEvent>>,
    sessionToken: string | null,
  ) => flowStep(isAny, op, stateToken, type, call, buildEvent, sessionToken)

  const simpleStep = (op: string, type: 'transaction.read' | 'transaction.previous') => (body: unknown, call: Call): Result =>
    finish(
      op,
      pipe(
        TE.fromEither(decodeBody(StateTokenRequest, 'stateTokenRequest')(body)),
        TE.chain(({ stateToken }) => (type === 'transaction.read' ? anyStep : step)(op, stateToken, type, call, ({ now }) => TE.right({ type, now }), null)),
      ),
    )

  const getState = simpleStep('getState', 'transaction.read')

  return {
    sentCodes,
    factorQrCode,
    registry,
    admit,
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
    recoveryStep,
    anyStep,
    deliverAfterCommit,
    simpleStep,
    getState,
    sealHandle,
    openHandle,
    delegationResult,
    deps,
  }
}

export type Pipeline = ReturnType<typeof createPipeline>
