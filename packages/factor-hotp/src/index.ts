export { createHotpFactor, hotpConfig, matchCounter, nextCounter, seedTokenFactor, HOTP_DEFAULTS, HOTP_ENROLL_REFUSAL } from './hotp-factor.js'
export type { HotpConfig, HotpOptions } from './hotp-factor.js'
export { hotpCode, isWellFormedPassCode, sameCode, guardrails } from './codes.js'
export type { HotpParameters, OtpAlgorithm, OtpDigits } from './codes.js'
export { PassCodeAnswer, TokenEnrollRequest, TokenProfile } from './requests.js'
export {
  SharedSecret,
  canonicalSecret,
  encodeSecret,
  secretBytes,
  MIN_SECRET_BYTES,
  MAX_SECRET_BYTES,
  GENERATED_SECRET_BYTES,
} from './shared-secret.js'
