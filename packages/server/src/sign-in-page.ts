import { createHash } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Policies } from '@authn-machine/core'
import { WIDGET_SCRIPT, WIDGET_STYLES, type WidgetAssets } from './widget-assets.js'

/**
 * The reference server's front page (`GET /`): Okta's Sign-In Widget, unmodified, in its classic
 * mode (no clientId: it talks `/api/v1/authn`), configured for this server
 * (docs/adr/0023-sign-in-widget.md). After SUCCESS the page shows who signed in and redeems the
 * session token (`POST /api/v1/sessions`); with the dev outbox served, a side panel lists the
 * messages sent (codes, recovery links). No inline script: the settings travel in a JSON data
 * block, read by a script of this server's.
 */
export const FRONT_PAGE_PATH = '/'
export const FRONT_SCRIPT_PATH = '/front-page/sign-in.js'
export const FRONT_STYLES_PATH = '/front-page/sign-in.css'
export const FRONT_LOGO_PATH = '/front-page/logo.svg'
export const FRONT_ICON_PATH = '/front-page/icon.svg'
export const FRONT_PAGE_PATHS: ReadonlyArray<string> = [FRONT_PAGE_PATH, FRONT_SCRIPT_PATH, FRONT_STYLES_PATH, FRONT_LOGO_PATH, FRONT_ICON_PATH]

/**
 * The page's Content-Security-Policy: everything from this server, nothing inline, no `eval`. The
 * widget needs no more (its templates are precompiled; it styles elements through the CSSOM, which
 * `style-src` does not govern): the browser tests run every flow under this policy and fail on any
 * violation (docs/adr/0023-sign-in-widget.md). With a public URL on another origin than the page's,
 * the widget calls it and shows its QR codes: that origin is allowed for both.
 */
export const frontPageCsp = (apiOrigin: string | null = null): string =>
  [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src 'self'${apiOrigin === null ? '' : ` ${apiOrigin}`}`,
    "font-src 'self'",
    `connect-src 'self'${apiOrigin === null ? '' : ` ${apiOrigin}`}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ')

/** The policy of a server without a public URL. */
export const FRONT_PAGE_CSP = frontPageCsp()

/** The widget's `features` for an org: the recovery channels and unlock its policies offer, and the optional enrollments. */
export interface WidgetFeatures {
  readonly router: false
  readonly rememberMe: boolean
  readonly showPasswordToggleOnSignInPage: boolean
  readonly selfServiceUnlock: boolean
  readonly emailRecovery: boolean
  readonly smsRecovery: boolean
  readonly callRecovery: boolean
  readonly multiOptionalFactorEnroll: boolean
}

export const widgetFeaturesOf = (policies: Policies): WidgetFeatures => {
  const recovery = policies.recovery
  return {
    router: false,
    rememberMe: true,
    showPasswordToggleOnSignInPage: true,
    selfServiceUnlock: recovery?.selfServiceUnlock ?? false,
    emailRecovery: recovery?.channels.email ?? true,
    smsRecovery: recovery?.channels.sms ?? false,
    callRecovery: recovery?.channels.call ?? false,
    multiOptionalFactorEnroll: policies.enrollment.factors.some((f) => f.enroll === 'OPTIONAL'),
  }
}

/** What the page's script reads from its JSON data block. */
export interface FrontPageConfig {
  /** The origin the widget calls; null: the page's own (`location.origin`). */
  readonly baseUrl: string | null
  /** The logo the widget shows above its forms. */
  readonly logo: string
  /** `/widget/<version>`: where the widget loads its label files from (never a CDN). */
  readonly widgetBase: string
  readonly features: WidgetFeatures
  /** The dev outbox panel: its path, and whether it needs the API token. Null: no panel. */
  readonly devOutbox: { readonly path: string; readonly needsToken: boolean } | null
}

export interface FrontPageOptions {
  readonly assets: WidgetAssets
  readonly policies: Policies
  readonly publicBaseUrl?: string
  readonly devOutbox: { readonly path: string; readonly needsToken: boolean } | null
}

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c)

