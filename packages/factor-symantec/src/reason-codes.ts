/** VIP reason codes the factor reads (credential API, `Status/ReasonCode`, 4 hex digits). */
export const REASON = {
  /** Success. */
  success: '0000',
  /** The OTP is within the sync window but outside the look-ahead window: a second consecutive OTP is needed. */
  syncRequired: '4923',
  /** Bad token state (the credential is not usable: locked, inactive). */
  badTokenState: '4990',
  /** Operation not allowed on a disabled token. */
  disabled: '4993',
  /** The OTP is not valid (wrong, out of the windows, or already used). */
  invalidOtp: '49B5',
} as const

/** What a reason code means for the factor. */
export type ReasonClass = 'success' | 'invalid' | 'replayed' | 'syncRequired' | 'disabled' | 'unexpected'

/**
 * The class of a reason code. `replayCodes`: the codes the configured service uses for a code
 * used before (the public documentation names none; VIP answers a reused code as invalid, 49B5).
 */
export const classify = (reasonCode: string, replayCodes: ReadonlySet<string>): ReasonClass => {
  const code = reasonCode.toUpperCase()
  if (code === REASON.success) return 'success'
  if (replayCodes.has(code)) return 'replayed'
  if (code === REASON.invalidOtp) return 'invalid'
  if (code === REASON.syncRequired) return 'syncRequired'
  if (code === REASON.disabled || code === REASON.badTokenState) return 'disabled'
  return 'unexpected'
}
