import { createHash, createPrivateKey, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto'
import { SignJWT } from 'jose'

/**
 * A push device for the harness (docs/adr/0031-push.md): what an authenticator app sends to
 * `/api/v1/push/…`, written independently of `@authn-machine/factor-push/device`. It holds an
 * ES256 key and signs, with `jose`, the proof of possession of its activation, the assertion that
 * lists its challenges, and its answers: compact JWS for `aud` = the API's origin, `iat` = the
 * instant given (the system's clock, which the harness controls), `exp` = `iat` + 60 s.
 */
export interface HarnessPushDevice {
  /** The factor it answers for (the enrollment's factor id). */
  readonly factorId: string
  /** The origin the API is served at (the enrollment URI's `s`). */
  readonly origin: string
  /** Its public key, as the activation sends it (a P-256 JWK without private members). */
  readonly publicJwk: JsonWebKey
  /** The user id the activation answered, once activated. */
  userId: string | null
  /** The proof of possession of an activation: `sub` = the factor. */
  readonly proof: (now: number) => Promise<string>
  /** The assertion of a request for the pending challenges: `sub` = the factor. */
  readonly assertion: (now: number) => Promise<string>
  /** An answer to a challenge: approved with a number, or denied. */
  readonly answer: (challengeId: string, consent: 'APPROVED' | 'DENIED', selectedAnswer: number | undefined, now: number) => Promise<string>
}

/** The order of P-256: a private scalar is in [1, n - 1]. */
const P256_ORDER = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551')

const sha256 = (s: string): Buffer => createHash('sha256').update(s).digest()

/** A valid P-256 scalar derived from `seed` (SHA-256, the next counter on the rare digest out of range). */
const scalarOf = (seed: string): Buffer => {
  for (let i = 0; ; i++) {
    const d = sha256(`harness push key ${seed} ${i}`)
    const n = BigInt(`0x${d.toString('hex')}`)
    if (n > 0n && n < P256_ORDER) return d
  }
}

/** SEC1 `ECPrivateKey` on P-256 (OID 1.2.840.10045.3.1.7) holding the scalar `d`; OpenSSL derives the public point. */
const p256PrivateKey = (d: Buffer): KeyObject =>
  createPrivateKey({
    key: Buffer.concat([Buffer.from('30310201010420', 'hex'), d, Buffer.from('a00a06082a8648ce3d030107', 'hex')]),
    format: 'der',
    type: 'sec1',
  })

const seconds = (ms: number): number => Math.floor(ms / 1000)

/**
 * A device for the factor `factorId` of the API at `origin`. Its key derives from the factor id,
 * so a command sequence replayed against a system with the same seed registers the same key (the
 * factor's profile shows it, `keys[0].x5c[0]`); only the ECDSA signatures stay randomized, and
 * they are in requests, never in answers.
 */
export const createHarnessPushDevice = (factorId: string, origin: string): HarnessPushDevice => {
  const privateKey = p256PrivateKey(scalarOf(factorId))
  const { kty = 'EC', crv = 'P-256', x = '', y = '' } = createPublicKey(privateKey).export({ format: 'jwk' })
  const sign = (claims: Record<string, unknown>, now: number, subject?: string): Promise<string> => {
    const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'JWT' }).setAudience(origin).setIssuedAt(seconds(now)).setExpirationTime(seconds(now) + 60)
    return (subject === undefined ? jwt : jwt.setSubject(subject)).sign(privateKey)
  }
  return {
    factorId,
    origin,
    publicJwk: { kty, crv, x, y },
    userId: null,
    proof: (now) => sign({}, now, factorId),
    assertion: (now) => sign({}, now, factorId),
    answer: (challengeId, consent, selectedAnswer, now) => sign({ challengeId, consent, ...(selectedAnswer === undefined ? {} : { selectedAnswer }) }, now),
  }
}
