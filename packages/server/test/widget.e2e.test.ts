// The front page in a real browser: Okta's Sign-In Widget (unmodified, classic mode) served by the
// reference server, driven in Debian's Chromium by playwright-core as a person would use it. The
// server runs as `pnpm start` runs it, with a seed of its own and the dev outbox, whose codes and
// links the flows read. Each step asserts what the page shows, and saves a screenshot under
// .ci/artifacts/widget/ (docs/widget.md).
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadWidgetAssets, WIDGET_SCRIPT, WIDGET_STYLES } from '../src/widget-assets.js'
import {
  expectCleanPage,
  expectSignedIn,
  expectText,
  launchBrowser,
  openPage,
  outboxCode,
  outboxLink,
  pageText,
  screenshot,
  signIn,
  startServerProcess,
  BROWSER_SUITES,
} from './browser.js'

/** The org of these flows: recovery by email and SMS with the recovery question, self-service unlock, lockout after 3 failures (shown). */
const PHONE = '+14155550142'
const USERS = {
  ada: { login: 'ada.active@example.com', password: 'Analytic-Engine-1843' },
  paul: { login: 'paul.expired@example.com', password: 'Expired-Passw0rd' },
  wanda: { login: 'wanda.warned@example.com', password: 'Warned-Passw0rd' },
  lou: { login: 'lou.lockout@example.com', password: 'Locked-Passw0rd' },
  fern: { login: 'fern.forgot@example.com', password: 'Forgot-Passw0rd', question: 'What was your first pet?', answer: 'Rex' },
  sid: { login: 'sid.sms@example.com', password: 'Sms-Recover-Passw0rd', question: 'Where were you born?', answer: 'Lisbon' },
  cora: { login: 'cora.cross@example.com', password: 'Cross-Origin-Passw0rd' },
} as const

const SEED = {
  users: [
    { login: USERS.ada.login, firstName: 'Ada', lastName: 'Active', password: USERS.ada.password },
    { login: USERS.paul.login, firstName: 'Paul', lastName: 'Expired', password: USERS.paul.password, status: 'PASSWORD_EXPIRED' },
    { login: USERS.wanda.login, firstName: 'Wanda', lastName: 'Warned', password: USERS.wanda.password, passwordChanged: 'now-85d' },
    { login: USERS.lou.login, firstName: 'Lou', lastName: 'Lockout', password: USERS.lou.password },
    {
      login: USERS.fern.login,
      firstName: 'Fern',
      lastName: 'Forgot',
      password: USERS.fern.password,
      recoveryQuestion: { question: USERS.fern.question, answer: USERS.fern.answer },
    },
    {
      login: USERS.sid.login,
      firstName: 'Sid',
      lastName: 'Sms',
      password: USERS.sid.password,
      recoveryQuestion: { question: USERS.sid.question, answer: USERS.sid.answer },
      factors: [{ factorType: 'sms', provider: 'OKTA', phoneNumber: PHONE }],
    },
    { login: USERS.cora.login, firstName: 'Cora', lastName: 'Cross', password: USERS.cora.password },
  ],
  policies: {
    password: {
      complexity: { minLength: 8, minLowerCase: 1, minUpperCase: 1, minNumber: 1, minSymbol: 0, excludeUsername: true },
      age: { maxAgeDays: 90, expireWarnDays: 10, minAgeMinutes: 0, historyCount: 4 },
      lockout: { maxAttempts: 3, autoUnlockMinutes: 0, showLockoutFailures: true },
    },
    recovery: { channels: { email: true, sms: true, call: true }, selfServicePasswordReset: true, selfServiceUnlock: true, questionRequired: true },
  },
}

let browser: Browser
let server: Awaited<ReturnType<typeof startServerProcess>>
/** The second origin's page (cross-origin), served by a tiny server of the test's own. */
let other: Server
let otherOrigin: string
/** The `METHOD path status` of every request any flow's page made to the reference server. */
const seen = new Set<string>()

