// Model
export {
  TransactionId,
  UserId,
  FactorId,
  TokenHash,
  Version,
  asTransactionId,
  asUserId,
  asFactorId,
  asTokenHash,
  asVersion,
} from './model/ids.js'
export type { EpochMs } from './model/ids.js'
export {
  AUTHN_STATUSES,
  MACHINE_STATES,
  AuthnStatus,
  MachineState,
  RecoveryType,
  UserStatus,
  FactorType,
  FactorProvider,
  FactorStatus,
  FactorResult,
  EnrollmentRequirement,
} from './model/status.js'
export { FactorRecord } from './model/factor.js'
export { UserRecord, UserProfile, UserCredentials, EnrolledFactor, RecoveryQuestion } from './model/user.js'
export {
  Policies,
  PasswordPolicy,
  PasswordComplexity,
  PasswordAge,
  LockoutPolicy,
  SignOnPolicy,
  EnrollmentPolicy,
  EnrollableFactor,
  DEFAULT_POLICIES,
  SentCodePolicy,
  DEFAULT_SENT_CODE_POLICY,
  RecoveryPolicy,
  DEFAULT_RECOVERY_POLICY,
} from './model/policy.js'
export { AuthnEvent, FactorOutcome, PasswordCandidateCodec } from './model/events.js'
export { App, AppId, AppProtocol, AppSignOnPolicy, AbsoluteHttpUrl, DEFAULT_APP_SIGN_ON } from './model/app.js'
export { SentCode } from './model/sent-code.js'
export type { AuthnEventType } from './model/events.js'
// Errors
export { ERROR_CATALOGUE, CAUSES, failure, errorSummary, httpStatusOf, renderError } from './errors/catalogue.js'
export type { AuthnFailure, ErrorCode, OktaErrorBody } from './errors/catalogue.js'
// Codecs
export { TransactionRecord, AuthnRecord, RecoveryRecord, TransactionEvent, TransactionContext, LogEntry, IssuedToken } from './codecs/transaction-record.js'
export {
  PrimaryAuthRequest,
  StateTokenRequest,
  StepUpRequest,
  ProfileOnlyEnrollRequest,
  ChangePasswordRequest,
  ResetPasswordRequest,
  SessionTokenRequest,
  EnrollFactorRequest,
  FactorAnswerRequest,
  FactorResendRequest,
  DuoCallbackRequest,
  PushDeviceActivationRequest,
  PushChallengesRequest,
  PushAnswerRequest,
  RecoveryStartRequest,
  RecoveryVerifyRequest,
  RecoveryTokenRequest,
  RecoveryAnswerRequest,
  flagValue,
  describeDecodeErrors,
} from './codecs/requests.js'
export { annotate, toJsonSchema, AnnotatedType } from './codecs/json-schema.js'
export type { JsonSchema, JsonSchemaOptions, JsonType } from './codecs/json-schema.js'
export {
  TransactionObject,
  EmbeddedObject,
  UserObject,
  FactorObject,
  PasswordPolicyObject,
  RememberDevicePolicyObject,
  LinkObject,
  LinksObject,
  CancelObject,
  PushDeviceObject,
  PushChallengesObject,
  PushAnswerObject,
  ErrorObject,
  SessionObject,
  LifecycleObject,
  SecurityQuestionObject,
  RecoveryFactorType,
  DateTimeString,
  UrlString,
  RESPONSE_OBJECT_CODECS,
} from './codecs/responses.js'
export { OPERATION_CODECS } from './codecs/operation-codecs.js'
export type { OperationCodecs } from './codecs/operation-codecs.js'
// Policy (pure rules)
export { nextStep, EVALUATION_ORDER } from './policy/evaluation.js'
export type { NextStep, EvaluationFacts } from './policy/evaluation.js'
export {
  passwordFeatures,
  meetsPasswordPolicy,
  describeComplexity,
  isWithinMinimumAge,
  passwordExpiresAt,
  daysUntil,
  DAY,
} from './policy/password-rules.js'
export type { PasswordCandidate } from './policy/password-rules.js'
export { isLockedAt, failureLocks, nextLockoutState, effectiveLockout } from './policy/lockout.js'
export type { LockoutCounters } from './policy/lockout.js'
export { applyUserChange, blankUser, changeMovesEpoch, changeRevokesSessions, decoyOf, DECOY_COUNT, isLeaseLive, lockedNow, settleAttempt } from './policy/credential.js'
// Machines
export { authnMachine, EFFECT_TYPES } from './machines/authn-machine.js'
export { RUNTIME_FAILURES, failureOf } from './machines/failure-codes.js'
export type { RuntimeFailureAction, RuntimeFailureCode } from './machines/failure-codes.js'
export type { AuthnMachine, AuthnEffect, AuthnEffects } from './machines/authn-machine.js'
export { AuthnContext, AuthnOptions, UserSummary, Progress, initialContext } from './machines/authn-context.js'
export type { AuthnInput } from './machines/authn-context.js'
export { evaluationFacts, requiredEnrollmentMissing } from './machines/authn-facts.js'
export { decide, decideStart, precheck, startAuthn, restoreAuthn, replayAuthn } from './machines/decide.js'
export type { AuthnSnapshot, Decision } from './machines/decide.js'
// View
export { renderTransaction, renderStepUpStart, maskEmail, maskPhone } from './view/render.js'
export {
  StepUpContext,
  StepUpTicket,
  stepUpOf,
  appRequiresFactor,
  appDenies,
  renderTarget,
  renderAuthentication,
  STEP_UP_REDIRECT_PATH,
} from './machines/step-up.js'
export { renderRecovery, renderEmailChallenge, renderRecoveryTokenIssued } from './view/render-recovery.js'
export { recoveryMachine, RECOVERY_EFFECT_TYPES } from './machines/recovery-machine.js'
export type { RecoveryMachine, RecoveryEffect, RecoveryEffects } from './machines/recovery-machine.js'
export { RecoveryContext, RecoveryKind, RecoveryChannel, initialRecoveryContext, recoveryPolicyOf } from './machines/recovery-context.js'
export type { RecoveryInput } from './machines/recovery-context.js'
export { decideRecovery, decideRecoveryStart, precheckRecovery, restoreRecovery, startRecovery, replayRecovery } from './machines/recovery-decide.js'
export type { RecoverySnapshot, RecoveryDecision } from './machines/recovery-decide.js'
export { auditReplay } from './machines/audit-replay.js'
export type { AuditReplay, ReplayDivergence, ReplayStep } from './machines/audit-replay.js'
export { sessionFactsOf, FACTOR_AMR } from './machines/session-facts.js'
export type { SessionFacts } from './machines/session-facts.js'
export { RecoveryEvent } from './model/recovery-events.js'
export type { RecoveryEventType } from './model/recovery-events.js'
export type { DelegationView, HalLink, ResponseSecrets, TransactionJson } from './view/render.js'
// The operation table
export { OPERATIONS, LIFECYCLE_PATH_SEGMENTS, operationSpec } from './operations.js'
export type { FlowKind, OperationName, OperationSpec } from './operations.js'
// Ports
export * from './ports/index.js'
export { RateRule, RateLimitPolicy, DEFAULT_RATE_LIMIT_POLICY, SeedRateLimitPolicy, rateLimitsFromSeed } from './model/rate-limit.js'
export { OrgSeed, SeedApp, SeedUser, SeedFactor, SeedPolicies, SeedRecoveryPolicy, appFromSeed, policiesFromSeed, resolveRelativeDate, resolveRelativeDates } from './codecs/org-seed.js'
export { decodeStored } from './codecs/decode-stored.js'
