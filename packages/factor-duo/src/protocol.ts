import { createHmac, timingSafeEqual } from 'node:crypto'

/** Prefix of the request half Duo checks (signed with the secret key). */
export const DUO_PREFIX = 'TX'
/** Prefix of the request half the application checks again in the response (signed with the application key). */
export const APP_PREFIX = 'APP'
/** Prefix of the response half Duo signs (with the secret key). */
export const AUTH_PREFIX = 'AUTH'

/** Lifetime of the `TX` half, in seconds (Duo Web v2: 5 minutes). */
export const DUO_EXPIRE_SECONDS = 300
/** Lifetime of the `APP` half, in seconds (Duo Web v2: 1 hour). */
export const APP_EXPIRE_SECONDS = 3600

/** Length of a Duo integration key (`ikey`). */
export const IKEY_LENGTH = 20
/** Length of a Duo secret key (`skey`). */
export const SKEY_LENGTH = 40
/** Shortest application key (`akey`) Duo Web v2 accepts. */
export const MIN_AKEY_LENGTH = 40

/** The keys one Duo Web integration signs and verifies with. */
export interface DuoKeys {
  /** Integration key: 20 characters, sent in both halves of a request. */
  readonly ikey: string
  /** Secret key: 40 characters, shared with Duo. */
  readonly skey: string
  /** Application key: at least 40 characters, the application's own, never sent. */
  readonly akey: string
}

/** A Duo username: non-empty, without `|` (the field separator of a signed payload). */
export const isDuoUsername = (user: string): boolean => user.length > 0 && !user.includes('|')

const hmacSha1Hex = (key: string, data: string): string => createHmac('sha1', key).update(data).digest('hex')

const seconds = (ms: number): number => Math.floor(ms / 1000)

/** `prefix|b64(user|ikey|exp)|hex(HMAC-SHA1(key, prefix|b64))`. */
const signValues = (key: string, prefix: string, user: string, ikey: string, exp: number): string => {
  const cookie = `${prefix}|${Buffer.from(`${user}|${ikey}|${exp}`, 'utf8').toString('base64')}`
  return `${cookie}|${hmacSha1Hex(key, cookie)}`
}

/**
 * Duo Web v2's `sign_request`: the request the Duo frame is given (`data-sig-request`), as of `now`
 * (ms since the epoch): `TX|b64(user|ikey|exp)|hmac` signed with `skey` (expires 300 s after
 * `now`), `:`, `APP|b64(user|ikey|exp)|hmac` signed with `akey` (expires 3600 s after `now`).
 * Throws a `RangeError` naming the bad input (a username that is empty or holds `|`, an `ikey` that
 * is not 20 characters or holds `|`, an `skey` that is not 40, an `akey` shorter than 40): these
 * are configuration errors, which Duo would refuse.
 */
export const signRequest = (keys: DuoKeys, user: string, now: number): string => {
  if (!isDuoUsername(user)) throw new RangeError('signRequest: the username must be non-empty and must not contain "|"')
  if (keys.ikey.length !== IKEY_LENGTH || keys.ikey.includes('|')) throw new RangeError(`signRequest: the integration key must be ${IKEY_LENGTH} characters, without "|"`)
  if (keys.skey.length !== SKEY_LENGTH) throw new RangeError(`signRequest: the secret key must be ${SKEY_LENGTH} characters`)
  if (keys.akey.length < MIN_AKEY_LENGTH) throw new RangeError(`signRequest: the application key must be at least ${MIN_AKEY_LENGTH} characters`)
  const at = seconds(now)
  return `${signValues(keys.skey, DUO_PREFIX, user, keys.ikey, at + DUO_EXPIRE_SECONDS)}:${signValues(keys.akey, APP_PREFIX, user, keys.ikey, at + APP_EXPIRE_SECONDS)}`
}

/**
 * Signs one `AUTH` half as Duo's service does once the user has authenticated
 * (`AUTH|b64(user|ikey|exp)|hex(HMAC-SHA1(skey, AUTH|b64))`). For tests and for a stand-in of
 * Duo's service; the application itself never signs an `AUTH` half.
 */
export const signAuth = (keys: Pick<DuoKeys, 'ikey' | 'skey'>, user: string, expiresAtSeconds: number): string =>
  signValues(keys.skey, AUTH_PREFIX, user, keys.ikey, expiresAtSeconds)

