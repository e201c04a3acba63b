import type { Random } from '@authn-machine/core'

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

/** The length of Okta's `X-Okta-Request-Id` values; 27 base-62 characters carry 160 random bits. */
export const REQUEST_ID_LENGTH = 27

/** Bytes at or above this are skipped, so that every character is equally likely (248 = 4 × 62). */
const UNBIASED_BELOW = 248

/**
 * Fresh request ids from `random`: {@link REQUEST_ID_LENGTH} letters and digits, as Okta's
 * `X-Okta-Request-Id` looks. An id names one request in logs; it is no secret and grants nothing.
 */
export const createRequestIds =
  (random: Random) =>
  (): string => {
    let id = ''
    while (id.length < REQUEST_ID_LENGTH) {
      for (const b of random.bytes(32)) {
        if (b >= UNBIASED_BELOW) continue
        id += ALPHABET[b % 62] ?? ''
        if (id.length === REQUEST_ID_LENGTH) break
      }
    }
    return id
  }

/** Whether a host's id can go out as a header value and into a log line unchanged. */
export const isRequestId = (s: string): boolean => /^[A-Za-z0-9._-]{1,128}$/.test(s)
