import { createHash } from 'node:crypto'

/**
 * Canonical JSON: object keys sorted (by UTF-16 code unit, which for the ASCII keys of a policy is
 * the byte order of migration 2's SQL rendering), no whitespace, `undefined` members left out as
 * `JSON.stringify` does. Two equal policies always give the same text.
 */
export const canonicalJson = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map((v: unknown) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const o = value as Readonly<Record<string, unknown>>
    const members = Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
    return `{${members.join(',')}}`
  }
  return JSON.stringify(value)
}

/** A policy snapshot's key and body: hex SHA-256 of its canonical JSON, and that JSON. */
export interface PolicySnapshot {
  readonly hash: string
  readonly json: string
}

const computeSnapshot = (policy: unknown): PolicySnapshot => {
  const json = canonicalJson(policy)
  return { hash: createHash('sha256').update(json, 'utf8').digest('hex'), json }
}

/**
 * Recent snapshots by the policy's plain `JSON.stringify` (cheap, and content-keyed: a mutated
 * policy object gives another key). An org has a handful of policies; the cache is emptied when it
 * holds more than `CACHE_LIMIT`. Saves then cost one `JSON.stringify` of the policy, not a
 * canonical rendering and a SHA-256.
 */
const CACHE_LIMIT = 256
const cache = new Map<string, PolicySnapshot>()

/** The snapshot (hash and canonical JSON) of `policy`. */
export const policySnapshot = (policy: unknown): PolicySnapshot => {
  const key = JSON.stringify(policy)
  const hit = cache.get(key)
  if (hit !== undefined) return hit
  const snapshot = computeSnapshot(policy)
  if (cache.size >= CACHE_LIMIT) cache.clear()
  cache.set(key, snapshot)
  return snapshot
}
