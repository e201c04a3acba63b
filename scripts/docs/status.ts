/**
 * docs/reference/status.md: which transaction statuses, operations and factor families of the
 * spec digest the project implements, derived from the code wherever it can be:
 * - a status is implemented when a transition of one of the machines enters it;
 * - an operation is implemented when the binding routes its path (`createRouter(AUTHN_ROUTES)`)
 *   and the engine built by `createAuthn` has a method of that name, the factor families it needs
 *   are served, and the states it needs are entered; a GET resource when the HTTP handler serves
 *   its path; an `audience` when the engine does not refuse it;
 * - a factor family is served when the reference server's plug-ins (`FACTOR_PLUGINS`) have it.
 * The lists below restate the digest (what exists); nothing in them says what is implemented.
 */
import * as TE from 'fp-ts/lib/TaskEither.js'
import { createMemoryAppSource, createMemoryStores } from '@authn-machine/adapter-memory'
import { AUTHN_STATUSES, DEFAULT_APP_SIGN_ON, DEFAULT_POLICIES, OPERATIONS, type App, type FactorProvider, type FactorType, type Random } from '@authn-machine/core'
import { createAuthn, createMemoryAuditSink, createSecretBox, ephemeralKeyring, type Authn, type Call } from '@authn-machine/engine'
import { AUTHN_ROUTES, createAuthnHandler, createRouter } from '@authn-machine/http'
import { FACTOR_PLUGINS, OPTIONAL_FACTOR_FAMILIES } from '@authn-machine/server'
import { cell, generatedHeader, type DocProblems } from './files.js'
import type { MachineView } from './machines.js'
import { SECTIONS } from './sections.js'

export const STATUS_DOC = 'docs/reference/status.md'

/** A row of the digest's endpoint index (§4.0), restated. */
interface DigestEndpoint {
  readonly section: string
  readonly method: 'POST' | 'GET'
  readonly path: string
  /** What it does, in a few words. */
  readonly purpose: string
  /** A concrete path to route. */
  readonly sample: string
  /** The engine operation, when the body (not the path) selects it. */
  readonly operation?: string
  /** Factor families without which the operation does nothing. */
  readonly needsFactors?: ReadonlyArray<FactorType>
  /** A status the operation needs to exist (entered by some transition). */
  readonly needsState?: string
  /** A request to the engine whose answer says whether the behaviour exists. */
  readonly probe?: 'audience'
}

