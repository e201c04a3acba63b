// Shared by the browser tests of the front page (the Sign-In Widget): a real Chromium driven by
// playwright-core, the reference server as a user starts it (a child process with a seed file and
// the dev outbox), screenshots under .ci/artifacts/widget/, and readers for the dev outbox.
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type BrowserContext, type Page, type Response } from 'playwright-core'
import { CHROMIUM_ARGS, browserSuitesRun, chromiumPath } from '@authn-machine/testkit/browser'
import { expect } from 'vitest'
import { createProcesses } from './process.js'

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))

/** Where the screenshots go (CI keeps .ci/artifacts/ as the run's artifacts; git ignores it). */
export const SCREENSHOT_DIR = join(ROOT, '.ci', 'artifacts', 'widget')

export { CHROMIUM_ARGS, chromiumPath } from '@authn-machine/testkit/browser'

/** Whether the browser suites run: in CI always, elsewhere when Chromium is installed (testkit `browserSuitesRun`). */
export const BROWSER_SUITES: boolean = browserSuitesRun('browser suites')

/** A headless Chromium with a fresh profile; fails with how to install it when it is missing. */
export const launchBrowser = async (): Promise<Browser> => {
  const path = chromiumPath()
  if (!existsSync(path))
    throw new Error(
      `The browser tests need Chromium at ${path}. Install Debian's package (apt-get install -y --no-install-recommends chromium), or set CHROMIUM_PATH to a Chromium or Chrome executable. CI installs it in .ci/run.`,
    )
  return chromium.launch({ executablePath: path, headless: true, args: [...CHROMIUM_ARGS] })
}

/** What a page did that a test checks afterwards: CSP violations, script errors, the paths it asked this server for. */
export interface PageWatch {
  readonly violations: () => Promise<ReadonlyArray<string>>
  readonly errors: ReadonlyArray<string>
  /** `METHOD path status` of each request to `origin`, in order. */
  readonly requests: ReadonlyArray<string>
}

/** A fresh context (a new device: no cookies, no storage) and its page, watched. */
export const openPage = async (browser: Browser, origin: string): Promise<{ readonly context: BrowserContext; readonly page: Page; readonly watch: PageWatch }> => {
  const context = await browser.newContext({ viewport: { width: 1100, height: 760 }, locale: 'en-US' })
  // Violations of the page's Content-Security-Policy, collected in the page (the listener runs
  // before any of the page's scripts; CDP's injection is not subject to the CSP).
  await context.addInitScript({
    content: `window.__cspViolations = []
document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(e.effectiveDirective + ' ' + e.blockedURI + ' ' + e.sample))`,
  })
  // A step that does not happen fails within the test's time, naming what it waited for.
  context.setDefaultTimeout(15_000)
  const page = await context.newPage()
  const errors: string[] = []
  const requests: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  page.on('response', (r) => {
    const u = new URL(r.url())
    if (u.origin === origin) requests.push(`${r.request().method()} ${u.pathname} ${r.status()}`)
  })
  const violations = async () => {
    const found: string[] = []
    for (const frame of page.frames()) found.push(...(await frame.evaluate<ReadonlyArray<string>>('window.__cspViolations || []').catch(() => [])))
    return found
  }
  return { context, page, watch: { violations, errors, requests } }
}

/** Saves a screenshot of the page as `.ci/artifacts/widget/<flow>-<step>.png`. */
export const screenshot = async (page: Page, flow: string, step: string): Promise<void> => {
  mkdirSync(SCREENSHOT_DIR, { recursive: true })
  // The widget slides one form out and the next in (a script animation): let the slide end.
  await page.waitForTimeout(600)
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${flow}-${step}.png`), animations: 'disabled' })
}

/** One message of `GET /__dev/outbox`. */
export interface OutboxMessage {
  readonly id: string
  readonly channel: 'email' | 'sms' | 'call'
  readonly to: string
  readonly subject: string
  readonly text: string
  readonly purpose: string
  readonly createdAt: string
}

/** The dev outbox's messages to `to`, newest first, once there are at least `count`. */
export const outboxMessages = async (serverUrl: string, to: string, count = 1): Promise<ReadonlyArray<OutboxMessage>> => {
  let messages: ReadonlyArray<OutboxMessage> = []
  for (let waited = 0; waited < 10_000; waited += 100) {
    messages = (await (await fetch(`${serverUrl}/__dev/outbox?to=${encodeURIComponent(to)}`)).json()) as ReadonlyArray<OutboxMessage>
    if (messages.length >= count) return messages
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${count} message(s) to ${to} did not arrive; ${messages.length} did`)
}

