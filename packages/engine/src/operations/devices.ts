import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import * as t from 'io-ts'
import {
  CAUSES,
  PushAnswerRequest,
  PushChallengesRequest,
  PushDeviceActivationRequest,
  describeDecodeErrors,
  failure,
  isDelegating,
  type AuthnEvent,
  type DelegatingFactor,
  type FactorRecord,
  type OutboundMessage,
  type UserId,
} from '@authn-machine/core'
import type { Authn, Call, Result } from '../api.js'
import { hashToken } from '../defaults.js'
import { failed, fromStore, type Loaded, type Pipeline, type StepError, type StepFacts } from '../pipeline.js'
import { delegationKit } from './delegated.js'

type AnyDelegating = DelegatingFactor<unknown, unknown, unknown>

/** The body of `sendActivationLink`: the channel of the path, and for SMS the phone to send to. */
const ActivationLinkRequest = t.intersection(
  [
    t.type({ stateToken: t.string, factorId: t.string, channel: t.keyof({ email: null, sms: null }) }),
    t.partial({ profile: t.partial({ phoneNumber: t.string }) }),
  ],
  'activationLinkRequest',
)

const E164 = /^\+[1-9][0-9]{6,14}$/

/**
 * The operations of a device that answers for its user (push, docs/adr/0031-push.md): its
 * activation by the enrollment's activation token, the verifications waiting for it, and its
 * answers; and the activation link sent by email or SMS (spec §4.7.6). A device never sees a
 * state token: the sealed handle it holds names the transaction by its state token's hash.
 */