/** JSON that cannot end its `<script type="application/json">` element early. */
const jsonForScriptElement = (value: unknown): string => JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026')

export const renderFrontPage = (assets: WidgetAssets, config: FrontPageConfig): string => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="${FRONT_ICON_PATH}" type="image/svg+xml">
<title>Sign in · authn-machine</title>
<link rel="stylesheet" href="${escapeHtml(assets.pathOf(WIDGET_STYLES))}">
<link rel="stylesheet" href="${FRONT_STYLES_PATH}">
<script type="application/json" id="sign-in-config">${jsonForScriptElement(config)}</script>
<script src="${escapeHtml(assets.pathOf(WIDGET_SCRIPT))}" defer></script>
<script src="${FRONT_SCRIPT_PATH}" defer></script>
</head>
<body>
<header class="page-header">
  <p class="page-title">authn-machine <span>reference server</span></p>
  <nav><a href="/docs/api">API reference</a></nav>
</header>
<div class="layout">
  <main>
    <p id="page-loading" class="notice">Loading the sign-in form…</p>
    <noscript><p class="notice error">The sign-in form needs JavaScript.</p></noscript>
    <p id="page-error" class="notice error" role="alert" hidden></p>
    <div id="sign-in-widget"></div>
    <section id="signed-in" class="card" hidden aria-live="polite">
      <h1>Signed in</h1>
      <dl>
        <dt>Login</dt><dd id="user-login"></dd>
        <dt>Name</dt><dd id="user-name"></dd>
        <dt>User id</dt><dd id="user-id"></dd>
        <dt>Session token</dt><dd id="session-token"></dd>
      </dl>
      <h2>Session token redemption</h2>
      <p class="hint"><code>POST /api/v1/sessions</code> with the session token (it works once).</p>
      <p id="session-status">Redeeming the session token…</p>
      <dl id="session" hidden>
        <dt>Session status</dt><dd id="session-state"></dd>
        <dt>Session id</dt><dd id="session-id"></dd>
        <dt>User id</dt><dd id="session-user"></dd>
        <dt>Expires</dt><dd id="session-expires"></dd>
        <dt>Methods</dt><dd id="session-amr"></dd>
      </dl>
      <button type="button" id="sign-in-again" class="button">Sign in again</button>
    </section>
  </main>
  <aside id="outbox" hidden aria-labelledby="outbox-title">
    <h2 id="outbox-title">Dev outbox</h2>
    <p class="hint">Messages this server sent (codes and recovery links), newest first. Development only: <code>--dev-outbox</code>.</p>
    <form id="outbox-token" hidden>
      <label for="outbox-token-input">The outbox needs an API token (<code>AUTHN_API_TOKENS</code>):</label>
      <input id="outbox-token-input" type="password" autocomplete="off" required>
      <button type="submit" class="button">Show messages</button>
    </form>
    <p id="outbox-status" class="hint"></p>
    <ol id="outbox-messages"></ol>
  </aside>
