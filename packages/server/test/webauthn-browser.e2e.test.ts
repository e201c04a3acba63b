// WebAuthn against the reference server in a real browser (docs/adr/0029-challenge-factors.md):
// Debian's Chromium, driven by playwright-core, with a virtual authenticator of the DevTools
// protocol. The page is one of the server's own, opened on http://localhost:<port> (a secure
// context, and a valid RP ID), so the API is called from the origin the server binds the
// credential to. The page does what the Sign-In Widget's EnrollWebauthn and VerifyWebauthn
// controllers do: `strToBin` on Okta's strings, `navigator.credentials.create/get`, `btoa` of the
// buffers, and posts them to /api/v1/authn with `fetch`.
import type { Browser, CDPSession, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { withTimeout as bounded } from '@authn-machine/testkit/browser'
import { launchBrowser, openPage, startServerProcess, BROWSER_SUITES } from './browser.js'

/** Each browser step gets this long: a page whose authenticator is missing would wait forever. */
const STEP_MS = 8_000

const withTimeout = <A>(what: string, p: Promise<A>, ms = STEP_MS): Promise<A> => bounded(what, p, ms)

/** One user per authenticator: a user enrolls one WebAuthn factor. */
const USERS = {
  ines: { login: 'ines.internal@example.com', password: 'Platform-Key-Passw0rd' },
  uma: { login: 'uma.usb@example.com', password: 'Security-Key-Passw0rd' },
} as const

/** Every sign-in needs a factor, and WebAuthn must be enrolled. */
const SEED = {
  users: [
    { login: USERS.ines.login, firstName: 'Ines', lastName: 'Internal', password: USERS.ines.password },
    { login: USERS.uma.login, firstName: 'Uma', lastName: 'Usb', password: USERS.uma.password },
  ],
  policies: {
    password: { lockout: { maxAttempts: 5, autoUnlockMinutes: 0, showLockoutFailures: true } },
    signOn: { access: 'ALLOW', requireFactor: true },
    enrollment: { factors: [{ factorType: 'webauthn', provider: 'FIDO', enroll: 'REQUIRED' }] },
  },
}

type Json = Record<string, unknown>

/** The member at `path` of a JSON answer (undefined where the path breaks off). */
const at = (v: unknown, ...path: ReadonlyArray<string | number>): unknown =>
  path.reduce<unknown>((o, k) => (typeof o === 'object' && o !== null ? (o as Record<string | number, unknown>)[k] : undefined), v)
const str = (v: unknown, ...path: ReadonlyArray<string | number>): string => {
  const s = at(v, ...path)
  if (typeof s !== 'string') throw new Error(`no string at ${path.join('.')} of ${JSON.stringify(v)}`)
  return s
}
const obj = (v: unknown, ...path: ReadonlyArray<string | number>): Json => {
  const o = at(v, ...path)
  if (typeof o !== 'object' || o === null) throw new Error(`no object at ${path.join('.')} of ${JSON.stringify(v)}`)
  return o as Json
}

interface Answer {
  readonly status: number
  readonly body: Json
}

// What the Sign-In Widget's EnrollWebauthn and VerifyWebauthn controllers do, in a few lines, put
// into the page once it is open (the tests' TypeScript has no DOM types: the page's code is text).
const PAGE_SCRIPT = `
const strToBin = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0))
const binToStr = (b) => btoa(String.fromCharCode(...new Uint8Array(b)))
window.authnPage = {
  post: async (path, body) => {
    const r = await fetch(path, { method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/json' }, body: JSON.stringify(body) })
    return { status: r.status, body: await r.json() }
  },
  create: async (activation) => {
    const publicKey = Object.assign({}, activation, {
      challenge: strToBin(activation.challenge),
      user: { id: strToBin(activation.user.id), name: activation.user.name, displayName: activation.user.displayName },
      excludeCredentials: activation.excludeCredentials.map((c) => ({ type: 'public-key', id: strToBin(c.id) })),
    })
    const credential = await navigator.credentials.create({ publicKey })
    return {
      attestation: binToStr(credential.response.attestationObject),
      clientData: binToStr(credential.response.clientDataJSON),
      rawId: binToStr(credential.rawId),
    }
  },
  get: async (challenge, credentialId) => {
    const publicKey = {
      challenge: strToBin(challenge.challenge),
      allowCredentials: [{ type: 'public-key', id: strToBin(credentialId) }],
      userVerification: 'preferred',
    }
    const assertion = await navigator.credentials.get({ publicKey })
    return {
      clientData: binToStr(assertion.response.clientDataJSON),
      authenticatorData: binToStr(assertion.response.authenticatorData),
      signatureData: binToStr(assertion.response.signature),
    }
  },
}
`

interface Created {
  readonly attestation: string
  readonly clientData: string
  readonly rawId: string
}
interface Asserted {
  readonly clientData: string
  readonly authenticatorData: string
  readonly signatureData: string
}
interface PageApi {
  readonly authnPage: {
    readonly post: (path: string, body: Json) => Promise<Answer>
    readonly create: (activation: Json) => Promise<Created>
    readonly get: (challenge: Json, credentialId: string) => Promise<Asserted>
  }
}

/** A POST from the page to this origin's API, as the widget's `fetch` makes it. */
const post = (page: Page, path: string, body: Json): Promise<Answer> =>
  withTimeout(`POST ${path}`, page.evaluate(([p, b]) => (globalThis as unknown as PageApi).authnPage.post(p, b), [path, body] as const))

/** `navigator.credentials.create` with Okta's activation object, answered as the widget sends it. */
const create = (page: Page, activation: Json): Promise<Created> =>
  withTimeout('navigator.credentials.create', page.evaluate((a) => (globalThis as unknown as PageApi).authnPage.create(a), activation))

/** `navigator.credentials.get` over Okta's challenge object, the credential named by the factor's profile. */
const get = (page: Page, challenge: Json, credentialId: string): Promise<Asserted> =>
  withTimeout('navigator.credentials.get', page.evaluate(([c, id]) => (globalThis as unknown as PageApi).authnPage.get(c, id), [challenge, credentialId] as const))

/** The signature counter in authenticator data (bytes 33–36, big-endian). */
const signCountOf = (authenticatorData: string): number => Buffer.from(authenticatorData, 'base64').readUInt32BE(33)

/** What the browser signed over: the parsed client data. */
const clientDataOf = (clientData: string): Json => JSON.parse(Buffer.from(clientData, 'base64').toString('utf8')) as Json

const expectStatus = (a: Answer, status: string): void => {
  expect(a.status, JSON.stringify(a.body)).toBe(200)
  expect(a.body['status'], JSON.stringify(a.body)).toBe(status)
}

const expectSuccess = (a: Answer, login: string): void => {
  expectStatus(a, 'SUCCESS')
  expect(a.body['sessionToken']).toEqual(expect.any(String))
  expect(at(a.body, '_embedded', 'user', 'profile', 'login')).toBe(login)
}

const AUTHENTICATORS = [
  {
    name: 'CTAP2, internal, resident key and user verification',
    user: USERS.ines,
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  },
  {
    name: 'CTAP2, USB security key',
    user: USERS.uma,
    options: { protocol: 'ctap2', transport: 'usb', hasResidentKey: false, hasUserVerification: false, automaticPresenceSimulation: true },
  },
] as const

let browser: Browser
let server: Awaited<ReturnType<typeof startServerProcess>>
/** The server's origin under the name `localhost`: a secure context whose host is a valid RP ID. */
let origin = ''

beforeAll(async () => {
  if (!BROWSER_SUITES) return
  ;[server, browser] = await Promise.all([startServerProcess(SEED), withTimeout('launching Chromium', launchBrowser(), 15_000)])
  origin = `http://localhost:${new URL(server.url).port}`
}, 30_000)

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

describe.runIf(BROWSER_SUITES)('WebAuthn in Chromium against the reference server, with a virtual authenticator', { timeout: 20_000 }, () => {
  it.each(AUTHENTICATORS)('$name: MFA_ENROLL → activation → SUCCESS; two sign-ins verify with assertions, the counter moving; an assertion over an answered nonce is refused', async ({ user, options }) => {
    const { context, page } = await openPage(browser, origin)
    try {
      await withTimeout('opening the front page', page.goto(`${origin}/`))
      await withTimeout('the page script', page.evaluate(PAGE_SCRIPT))
      expect(await page.evaluate('[window.isSecureContext, location.origin]')).toEqual([true, origin])
      const cdp: CDPSession = await withTimeout('a DevTools session', context.newCDPSession(page))
      await withTimeout('WebAuthn.enable', cdp.send('WebAuthn.enable', { enableUI: false }))
      const { authenticatorId } = await withTimeout('WebAuthn.addVirtualAuthenticator', cdp.send('WebAuthn.addVirtualAuthenticator', { options: options as never }))
      const credentials = async () => (await withTimeout('WebAuthn.getCredentials', cdp.send('WebAuthn.getCredentials', { authenticatorId }))).credentials

      // Enrollment: the password, then the policy asks for WebAuthn.
      const enrollIn = await post(page, '/api/v1/authn', { username: user.login, password: user.password })
      expectStatus(enrollIn, 'MFA_ENROLL')
      const offered = (at(enrollIn.body, '_embedded', 'factors') as ReadonlyArray<Json>).map((f) => [f['factorType'], f['provider'], f['enrollment']])
      expect(offered).toContainEqual(['webauthn', 'FIDO', 'REQUIRED'])
      const stateToken = str(enrollIn.body, 'stateToken')

      const enroll = await post(page, '/api/v1/authn/factors', { stateToken, factorType: 'webauthn', provider: 'FIDO' })
      expectStatus(enroll, 'MFA_ENROLL_ACTIVATE')
      const pending = obj(enroll.body, '_embedded', 'factor')
      const factorId = str(pending, 'id')
      expect(pending).toMatchObject({ factorType: 'webauthn', provider: 'FIDO' })
      const activation = obj(pending, '_embedded', 'activation')
      expect(activation).toMatchObject({
        attestation: 'direct',
        challenge: expect.stringMatching(/^[A-Za-z0-9]{20}$/),
        rp: { name: expect.any(String) },
        user: { name: user.login, id: expect.any(String) },
      })
      expect(at(activation, 'rp', 'id')).toBeUndefined()
      expect((at(activation, 'pubKeyCredParams') as ReadonlyArray<Json>).map((p) => p['alg'])).toContain(-7)
      expect(at(enroll.body, '_links', 'next', 'href')).toBe(`${origin}/api/v1/authn/factors/${factorId}/lifecycle/activate`)
      expect(await credentials()).toEqual([])

      const created = await create(page, activation)
      expect(clientDataOf(created.clientData)).toMatchObject({ type: 'webauthn.create', origin, challenge: str(activation, 'challenge') })
      const activated = await post(page, `/api/v1/authn/factors/${factorId}/lifecycle/activate`, { stateToken, attestation: created.attestation, clientData: created.clientData })
      expectSuccess(activated, user.login)

      // The credential the authenticator holds is the one the factor's profile names.
      const held = await credentials()
      expect(held).toHaveLength(1)
      const stored = held[0]!
      expect(Buffer.from(stored.credentialId, 'base64').toString('base64')).toBe(created.rawId)
      expect(stored.rpId).toBe('localhost')
      const counterAtEnrollment = stored.signCount

      // Two sign-ins, each with a nonce of its own; the second also meets the first's answer replayed.
      let previous: Asserted | undefined
      let lastCount = counterAtEnrollment
      const nonces: string[] = []
      for (let round = 0; round < 2; round++) {
        const signIn = await post(page, '/api/v1/authn', { username: user.login, password: user.password })
        expectStatus(signIn, 'MFA_REQUIRED')
        const factors = at(signIn.body, '_embedded', 'factors') as ReadonlyArray<Json>
        expect(factors).toHaveLength(1)
        const factor = factors[0]!
        expect(factor).toMatchObject({ id: factorId, factorType: 'webauthn', provider: 'FIDO' })
        const credentialId = str(factor, 'profile', 'credentialId')
        expect(credentialId).toBe(Buffer.from(stored.credentialId, 'base64').toString('base64url'))
        const tx = str(signIn.body, 'stateToken')
        const verifyPath = `/api/v1/authn/factors/${factorId}/verify`

        const challenged = await post(page, verifyPath, { stateToken: tx })
        expectStatus(challenged, 'MFA_CHALLENGE')
        const challenge = obj(challenged.body, '_embedded', 'factor', '_embedded', 'challenge')
        const nonce = str(challenge, 'challenge')
        expect(nonce).toMatch(/^[A-Za-z0-9]{20}$/)
        expect(nonces).not.toContain(nonce)
        nonces.push(nonce)
        expect(at(challenged.body, '_links', 'next', 'href')).toBe(`${origin}${verifyPath}`)

        if (previous !== undefined) {
          // The previous sign-in's assertion: genuine, but over a nonce already answered.
          const replayed = await post(page, verifyPath, { stateToken: tx, ...previous })
          expect([replayed.status, replayed.body['errorCode']], JSON.stringify(replayed.body)).toEqual([403, 'E0000068'])
        }

        const asserted = await get(page, challenge, credentialId)
        expect(clientDataOf(asserted.clientData)).toMatchObject({ type: 'webauthn.get', origin, challenge: nonce })
        const count = signCountOf(asserted.authenticatorData)
        expect(count).toBeGreaterThan(lastCount)
        const verified = await post(page, verifyPath, { stateToken: tx, ...asserted })
        expectSuccess(verified, user.login)
        expect((await credentials())[0]?.signCount).toBe(count)
        lastCount = count
        previous = asserted
      }
      expect(lastCount).toBeGreaterThan(counterAtEnrollment)
    } finally {
      await context.close()
    }
  })
})
