export {
  WEBAUTHN_ALGORITHMS,
  NONCE_LENGTH,
  creationOptions,
  requestOptions,
  makeNonce,
  isNonce,
  isCounterRegression,
  verifyRegistration,
  verifyAssertion,
  verifyAssertionAny,
} from './protocol.js'
export type {
  WebauthnAlgorithm,
  PublicKeyDescriptor,
  CreationOptionsInput,
  CreationOptions,
  RequestOptionsInput,
  RequestOptions,
  WebauthnFailure,
  RegisteredCredential,
  RegistrationResult,
  StoredCredential,
  AssertionResult,
  AnyAssertionResult,
  Expected,
  AttestationAnswer,
  AssertionAnswer,
} from './protocol.js'
export { decodeBase64, toBase64Url, toBase64 } from './base64.js'
export { isStrictDerEcdsaSignature } from './der.js'
export { createWebauthnFactor, WebauthnAnswer, WebauthnEnrollRequest, WebauthnProfile, WebauthnSecret } from './webauthn-factor.js'
export type { WebauthnOptions } from './webauthn-factor.js'
