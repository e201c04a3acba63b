// MFA on the front page in a real browser: Okta's Sign-In Widget (unmodified, classic mode) enrolls
// and verifies factors against the reference server, driven in Debian's Chromium by
// playwright-core. TOTP codes are computed from the secret the widget shows under "Can't scan?",
// SMS codes read from the dev outbox. Screenshots go to .ci/artifacts/widget/ (docs/widget.md).
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { codeAt, STEP_MS } from './mfa-support.js'
import { expectCleanPage, expectSignedIn, expectText, launchBrowser, openPage, outboxCode, pageText, press, screenshot, signIn, startServerProcess, BROWSER_SUITES } from './browser.js'

const PHONE = '+14155550177'
const USERS = {
  tess: { login: 'tess.totp@example.com', password: 'Totp-Enroll-Passw0rd' },
  sam: { login: 'sam.sms@example.com', password: 'Sms-Enroll-Passw0rd' },
  quinn: { login: 'quinn.question@example.com', password: 'Question-Passw0rd' },
  remy: { login: 'remy.remember@example.com', password: 'Remember-Passw0rd', answer: 'Red Rover' },
} as const

/** Every sign-in needs a factor; TOTP, SMS and the security question may be enrolled; a device may be remembered for an hour. */
const SEED = {
  users: [
    { login: USERS.tess.login, firstName: 'Tess', lastName: 'Totp', password: USERS.tess.password },
    { login: USERS.sam.login, firstName: 'Sam', lastName: 'Sms', password: USERS.sam.password },
    { login: USERS.quinn.login, firstName: 'Quinn', lastName: 'Question', password: USERS.quinn.password },
    {
      login: USERS.remy.login,
      firstName: 'Remy',
      lastName: 'Remember',
      password: USERS.remy.password,
      factors: [{ factorType: 'question', provider: 'OKTA', question: 'favorite_toy', answer: USERS.remy.answer }],
    },
  ],
  policies: {
    password: { lockout: { maxAttempts: 5, autoUnlockMinutes: 0, showLockoutFailures: true } },
    signOn: { access: 'ALLOW', requireFactor: true, allowRememberDevice: true, rememberDeviceByDefault: false, rememberDeviceLifetimeInMinutes: 60 },
    enrollment: {
      factors: [
        { factorType: 'token:software:totp', provider: 'GOOGLE', enroll: 'OPTIONAL' },
        { factorType: 'sms', provider: 'OKTA', enroll: 'OPTIONAL' },
        { factorType: 'question', provider: 'OKTA', enroll: 'OPTIONAL' },
      ],
    },
  },
}

let browser: Browser
let server: Awaited<ReturnType<typeof startServerProcess>>
/** The `METHOD path status` of every request any flow's page made to the reference server. */
const seen = new Set<string>()

