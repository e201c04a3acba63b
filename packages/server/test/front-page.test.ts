// The front page and the widget's files over HTTP, without a browser (the browser tests are
// widget*.e2e.test.ts): headers, caching, the settings the page carries, what other methods and
// paths get, and the route labels of the metrics.
import { DEFAULT_POLICIES } from '@authn-machine/core'
import { createTrivialHasher } from '@authn-machine/testkit/fixtures'
import { afterEach, describe, expect, it } from 'vitest'
import { FRONT_PAGE_CSP, FRONT_SCRIPT_PATH, renderFrontPage, widgetFeaturesOf } from '../src/sign-in-page.js'
import { loadWidgetAssets, stylesheetReferences, WIDGET_SCRIPT, WIDGET_STYLES } from '../src/widget-assets.js'
import { createServers } from './support.js'

const servers = createServers()
afterEach(() => servers.closeAll())

const start = (options: Parameters<typeof servers.start>[0] = {}) => servers.start({ hasher: createTrivialHasher(), log: () => undefined, ...options })

/** The settings block of the page. */
const configOf = (html: string): Record<string, unknown> => {
  const m = /<script type="application\/json" id="sign-in-config">([^<]*)<\/script>/.exec(html)
  if (m?.[1] === undefined) throw new Error('no settings block')
  return JSON.parse(m[1]) as Record<string, unknown>
}

