import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import {
  CAUSES,
  RecoveryAnswerRequest,
  RecoveryStartRequest,
  RecoveryTokenRequest,
  RecoveryVerifyRequest,
  StateTokenRequest,
  asTransactionId,
  asUserId,
  asVersion,
  blankUser,
  decideRecoveryStart,
  decoyOf,
  effectiveLockout,
  emptyStepWrite,
  failure,
  initialRecoveryContext,
  recoveryPolicyOf,
  renderEmailChallenge,
  renderRecoveryTokenIssued,
  type EpochMs,
  type IssuedToken,
  type OutboundMessage,
  type Policies,
  type RecoveryEvent,
  type RecoveryInput,
  type RecoveryKind,
  type RecoveryRecord,
  type TransactionId,
  type UserRecord,
} from '@authn-machine/core'
import type { Authn, AuthnReply, Call, Result } from '../api.js'
import { hashToken } from '../defaults.js'
import { recoveryDecision, type StepDecision } from '../flows.js'
import { failed, fromStore, type Loaded, type Pipeline, type StepError, type StepFacts } from '../pipeline.js'
import type { AnySendingFactor } from '../sent-codes.js'

/** The channels a recovery starts by, as the request names them (any case). */
type Channel = 'EMAIL' | 'SMS' | 'CALL'
const CHANNELS: Readonly<Record<string, Channel>> = { email: 'EMAIL', sms: 'SMS', call: 'CALL' }

/** The factor family that carries a channel's code, as enrolled. */
const FACTOR_OF = { SMS: 'sms', CALL: 'call' } as const

/** User statuses whose password may be recovered; an unlock needs the account locked as well. */
const RECOVERABLE: ReadonlyArray<UserRecord['status']> = ['ACTIVE', 'PASSWORD_EXPIRED', 'LOCKED_OUT', 'RECOVERY']

/** How a recovery question's answer is compared: as the seed hashed it (trimmed, lower case). */
const normaliseAnswer = (a: string): string => a.trim().toLowerCase()

/**
 * The recovery operations (spec §4.12–4.18, docs/adr/0012-recovery.md), on the shared pipeline:
 * a recovery transaction is a second flow (`kind: 'recovery'`) of the same load → decide →
 * commit → render. Public callers never learn whether a user exists: an unknown user, or one whose
 * recovery the policy does not allow, gets a decoy that is stored, answered, and costs the same
 * as a real recovery (its codes are made but never sent; its email token is stored but never
 * mailed), and can never succeed.
 */