beforeAll(async () => {
  if (!BROWSER_SUITES) return
  ;[server, browser] = await Promise.all([startServerProcess(SEED), launchBrowser()])
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

/** A device: a browser context of its own (cookies and storage), for one or more visits to the front page. */
const withDevice = async (flow: (visit: () => Promise<Page>) => Promise<void>): Promise<void> => {
  const { context, page, watch } = await openPage(browser, server.url)
  const visit = async () => {
    await page.goto(`${server.url}/`)
    await page.locator('#okta-signin-username').waitFor({ state: 'visible' })
    return page
  }
  try {
    await flow(visit)
    await expectCleanPage(watch)
  } catch (e) {
    throw new Error(`${e instanceof Error ? e.message : String(e)}\n--- the page showed:\n${await pageText(page).catch(() => '')}`, { cause: e })
  } finally {
    for (const r of watch.requests) seen.add(r.replace(/\/[A-Za-z0-9_-]{20,}(?=\s|\/)/g, '/{id}'))
    await context.close()
  }
}



/** On the widget's list of factors to set up, the "Setup" button of the row that names `factor`. */
const setUp = async (page: Page, factor: string): Promise<void> => {
  await page.locator('.enroll-factor-row').filter({ hasText: factor }).getByText('Setup').click()
}

/** "Finish" on the list of optional factors offered after an enrollment, when the widget shows it. */
const finishEnrollment = async (page: Page): Promise<void> => {
  const finish = page.getByRole('button', { name: 'Finish' })
  await finish.waitFor({ state: 'visible' })
  await finish.click()
}

// A flow is a few seconds alone; the time allows for a loaded machine (the whole suite in parallel).
describe.runIf(BROWSER_SUITES)('MFA on the front page: the Sign-In Widget in Chromium', { timeout: 60_000 }, () => {
  it('TOTP: enroll Google Authenticator with the secret from "Can\'t scan?", then verify at the next sign-in', async () => {
    await withDevice(async (visit) => {
      const page = await visit()
      await signIn(page, USERS.tess.login, USERS.tess.password)
      await expectText(page, 'Set up multifactor authentication')
      await screenshot(page, 'mfa-totp', '1-choose')
      await setUp(page, 'Google Authenticator')
      await page.getByText('Android', { exact: true }).click()
      await press(page, 'Next')
      await expectText(page, 'Setup Google Authenticator')
      await screenshot(page, 'mfa-totp', '2-qr-code')
      await page.getByText("Can't scan?").click()
      const secret = ((await page.locator('.shared-key').filter({ visible: true }).first().textContent()) ?? '').replace(/\s/g, '')
      expect(secret).toMatch(/^[A-Z2-7]{16,}$/)
      await screenshot(page, 'mfa-totp', '3-secret')
      await press(page, 'Next')
      await page.locator('input[name="passCode"]').fill(await codeAt(secret, Date.now()))
      await page.getByRole('button', { name: 'Verify' }).click()
      await finishEnrollment(page)
      await expectSignedIn(page, USERS.tess.login)

      // The next sign-in asks for the code. The current step's code was used by the activation (a
      // replay is refused), so the next step's, which the server's one-step allowance for clock
      // drift accepts: what an authenticator app shows a few seconds later.
      await visit()
      await signIn(page, USERS.tess.login, USERS.tess.password)
      await expectText(page, 'Enter your Google Authenticator passcode')
      await screenshot(page, 'mfa-totp', '4-challenge')
      await page.locator('input[name="answer"]').fill(await codeAt(secret, Date.now() + STEP_MS))
      await page.getByRole('button', { name: 'Verify' }).click()
      await expectSignedIn(page, USERS.tess.login)
    })
  })

  it('SMS: enroll a phone with the code from the outbox, then verify a texted code at the next sign-in', async () => {
    await withDevice(async (visit) => {
      const page = await visit()
      await signIn(page, USERS.sam.login, USERS.sam.password)
      await expectText(page, 'Set up multifactor authentication')
      await setUp(page, 'SMS Authentication')
      await page.locator('input[name="phoneNumber"]').fill(PHONE.slice(2))
      await page.getByText('Send code', { exact: true }).click()
      await expectText(page, /Enter Code|Verification code/i)
      const code = await outboxCode(server.url, PHONE)
      await screenshot(page, 'mfa-sms', '1-code-sent')
      await page.locator('input[name="passCode"]').fill(code)
      await page.getByRole('button', { name: 'Verify' }).click()
      await finishEnrollment(page)
      await expectSignedIn(page, USERS.sam.login)

      await visit()
      await signIn(page, USERS.sam.login, USERS.sam.password)
      await expectText(page, 'SMS Authentication')
      await page.getByText('Send code', { exact: true }).click()
      const challenge = await outboxCode(server.url, PHONE, 2)
      await screenshot(page, 'mfa-sms', '2-challenge')
      await page.locator('input[name="answer"]').fill(challenge)
      await page.getByRole('button', { name: 'Verify' }).click()
      await expectSignedIn(page, USERS.sam.login)
    })
  })

  it('security question: enroll one from the catalogue, then answer it at the next sign-in', async () => {
    await withDevice(async (visit) => {
      const page = await visit()
      await signIn(page, USERS.quinn.login, USERS.quinn.password)
      await expectText(page, 'Set up multifactor authentication')
      await setUp(page, 'Security Question')
      await expectText(page, 'Setup secret question authentication')
      await page.locator('input[name="answer"]').fill('Blue Whale')
      await screenshot(page, 'mfa-question', '1-enroll')
      await page.getByRole('button', { name: 'Save' }).click()
      await finishEnrollment(page)
      await expectSignedIn(page, USERS.quinn.login)

      await visit()
      await signIn(page, USERS.quinn.login, USERS.quinn.password)
      await expectText(page, 'Security Question')
      await page.locator('input[name="answer"]').fill('Blue Whale')
      await screenshot(page, 'mfa-question', '2-challenge')
      await page.getByRole('button', { name: 'Verify' }).click()
      await expectSignedIn(page, USERS.quinn.login)
    })
  })

  it('remember device: "Do not challenge me on this device" skips MFA at the next sign-in from this browser, not from another', async () => {
    await withDevice(async (visit) => {
      const page = await visit()
      await signIn(page, USERS.remy.login, USERS.remy.password)
      await expectText(page, 'Security Question')
      await page.locator('input[name="answer"]').fill(USERS.remy.answer)
      await page.getByText(/Do not challenge me on this device/).click()
      await screenshot(page, 'remember-device', '1-challenge')
      await page.getByRole('button', { name: 'Verify' }).click()
      await expectSignedIn(page, USERS.remy.login)

      // The same browser: no question this time.
      await visit()
      await signIn(page, USERS.remy.login, USERS.remy.password)
      await expectSignedIn(page, USERS.remy.login)
      await screenshot(page, 'remember-device', '2-signed-in-without-mfa')
    })
    // Another browser (a new device) is asked again.
    await withDevice(async (visit) => {
      const page = await visit()
      await signIn(page, USERS.remy.login, USERS.remy.password)
      await expectText(page, 'Security Question')
    })
  })

  it('what the pages asked the server for, over the flows above: Okta endpoints this server serves (factors, the QR code, the question catalogue), and files', () => {
    const served = [
      /^GET \/ /,
      /^GET \/front-page\/(sign-in\.js|sign-in\.css|logo\.svg|icon\.svg) /,
      /^GET \/widget\/[^/]+\/(js|css|font|img)\/\S+ /,
      /^GET \/__dev\/outbox /,
      /^GET \/api\/v1\/authn\/factors\/\{id\}\/qr\/\S+ 200$/,
      /^GET \/api\/v1\/users\/\{id\}\/factors\/questions 200$/,
      /^POST \/api\/v1\/authn(\/(skip|factors|factors\/\{id\}\/(verify|lifecycle\/activate)))? /,
      /^POST \/api\/v1\/sessions /,
    ]
    expect(seen.size).toBeGreaterThan(0)
    expect([...seen].filter((r) => !served.some((p) => p.test(r)))).toEqual([])
    expect([...seen].filter((r) => / (4\d\d|5\d\d)$/.test(r))).toEqual([])
  })
})