/** The static page another origin serves: the widget's files from the reference server, pointed at it. */
const crossOriginPage = (serverUrl: string, script: string, styles: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Another origin</title>
<link rel="stylesheet" href="${serverUrl}${styles}">
<script src="${serverUrl}${script}"></script>
</head><body><h1>An app on another origin</h1><div id="widget"></div><p id="result"></p>
<script src="/app.js"></script></body></html>`

const crossOriginScript = (serverUrl: string) => `
const widget = new OktaSignIn({ baseUrl: ${JSON.stringify(serverUrl)}, features: { router: false } })
widget.renderEl({ el: '#widget' }, (res) => {
  if (res.status === 'SUCCESS') {
    widget.remove()
    document.getElementById('result').textContent = 'Signed in on another origin as ' + res.user.profile.login + ' (session token ' + (res.session.token ? 'received' : 'missing') + ')'
  }
}, (err) => { document.getElementById('result').textContent = 'Error: ' + err.message })
`

beforeAll(async () => {
  if (!BROWSER_SUITES) return
  // The other origin first: the reference server trusts it (CORS) from the start.
  const assets = await loadWidgetAssets()
  let pageBody = ''
  let scriptBody = ''
  other = createServer((req, res) => {
    const js = req.url === '/app.js'
    res.writeHead(req.url === '/' || js ? 200 : 404, { 'content-type': js ? 'text/javascript' : 'text/html; charset=utf-8' })
    res.end(req.url === '/' ? pageBody : js ? scriptBody : '')
  })
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve))
  otherOrigin = `http://127.0.0.1:${(other.address() as AddressInfo).port}`
  ;[server, browser] = await Promise.all([startServerProcess(SEED, ['--trusted-origin', otherOrigin]), launchBrowser()])
  pageBody = crossOriginPage(server.url, assets.pathOf(WIDGET_SCRIPT), assets.pathOf(WIDGET_STYLES))
  scriptBody = crossOriginScript(server.url)
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await server?.stop()
  await new Promise<void>((resolve) => (other === undefined ? resolve() : other.close(() => resolve())))
})

/** A new device (context) on the front page, the widget's sign-in form shown; closed after `flow`. */
const withPage = async (flow: (page: Page) => Promise<void>): Promise<void> => {
  const { context, page, watch } = await openPage(browser, server.url)
  try {
    await page.goto(`${server.url}/`)
    await page.locator('#okta-signin-username').waitFor({ state: 'visible' })
    await flow(page)
    await expectCleanPage(watch)
  } catch (e) {
    throw new Error(`${e instanceof Error ? e.message : String(e)}\n--- the page showed:\n${await pageText(page).catch(() => '')}`, { cause: e })
  } finally {
    for (const r of watch.requests) seen.add(r.replace(/\/[A-Za-z0-9_-]{20,}(?=\s|\/)/g, '/{token}'))
    await context.close()
  }
}



