import { createHash, createPrivateKey, createPublicKey, sign } from 'node:crypto'

/**
 * A software WebAuthn authenticator for the harness (ES256, `none` attestation, a signature counter):
 * what a browser with a security key answers to Okta's creation and request options, in the
 * standard base64 the Sign-In Widget sends. Written with node:crypto and a few lines of CBOR.
 */

type Cbor = number | string | Uint8Array | ReadonlyArray<readonly [Cbor, Cbor]>

const head = (major: number, n: number): Buffer => {
  if (n < 24) return Buffer.of((major << 5) | n)
  if (n < 256) return Buffer.of((major << 5) | 24, n)
  if (n < 65_536) return Buffer.of((major << 5) | 25, n >> 8, n & 255)
  const b = Buffer.alloc(5)
  b[0] = (major << 5) | 26
  b.writeUInt32BE(n, 1)
  return b
}

/** CBOR of an integer, a text string, a byte string, or a map given as its entries. */
const cbor = (v: Cbor): Buffer => {
  if (typeof v === 'number') return v >= 0 ? head(0, v) : head(1, -1 - v)
  if (typeof v === 'string') return Buffer.concat([head(3, Buffer.byteLength(v)), Buffer.from(v, 'utf8')])
  if (v instanceof Uint8Array) return Buffer.concat([head(2, v.length), v])
  return Buffer.concat([head(5, v.length), ...v.flatMap(([k, val]) => [cbor(k), cbor(val)])])
}

const sha256 = (b: Uint8Array | string): Buffer => createHash('sha256').update(b).digest()
const b64 = (b: Uint8Array | string): string => Buffer.from(b).toString('base64')
/** What the browser writes as `clientDataJSON.challenge`: base64url of the bytes the widget decoded from the nonce. */
const challengeOf = (nonce: string): string => Buffer.from(nonce, 'base64').toString('base64url')

export interface HarnessAuthenticator {
  /** The credential id, base64url (the factor profile's `credentialId`). */
  readonly id: string
  /** `{ attestation, clientData }` for an activation over `nonce`, as the page at `origin` sends it. */
  readonly create: (nonce: string, origin: string) => { readonly attestation: string; readonly clientData: string }
  /** `{ clientData, authenticatorData, signatureData }` over `nonce`; the counter moves up by one first. */
  readonly get: (nonce: string, origin: string) => { readonly clientData: string; readonly authenticatorData: string; readonly signatureData: string }
  /** Sets the signature counter (a cloned key's, going back). */
  readonly setCounter: (n: number) => void
}

/** SEC1 `ECPrivateKey` on P-256 (OID 1.2.840.10045.3.1.7) holding the scalar `d`; OpenSSL derives the public point. */
const p256PrivateKey = (d: Buffer) =>
  createPrivateKey({
    key: Buffer.concat([Buffer.from('30310201010420', 'hex'), d, Buffer.from('a00a06082a8648ce3d030107', 'hex')]),
    format: 'der',
    type: 'sec1',
  })

/**
 * A new authenticator for the relying party `rpId` (the host of the origin the API is served at).
 * Its key and credential id derive from `seed` (the factor id the enrollment answered), so a
 * command sequence replayed against a system with the same seed sends the same registration; only
 * the ECDSA signatures of assertions stay randomized, as node:crypto signs.
 */
export const createHarnessAuthenticator = (rpId: string, seed: string): HarnessAuthenticator => {
  // A SHA-256 digest is a valid P-256 scalar (nonzero, below the group order) except with
  // probability about 2^-32.
  const privateKey = p256PrivateKey(sha256(`harness key ${seed}`))
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' })
  const coord = (s: string | undefined) => Buffer.from(s ?? '', 'base64url')
  const credentialId = sha256(`harness credential ${seed}`).subarray(0, 16)
  const coseKey = cbor([
    [1, 2],
    [3, -7],
    [-1, 1],
    [-2, coord(jwk.x)],
    [-3, coord(jwk.y)],
  ])
  let counter = 0
  const u32 = (n: number) => {
    const b = Buffer.alloc(4)
    b.writeUInt32BE(n >>> 0)
    return b
  }
  const clientData = (type: string, nonce: string, origin: string) => Buffer.from(JSON.stringify({ type, challenge: challengeOf(nonce), origin, crossOrigin: false }), 'utf8')
  return {
    id: credentialId.toString('base64url'),
    create: (nonce, origin) => {
      const len = Buffer.alloc(2)
      len.writeUInt16BE(credentialId.length)
      // Flags: user present, user verified, attested credential data.
      const authData = Buffer.concat([sha256(rpId), Buffer.of(0x45), u32(counter), Buffer.alloc(16), len, credentialId, coseKey])
      const attestation = cbor([
        ['fmt', 'none'],
        ['attStmt', []],
        ['authData', authData],
      ])
      return { attestation: b64(attestation), clientData: b64(clientData('webauthn.create', nonce, origin)) }
    },
    get: (nonce, origin) => {
      counter += 1
      const authData = Buffer.concat([sha256(rpId), Buffer.of(0x05), u32(counter)])
      const data = clientData('webauthn.get', nonce, origin)
      const signature = sign('sha256', Buffer.concat([authData, sha256(data)]), privateKey)
      return { clientData: b64(data), authenticatorData: b64(authData), signatureData: b64(signature) }
    },
    setCounter: (n) => {
      counter = n
    },
  }
}
