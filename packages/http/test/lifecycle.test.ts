import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { asUserId } from '@authn-machine/core'
import type { HttpRequest, HttpResponse } from '../src/index.js'
import { DADE, PASSWORD, json, post, setupHandler } from './helpers.js'

const TOKEN = '00LifecycleApiToken-abcdefghijklmn'
const TRUSTED = { authorization: `SSWS ${TOKEN}` }
const KATE = { username: 'kate.libby@example.com', password: PASSWORD }
const SEGMENTS = ['unlock', 'suspend', 'unsuspend', 'deactivate', 'expire_password'] as const

const setup = async () => {
  const env = await setupHandler({ apiTokens: [TOKEN] })
  const idOf = async (login: string): Promise<string> => {
    const found = await env.users.findByLogin(login)()
    if (found._tag === 'Left') throw new Error(`no user ${login}`)
    return found.right.id
  }
  const userNamed = async (login: string) => {
    const found = await env.users.findById(asUserId(await idOf(login)))()
    if (found._tag === 'Left') throw new Error(`no user ${login}`)
    return found.right
  }
  /** `POST /api/v1/users/{userId}/lifecycle/{segment}` with the API token and no body, unless told otherwise. */
  const lifecycle = (userId: string, segment: string, req: Partial<HttpRequest> = {}): Promise<HttpResponse> =>
    env.handler({ ...post(`/api/v1/users/${encodeURIComponent(userId)}/lifecycle/${segment}`, '', TRUSTED), ...req })
  const signIn = (credentials: { username: string; password: string }) => env.handler(post('/api/v1/authn', credentials))
  return { ...env, idOf, userNamed, lifecycle, signIn }
}

const expectError = (r: HttpResponse, status: number, code: string): Record<string, unknown> => {
  expect(r.status, String(r.body)).toBe(status)
  expect(r.headers['content-type']).toBe('application/json; charset=utf-8')
  const body = json(r)
  expect(body).toMatchObject({ errorCode: code, errorLink: code })
  expect(body['errorId']).toMatch(/^oae[\w-]{22}$/)
  expect(Array.isArray(body['errorCauses'])).toBe(true)
  return body
}

const expectEmptyOk = (r: HttpResponse) => {
  expect(r.status, String(r.body)).toBe(200)
  expect(json(r)).toEqual({})
}

describe('POST /api/v1/users/{userId}/lifecycle/{operation}: callers', () => {
  it('without a valid API token answers 401 E0000011 "Invalid token provided" (no causes) and changes nothing', async () => {
    const { handler, idOf, userNamed, signIn } = await setup()
    const dade = await idOf(DADE.username)
    const before = await userNamed(DADE.username)
    const untrusted: ReadonlyArray<Record<string, string>> = [
      {},
      { authorization: 'Bearer 00LifecycleApiToken-abcdefghijklmn' },
      { authorization: 'SSWS wrong-token-0123456789' },
      { authorization: `SSWS ${TOKEN}x` },
      { authorization: 'SSWS' },
    ]
    for (const segment of SEGMENTS)
      for (const headers of untrusted)
        for (const body of ['', '{}', '{"malformed":', '[1]']) {
          const error = expectError(await handler(post(`/api/v1/users/${dade}/lifecycle/${segment}`, body, headers)), 401, 'E0000011')
          expect(error).toMatchObject({ errorSummary: 'Invalid token provided', errorCauses: [] })
        }
    expect(await userNamed(DADE.username)).toEqual(before)
    expect(json(await signIn(DADE))['status']).toBe('SUCCESS')
  })

  it('an unknown user is 404 E0000007 for every operation', async () => {
    const { lifecycle } = await setup()
    for (const segment of SEGMENTS) {
      const error = expectError(await lifecycle('00unknownuser000001', segment), 404, 'E0000007')
      expect(error['errorSummary']).toBe('Not found: Resource not found: 00unknownuser000001 (User)')
    }
  })
})