const DIGEST_ENDPOINTS: ReadonlyArray<DigestEndpoint> = [
  { section: '4.1', method: 'POST', path: '/api/v1/authn', purpose: 'primary authentication (password or activation token)', sample: '/api/v1/authn' },
  { section: '4.2', method: 'POST', path: '/api/v1/authn', purpose: 'SP-initiated step-up: credentials inside an UNAUTHENTICATED transaction', sample: '/api/v1/authn', needsState: 'UNAUTHENTICATED' },
  { section: '4.3', method: 'POST', path: '/api/v1/authn', purpose: 'IdP-initiated step-up (`audience`)', sample: '/api/v1/authn', probe: 'audience' },
  { section: '4.4', method: 'POST', path: '/api/v1/authn', purpose: 'get the transaction state (state token only)', sample: '/api/v1/authn', operation: 'getState' },
  { section: '4.5', method: 'POST', path: '/api/v1/authn/credentials/change_password', purpose: 'change an expired or expiring password', sample: '/api/v1/authn/credentials/change_password' },
  { section: '4.6', method: 'POST', path: '/api/v1/authn/factors', purpose: 'enroll a factor', sample: '/api/v1/authn/factors' },
  { section: '4.7', method: 'POST', path: '/api/v1/authn/factors/{factorId}/lifecycle/activate', purpose: 'activate a factor', sample: '/api/v1/authn/factors/ost1/lifecycle/activate' },
  {
    section: '4.7.5',
    method: 'POST',
    path: '/api/v1/authn/factors/{factorId}/lifecycle/activate/poll',
    purpose: 'poll a push or Duo activation',
    sample: '/api/v1/authn/factors/opf1/lifecycle/activate/poll',
    needsFactors: ['push', 'web'],
  },
  {
    section: '4.7.6',
    method: 'POST',
    path: '/api/v1/authn/factors/{factorId}/lifecycle/activate/{email|sms}',
    purpose: 'send a push activation link',
    sample: '/api/v1/authn/factors/opf1/lifecycle/activate/email',
    needsFactors: ['push'],
  },
  { section: '4.8', method: 'POST', path: '/api/v1/authn/factors/{factorId}/lifecycle/resend', purpose: 'resend an enrollment code', sample: '/api/v1/authn/factors/mbl1/lifecycle/resend' },
  {
    section: '4.9',
    method: 'POST',
    path: '/api/v1/authn/factors/{factorId}/lifecycle/duoCallback',
    purpose: "Duo's signed callback",
    sample: '/api/v1/authn/factors/dsf1/lifecycle/duoCallback',
    needsFactors: ['web'],
  },
  { section: '4.10', method: 'POST', path: '/api/v1/authn/factors/{factorId}/verify', purpose: 'verify a factor, or ask for a challenge', sample: '/api/v1/authn/factors/ost1/verify' },
  {
    section: '4.10',
    method: 'POST',
    path: '/api/v1/authn/factors/webauthn/verify',
    purpose: 'verify WebAuthn by factor type',
    sample: '/api/v1/authn/factors/webauthn/verify',
    needsFactors: ['webauthn'],
  },
  { section: '4.11', method: 'POST', path: '/api/v1/authn/factors/{factorId}/verify/resend', purpose: 'resend a challenge', sample: '/api/v1/authn/factors/mbl1/verify/resend' },
  { section: '4.12', method: 'POST', path: '/api/v1/authn/recovery/password', purpose: 'forgot password', sample: '/api/v1/authn/recovery/password' },
  { section: '4.13', method: 'POST', path: '/api/v1/authn/recovery/unlock', purpose: 'unlock account', sample: '/api/v1/authn/recovery/unlock' },
  { section: '4.14', method: 'POST', path: '/api/v1/authn/recovery/factors/{sms|call}/verify', purpose: 'verify a recovery code', sample: '/api/v1/authn/recovery/factors/sms/verify' },
  { section: '4.15', method: 'POST', path: '/api/v1/authn/recovery/factors/{sms|call}/resend', purpose: 'resend a recovery code', sample: '/api/v1/authn/recovery/factors/call/resend' },
  { section: '4.16', method: 'POST', path: '/api/v1/authn/recovery/token', purpose: 'redeem a recovery token', sample: '/api/v1/authn/recovery/token' },
  { section: '4.17', method: 'POST', path: '/api/v1/authn/recovery/answer', purpose: 'answer the recovery question', sample: '/api/v1/authn/recovery/answer' },
  { section: '4.18', method: 'POST', path: '/api/v1/authn/credentials/reset_password', purpose: 'set a new password', sample: '/api/v1/authn/credentials/reset_password' },
  { section: '4.19', method: 'POST', path: '/api/v1/authn/previous', purpose: 'go back one state', sample: '/api/v1/authn/previous' },
  { section: '4.20', method: 'POST', path: '/api/v1/authn/skip', purpose: 'skip the current state', sample: '/api/v1/authn/skip' },
  { section: '4.21', method: 'POST', path: '/api/v1/authn/cancel', purpose: 'cancel the transaction', sample: '/api/v1/authn/cancel' },
  { section: '4.0', method: 'GET', path: '/api/v1/users/{userId}/factors/questions', purpose: 'the security question catalogue', sample: '/api/v1/users/00u1/factors/questions' },
  { section: '4.0', method: 'GET', path: '/api/v1/users/{userId}/factors/{factorId}/qr/{token}', purpose: 'the QR code of a pending activation', sample: '/api/v1/users/00u1/factors/ost1/qr/t0k3n' },
  { section: '4.0', method: 'GET', path: '/login/step-up/redirect?stateToken=…', purpose: 'the end of a step-up', sample: '/login/step-up/redirect' },
  { section: '4.0', method: 'POST', path: '/api/v1/authn/introspect', purpose: 'undocumented: get state as okta-auth-js calls it', sample: '/api/v1/authn/introspect' },
]

/** Resources the project serves at paths of its own, outside the digest's index (probed like the others). */
const OWN_RESOURCES: ReadonlyArray<DigestEndpoint> = [
  { section: '7.3', method: 'GET', path: '/api/v1/authn/factors/{factorId}/qr/{token}', purpose: 'the QR code link of a pending TOTP activation', sample: '/api/v1/authn/factors/ost1/qr/t0k3n' },
]

