import { createHmac, timingSafeEqual } from 'node:crypto'

/**
 * The Yubico validation protocol 2.0 (`/wsapi/2.0/verify`): its signatures and its answers.
 * A message is a set of `key=value` pairs; its signature `h` is the base64 of HMAC-SHA1, keyed
 * with the client's API key (base64-decoded), over the pairs other than `h` sorted by key and
 * joined as `k1=v1&k2=v2`, the values unescaped.
 */

/** The path of the verify operation, added to a server URL given without a path. */
export const VERIFY_PATH = '/wsapi/2.0/verify'

/** The statuses a validation server answers (protocol 2.0), and `DELAYED_OTP` of older servers. */
export const WSAPI_STATUSES = [
  'OK',
  'BAD_OTP',
  'REPLAYED_OTP',
  'DELAYED_OTP',
  'BAD_SIGNATURE',
  'MISSING_PARAMETER',
  'NO_SUCH_CLIENT',
  'OPERATION_NOT_ALLOWED',
  'BACKEND_ERROR',
  'NOT_ENOUGH_ANSWERS',
  'REPLAYED_REQUEST',
] as const
export type WsapiStatus = (typeof WSAPI_STATUSES)[number]

export const isWsapiStatus = (s: string): s is WsapiStatus => (WSAPI_STATUSES as ReadonlyArray<string>).includes(s)

/** The pairs of a message, `h` left out, sorted by key (code unit order) and joined: what is signed. */
export const signedText = (fields: ReadonlyMap<string, string>): string =>
  [...fields.keys()]
    .filter((k) => k !== 'h')
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((k) => `${k}=${fields.get(k) ?? ''}`)
    .join('&')

/** The signature `h` of a message (its `h`, if any, is not signed). */
export const signatureOf = (fields: ReadonlyMap<string, string>, apiKey: Uint8Array): string =>
  createHmac('sha1', apiKey).update(signedText(fields), 'utf8').digest('base64')

/** Whether the message's `h` is its signature with `apiKey` (compared in constant time). False without `h`. */
export const hasValidSignature = (fields: ReadonlyMap<string, string>, apiKey: Uint8Array): boolean => {
  const given = fields.get('h')
  if (given === undefined) return false
  const expected = Buffer.from(signatureOf(fields, apiKey), 'utf8')
  const actual = Buffer.from(given, 'utf8')
  return expected.length === actual.length && timingSafeEqual(expected, actual)
}

/** The message with its signature added as `h` (a previous `h` is replaced). */
export const signed = (fields: ReadonlyMap<string, string>, apiKey: Uint8Array): ReadonlyMap<string, string> => {
  const out = new Map([...fields].filter(([k]) => k !== 'h'))
  out.set('h', signatureOf(out, apiKey))
  return out
}

/**
 * The API key Yubico gives with a client id: base64 of the HMAC key. Null when `apiKey` is not
 * canonical base64 (padding required) of 1 to 64 bytes.
 */
export const decodeApiKey = (apiKey: string): Uint8Array | null => {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(apiKey) || apiKey.length % 4 !== 0) return null
  const bytes = Buffer.from(apiKey, 'base64')
  if (bytes.length === 0 || bytes.length > 64 || bytes.toString('base64') !== apiKey) return null
  return new Uint8Array(bytes)
}

/**
 * The fields of a server's answer: `key=value` lines (CRLF or LF), a value being everything after
 * the first `=`; blank lines are skipped. Null when a line has no `=` or an empty key, or a key
 * comes twice (an answer must not be ambiguous about what was signed).
 */
export const parseWsapiAnswer = (text: string): ReadonlyMap<string, string> | null => {
  const fields = new Map<string, string>()
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw
    if (line.trim() === '') continue
    const eq = line.indexOf('=')
    if (eq <= 0) return null
    const key = line.slice(0, eq)
    if (fields.has(key)) return null
    fields.set(key, line.slice(eq + 1))
  }
  return fields
}

/** A server's answer written out as it sends it: `key=value` lines ending in CRLF. */
export const formatWsapiAnswer = (fields: ReadonlyMap<string, string>): string => [...fields].map(([k, v]) => `${k}=${v}\r\n`).join('')

/** A server URL as given (`https://api.example.com`, or a full verify URL): without a path, the verify path is added. Null for a URL that is not http(s), or has credentials, a query or a fragment. */
export const verifyUrlOf = (url: string): string | null => {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return null
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.username !== '' || u.password !== '' || u.search !== '' || u.hash !== '') return null
  const path = u.pathname === '/' ? VERIFY_PATH : u.pathname
  return `${u.origin}${path}`
}
