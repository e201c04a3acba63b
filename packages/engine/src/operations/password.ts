import { pipe } from 'fp-ts/lib/function.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import {
  ChangePasswordRequest,
  ResetPasswordRequest,
  meetsPasswordPolicy,
  passwordFeatures,
  type AuthnEvent,
  type PasswordCandidate,
  failure,
  type TransactionEvent,
  type TransactionRecord,
  type UserId,
  type UserRecord,
} from '@authn-machine/core'
import type { Authn, Call, Result } from '../api.js'
import { hashToken } from '../defaults.js'
import { failed, fromStore } from '../pipeline.js'
import type { StepError, Pipeline } from '../pipeline.js'

/** Password change and reset: the plaintext stays here; the machine gets its features and hash. */
export const passwordOperations = (p: Pipeline): Pick<Authn, 'changePassword' | 'resetPassword'> => {
  const { deps, mint, decodeBody, hasherFailed, finish, step, anyStep } = p

  // ---------------------------------------------------------------------------------------------
  // Password change and reset: the plaintext stays here; the machine gets its features and hash.

  const loadUser = (id: UserId) => pipe(deps.users.findById(id), TE.mapLeft(fromStore))

  /** Whether `plain` matches the current password or one of the last `historyCount - 1` earlier ones. */
  const reusesHistory = (user: UserRecord, plain: string, historyCount: number): TE.TaskEither<StepError, boolean> => {
    if (historyCount <= 0) return TE.right(false)
    const hashes = [user.credentials.passwordHash, ...user.credentials.passwordHistory.slice(0, historyCount - 1)].filter(
      (h): h is string => h !== null,
    )
    return pipe(
      TE.sequenceSeqArray(hashes.map((h) => pipe(deps.hasher.verify(h, plain), TE.mapLeft(hasherFailed)))),
      TE.map((matches) => matches.some(Boolean)),
    )
  }

  interface NewPasswordFacts {
    readonly candidate: PasswordCandidate
    readonly newPasswordHash: string | null
  }

  const newPasswordFacts = (record: TransactionRecord, user: UserRecord, plain: string): TE.TaskEither<StepError, NewPasswordFacts> => {
    const policy = record.context.policy.password
    return pipe(
      reusesHistory(user, plain, policy.age.historyCount),
      TE.map((reuses) => passwordFeatures(plain, { login: user.profile.login, firstName: user.profile.firstName, lastName: user.profile.lastName }, reuses)),
      TE.chain((candidate) =>
        meetsPasswordPolicy(policy, candidate)
          ? pipe(
              deps.hasher.hash(plain),
              TE.mapLeft(hasherFailed),
              TE.map((h) => ({ candidate, newPasswordHash: h as string | null })),
            )
          : TE.right({ candidate, newPasswordHash: null as string | null }),
      ),
    )
  }

  const changePassword = (body: unknown, call: Call): Result =>
    finish(
      'changePassword',
      pipe(
        TE.fromEither(decodeBody(ChangePasswordRequest, 'changePasswordRequest')(body)),
        TE.chain((req) => {
          const sessionToken = mint.sessionToken()
          return step(
            'changePassword',
            req.stateToken,
            'password.change',
            call,
            ({ record, now }) =>
              pipe(
                loadUser(record.context.userId),
                TE.chain((user) =>
                  pipe(
                    user.credentials.passwordHash === null
                      ? TE.right(false)
                      : pipe(deps.hasher.verify(user.credentials.passwordHash, req.oldPassword), TE.mapLeft(hasherFailed)),
                    TE.chain((oldOk): TE.TaskEither<StepError, NewPasswordFacts & { readonly oldOk: boolean }> =>
                      oldOk
                        ? pipe(
                            newPasswordFacts(record, user, req.newPassword),
                            TE.map((facts) => ({ oldOk, ...facts })),
                          )
                        : TE.right({
                            oldOk,
                            candidate: passwordFeatures('', { login: '', firstName: '', lastName: '' }, false),
                            newPasswordHash: null,
                          }),
                    ),
                  ),
                ),
                TE.map(
                  ({ oldOk, candidate, newPasswordHash }): AuthnEvent => ({
                    type: 'password.change',
                    now,
                    oldPasswordValid: oldOk,
                    candidate,
                    newPasswordHash,
                    revokeSessions: req.revokeSessions ?? false,
                    sessionTokenHash: hashToken(sessionToken),
                  }),
                ),
              ),
            sessionToken,
          )
        }),
      ),
    )

  const resetPassword = (body: unknown, call: Call): Result =>
    finish(
      'resetPassword',
      pipe(
        TE.fromEither(decodeBody(ResetPasswordRequest, 'resetPasswordRequest')(body)),
        TE.chain((req) => {
          const sessionToken = mint.sessionToken()
          // Both flows reset: a recovery's PASSWORD_RESET and an activation's (the event is the same).
          return anyStep(
            'resetPassword',
            req.stateToken,
            'password.reset',
            call,
            ({ record, now }) =>
              pipe(
                record.context.userId === null ? TE.left<StepError, UserRecord>(failed(failure('E0000011'))) : loadUser(record.context.userId),
                TE.chain((user) => newPasswordFacts(record, user, req.newPassword)),
                TE.map(
                  ({ candidate, newPasswordHash }): TransactionEvent => ({
                    type: 'password.reset',
                    now,
                    candidate,
                    newPasswordHash,
                    revokeSessions: req.revokeSessions ?? false,
                    sessionTokenHash: hashToken(sessionToken),
                  }),
                ),
              ),
            sessionToken,
          )
        }),
      ),
    )

  return { changePassword, resetPassword }
}
