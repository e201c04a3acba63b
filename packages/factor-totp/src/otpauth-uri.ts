import type { OtpAlgorithm, OtpDigits } from '@authn-machine/factor-hotp'

export interface OtpauthParameters {
  /** Who issues the code (the org's name); shown by the authenticator app. Empty: no issuer. */
  readonly issuer: string
  /** The account: the user's login. */
  readonly account: string
  /** Base32 key. */
  readonly secret: string
  readonly digits: OtpDigits
  /** Seconds. */
  readonly period: number
  readonly algorithm: OtpAlgorithm
}

/**
 * The `otpauth://totp/…` key URI (Google Authenticator's Key Uri Format) that the QR code carries:
 * label `issuer:account`, then `secret`, `issuer`, `algorithm`, `digits` and `period`, always all
 * of them (otplib's own builder leaves out default values).
 */
export const otpauthUri = (p: OtpauthParameters): string => {
  const label = p.issuer === '' ? encodeURIComponent(p.account) : `${encodeURIComponent(p.issuer)}:${encodeURIComponent(p.account)}`
  const params: ReadonlyArray<readonly [string, string]> = [
    ['secret', p.secret],
    ...(p.issuer === '' ? [] : [['issuer', p.issuer] as const]),
    ['algorithm', p.algorithm.toUpperCase()],
    ['digits', String(p.digits)],
    ['period', String(p.period)],
  ]
  return `otpauth://totp/${label}?${params.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}`
}
