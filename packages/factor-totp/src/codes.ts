import { generate } from 'otplib'
import { guardrails, type HotpParameters } from '@authn-machine/factor-hotp'

/** How TOTP values are computed: the RFC 6238 parameters (T0 is always 0). */
export interface TotpParameters extends HotpParameters {
  /** X, the time step, in seconds. */
  readonly step: number
}

/** RFC 6238 §4: the TOTP value of `key` at Unix time `epochSeconds` (otplib). Rejects (never throws synchronously) on bad input. */
export const totpCode = (key: Uint8Array, epochSeconds: number, p: TotpParameters): Promise<string> =>
  generate({ strategy: 'totp', secret: key, epoch: epochSeconds, t0: 0, period: p.step, digits: p.digits, algorithm: p.algorithm, guardrails })

/** RFC 6238 §4.2: T, the time-step number of a Unix time. */
export const timeStepOf = (epochSeconds: number, step: number): number => Math.floor(epochSeconds / step)
