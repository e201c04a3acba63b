export {
  U2F_VERSION,
  DEFAULT_TIMEOUT_SECONDS,
  registrationRequest,
  verifyRegistration,
  signRequest,
  verifySignature,
} from './protocol.js'
export type {
  U2fActivation,
  RegistrationAnswer,
  RegistrationExpectation,
  RegistrationFailure,
  RegistrationResult,
  U2fRegistration,
  U2fChallenge,
  U2fChallengeProfile,
  SignatureAnswer,
  SignatureExpectation,
  SignatureFailure,
  SignatureResult,
} from './protocol.js'
export { makeNonce, isNonce, NONCE_ALPHABET, NONCE_LENGTH } from './nonce.js'
export { REGISTRATION_TYP, AUTHENTICATION_TYP, checkClientData } from './client-data.js'
export type { ClientDataFailure, ClientDataCheck, ExpectedClientData } from './client-data.js'
export { parseRegistrationData, parseSignatureData, REGISTRATION_RESERVED_BYTE, USER_PRESENCE_FLAG } from './messages.js'
export type { RegistrationResponse, SignResponse } from './messages.js'
export { readDerElement, spkiOfCertificate } from './der.js'
export type { DerElement } from './der.js'
export { userKeyOf, P256_SPKI_PREFIX, USER_KEY_BYTES } from './keys.js'
export { decodeBase64, toBase64Url, toBase64 } from './base64.js'
export { createU2fFactor, U2fAnswer, U2fEnrollRequest, U2fProfile, U2fSecret } from './u2f-factor.js'
export type { U2fOptions } from './u2f-factor.js'
