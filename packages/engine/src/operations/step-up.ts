import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import {
  App,
  AuthnContext,
  type StepUpTicket,
  describeDecodeErrors,
  failure,
  renderStepUpStart,
  stepUpOf,
  type AppSource,
  type AuthnFailure,
  type EpochMs,
  type StepUpContext,
} from '@authn-machine/core'
import type { Authn, Call, ErrorReply, Reply, Result } from '../api.js'
import { hashToken } from '../defaults.js'
import { failed, fromStore, type Pipeline, type StepError } from '../pipeline.js'
import { openTicket, sealTicket } from '../step-up-ticket.js'

/** Where the `original` link of a step-up SUCCESS leads: the app's configured return URL, and who signed in. */
export interface StepUpRedirect {
  readonly location: string
  readonly appId: string
  readonly userId: string
  readonly transactionId: string
}

/** The embedder's administration of apps (docs/adr/0028-step-up.md): checked like every request body. */
export interface AppAdministration {
  /** Adds or replaces an app; a body that is not an app is 400 E0000001 with its causes. */
  readonly putApp: (body: unknown) => Result<App>
  /** Removes an app: 404 E0000007 when there is none. Live step-ups to it fail when they next need it. */
  readonly removeApp: (appId: string) => Result<Record<string, never>>
  readonly listApps: () => Result<ReadonlyArray<App>>
}

export type StepUpOperations = Pick<Authn, 'redeemStepUp'> & AppAdministration

/** The answer to an app that is not known (by an admin operation or a trusted caller). */
export const unknownApp = (appId: string): AuthnFailure => failure('E0000007', [], `${appId} (App)`)

/**
 * The step-up pieces every operation shares (docs/adr/0028-step-up.md): apps read through the
 * `AppSource`, and the sealed tickets of UNAUTHENTICATED.
 */
export const createStepUp = (p: Pipeline) => {
  const { deps, settings } = p
  const apps: AppSource | null = deps.apps ?? null

  /** The app of `appId`: NotFound (no such app, or no app source at all) is `missing`. */
  const findApp = (appId: string): TE.TaskEither<StepError | 'missing', App> =>
    apps === null
      ? TE.left('missing')
      : pipe(
          apps.find(appId),
          TE.mapLeft((e): StepError | 'missing' => (e._tag === 'NotFound' ? 'missing' : fromStore(e))),
        )

  /**
   * The app a primary authentication names (`audience`, spec §4.1, §4.3) or a ticket holds: an
   * unknown one is 400 E0000001 "Invalid or unknown audience", an inactive one "Sign in not
   * allowed for app".
   */
  const audienceApp = (appId: string): TE.TaskEither<StepError, App> =>
    pipe(
      findApp(appId),
      TE.mapLeft((e) => (e === 'missing' ? failed(failure('E0000001', [`Invalid or unknown audience '${appId}'.`], 'authRequest')) : e)),
      TE.chain((app) =>
        app.status === 'ACTIVE' ? TE.right(app) : TE.left(failed(failure('E0000001', [`Sign in not allowed for app '${appId}'.`], 'authRequest'))),
      ),
    )

  /** A new ticket for `app`: UNAUTHENTICATED until primary authentication, for the state token's longest life. */
  const issueTicket = (app: App, now: EpochMs): { readonly stateToken: string; readonly ticket: StepUpTicket } => {
    const ticket: StepUpTicket = { v: 1, appId: app.id, expiresAt: now + settings.stateTokenMaxLifetimeMs }
    return { stateToken: sealTicket(deps.secrets, ticket), ticket }
  }

  /** The app of a live ticket, still active (removed or deactivated meanwhile: as an unknown state token). */
  const ticketApp = (stateToken: string, now: EpochMs): TE.TaskEither<StepError, { readonly ticket: StepUpTicket; readonly app: App }> =>
    pipe(
      TE.fromNullable(failed(failure('E0000011')))(openTicket(deps.secrets, stateToken, now)),
      TE.chain((ticket) =>
        pipe(
          findApp(ticket.appId),
          TE.mapLeft((e) => (e === 'missing' ? failed(failure('E0000011')) : e)),
          TE.chain((app) => (app.status === 'ACTIVE' ? TE.right({ ticket, app }) : TE.left(failed(failure('E0000011'))))),
        ),
      ),
    )

  /** UNAUTHENTICATED, as a ticket shows it (get-state, spec §4.2 step 2). */
  const renderTicket = (stateToken: string, ticket: StepUpTicket, app: App, call: Call): Reply<ReturnType<typeof renderStepUpStart>> => ({
    status: 200,
    body: renderStepUpStart(stepUpOf(app, null, 0), ticket, stateToken, call.baseUrl),
  })

  return { apps, findApp, audienceApp, issueTicket, ticketApp, renderTicket }
}
export type StepUp = ReturnType<typeof createStepUp>