/** Factor types and providers usable through authn (digest §7.1), restated. */
const DIGEST_FACTORS: ReadonlyArray<{ readonly factorType: FactorType; readonly provider: FactorProvider; readonly product: string }> = [
  { factorType: 'question', provider: 'OKTA', product: 'security question' },
  { factorType: 'sms', provider: 'OKTA', product: 'code by SMS' },
  { factorType: 'call', provider: 'OKTA', product: 'code by voice call' },
  { factorType: 'email', provider: 'OKTA', product: 'code by email' },
  { factorType: 'token:software:totp', provider: 'OKTA', product: 'Okta Verify TOTP' },
  { factorType: 'token:software:totp', provider: 'GOOGLE', product: 'Google Authenticator TOTP' },
  { factorType: 'push', provider: 'OKTA', product: 'Okta Verify push' },
  { factorType: 'token', provider: 'RSA', product: 'RSA SecurID' },
  { factorType: 'token', provider: 'SYMANTEC', product: 'Symantec VIP' },
  { factorType: 'token', provider: 'DEL_OATH', product: 'on-premises MFA' },
  { factorType: 'token:hardware', provider: 'YUBICO', product: 'YubiKey OTP' },
  { factorType: 'token:hotp', provider: 'CUSTOM', product: 'custom HOTP (verified only; enrolled through the Factors API, AUTHN-MFA-9)' },
  { factorType: 'web', provider: 'DUO', product: 'Duo Security' },
  { factorType: 'u2f', provider: 'FIDO', product: 'FIDO U2F key' },
  { factorType: 'webauthn', provider: 'FIDO', product: 'WebAuthn' },
]

const CHANNEL_WORDS = { sms: 'SMS', call: 'voice call', email: 'email' } as const

const zeroRandom: Random = { bytes: (n) => new Uint8Array(n) }

/** An engine over empty memory stores: only to see which operations it has and how it answers. */
/** The app the probes step up to (`audience`, an SP-initiated step-up). */
const PROBE_APP: App = {
  id: '0oaprobe',
  name: 'probe',
  label: 'Probe',
  status: 'ACTIVE',
  logo: null,
  protocol: 'SAML2.0',
  issuer: { id: '0oaprobe', name: 'Probe', uri: 'urn:probe' },
  returnUrl: 'https://probe.invalid/',
  signOn: DEFAULT_APP_SIGN_ON,
}

const probeEngine = (): Authn =>
  createAuthn({
    ...createMemoryStores(),
    apps: createMemoryAppSource([PROBE_APP]),
    secrets: createSecretBox(ephemeralKeyring(zeroRandom), zeroRandom),
    factorPlugins: FACTOR_PLUGINS,
    policies: { forUser: () => TE.right(DEFAULT_POLICIES) },
    hasher: { hash: () => TE.right('unused'), verify: () => TE.right(false) },
    clock: { now: () => 0 },
    random: zeroRandom,
    audit: createMemoryAuditSink(),
    settings: { hashQueue: null },
  })

const CALL: Call = { baseUrl: 'http://localhost', context: { ip: null, userAgent: null, deviceToken: null, trusted: false } }

type Verdict = { readonly implemented: boolean; readonly how: string }

const yes = (how: string): Verdict => ({ implemented: true, how })
const no = (how: string): Verdict => ({ implemented: false, how })

