// A software authenticator for the tests: one credential, made with node:crypto (ES256 on P-256,
// EdDSA on Ed25519, RS256 with a 2048-bit key), `none` or `packed` self attestation, a signature
// counter; CBOR by @simplewebauthn/server's helpers. What it returns is what the Sign-In Widget
// posts: standard base64 with padding (`btoa`).
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto'
import { isoCBOR } from '@simplewebauthn/server/helpers'

export type Alg = 'ES256' | 'EdDSA' | 'RS256'
export type Fmt = 'none' | 'packed'
export const ALGS: ReadonlyArray<Alg> = ['ES256', 'EdDSA', 'RS256']
export const FMTS: ReadonlyArray<Fmt> = ['none', 'packed']

const COSE_ALG: Readonly<Record<Alg, number>> = { ES256: -7, EdDSA: -8, RS256: -257 }

export const FLAG_UP = 0x01
export const FLAG_UV = 0x04
export const FLAG_AT = 0x40

/** Standard base64 with padding, as `btoa` writes it. */
export const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64')
/** base64url, no padding. */
export const b64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url')
/** The widget's `strToBin`: base64 or base64url to bytes. */
export const strToBin = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64'))

const sha256 = (data: Uint8Array | string): Buffer => createHash('sha256').update(data).digest()
const u16 = (n: number): Buffer => Buffer.from([(n >> 8) & 0xff, n & 0xff])
const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(n >>> 0)
  return b
}
const fromJwk = (s: string | undefined): Uint8Array => {
  if (s === undefined) throw new Error('missing JWK member')
  return Uint8Array.from(Buffer.from(s, 'base64url'))
}

interface KeyPair {
  readonly privateKey: KeyObject
  readonly cose: Uint8Array
}

const keyPairs = new Map<Alg, KeyPair>()

/** A key pair for `alg` and its COSE public key. Kept per algorithm unless `fresh` (RSA keys are slow to make). */
const keyPairFor = (alg: Alg, fresh: boolean): KeyPair => {
  const cached = keyPairs.get(alg)
  if (cached !== undefined && !fresh) return cached
  let pair: KeyPair
  if (alg === 'ES256') {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const jwk = publicKey.export({ format: 'jwk' })
    pair = { privateKey, cose: isoCBOR.encode(new Map<number, number | Uint8Array>([[1, 2], [3, -7], [-1, 1], [-2, fromJwk(jwk.x)], [-3, fromJwk(jwk.y)]])) }
  } else if (alg === 'EdDSA') {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519')
    const jwk = publicKey.export({ format: 'jwk' })
    pair = { privateKey, cose: isoCBOR.encode(new Map<number, number | Uint8Array>([[1, 1], [3, -8], [-1, 6], [-2, fromJwk(jwk.x)]])) }
  } else {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const jwk = publicKey.export({ format: 'jwk' })
    pair = { privateKey, cose: isoCBOR.encode(new Map<number, number | Uint8Array>([[1, 3], [3, -257], [-1, fromJwk(jwk.n)], [-2, fromJwk(jwk.e)]])) }
  }
  if (!fresh) keyPairs.set(alg, pair)
  return pair
}

const signWith = (alg: Alg, key: KeyObject, data: Uint8Array): Uint8Array => Uint8Array.from(sign(alg === 'EdDSA' ? null : 'sha256', data, key))

/** What the page's script posts after `navigator.credentials.create`. */
export interface OktaAttestation {
  readonly attestation: string
  readonly clientData: string
}
/** What it posts after `navigator.credentials.get`. */
export interface OktaAssertion {
  readonly clientData: string
  readonly authenticatorData: string
  readonly signatureData: string
}

export interface CeremonyOptions {
  /** The challenge string from Okta's options (the browser gets `strToBin` of it). */
  readonly challenge: string
  readonly origin: string
  /** The RP ID the authenticator hashes; default the authenticator's. */
  readonly rpId?: string
  /** clientDataJSON's `type`; default the right one. */
  readonly type?: string
  /** Authenticator data flags; default UP+UV (+AT at creation). */
  readonly flags?: number
}

