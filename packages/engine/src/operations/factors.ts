import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import * as t from 'io-ts'
import {
  EnrollFactorRequest,
  FactorAnswerRequest,
  FactorResendRequest,
  FactorProvider,
  FactorType,
  CAUSES,
  asFactorId,
  describeDecodeErrors,
  emptyStepWrite,
  failure,
  flagValue,
  lockedNow,
  type AuthnEvent,
  type Factor,
  type FactorOutcome,
  type FactorRecord,
  type AuthnRecord,
  type ChallengingFactor,
  type DelegatingFactor,
  type IssuedNonce,
  type TokenHash,
  type Verification,
  type VerifyingFactor,
  isChallenging,
  isDelegating,
  DuoCallbackRequest,
} from '@authn-machine/core'
import type { Authn, Call, Result } from '../api.js'
import { hashToken } from '../defaults.js'
import { failed, fromStore, type Loaded, type Pipeline, type StepError, type StepFacts } from '../pipeline.js'
import type { AnySendingFactor } from '../sent-codes.js'
import { delegationKit } from './delegated.js'

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/** The answer to a sent code: a `passCode` string (the family's codec may ask for more). */
const PassCodeAnswer = t.type({ passCode: t.string }, 'factorVerifyRequest')

/**
 * Whether a verification body carries a `passCode` (absent: a family that sends codes sends one).
 * An empty one counts as absent: the Sign-In Widget asks for the code with `"passCode": ""`.
 */
const hasPassCode = (body: unknown): boolean => {
  const passCode = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)['passCode'] : undefined
  return passCode !== undefined && passCode !== ''
}

/**
 * Whether enrolling `next` replaces a pending phone of the user with another number (Okta asks
 * for `updatePhone=true` then, spec §4.6).
 */
const phoneReplaced = (factors: ReadonlyArray<FactorRecord>, next: FactorRecord): boolean =>
  typeof next.profile['phoneNumber'] === 'string' &&
  factors.some(
    (f) => f.status === 'PENDING_ACTIVATION' && f.factorType === next.factorType && f.provider === next.provider && typeof f.profile['phoneNumber'] === 'string' && f.profile['phoneNumber'] !== next.profile['phoneNumber'],
  )

/** The answer a missing or foreign factor id gets: the same for another user's and an unknown one. */
const notFound = (factorId: string): StepError => failed(failure('E0000007', [], `${factorId} (UserFactor)`))

const outcomeOf = (v: Verification<unknown>): { readonly outcome: FactorOutcome; readonly counter: number | null } =>
  v._tag === 'Accepted' ? { outcome: 'accepted', counter: v.counter } : { outcome: v._tag === 'Replayed' ? 'replayed' : 'rejected', counter: null }

/** The state a factor's server asked to keep for the next code (RSA's next-tokencode mode), as the event carries it. */
const serverChallengeOf = (v: Verification<unknown>, now: number): { readonly challenge?: { readonly nonce: string; readonly expiresAt: number } } =>
  v._tag === 'Challenged' ? { challenge: { nonce: v.state, expiresAt: now + v.lifetimeMs } } : {}

/**
 * The MFA operations (spec §4.6, §4.7, §4.10): enroll, activate and verify a factor. The factor's
 * plug-in checks the answer BEFORE the machine decides; the outcome arrives in the event. A factor
 * verification reserves an attempt with the load, and a wrong answer is recorded (toward lockout)
 * before deciding, as a wrong password is (docs/adr/0008, 0009).
 */
