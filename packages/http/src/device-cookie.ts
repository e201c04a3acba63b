/**
 * The browser's device token, as Okta keeps it: a cookie (`DT`) the server sets itself on primary
 * authentication, so that "remember this device" works for a browser, which cannot send a trusted
 * caller's `context.deviceToken`. The token is drawn by the server (24 random bytes, 32 base64url
 * characters, the codec's limit for a device token), sent back only to `/api/v1/authn`, never
 * readable by scripts (`HttpOnly`), and only a remembered device's hash is stored.
 */
export const DEVICE_COOKIE = 'DT'

/** Path the cookie is sent to: primary authentication reads it. */
export const DEVICE_COOKIE_PATH = '/api/v1/authn'

/** The cookie lives a year; how long a device stays remembered is the sign-on policy's. */
export const DEVICE_COOKIE_MAX_AGE_SECONDS = 365 * 24 * 60 * 60

const DEVICE_TOKEN = /^[A-Za-z0-9_-]{32}$/

/** Whether `s` has the shape of a token this server draws. */
export const isDeviceCookieToken = (s: string): boolean => DEVICE_TOKEN.test(s)

/** The device token in a `Cookie` header, when there is one of this server's shape. */
export const deviceTokenOfCookies = (cookie: string | undefined): string | null => {
  if (cookie === undefined) return null
  for (const part of cookie.split(/;\s*/)) {
    const eq = part.indexOf('=')
    if (eq < 0 || part.slice(0, eq).trim() !== DEVICE_COOKIE) continue
    const value = part.slice(eq + 1).trim()
    if (isDeviceCookieToken(value)) return value
  }
  return null
}

/** The `Set-Cookie` value for a new device token; `Secure` when the server's links are https. */
export const deviceCookieHeader = (token: string, secure: boolean): string =>
  `${DEVICE_COOKIE}=${token}; Path=${DEVICE_COOKIE_PATH}; Max-Age=${DEVICE_COOKIE_MAX_AGE_SECONDS}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`