export interface SoftAuthenticatorOptions {
  readonly alg: Alg
  readonly fmt?: Fmt
  readonly rpId: string
  /** The first counter value (sent at creation; each assertion adds `counterStep`). Default 0. */
  readonly counter?: number
  /** Added to the counter at each assertion; 0 for an authenticator that keeps no counter. Default 1. */
  readonly counterStep?: number
  /** A key pair of its own instead of the one shared per algorithm. */
  readonly freshKey?: boolean
}

export interface SoftAuthenticator {
  readonly credentialId: Uint8Array
  /** base64url of the credential id, as the factor profile shows it. */
  readonly id: string
  readonly counter: () => number
  /** Sets the counter (to test a regression). */
  readonly setCounter: (n: number) => void
  readonly create: (o: CeremonyOptions) => OktaAttestation
  readonly get: (o: CeremonyOptions) => OktaAssertion
}

const AAGUID = Buffer.from('5ca1ab1e0000400080000000c0ffee00', 'hex')

const clientDataOf = (o: CeremonyOptions, type: string): Buffer =>
  Buffer.from(JSON.stringify({ type: o.type ?? type, challenge: b64url(strToBin(o.challenge)), origin: o.origin, crossOrigin: false }), 'utf8')

export const createSoftAuthenticator = (opts: SoftAuthenticatorOptions): SoftAuthenticator => {
  const { alg, rpId } = opts
  const fmt = opts.fmt ?? 'packed'
  const step = opts.counterStep ?? 1
  const { privateKey, cose } = keyPairFor(alg, opts.freshKey ?? false)
  const credentialId = Uint8Array.from(randomBytes(32))
  let counter = opts.counter ?? 0
  return {
    credentialId,
    id: b64url(credentialId),
    counter: () => counter,
    setCounter: (n) => {
      counter = n
    },
    create: (o) => {
      const clientData = clientDataOf(o, 'webauthn.create')
      const authData = Buffer.concat([
        sha256(o.rpId ?? rpId),
        Buffer.from([o.flags ?? FLAG_UP | FLAG_UV | FLAG_AT]),
        u32(counter),
        AAGUID,
        u16(credentialId.length),
        credentialId,
        cose,
      ])
      const attStmt =
        fmt === 'none'
          ? new Map<string, number | Uint8Array>()
          : new Map<string, number | Uint8Array>([
              ['alg', COSE_ALG[alg]],
              ['sig', signWith(alg, privateKey, Buffer.concat([authData, sha256(clientData)]))],
            ])
      const attestationObject = isoCBOR.encode(
        new Map<string, string | Uint8Array | Map<string, number | Uint8Array>>([
          ['fmt', fmt],
          ['attStmt', attStmt],
          ['authData', Uint8Array.from(authData)],
        ]),
      )
      return { attestation: b64(attestationObject), clientData: b64(clientData) }
    },
    get: (o) => {
      counter += step
      const clientData = clientDataOf(o, 'webauthn.get')
      const authData = Buffer.concat([sha256(o.rpId ?? rpId), Buffer.from([o.flags ?? FLAG_UP | FLAG_UV]), u32(counter)])
      const signature = signWith(alg, privateKey, Buffer.concat([authData, sha256(clientData)]))
      return { clientData: b64(clientData), authenticatorData: b64(authData), signatureData: b64(signature) }
    },
  }
}

/** The same base64 in the other alphabet, without padding (what U2F-era clients and some Okta examples send). */
export const toUrlAlphabet = (s: string): string => s.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')

/** `s` (base64) with byte `index` (modulo the length) XORed with `mask` (1 to 255), in standard base64. */
export const flipByte = (s: string, index: number, mask: number): string => {
  const bytes = Buffer.from(s, 'base64')
  const i = index % bytes.length
  bytes[i] = (bytes[i] ?? 0) ^ mask
  return bytes.toString('base64')
}
