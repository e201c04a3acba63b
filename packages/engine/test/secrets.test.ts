import { randomBytes } from 'node:crypto'
import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { checkKeyring, createSecretBox, parseKeyring, type SecretKeyring } from '../src/index.js'

const k1 = { id: '2026-01', key: randomBytes(32) }
const k2 = { id: '2026-02', key: randomBytes(32) }
const plain = (r: E.Either<unknown, Uint8Array>) => (E.isRight(r) ? new TextDecoder().decode(r.right) : r)

describe('factor secret encryption (AES-256-GCM with key ids)', () => {
  it('round-trips, and each encryption uses a fresh IV', () => {
    const box = createSecretBox({ keys: [k1], currentKeyId: k1.id })
    const a = box.encryptSecret('JBSWY3DPEHPK3PXP', '00u1/ost1')
    const b = box.encryptSecret('JBSWY3DPEHPK3PXP', '00u1/ost1')
    expect(a).not.toBe(b)
    expect(a.startsWith('v1.2026-01.')).toBe(true)
    expect(a).not.toContain('JBSWY3DPEHPK3PXP')
    expect(plain(box.decryptSecret(a, '00u1/ost1'))).toBe('JBSWY3DPEHPK3PXP')
  })

  it('refuses another row (aad), a tampered ciphertext and malformed input', () => {
    const box = createSecretBox({ keys: [k1], currentKeyId: k1.id })
    const sealed = box.encryptSecret('seed', '00u1/ost1')
    expect(box.decryptSecret(sealed, '00u2/ost1')).toEqual(E.left({ _tag: 'DecryptionFailed' }))
    const parts = sealed.split('.')
    const body = Buffer.from(parts[3] ?? '', 'base64url')
    body[0] = (body[0] ?? 0) ^ 1
    parts[3] = body.toString('base64url')
    expect(box.decryptSecret(parts.join('.'), '00u1/ost1')).toEqual(E.left({ _tag: 'DecryptionFailed' }))
    expect(box.decryptSecret('not a secret')).toEqual(E.left({ _tag: 'MalformedSecret' }))
  })

  it('rotation: a new current key still decrypts the old ones, which report needsRotation; a retired key is UnknownKey', () => {
    const before = createSecretBox({ keys: [k1], currentKeyId: k1.id })
    const old = before.encryptSecret('seed-old')
    const during = createSecretBox({ keys: [k2, k1], currentKeyId: k2.id })
    expect(during.needsRotation(old)).toBe(true)
    expect(plain(during.decryptSecret(old))).toBe('seed-old')
    const fresh = during.encryptSecret('seed-old')
    expect(during.needsRotation(fresh)).toBe(false)
    const after = createSecretBox({ keys: [k2], currentKeyId: k2.id })
    expect(plain(after.decryptSecret(fresh))).toBe('seed-old')
    expect(after.decryptSecret(old)).toEqual(E.left({ _tag: 'UnknownKey', keyId: '2026-01' }))
  })

  it('parses AUTHN_SECRET_KEYS (first is current) and refuses bad keyrings', () => {
    const ring = parseKeyring(`${k2.id}:${k2.key.toString('base64')}, ${k1.id}:${k1.key.toString('base64')}`)
    expect(ring.currentKeyId).toBe(k2.id)
    expect(ring.keys.map((k) => k.id)).toEqual([k2.id, k1.id])
    const bad: ReadonlyArray<SecretKeyring> = [
      { keys: [{ id: 'short', key: randomBytes(16) }], currentKeyId: 'short' },
      { keys: [k1], currentKeyId: 'missing' },
      { keys: [{ id: 'has.dot', key: randomBytes(32) }], currentKeyId: 'has.dot' },
      { keys: [k1, k1], currentKeyId: k1.id },
    ]
    for (const r of bad) expect(() => checkKeyring(r)).toThrow()
    expect(() => parseKeyring('')).toThrow()
    expect(() => parseKeyring('nokey')).toThrow()
  })
})
