import * as E from 'fp-ts/lib/Either.js'
import {
  emptyStepWrite,
  failure,
  type AuthnFailure,
  type EpochMs,
  type UserChange,
  type UserId,
  type UserRecord,
} from '@authn-machine/core'
import type { Authn, Result, LifecycleOperation, LifecycleJson } from '../api.js'
import { failed, lost, fromStore } from '../pipeline.js'
import type { Pipeline } from '../pipeline.js'

/** Administrators' lifecycle operations on a user, through the same atomic commit as every step. */
export const lifecycleOperations = (p: Pipeline): Pick<Authn, 'lifecycle'> => {
  const { deps, settings, audit, finish } = p

  /** When an operation does not apply to a user in its status, Okta's refusal. */
  const lifecycleRefusal = (op: LifecycleOperation, u: UserRecord): AuthnFailure | null => {
    switch (op) {
      case 'unlock':
        return u.lockedAt !== null || u.status === 'LOCKED_OUT' ? null : failure('E0000032')
      case 'suspend':
        return ['ACTIVE', 'PASSWORD_EXPIRED', 'LOCKED_OUT', 'RECOVERY'].includes(u.status)
          ? null
          : failure('E0000001', ['Cannot suspend a user that is not active'], 'user')
      case 'unsuspend':
        return u.status === 'SUSPENDED' ? null : failure('E0000001', ['Cannot unsuspend a user that is not suspended'], 'user')
      case 'expirePassword':
        return u.status === 'ACTIVE' || u.status === 'PASSWORD_EXPIRED' ? null : failure('E0000001', ['Cannot expire the password of a user that is not active'], 'user')
      case 'lock':
      case 'deactivate':
        return null
    }
  }

  const lifecycleChange = (op: LifecycleOperation, now: EpochMs): UserChange => (op === 'lock' ? { type: 'lock', at: now } : { type: op })

  const lifecycle = (userId: string, op: LifecycleOperation): Result<LifecycleJson> =>
    finish(`lifecycle.${op}`, async () => {
      const id = userId as UserId
      // An id no store could hold is unknown, without asking the store.
      if (userId.length === 0 || userId.length > 256 || userId.includes('\u0000')) return E.left(failed(failure('E0000007', [], 'user (User)')))
      // A concurrent credential change refuses the write (its epoch moved): read again and retry.
      for (let attempt = 0; ; attempt++) {
        // By id, or by login as Okta's Users API also accepts.
        const byId = await deps.users.findById(id)()
        const found = E.isLeft(byId) && byId.left._tag === 'NotFound' ? await deps.users.findByLogin(userId)() : byId
        if (E.isLeft(found))
          return E.left(found.left._tag === 'NotFound' ? failed(failure('E0000007', [], `${userId} (User)`)) : fromStore(found.left))
        const user = found.right
        const refused = lifecycleRefusal(op, user)
        if (refused !== null) return E.left(failed(refused))
        const now = deps.clock.now()
        const committed = await deps.steps.commit({
          ...emptyStepWrite(user.id, now),
          expectedEpoch: user.credentialEpoch,
          userChanges: [lifecycleChange(op, now)],
        })()
        if (E.isLeft(committed)) return E.left(fromStore(committed.left))
        if (committed.right._tag === 'Refused') {
          if (attempt < settings.conflictRetries) continue
          return E.left(lost)
        }
        await audit(`lifecycle.${op}`, null, user.id, now)()
        if (op !== 'expirePassword') return E.right({ status: 200, body: {} })
        const changedAt = user.credentials.passwordChangedAt
        return E.right({
          status: 200,
          body: {
            id: user.id,
            status: committed.right.user.status,
            passwordChanged: changedAt === null ? null : new Date(changedAt).toISOString(),
            profile: { login: user.profile.login, firstName: user.profile.firstName, lastName: user.profile.lastName },
          },
        })
      }
    })

  return { lifecycle }
}
