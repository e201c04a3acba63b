import { signAuth, type DuoKeys } from '../src/index.js'

/**
 * What Duo's frame posts back once the user authenticated for a request (`data-sig-request`): an
 * AUTH half Duo signs with the secret key (for `user`, expiring `ttlSeconds` after `now`) and the
 * request's APP half, echoed unchanged.
 */
export const duoResponse = (keys: Pick<DuoKeys, 'ikey' | 'skey'>, sigRequest: string, user: string, now: number, ttlSeconds = 300): string => {
  const app = sigRequest.split(':')[1]
  if (app === undefined) throw new Error(`not a signed request: ${sigRequest}`)
  return `${signAuth(keys, user, Math.floor(now / 1000) + ttlSeconds)}:${app}`
}
