import { createECDH, createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto'
import { AUTHENTICATION_TYP, REGISTRATION_TYP } from '../src/index.js'

/** FIDO U2F Raw Message Formats, registration example: the attestation key and certificate ("PilotGnubby-0.4.1-…"). */
export const SPEC_ATTESTATION = {
  privateKey: 'f3fccc0d00d8031954f90864d43c247f4bf5f0665c6b50cc17749a27d1cf7664',
  publicKey:
    '048d617e65c9508e64bcc5673ac82a6799da3c1446682c258c463fffdf58dfd2fa3e6c378b53d795c4a4dffb4199edd7862f23abaf0203b4b8911ba0569994e101',
  certificate:
    '3082013c3081e4a003020102020a47901280001155957352300a06082a8648ce3d0403023017311530130603550403130c476e756262792050696c6f74301e170d3132303831343138323933325a170d3133303831343138323933325a3031312f302d0603550403132650696c6f74476e756262792d302e342e312d34373930313238303030313135353935373335323059301306072a8648ce3d020106082a8648ce3d030107034200048d617e65c9508e64bcc5673ac82a6799da3c1446682c258c463fffdf58dfd2fa3e6c378b53d795c4a4dffb4199edd7862f23abaf0203b4b8911ba0569994e101300a06082a8648ce3d0403020347003044022060cdb6061e9c22262d1aac1d96d8c70829b2366531dda268832cb836bcd30dfa0220631b1459f09e6330055722c8d89b7f48883b9089b88d60d1d9795902b30410df',
} as const

const sha256 = (data: Uint8Array | string): Buffer => createHash('sha256').update(data).digest()

/** A P-256 key pair from a private scalar (hex): the private key and the 65-byte uncompressed point. */
export const p256KeyPair = (privateHex: string): { readonly privateKey: KeyObject; readonly point: Buffer } => {
  const ecdh = createECDH('prime256v1')
  ecdh.setPrivateKey(Buffer.from(privateHex, 'hex'))
  const point = ecdh.getPublicKey()
  const jwk = {
    kty: 'EC',
    crv: 'P-256',
    d: Buffer.from(privateHex, 'hex').toString('base64url'),
    x: point.subarray(1, 33).toString('base64url'),
    y: point.subarray(33, 65).toString('base64url'),
  }
  return { privateKey: createPrivateKey({ key: jwk, format: 'jwk' }), point }
}

/** A fresh P-256 key pair, as `p256KeyPair` gives it. */
export const freshKeyPair = (): { readonly privateKey: KeyObject; readonly point: Buffer } => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const jwk = publicKey.export({ format: 'jwk' })
  return { privateKey, point: Buffer.concat([Buffer.of(0x04), Buffer.from(jwk.x ?? '', 'base64url'), Buffer.from(jwk.y ?? '', 'base64url')]) }
}

/** The client data a browser's u2f JS API builds (`cid_pubkey` "unused", as in Okta's examples). */
export const clientDataOf = (typ: string, challenge: string, origin: string): string =>
  JSON.stringify({ typ, challenge, origin, cid_pubkey: 'unused' })

/** Websafe base64 without padding, as the u2f JS API encodes everything. */
export const websafe = (bytes: Uint8Array | string): string => Buffer.from(bytes).toString('base64url')

/** The attestation a software token presents: its key and its certificate (DER). */
export interface Attestation {
  readonly privateKey: KeyObject
  readonly certificate: Uint8Array
}

/** The spec's attestation key and certificate, reused by the software token. */
export const specAttestation = (): Attestation => ({
  privateKey: p256KeyPair(SPEC_ATTESTATION.privateKey).privateKey,
  certificate: Buffer.from(SPEC_ATTESTATION.certificate, 'hex'),
})

/** The raw registration response: `0x05 | user key | L | key handle | certificate | signature`. */
export const registrationResponse = (input: {
  readonly appId: string
  readonly clientData: Uint8Array | string
  readonly userKey: Uint8Array
  readonly keyHandle: Uint8Array
  readonly attestation: Attestation
}): Buffer => {
  const signed = Buffer.concat([Buffer.of(0x00), sha256(input.appId), sha256(input.clientData), input.keyHandle, input.userKey])
  const signature = sign('sha256', signed, input.attestation.privateKey)
  return Buffer.concat([Buffer.of(0x05), input.userKey, Buffer.of(input.keyHandle.length), input.keyHandle, input.attestation.certificate, signature])
}

/** The raw sign response: `userPresence | counter (uint32 BE) | signature`. */
export const signResponse = (input: {
  readonly appId: string
  readonly clientData: Uint8Array | string
  readonly userPresence: number
  readonly counter: number
  readonly privateKey: KeyObject
}): Buffer => {
  const prefix = Buffer.alloc(5)
  prefix.writeUInt8(input.userPresence, 0)
  prefix.writeUInt32BE(input.counter, 1)
  const signature = sign('sha256', Buffer.concat([sha256(input.appId), prefix, sha256(input.clientData)]), input.privateKey)
  return Buffer.concat([prefix, signature])
}

/** What `u2f.register` answers. */
export interface RegisterResponse {
  readonly registrationData: string
  readonly clientData: string
}
/** What `u2f.sign` answers. */
export interface SignResponse {
  readonly signatureData: string
  readonly clientData: string
  readonly keyHandle: string
}

/**
 * A software U2F token (node:crypto): it registers a fresh P-256 user key per registration
 * under a random 64-byte key handle, signs with the attestation key it is given, and keeps one
 * counter per key handle. `origin` defaults to the app id, as a browser on the org's page sets it;
 * `typ`, `userPresence` and `counter` can be overridden to build wrong answers.
 */
export const createSoftwareToken = (attestation: Attestation = specAttestation()) => {
  const credentials = new Map<string, { readonly privateKey: KeyObject; readonly appId: string; counter: number }>()
  return {
    register: (appId: string, challenge: string, options: { readonly origin?: string; readonly typ?: string } = {}): RegisterResponse => {
      const { privateKey, point } = freshKeyPair()
      const keyHandle = randomBytes(64)
      const clientData = clientDataOf(options.typ ?? REGISTRATION_TYP, challenge, options.origin ?? appId)
      credentials.set(websafe(keyHandle), { privateKey, appId, counter: 0 })
      const data = registrationResponse({ appId, clientData, userKey: point, keyHandle, attestation })
      return { registrationData: websafe(data), clientData: websafe(clientData) }
    },
    sign: (
      appId: string,
      challenge: string,
      keyHandle: string,
      options: { readonly origin?: string; readonly typ?: string; readonly userPresence?: number; readonly counter?: number } = {},
    ): SignResponse => {
      const credential = credentials.get(keyHandle)
      if (credential === undefined) throw new Error(`unknown key handle ${keyHandle}`)
      credential.counter = options.counter ?? credential.counter + 1
      const clientData = clientDataOf(options.typ ?? AUTHENTICATION_TYP, challenge, options.origin ?? appId)
      const data = signResponse({ appId, clientData, userPresence: options.userPresence ?? 0x01, counter: credential.counter, privateKey: credential.privateKey })
      return { signatureData: websafe(data), clientData: websafe(clientData), keyHandle }
    },
  }
}
export type SoftwareToken = ReturnType<typeof createSoftwareToken>
