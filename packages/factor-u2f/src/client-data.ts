import { decodeBase64 } from './base64.js'

/** `typ` of the client data the u2f JS API signs at registration (`u2f.register`). */
export const REGISTRATION_TYP = 'navigator.id.finishEnrollment'
/** `typ` of the client data the u2f JS API signs at authentication (`u2f.sign`). */
export const AUTHENTICATION_TYP = 'navigator.id.getAssertion'

/** What the server expects in a client data. */
export interface ExpectedClientData {
  readonly typ: typeof REGISTRATION_TYP | typeof AUTHENTICATION_TYP
  readonly nonce: string
  readonly appId: string
  /** Further origins accepted besides the app id (U2F "trusted facets"); none by default. */
  readonly facets?: ReadonlyArray<string>
}

/** Why a client data is refused: undecodable (`clientData`), or a field that differs. */
export type ClientDataFailure = 'clientData' | 'typ' | 'challenge' | 'origin'

/** A checked client data: the exact bytes the token hashed. */
export type ClientDataCheck = { readonly ok: true; readonly bytes: Buffer } | { readonly ok: false; readonly reason: ClientDataFailure }

const utf8 = new TextDecoder('utf-8', { fatal: true })

const parseJsonObject = (bytes: Uint8Array): Record<string, unknown> | null => {
  try {
    const value: unknown = JSON.parse(utf8.decode(bytes))
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null
  } catch {
    return null
  }
}

/**
 * Decodes (lenient base64) and checks a client data: a JSON object whose `typ` is the expected one,
 * whose `challenge` is the issued nonce and whose `origin` is the app id (or one of `facets`), all
 * compared as exact strings (no trailing-slash tolerance). `cid_pubkey` and other members are ignored.
 */
export const checkClientData = (encoded: string, expected: ExpectedClientData): ClientDataCheck => {
  const bytes = decodeBase64(encoded)
  const json = bytes === null ? null : parseJsonObject(bytes)
  if (bytes === null || json === null) return { ok: false, reason: 'clientData' }
  if (json['typ'] !== expected.typ) return { ok: false, reason: 'typ' }
  if (json['challenge'] !== expected.nonce) return { ok: false, reason: 'challenge' }
  const origin = json['origin']
  if (origin !== expected.appId && !(typeof origin === 'string' && (expected.facets ?? []).includes(origin))) return { ok: false, reason: 'origin' }
  return { ok: true, bytes }
}