describe('POST /api/v1/users/{userId}/lifecycle/{operation}: effects', () => {
  it('suspend: sign-in 401 E0000004, a live transaction 401 E0000011, an unredeemed session token revoked; unsuspend lets the password in', async () => {
    const { handler, lifecycle, idOf, userNamed, signIn } = await setup()
    const kate = json(await signIn(KATE))
    expect(kate['status']).toBe('PASSWORD_EXPIRED')
    const dadeSession = json(await signIn(DADE))['sessionToken']

    expectEmptyOk(await lifecycle(await idOf(KATE.username), 'suspend'))
    expectEmptyOk(await lifecycle(await idOf(DADE.username), 'suspend'))
    expect((await userNamed(DADE.username)).status).toBe('SUSPENDED')

    expectError(await handler(post('/api/v1/authn', { stateToken: kate['stateToken'] })), 401, 'E0000011')
    expectError(await signIn(KATE), 401, 'E0000004')
    expectError(await signIn(DADE), 401, 'E0000004')
    expectError(await handler(post('/api/v1/sessions', { sessionToken: dadeSession })), 401, 'E0000004')

    expectEmptyOk(await lifecycle(await idOf(DADE.username), 'unsuspend'))
    expect(json(await signIn(DADE))['status']).toBe('SUCCESS')
  })

  it('unlock after a lockout lets the right password in; unlocking a user that is not locked is 403 E0000032', async () => {
    const { lifecycle, idOf, signIn } = await setup()
    const dade = await idOf(DADE.username)
    expectError(await lifecycle(dade, 'unlock'), 403, 'E0000032')
    // The test org locks after 3 failures and hides the lockout.
    for (let i = 0; i < 3; i++) expectError(await signIn({ ...DADE, password: 'wrong' }), 401, 'E0000004')
    expectError(await signIn(DADE), 401, 'E0000004')
    expectEmptyOk(await lifecycle(dade, 'unlock'))
    expect(json(await signIn(DADE))['status']).toBe('SUCCESS')
    expectError(await lifecycle(dade, 'unlock'), 403, 'E0000032')
  })

  it('expire_password answers the user, and the next sign-in is PASSWORD_EXPIRED', async () => {
    const { lifecycle, idOf, signIn } = await setup()
    const dade = await idOf(DADE.username)
    const r = await lifecycle(dade, 'expire_password')
    expect(r.status).toBe(200)
    expect(json(r)).toMatchObject({ id: dade, status: 'PASSWORD_EXPIRED', profile: { login: DADE.username } })
    expect(json(await signIn(DADE))['status']).toBe('PASSWORD_EXPIRED')
  })

  it('deactivate: sign-in 401 E0000004, and operations that no longer apply are 400 E0000001', async () => {
    const { lifecycle, idOf, signIn } = await setup()
    const dade = await idOf(DADE.username)
    expectEmptyOk(await lifecycle(dade, 'deactivate'))
    expectError(await signIn(DADE), 401, 'E0000004')
    for (const segment of ['suspend', 'unsuspend', 'expire_password']) expectError(await lifecycle(dade, segment), 400, 'E0000001')
  })

  it('unsuspending a user that is not suspended is 400 E0000001 and changes nothing', async () => {
    const { lifecycle, idOf, userNamed, signIn } = await setup()
    const before = await userNamed(DADE.username)
    expectError(await lifecycle(await idOf(DADE.username), 'unsuspend'), 400, 'E0000001')
    expect(await userNamed(DADE.username)).toEqual(before)
    expect(json(await signIn(DADE))['status']).toBe('SUCCESS')
  })
})