describe('GET / and the widget files', () => {
  it('the page: HTML under the CSP, revalidated by ETag, with the widget settings of the demo org; HEAD has no body', async () => {
    const server = await start()
    const r = await fetch(`${server.url}/`)
    expect(r.status).toBe(200)
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(r.headers.get('content-security-policy')).toBe(FRONT_PAGE_CSP)
    expect(r.headers.get('cache-control')).toBe('no-cache')
    expect(r.headers.get('x-frame-options')).toBe('DENY')
    const html = await r.text()
    const assets = await loadWidgetAssets()
    expect(html).toContain(`<script src="${assets.pathOf(WIDGET_SCRIPT)}" defer></script>`)
    expect(html).toContain(`<link rel="stylesheet" href="${assets.pathOf(WIDGET_STYLES)}">`)
    expect(html).toContain(`<script src="${FRONT_SCRIPT_PATH}" defer></script>`)
    expect(configOf(html)).toEqual({
      baseUrl: null,
      logo: '/front-page/logo.svg',
      widgetBase: assets.base,
      features: {
        router: false,
        rememberMe: true,
        showPasswordToggleOnSignInPage: true,
        selfServiceUnlock: true,
        emailRecovery: true,
        smsRecovery: true,
        callRecovery: true,
        multiOptionalFactorEnroll: false,
      },
      devOutbox: null,
    })
    const again = await fetch(`${server.url}/`, { headers: { 'if-none-match': String(r.headers.get('etag')) } })
    expect(again.status).toBe(304)
    const head = await fetch(`${server.url}/`, { method: 'HEAD' })
    expect([head.status, await head.text()]).toEqual([200, ''])
  })

  it('with --public-url the widget calls it; with --dev-outbox the panel is on, needing the token when tokens are configured', async () => {
    const server = await start({ publicBaseUrl: 'https://login.example.test/', devOutbox: true, apiTokens: ['front-page-api-token-0123456789'] })
    const page = await fetch(`${server.url}/`)
    expect(page.headers.get('content-security-policy')).toContain("connect-src 'self' https://login.example.test;")
    expect(configOf(await page.text())).toMatchObject({
      baseUrl: 'https://login.example.test',
      devOutbox: { path: '/__dev/outbox', needsToken: true },
    })
  })

  it('the widget bundle, style sheet, fonts and labels: the package bytes, typed, immutable, with an ETag, readable from any origin', async () => {
    const server = await start()
    const assets = await loadWidgetAssets()
    const types: ReadonlyArray<readonly [string, string]> = [
      [WIDGET_SCRIPT, 'text/javascript; charset=utf-8'],
      [WIDGET_STYLES, 'text/css; charset=utf-8'],
      ['font/okticon.woff', 'font/woff'],
      ['font/inter-latin-400-normal.woff2', 'font/woff2'],
      ['img/ui/forms/checkbox-sign-in-widget.png', 'image/png'],
      ['labels/json/login_fr.json', 'application/json; charset=utf-8'],
    ]
    for (const [file, type] of types) {
      const r = await fetch(`${server.url}${assets.pathOf(file)}`)
      expect([file, r.status, r.headers.get('content-type')]).toEqual([file, 200, type])
      expect(r.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
      expect(r.headers.get('access-control-allow-origin')).toBe('*')
      expect(Buffer.from(await r.arrayBuffer()).equals(assets.files.get(file)?.body ?? Buffer.alloc(0))).toBe(true)
      const cached = await fetch(`${server.url}${assets.pathOf(file)}`, { headers: { 'if-none-match': String(r.headers.get('etag')) } })
      expect(cached.status).toBe(304)
    }
    // Every file the style sheet names is served.
    const css = assets.files.get(WIDGET_STYLES)?.body.toString('utf8') ?? ''
    expect(stylesheetReferences(css).length).toBeGreaterThan(50)
    for (const file of stylesheetReferences(css)) expect(assets.files.has(file), file).toBe(true)
  })

  it('other methods, other versions and files outside the set are the API’s answers (Okta errors)', async () => {
    const server = await start()
    const assets = await loadWidgetAssets()
    for (const [method, path] of [
      ['POST', '/'],
      ['POST', assets.pathOf(WIDGET_SCRIPT)],
      ['GET', '/widget/0.0.0/js/okta-sign-in.min.js'],
      ['GET', assets.pathOf('js/okta-sign-in.js')],
      ['GET', assets.pathOf('../package.json')],
      ['GET', `${assets.base}/css/../../package.json`],
    ] as const) {
      const r = await fetch(`${server.url}${path}`, { method })
      expect([method, path, r.status]).toEqual([method, path, 404])
      expect(await r.json()).toMatchObject({ errorCode: 'E0000008' })
    }
  })

  it('the metrics name the page, its files and the widget files by template, never a file name', async () => {
    const server = await start()
    const assets = await loadWidgetAssets()
    await fetch(`${server.url}/`)
    await fetch(`${server.url}${FRONT_SCRIPT_PATH}`)
    await fetch(`${server.url}${assets.pathOf(WIDGET_SCRIPT)}`)
    await fetch(`${server.url}${assets.pathOf('font/okticon.woff')}`)
    const text = await (await fetch(`${server.url}/metrics`)).text()
    expect(text).toContain('route="/",status="200"')
    expect(text).toContain(`route="${FRONT_SCRIPT_PATH}",status="200"`)
    expect(text).toMatch(/authn_http_requests_total\{method="GET",route="\/widget\/\{version\}\/\{file\}",status="200"\} 2/)
    expect(text).not.toContain('okticon')
  })
})

describe('the widget settings and the page', () => {
  it('features follow the policies: unlock and phone recovery off by default, optional enrollment on when a factor is OPTIONAL', () => {
    expect(widgetFeaturesOf(DEFAULT_POLICIES)).toMatchObject({ selfServiceUnlock: false, emailRecovery: true, smsRecovery: false, callRecovery: false, multiOptionalFactorEnroll: false })
    const optional = { ...DEFAULT_POLICIES, enrollment: { factors: [{ factorType: 'sms', provider: 'OKTA', enroll: 'OPTIONAL' }] } } as typeof DEFAULT_POLICIES
    expect(widgetFeaturesOf(optional).multiOptionalFactorEnroll).toBe(true)
  })

  it('the settings block cannot end its element early, whatever a value holds', async () => {
    const assets = await loadWidgetAssets()
    const html = renderFrontPage(assets, {
      baseUrl: 'https://x.test/</script><script>alert(1)</script>&',
      logo: '/front-page/logo.svg',
      widgetBase: assets.base,
      features: widgetFeaturesOf(DEFAULT_POLICIES),
      devOutbox: null,
    })
    expect(html).not.toContain('</script><script>alert(1)')
    expect(configOf(html)['baseUrl']).toBe('https://x.test/</script><script>alert(1)</script>&')
  })
})
