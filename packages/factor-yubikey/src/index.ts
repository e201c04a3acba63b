export { createYubikeyFactor, MALFORMED_OTP_CAUSE } from './yubikey-factor.js'
export type { YubikeyOptions, YubikeyLocalOptions, YubikeyValidationModeOptions } from './yubikey-factor.js'
export { createYubikeyValidationFactor, yubikeyValidationFactorWith, YubikeyValidationSecret, VALIDATION_UNAVAILABLE_CAUSE } from './validation-mode.js'
export { createYubicoValidationClient, isNonce, readAnswer, MAX_ANSWER_BYTES } from './validation-client.js'
export type { YubicoValidationClient, YubicoValidationOptions, ValidationAnswer, ValidationError } from './validation-client.js'
export {
  VERIFY_PATH,
  WSAPI_STATUSES,
  isWsapiStatus,
  signedText,
  signatureOf,
  hasValidSignature,
  signed,
  decodeApiKey,
  parseWsapiAnswer,
  formatWsapiAnswer,
  verifyUrlOf,
} from './wsapi.js'
export type { WsapiStatus } from './wsapi.js'
export { keySourceOf } from './key-source.js'
export type { YubikeyKeySource, YubikeyKeyStoreError } from './key-source.js'
export { parseYubicoCsv, parseYubicoCsvRow, keySourceFromYubicoCsv } from './yubico-csv.js'
export {
  YubikeyKey,
  PublicId,
  PrivateId,
  AesKey,
  Serial,
  Position,
  canonicalPublicId,
  credentialIdOf,
  MIN_PUBLIC_ID_LENGTH,
  MAX_PUBLIC_ID_LENGTH,
  MAX_SERIAL,
} from './key.js'
export { YubikeySecret } from './secret.js'
export { PassCodeAnswer, YubikeyEnrollRequest, YubikeyProfile } from './requests.js'
export { checkOtp, splitOtp, TOKEN_MODHEX_LENGTH, MIN_OTP_LENGTH, MAX_OTP_LENGTH } from './otp.js'
export type { OtpCheck, OtpKey, SplitOtp } from './otp.js'
export { decryptToken, readToken, positionOf, TOKEN_BYTES, PRIVATE_ID_BYTES, CAPS_LOCK_FLAG, MAX_POSITION } from './token.js'
export type { YubikeyToken } from './token.js'
export { crc16, hasValidCrc, CRC_RESIDUE } from './crc16.js'
export { MODHEX_ALPHABET, isModhex, modhexToBytes, bytesToModhex } from './modhex.js'
