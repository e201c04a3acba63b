export type { StoreError } from './errors.js'
export { alreadyConsumed, conflict, corrupt, notFound, unavailable, versionConflict } from './errors.js'
export type { TransactionStore } from './transaction-store.js'
export type { UserStore } from './user-store.js'
export type {
  AttemptLease,
  AttemptOutcome,
  AttemptStatus,
  AttemptTicket,
  FactorChange,
  LoadedStep,
  CredentialState,
  StepOutcome,
  StepRefusal,
  StepStore,
  StepWrite,
  TransactionWrite,
  UserChange,
} from './step-store.js'
export { emptyStepWrite, isTransactionOnly } from './step-store.js'
export type { PolicySource, RequestContext } from './policy-source.js'
export type { AppSource } from './app-source.js'
export type { PushChallenge, PushDeliveryError, PushGateway, PushTarget } from './push-gateway.js'
export type { AuditEntry, AuditSink, Clock, Hasher, HasherError, Random } from './services.js'
export type {
  ChallengeContext,
  ChallengingFactor,
  DelegatingFactor,
  DelegationLinks,
  DelegationDevice,
  DeviceNotice,
  StartedDelegation,
  IssuedNonce,
  Registration,
  CodeMessage,
  CodePurpose,
  Delivery,
  DeliveryChannel,
  Enrollment,
  EnrollRequest,
  Factor,
  FactorBase,
  FactorContext,
  FactorKey,
  FactorSubject,
  SeededFactor,
  SendingFactor,
  Verification,
  VerifyingFactor,
} from './factor.js'
export { DUO_SCRIPT_PATH, factorKey, isChallenging, isDelegating, registered } from './factor.js'
export type { FactorStore } from './factor-store.js'
export type { SecretBox, SecretError } from './secret-box.js'
export type { DeliveryError, MessageSender, OutboundMessage } from './message-sender.js'
export type { CountedPoints, RateLimiter, RateState } from './rate-limiter.js'
export { countWith, rateStateOf } from './rate-limiter.js'
