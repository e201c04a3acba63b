import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto'
import * as E from 'fp-ts/lib/Either.js'
import type { Random, SecretBox, SecretError } from '@authn-machine/core'

/**
 * The default SecretBox: AES-256-GCM under a keyring (moved here from the PostgreSQL adapter: the
 * engine seals factor secrets for every adapter).
 */

/** One AES-256 key (32 bytes) and the id written in front of everything it encrypts. */
export interface SecretKey {
  /** 1–32 characters of `[A-Za-z0-9_-]`, e.g. `2026-01`. Never reuse an id for another key. */
  readonly id: string
  readonly key: Uint8Array
}

export interface SecretKeyring {
  /** Every key that may still have to decrypt something: the current one and the retiring ones. */
  readonly keys: ReadonlyArray<SecretKey>
  /** The id of the key new secrets are encrypted with. */
  readonly currentKeyId: string
}

export type { SecretBox, SecretError }

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/
const PREFIX = 'v1'
const MAC_PREFIX = 'm1'

/** Checks a keyring; throws on a configuration error (it runs at start-up). */
export const checkKeyring = (ring: SecretKeyring): SecretKeyring => {
  const ids = new Set<string>()
  for (const k of ring.keys) {
    if (!KEY_ID.test(k.id)) throw new Error(`secret key id ${JSON.stringify(k.id)}: use 1–32 of [A-Za-z0-9_-]`)
    if (k.key.length !== 32) throw new Error(`secret key ${k.id}: AES-256 needs 32 bytes, got ${k.key.length}`)
    if (ids.has(k.id)) throw new Error(`secret key id ${k.id} appears twice`)
    ids.add(k.id)
  }
  if (!ids.has(ring.currentKeyId)) throw new Error(`current secret key ${ring.currentKeyId} is not in the keyring`)
  return ring
}

/**
 * Parses `AUTHN_SECRET_KEYS`-style configuration: comma-separated `id:base64key` pairs, the
 * first being the current key, e.g. `2026-02:…,2026-01:…`. Throws on a malformed value.
 */
export const parseKeyring = (text: string): SecretKeyring => {
  const keys = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((pair): SecretKey => {
      const at = pair.indexOf(':')
      if (at <= 0) throw new Error('secret keys: expected id:base64key[,id:base64key…]')
      return { id: pair.slice(0, at), key: Buffer.from(pair.slice(at + 1), 'base64') }
    })
  const first = keys[0]
  if (first === undefined) throw new Error('secret keys: none given')
  return checkKeyring({ keys, currentKeyId: first.id })
}

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64url')

/** The system's randomness (node:crypto). */
const systemRandom: Random = { bytes: (n) => new Uint8Array(randomBytes(n)) }

/** A SecretBox over `ring`; IVs come from `random` (default node:crypto). Throws only on an invalid keyring. */
export const createSecretBox = (ring: SecretKeyring, random: Random = systemRandom): SecretBox => {
  const { keys, currentKeyId } = checkKeyring(ring)
  const byId = new Map(keys.map((k) => [k.id, k.key] as const))
  const current = byId.get(currentKeyId) as Uint8Array
  // MAC keys are derived (HKDF) from the encryption keys, so no key serves two algorithms.
  const macKeys = new Map(keys.map((k) => [k.id, Buffer.from(hkdfSync('sha256', k.key, new Uint8Array(0), 'authn-machine/mac/v1', 32))] as const))
  const macWith = (key: Buffer, data: string, purpose: string): Buffer => createHmac('sha256', key).update(purpose, 'utf8').update('\u0000').update(data, 'utf8').digest()

  const parse = (sealed: string) => {
    const parts = sealed.split('.')
    if (parts.length !== 5 || parts[0] !== PREFIX) return null
    const [, keyId, iv, body, tag] = parts as [string, string, string, string, string]
    return { keyId, iv: Buffer.from(iv, 'base64url'), body: Buffer.from(body, 'base64url'), tag: Buffer.from(tag, 'base64url') }
  }

  return {
    encryptSecret: (plain, aad) => {
      const iv = Buffer.from(random.bytes(12))
      const cipher = createCipheriv('aes-256-gcm', current, iv)
      if (aad !== undefined) cipher.setAAD(Buffer.from(aad, 'utf8'))
      const body = Buffer.concat([cipher.update(typeof plain === 'string' ? Buffer.from(plain, 'utf8') : plain), cipher.final()])
      return [PREFIX, currentKeyId, b64(iv), b64(body), b64(cipher.getAuthTag())].join('.')
    },
    decryptSecret: (sealed, aad) => {
      const p = parse(sealed)
      if (p === null || p.iv.length !== 12 || p.tag.length !== 16) return E.left<SecretError>({ _tag: 'MalformedSecret' })
      const key = byId.get(p.keyId)
      if (key === undefined) return E.left({ _tag: 'UnknownKey', keyId: p.keyId })
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, p.iv)
        decipher.setAuthTag(p.tag)
        if (aad !== undefined) decipher.setAAD(Buffer.from(aad, 'utf8'))
        return E.right(Buffer.concat([decipher.update(p.body), decipher.final()]))
      } catch {
        return E.left({ _tag: 'DecryptionFailed' })
      }
    },
    mac: (data, purpose) => [MAC_PREFIX, currentKeyId, b64(macWith(macKeys.get(currentKeyId) as Buffer, data, purpose))].join('.'),
    verifyMac: (data, purpose, tag) => {
      const parts = tag.split('.')
      if (parts.length !== 3 || parts[0] !== MAC_PREFIX) return false
      const key = macKeys.get(parts[1] as string)
      if (key === undefined) return false
      const given = Buffer.from(parts[2] as string, 'base64url')
      const expected = macWith(key, data, purpose)
      return given.length === expected.length && timingSafeEqual(given, expected)
    },
    needsRotation: (sealed) => parse(sealed)?.keyId !== currentKeyId,
  }
}

/** A keyring of one random key, for stores that keep nothing across restarts (memory). */
export const ephemeralKeyring = (random: Random = systemRandom): SecretKeyring => ({ keys: [{ id: 'ephemeral', key: random.bytes(32) }], currentKeyId: 'ephemeral' })
