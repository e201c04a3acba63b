// The protocol functions against a real browser: Chromium (driven by playwright-core) with the
// DevTools protocol's virtual authenticators, on a page served from http://localhost (a secure
// context). The page does what the Sign-In Widget does: `strToBin` on Okta's strings, then
// `navigator.credentials.create/get`, then `btoa` of the buffers.
import { existsSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomBytes } from 'node:crypto'
import { chromium, type Browser } from 'playwright-core'
import { CHROMIUM_ARGS, browserSuitesRun, chromiumPath, withTimeout as bounded } from '@authn-machine/testkit/browser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { creationOptions, makeNonce, requestOptions, verifyAssertion, verifyRegistration, type CreationOptions, type RequestOptions } from '../src/index.js'

/** Whether this suite runs (CI always; elsewhere when Chromium is installed). */
const BROWSER_SUITE = browserSuitesRun('factor-webauthn browser suite')

/** Each browser step gets this long; a page whose authenticator is missing would wait forever. */
const STEP_MS = 8_000

const withTimeout = <A>(what: string, p: Promise<A>, ms = STEP_MS): Promise<A> => bounded(what, p, ms)

// What the Sign-In Widget's EnrollWebauthn and VerifyWebauthn controllers do, in a few lines.
const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>webauthn</title></head><body>
<script>
const strToBin = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0))
const binToStr = (b) => btoa(String.fromCharCode(...new Uint8Array(b)))
window.webauthnCreate = async (activation) => {
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
}
window.webauthnGet = async (challenge, credentialIds) => {
  const publicKey = Object.assign({}, challenge, {
    challenge: strToBin(challenge.challenge),
    allowCredentials: credentialIds.map((id) => ({ type: 'public-key', id: strToBin(id) })),
  })
  const assertion = await navigator.credentials.get({ publicKey })
  return {
    clientData: binToStr(assertion.response.clientDataJSON),
    authenticatorData: binToStr(assertion.response.authenticatorData),
    signatureData: binToStr(assertion.response.signature),
  }
}
</script></body></html>`

interface PageApi {
  readonly webauthnCreate: (o: CreationOptions) => Promise<{ attestation: string; clientData: string; rawId: string }>
  readonly webauthnGet: (o: RequestOptions, ids: ReadonlyArray<string>) => Promise<{ clientData: string; authenticatorData: string; signatureData: string }>
}

interface VirtualAuthenticator {
  readonly name: string
  readonly options: Record<string, unknown>
  readonly fmt: string
}

const AUTHENTICATORS: ReadonlyArray<VirtualAuthenticator> = [
  {
    name: 'CTAP2, internal, resident key and user verification',
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    fmt: 'packed',
  },
  {
    name: 'CTAP2, USB security key',
    options: { protocol: 'ctap2', transport: 'usb', hasResidentKey: false, hasUserVerification: false, automaticPresenceSimulation: true },
    fmt: 'packed',
  },
  {
    name: 'U2F security key',
    options: { protocol: 'u2f', transport: 'usb', hasResidentKey: false, hasUserVerification: false, automaticPresenceSimulation: true },
    fmt: 'fido-u2f',
  },
]

const nonce = (): string => makeNonce((n) => randomBytes(n))

describe.runIf(BROWSER_SUITE)('in Chromium, with a virtual authenticator', () => {
  let browser: Browser | undefined
  let server: Server | undefined
  let origin = ''

  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
      res.end(PAGE)
    })
    const s = server
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
    origin = `http://localhost:${(s.address() as AddressInfo).port}`
    const path = chromiumPath()
    if (!existsSync(path))
      throw new Error(`This suite needs Chromium at ${path}: apt-get install -y --no-install-recommends chromium, or set CHROMIUM_PATH.`)
    browser = await withTimeout('launching Chromium', chromium.launch({ executablePath: path, headless: true, args: [...CHROMIUM_ARGS] }), 15_000)
  }, 20_000)

  afterAll(async () => {
    await browser?.close()
    await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())))
  })

  it.each(AUTHENTICATORS)('$name: registers ($fmt attestation), then asserts, and the counter moves', async ({ options, fmt }) => {
    if (browser === undefined) throw new Error('no browser')
    const context = await browser.newContext()
    try {
      context.setDefaultTimeout(STEP_MS)
      const page = await context.newPage()
      await page.goto(`${origin}/`)
      const cdp = await context.newCDPSession(page)
      await withTimeout('WebAuthn.enable', cdp.send('WebAuthn.enable', { enableUI: false }))
      const { authenticatorId } = await withTimeout('WebAuthn.addVirtualAuthenticator', cdp.send('WebAuthn.addVirtualAuthenticator', { options: options as never }))

      const enrollNonce = nonce()
      const activation = creationOptions({
        nonce: enrollNonce,
        user: { id: '00u15s1KDETTQMQYABRL', name: 'dade.murphy@example.com', displayName: 'Dade Murphy' },
        rpName: 'Example Org',
        timeoutMs: STEP_MS,
      })
      const created = await withTimeout(
        'navigator.credentials.create',
        page.evaluate((o) => (globalThis as unknown as PageApi).webauthnCreate(o), activation),
      )
      const registered = await verifyRegistration(created, { nonce: enrollNonce, origin, rpId: 'localhost' })
      expect(registered, JSON.stringify(registered)).toMatchObject({ ok: true, credential: { fmt } })
      if (!registered.ok) return
      const credential = registered.credential
      expect(Buffer.from(credential.id, 'base64url').toString('base64')).toBe(created.rawId)

      for (let round = 0, stored = credential.counter; round < 2; round++) {
        const verifyNonce = nonce()
        const challenge = requestOptions({ nonce: verifyNonce, timeoutMs: STEP_MS })
        const asserted = await withTimeout(
          'navigator.credentials.get',
          page.evaluate(([c, ids]) => (globalThis as unknown as PageApi).webauthnGet(c, ids), [challenge, [credential.id]] as const),
        )
        const result = await verifyAssertion(asserted, { nonce: verifyNonce, origin, rpId: 'localhost', credential: { ...credential, counter: stored } })
        expect(result, JSON.stringify(result)).toMatchObject({ ok: true })
        if (!result.ok) return
        expect(result.newCounter).toBeGreaterThan(stored)
        // The same answer again, once its counter is stored, is a replay.
        expect(await verifyAssertion(asserted, { nonce: verifyNonce, origin, rpId: 'localhost', credential: { ...credential, counter: result.newCounter } })).toMatchObject({
          ok: false,
          reason: 'counter',
        })
        stored = result.newCounter
      }
      const { credentials } = await withTimeout('WebAuthn.getCredentials', cdp.send('WebAuthn.getCredentials', { authenticatorId }))
      expect(credentials.map((c) => Buffer.from(c.credentialId, 'base64').toString('base64url'))).toEqual([credential.id])
    } finally {
      await context.close()
    }
  }, 25_000)
})
