export {
  DUO_PREFIX,
  APP_PREFIX,
  AUTH_PREFIX,
  DUO_EXPIRE_SECONDS,
  APP_EXPIRE_SECONDS,
  IKEY_LENGTH,
  SKEY_LENGTH,
  MIN_AKEY_LENGTH,
  isDuoUsername,
  signRequest,
  signAuth,
  verifyResponse,
} from './protocol.js'
export type { DuoKeys, ResponseCheck, ResponseFailure } from './protocol.js'
export { makeNonce, isNonce, NONCE_ALPHABET, NONCE_LENGTH } from './nonce.js'
export { duoWebScriptPath } from './script.js'
export {
  createDuoFactor,
  applicationKeyFor,
  duoUsernameOf,
  DUO_LIFETIME_MS,
  DuoAnswer,
  DuoEnrollRequest,
  DuoProfile,
  DuoSecret,
  DuoUsername,
} from './duo-factor.js'
export type { DuoConfig, DuoOptions, DuoUsernameFormat } from './duo-factor.js'
