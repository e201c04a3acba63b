import { createHash, timingSafeEqual } from 'node:crypto'
import { BlockList, isIP } from 'node:net'

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

/** Host names that only this machine can send: links may follow them without configuration. */
const isLoopbackHost = (hostname: string): boolean => {
  const h = hostname.toLowerCase()
  return h === 'localhost' || h.endsWith('.localhost') || h === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h)
}

/** `host[:port]` split; a bracketed IPv6 address keeps its brackets. */
const splitHost = (host: string): { readonly name: string; readonly port: string | null } => {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(host)
  return m === null ? { name: host, port: null } : { name: m[1] ?? host, port: m[2] ?? null }
}

/**
 * Which `Host` headers links may be built from when no public base URL is configured: a loopback
 * name (only this machine can send it), or one of `allowedHosts` (`name` for any port, or
 * `name:port`), compared case-insensitively. Anything else would let a request put another site's
 * origin in `_links` (a Host header attack).
 */
export const createHostCheck = (allowedHosts: ReadonlyArray<string>) => {
  const allowed = allowedHosts.map((h) => splitHost(h.trim().toLowerCase()))
  return (host: string): boolean => {
    const given = splitHost(host.toLowerCase())
    if (isLoopbackHost(given.name)) return true
    return allowed.some((a) => a.name === given.name && (a.port === null || a.port === given.port))
  }
}

/**
 * The client address of a request: `X-Forwarded-For` is read only when the request comes from one
 * of the configured gateways (`trustedProxies`: addresses or CIDR blocks) and its caller is trusted.
 * It is read from the right: gateway addresses are skipped, and the first address not a gateway is
 * the client, if it is an IP address; otherwise the connection's address is kept.
 */
export const createClientAddress = (trustedProxies: ReadonlyArray<string>) => {
  const gateways = new BlockList()
  for (const p of trustedProxies) {
    const [address = '', bits] = p.trim().split('/')
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4'
    if (isIP(address) === 0) throw new Error(`trusted proxy '${p}' is not an IP address or CIDR block`)
    if (bits === undefined) gateways.addAddress(address, family)
    else gateways.addSubnet(address, Number(bits), family)
  }
  const isGateway = (a: string): boolean => {
    const v = isIP(a)
    return v !== 0 && gateways.check(a, v === 6 ? 'ipv6' : 'ipv4')
  }
  return (remoteAddress: string | null, forwardedFor: string | undefined): string | null => {
    if (remoteAddress === null) return null
    const remote = remoteAddress.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '')
    if (forwardedFor === undefined || trustedProxies.length === 0 || !isGateway(remote)) return remoteAddress
    const hops = forwardedFor.split(',').map((s) => s.trim())
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i] ?? ''
      if (isGateway(hop)) continue
      return isIP(hop) === 0 ? remoteAddress : hop
    }
    return remoteAddress
  }
}