describe('POST /api/v1/users/{userId}/lifecycle/{operation}: HTTP', () => {
  it('takes the operation segment in any case; `lock` (no Okta path) and other user paths are 404 E0000008', async () => {
    const { handler, lifecycle, idOf } = await setup()
    const dade = await idOf(DADE.username)
    expectEmptyOk(await lifecycle(dade, 'SUSPEND'))
    expectEmptyOk(await lifecycle(dade, 'UnSuspend'))
    expect((await lifecycle(dade, 'Expire_Password')).status).toBe(200)
    for (const path of [
      `/api/v1/users/${dade}/lifecycle/lock`,
      `/api/v1/users/${dade}/lifecycle/expirePassword`,
      `/api/v1/users/${dade}/lifecycle/activate`,
      `/api/v1/users/${dade}/lifecycle`,
      `/api/v1/users/${dade}`,
      '/api/v1/users',
      `/API/V1/USERS/${dade}/lifecycle/suspend`,
      `/api/v1/users//lifecycle/suspend`,
    ])
      expectError(await handler(post(path, '', TRUSTED)), 404, 'E0000008')
  })

  it('another method is 405 E0000022 with Allow: POST; OPTIONS is a preflight', async () => {
    const { lifecycle, idOf } = await setup()
    const dade = await idOf(DADE.username)
    for (const method of ['GET', 'PUT', 'DELETE', 'PATCH']) {
      const r = await lifecycle(dade, 'suspend', { method, body: null })
      expectError(r, 405, 'E0000022')
      expect(r.headers['allow']).toBe('POST')
    }
    expect((await lifecycle(dade, 'suspend', { method: 'OPTIONS', body: null })).status).toBe(204)
  })

  it('accepts no body, an empty one with any content type, and `{}`; refuses a body that is not a JSON object', async () => {
    const { lifecycle, idOf } = await setup()
    const dade = await idOf(DADE.username)
    const { 'content-type': _type, ...untyped } = post('/', '', TRUSTED).headers
    const accepted: ReadonlyArray<Partial<HttpRequest>> = [
      { body: null, headers: untyped },
      { body: '' },
      { body: new Uint8Array(0), headers: { ...untyped, 'content-type': 'application/x-www-form-urlencoded' } },
      { body: '{}' },
      { body: '{"sendEmail":false,"relayState":null}' },
    ]
    // expire_password applies to ACTIVE and PASSWORD_EXPIRED alike: every call answers 200.
    for (const req of accepted) expect((await lifecycle(dade, 'expire_password', req)).status).toBe(200)
    expectError(await lifecycle(dade, 'expire_password', { body: '{"a":' }), 400, 'E0000003')
    expectError(await lifecycle(dade, 'expire_password', { body: '[1]' }), 400, 'E0000003')
    expectError(await lifecycle(dade, 'expire_password', { body: 'null' }), 400, 'E0000003')
    expectError(await lifecycle(dade, 'expire_password', { body: new Uint8Array([0x7b, 0xff, 0x7d]) }), 400, 'E0000003')
    expectError(await lifecycle(dade, 'expire_password', { body: 'a=b', headers: { ...TRUSTED, 'content-type': 'text/plain' } }), 415, 'E0000012')
  })

  it('path parameters in the body do not override the path', async () => {
    const { lifecycle, idOf, userNamed } = await setup()
    const dade = await idOf(DADE.username)
    const kate = await idOf(KATE.username)
    expectEmptyOk(await lifecycle(dade, 'suspend', { body: JSON.stringify({ userId: kate, operation: 'deactivate' }) }))
    expect((await userNamed(DADE.username)).status).toBe('SUSPENDED')
    expect((await userNamed(KATE.username)).status).toBe('PASSWORD_EXPIRED')
  })

  it('is owned by the handler for the framework glue', async () => {
    const { handler } = await setup()
    expect(handler.handles('/api/v1/users/00u1/lifecycle/suspend')).toBe(true)
    expect(handler.handles('/api/v1/users/00u1/lifecycle/lock?x=1')).toBe(true)
    expect(handler.handles('/api/v1/users/00u1')).toBe(false)
    expect(handler.handles('/api/v1/users')).toBe(false)
  })
})

describe('POST /api/v1/users/{userId}/lifecycle/{operation}: robustness', () => {
  // One org for every run: the real user's status wanders as the runs apply operations to it.
  const dade = 'DADE'
  const org = setup()
  /** A path segment as a client may send it: encoded, raw (no `/`, `?`, `#`), or with odd escapes. */
  const segment = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 80 }).map(encodeURIComponent),
    fc.string({ unit: 'binary', maxLength: 80 }).map((s) => s.replace(/[/?#]/g, '')),
    fc.stringMatching(/^(?:%[0-9A-Fa-f]{0,2}|%[CDEF][0-9A-F]%[0-9A-F]{2}|[\w.~!$&'()*+,;=:@-])*$/),
    fc.constantFrom(dade, '%00', '00u%00', 'x'.repeat(65), '..', '.', '%2F', '%E0%A4%A', '%ED%A0%80'),
  )
  const operation = fc.oneof(fc.constantFrom(...SEGMENTS, 'LOCK', 'lock', 'Expire_Password', 'SUSPEND', 'unsuspend'), segment)

  test.prop([segment, operation], { numRuns: 200 })('never answers 500, whatever the user id and operation segments', async (id, op) => {
    const env = await org
    const path = `/api/v1/users/${id === dade ? await env.idOf(DADE.username) : id}/lifecycle/${op}`
    const r = await env.handler(post(path, '', TRUSTED))
    expect([200, 400, 403, 404], `${id} ${op}: ${r.body}`).toContain(r.status)
    const body = json(r)
    if (r.status === 404) expect(['E0000007', 'E0000008']).toContain(body['errorCode'])
    const untrusted = await env.handler(post(path, ''))
    expect([401, 404]).toContain(untrusted.status)
  })
})
