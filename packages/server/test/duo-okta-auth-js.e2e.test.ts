// Duo (docs/adr/0030-delegated-factors.md) with the unmodified okta-auth-js 8 against the reference
// server over real HTTP. Duo's part is played by the test: it signs the AUTH half of a response with
// the secret key, as Duo's frame does once its user approved, and form-posts it to the `complete`
// link as Duo's script does; okta-auth-js polls through the transaction's own `poll()`.
import { createHmac } from 'node:crypto'
import type { AuthnTransaction } from '@okta/okta-auth-js/authn'
import { afterEach, describe, expect, it } from 'vitest'
import { MAE, mfaSeed, startMfaServer } from './mfa-support.js'
import { checkAnswersAgainstOpenApi } from './openapi-check.js'
import { follow, type Json, type TxFn } from './okta-factors.js'
import { createServers, oktaClient } from './support.js'

const DUO = {
  apiHost: 'api-0123abcd.duosecurity.test',
  integrationKey: 'DIXXXXXXXXXXXXXXXXXX',
  secretKey: 'deadbeefdeadbeefdeadbeefdeadbeefdeadbeef',
  applicationKey: 'this-server-application-key-of-forty-characters-or-more',
  usernameFormat: 'login' as const,
}
const CREDENTIALS = { username: MAE.username, password: MAE.password }

const servers = createServers()
checkAnswersAgainstOpenApi()
afterEach(() => servers.closeAll())


const start = (policies: Json) =>
  startMfaServer(servers.start, mfaSeed({ policies }), { fast: true, options: { duo: DUO } })

/**
 * Duo's request as okta-auth-js flattens it (`tx.factor.activation` / `tx.factor.verification`): the
 * POST link `complete` becomes a function that posts JSON with the state token, the GET link
 * `script` stays a link. Duo's own script form-posts to `complete`'s href, the factor's duoCallback.
 */
const requestOf = (server: { readonly url: string }, tx: AuthnTransaction, key: 'activation' | 'verification') => {
  const factor = tx.factor as unknown as Record<string, unknown>
  const request = (factor[key] ?? {}) as Record<string, unknown>
  expect(request).toMatchObject({ host: DUO.apiHost, factorResult: 'WAITING', complete: expect.any(Function), script: { type: 'text/javascript; charset=utf-8' } })
  return {
    signature: request['signature'] as string,
    complete: `${server.url}/api/v1/authn/factors/${String(factor['id'])}/lifecycle/duoCallback`,
    completeFn: request['complete'] as TxFn,
    script: (request['script'] as { readonly href: string }).href,
  }
}

/** Duo's signed response for `signature` (the AUTH half signed with the secret key, the APP half echoed). */
const duoResponse = (signature: string, nowMs: number, user: string = MAE.username): string => {
  const payload = `AUTH|${Buffer.from(`${user}|${DUO.integrationKey}|${Math.floor(nowMs / 1000) + 300}`).toString('base64')}`
  return `${payload}|${createHmac('sha1', DUO.secretKey).update(payload).digest('hex')}:${signature.split(':')[1] ?? ''}`
}

/**
 * Duo's signed response form-posted to `complete` with the page's state token, as Duo's script does
 * (okta-auth-js keeps the state token of a transaction in its `data`, the answer as received).
 */
const postDuoResponse = async (tx: AuthnTransaction, request: { readonly signature: string; readonly complete: string }, nowMs: number, user: string = MAE.username) => {
  const form = new URLSearchParams({ id: (tx.factor as unknown as { id: string }).id, stateToken: String((tx as unknown as { readonly data: Json }).data['stateToken']), sig_response: duoResponse(request.signature, nowMs, user) })
  const r = await fetch(request.complete, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() })
  return { status: r.status, body: (await r.json()) as Json }
}

