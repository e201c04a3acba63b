import * as t from 'io-ts'
import { FactorId } from './ids.js'
import { FactorType } from './status.js'

/**
 * The last one-time code sent in this transaction (SMS, voice call, email): only its keyed MAC,
 * bound to the transaction and factor (docs/adr/0010-sent-codes.md). Kept after it is used up or
 * accepted (`attemptsLeft: 0`), so the resend throttle of its family still holds.
 */
export const SentCode = t.type(
  {
    factorId: FactorId,
    factorType: FactorType,
    /** `SecretBox.mac` of the code; never the code. */
    codeMac: t.string,
    sentAt: t.number,
    /** The code is refused from this instant on. */
    expiresAt: t.number,
    /** Wrong answers still allowed; 0 once used up or accepted (single use). */
    attemptsLeft: t.number,
    /** No new code for this factor type before this instant; a send before it answers `throttledCode`. */
    resendAfter: t.number,
    throttledCode: t.keyof({ E0000109: null, E0000118: null, E0000133: null }),
  },
  'SentCode',
)
export type SentCode = t.TypeOf<typeof SentCode>
