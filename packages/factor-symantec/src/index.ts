export { createSymantecFactor, symantecFactorWith, MALFORMED_ENROLL_CAUSES, DISABLED_CAUSE, UNAVAILABLE_CAUSE } from './symantec-factor.js'
export type { SymantecFactor, SymantecOptions } from './symantec-factor.js'
export { createVipClient, MAX_RESPONSE_BYTES } from './vip-client.js'
export type { VipClient, VipClientOptions, VipError } from './vip-client.js'
export { REASON, classify } from './reason-codes.js'
export type { ReasonClass } from './reason-codes.js'
export {
  VIP_NAMESPACE,
  VIP_PROTOCOL_VERSION,
  escapeXml,
  isRequestId,
  validateEnvelope,
  synchronizeEnvelope,
  parseVipStatus,
  parseVipRequest,
  responseEnvelope,
} from './soap.js'
export type { VipStatus, VipRequest } from './soap.js'
export { CredentialId, SymantecProfile, SymantecSecret, SymantecEnrollRequest, PassCodeAnswer, canonicalCredentialId, isSecurityCode } from './requests.js'
