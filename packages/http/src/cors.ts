/** Request headers a browser may send cross-origin (the Sign-In Widget and okta-auth-js send these). */
export const CORS_ALLOW_HEADERS = 'content-type, accept, authorization, x-okta-user-agent-extended, x-device-fingerprint, x-requested-with'
export const CORS_ALLOW_METHODS = 'POST, GET, OPTIONS'

const normalise = (origin: string): string | null => {
  try {
    const u = new URL(origin)
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : null
  } catch {
    return null
  }
}

/**
 * CORS for a list of trusted origins (`https://app.example.com`, compared after URL normalisation).
 * A trusted origin is echoed with credentials allowed; any other origin gets no CORS headers at all,
 * so the browser refuses to hand the response to the page.
 */
export const createCors = (trustedOrigins: ReadonlyArray<string>) => {
  const trusted = new Set(trustedOrigins.map(normalise).filter((o): o is string => o !== null))
  const enabled = trusted.size > 0
  return {
    /** Headers for a response to a request that carried `Origin: origin`. */
    headers: (origin: string | undefined, preflight: boolean): Record<string, string> => {
      const vary: Record<string, string> = enabled ? { vary: 'Origin' } : {}
      if (origin === undefined) return vary
      const o = normalise(origin)
      if (o === null || !trusted.has(o)) return vary
      return {
        ...vary,
        'access-control-allow-origin': origin,
        'access-control-allow-credentials': 'true',
        ...(preflight
          ? {
              'access-control-allow-methods': CORS_ALLOW_METHODS,
              'access-control-allow-headers': CORS_ALLOW_HEADERS,
              'access-control-max-age': '600',
            }
          : {}),
      }
    },
  }
}