/** Step-up's own operations: the `original` link, and the embedder's administration of apps. */
export const stepUpOperations = (p: Pipeline, s: StepUp): StepUpOperations => {
  const { deps, errorReply, finish, audit } = p

  const storeReply = (e: StepError): ErrorReply => errorReply(e._tag === 'Failed' ? e.failure : failure('E0000009'))

  /**
   * Follows a step-up SUCCESS's `original` link (spec §4.2 step 4): its one-time token is consumed
   * (a second use is 401 E0000011), and the answer is the app's configured return URL.
   */
  const redeemStepUp = (token: string): TE.TaskEither<ErrorReply, Reply<StepUpRedirect>> => async () => {
    const now = deps.clock.now()
    const consumed = await deps.transactions.consumeToken(hashToken(token), 'stepup', now)()
    if (E.isLeft(consumed)) {
      await audit(`redeemStepUp.${consumed.left._tag}`, null, null, now)()
      return E.left(storeReply(consumed.left._tag === 'NotFound' || consumed.left._tag === 'AlreadyConsumed' ? failed(failure('E0000011')) : fromStore(consumed.left)))
    }
    const issued = consumed.right
    // Spent either way. The user must still be able to sign in: a lock, a suspension or a
    // deactivation since the SUCCESS ends the way to the app as it ends session tokens.
    const user = await deps.users.findById(issued.userId)()
    if (E.isLeft(user) && user.left._tag !== 'NotFound') return E.left(storeReply(fromStore(user.left)))
    if (E.isLeft(user) || !(user.right.status === 'ACTIVE' || user.right.status === 'PASSWORD_EXPIRED') || user.right.lockedAt !== null) {
      await audit('redeemStepUp.userInactive', issued.transactionId, issued.userId, now)()
      return E.left(errorReply(failure('E0000011')))
    }
    const log = await deps.transactions.readLog(issued.transactionId)()
    if (E.isLeft(log)) return E.left(storeReply(fromStore(log.left)))
    const start = log.right.find((entry) => entry.start !== null)?.start ?? null
    const stepUp: StepUpContext | null = start !== null && AuthnContext.is(start) ? (start.stepUp ?? null) : null
    if (stepUp === null) return E.left(errorReply(failure('E0000011')))
    const app = await s.findApp(stepUp.appId)()
    if (E.isLeft(app)) {
      await audit(`redeemStepUp.appMissing`, issued.transactionId, issued.userId, now)()
      return E.left(app.left === 'missing' ? errorReply(unknownApp(stepUp.appId)) : storeReply(app.left))
    }
    await audit('redeemStepUp.redirect', issued.transactionId, issued.userId, now)()
    return E.right({
      status: 302,
      body: { location: app.right.returnUrl, appId: app.right.id, userId: issued.userId, transactionId: issued.transactionId },
    })
  }

  const noSource = (): TE.TaskEither<StepError, never> => TE.left(failed(failure('E0000009', ['No app source is configured.'])))

  const putApp = (body: unknown): Result<App> =>
    finish(
      'putApp',
      pipe(
        TE.fromEither(pipe(App.decode(body), E.mapLeft((errors): StepError => failed(failure('E0000001', describeDecodeErrors(errors), 'app'))))),
        TE.chain((app) => (s.apps === null ? noSource() : pipe(s.apps.put(app), TE.mapLeft(fromStore)))),
        TE.map((app) => ({ status: 200, body: app })),
      ),
    )

  const removeApp = (appId: string): Result<Record<string, never>> =>
    finish(
      'removeApp',
      s.apps === null
        ? noSource()
        : pipe(
            s.apps.remove(appId),
            TE.mapLeft((e) => (e._tag === 'NotFound' ? failed(unknownApp(appId)) : fromStore(e))),
            TE.map(() => ({ status: 200, body: {} })),
          ),
    )

  const listApps = (): Result<ReadonlyArray<App>> =>
    finish(
      'listApps',
      s.apps === null ? TE.right({ status: 200, body: [] }) : pipe(s.apps.list(), TE.mapLeft(fromStore), TE.map((apps) => ({ status: 200, body: apps }))),
    )

  return { redeemStepUp, putApp, removeApp, listApps }
}
