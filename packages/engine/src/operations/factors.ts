import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import type * as t from 'io-ts'
import {
  EnrollFactorRequest,
  FactorAnswerRequest,
  FactorProvider,
  FactorType,
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
  type Verification,
} from '@authn-machine/core'
import type { Authn, Call, Result } from '../api.js'
import { hashToken } from '../defaults.js'
import { failed, fromStore, type Loaded, type Pipeline, type StepError, type StepFacts } from '../pipeline.js'

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/** The answer a missing or foreign factor id gets: the same for another user's and an unknown one. */
const notFound = (factorId: string): StepError => failed(failure('E0000007', [], `${factorId} (UserFactor)`))

const outcomeOf = (v: Verification<unknown>): { readonly outcome: FactorOutcome; readonly counter: number | null } =>
  v._tag === 'Accepted' ? { outcome: 'accepted', counter: v.counter } : { outcome: v._tag === 'Replayed' ? 'replayed' : 'rejected', counter: null }

/**
 * The MFA operations (spec §4.6, §4.7, §4.10): enroll, activate and verify a factor. The factor's
 * plug-in checks the answer BEFORE the machine decides; the outcome arrives in the event. A factor
 * verification reserves an attempt with the load, and a wrong answer is recorded (toward lockout)
 * before deciding, as a wrong password is (docs/adr/0008, 0009).
 */
export const factorOperations = (p: Pipeline): Pick<Authn, 'enrollFactor' | 'activateFactor' | 'verifyFactor'> => {
  const { deps, registry, mint, admit, decodeBody, finish, step } = p

  const factorContext = (now: number) => ({ random: deps.random, hasher: deps.hasher, now })

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
  const check = (plugin: Factor, f: FactorRecord, body: unknown, now: number): TE.TaskEither<StepError, Verification<unknown>> =>
    pipe(
      TE.fromEither(decodeWith(plugin.answerCodec, body, 'factorVerifyRequest')),
      TE.bindTo('answer'),
      TE.bind('secret', () => TE.fromEither(pipe(registry.open(plugin, f), E.mapLeft(failed)))),
      TE.chain(({ answer, secret }) => pipe(plugin.verify(secret, answer, f.lastCounter, factorContext(now)), TE.mapLeft(failed))),
    )

  // ---------------------------------------------------------------------------------------------

  const enrollFactor = (body: unknown, call: Call): Result =>
    finish(
      'enrollFactor',
      pipe(
        TE.fromEither(decodeBody(EnrollFactorRequest, 'factorEnrollRequest')(body)),
        TE.chain((req) => {
          const sessionToken = mint.sessionToken()
          const buildEvent = ({ record, now }: Loaded): TE.TaskEither<StepError, StepFacts> => {
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
              TE.chain((r) => pipe(factor.enroll(r, { login: c.user.login, email: null }, factorContext(now)), TE.mapLeft(failed))),
              TE.map((enrollment): StepFacts => {
                const id = asFactorId(newFactorId(factor.idPrefix))
                const factorRecord: FactorRecord = {
                  schemaVersion: 1,
                  id,
                  userId: c.userId,
                  factorType,
                  provider,
                  status: enrollment.activation === 'required' ? 'PENDING_ACTIVATION' : 'ACTIVE',
                  profile: factor.profileCodec.encode(enrollment.profile) as Record<string, unknown>,
                  secret: registry.seal(factor, enrollment.secret, c.userId, id),
                  lastCounter: null,
                  createdAt: now,
                }
                const event: AuthnEvent = {
                  type: 'factor.enroll',
                  now,
                  factor: registry.view(factorRecord),
                  activation: enrollment.activation,
                  sessionTokenHash: hashToken(sessionToken),
                }
                return { event, factorRecord }
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
          const buildEvent = ({ record, now, factors }: Loaded): TE.TaskEither<StepError, AuthnEvent> => {
            const f = factors.find((x) => x.id === req.factorId)
            if (f === undefined) return TE.left(notFound(req.factorId))
            // Another of the user's factors than the awaited one: the machine refuses it (E0000079).
            if (f.id !== record.context.activating?.id)
              return TE.right({ type: 'factor.activate', now, factorId: f.id, outcome: 'rejected', counter: null, sessionTokenHash: hashToken(sessionToken) })
            const plugin = pluginFor(f)
            if (E.isLeft(plugin)) return TE.left(plugin.left)
            return pipe(
              check(plugin.right, f, body, now),
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
            const f = factors.find((x) => x.id === req.factorId && x.status === 'ACTIVE')
            if (f === undefined) return E.left(notFound(req.factorId))
            const plugin = pluginFor(f)
            if (E.isLeft(plugin)) return plugin
            if (lease === null) return E.left(failed(failure('E0000009', ['The verification attempt could not be reserved.'])))
            const lockout = c.policy.password.lockout
            // At most as many verifications in flight as failures left before the lock.
            const admission = await admit(c.userId, lease.id, lockout, { counters: lease, ahead: lease.ahead })
            if (E.isLeft(admission)) return admission
            if (admission.right === 'busy')
              return E.left(failed(failure('E0000047', ['Too many verifications for this account are in progress. Retry later.'])))
            if (admission.right !== 'admitted') return E.left(failed(failure('E0000069')))
            const checked = await check(plugin.right, f, body, now)()
            if (E.isLeft(checked)) return checked
            const { outcome, counter } = outcomeOf(checked.right)
            const event = (lockedAfter: boolean): AuthnEvent => ({
              type: 'factor.verify',
              now,
              factorId: f.id,
              outcome,
              counter,
              answerKind: f.factorType === 'question' ? 'answer' : 'passCode',
              lockedAfter,
              rememberDevice: flagValue(req.rememberDevice),
              sessionTokenHash: hashToken(sessionToken),
            })
            if (outcome !== 'rejected') return E.right({ event: event(false) })
            // A wrong answer is recorded first; the answer comes from the state that produced.
            const recorded = await deps.steps.commit({ ...emptyStepWrite(c.userId, now), attempt: { leaseId: lease.id, outcome: { type: 'failure', lockout } } })()
            if (E.isLeft(recorded)) return E.left(fromStore(recorded.left))
            return E.right({ event: event(lockedNow(recorded.right.user, lockout, now)), settled: true })
          }
          return step('verifyFactor', req.stateToken, 'factor.verify', call, buildEvent, sessionToken, true)
        }),
      ),
    )

  return { enrollFactor, activateFactor, verifyFactor }
}