</div>
</body>
</html>
`

const STYLES = `/* The front page around the Sign-In Widget; the widget has its own style sheet. */
body { margin: 0; font: 15px/1.5 system-ui, sans-serif; color: #1d1d21; background: #f4f4f6; }
.page-header { display: flex; justify-content: space-between; align-items: baseline; padding: .75rem 1.5rem; background: #fff; border-bottom: 1px solid #ddd; }
.page-title { margin: 0; font-weight: 600; }
.page-title span { font-weight: 400; color: #6e6e78; }
.layout { display: flex; flex-wrap: wrap; gap: 1.5rem; justify-content: center; align-items: flex-start; padding: 1rem; }
main { flex: 0 1 28rem; min-width: 0; }
#sign-in-widget #okta-sign-in.auth-container.main-container { margin-top: 1rem; }
.notice { text-align: center; color: #6e6e78; }
.error { color: #b3261e; }
.card { background: #fff; border: 1px solid #ddd; border-radius: 4px; padding: 1.25rem 1.5rem; margin-top: 1rem; }
.card h1 { font-size: 1.4rem; margin: 0 0 .75rem; }
.card h2 { font-size: 1.05rem; margin: 1.25rem 0 .25rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: .5rem 0; }
dt { color: #6e6e78; }
dd { margin: 0; overflow-wrap: anywhere; font-family: ui-monospace, monospace; font-size: .9em; }
.hint { color: #6e6e78; font-size: .9em; }
.button { font: inherit; padding: .45rem .9rem; border: 1px solid #1662dd; border-radius: 4px; background: #1662dd; color: #fff; cursor: pointer; }
aside { flex: 0 1 24rem; min-width: 0; background: #fff; border: 1px solid #ddd; border-radius: 4px; padding: 1rem 1.25rem; margin-top: 1rem; }
aside h2 { font-size: 1.05rem; margin: 0; }
#outbox-messages { list-style: none; padding: 0; margin: 0; display: grid; gap: .75rem; }
#outbox-messages li { border-top: 1px solid #eee; padding-top: .5rem; }
.message-head { color: #6e6e78; font-size: .85em; }
.message-code { font: 600 1.4rem ui-monospace, monospace; letter-spacing: .1em; }
.message-text { white-space: pre-wrap; overflow-wrap: anywhere; font-size: .9em; margin: .25rem 0 0; }
[hidden] { display: none !important; }
`

const SCRIPT = `'use strict'
;(() => {
  const $ = (id) => document.getElementById(id)
  const show = (id, on) => { $(id).hidden = !on }
  const config = JSON.parse($('sign-in-config').textContent)
  const baseUrl = config.baseUrl || location.origin
  let widget = null

  const fail = (message) => {
    $('page-error').textContent = message
    show('page-error', true)
  }

  const text = (id, value) => { $(id).textContent = value == null || value === '' ? '—' : String(value) }

  /** POST /api/v1/sessions with the session token; shows the session or Okta's error. */
  const redeem = async (sessionToken) => {
    text('session-status', 'Redeeming the session token…')
    show('session', false)
    try {
      const r = await fetch(baseUrl + '/api/v1/sessions', {
        method: 'POST',
        headers: { accept: 'application/json', 'content-type': 'application/json' },
        body: JSON.stringify({ sessionToken }),
        credentials: 'omit',
      })
      const body = await r.json().catch(() => ({}))
      if (!r.ok) {
        text('session-status', 'The session token was refused: ' + (body.errorSummary || 'HTTP ' + r.status) + (body.errorCode ? ' (' + body.errorCode + ')' : ''))
        return
      }
      text('session-status', 'Redeemed: the server made a session.')
      text('session-state', body.status)
      text('session-id', body.id)
      text('session-user', body.userId)
      text('session-expires', body.expiresAt)
      text('session-amr', Array.isArray(body.amr) ? body.amr.join(', ') : '')
      show('session', true)
    } catch (e) {
      text('session-status', 'The session token could not be redeemed: the server did not answer.')
    }
  }

  const signedIn = (res) => {
    const user = res.user || {}
    const profile = user.profile || {}
    const token = res.session && res.session.token
    text('user-login', profile.login)
    text('user-name', [profile.firstName, profile.lastName].filter(Boolean).join(' '))
    text('user-id', user.id)
    text('session-token', token ? token.slice(0, 6) + '… (' + token.length + ' characters)' : '')
    if (widget) widget.remove()
    widget = null
    show('signed-in', true)
    if (token) redeem(token)
    else text('session-status', 'No session token came with SUCCESS.')
  }

  const render = () => {
    show('signed-in', false)
    show('page-error', false)
    if (typeof window.OktaSignIn !== 'function') {
      show('page-loading', false)
      fail('The Sign-In Widget did not load.')
      return
    }
    widget = new window.OktaSignIn({
      baseUrl,
      brandName: 'authn-machine',
      logo: config.logo,
      logoText: 'authn-machine',
      assets: { baseUrl: config.widgetBase },
      features: config.features,
    })
    widget.on('ready', () => show('page-loading', false))
    widget.renderEl(
      { el: '#sign-in-widget' },
      (res) => {
        // Other statuses (an email sent, an account unlocked) are screens the widget shows itself.
        if (res && res.status === 'SUCCESS' && res.session) signedIn(res)
      },
      (err) => {
        // What the widget cannot show itself (a configuration or start-up error).
        show('page-loading', false)
        fail('The sign-in form stopped: ' + ((err && (err.message || err.errorSummary)) || 'unknown error'))
      },
    )
  }

  $('sign-in-again').addEventListener('click', render)

  // The dev outbox panel: polls the outbox and lists its messages.
  const outbox = config.devOutbox
  if (outbox) {
    show('outbox', true)
    let token = ''
    let shown = ''
    const CODE = /\\b\\d{5,8}\\b/
    const LINK = /https?:\\/\\/[^\\s<>"']+/g
    const messageItem = (m) => {
      const li = document.createElement('li')
      li.dataset.channel = m.channel
      li.dataset.purpose = m.purpose
      const head = document.createElement('div')
      head.className = 'message-head'
      head.textContent = m.channel.toUpperCase() + ' to ' + m.to + ' · ' + m.purpose + ' · ' + new Date(m.createdAt).toLocaleTimeString()
      li.appendChild(head)
      if (m.subject) {
        const subject = document.createElement('strong')
        subject.textContent = m.subject
        li.appendChild(subject)
      }
      const code = m.purpose === 'recovery-link' ? null : CODE.exec(m.text.replace(/(\\d)[ ,.]+(?=\\d\\b)/g, '$1'))
      if (code) {
        const c = document.createElement('div')
        c.className = 'message-code'
        c.textContent = code[0]
        li.appendChild(c)
      }
      const body = document.createElement('p')
      body.className = 'message-text'
      let at = 0
      for (const link of m.text.matchAll(LINK)) {
        body.appendChild(document.createTextNode(m.text.slice(at, link.index)))
        const a = document.createElement('a')
        a.href = link[0]
        a.textContent = link[0]
        a.className = 'message-link'
        body.appendChild(a)
        at = link.index + link[0].length
      }
      body.appendChild(document.createTextNode(m.text.slice(at)))
      li.appendChild(body)
      return li
    }
    const poll = async () => {
      try {
        const r = await fetch(outbox.path, { headers: token ? { authorization: 'SSWS ' + token } : {}, cache: 'no-store', credentials: 'omit' })
        if (r.status === 401) {
          show('outbox-token', true)
          text('outbox-status', token ? 'That token was refused.' : '')
          return
        }
        if (!r.ok) {
          text('outbox-status', 'The outbox answered HTTP ' + r.status + '.')
          return
        }
        show('outbox-token', false)
        const messages = await r.json()
        const key = messages.map((m) => m.id).join(',')
        text('outbox-status', messages.length === 0 ? 'No messages yet.' : messages.length + (messages.length === 1 ? ' message' : ' messages'))
        if (key === shown) return
        shown = key
        $('outbox-messages').replaceChildren(...messages.map(messageItem))
      } catch (e) {
        text('outbox-status', 'The outbox is not reachable.')
      }
    }
    $('outbox-token').addEventListener('submit', (e) => {
      e.preventDefault()
      token = $('outbox-token-input').value.trim()
      poll()
    })
    poll()
    setInterval(poll, 1500)
  }

  render()
})()
`

/** The logo above the widget's forms: the project's name, set in the widget's font. */
const LOGO = `<svg xmlns="http://www.w3.org/2000/svg" width="240" height="40" viewBox="0 0 240 40">
<rect x="1" y="5" width="30" height="30" rx="7" fill="#1662dd"/>
<path d="M9 27 L16 12 L23 27 M11.5 22 H20.5" stroke="#fff" stroke-width="3" fill="none" stroke-linecap="round" stroke-linejoin="round"/>
<text x="40" y="27" font-family="Inter, system-ui, sans-serif" font-size="19" font-weight="600" fill="#1d1d21">authn-machine</text>
</svg>
`

/** The page's icon: the logo's mark. */
const ICON = `<svg xmlns="http://www.w3.org/2000/svg" width="32" height="32" viewBox="0 0 32 32">
<rect x="1" y="1" width="30" height="30" rx="7" fill="#1662dd"/>
<path d="M9 23 L16 8 L23 23 M11.5 18 H20.5" stroke="#fff" stroke-width="3" fill="none" stroke-linecap="round" stroke-linejoin="round"/>
</svg>
`

const etagOf = (body: string): string => `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`

interface Resource {
  readonly type: string
  readonly body: string
  readonly etag: string
  readonly headers: Readonly<Record<string, string>>
}

/**
 * The front page's three resources: the page (GET and HEAD of `/`; not cached, since its settings
 * follow the server's options), its script and its style sheet (revalidated by `ETag`).
 */
export const createFrontPage = (options: FrontPageOptions) => {
  const config: FrontPageConfig = {
    baseUrl: options.publicBaseUrl?.replace(/\/+$/, '') ?? null,
    logo: FRONT_LOGO_PATH,
    widgetBase: options.assets.base,
    features: widgetFeaturesOf(options.policies),
    devOutbox: options.devOutbox,
  }
  const page = renderFrontPage(options.assets, config)
  const resources: Readonly<Record<string, Resource>> = {
    [FRONT_PAGE_PATH]: {
      type: 'text/html; charset=utf-8',
      body: page,
      etag: etagOf(page),
      headers: {
        'cache-control': 'no-cache',
        'content-security-policy': frontPageCsp(config.baseUrl === null ? null : new URL(config.baseUrl).origin),
        'x-frame-options': 'DENY',
        'referrer-policy': 'no-referrer',
      },
    },
    [FRONT_SCRIPT_PATH]: { type: 'text/javascript; charset=utf-8', body: SCRIPT, etag: etagOf(SCRIPT), headers: { 'cache-control': 'no-cache' } },
    [FRONT_STYLES_PATH]: { type: 'text/css; charset=utf-8', body: STYLES, etag: etagOf(STYLES), headers: { 'cache-control': 'no-cache' } },
    [FRONT_LOGO_PATH]: { type: 'image/svg+xml', body: LOGO, etag: etagOf(LOGO), headers: { 'cache-control': 'no-cache' } },
    [FRONT_ICON_PATH]: { type: 'image/svg+xml', body: ICON, etag: etagOf(ICON), headers: { 'cache-control': 'no-cache' } },
  }
  return {
    config,
    /** Answers GET or HEAD of the page, its script or its style sheet; anything else is left to the caller. */
    answer: (req: IncomingMessage, res: ServerResponse, path: string): boolean => {
      if (req.method !== 'GET' && req.method !== 'HEAD') return false
      const r = Object.hasOwn(resources, path) ? resources[path] : undefined
      if (r === undefined) return false
      const headers = { ...r.headers, etag: r.etag, 'x-content-type-options': 'nosniff' }
      const match = req.headers['if-none-match']
      if (match !== undefined && match.split(',').some((tag) => tag.trim().replace(/^W\//, '') === r.etag)) {
        res.writeHead(304, headers)
        res.end()
        return true
      }
      res.writeHead(200, { ...headers, 'content-type': r.type, 'content-length': Buffer.byteLength(r.body) })
      res.end(req.method === 'HEAD' ? undefined : r.body)
      return true
    },
  }
}
