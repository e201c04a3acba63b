import { existsSync, readFileSync } from 'node:fs'
import { isAbsolute } from 'node:path'
import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { describeFactor, expectLeft, expectRight, run } from '@authn-machine/testkit'
import type { IssuedNonce } from '@authn-machine/core'
import { DUO_LIFETIME_MS, applicationKeyFor, createDuoFactor, duoWebScriptPath, verifyResponse, type DuoConfig, type DuoProfile } from '../src/index.js'
import { duoResponse } from './duo-service.js'
import { ctxAt, LINKS, viewOf } from './support.js'

const CONFIG: DuoConfig = {
  integrationKey: 'DIXXXXXXXXXXXXXXXXXX',
  secretKey: 'deadbeef'.repeat(5),
  applicationKey: 'useacustomerprovidedapplicationsecretkey',
  apiHost: 'api-xxxxxxxx.duosecurity.com',
}
const KEYS = { ikey: CONFIG.integrationKey, skey: CONFIG.secretKey }
const NOW = Date.UTC(2026, 0, 1, 12, 0, 0)
const subject = { login: 'dade.murphy@example.com', email: 'dade.murphy@example.com' }
const f = createDuoFactor(CONFIG)

describe('conformance', () => {
  describeFactor('duo', {
    factor: f,
    enrollRequest: {},
    responseFields: ['sig_response'],
    wrongResponses: [
      { sig_response: '' },
      { sig_response: 'AUTH|INVALID|SIG' },
      { sig_response: 'AUTH|INVALID|SIG:APP|INVALID|SIG' },
      { sig_response: 'AUTH|dGVzdHVzZXJ8RElYWFhYWFhYWFhYWFhYWFhYWFh8MjI0NzE0MDkyMQ==|d5fa72f8ba5f3d37d70dad615ff4901a77d46989' },
      { sig_response: 'AUTH|dGVzdHVzZXJ8RElYWFhYWFhYWFhYWFhYWFhYWFh8MjI0NzE0MDkyMQ==|d5fa72f8ba5f3d37d70dad615ff4901a77d46989:APP|x|y', stateToken: '00abc', id: 'duo_iframe' },
    ],
    malformedEnrollRequests: [{ profile: 7 }, { profile: {}, nextPassCode: false }],
  })
})

const started = (nonce: string, at = NOW): IssuedNonce => ({ nonce, expiresAt: at + DUO_LIFETIME_MS })
const signatureOf = (view: Readonly<Record<string, unknown>>): string => {
  const s = view['signature']
  if (typeof s !== 'string') throw new Error('the view has no signature')
  return s
}
const enrolled = async (login = subject.login, format: DuoConfig['usernameFormat'] = 'login') => {
  const factor = createDuoFactor({ ...CONFIG, usernameFormat: format })
  const e = expectRight(await run(factor.enroll(expectRight(factor.enrollRequestCodec.decode({})), { ...subject, login }, ctxAt(NOW))))
  return { factor, e }
}

describe('createDuoFactor', () => {
  it('declares web/DUO with the id prefix dsf', () => {
    expect([f.factorType, f.provider, f.idPrefix]).toEqual(['web', 'DUO', 'dsf'])
    expect(f.delegation.lifetimeMs).toBe(300_000)
  })

  it.each([
    ['integrationKey', { integrationKey: 'DIXXX' }],
    ['integrationKey', { integrationKey: 'DIXXXXXXXXXXXXXXXXX|' }],
    ['secretKey', { secretKey: 'short' }],
    ['applicationKey', { applicationKey: 'x'.repeat(39) }],
    ['apiHost', { apiHost: '' }],
    ['apiHost', { apiHost: 'https://api-xxxxxxxx.duosecurity.com' }],
    ['apiHost', { apiHost: 'api-xxxxxxxx.duosecurity.com/path' }],
    ['usernameFormat', { usernameFormat: 'email' }],
  ])('refuses a bad %s at creation, naming it', (field, change) => {
    expect(() => createDuoFactor({ ...CONFIG, ...change } as DuoConfig)).toThrow(new RegExp(`createDuoFactor: ${field}`))
  })

  it.each(['127.0.0.1:8443', 'localhost', 'api-12345678.duosecurity.com', '[::1]:8443'])('accepts the API host %s', (apiHost) => {
    expect(createDuoFactor({ ...CONFIG, apiHost }).factorType).toBe('web')
  })
})

