// The unmodified okta-auth-js 8 (`@okta/okta-auth-js/authn`) against the reference server over real
// HTTP on 127.0.0.1, with the default argon2id hasher and the committed demo org.
import { type AuthnTransaction, type OktaAuth, type SigninWithCredentialsOptions } from '@okta/okta-auth-js/authn'
import { afterEach, describe, expect, it } from 'vitest'
import { DEMO, createServers, oktaClient, postJson, rejection, seedWithLockoutShown } from './support.js'
import { checkAnswersAgainstOpenApi } from './openapi-check.js'

const servers = createServers()
// Every answer these tests receive must match the OpenAPI document (docs/openapi.json).
checkAnswersAgainstOpenApi()
afterEach(() => servers.closeAll())

const call = (tx: AuthnTransaction, name: 'changePassword' | 'skip' | 'cancel' | 'resetPassword', args?: object) => {
  const fn = tx[name]
  if (fn === undefined) throw new Error(`transaction ${tx.status} has no ${name}()`)
  return fn(args)
}

/** Sign-in asking to be warned before the password expires (okta-auth-js posts the options as given). */
const signInWarned = (auth: OktaAuth, credentials: { readonly username: string; readonly password: string }) =>
  auth.signInWithCredentials({ ...credentials, options: { warnBeforePasswordExpired: true } } as SigninWithCredentialsOptions)

const stateTokenOf = (tx: AuthnTransaction): string => {
  const data = (tx as AuthnTransaction & { data?: { stateToken?: string } }).data
  if (data?.stateToken === undefined) throw new Error('no state token')
  return data.stateToken
}