export const recoveryOperations = (
  p: Pipeline,
): Pick<Authn, 'forgotPassword' | 'unlockAccount' | 'verifyRecoveryFactor' | 'resendRecoveryChallenge' | 'verifyRecoveryToken' | 'answerRecoveryQuestion'> => {
  const { deps, registry, settings, mint, sentCodes, dummyHash, audit, decodeBody, hasherFailed, auditEffects, effectsWrite, epochAfter, respond, finish, recoveryStep, deliverAfterCommit } = p

  const inputOf = (user: UserRecord | null, recoveryType: RecoveryKind, factorType: 'SMS' | 'CALL' | null, policy: Policies, relayState: string | null, now: EpochMs): RecoveryInput => ({
    user,
    recoveryType,
    factorType,
    policy,
    question: user?.credentials.recoveryQuestion?.question ?? null,
    relayState,
    now,
    lifetimeMs: settings.stateTokenLifetimeMs,
    maxLifetimeMs: settings.stateTokenMaxLifetimeMs,
    sessionLifetimeMs: settings.sessionTokenLifetimeMs,
  })

  /** Whether the policy lets this user recover this way now (self-service on, status, a lock to undo). */
  const allowed = (user: UserRecord, policy: Policies, kind: RecoveryKind, now: EpochMs): boolean => {
    const rp = recoveryPolicyOf(policy)
    if (!RECOVERABLE.includes(user.status)) return false
    if (kind === 'PASSWORD') return rp.selfServicePasswordReset
    return rp.selfServiceUnlock && effectiveLockout(user, policy.password.lockout, now).lockedOut
  }

  /** Whether a channel is on in a recovery policy. */
  const channelOn = (policy: Policies, channel: Channel): boolean => {
    const rp = recoveryPolicyOf(policy)
    return channel === 'EMAIL' ? rp.channels.email : channel === 'SMS' ? rp.channels.sms : rp.channels.call
  }

  /** The family that sends a channel's codes, when this server has it. */
  const senderOf = (channel: 'SMS' | 'CALL'): AnySendingFactor | null => {
    const plugin = registry.plugin({ factorType: FACTOR_OF[channel], provider: 'OKTA' })
    return plugin?.delivery === undefined ? null : (plugin as AnySendingFactor)
  }

  /**
   * The user a recovery is for and the policies to judge it by: the user's own, and the one an
   * unknown login gets. Both are looked up for every request, so that known and unknown logins
   * cost the same.
   */
  const lookUp = (username: string, call: Call): TE.TaskEither<StepError, { readonly user: UserRecord | null; readonly policy: Policies; readonly orgPolicy: Policies }> => async () => {
    const found = await deps.users.findByLogin(username)()
    if (E.isLeft(found) && found.left._tag !== 'NotFound') return E.left(fromStore(found.left))
    const user = E.isRight(found) ? found.right : null
    const orgPolicy = await deps.policies.forUser(blankUser(decoyOf(username), username), call.context)()
    if (E.isLeft(orgPolicy)) return E.left(fromStore(orgPolicy.left))
    // The user's own policy; for an unknown login the same lookup again, so that both cost two.
    const policy = await deps.policies.forUser(user ?? blankUser(decoyOf(username), username), call.context)()
    if (E.isLeft(policy)) return E.left(fromStore(policy.left))
    return E.right({ user, policy: policy.right, orgPolicy: orgPolicy.right })
  }

  /** A new recovery transaction's first record, from its first decision. */
  const firstRecord = (id: TransactionId, stateToken: string, d: StepDecision, now: EpochMs, credentialEpoch: number): RecoveryRecord => ({
    schemaVersion: 1,
    id,
    kind: 'recovery',
    stateTokenHash: hashToken(stateToken),
    version: asVersion(1),
    state: d.state,
    context: d.context as RecoveryRecord['context'],
    createdAt: now,
    credentialEpoch,
    expiresAt: d.context.expiresAt,
  })

  /** The link a recovery email carries (the reference server's widget page serves it). */
  const recoveryLink = (baseUrl: string, kind: RecoveryKind, token: string): string =>
    `${baseUrl.replace(/\/+$/, '')}/signin/${kind === 'PASSWORD' ? 'reset-password' : 'unlock'}/${encodeURIComponent(token)}`

  /**
   * A recovery token: stored by its hash for the user (or for the login's decoy, so that an unknown
   * login writes what a known one writes), single use, expiring per the recovery policy.
   */
  const issueToken = (userId: string, kind: RecoveryKind, policy: Policies, now: EpochMs): TE.TaskEither<StepError, { readonly token: string; readonly issued: IssuedToken }> => {
    const token = mint.recoveryToken()
    const issued: IssuedToken = {
      schemaVersion: 1,
      hash: hashToken(token),
      kind: kind === 'PASSWORD' ? 'recovery' : 'unlock',
      userId: asUserId(userId),
      transactionId: asTransactionId(mint.transactionId()),
      expiresAt: now + recoveryPolicyOf(policy).recoveryTokenLifetimeMinutes * 60_000,
    }
    return pipe(
      deps.transactions.issueToken(issued),
      TE.bimap(fromStore, () => ({ token, issued })),
    )
  }

  /**
   * A public recovery by email (spec §4.12): the same bare answer for everyone. A user the policy
   * lets recover gets a link with a recovery token (mailed after the token is stored, in the
   * background); anyone else's token is stored for the login's decoy and mailed to no one.
   */
  const byEmail = (req: RecoveryStartRequest, kind: RecoveryKind, op: string, call: Call, user: UserRecord | null, policy: Policies): TE.TaskEither<StepError, AuthnReply> => async () => {
    const now = deps.clock.now()
    const to = user?.profile.email ?? null
    const real = user !== null && to !== null && allowed(user, policy, kind, now)
    const issued = await issueToken(real ? user.id : decoyOf(req.username), kind, policy, now)()
    if (E.isLeft(issued)) return issued
    if (real) {
      const message: OutboundMessage = {
        id: `msg${issued.right.issued.transactionId}`,
        channel: 'email',
        to,
        subject: kind === 'PASSWORD' ? 'Reset your password' : 'Unlock your account',
        text:
          `${kind === 'PASSWORD' ? 'A password reset' : 'An account unlock'} was requested for ${user.profile.login}.\n\n` +
          `${recoveryLink(call.baseUrl, kind, issued.right.token)}\n\n` +
          `The link works once, for ${recoveryPolicyOf(policy).recoveryTokenLifetimeMinutes} minutes. If you did not ask for it, you can ignore this email.`,
        purpose: 'recovery-link',
        createdAt: now,
      }
      await deliverAfterCommit({ outbound: message, deliverInBackground: true }, op, null, user.id, now)
      await audit(`${op}.email.issued`, null, user.id, now)()
    } else await audit(`${op}.email.decoy`, null, null, now)()
    return E.right({ status: 200, body: renderEmailChallenge(kind, req.relayState ?? null) })
  }

  /**
   * A public recovery by SMS or voice call: a recovery transaction in RECOVERY_CHALLENGE whose code
   * goes to the user's enrolled phone, or a decoy's that goes nowhere (same answer, same writes).
   */
  const byPhone = (
    req: RecoveryStartRequest,
    kind: RecoveryKind,
    channel: 'SMS' | 'CALL',
    op: string,
    call: Call,
    user: UserRecord | null,
    policy: Policies,
    sender: AnySendingFactor,
  ): TE.TaskEither<StepError, AuthnReply> => async () => {
    const now = deps.clock.now()
    // An unknown login's factors are its decoy's (none): the same query as a known user's.
    const listed = await deps.factors.listByUser(user?.id ?? asUserId(decoyOf(req.username)))()
    if (E.isLeft(listed)) return E.left(fromStore(listed.left))
    const phone = listed.right.find((f) => f.factorType === FACTOR_OF[channel] && f.status === 'ACTIVE' && registry.plugin(f)?.delivery !== undefined)
    const real = user !== null && phone !== undefined && allowed(user, policy, kind, now) ? { user, phone } : null
    const id = asTransactionId(mint.transactionId())
    const stateToken = mint.stateToken()
    const input = inputOf(real?.user ?? null, kind, channel, policy, req.relayState ?? null, now)
    let event: RecoveryEvent
    let outbound: OutboundMessage | undefined
    if (real !== null) {
      const profile = sender.profileCodec.decode(real.phone.profile)
      if (E.isLeft(profile)) return E.left(failed(failure('E0000009', ['The enrolled phone could not be read.'])))
      const issued = sentCodes.issue(sender, profile.right, { transactionId: id, factorId: real.phone.id, factorType: real.phone.factorType }, policy, now, 'recovery-code')
      if (E.isLeft(issued)) return E.left(failed(issued.left))
      event = { type: 'recovery.challenge', now, sent: issued.right.sent, resend: false }
      outbound = issued.right.message
    } else {
      const sent = sentCodes.issueUndelivered(sender.delivery, { transactionId: id, factorId: `decoy${id}`, factorType: FACTOR_OF[channel] }, policy, now)
      if (E.isLeft(sent)) return E.left(failed(sent.left))
      event = { type: 'recovery.challenge', now, sent: sent.right, resend: false }
    }
    const d = recoveryDecision(decideRecoveryStart(input, event))
    if (d.failure !== null) return E.left(failed(d.failure))
    const record = firstRecord(id, stateToken, d, now, real?.user.credentialEpoch ?? 0)
    const transaction = { kind: 'create' as const, record, event, start: initialRecoveryContext(input) }
    const committed =
      real === null
        ? await deps.steps.commitDecoy(req.username, { ...emptyStepWrite(asUserId(decoyOf(req.username)), now), transaction })()
        : await deps.steps.commit({ ...emptyStepWrite(real.user.id, now), expectedEpoch: real.user.credentialEpoch, transaction })()
    if (E.isLeft(committed)) return E.left(fromStore(committed.left))
    // A credential change between the lookup and the write: the recovery is refused as a decoy's would not be; retrying starts afresh.
    if (committed.right._tag === 'Refused') return E.left(failed(failure('E0000079', ['The account changed while the recovery started. Retry.'])))
    await auditEffects(d.effects, id, now)
    if (real !== null && d.effects.some((e) => e.type === 'sendCode')) await deliverAfterCommit({ ...(outbound === undefined ? {} : { outbound }), deliverInBackground: true }, op, id, real.user.id, now)
    await audit(`${op}.${real === null ? 'decoy' : d.state}`, id, real?.user.id ?? null, now)()
    return respond(d, stateToken, null, call, now)
  }

  /**
   * A trusted caller's recovery without a channel (spec §4.12): the recovery token itself, for the
   * caller to hand to the user; an unknown user is 403 E0000095, one the policy does not let
   * recover 403 E0000034 (password) or E0000032 (unlock).
   */
  const byTrustedCaller = (req: RecoveryStartRequest, kind: RecoveryKind, op: string, call: Call, user: UserRecord | null, policy: Policies): TE.TaskEither<StepError, AuthnReply> => async () => {
    const now = deps.clock.now()
    if (user === null) return E.left(failed(failure('E0000095')))
    if (!allowed(user, policy, kind, now)) return E.left(failed(failure(kind === 'PASSWORD' ? 'E0000034' : 'E0000032')))
    const issued = await issueToken(user.id, kind, policy, now)()
    if (E.isLeft(issued)) return issued
    await audit(`${op}.token.issued`, null, user.id, now)()
    const context = initialRecoveryContext(inputOf(user, kind, null, policy, req.relayState ?? null, now))
    return E.right({
      status: 200,
      body: renderRecoveryTokenIssued(context, kind, issued.right.token, issued.right.issued.expiresAt, req.relayState ?? null, call.baseUrl),
    })
  }

  const start =
    (kind: RecoveryKind, op: 'forgotPassword' | 'unlockAccount') =>
    (body: unknown, call: Call): Result =>
      finish(
        op,
        pipe(
          TE.fromEither(decodeBody(RecoveryStartRequest, 'recoveryRequest')(body)),
          TE.chain((req) => {
            const named = req.factorType === undefined ? undefined : CHANNELS[req.factorType.toLowerCase()]
            if (req.factorType !== undefined && named === undefined)
              return TE.left(failed(failure('E0000001', [`factorType: '${req.factorType}' is not a recovery factor (EMAIL, SMS or CALL).`], 'recoveryRequest')))
            if (named === undefined && !call.context.trusted)
              return TE.left(failed(failure('E0000001', ['factorType: The field cannot be left blank'], 'recoveryRequest')))
            return pipe(
              lookUp(req.username, call),
              TE.chain(({ user, policy, orgPolicy }) => {
                if (named === undefined) return byTrustedCaller(req, kind, op, call, user, policy)
                // A channel the policy for unknown logins turns off is off for everyone (saying so reveals no one);
                // one only this user's policy turns off answers as a decoy.
                const sender = named === 'EMAIL' ? null : senderOf(named)
                if (!channelOn(orgPolicy, named) || (named !== 'EMAIL' && sender === null))
                  return TE.left(failed(failure('E0000001', [`factorType: Recovery by ${named} is not enabled.`], 'recoveryRequest')))
                const own = channelOn(policy, named) ? policy : { ...policy, recovery: { ...recoveryPolicyOf(policy), selfServicePasswordReset: false, selfServiceUnlock: false } }
                return named === 'EMAIL' || sender === null ? byEmail(req, kind, op, call, user, own) : byPhone(req, kind, named, op, call, user, own, sender)
              }),
            )
          }),
        ),
      )

  /** The code a RECOVERY_CHALLENGE waits for, by the channel of the path (which must be the transaction's). */
  const channelMatches = (record: RecoveryRecord, segment: unknown): boolean =>
    typeof segment === 'string' && record.context.factorType !== null && segment.toLowerCase() === record.context.factorType.toLowerCase()

  const verifyRecoveryFactor = (body: unknown, call: Call): Result =>
    finish(
      'verifyRecoveryFactor',
      pipe(
        TE.fromEither(decodeBody(RecoveryVerifyRequest, 'recoveryVerifyRequest')(body)),
        TE.chain((req) =>
          recoveryStep(
            'verifyRecoveryFactor',
            req.stateToken,
            'recovery.verify',
            call,
            ({ record, now }) => {
              if (!channelMatches(record, (body as { factorType?: unknown }).factorType)) return TE.left(failed(failure('E0000079', [CAUSES.notAllowedInState])))
              const c = record.context
              const outcome = c.sent === null ? 'rejected' : sentCodes.check(c.sent, record.id, c.sent.factorId, req.passCode, now)
              return TE.right({ type: 'recovery.verify', now, outcome: outcome === 'accepted' ? 'accepted' : 'rejected' })
            },
            null,
          ),
        ),
      ),
    )

  const resendRecoveryChallenge = (body: unknown, call: Call): Result =>
    finish(
      'resendRecoveryChallenge',
      pipe(
        TE.fromEither(decodeBody(StateTokenRequest, 'stateTokenRequest')(body)),
        TE.chain((req) =>
          recoveryStep(
            'resendRecoveryChallenge',
            req.stateToken,
            'recovery.challenge',
            call,
            ({ record, now, factors }: Loaded<RecoveryRecord>): TE.TaskEither<StepError, StepFacts<RecoveryEvent>> => {
              const c = record.context
              if (!channelMatches(record, (body as { factorType?: unknown }).factorType) || c.factorType === null || c.sent === null)
                return TE.left(failed(failure('E0000079', [CAUSES.notAllowedInState])))
              const sender = senderOf(c.factorType)
              if (sender === null) return TE.left(failed(failure('E0000079', [CAUSES.notAllowedInState])))
              const target = { transactionId: record.id, factorId: c.sent.factorId, factorType: c.sent.factorType }
              const phone = c.userId === null ? undefined : factors.find((f) => f.id === c.sent?.factorId && f.status === 'ACTIVE')
              if (phone === undefined) {
                // A decoy (or a phone removed meanwhile): a new code that no one gets, as a real one costs.
                const sent = sentCodes.issueUndelivered(sender.delivery, target, c.policy, now)
                return TE.fromEither(E.bimap(failed, (s: typeof c.sent & object) => ({ event: { type: 'recovery.challenge' as const, now, sent: s, resend: true } }))(sent))
              }
              const profile = sender.profileCodec.decode(phone.profile)
              if (E.isLeft(profile)) return TE.left(failed(failure('E0000009', ['The enrolled phone could not be read.'])))
              const issued = sentCodes.issue(sender, profile.right, target, c.policy, now, 'recovery-code')
              if (E.isLeft(issued)) return TE.left(failed(issued.left))
              return TE.right({ event: { type: 'recovery.challenge', now, sent: issued.right.sent, resend: true }, outbound: issued.right.message, deliverInBackground: true })
            },
            null,
          ),
        ),
      ),
    )

  const answerRecoveryQuestion = (body: unknown, call: Call): Result =>
    finish(
      'answerRecoveryQuestion',
      pipe(
        TE.fromEither(decodeBody(RecoveryAnswerRequest, 'recoveryAnswerRequest')(body)),
        TE.chain((req) => {
          const sessionToken = mint.sessionToken()
          return recoveryStep(
            'answerRecoveryQuestion',
            req.stateToken,
            'recovery.answer',
            call,
            ({ record, now }) => async () => {
              const userId = record.context.userId
              const found = userId === null ? null : await deps.users.findById(userId)()
              if (found !== null && E.isLeft(found)) return E.left(found.left._tag === 'NotFound' ? failed(failure('E0000011')) : fromStore(found.left))
              const stored = found === null ? null : (found.right.credentials.recoveryQuestion?.answerHash ?? null)
              // No answer to check (a decoy never gets here): the dummy hash, so that the work is the same.
              const against = stored === null ? await dummyHash()() : E.right<StepError, string>(stored)
              if (E.isLeft(against)) return against
              const verified = await deps.hasher.verify(against.right, normaliseAnswer(req.answer))()
              if (E.isLeft(verified)) return E.left(hasherFailed(verified.left))
              return E.right({ type: 'recovery.answer', now, outcome: verified.right && stored !== null ? 'accepted' : 'rejected', sessionTokenHash: hashToken(sessionToken) })
            },
            sessionToken,
          )
        }),
      ),
    )

  /**
   * `POST /recovery/token` (spec §4.16): the token is used up first (of parallel redemptions one
   * wins), then the recovery transaction it opens is written; a token that is unknown, expired,
   * used, a decoy's, or whose user may no longer recover this way is 401 E0000011.
   */
  const verifyRecoveryToken = (body: unknown, call: Call): Result =>
    finish(
      'verifyRecoveryToken',
      pipe(
        TE.fromEither(decodeBody(RecoveryTokenRequest, 'recoveryTokenRequest')(body)),
        TE.chain((req): TE.TaskEither<StepError, AuthnReply> => async () => {
          const invalid = E.left(failed(failure('E0000011')))
          const now = deps.clock.now()
          const consumed = await deps.transactions.consumeToken(hashToken(req.recoveryToken), ['recovery', 'unlock'], now)()
          if (E.isLeft(consumed)) return consumed.left._tag === 'NotFound' || consumed.left._tag === 'AlreadyConsumed' ? invalid : E.left(fromStore(consumed.left))
          const token = consumed.right
          const kind: RecoveryKind = token.kind === 'unlock' ? 'UNLOCK' : 'PASSWORD'
          const found = await deps.users.findById(token.userId)()
          if (E.isLeft(found)) return found.left._tag === 'NotFound' ? invalid : E.left(fromStore(found.left))
          const user = found.right
          const policy = await deps.policies.forUser(user, call.context)()
          if (E.isLeft(policy)) return E.left(fromStore(policy.left))
          if (!allowed(user, policy.right, kind, now)) {
            await audit('verifyRecoveryToken.E0000011.notAllowed', token.transactionId, user.id, now)()
            return E.left({ _tag: 'Failed', failure: failure('E0000011'), audited: true })
          }
          const input = inputOf(user, kind, null, policy.right, req.relayState ?? null, now)
          const event: RecoveryEvent = { type: 'recovery.token', now }
          const d = recoveryDecision(decideRecoveryStart(input, event))
          if (d.failure !== null) return E.left(failed(d.failure))
          const stateToken = mint.stateToken()
          const parts = effectsWrite(d.effects, policy.right, token.transactionId, null)
          const record = firstRecord(token.transactionId, stateToken, d, now, epochAfter(user.credentialEpoch, parts.userChanges))
          const committed = await deps.steps.commit({
            ...emptyStepWrite(user.id, now),
            ...parts,
            expectedEpoch: user.credentialEpoch,
            transaction: { kind: 'create', record, event, start: initialRecoveryContext(input) },
          })()
          if (E.isLeft(committed)) return E.left(fromStore(committed.left))
          if (committed.right._tag === 'Refused') return invalid
          await auditEffects(d.effects, record.id, now)
          await audit(`verifyRecoveryToken.${d.state}`, record.id, user.id, now)()
          return respond(d, d.state === 'SUCCESS' ? null : stateToken, null, call, now)
        }),
      ),
    )

  return {
    forgotPassword: start('PASSWORD', 'forgotPassword'),
    unlockAccount: start('UNLOCK', 'unlockAccount'),
    verifyRecoveryFactor,
    resendRecoveryChallenge,
    verifyRecoveryToken,
    answerRecoveryQuestion,
  }
}