/**
 * Why a response is refused:
 * - `format`: not exactly two `:`-separated halves;
 * - `fields`: a half is not exactly three `|`-separated fields;
 * - `signature`: a half's HMAC is not the one its key gives (forged, altered, or signed for
 *   another key: another verification's application key);
 * - `prefix`: a genuine half with the wrong prefix (`AUTH` first, then `APP`);
 * - `payload`: the signed payload is not base64 of `user|ikey|exp` (exp in decimal seconds);
 * - `ikey`: signed for another integration;
 * - `expired`: `now` is at or past the half's expiry;
 * - `user`: both halves hold, but for different users.
 */
export type ResponseFailure = 'format' | 'fields' | 'signature' | 'prefix' | 'payload' | 'ikey' | 'expired' | 'user'

export type ResponseCheck =
  | { readonly ok: true; readonly user: string }
  | { readonly ok: false; readonly reason: ResponseFailure; readonly half?: typeof AUTH_PREFIX | typeof APP_PREFIX }

const HEX_SHA1 = /^[0-9a-f]{40}$/
const DECIMAL = /^[0-9]{1,15}$/
const utf8 = new TextDecoder('utf-8', { fatal: true })

/** The payload's text when `b64` is canonical base64 (as Duo emits it) of UTF-8; else null. */
const decodePayload = (b64: string): string | null => {
  const bytes = Buffer.from(b64, 'base64')
  if (bytes.toString('base64') !== b64) return null
  try {
    return utf8.decode(bytes)
  } catch {
    return null
  }
}

type HalfCheck = { readonly ok: true; readonly user: string } | { readonly ok: false; readonly reason: ResponseFailure }

/** Duo Web v2's `_parse_vals`: checks one half, with its key and expected prefix, at `now`. */
const parseHalf = (key: string, half: string, prefix: string, ikey: string, now: number): HalfCheck => {
  const parts = half.split('|')
  if (parts.length !== 3) return { ok: false, reason: 'fields' }
  const [uPrefix = '', uB64 = '', uSig = ''] = parts
  // Both digests are 20 bytes before they are compared, in constant time.
  const expected = Buffer.from(hmacSha1Hex(key, `${uPrefix}|${uB64}`), 'hex')
  if (!HEX_SHA1.test(uSig) || !timingSafeEqual(expected, Buffer.from(uSig, 'hex'))) return { ok: false, reason: 'signature' }
  if (uPrefix !== prefix) return { ok: false, reason: 'prefix' }
  const payload = decodePayload(uB64)
  const fields = payload === null ? [] : payload.split('|')
  if (fields.length !== 3) return { ok: false, reason: 'payload' }
  const [user = '', uIkey = '', exp = ''] = fields
  if (!DECIMAL.test(exp) || user.length === 0) return { ok: false, reason: 'payload' }
  if (uIkey !== ikey) return { ok: false, reason: 'ikey' }
  if (seconds(now) >= Number(exp)) return { ok: false, reason: 'expired' }
  return { ok: true, user }
}

/**
 * Duo Web v2's `verify_response`: the `sig_response` Duo's frame posts back, `AUTH|…:APP|…`. The
 * `AUTH` half must be signed by `skey` (Duo), the `APP` half by `akey` (the application, which
 * signed it in the request), both for `ikey` and not expired at `now` (ms since the epoch), and
 * both for the same user, who is the answer. Never throws; a refusal names its reason and half.
 */
export const verifyResponse = (keys: DuoKeys, sigResponse: string, now: number): ResponseCheck => {
  if (typeof sigResponse !== 'string') return { ok: false, reason: 'format' }
  const halves = sigResponse.split(':')
  if (halves.length !== 2) return { ok: false, reason: 'format' }
  const [authHalf = '', appHalf = ''] = halves
  const auth = parseHalf(keys.skey, authHalf, AUTH_PREFIX, keys.ikey, now)
  if (!auth.ok) return { ok: false, reason: auth.reason, half: AUTH_PREFIX }
  const app = parseHalf(keys.akey, appHalf, APP_PREFIX, keys.ikey, now)
  if (!app.ok) return { ok: false, reason: app.reason, half: APP_PREFIX }
  return auth.user === app.user ? { ok: true, user: auth.user } : { ok: false, reason: 'user' }
}
