import { fc } from '@fast-check/vitest'
import { BODY_TOO_LARGE, type HttpRequest } from '../src/index.js'
import { DADE } from './helpers.js'

/** Hostile request bodies, shared by the fuzzing of the handler and the comparisons of the glue. */

/** A user whose password an admin expired (helpers' `setupEngine`): signing in leaves a live transaction. */
export const KATE = 'kate.libby@example.com'

/** Fields the operations read (spec §4), so generated objects reach the engine's codecs. */
export const FIELDS = [
  'username', 'password', 'stateToken', 'factorId', 'factorType', 'provider', 'profile', 'passCode', 'nextPassCode',
  'answer', 'oldPassword', 'newPassword', 'relayState', 'options', 'context', 'recoveryToken', 'token', 'sessionToken',
  'activationToken', 'rememberDevice', 'autoPush', 'updatePhone', 'phoneNumber', 'email', 'clientData',
  'authenticatorData', 'signatureData', 'attestation', 'multiOptionalFactorEnroll', 'warnBeforePasswordExpired', 'deviceToken',
  'userId', 'operation', 'channel', '__proto__', 'constructor',
] as const

/** `Content-Type` headers: JSON in its spellings, other media types, junk. */
export const arbContentType: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'application/json; charset=UTF-8',
    'application/json;charset="utf-8"',
    'application/json; charset=latin1',
    'APPLICATION/JSON',
    'application/vnd.okta+json',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    '',
    ';',
  ),
  fc.string({ maxLength: 30 }),
)

const nested = (depth: number) => `${'{"a":['.repeat(depth)}1${']}'.repeat(depth)}`

export const arbBody = (stateTokens: ReadonlyArray<string>): fc.Arbitrary<HttpRequest['body']> => {
  const value = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.constantFrom(...stateTokens, DADE.username, KATE, DADE.password, 'activation-token-paul', 'ost1', 'sms', 'token:software:totp', 'OKTA', '123456', '', '\u0000'),
    fc.string({ unit: 'grapheme', maxLength: 30 }),
  )
  const fields = fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 6 }).map((o) => JSON.stringify(o))
  // near-valid: a live transaction or the right credentials, plus generated fields
  const nearValid = fc
    .tuple(fc.constantFrom<Record<string, unknown>>(DADE, { ...DADE, username: KATE }, ...stateTokens.map((stateToken) => ({ stateToken }))), fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 2 }))
    .map(([base, more]) => JSON.stringify({ ...more, ...base }))
  return fc.oneof(
    { weight: 2, arbitrary: nearValid },
    { weight: 4, arbitrary: fields },
    { weight: 3, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
    {
      weight: 2,
      arbitrary: fc.oneof(
        fc.string({ maxLength: 40 }),
        fc.constantFrom('{', '{"username":', '{"a":1,}', "{'a':1}", 'NaN', '1e999999', '-', '"\\ud800"', '\uFEFF{}', '{"__proto__":{"x":1}}', 'null', '[]', 'true', '""'),
      ),
    },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 200 }).map(nested) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        null,
        '',
        BODY_TOO_LARGE,
        `{"username":"${'a'.repeat(70_000)}"}`,
        `{"username":"${'é'.repeat(30_000)}","password":"x"}`,
        `{"stateToken":"${'s'.repeat(60_000)}"}`,
        new Uint8Array([0xff, 0xfe, 0x7b, 0x7d]),
        new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d]),
      ),
    },
  )
}
