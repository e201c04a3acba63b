import { createHash, timingSafeEqual } from 'node:crypto'

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest()

export type CallerAuth = { readonly _tag: 'Public' } | { readonly _tag: 'Trusted' } | { readonly _tag: 'InvalidToken' }

/**
 * Checks `Authorization: SSWS <token>` against the configured API tokens. Both sides are hashed to
 * equal length and compared with `timingSafeEqual`, and every configured token is compared, so the
 * time taken says nothing about which token (or how much of one) matched. Other schemes are not
 * API tokens: such a call is public.
 */
export const createTokenCheck = (apiTokens: ReadonlyArray<string>) => {
  const expected = apiTokens.filter((t) => t.length > 0).map(digest)
  return (authorization: string | undefined): CallerAuth => {
    if (authorization === undefined) return { _tag: 'Public' }
    const m = /^SSWS[ \t]+(\S+)[ \t]*$/i.exec(authorization)
    if (m === null) return /^SSWS\b/i.test(authorization.trim()) ? { _tag: 'InvalidToken' } : { _tag: 'Public' }
    const given = digest(m[1] ?? '')
    let ok = false
    for (const e of expected) ok = timingSafeEqual(e, given) || ok
    return ok ? { _tag: 'Trusted' } : { _tag: 'InvalidToken' }
  }
}
