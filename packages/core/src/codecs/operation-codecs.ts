import * as t from 'io-ts'
import type { OperationName } from '../operations.js'
import { FactorId, UserId } from '../model/ids.js'
import { annotate } from './json-schema.js'
import {
  ChangePasswordRequest,
  DuoCallbackRequest,
  EnrollFactorRequest,
  FactorAnswerRequest,
  FactorResendRequest,
  PrimaryAuthRequest,
  PushAnswerRequest,
  PushChallengesRequest,
  PushDeviceActivationRequest,
  RecoveryAnswerRequest,
  RecoveryStartRequest,
  RecoveryTokenRequest,
  RecoveryVerifyRequest,
  ResetPasswordRequest,
  SessionTokenRequest,
  StateTokenRequest,
  StepUpRequest,
} from './requests.js'
import { CancelObject, LifecycleObject, PushAnswerObject, PushChallengesObject, PushDeviceObject, SessionObject, TransactionObject } from './responses.js'

/** The codecs of one operation of the table: what it reads and what it answers when it succeeds. */
export interface OperationCodecs {
  /**
   * The JSON body the operation decodes. Path parameters reach it as members of the same name
   * (overriding the body's), so they are among its members.
   */
  readonly request: t.Mixed
  /** Path parameters that are not members of the body. */
  readonly parameters: Readonly<Record<string, t.Mixed>>
  /** The body of its 200 answer. */
  readonly response: t.Mixed
}

const transaction = (request: t.Mixed, parameters: Readonly<Record<string, t.Mixed>> = {}): OperationCodecs => ({
  request,
  parameters,
  response: TransactionObject,
})

/** A body that is not read: nothing, or any JSON object (Users API operations). */
const IgnoredBody = annotate(t.UnknownRecord, { description: 'Not read: send no body, or `{}`.' })

/**
 * Every operation of the table with its request and response codecs.
 */
export const OPERATION_CODECS: Readonly<Record<OperationName, OperationCodecs>> = {
  authenticate: transaction(PrimaryAuthRequest),
  getState: transaction(StateTokenRequest),
  changePassword: transaction(ChangePasswordRequest),
  enrollFactor: transaction(EnrollFactorRequest),
  activateFactor: transaction(FactorAnswerRequest),
  pollFactorActivation: transaction(StateTokenRequest, { factorId: FactorId }),
  sendActivationLink: transaction(StateTokenRequest, { factorId: FactorId }),
  resendActivation: transaction(FactorResendRequest),
  duoCallback: transaction(DuoCallbackRequest, { factorId: FactorId }),
  verifyFactor: transaction(FactorAnswerRequest),
  resendChallenge: transaction(FactorResendRequest),
  forgotPassword: transaction(RecoveryStartRequest),
  unlockAccount: transaction(RecoveryStartRequest),
  verifyRecoveryFactor: transaction(RecoveryVerifyRequest),
  resendRecoveryChallenge: transaction(StateTokenRequest),
  verifyRecoveryToken: transaction(RecoveryTokenRequest),
  answerRecoveryQuestion: transaction(RecoveryAnswerRequest),
  resetPassword: transaction(ResetPasswordRequest),
  previous: transaction(StateTokenRequest),
  skip: transaction(StateTokenRequest),
  cancel: { request: StateTokenRequest, parameters: {}, response: CancelObject },
  redeemSessionToken: { request: SessionTokenRequest, parameters: {}, response: SessionObject },
  activatePushDevice: { request: PushDeviceActivationRequest, parameters: {}, response: PushDeviceObject },
  listPushChallenges: { request: PushChallengesRequest, parameters: {}, response: PushChallengesObject },
  answerPushChallenge: { request: PushAnswerRequest, parameters: {}, response: PushAnswerObject },
  openStepUp: transaction(StepUpRequest),
  lifecycle: { request: IgnoredBody, parameters: { userId: UserId }, response: LifecycleObject },
}