describe('enroll and seed', () => {
  it('enroll keeps the login as the Duo username (default), PENDING_ACTIVATION, no secret, no activation view', async () => {
    const { factor, e } = await enrolled()
    expect(e).toEqual({ profile: { credentialId: 'dade.murphy@example.com' }, secret: null, activation: 'required' })
    expect(factor.profileView(e.profile)).toEqual({ credentialId: 'dade.murphy@example.com' })
    expect(factor.activationView(e.profile, e.secret, { qrcode: 'https://acme.example/qr' })).toBeNull()
  })

  it.each([
    ['dade.murphy@example.com', 'dade.murphy'],
    ['a@b@example.com', 'a@b'],
    ['dade', 'dade'],
  ])('usernameFormat localPart: %s enrolls %s', async (login, username) => {
    const { e } = await enrolled(login, 'localPart')
    expect(e.profile).toEqual({ credentialId: username })
  })

  it.each([
    ['a|b@example.com', 'login'],
    ['a|b@example.com', 'localPart'],
    ['@example.com', 'localPart'],
    ['', 'login'],
  ] as const)('a login %j whose Duo username (%s) is empty or holds "|" is refused with E0000001', async (login, format) => {
    const factor = createDuoFactor({ ...CONFIG, usernameFormat: format })
    const failure = expectLeft(await run(factor.enroll({ profile: {} }, { login, email: null }, ctxAt(NOW))))
    expect(failure.code).toBe('E0000001')
    expect(failure.causes[0]).toMatch(/credentialId/)
  })

  test.prop([fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 })])('any username with "|" is refused at enroll and at seed', async (a, b) => {
    const login = `${a}|${b}`
    expect(expectLeft(await run(f.enroll({ profile: {} }, { login, email: null }, ctxAt(NOW)))).code).toBe('E0000001')
    expect(expectLeft(await run(f.seed({ profile: { credentialId: login } }, subject, ctxAt(NOW)))).code).toBe('E0000001')
    expect(f.profileCodec.decode({ credentialId: login })._tag).toBe('Left')
  })

  it('seed takes profile.credentialId, ACTIVE at once', async () => {
    expect(expectRight(await run(f.seed({ profile: { credentialId: 'dade' } }, subject, ctxAt(NOW))))).toEqual({ profile: { credentialId: 'dade' }, secret: null, activation: 'none' })
  })

  it.each([{}, { credentialId: '' }, { credentialId: 7 }, { credentialId: null }])('seed refuses the profile %j with E0000001 and a cause', async (profile) => {
    const failure = expectLeft(await run(f.seed({ profile }, subject, ctxAt(NOW))))
    expect(failure.code).toBe('E0000001')
    expect(failure.causes.length).toBe(1)
  })

  test.prop([fc.string({ minLength: 1, maxLength: 60 }).filter((u) => !u.includes('|'))])('the profile round-trips its codec through JSON', async (credentialId) => {
    const e = expectRight(await run(f.seed({ profile: { credentialId } }, subject, ctxAt(NOW))))
    expect(expectRight(f.profileCodec.decode(JSON.parse(JSON.stringify(f.profileCodec.encode(e.profile)))))).toEqual({ credentialId })
    expect(expectRight(f.profileCodec.decode({ credentialId, extra: 1 }))).toEqual({ credentialId })
  })

  it('the answer codec takes sig_response and ignores the other posted fields', () => {
    expect(expectRight(f.answerCodec.decode({ sig_response: 'x', id: 'duo_iframe', stateToken: '00abc' }))).toEqual({ sig_response: 'x', id: 'duo_iframe', stateToken: '00abc' })
    expect(f.answerCodec.decode({ stateToken: '00abc' })._tag).toBe('Left')
    expect(f.answerCodec.decode({ sig_response: 7 })._tag).toBe('Left')
  })
})