describe('Duo with okta-auth-js', () => {
  it('enroll web/DUO → MFA_ENROLL_ACTIVATE WAITING; Duo\'s response through complete() → poll() → SUCCESS; then verify → MFA_CHALLENGE WAITING; poll() waits while Duo\'s response is form-posted to complete → SUCCESS', async () => {
    const { server, clock } = await start({ signOn: { requireFactor: true }, enrollment: { factors: [{ factorType: 'web', provider: 'DUO', enroll: 'REQUIRED' }] } })
    const client = oktaClient(server)
    const signIn = await client.signInWithCredentials(CREDENTIALS)
    expect(signIn.status).toBe('MFA_ENROLL')
    const offered = (signIn.factors ?? []).find((f) => (f as unknown as Json)['factorType'] === 'web')
    expect(offered).toBeDefined()
    const enrolling = await follow(offered as object, 'enroll')
    expect(enrolling.status).toBe('MFA_ENROLL_ACTIVATE')
    expect(enrolling.factorResult).toBe('WAITING')
    const activation = requestOf(server, enrolling, 'activation')
    // Duo's frame script is served where the link says.
    const script = await fetch(activation.script)
    expect([script.status, script.headers.get('content-type')]).toEqual([200, 'text/javascript; charset=utf-8'])
    expect(await script.text()).toContain('Duo')
    // Duo's response through okta-auth-js's own `complete()`, which posts it as JSON with the state
    // token; then poll() activates at once.
    const posted = await activation.completeFn({ sig_response: duoResponse(activation.signature, clock.now()) })
    expect([posted.status, posted.factorResult]).toEqual(['MFA_ENROLL_ACTIVATE', 'WAITING'])
    const activated = await follow(posted, 'poll')
    expect(activated.status).toBe('SUCCESS')
    expect(activated.sessionToken).toEqual(expect.any(String))

    const again = await client.signInWithCredentials(CREDENTIALS)
    expect(again.status).toBe('MFA_REQUIRED')
    const duo = (again.factors ?? []).find((f) => (f as unknown as Json)['factorType'] === 'web')
    const challenged = await follow(duo as object, 'verify')
    expect([challenged.status, challenged.factorResult]).toEqual(['MFA_CHALLENGE', 'WAITING'])
    const verification = requestOf(server, challenged, 'verification')
    // okta-auth-js's poll() keeps polling while the answer is WAITING; Duo's script posts meanwhile.
    const polling2 = follow(challenged, 'poll', { delay: 100 })
    // Another user's response is refused; the user's own, form-posted as Duo's script does, goes through.
    const foreign = await postDuoResponse(challenged, verification, clock.now(), 'otto.other@example.com')
    expect([foreign.status, foreign.body['errorCode']], JSON.stringify(foreign.body)).toEqual([403, 'E0000068'])
    const posted2 = await postDuoResponse(challenged, verification, clock.now())
    expect(posted2.status).toBe(200)
    const done = await polling2
    expect(done.status).toBe('SUCCESS')
    // The finished transaction takes the response no more.
    expect((await postDuoResponse(challenged, verification, clock.now())).status).toBe(401)
  })

  it('the callback takes a form post or JSON, and refuses other media types (415 E0000012) and a field sent twice (400 E0000003)', async () => {
    const { server } = await start({ signOn: { requireFactor: true }, enrollment: { factors: [{ factorType: 'web', provider: 'DUO', enroll: 'REQUIRED' }] } })
    const url = `${server.url}/api/v1/authn/factors/dsfNoSuchFactor00000/lifecycle/duoCallback`
    const text = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'stateToken=x&sig_response=y' })
    expect([text.status, ((await text.json()) as Json)['errorCode']]).toEqual([415, 'E0000012'])
    const twice = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'stateToken=a&stateToken=b&sig_response=y' })
    expect([twice.status, ((await twice.json()) as Json)['errorCode']]).toEqual([400, 'E0000003'])
    // A well-formed post with a state token that is no transaction's: 401 E0000011, the same as JSON.
    const form = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' }, body: 'stateToken=00nosuchtransaction0000000000000000000000&sig_response=y' })
    const json = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ stateToken: '00nosuchtransaction0000000000000000000000', sig_response: 'y' }) })
    expect([form.status, ((await form.json()) as Json)['errorCode']]).toEqual([401, 'E0000011'])
    expect([json.status, ((await json.json()) as Json)['errorCode']]).toEqual([401, 'E0000011'])
  })
})
