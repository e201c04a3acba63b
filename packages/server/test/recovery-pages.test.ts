import { describe, expect, it } from 'vitest'
import { DADE_ANSWER, DADE_QUESTION, mailedToken, startRecoveryServer } from './recovery-support.js'
import { DEMO, createServers, postJson } from './support.js'

const servers = createServers()

describe('the pages recovery emails link to (docs/adr/0012-recovery.md)', () => {
  it('the mailed link is served: a page of its own with a strict CSP and its script, and the API flow the script drives works with the token from the link', async () => {
    const { server } = await startRecoveryServer(servers.start)
    expect((await postJson(`${server.url}/api/v1/authn/recovery/password`, { username: DEMO.active.username, factorType: 'EMAIL' })).status).toBe(200)
    const token = await mailedToken(server, DEMO.active.username, 'reset-password')

    const page = await fetch(`${server.url}/signin/reset-password/${encodeURIComponent(token)}`)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'")
    expect(page.headers.get('referrer-policy')).toBe('no-referrer')
    const html = await page.text()
    expect(html).toContain('<script src="/signin/recovery.js"></script>')
    // The token is read from the address by the script, never written into the page.
    expect(html).not.toContain(token)

    const script = await fetch(`${server.url}/signin/recovery.js`)
    expect([script.status, script.headers.get('content-type')]).toEqual([200, 'text/javascript; charset=utf-8'])
    const js = await script.text()
    for (const call of ["'/recovery/token'", "'/recovery/answer'", "'/credentials/reset_password'"]) expect(js).toContain(call)

    // What the script does, step by step, with the token from the link.
    const opened = await postJson(`${server.url}/api/v1/authn/recovery/token`, { recoveryToken: token })
    expect(opened.body).toMatchObject({ status: 'RECOVERY', _embedded: { user: { recovery_question: { question: DADE_QUESTION } } } })
    const answered = await postJson(`${server.url}/api/v1/authn/recovery/answer`, { stateToken: opened.body['stateToken'], answer: DADE_ANSWER })
    expect(answered.body).toMatchObject({ status: 'PASSWORD_RESET', _embedded: { policy: { complexity: { minLength: 8 } } } })
    const done = await postJson(`${server.url}/api/v1/authn/credentials/reset_password`, { stateToken: answered.body['stateToken'], newPassword: 'Page-Reset-2026' })
    expect(done.body).toMatchObject({ status: 'SUCCESS' })
  })

  it('the unlock link has its page too; other methods and other paths stay the API’s', async () => {
    const { server } = await startRecoveryServer(servers.start)
    expect((await fetch(`${server.url}/signin/unlock/abc`)).status).toBe(200)
    expect((await fetch(`${server.url}/signin/unlock/abc`, { method: 'HEAD' })).status).toBe(200)
    const post = await fetch(`${server.url}/signin/unlock/abc`, { method: 'POST' })
    expect(post.status).toBe(404)
    expect(await post.json()).toMatchObject({ errorCode: 'E0000008' })
    expect((await fetch(`${server.url}/signin/reset-password/a/b`)).status).toBe(404)
  })
})