describe('a verification through the factor', () => {
  const profile: DuoProfile = { credentialId: 'dade.murphy@example.com' }

  it('the view: host, a signed request as of the start, WAITING, and the links', () => {
    const s = started('XqGHtE0hRLnTJ1aAySZ2')
    const view = viewOf(f, profile, s)
    expect(view).toEqual({
      host: CONFIG.apiHost,
      signature: expect.stringMatching(/^TX\|[A-Za-z0-9+/=]+\|[0-9a-f]{40}:APP\|[A-Za-z0-9+/=]+\|[0-9a-f]{40}$/) as unknown,
      factorResult: 'WAITING',
      _links: { complete: { href: LINKS.complete, hints: { allow: ['POST'] } }, script: { href: LINKS.script, type: 'text/javascript; charset=utf-8' } },
    })
    const [tx = '', app = ''] = signatureOf(view).split(':')
    expect(Buffer.from(tx.split('|')[1] ?? '', 'base64').toString()).toBe(`${profile.credentialId}|${CONFIG.integrationKey}|${Math.floor(NOW / 1000) + 300}`)
    expect(Buffer.from(app.split('|')[1] ?? '', 'base64').toString()).toBe(`${profile.credentialId}|${CONFIG.integrationKey}|${Math.floor(NOW / 1000) + 3600}`)
    expect(viewOf(f, profile, s)).toEqual(view)
  })

  it('the APP half is signed with the verification\'s own application key (64 hex characters)', () => {
    const akey = applicationKeyFor(CONFIG.applicationKey, 'XqGHtE0hRLnTJ1aAySZ2')
    expect(akey).toMatch(/^[0-9a-f]{64}$/)
    expect(akey).not.toBe(applicationKeyFor(CONFIG.applicationKey, 'XqGHtE0hRLnTJ1aAySZ3'))
    const signature = signatureOf(viewOf(f, profile, started('XqGHtE0hRLnTJ1aAySZ2')))
    const response = duoResponse(KEYS, signature, profile.credentialId, NOW)
    expect(verifyResponse({ ...KEYS, akey }, response, NOW)).toEqual({ ok: true, user: profile.credentialId })
    expect(verifyResponse({ ...KEYS, akey: CONFIG.applicationKey }, response, NOW)).toMatchObject({ ok: false, reason: 'signature', half: 'APP' })
  })

  it('enroll, view, Duo answers, confirm: confirmed; for another started verification or once expired: rejected', async () => {
    const { factor, e } = await enrolled()
    const ctx = ctxAt(NOW, 'flow')
    const s = started(factor.delegation.nonce(ctx))
    const signature = signatureOf(viewOf(factor, e.profile, s))
    const response = { sig_response: duoResponse(KEYS, signature, e.profile.credentialId, NOW + 20_000) }
    expect(expectRight(await run(factor.delegation.confirm(e.profile, response, s, ctxAt(NOW + 30_000))))).toBe('confirmed')
    // The same response for another verification started at the same time, or the same nonce started later.
    const other = started(factor.delegation.nonce(ctx))
    expect(other.nonce).not.toBe(s.nonce)
    expect(expectRight(await run(factor.delegation.confirm(e.profile, response, other, ctxAt(NOW + 30_000))))).toBe('rejected')
    // Past the verification's end, even with a response whose own halves still hold.
    const late = { sig_response: duoResponse(KEYS, signature, e.profile.credentialId, s.expiresAt, 600) }
    expect(expectRight(await run(factor.delegation.confirm(e.profile, late, s, ctxAt(s.expiresAt - 1))))).toBe('confirmed')
    expect(expectRight(await run(factor.delegation.confirm(e.profile, late, s, ctxAt(s.expiresAt))))).toBe('rejected')
    // Another enrolled user's profile.
    expect(expectRight(await run(factor.delegation.confirm({ credentialId: 'someone.else@example.com' }, response, s, ctxAt(NOW + 30_000))))).toBe('rejected')
  })

  it('a response Duo signed for another user is rejected, even with this verification\'s APP half', async () => {
    const s = started('AAAAAAAAAAAAAAAAAAAA')
    const signature = signatureOf(viewOf(f, profile, s))
    const response = { sig_response: duoResponse(KEYS, signature, 'someone.else@example.com', NOW) }
    expect(expectRight(await run(f.delegation.confirm(profile, response, s, ctxAt(NOW))))).toBe('rejected')
  })

  it('a response for another integration (other keys) is rejected', async () => {
    const s = started('AAAAAAAAAAAAAAAAAAAA')
    const signature = signatureOf(viewOf(f, profile, s))
    const response = { sig_response: duoResponse({ ...KEYS, skey: 'f'.repeat(40) }, signature, profile.credentialId, NOW) }
    expect(expectRight(await run(f.delegation.confirm(profile, response, s, ctxAt(NOW))))).toBe('rejected')
  })
})

describe('duoWebScriptPath', () => {
  it("is the absolute path of Duo's Duo-Web-v2.js", () => {
    const path = duoWebScriptPath()
    expect(isAbsolute(path)).toBe(true)
    expect(path.endsWith('Duo-Web-v2.js')).toBe(true)
    expect(existsSync(path)).toBe(true)
    expect(readFileSync(path, 'utf8')).toMatch(/sig_response/)
  })
})