// A flow is a few seconds alone; the time allows for a loaded machine (the whole suite in parallel).
describe.runIf(BROWSER_SUITES)('the front page: the Sign-In Widget in Chromium', { timeout: 60_000 }, () => {
  it('GET / serves the widget from the npm package under a strict CSP; sign-in shows who signed in and the redeemed session', async () => {
    const page = await fetch(`${server.url}/`)
    expect(page.status).toBe(200)
    // Everything from this server; no inline script or style, no eval.
    expect(page.headers.get('content-security-policy')).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    )
    const html = await page.text()
    // No inline script: each is a file of the server's, or the settings as a JSON data block.
    const scripts = html.match(/<script\b[^>]*>/g) ?? []
    expect(scripts.length).toBeGreaterThan(1)
    for (const tag of scripts) expect(tag).toMatch(/\bsrc="\/|type="application\/json"/)
    const assets = await loadWidgetAssets()
    const script = await fetch(`${server.url}${assets.pathOf(WIDGET_SCRIPT)}`)
    expect([script.status, script.headers.get('content-type'), script.headers.get('cache-control')]).toEqual([200, 'text/javascript; charset=utf-8', 'public, max-age=31536000, immutable'])
    expect(Buffer.from(await script.arrayBuffer()).equals(assets.files.get(WIDGET_SCRIPT)?.body ?? Buffer.alloc(0))).toBe(true)

    await withPage(async (page) => {
      await expectText(page, 'Sign In')
      await screenshot(page, 'sign-in', '1-form')
      await signIn(page, USERS.ada.login, USERS.ada.password)
      await expectSignedIn(page, USERS.ada.login)
      expect(await page.locator('#user-name').textContent()).toBe('Ada Active')
      await screenshot(page, 'sign-in', '2-signed-in')
      // Again, from the panel: the widget comes back.
      await page.getByRole('button', { name: 'Sign in again' }).click()
      await page.locator('#okta-signin-username').waitFor({ state: 'visible' })
    })
  })

  it('a wrong password: the widget shows the Okta error under the form', async () => {
    await withPage(async (page) => {
      await signIn(page, USERS.ada.login, 'Not-The-Passw0rd')
      await expectText(page, 'Unable to sign in')
      await screenshot(page, 'sign-in', '3-wrong-password')
    })
  })

  it('password expired: the widget asks for a new one, then SUCCESS', async () => {
    await withPage(async (page) => {
      await signIn(page, USERS.paul.login, USERS.paul.password)
      await expectText(page, 'Your authn-machine password has expired')
      await screenshot(page, 'password-expired', '1-change')
      await page.getByLabel('Old password').fill(USERS.paul.password)
      await page.getByLabel('New password').fill('Renewed-Passw0rd-2')
      await page.getByLabel('Repeat password').fill('Renewed-Passw0rd-2')
      await page.getByRole('button', { name: 'Change Password' }).click()
      await expectSignedIn(page, USERS.paul.login)
      await screenshot(page, 'password-expired', '2-signed-in')
    })
  })

  it('password about to expire: the widget warns, "Remind me later" goes on to SUCCESS', async () => {
    await withPage(async (page) => {
      await signIn(page, USERS.wanda.login, USERS.wanda.password)
      await expectText(page, /Your password will expire in \d+ days/)
      await screenshot(page, 'password-warn', '1-warning')
      await page.getByText('Remind me later').click()
      await expectSignedIn(page, USERS.wanda.login)
    })
  })

  it('lockout, then self-service unlock by email: the widget offers the unlock, the mailed link unlocks, sign-in works again', async () => {
    await withPage(async (page) => {
      for (let i = 1; i <= 2; i++) {
        await signIn(page, USERS.lou.login, `Wrong-Passw0rd-${i}`)
        await expectText(page, 'Unable to sign in')
      }
      await signIn(page, USERS.lou.login, 'Wrong-Passw0rd-3')
      // LOCKED_OUT (the policy shows it): the widget goes to its unlock form.
      await expectText(page, 'Unlock account')
      await screenshot(page, 'unlock', '1-locked-out')
      await page.locator('#account-recovery-username').fill(USERS.lou.login)
      await page.getByText('Send Email', { exact: true }).click()
      await expectText(page, 'Email sent!')
      await screenshot(page, 'unlock', '2-email-sent')
      // The side panel lists the email with its link; a person clicks it.
      // The message to this user: the panel lists every recipient's, and the mail is sent in the background.
      const link = page.locator('#outbox-messages li[data-purpose="recovery-link"]').filter({ hasText: ` to ${USERS.lou.login}` }).locator('a.message-link').first()
      await link.waitFor({ state: 'visible' })
      expect(await link.getAttribute('href')).toBe(await outboxLink(server.url, USERS.lou.login))
      await screenshot(page, 'unlock', '3-outbox')
      await link.click()
      await expectText(page, 'Your account is unlocked. You can sign in again.')
      await screenshot(page, 'unlock', '4-unlocked')
      await page.goto(`${server.url}/`)
      await page.locator('#okta-signin-username').waitFor({ state: 'visible' })
      await signIn(page, USERS.lou.login, USERS.lou.password)
      await expectSignedIn(page, USERS.lou.login)
    })
  })

  it('forgot password by email: "Reset via Email", the link from the outbox panel, the recovery question, a new password that signs in', async () => {
    await withPage(async (page) => {
      await page.getByText('Need help signing in?').click()
      await page.getByText('Forgot password?').click()
      await expectText(page, 'Reset Password')
      await page.locator('#account-recovery-username').fill(USERS.fern.login)
      await screenshot(page, 'forgot-email', '1-form')
      await page.getByText('Reset via Email', { exact: true }).click()
      await expectText(page, 'Email sent!')
      await screenshot(page, 'forgot-email', '2-email-sent')
      // The message to this user: the panel lists every recipient's, and the mail is sent in the background.
      const link = page.locator('#outbox-messages li[data-purpose="recovery-link"]').filter({ hasText: ` to ${USERS.fern.login}` }).locator('a.message-link').first()
      await link.waitFor({ state: 'visible' })
      await link.click()
      await expectText(page, USERS.fern.question)
      await page.getByLabel(USERS.fern.question).fill(USERS.fern.answer)
      await page.getByRole('button', { name: 'Continue' }).click()
      await expectText(page, 'Choose a new password.')
      await page.getByLabel('New password').fill('Fresh-Start-Passw0rd')
      await screenshot(page, 'forgot-email', '3-new-password')
      await page.getByRole('button', { name: 'Set password' }).click()
      await expectText(page, 'Your password is changed. You can sign in with it now.')
      await page.goto(`${server.url}/`)
      await page.locator('#okta-signin-username').waitFor({ state: 'visible' })
      await signIn(page, USERS.fern.login, 'Fresh-Start-Passw0rd')
      await expectSignedIn(page, USERS.fern.login)
    })
  })

  it('forgot password by SMS: the code from the outbox panel, the recovery question and the new password in the widget, then SUCCESS', async () => {
    await withPage(async (page) => {
      await page.getByText('Need help signing in?').click()
      await page.getByText('Forgot password?').click()
      await page.locator('#account-recovery-username').fill(USERS.sid.login)
      await page.getByText('Reset via SMS', { exact: true }).click()
      await expectText(page, /Enter verification code|Verification code/i)
      const code = page.locator('#outbox-messages li[data-channel="sms"] .message-code').first()
      await code.waitFor({ state: 'visible' })
      expect(await code.textContent()).toBe(await outboxCode(server.url, PHONE))
      await screenshot(page, 'forgot-sms', '1-code-sent')
      await page.locator('input[name="passCode"]').fill((await code.textContent()) ?? '')
      await page.getByRole('button', { name: 'Verify' }).click()
      await expectText(page, USERS.sid.question)
      await screenshot(page, 'forgot-sms', '2-question')
      await page.locator('input[name="answer"]').fill(USERS.sid.answer)
      await page.getByRole('button', { name: 'Reset Password' }).click()
      await expectText(page, /Reset your .*password/)
      await screenshot(page, 'forgot-sms', '3-new-password')
      await page.getByLabel('New password').fill('Texted-Reset-Passw0rd')
      await page.getByLabel('Repeat password').fill('Texted-Reset-Passw0rd')
      await page.getByRole('button', { name: 'Reset Password' }).click()
      await expectSignedIn(page, USERS.sid.login)
      await screenshot(page, 'forgot-sms', '4-signed-in')
    })
  })

  it('cross-origin: the widget on another origin (the server started with --trusted-origin) loads its files from the server and signs in', async () => {
    const { context, page, watch } = await openPage(browser, server.url)
    try {
      await page.goto(`${otherOrigin}/`)
      await page.locator('#okta-signin-username').waitFor({ state: 'visible' })
      const answer = await signIn(page, USERS.cora.login, USERS.cora.password)
      expect(answer.headers()['access-control-allow-origin']).toBe(otherOrigin)
      await expectText(page, `Signed in on another origin as ${USERS.cora.login} (session token received)`)
      await screenshot(page, 'cross-origin', '1-signed-in')
      // Fonts and the style sheet came from the server (fonts need CORS across origins).
      expect(watch.requests.filter((r) => r.includes('/font/')).every((r) => r.endsWith(' 200'))).toBe(true)
      expect(watch.requests.some((r) => r.includes('/font/'))).toBe(true)
      expect(watch.errors).toEqual([])
    } finally {
      await context.close()
    }
  })

  it('a request the server cannot serve: the widget shows the Okta error (500 E0000009, or a gateway’s HTML page), never a blank screen', async () => {
    await withPage(async (page) => {
      // The next primary authentication gets Okta's 500, as the server answers what it cannot serve.
      await page.route(`${server.url}/api/v1/authn`, (route) =>
        route.fulfill({
          status: 500,
          contentType: 'application/json; charset=utf-8',
          body: JSON.stringify({ errorCode: 'E0000009', errorSummary: 'Internal Server Error', errorLink: 'E0000009', errorId: 'oaeForcedInTheBrowserTest', errorCauses: [] }),
        }),
        { times: 1 },
      )
      await signIn(page, USERS.ada.login, USERS.ada.password)
      await expectText(page, 'Internal Server Error')
      await expect.poll(() => page.locator('#okta-signin-username').isVisible()).toBe(true)
      await screenshot(page, 'bad-input', '1-okta-error')
      // Not even Okta-shaped: a gateway's HTML error page.
      await page.route(`${server.url}/api/v1/authn`, (route) => route.fulfill({ status: 502, contentType: 'text/html', body: '<html><body>Bad Gateway</body></html>' }), { times: 1 })
      await signIn(page, USERS.ada.login, USERS.ada.password)
      await expectText(page, 'There was an unsupported response from server.')
      await expect.poll(() => page.locator('#okta-signin-username').isVisible()).toBe(true)
      await screenshot(page, 'bad-input', '2-gateway-error')
      // The server itself again: the same form signs in.
      await signIn(page, USERS.ada.login, USERS.ada.password)
      await expectSignedIn(page, USERS.ada.login)
    })
  })

  it('what the pages asked the server for, over the flows above: the front page’s files, the widget’s, and Okta endpoints this server serves', () => {
    // The classic widget without a clientId calls the Authentication API only: no OpenID
    // configuration, no /api/v1/sessions/me, no registration (docs/adr/0023-sign-in-widget.md).
    const served = [
      /^GET \/ /,
      /^GET \/front-page\/(sign-in\.js|sign-in\.css|logo\.svg|icon\.svg) /,
      /^GET \/widget\/[^/]+\/(js|css|font|img)\/\S+ /,
      /^GET \/__dev\/outbox /,
      /^GET \/signin\/(recovery\.js|reset-password\/\{token\}|unlock\/\{token\}) /,
      /^POST \/api\/v1\/authn(\/(skip|credentials\/(change|reset)_password|recovery\/(password|unlock|token|answer|factors\/SMS\/verify)))? /,
      /^POST \/api\/v1\/sessions /,
    ]
    expect(seen.size).toBeGreaterThan(0)
    expect([...seen].filter((r) => !served.some((p) => p.test(r)))).toEqual([])
    // Nothing asked for was missing; the 500 and 502 were the forced ones, the 401s wrong passwords.
    expect([...seen].filter((r) => / (404|405)$/.test(r))).toEqual([])
  })
})