export const renderStatus = async (
  machines: ReadonlyArray<{ readonly name: string; readonly machine: MachineView; readonly targets: ReadonlySet<string> }>,
  problems: DocProblems,
): Promise<{ readonly text: string; readonly summary: string }> => {
  const engine = probeEngine()
  const methods = engine as unknown as Readonly<Record<string, unknown>>
  const router = createRouter(AUTHN_ROUTES)
  const handler = createAuthnHandler({ engine })
  const served = new Set([...FACTOR_PLUGINS, ...OPTIONAL_FACTOR_FAMILIES].map((f) => `${f.factorType}/${f.provider}`))
  // Families the reference server serves, at once or once configured (RSA, Symantec, YubiKey, Duo).
  const servedTypes = new Set([...FACTOR_PLUGINS, ...OPTIONAL_FACTOR_FAMILIES].map((f) => f.factorType))
  // UNAUTHENTICATED is the machine's state before primary authentication; a step-up that waits in
  // it is a sealed ticket (docs/adr/0028-step-up.md), so it is implemented when one can be opened.
  const opened = await engine.openStepUp({ appId: PROBE_APP.id }, { ...CALL, context: { ...CALL.context, trusted: true } })()
  const ticket = opened._tag === 'Right' && opened.right.body['status'] === 'UNAUTHENTICATED' ? String(opened.right.body['stateToken']) : null
  const entered = (state: string): boolean => machines.some((m) => m.targets.has(state)) || (state === 'UNAUTHENTICATED' && ticket !== null)

  // ---------------------------------------------------------------- statuses
  const statusRows = AUTHN_STATUSES.map((s) => {
    const per = machines.map((m) => {
      if (!Object.hasOwn(m.machine.root.states, s)) return '—'
      if (m.targets.has(s)) return 'entered'
      return m.machine.root.initial.target.some((t) => t.key === s) ? 'initial only, never entered' : 'declared, never entered'
    })
    const implemented = entered(s)
    const note =
      s !== 'UNAUTHENTICATED'
        ? ''
        : implemented
          ? 'the step-up status (§4.2): `openStepUp` answers it with a sealed ticket; primary authentication leaves it'
          : 'the step-up status (§4.2): no operation creates such a transaction'
    return `| \`${s}\` | ${per.join(' | ')} | ${implemented ? 'yes' : '**no**'} | ${cell(note)} |`
  })

  // ---------------------------------------------------------------- operations
  const verdictOf = async (e: DigestEndpoint): Promise<Verdict> => {
    if (e.method === 'GET') {
      const r = await handler({ method: 'GET', url: e.sample, headers: { host: 'localhost' }, body: null, remoteAddress: '127.0.0.1' })
      const body = typeof r.body === 'string' ? r.body : ''
      const notServed = r.status === 404 && body.includes('E0000008')
      return notServed ? no('not served (404 E0000008)') : yes(`served by the HTTP handler (${r.status} for an unknown id)`)
    }
    const match = router(e.sample)
    if (match === null) return no('not routed (404 E0000008)')
    const operation = e.operation ?? match.route.operation
    if (typeof methods[operation] !== 'function') return no(`routed to \`${operation}\`, which the engine does not have yet: 403 E0000079`)
    const missing = (e.needsFactors ?? []).filter((t) => !servedTypes.has(t))
    if (missing.length > 0 && missing.length === (e.needsFactors ?? []).length) return no(`\`${operation}\`, but no ${missing.join(' or ')} factor is served`)
    if (e.needsState !== undefined && !entered(e.needsState)) return no(`no transition enters \`${e.needsState}\`; a state token with credentials is 403 E0000079`)
    if (e.needsState === 'UNAUTHENTICATED' && ticket !== null) {
      const r = await engine.authenticate({ stateToken: ticket, username: 'status-probe', password: 'status-probe' }, CALL)()
      const refused = r._tag === 'Left' && JSON.stringify(r.left.body).includes('E0000079')
      return refused ? no('a ticket with credentials is 403 E0000079') : yes(`\`${operation}\` takes credentials with an UNAUTHENTICATED ticket`)
    }
    if (e.probe === 'audience') {
      const r = await engine.authenticate({ username: 'status-probe', password: 'status-probe', audience: '0oaprobe' }, CALL)()
      const refused = r._tag === 'Left' && r.left.status === 400 && JSON.stringify(r.left.body).includes('audience')
      return refused ? no('every `audience` is refused as unknown: 400 E0000001') : yes(`\`${operation}\` accepts an audience`)
    }
    return yes(`\`${operation}\``)
  }
  const endpointRows: string[] = []
  for (const e of DIGEST_ENDPOINTS) {
    if (SECTIONS[e.section] === undefined) problems.add(`status: section §${e.section} is not in scripts/docs/sections.ts`)
    const v = await verdictOf(e)
    endpointRows.push(`| §${e.section} | \`${e.method} ${cell(e.path)}\` | ${cell(e.purpose)} | ${v.implemented ? 'yes' : '**no**'} | ${cell(v.how)} |`)
  }
  // Operations of the table that no row of the index names, and the project's own resources.
  const named = new Set(DIGEST_ENDPOINTS.filter((e) => e.method === 'POST').map((e) => e.operation ?? router(e.sample)?.route.operation))
  const extraRows = [
    ...OPERATIONS.filter((o) => !named.has(o.name)).map(
      (o) => `| ${o.section === 'Users API' ? "Okta's Users API" : o.section === 'push' ? 'push devices (ADR 0031)' : `§${o.section}`} | \`POST ${cell(o.path)}\` | ${typeof methods[o.name] === 'function' ? 'yes' : '**no**'} | the engine's \`${o.name}\` |`,
    ),
    ...(await Promise.all(
      OWN_RESOURCES.map(async (e) => {
        const v = await verdictOf(e)
        return `| §${e.section} | \`${e.method} ${cell(e.path)}\` | ${v.implemented ? 'yes' : '**no**'} | ${cell(`${e.purpose}: ${v.how}`)} |`
      }),
    )),
  ]

  // ---------------------------------------------------------------- factors
  for (const f of FACTOR_PLUGINS)
    if (!DIGEST_FACTORS.some((d) => d.factorType === f.factorType && d.provider === f.provider)) problems.add(`status: the served factor ${f.factorType}/${f.provider} is not in the digest's list (scripts/docs/status.ts)`)
  const factorRows = DIGEST_FACTORS.map((d) => {
    const plugin = FACTOR_PLUGINS.find((f) => f.factorType === d.factorType && f.provider === d.provider)
    const optional = OPTIONAL_FACTOR_FAMILIES.find((f) => f.factorType === d.factorType && f.provider === d.provider)
    const how =
      optional !== undefined
        ? `${optional.how} (with \`${optional.option}\`)`
        : plugin === undefined
          ? ''
          : plugin.delivery !== undefined
            ? `sends a ${plugin.delivery.codeLength}-digit code by ${CHANNEL_WORDS[plugin.delivery.channel]}`
            : plugin.challenges !== undefined
              ? 'checks a registration, then signatures, over nonces the server issued (docs/adr/0029-challenge-factors.md)'
              : plugin.delegation?.device !== undefined
                ? 'the user\'s device, which registered its key, approves or denies each push with a signed answer, with number matching (docs/adr/0031-push.md)'
                : plugin.delegation !== undefined
                  ? 'a third party verifies; its signed response is checked once (docs/adr/0030-delegated-factors.md)'
                  : 'checks an answer against its stored secret'
    return `| \`${d.factorType}\` | \`${d.provider}\` | ${cell(d.product)} | ${served.has(`${d.factorType}/${d.provider}`) ? 'yes' : '**no**'} | ${cell(how)} |`
  })

  const implementedStates = AUTHN_STATUSES.filter(entered).length
  const implementedOps = endpointRows.filter((r) => r.includes('| yes |')).length
  const text = [
    ...generatedHeader('Implementation status', 'the machines, the operation table, the HTTP binding, the engine and the served factor plug-ins'),
    "Which parts of Okta's classic Authentication API, as the spec digest lists them, this project implements.",
    'Everything in the right-hand columns is derived from the code when the document is generated: a status is',
    "implemented when a transition of a machine enters it; an operation when the binding routes its path, the engine",
    'has the operation, and the factors or states it needs exist; a factor family when the reference server serves',
    'its plug-in. The rules each part follows: [rules.md](rules.md).',
    '',
    `## Transaction statuses (§3.2): ${implementedStates} of ${AUTHN_STATUSES.length} implemented`,
    '',
    `| status | ${machines.map((m) => m.name).join(' | ')} | implemented | note |`,
    `|---|${machines.map(() => '---|').join('')}---|---|`,
    ...statusRows,
    '',
    `## Operations (§4.0): ${implementedOps} of ${endpointRows.length} implemented`,
    '',
    '| section | method and path | purpose | implemented | how the code answers |',
    '|---|---|---|---|---|',
    ...endpointRows,
    '',
    'Also served, outside the endpoint index:',
    '',
    '| source | method and path | served | by |',
    '|---|---|---|---|',
    ...extraRows,
    '',
    `## Factor families (§7.1): ${factorRows.filter((r) => r.includes('| yes |')).length} of ${DIGEST_FACTORS.length} served`,
    '',
    '| factorType | provider | product | served | how it verifies |',
    '|---|---|---|---|---|',
    ...factorRows,
    '',
  ].join('\n')
  return { text, summary: `${implementedStates}/${AUTHN_STATUSES.length} statuses, ${implementedOps}/${endpointRows.length} operations, ${served.size} factor families` }
}
