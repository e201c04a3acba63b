import { timingSafeEqual } from 'node:crypto'
import { createGuardrails, generate } from 'otplib'
import { MIN_SECRET_BYTES } from './shared-secret.js'

export type OtpAlgorithm = 'sha1' | 'sha256' | 'sha512'
export type OtpDigits = 6 | 7 | 8

/** otplib refuses keys under 16 bytes by default; we accept Okta's 10-byte seeded keys too. */
export const guardrails = createGuardrails({ MIN_SECRET_BYTES })

/** How HOTP values are computed. */
export interface HotpParameters {
  readonly digits: OtpDigits
  readonly algorithm: OtpAlgorithm
}

/** RFC 4226 §5.3: the HOTP value of `key` at `counter` (otplib). Rejects (never throws synchronously) on bad input. */
export const hotpCode = (key: Uint8Array, counter: number, p: HotpParameters): Promise<string> =>
  generate({ strategy: 'hotp', secret: key, counter, digits: p.digits, algorithm: p.algorithm, guardrails })

/** A pass code is exactly `digits` ASCII digits. */
export const isWellFormedPassCode = (code: string, digits: OtpDigits): boolean => code.length === digits && /^[0-9]+$/.test(code)

/** Constant-time equality of two codes. */
export const sameCode = (a: string, b: string): boolean => {
  const x = Buffer.from(a, 'utf8')
  const y = Buffer.from(b, 'utf8')
  return x.length === y.length && timingSafeEqual(x, y)
}
