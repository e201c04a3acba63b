import * as t from 'io-ts'

const nullable = <C extends t.Mixed>(c: C) => t.union([c, t.null])
const NonNegativeInt = t.refinement(t.number, (n) => Number.isSafeInteger(n) && n >= 0, 'NonNegativeInt')
const Text = (max: number, name: string) => t.refinement(t.string, (s) => s.length > 0 && s.length <= max && !s.includes('\u0000'), name)

/** An application id as Okta spells them (`0oa1b2c3…`): 1–64 of `[A-Za-z0-9_-]`. */
export const AppId = t.refinement(t.string, (s) => /^[A-Za-z0-9_-]{1,64}$/.test(s), 'AppId')

/** An absolute `http:` or `https:` URL (the return URL, a logo). */
export const AbsoluteHttpUrl = t.refinement(
  t.string,
  (s) => {
    if (s.length > 2048) return false
    try {
      const u = new URL(s)
      return (u.protocol === 'https:' || u.protocol === 'http:') && u.username === '' && u.password === ''
    } catch {
      return false
    }
  },
  'AbsoluteHttpUrl',
)

/** The federation protocol of an app that Okta's step-up serves (spec §6.8). */
export const AppProtocol = t.keyof({ 'SAML2.0': null, 'SAML1.1': null, 'WS-FED': null }, 'AppProtocol')
export type AppProtocol = t.TypeOf<typeof AppProtocol>

/**
 * The app's sign-on policy, evaluated after the primary authentication of a step-up (spec §4.2,
 * §4.3) on top of the org's: `access: DENY` refuses sign-in to the app; `requireFactor` asks for a
 * factor even where the org's policy does not, unless one was verified within
 * `factorLifetimeMinutes` (0: at every sign-in to the app; a remembered device does not count).
 */
export const AppSignOnPolicy = t.type(
  { access: t.keyof({ ALLOW: null, DENY: null }), requireFactor: t.boolean, factorLifetimeMinutes: NonNegativeInt },
  'AppSignOnPolicy',
)
export type AppSignOnPolicy = t.TypeOf<typeof AppSignOnPolicy>

/**
 * An application as data (docs/adr/0028-step-up.md): what `_embedded.target` and
 * `_embedded.authentication` show, where the `original` link leads once step-up succeeds (only
 * ever this configured URL, never one from a request), and its sign-on policy. An INACTIVE app
 * cannot be signed in to (400 E0000001, "Sign in not allowed for app").
 */
export const App = t.type(
  {
    id: AppId,
    /** The app's integration name (`salesforce`). */
    name: Text(100, 'AppName'),
    /** What people see (`Corporate SFDC`). */
    label: Text(100, 'AppLabel'),
    status: t.keyof({ ACTIVE: null, INACTIVE: null }),
    logo: nullable(t.type({ href: AbsoluteHttpUrl, type: Text(100, 'MediaType') })),
    protocol: AppProtocol,
    issuer: t.type({ id: Text(100, 'IssuerId'), name: Text(200, 'IssuerName'), uri: Text(1024, 'IssuerUri') }),
    returnUrl: AbsoluteHttpUrl,
    signOn: AppSignOnPolicy,
  },
  'App',
)
export type App = t.TypeOf<typeof App>

/** The app sign-on policy an app gets when its seed or its admin request leaves parts out. */
export const DEFAULT_APP_SIGN_ON: AppSignOnPolicy = { access: 'ALLOW', requireFactor: false, factorLifetimeMinutes: 0 }
