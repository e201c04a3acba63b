import { fc, test } from '@fast-check/vitest'
import { isIP } from 'node:net'
import { describe, expect, it } from 'vitest'
import { createAuthnHandler, type HttpRequestContext } from '../src/index.js'
import { createClientAddress, createHostCheck } from '../src/trust.js'
import { DADE, PASSWORD, json, post, setupEngine, spyOn } from './helpers.js'

/** A user whose password expired: the answer carries links. */
const KATE = { username: 'kate.libby@example.com', password: PASSWORD }

// Trusted context (hardening issue, item 3): links never follow a foreign Host header, and
// X-Forwarded-For is read only from configured gateways, from the right, as an IP address.

const cancelHref = (r: Awaited<ReturnType<ReturnType<typeof createAuthnHandler>>>) => ((json(r)['_links'] as Record<string, Record<string, unknown>>)['cancel'] ?? {})['href']

describe('links and the Host header', () => {
  it('without a public base URL, links follow a loopback Host or an allowed one; any other Host is 400 E0000001', async () => {
    const { authn } = await setupEngine()
    const open = createAuthnHandler({ engine: authn })
    for (const host of ['localhost:8080', '127.0.0.1:3000', '[::1]:8080', 'app.localhost']) {
      const r = await open(post('/api/v1/authn', KATE, { host }))
      expect(r.status, host).toBe(200)
      expect(cancelHref(r)).toBe(`http://${host}/api/v1/authn/cancel`)
    }
    for (const host of ['evil.example', 'login.example.test:8080', '10.0.0.1', 'localhost.evil.example']) {
      const r = await open(post('/api/v1/authn', KATE, { host }))
      expect([r.status, json(r)['errorCode']], host).toEqual([400, 'E0000001'])
    }
    const allowed = createAuthnHandler({ engine: authn, allowedHosts: ['Login.Example.com', 'api.example.com:8443'] })
    expect(cancelHref(await allowed(post('/api/v1/authn', KATE, { host: 'login.example.com:9000' })))).toBe('http://login.example.com:9000/api/v1/authn/cancel')
    expect((await allowed(post('/api/v1/authn', KATE, { host: 'api.example.com:8443' }))).status).toBe(200)
    expect((await allowed(post('/api/v1/authn', KATE, { host: 'api.example.com:9443' }))).status).toBe(400)
    // A configured public base URL is used whatever the Host says.
    const fixed = createAuthnHandler({ engine: authn, publicBaseUrl: 'https://login.example.com' })
    expect(cancelHref(await fixed(post('/api/v1/authn', KATE, { host: 'evil.example' })))).toBe('https://login.example.com/api/v1/authn/cancel')
  })

  test.prop([fc.string({ maxLength: 40 })])('no Host header makes links point at a name that is neither loopback nor allowed', (host) => {
    const allowed = createHostCheck(['login.example.com'])
    if (allowed(host)) {
      const name = host.toLowerCase().replace(/:\d{1,5}$/, '')
      expect(['login.example.com', 'localhost', '[::1]'].includes(name) || name.endsWith('.localhost') || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name)).toBe(true)
    }
  })
})

describe('X-Forwarded-For', () => {
  const TOKEN = '00TrustedApiToken-abcdefghijklmnop'
  const contextFor = async (o: { readonly trustedProxies?: ReadonlyArray<string>; readonly remote: string; readonly xff: string; readonly trusted: boolean }) => {
    const { authn } = await setupEngine()
    const spy = spyOn(authn)
    const handler = createAuthnHandler({ engine: spy.engine, apiTokens: [TOKEN], allowedHosts: ['login.example.test'], ...(o.trustedProxies === undefined ? {} : { trustedProxies: o.trustedProxies }) })
    await handler({ ...post('/api/v1/authn', DADE, { 'x-forwarded-for': o.xff, ...(o.trusted ? { authorization: `SSWS ${TOKEN}` } : {}) }), remoteAddress: o.remote })
    return spy.calls[0]?.call.context as HttpRequestContext
  }

  it('is read only for a trusted caller coming through a configured gateway, from the right, skipping gateways', async () => {
    const gateways = ['10.0.0.0/8', '2001:db8::1']
    expect((await contextFor({ trustedProxies: gateways, remote: '10.0.0.7', xff: '203.0.113.66, 198.51.100.7, 10.0.0.2', trusted: true })).ip).toBe('198.51.100.7')
    expect((await contextFor({ trustedProxies: gateways, remote: '::ffff:10.0.0.7', xff: '198.51.100.7', trusted: true })).ip).toBe('198.51.100.7')
    expect((await contextFor({ trustedProxies: gateways, remote: '2001:db8::1', xff: '2001:db8::abcd', trusted: true })).ip).toBe('2001:db8::abcd')
    // Not from a gateway, not configured, or a public caller: the connection's address.
    expect((await contextFor({ trustedProxies: gateways, remote: '192.0.2.9', xff: '198.51.100.7', trusted: true })).ip).toBe('192.0.2.9')
    expect((await contextFor({ remote: '10.0.0.7', xff: '198.51.100.7', trusted: true })).ip).toBe('10.0.0.7')
    expect((await contextFor({ trustedProxies: gateways, remote: '10.0.0.7', xff: '198.51.100.7', trusted: false })).ip).toBe('10.0.0.7')
    // The first hop that is not a gateway must be an IP address.
    expect((await contextFor({ trustedProxies: gateways, remote: '10.0.0.7', xff: '198.51.100.7, not-an-ip, 10.0.0.1', trusted: true })).ip).toBe('10.0.0.7')
  })

  it('refuses a gateway that is not an address or a CIDR block', () => {
    expect(() => createClientAddress(['gateway.example'])).toThrow(/not an IP address/)
  })

  test.prop([fc.array(fc.oneof(fc.ipV4(), fc.ipV6(), fc.string({ maxLength: 12 })), { maxLength: 6 }).map((hops) => hops.join(', '))])(
    'whatever the header says, the client address is the connection address or an IP address that is not a gateway',
    (xff) => {
      const ip = createClientAddress(['10.0.0.0/8'])('10.0.0.7', xff)
      expect(ip === '10.0.0.7' || (ip !== null && isIP(ip) !== 0 && !ip.startsWith('10.'))).toBe(true)
    },
  )
})