describe('okta-auth-js against the reference server', () => {
  it('signs in to SUCCESS; the session token is redeemed once at /api/v1/sessions', async () => {
    const server = await servers.start()
    const auth = oktaClient(server)
    const tx = await auth.signInWithCredentials(DEMO.active)
    expect(tx.status).toBe('SUCCESS')
    expect(tx.user?.['profile']).toMatchObject({ login: DEMO.active.username, firstName: 'Dade' })
    expect(tx.sessionToken).toMatch(/^20111/)
    const first = await postJson(`${server.url}/api/v1/sessions`, { sessionToken: tx.sessionToken })
    expect(first.status).toBe(200)
    expect(first.body).toMatchObject({ status: 'ACTIVE', userId: tx.user?.['id'] })
    const again = await postJson(`${server.url}/api/v1/sessions`, { sessionToken: tx.sessionToken })
    expect(again.status).toBe(401)
    expect(again.body).toMatchObject({ errorCode: 'E0000004' })
  })

  it('a wrong password surfaces as AuthApiError E0000004', async () => {
    const server = await servers.start()
    const e = await rejection(oktaClient(server).signInWithCredentials({ ...DEMO.active, password: 'Hack-The-Planet' }))
    expect(e.errorCode).toBe('E0000004')
    expect(e.errorSummary).toBe('Authentication failed')
    expect(e.errorCauses).toEqual([])
    expect(e.xhr?.status).toBe(401)
  })

  it('an unknown user looks exactly like a wrong password', async () => {
    const server = await servers.start()
    const e = await rejection(oktaClient(server).signInWithCredentials({ username: 'nobody@example.com', password: 'x' }))
    expect(e.errorCode).toBe('E0000004')
  })

  it('PASSWORD_WARN, then change the password → SUCCESS; the new password works', async () => {
    const server = await servers.start()
    const auth = oktaClient(server)
    const warn = await signInWarned(auth, DEMO.warned)
    expect(warn.status).toBe('PASSWORD_WARN')
    expect(warn.policy).toMatchObject({ expiration: { passwordExpireDays: 5 } })
    expect(typeof warn.skip).toBe('function')
    const done = await call(warn, 'changePassword', { oldPassword: DEMO.warned.password, newPassword: 'Phreaking-Out-2026' })
    expect(done.status).toBe('SUCCESS')
    expect(done.sessionToken).toBeDefined()
    const again = await signInWarned(auth, { username: DEMO.warned.username, password: 'Phreaking-Out-2026' })
    expect(again.status).toBe('SUCCESS')
  })

  it('PASSWORD_WARN, then skip → SUCCESS; without the option there is no warning', async () => {
    const server = await servers.start()
    const auth = oktaClient(server)
    const warn = await signInWarned(auth, DEMO.warned)
    expect(warn.status).toBe('PASSWORD_WARN')
    const skipped = await call(warn, 'skip')
    expect(skipped.status).toBe('SUCCESS')
    expect(skipped.sessionToken).toMatch(/^20111/)
    expect((await auth.signInWithCredentials(DEMO.warned)).status).toBe('SUCCESS')
  })

  it('PASSWORD_EXPIRED: wrong old password E0000014, weak new password E0000080, then SUCCESS', async () => {
    const server = await servers.start()
    const auth = oktaClient(server)
    const expired = await auth.signInWithCredentials(DEMO.expired)
    expect(expired.status).toBe('PASSWORD_EXPIRED')
    expect(expired.skip).toBeUndefined()

    const wrongOld = await rejection(call(expired, 'changePassword', { oldPassword: 'not-it', newPassword: 'Brand-New-2026' }))
    expect(wrongOld.errorCode).toBe('E0000014')
    expect(wrongOld.errorCauses).toEqual([{ errorSummary: 'oldPassword: The credentials provided were incorrect.' }])
    expect(wrongOld.xhr?.status).toBe(403)

    const weak = await rejection(call(expired, 'changePassword', { oldPassword: DEMO.expired.password, newPassword: 'short' }))
    expect(weak.errorCode).toBe('E0000080')
    expect(weak.errorSummary).toBe('The password does meet the complexity requirements of the current password policy.')
    expect(weak.errorCauses?.[0]?.errorSummary).toMatch(/^Passwords must have at least 8 characters/)

    const done = await call(expired, 'changePassword', { oldPassword: DEMO.expired.password, newPassword: 'Brand-New-2026' })
    expect(done.status).toBe('SUCCESS')
    expect((await auth.signInWithCredentials({ username: DEMO.expired.username, password: 'Brand-New-2026' })).status).toBe('SUCCESS')
    await rejection(auth.signInWithCredentials(DEMO.expired))
  })

  it('lockout shown by policy: LOCKED_OUT for the locked user and after too many failures', async () => {
    const server = await servers.start({ seed: seedWithLockoutShown(true) })
    const auth = oktaClient(server)
    const locked = await auth.signInWithCredentials(DEMO.locked)
    expect(locked.status).toBe('LOCKED_OUT')
    expect(typeof locked.unlock).toBe('function')
    expect(locked.sessionToken).toBeUndefined()
    for (let i = 0; i < 4; i++) await rejection(auth.signInWithCredentials({ ...DEMO.lockable, password: `wrong-${i}` }))
    // The failure that reaches maxAttempts (5) locks the account and says so; then even the right password is refused.
    expect((await auth.signInWithCredentials({ ...DEMO.lockable, password: 'wrong-4' })).status).toBe('LOCKED_OUT')
    expect((await auth.signInWithCredentials(DEMO.lockable)).status).toBe('LOCKED_OUT')
  })

  it('lockout hidden by policy: the same 401 E0000004 as a wrong password', async () => {
    const server = await servers.start({ seed: seedWithLockoutShown(false) })
    const auth = oktaClient(server)
    expect((await rejection(auth.signInWithCredentials(DEMO.locked))).errorCode).toBe('E0000004')
    for (let i = 0; i < 5; i++) await rejection(auth.signInWithCredentials({ ...DEMO.lockable, password: `wrong-${i}` }))
    const e = await rejection(auth.signInWithCredentials(DEMO.lockable))
    expect(e.errorCode).toBe('E0000004')
    expect(e.xhr?.status).toBe(401)
  })

  it('cancel revokes the transaction: resuming it is E0000011', async () => {
    const server = await servers.start()
    const auth = oktaClient(server)
    const expired = await auth.signInWithCredentials(DEMO.expired)
    const stateToken = stateTokenOf(expired)
    const cancelled = await call(expired, 'cancel')
    expect(cancelled).toBeDefined()
    const e = await rejection(auth.tx.resume({ stateToken }))
    expect(e.errorCode).toBe('E0000011')
    expect(e.xhr?.status).toBe(401)
  })

  it('resumes a transaction by state token (saved, passed explicitly, or introspected) and finishes it', async () => {
    const server = await servers.start()
    const first = oktaClient(server)
    const expired = await first.signInWithCredentials(DEMO.expired)
    const stateToken = stateTokenOf(expired)
    expect(first.tx.exists()).toBe(true)
    expect((await first.tx.resume()).status).toBe('PASSWORD_EXPIRED')

    const second = oktaClient(server)
    expect(second.tx.exists()).toBe(false)
    const resumed = await second.tx.resume({ stateToken })
    expect(resumed.status).toBe('PASSWORD_EXPIRED')
    expect((await second.tx.introspect({ stateToken })).status).toBe('PASSWORD_EXPIRED')
    const done = await call(resumed, 'changePassword', { oldPassword: DEMO.expired.password, newPassword: 'Resumed-Later-2026' })
    expect(done.status).toBe('SUCCESS')
    expect((await rejection(second.tx.resume({ stateToken }))).errorCode).toBe('E0000011')
  })

  it('activation token of a STAGED user → PASSWORD_RESET → resetPassword → SUCCESS', async () => {
    const server = await servers.start()
    const auth = oktaClient(server)
    const reset = await auth.signIn({ token: DEMO.staged.activationToken } as Parameters<typeof auth.signIn>[0])
    expect(reset.status).toBe('PASSWORD_RESET')
    expect(reset.recoveryType).toBe('ACCOUNT_ACTIVATION')
    const done = await call(reset, 'resetPassword', { newPassword: 'First-Light-2026' })
    expect(done.status).toBe('SUCCESS')
    expect((await auth.signInWithCredentials({ username: DEMO.staged.username, password: 'First-Light-2026' })).status).toBe('SUCCESS')
  })

  it('a recovery token that is unknown is refused through the SDK as Okta refuses it (401 E0000011)', async () => {
    const server = await servers.start()
    const auth = oktaClient(server)
    const e = await rejection(auth.verifyRecoveryToken({ recoveryToken: 'VBQ0gwBp5LyJJFdbmWCM' }))
    expect(e.errorCode).toBe('E0000011')
    expect(e.xhr?.status).toBe(401)
  })
})