export const factorOperations = (
  p: Pipeline,
): Pick<Authn, 'enrollFactor' | 'activateFactor' | 'verifyFactor' | 'resendActivation' | 'resendChallenge' | 'pollFactorActivation' | 'duoCallback'> => {
  const { deps, registry, mint, admit, decodeBody, finish, step, sentCodes } = p
  const { startedFor, startDelegation, notifying } = delegationKit(p)

  const factorContext = (now: number) => ({ random: deps.random, hasher: deps.hasher, now })
  /** What a family that signs nonces checks against: the origin the binding serves for this call. */
  const challengeContext = (now: number, call: Call) => ({ ...factorContext(now), origin: call.baseUrl.replace(/\/+$/, '') })

  /** Okta-style factor id: the family's prefix and 17 random alphanumerics. */
  const newFactorId = (prefix: string): string => {
    const bytes = deps.random.bytes(17)
    return prefix + Array.from(bytes, (b) => ALNUM[b % ALNUM.length]).join('')
  }

  /** Decodes `value` with a plug-in's codec: Okta's 400 with causes. */
  const decodeWith = <A>(codec: { readonly decode: (u: unknown) => E.Either<t.Errors, A> }, value: unknown, name: string): E.Either<StepError, A> =>
    pipe(
      codec.decode(value),
      E.mapLeft((errs) => failed(failure('E0000001', describeDecodeErrors(errs), name))),
    )

  const pluginFor = (f: { readonly factorType: FactorRecord['factorType']; readonly provider: FactorRecord['provider'] }): E.Either<StepError, Factor> => {
    const plugin = registry.plugin(f)
    return plugin === null ? E.left(failed(failure('E0000001', [`factorType: ${f.factorType} (${f.provider}) is not supported by this server.`], 'factorEnrollRequest'))) : E.right(plugin)
  }

  /** Checks an answer with the factor's plug-in (the secret opened from its sealed form). */
  const checkSecret = (plugin: VerifyingFactor<unknown, unknown, unknown>, f: FactorRecord, record: AuthnRecord, body: unknown, now: number): TE.TaskEither<StepError, Verification<unknown>> => {
    // The state the factor's server asked this transaction to keep for this factor's next code (RSA), unexpired.
    const held = record.context.nonce ?? null
    const kept: IssuedNonce | null = held !== null && held.factorId === f.id && now < held.expiresAt ? { nonce: held.nonce, expiresAt: held.expiresAt } : null
    return pipe(
      TE.fromEither(decodeWith(plugin.answerCodec, body, 'factorVerifyRequest')),
      TE.bindTo('answer'),
      TE.bind('secret', () => TE.fromEither(pipe(registry.open(plugin, f), E.mapLeft(failed)))),
      TE.chain(({ answer, secret }) => pipe(plugin.verify(secret, answer, f.lastCounter, factorContext(now), kept), TE.mapLeft(failed))),
    )
  }

  /** Checks a `passCode` against the code this transaction sent for the factor (docs/adr/0010-sent-codes.md). */
  const checkSent = (plugin: AnySendingFactor, f: FactorRecord, record: AuthnRecord, body: unknown, now: number): E.Either<StepError, Verification<unknown>> =>
    pipe(
      decodeWith(PassCodeAnswer, body, 'factorVerifyRequest'),
      E.chain(() => decodeWith(plugin.answerCodec, body, 'factorVerifyRequest')),
      E.map(() => {
        const passCode = (body as { readonly passCode: string }).passCode
        return sentCodes.check(record.context.sent, record.id, f.id, passCode, now) === 'accepted'
          ? { _tag: 'Accepted' as const, counter: null }
          : { _tag: 'Rejected' as const }
      }),
    )

  /**
   * Checks an assertion against the nonce this transaction issued for the factor (none, another
   * factor's or an expired one: the plug-in gets null and refuses) and the stored credential.
   */
  const checkSigned = (plugin: ChallengingFactor<unknown, unknown, unknown>, f: FactorRecord, record: AuthnRecord, body: unknown, now: number, call: Call): TE.TaskEither<StepError, Verification<unknown>> => {
    const held = record.context.nonce ?? null
    // Issued for this factor, or for its type (WebAuthn by type), and unexpired.
    const nonce: IssuedNonce | null =
      held !== null && (held.factorId === f.id || held.factorId === f.factorType) && now < held.expiresAt ? { nonce: held.nonce, expiresAt: held.expiresAt } : null
    return pipe(
      TE.fromEither(decodeWith(plugin.answerCodec, body, 'factorVerifyRequest')),
      TE.bindTo('answer'),
      TE.bind('secret', () => TE.fromEither(pipe(registry.open(plugin, f), E.mapLeft(failed)))),
      TE.chain(({ answer, secret }) => pipe(plugin.verify(secret, answer, nonce, f.lastCounter, challengeContext(now, call)), TE.mapLeft(failed))),
    )
  }

  /** Checks an answer: against the stored secret, against the code that was sent, or against the nonce issued. */
  const check = (plugin: Factor, f: FactorRecord, record: AuthnRecord, body: unknown, now: number, call: Call): TE.TaskEither<StepError, Verification<unknown>> =>
    // A third party's verification is confirmed through its callback, never by an answer here.
    isDelegating(plugin)
      ? TE.right({ _tag: 'Rejected' })
      : isChallenging(plugin)
      ? checkSigned(plugin, f, record, body, now, call)
      : plugin.delivery === undefined
        ? checkSecret(plugin, f, record, body, now)
        : TE.fromEither(checkSent(plugin, f, record, body, now))

  /** Whether a body answers the challenge of a family that signs nonces (its answer codec accepts it). */
  const answersChallenge = (plugin: ChallengingFactor<unknown, unknown, unknown>, body: unknown): boolean => E.isRight(plugin.answerCodec.decode(body))

  /** A new nonce for `f`, or for every factor of a type (MFA_REQUIRED → MFA_CHALLENGE, or a new one in MFA_CHALLENGE). */
  const nonceFor = (plugin: ChallengingFactor<unknown, unknown, unknown>, key: string, now: number): StepFacts => ({
    event: { type: 'factor.nonce', now, factorId: asFactorId(key), nonce: { nonce: plugin.challenges.nonce(factorContext(now)), expiresAt: now + plugin.challenges.lifetimeMs } },
  })

  /**
   * A new verification for a factor a third party or a device verifies (MFA_CHALLENGE): started,
   * and told to the device once the step is saved (push).
   */
  const newDelegation = (plugin: DelegatingFactor<unknown, unknown, unknown>, f: FactorRecord, record: AuthnRecord, stateToken: string, call: Call, now: number): StepFacts => {
    const nonce = startDelegation(plugin, now, 'verification')
    const afterCommit = notifying(plugin, f, record, nonce, hashToken(stateToken), call, now)
    return { event: { type: 'factor.nonce', now, factorId: f.id, nonce }, ...(afterCommit === undefined ? {} : { afterCommit }) }
  }

  /** The factor types verified by type rather than by id (spec §4.10: `/api/v1/authn/factors/webauthn/verify`). */
  const BY_TYPE: ReadonlyArray<string> = ['webauthn']

  /**
   * An activation of a family whose enrollment is a registration: the registration against the
   * pending enrollment; registered, the credential becomes the factor's profile and secret.
   */
  const registerOf = (
    plugin: ChallengingFactor<unknown, unknown, unknown>,
    f: FactorRecord,
    body: unknown,
    now: number,
    call: Call,
    sessionTokenHash: TokenHash,
  ): TE.TaskEither<StepError, StepFacts> =>
    pipe(
      TE.fromEither(decodeWith(plugin.answerCodec, body, 'factorVerifyRequest')),
      TE.bindTo('answer'),
      TE.bind('pending', () => TE.fromEither(pipe(registry.open(plugin, f), E.mapLeft(failed)))),
      TE.chain(({ answer, pending }) => pipe(plugin.register(pending, answer, challengeContext(now, call)), TE.mapLeft(failed))),
      TE.map((r): StepFacts => {
        const base = { type: 'factor.activate' as const, now, factorId: f.id, sessionTokenHash }
        if (r._tag === 'Rejected') return { event: { ...base, outcome: 'rejected', counter: null } }
        return {
          event: { ...base, outcome: 'accepted', counter: r.counter },
          factorUpdate: {
            factorId: f.id,
            profile: plugin.profileCodec.encode(r.profile) as Record<string, unknown>,
            secret: registry.seal(plugin, r.secret, f.userId, f.id),
          },
        }
      }),
    )

  /** A new code for `f` in this transaction, as the facts of a `factor.challenge` event. */
  const challengeOf = (plugin: AnySendingFactor, f: FactorRecord, record: AuthnRecord, now: number, resend: boolean): E.Either<StepError, StepFacts> =>
    pipe(
      decodeWith(plugin.profileCodec, f.profile, 'factorVerifyRequest'),
      E.chain((profile) =>
        pipe(
          sentCodes.issue(plugin, profile, { transactionId: record.id, factorId: f.id, factorType: f.factorType }, record.context.policy, now, record.context.activating === null ? 'mfa-challenge' : 'mfa-activation'),
          E.mapLeft(failed),
        ),
      ),
      E.map(({ sent, message }): StepFacts => ({ event: { type: 'factor.challenge', now, factorId: f.id, sent, resend }, outbound: message })),
    )

  /** The family of a factor that sends codes, or E0000079: nothing to (re)send for this one (no `resend` link is published). */
  const sendingPlugin = (f: FactorRecord): E.Either<StepError, AnySendingFactor> => {
    const plugin = registry.plugin(f)
    return plugin === null || plugin.delivery === undefined ? E.left(failed(failure('E0000079', [CAUSES.notAllowedInState]))) : E.right(plugin)
  }

  // ---------------------------------------------------------------------------------------------

  const enrollFactor = (body: unknown, call: Call): Result =>
    finish(
      'enrollFactor',
      pipe(
        TE.fromEither(decodeBody(EnrollFactorRequest, 'factorEnrollRequest')(body)),
        TE.chain((req) => {
          const sessionToken = mint.sessionToken()
          const buildEvent = ({ record, now, factors }: Loaded): TE.TaskEither<StepError, StepFacts> => {
            const c = record.context
            const causes = [
              ...(FactorType.is(req.factorType) ? [] : [`factorType: '${req.factorType}' is not a factor type.`]),
              ...(FactorProvider.is(req.provider) ? [] : [`provider: '${req.provider}' is not a factor provider.`]),
            ]
            if (!FactorType.is(req.factorType) || !FactorProvider.is(req.provider)) return TE.left(failed(failure('E0000001', causes, 'factorEnrollRequest')))
            const factorType = req.factorType
            const provider = req.provider
            const allowed = c.policy.enrollment.factors.some((e) => e.factorType === factorType && e.provider === provider && e.enroll !== 'NOT_ALLOWED')
            if (!allowed) return TE.left(failed(failure('E0000001', ['factorType: The factor type is not allowed by the enrollment policy.'], 'factorEnrollRequest')))
            if (c.factors.some((f) => f.status === 'ACTIVE' && f.factorType === factorType && f.provider === provider))
              return TE.left(failed(failure('E0000001', ['factorType: A factor of this type is already enrolled.'], 'factorEnrollRequest')))
            const plugin = pluginFor({ factorType, provider })
            if (E.isLeft(plugin)) return TE.left(plugin.left)
            const factor = plugin.right
            const request = { profile: req.profile ?? {}, ...(req.passCode === undefined ? {} : { passCode: req.passCode }), ...(req.nextPassCode === undefined ? {} : { nextPassCode: req.nextPassCode }) }
            return pipe(
              TE.fromEither(decodeWith(factor.enrollRequestCodec, request, 'factorEnrollRequest')),
              TE.bindTo('request'),
              // The user's primary email is what an email factor enrolls when the request names none.
              TE.bind('user', () => pipe(deps.users.findById(c.userId), TE.mapLeft(fromStore))),
              TE.bind('enrollment', ({ request: r, user }) =>
                pipe(factor.enroll(r, { login: c.user.login, email: user.profile.email ?? null }, factorContext(now)), TE.mapLeft(failed)),
              ),
              TE.chainEitherK(({ enrollment }): E.Either<StepError, StepFacts> => {
                const id = asFactorId(newFactorId(factor.idPrefix))
                const profile = factor.profileCodec.encode(enrollment.profile) as Record<string, unknown>
                const factorRecord: FactorRecord = {
                  schemaVersion: 1,
                  id,
                  userId: c.userId,
                  factorType,
                  provider,
                  status: enrollment.activation === 'required' ? 'PENDING_ACTIVATION' : 'ACTIVE',
                  profile,
                  secret: registry.seal(factor, enrollment.secret, c.userId, id),
                  lastCounter: null,
                  createdAt: now,
                }
                const replaced = phoneReplaced(factors, factorRecord)
                // okta-auth-js moves `profile.updatePhone` to the query; other clients leave it in the profile.
                const updatePhone = flagValue(req.updatePhone) || req.profile?.['updatePhone'] === true || req.profile?.['updatePhone'] === 'true'
                if (replaced && !updatePhone)
                  return E.left(failed(failure('E0000001', ['There is an existing phone number that is not verified yet. Enroll with updatePhone=true to replace it.'], 'factorEnrollRequest')))
                const event: AuthnEvent = {
                  type: 'factor.enroll',
                  now,
                  factor: registry.view(factorRecord),
                  activation: enrollment.activation,
                  sessionTokenHash: hashToken(sessionToken),
                }
                // A family a third party verifies (Duo) starts the activation's verification with the enrollment.
                if (isDelegating(factor) && enrollment.activation === 'required') return E.right({ event: { ...event, nonce: startDelegation(factor, now, 'activation') }, factorRecord })
                if (factor.delivery === undefined || enrollment.activation === 'none') return E.right({ event, factorRecord })
                // A family that sends codes sends the activation code with the enrollment (spec §4.6).
                return pipe(
                  sentCodes.issue(factor, enrollment.profile, { transactionId: record.id, factorId: id, factorType }, c.policy, now, 'mfa-activation'),
                  E.mapLeft(failed),
                  E.map(({ sent, message }): StepFacts => ({ event: { ...event, sent }, factorRecord, outbound: message })),
                )
              }),
            )
          }
          return step('enrollFactor', req.stateToken, 'factor.enroll', call, buildEvent, sessionToken)
        }),
      ),
    )

  const activateFactor = (body: unknown, call: Call): Result =>
    finish(
      'activateFactor',
      pipe(
        TE.fromEither(decodeBody(FactorAnswerRequest, 'factorVerifyRequest')(body)),
        TE.chain((req) => {
          const sessionToken = mint.sessionToken()
          const buildEvent = ({ record, now, factors }: Loaded): TE.TaskEither<StepError, AuthnEvent | StepFacts> => {
            const f = factors.find((x) => x.id === req.factorId)
            if (f === undefined) return TE.left(notFound(req.factorId))
            // Another of the user's factors than the awaited one: the machine refuses it (E0000079).
            if (f.id !== record.context.activating?.id)
              return TE.right({ type: 'factor.activate', now, factorId: f.id, outcome: 'rejected', counter: null, sessionTokenHash: hashToken(sessionToken) })
            const plugin = pluginFor(f)
            if (E.isLeft(plugin)) return TE.left(plugin.left)
            if (isChallenging(plugin.right)) return registerOf(plugin.right, f, body, now, call, hashToken(sessionToken))
            // A device's activation that timed out (push, spec §4.7): `activate` starts it anew.
            if (isDelegating(plugin.right) && plugin.right.delegation.timeout === 'report') {
              const started = startedFor(record, f, plugin.right, now)
              if (started?.state === 'confirmed') return TE.right({ type: 'factor.activate', now, factorId: f.id, outcome: 'accepted', counter: null, sessionTokenHash: hashToken(sessionToken) })
              return TE.right({ type: 'factor.nonce', now, factorId: f.id, nonce: started?.state === 'open' ? started.nonce : startDelegation(plugin.right, now, 'activation') })
            }
            return pipe(
              check(plugin.right, f, record, body, now, call),
              TE.map((v): AuthnEvent => ({ type: 'factor.activate', now, factorId: f.id, ...outcomeOf(v), sessionTokenHash: hashToken(sessionToken) })),
            )
          }
          return step('activateFactor', req.stateToken, 'factor.activate', call, buildEvent, sessionToken)
        }),
      ),
    )

  const verifyFactor = (body: unknown, call: Call): Result =>
    finish(
      'verifyFactor',
      pipe(
        TE.fromEither(decodeBody(FactorAnswerRequest, 'factorVerifyRequest')(body)),
        TE.chain((req) => {
          const sessionToken = mint.sessionToken()
          const buildEvent = ({ record, now, factors, lease }: Loaded): TE.TaskEither<StepError, StepFacts> => async () => {
            const c = record.context
            // By type (WebAuthn): every active factor of the type may answer; the first one is asked to issue the nonce.
            const byType = BY_TYPE.includes(req.factorId) && !factors.some((x) => x.id === req.factorId)
            const candidates = byType ? factors.filter((x) => x.status === 'ACTIVE' && x.factorType === req.factorId) : factors.filter((x) => x.id === req.factorId && x.status === 'ACTIVE')
            const f = candidates[0]
            if (f === undefined) return E.left(notFound(req.factorId))
            const plugin = pluginFor(f)
            if (E.isLeft(plugin)) return plugin
            if (byType && !isChallenging(plugin.right)) return E.left(notFound(req.factorId))
            if (isDelegating(plugin.right)) {
              // A third party or a device verifies (Duo, push, spec §4.10): the first call starts a
              // verification, every later one polls it; once its response was confirmed, the poll
              // verifies. Refused or timed out (push), one poll reports it (REJECTED, TIMEOUT) and
              // the next call starts a new one.
              const started = c.challenge === f.id ? startedFor(record, f, plugin.right, now) : null
              if (started?.state === 'confirmed')
                return E.right({
                  event: {
                    type: 'factor.verify',
                    now,
                    factorId: f.id,
                    outcome: 'accepted',
                    counter: null,
                    answerKind: 'passCode',
                    lockedAfter: false,
                    rememberDevice: flagValue(req.rememberDevice),
                    sessionTokenHash: hashToken(sessionToken),
                  },
                })
              if (started?.state === 'open') return E.right({ event: { type: 'factor.nonce', now, factorId: f.id, nonce: started.nonce } })
              if (started !== null && !started.reported)
                return E.right({ event: { type: 'factor.nonce', now, factorId: f.id, nonce: { ...started.nonce, reported: true, ...(started.state === 'denied' ? { denied: true } : {}) } } })
              return E.right(newDelegation(plugin.right, f, record, req.stateToken, call, now))
            }
            // Without a passCode, a family that sends codes sends one (spec §4.10): a challenge, not an attempt.
            if (plugin.right.delivery !== undefined && !hasPassCode(body)) return challengeOf(plugin.right, f, record, now, false)
            // Without an answer, a family that signs nonces is issued one (spec §4.10): a challenge, not an attempt.
            if (isChallenging(plugin.right) && !answersChallenge(plugin.right, body)) return E.right(nonceFor(plugin.right, byType ? req.factorId : f.id, now))
            // An answer for another factor than the one challenged: refused before anything is counted (the machine says the same).
            if (c.challenge !== null && f.id !== c.challenge && f.factorType !== c.challenge) return E.left(failed(failure('E0000079', [CAUSES.notAllowedInState])))
            if (lease === null) return E.left(failed(failure('E0000009', ['The verification attempt could not be reserved.'])))
            const lockout = c.policy.password.lockout
            // At most as many verifications in flight as failures left before the lock.
            const admission = await admit(c.userId, lease.id, lockout, { counters: lease, ahead: lease.ahead })
            if (E.isLeft(admission)) return admission
            if (admission.right === 'busy')
              return E.left(failed(failure('E0000047', ['Too many verifications for this account are in progress. Retry later.'])))
            if (admission.right !== 'admitted') return E.left(failed(failure('E0000069')))
            // By type, the first factor whose credential the answer is signed with decides (the others refuse it).
            let answered = f
            let checked = await check(plugin.right, f, record, body, now, call)()
            for (const other of candidates.slice(1)) {
              if (E.isLeft(checked) || checked.right._tag !== 'Rejected') break
              const next = await check(plugin.right, other, record, body, now, call)()
              if (E.isRight(next) && next.right._tag !== 'Rejected') {
                answered = other
                checked = next
              }
            }
            if (E.isLeft(checked)) return checked
            const { outcome, counter } = outcomeOf(checked.right)
            const challenge = serverChallengeOf(checked.right, now)
            const event = (lockedAfter: boolean): AuthnEvent => ({
              type: 'factor.verify',
              now,
              factorId: answered.id,
              outcome,
              counter,
              answerKind: f.factorType === 'question' ? 'answer' : 'passCode',
              lockedAfter,
              rememberDevice: flagValue(req.rememberDevice),
              sessionTokenHash: hashToken(sessionToken),
              ...challenge,
            })
            // A server asking for the next code (RSA) refuses this one without counting it: no guess was wrong.
            if (outcome !== 'rejected' || challenge.challenge !== undefined) return E.right({ event: event(false) })
            // A wrong answer is recorded first; the answer comes from the state that produced.
            const recorded = await deps.steps.commit({ ...emptyStepWrite(c.userId, now), attempt: { leaseId: lease.id, outcome: { type: 'failure', lockout } } })()
            if (E.isLeft(recorded)) return E.left(fromStore(recorded.left))
            return E.right({ event: event(lockedNow(recorded.right.user, lockout, now)), settled: true })
          }
          return step('verifyFactor', req.stateToken, 'factor.verify', call, buildEvent, sessionToken, true)
        }),
      ),
    )

  /** A new code for the factor of this state: `wanted` picks it among the user's factors (or answers 404 E0000007). */
  const resend =
    (op: 'resendActivation' | 'resendChallenge') =>
    (body: unknown, call: Call): Result =>
      finish(
        op,
        pipe(
          TE.fromEither(decodeBody(FactorResendRequest, 'factorResendRequest')(body)),
          TE.chain((req) => {
            const buildEvent = ({ record, now, factors }: Loaded): TE.TaskEither<StepError, StepFacts> => {
              // `lifecycle/resend` belongs to MFA_ENROLL_ACTIVATE, `verify/resend` to MFA_CHALLENGE (spec §4.8, §4.11).
              if (record.state !== (op === 'resendActivation' ? 'MFA_ENROLL_ACTIVATE' : 'MFA_CHALLENGE')) return TE.left(failed(failure('E0000079', [CAUSES.notAllowedInState])))
              const f = factors.find((x) => x.id === req.factorId && x.status === (op === 'resendActivation' ? 'PENDING_ACTIVATION' : 'ACTIVE'))
              if (f === undefined) return TE.left(notFound(req.factorId))
              // A new push for the verification (spec §4.11): the one in progress is replaced, and told to the device.
              const delegating = registry.plugin(f)
              if (op === 'resendChallenge' && delegating !== null && isDelegating(delegating) && delegating.delegation.device !== undefined) {
                if (record.context.challenge !== f.id) return TE.left(failed(failure('E0000079', [CAUSES.notAllowedInState])))
                return TE.right(newDelegation(delegating, f, record, req.stateToken, call, now))
              }
              return TE.fromEither(pipe(sendingPlugin(f), E.chain((plugin) => challengeOf(plugin, f, record, now, true))))
            }
            return step(op, req.stateToken, 'factor.challenge', call, buildEvent, null)
          }),
        ),
      )

  /** The activating factor `factorId` names, when a third party verifies it (Duo); otherwise why not. */
  const delegatedActivation = (record: AuthnRecord, factors: ReadonlyArray<FactorRecord>, factorId: string): E.Either<StepError, { readonly f: FactorRecord; readonly plugin: DelegatingFactor<unknown, unknown, unknown> }> => {
    const f = factors.find((x) => x.id === factorId)
    if (f === undefined) return E.left(notFound(factorId))
    const plugin = registry.plugin(f)
    if (record.state !== 'MFA_ENROLL_ACTIVATE' || f.id !== record.context.activating?.id || plugin === null || !isDelegating(plugin))
      return E.left(failed(failure('E0000079', [CAUSES.notAllowedInState])))
    return E.right({ f, plugin })
  }

  /**
   * `POST …/lifecycle/activate/poll` (spec §4.7.5): the activation of a factor a third party
   * verifies (Duo) waits (MFA_ENROLL_ACTIVATE, `factorResult: WAITING`; a verification that timed
   * out is started anew) until the third party's response was confirmed, then activates.
   */
  const pollFactorActivation = (body: unknown, call: Call): Result =>
    finish(
      'pollFactorActivation',
      pipe(
        TE.fromEither(decodeBody(FactorResendRequest, 'factorVerifyRequest')(body)),
        TE.chain((req) => {
          const sessionToken = mint.sessionToken()
          const buildEvent = ({ record, now, factors }: Loaded): TE.TaskEither<StepError, AuthnEvent> =>
            TE.fromEither(
              pipe(
                delegatedActivation(record, factors, req.factorId),
                E.map(({ f, plugin }): AuthnEvent => {
                  const started = startedFor(record, f, plugin, now)
                  if (started?.state === 'confirmed')
                    return { type: 'factor.activate', now, factorId: f.id, outcome: 'accepted', counter: null, sessionTokenHash: hashToken(sessionToken) }
                  // Timed out (push): every poll shows TIMEOUT until `activate` starts it anew (spec §4.7.5).
                  if (started !== null && started.state !== 'open') return { type: 'factor.nonce', now, factorId: f.id, nonce: { ...started.nonce, reported: true } }
                  return { type: 'factor.nonce', now, factorId: f.id, nonce: started?.nonce ?? startDelegation(plugin, now, 'activation') }
                }),
              ),
            )
          return step('pollFactorActivation', req.stateToken, 'factor.nonce', call, buildEvent, sessionToken)
        }),
      ),
    )

  /**
   * `POST …/lifecycle/duoCallback` (spec §4.9): the third party's signed response for the
   * verification this transaction started (Duo's frame form-posts `sig_response` with the state
   * token). Checked by the plug-in against that verification; confirmed, the next poll finishes it.
   * A response that does not hold is 403 E0000068 and is not counted toward lockout: it is not a
   * guess at the user's secret but a forged or stale message of the third party.
   */
  const duoCallback = (body: unknown, call: Call): Result =>
    finish(
      'duoCallback',
      pipe(
        TE.fromEither(decodeBody(DuoCallbackRequest, 'duoCallbackRequest')(body)),
        TE.chain((req) => {
          const buildEvent = ({ record, now, factors }: Loaded): TE.TaskEither<StepError, AuthnEvent> => {
            const f = factors.find((x) => x.id === req.factorId)
            if (f === undefined) return TE.left(notFound(req.factorId))
            const plugin = registry.plugin(f)
            // A family whose device answers (push) answers through its own endpoint, signed by the device.
            if (plugin === null || !isDelegating(plugin) || plugin.delegation.device !== undefined) return TE.left(failed(failure('E0000079', [CAUSES.notAllowedInState])))
            const waiting = record.state === 'MFA_ENROLL_ACTIVATE' ? record.context.activating?.id === f.id : record.state === 'MFA_CHALLENGE' && record.context.challenge === f.id
            if (!waiting) return TE.left(failed(failure('E0000079', [CAUSES.notAllowedInState])))
            const held = record.context.nonce ?? null
            // A response once confirmed is not taken again (single use), and none after the verification timed out.
            const started = startedFor(record, f, plugin, now)
            if (held === null || held.factorId !== f.id || started === null || started.state !== 'open') return TE.left(failed(failure('E0000068')))
            return pipe(
              TE.fromEither(decodeWith(plugin.answerCodec, body, 'factorVerifyRequest')),
              TE.bindTo('response'),
              TE.bind('profile', () => TE.fromEither(decodeWith(plugin.profileCodec, f.profile, 'factorVerifyRequest'))),
              TE.chain(({ response, profile }) => pipe(plugin.delegation.confirm(profile, response, started.nonce, challengeContext(now, call)), TE.mapLeft(failed))),
              TE.chain((outcome): TE.TaskEither<StepError, AuthnEvent> =>
                outcome === 'rejected' ? TE.left(failed(failure('E0000068'))) : TE.right({ type: outcome === 'confirmed' ? 'factor.confirm' : 'factor.deny', now, factorId: f.id, nonce: started.nonce }),
              ),
            )
          }
          return step('duoCallback', req.stateToken, 'factor.confirm', call, buildEvent, null)
        }),
      ),
    )

  return { enrollFactor, activateFactor, verifyFactor, resendActivation: resend('resendActivation'), resendChallenge: resend('resendChallenge'), pollFactorActivation, duoCallback }
}