/** The code in the newest of `count` messages to `to`. */
export const outboxCode = async (serverUrl: string, to: string, count = 1): Promise<string> => {
  const m = (await outboxMessages(serverUrl, to, count))[0]
  const code = /\b\d{5,8}\b/.exec(m?.text ?? '')?.[0]
  if (code === undefined) throw new Error(`no code in ${JSON.stringify(m?.text)}`)
  return code
}

/** The link in the newest of `count` messages to `to`. */
export const outboxLink = async (serverUrl: string, to: string, count = 1): Promise<string> => {
  const m = (await outboxMessages(serverUrl, to, count))[0]
  const link = /https?:\/\/\S+/.exec(m?.text ?? '')?.[0]
  if (link === undefined) throw new Error(`no link in ${JSON.stringify(m?.text)}`)
  return link
}

/** Starts the reference server as `pnpm start` does, with `seed` as its seed file, the memory store and the dev outbox. */
export const startServerProcess = async (seed: unknown, args: ReadonlyArray<string> = [], env: Record<string, string> = {}) => {
  const processes = createProcesses()
  const dir = mkdtempSync(join(tmpdir(), 'authn-widget-'))
  const seedFile = join(dir, 'seed.json')
  writeFileSync(seedFile, JSON.stringify(seed))
  const server = processes.launch(['--port', '0', '--store', 'memory', '--seed', seedFile, '--dev-outbox', '--log-level', 'warn', ...args], env)
  const url = await server.ready
  return { url, server, stop: () => processes.stopAll() }
}

/** Waits for the widget to show `text` somewhere on the page. */
export const expectText = async (page: Page, text: string | RegExp, timeout = 15_000): Promise<void> => {
  await page.getByText(text).filter({ visible: true }).first().waitFor({ state: 'visible', timeout })
}

/** The page's text, for messages when a step fails. */
export const pageText = (page: Page): Promise<string> => page.evaluate<string>('document.body.innerText')

/** Checks the page ran under its CSP without a violation and without a script error. */
export const expectCleanPage = async (watch: PageWatch): Promise<void> => {
  expect(await watch.violations()).toEqual([])
  expect(watch.errors).toEqual([])
}

/**
 * Fills the widget's sign-in form and submits it; resolves with the server's answer. The widget
 * drops a submit within 200 ms of the previous one (its double-submit guard) and may fill in the
 * remembered username as it renders: the fields are checked just before the click.
 */
export const signIn = async (page: Page, username: string, password: string): Promise<Response> => {
  const user = page.locator('#okta-signin-username')
  const secret = page.locator('#okta-signin-password')
  await user.fill(username)
  await secret.fill(password)
  await page.waitForTimeout(250)
  if ((await user.inputValue()) !== username) await user.fill(username)
  if ((await secret.inputValue()) !== password) await secret.fill(password)
  const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/authn' && r.request().method() === 'POST')
  await page.locator('#okta-signin-submit').click()
  return answered
}

/** Clicks the visible button (or button-like link) named `name`. */
export const press = async (page: Page, name: string): Promise<void> => {
  await page.getByRole('button', { name, exact: true }).or(page.getByRole('link', { name, exact: true })).filter({ visible: true }).first().click()
}

/** The front page's signed-in panel: the login, and the session the token was redeemed for. */
export const expectSignedIn = async (page: Page, login: string): Promise<void> => {
  await page.locator('#signed-in').waitFor({ state: 'visible' })
  await expect.poll(() => page.locator('#user-login').textContent()).toBe(login)
  await expect.poll(() => page.locator('#session-state').textContent()).toBe('ACTIVE')
  expect(await page.locator('#session-status').textContent()).toBe('Redeemed: the server made a session.')
}
