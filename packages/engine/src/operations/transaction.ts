import { pipe } from 'fp-ts/lib/function.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import {
  SessionTokenRequest,
  StateTokenRequest,
  failure,
  sessionFactsOf,
} from '@authn-machine/core'
import type { Authn, Call, Result, RedeemedSession } from '../api.js'
import { hashToken } from '../defaults.js'
import { failed, fromStore, storeFailure } from '../pipeline.js'
import type { StepError, Pipeline } from '../pipeline.js'

/** Operations on a transaction as such: skip, cancel, session-token redemption, the log. */
export const transactionOperations = (p: Pipeline): Pick<Authn, 'skip' | 'cancel' | 'redeemSessionToken' | 'readLog'> => {
  const { deps, mint, errorReply, decodeBody, finish, step, anyStep } = p

  const skip = (body: unknown, call: Call): Result =>
    finish(
      'skip',
      pipe(
        TE.fromEither(decodeBody(StateTokenRequest, 'stateTokenRequest')(body)),
        TE.chain(({ stateToken }) => {
          const sessionToken = mint.sessionToken()
          return step(
            'skip',
            stateToken,
            'transaction.skip',
            call,
            ({ now }) => TE.right({ type: 'transaction.skip', now, sessionTokenHash: hashToken(sessionToken) }),
            sessionToken,
          )
        }),
      ),
    )

  const cancel = (body: unknown, call: Call): Result<{ readonly relayState: string }> =>
    finish(
      'cancel',
      pipe(
        TE.fromEither(decodeBody(StateTokenRequest, 'stateTokenRequest')(body)),
        TE.chain(({ stateToken }) =>
          pipe(
            anyStep('cancel', stateToken, 'transaction.cancel', call, ({ now }) => TE.right({ type: 'transaction.cancel', now }), null),
            TE.map((r) => ({ status: 200, body: { relayState: typeof r.body['relayState'] === 'string' ? r.body['relayState'] : '' } })),
          ),
        ),
      ),
    )

  const redeemSessionToken = (body: unknown, _call: Call): Result<RedeemedSession> =>
    finish(
      'redeemSessionToken',
      pipe(
        TE.fromEither(decodeBody(SessionTokenRequest, 'sessionRequest')(body)),
        TE.chain(({ sessionToken }) =>
          pipe(
            deps.transactions.consumeToken(hashToken(sessionToken), 'session', deps.clock.now()),
            TE.mapLeft((e): StepError => (e._tag === 'NotFound' || e._tag === 'AlreadyConsumed' ? failed(failure('E0000004')) : fromStore(e))),
          ),
        ),
        // How the user authenticated, from the transaction's log replayed through the core.
        TE.chain((t) =>
          pipe(
            deps.transactions.readLog(t.transactionId),
            TE.mapLeft(fromStore),
            TE.map((log) => ({ status: 200, body: { userId: t.userId, transactionId: t.transactionId, ...sessionFactsOf(log) } })),
          ),
        ),
      ),
    )

  const readLog = (stateToken: string) =>
    pipe(
      deps.transactions.load(hashToken(stateToken), 0),
      TE.bindTo('record'),
      TE.bind('log', ({ record }) => deps.transactions.readLog(record.id)),
      TE.mapLeft((e) => errorReply(storeFailure(e).failure)),
    )

  return { skip, cancel, redeemSessionToken, readLog }
}