export const deviceOperations = (p: Pipeline): Pick<Authn, 'activatePushDevice' | 'listPushChallenges' | 'answerPushChallenge' | 'sendActivationLink'> => {
  const { deps, registry, decodeBody, finish, step, openHandle, sealHandle, sentCodes, audit } = p
  const { startedFor, startDelegation } = delegationKit(p)
  const challengeContext = (now: number, call: Call) => ({ random: deps.random, hasher: deps.hasher, now, origin: call.baseUrl.replace(/\/+$/, '') })

  const invalidToken = failed(failure('E0000011'))
  const notAnswerable = failed(failure('E0000068', ['The challenge was answered already, has expired, or was replaced by a newer one.']))

  /** The factor `factorId` of the loaded transaction, when its family has a device. */
  const deviceFactor = (factors: ReadonlyArray<FactorRecord>, factorId: string): { readonly f: FactorRecord; readonly plugin: AnyDelegating } | null => {
    const f = factors.find((x) => x.id === factorId)
    const plugin = f === undefined ? null : registry.plugin(f)
    return f === undefined || plugin === null || !isDelegating(plugin) || plugin.delegation.device === undefined ? null : { f, plugin }
  }

  const decodeWith = <A>(codec: t.Type<A, unknown, unknown>, value: unknown, name: string): E.Either<StepError, A> =>
    pipe(
      codec.decode(value),
      E.mapLeft((errs) => failed(failure('E0000001', describeDecodeErrors(errs), name))),
    )

  /** A device's answer only ever shows what it did: never the transaction (its state token, the user). */
  const answering = <B>(op: string, te: TE.TaskEither<StepError, unknown>, body: () => B): Result<B> =>
    finish(
      op,
      pipe(
        te,
        TE.map(() => ({ status: 200, body: body() })),
      ),
    )

  const activatePushDevice = (body: unknown, call: Call): Result<{ readonly factorId: string; readonly userId: string; readonly status: 'ACTIVATED' }> => {
    let activated: { factorId: string; userId: string } = { factorId: '', userId: '' }
    return answering(
      'activatePushDevice',
      pipe(
        TE.fromEither(decodeBody(PushDeviceActivationRequest, 'pushDeviceActivationRequest')(body)),
        TE.chain((req) => {
          const handle = openHandle(req.activationToken)
          // One answer for a forged, garbled, expired or another factor's token.
          if (handle === null || handle.factorId !== req.factorId) return TE.left(invalidToken)
          const buildEvent = ({ record, now, factors }: Loaded): TE.TaskEither<StepError, StepFacts> => {
            const found = deviceFactor(factors, handle.factorId)
            if (found === null || record.state !== 'MFA_ENROLL_ACTIVATE' || record.context.activating?.id !== found.f.id) return TE.left(invalidToken)
            const { f, plugin } = found
            const started = startedFor(record, f, plugin, now)
            // The token of this activation, while it waits: once only, and not after it timed out.
            if (started === null || started.state !== 'open' || started.nonce.nonce !== handle.nonce) return TE.left(invalidToken)
            const device = plugin.delegation.device
            if (device === undefined) return TE.left(invalidToken)
            return pipe(
              TE.fromEither(decodeWith(device.registrationCodec, body, 'pushDeviceActivationRequest')),
              TE.bindTo('registration'),
              TE.bind('profile', () => TE.fromEither(decodeWith(plugin.profileCodec, f.profile, 'pushDeviceActivationRequest'))),
              TE.chain(({ registration, profile }) => pipe(device.register(profile, registration, f.id, challengeContext(now, call)), TE.mapLeft(failed))),
              TE.chain((r): TE.TaskEither<StepError, StepFacts> => {
                if (r._tag === 'Rejected') return TE.left(failed(failure('E0000068', ['The proof of possession does not hold for this key, factor and origin.'])))
                activated = { factorId: f.id, userId: f.userId }
                return TE.right({
                  event: { type: 'factor.confirm', now, factorId: f.id, nonce: started.nonce },
                  factorUpdate: { factorId: f.id, profile: plugin.profileCodec.encode(r.profile) as Record<string, unknown>, secret: registry.seal(plugin, r.secret, f.userId, f.id) },
                })
              }),
            )
          }
          return step('activatePushDevice', { hash: handle.stateTokenHash }, 'factor.confirm', call, buildEvent, null)
        }),
      ),
      () => ({ ...activated, status: 'ACTIVATED' as const }),
    )
  }

  const listPushChallenges = (body: unknown, call: Call): Result<{ readonly challenges: ReadonlyArray<Readonly<Record<string, unknown>>> }> =>
    finish(
      'listPushChallenges',
      pipe(
        TE.fromEither(decodeBody(PushChallengesRequest, 'pushChallengesRequest')(body)),
        TE.chain((req) =>
          pipe(
            deps.factors.listByUser(req.userId as UserId),
            TE.mapLeft(fromStore),
            TE.chain((factors) => {
              // An unknown user, factor or device answers as a request that does not hold.
              const found = deviceFactor(factors.filter((f) => f.status === 'ACTIVE'), req.factorId)
              const device = found?.plugin.delegation.device
              if (found === null || device === undefined) return TE.left(invalidToken)
              return pipe(
                TE.fromEither(decodeWith(found.plugin.profileCodec, found.f.profile, 'pushChallengesRequest')),
                TE.chain((profile) => pipe(device.pending(profile, body, found.f.id, challengeContext(deps.clock.now(), call)), TE.mapLeft(failed))),
              )
            }),
          ),
        ),
        TE.map((challenges) => ({ status: 200, body: { challenges: challenges as ReadonlyArray<Readonly<Record<string, unknown>>> } })),
      ),
    )

  const answerPushChallenge = (body: unknown, call: Call): Result<{ readonly result: 'APPROVED' | 'DENIED' }> => {
    let result: 'APPROVED' | 'DENIED' = 'DENIED'
    return answering(
      'answerPushChallenge',
      pipe(
        TE.fromEither(decodeBody(PushAnswerRequest, 'pushAnswerRequest')(body)),
        TE.chain((req) => {
          const handle = openHandle(req.challengeId)
          if (handle === null) return TE.left(failed(failure('E0000068', ['The challenge is not one this server issued.'])))
          const buildEvent = ({ record, now, factors }: Loaded): TE.TaskEither<StepError, AuthnEvent> => {
            const found = deviceFactor(factors, handle.factorId)
            if (found === null || found.f.status !== 'ACTIVE' || record.state !== 'MFA_CHALLENGE' || record.context.challenge !== found.f.id) return TE.left(notAnswerable)
            const { f, plugin } = found
            const started = startedFor(record, f, plugin, now)
            // The verification this handle names, still waiting: answered once, never after it ended or was replaced.
            if (started === null || started.state !== 'open' || started.nonce.nonce !== handle.nonce) return TE.left(notAnswerable)
            return pipe(
              TE.fromEither(decodeWith(plugin.answerCodec, body, 'pushAnswerRequest')),
              TE.bindTo('answer'),
              TE.bind('profile', () => TE.fromEither(decodeWith(plugin.profileCodec, f.profile, 'pushAnswerRequest'))),
              TE.chain(({ answer, profile }) => pipe(plugin.delegation.confirm(profile, answer, started.nonce, challengeContext(now, call)), TE.mapLeft(failed))),
              TE.chain((outcome): TE.TaskEither<StepError, AuthnEvent> => {
                if (outcome === 'rejected') return TE.left(failed(failure('E0000068', ['The answer is not signed by this device for this challenge, or has expired.'])))
                result = outcome === 'confirmed' ? 'APPROVED' : 'DENIED'
                return TE.right({ type: outcome === 'confirmed' ? 'factor.confirm' : 'factor.deny', now, factorId: f.id, nonce: started.nonce })
              }),
            )
          }
          return step('answerPushChallenge', { hash: handle.stateTokenHash }, 'factor.confirm', call, buildEvent, null)
        }),
      ),
      () => ({ result }),
    )
  }

  /**
   * `POST …/lifecycle/activate/{email|sms}` (spec §4.7.6): the enrollment link of a push factor,
   * for a user who cannot scan its QR code: the QR code's URI, with its activation token, to the
   * user's primary email or to the phone the body names. Answers the same waiting transaction.
   */
  const sendActivationLink = (body: unknown, call: Call): Result =>
    finish(
      'sendActivationLink',
      pipe(
        TE.fromEither(decodeBody(ActivationLinkRequest, 'activationLinkRequest')(body)),
        TE.chain((req) => {
          const buildEvent = ({ record, now, factors }: Loaded): TE.TaskEither<StepError, StepFacts> => {
            const found = deviceFactor(factors, req.factorId)
            if (found === null || record.state !== 'MFA_ENROLL_ACTIVATE' || record.context.activating?.id !== found.f.id)
              return TE.left(failed(failure('E0000079', [CAUSES.notAllowedInState])))
            const { f, plugin } = found
            const device = plugin.delegation.device
            if (device === undefined) return TE.left(failed(failure('E0000079', [CAUSES.notAllowedInState])))
            const phone = req.profile?.phoneNumber
            if (req.channel === 'sms' && (phone === undefined || !E164.test(phone)))
              return TE.left(failed(failure('E0000001', ['profile.phoneNumber: A phone number in E.164 format (+14155552671) is required to send the link by SMS.'], 'activationLinkRequest')))
            const started = startedFor(record, f, plugin, now)
            // A device activated it already: nothing to send, the next poll finishes the activation.
            if (started?.state === 'confirmed') return TE.left(failed(failure('E0000079', ['A device has activated this factor: poll to finish the activation.'])))
            const nonce = started !== null && started.state === 'open' ? started.nonce : startDelegation(plugin, now, 'activation')
            return pipe(
              deps.users.findById(record.context.userId),
              TE.mapLeft(fromStore),
              TE.chainEitherK((user) => {
                const to = req.channel === 'sms' ? (phone ?? '') : (user.profile.email ?? '')
                if (to === '') return E.left(failed(failure('E0000001', ['The user has no primary email to send the link to.'], 'activationLinkRequest')))
                return pipe(
                  decodeWith(plugin.profileCodec, f.profile, 'activationLinkRequest'),
                  E.map((profile): StepFacts => {
                    const origin = call.baseUrl.replace(/\/+$/, '')
                    const uri = device.enrollmentUri(profile, { token: sealHandle(hashToken(req.stateToken), f.id, nonce), factorId: f.id, origin })
                    const message: OutboundMessage = {
                      id: `msg${Buffer.from(deps.random.bytes(16)).toString('base64url')}`,
                      channel: req.channel,
                      to,
                      subject: 'Set up push verification',
                      text: `Open this link on the phone you set up for push verification, before ${new Date(nonce.expiresAt).toISOString()}: ${uri}`,
                      purpose: 'mfa-activation',
                      createdAt: now,
                    }
                    const afterCommit = async (): Promise<E.Either<StepError, void>> => {
                      const delivered = await sentCodes.deliver(message)
                      await audit(E.isLeft(delivered) ? `delivery.failed.${message.channel}.${delivered.left.reason}` : `delivery.sent.${message.channel}`, record.id, f.userId, now)()
                      return E.isLeft(delivered) ? E.left(failed(delivered.left.failure)) : E.right(undefined)
                    }
                    return { event: { type: 'factor.nonce', now, factorId: f.id, nonce }, afterCommit }
                  }),
                )
              }),
            )
          }
          return step('sendActivationLink', req.stateToken, 'factor.nonce', call, buildEvent, null)
        }),
      ),
    )

  return { activatePushDevice, listPushChallenges, answerPushChallenge, sendActivationLink }
}

