import * as t from 'io-ts'
import { AbsoluteHttpUrl, AppId, AppProtocol, AppSignOnPolicy, type App } from '../model/app.js'
import type { EpochMs } from '../model/ids.js'

const nullable = <C extends t.Mixed>(c: C) => t.union([c, t.null])

/**
 * What a step-up transaction keeps of its app (docs/adr/0028-step-up.md), copied when it starts as
 * the policies are: `_embedded.target` and `_embedded.authentication` as shown, and the app's
 * sign-on policy. Never the return URL: the `original` link is resolved from the app's
 * configuration when it is followed.
 */
export const StepUpContext = t.type(
  {
    appId: AppId,
    target: t.type({ name: t.string, label: t.string, logo: nullable(t.type({ href: AbsoluteHttpUrl, type: t.string })) }),
    authentication: t.type({ protocol: AppProtocol, issuer: t.type({ id: t.string, name: t.string, uri: t.string }) }),
    signOn: AppSignOnPolicy,
    /**
     * A factor was verified within the app's factor lifetime before the step-up began (a session the
     * embedding server vouched for): the app's factor requirement is met already.
     */
    factorFresh: t.boolean,
  },
  'StepUpContext',
)
export type StepUpContext = t.TypeOf<typeof StepUpContext>

/**
 * Pure: the step-up context of `app` for a transaction starting at `now`. `factorVerifiedAt`: when
 * the user last verified a factor in the session the embedding server knows (null: none, or no
 * session, as in an IdP-initiated step-up or after UNAUTHENTICATED).
 */
export const stepUpOf = (app: App, factorVerifiedAt: EpochMs | null, now: EpochMs): StepUpContext => ({
  appId: app.id,
  target: { name: app.name, label: app.label, logo: app.logo },
  authentication: { protocol: app.protocol, issuer: { ...app.issuer } },
  signOn: { ...app.signOn },
  factorFresh:
    factorVerifiedAt !== null &&
    app.signOn.factorLifetimeMinutes > 0 &&
    factorVerifiedAt <= now &&
    now - factorVerifiedAt < app.signOn.factorLifetimeMinutes * 60_000,
})

/** Whether the app's sign-on policy asks for a factor that was not verified recently enough. */
export const appRequiresFactor = (s: StepUpContext | null | undefined): boolean =>
  s !== null && s !== undefined && s.signOn.requireFactor && !s.factorFresh

/** Whether the app's sign-on policy refuses sign-in to it. */
export const appDenies = (s: StepUpContext | null | undefined): boolean => s !== null && s !== undefined && s.signOn.access === 'DENY'

/**
 * A step-up that waits for its user (UNAUTHENTICATED, spec §4.2): only the app and an expiry. It is
 * held by its state token, sealed by the engine, not stored: nothing is known until primary
 * authentication, where the transaction (and its log) begins (docs/adr/0028-step-up.md).
 */
export const StepUpTicket = t.type({ v: t.literal(1), appId: AppId, expiresAt: t.number }, 'StepUpTicket')
export type StepUpTicket = t.TypeOf<typeof StepUpTicket>

/** `_embedded.target` (spec §6.7). */
export const renderTarget = (s: StepUpContext) => ({
  type: 'APP',
  name: s.target.name,
  label: s.target.label,
  _links: s.target.logo === null ? {} : { logo: { name: 'medium', href: s.target.logo.href, type: s.target.logo.type } },
})

/** `_embedded.authentication` (spec §6.8). */
export const renderAuthentication = (s: StepUpContext) => ({
  protocol: s.authentication.protocol,
  issuer: { id: s.authentication.issuer.id, name: s.authentication.issuer.name, uri: s.authentication.issuer.uri },
})

/** The path the `original` link of a step-up SUCCESS leads to (spec §4.2 step 4), served by the binding. */
export const STEP_UP_REDIRECT_PATH = '/login/step-up/redirect'
