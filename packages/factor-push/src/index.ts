export type { PushChallenge, PushDeliveryError, PushGateway, PushTarget } from './gateway.js'
export { createPushMailbox, MAILBOX_DEPTH } from './mailbox.js'
export type { PushMailbox } from './mailbox.js'
export { numberChallengeOf } from './numbers.js'
export type { NumberChallenge } from './numbers.js'
export {
  createPushFactor,
  enrollmentUriOf,
  algorithmOf,
  PUSH_LIFETIME_MS,
  ACTIVATION_LIFETIME_MS,
  MAX_MESSAGE_AGE_S,
  ENROLLMENT_SCHEME,
  PushAnswer,
  PushDevice,
  PushEnrollRequest,
  PushProfile,
  PushRegistration,
  PushSecret,
} from './push-factor.js'
export type { PushConfig } from './push-factor.js'
export { createApnsGateway, apnsPayload, APNS_ORIGIN, APNS_DEFAULT_TIMEOUT_MS, APNS_DEFAULT_TOKEN_LIFETIME_MS, APNS_MAX_PAYLOAD_BYTES } from './apns.js'
export type { ApnsConfig, ApnsGateway, ApnsPayload } from './apns.js'
