import * as TE from 'fp-ts/lib/TaskEither.js'
import { DEFAULT_POLICIES, type Policies, type PolicySource, type UserId } from '@authn-machine/core'

/** The same policies for everyone, with optional per-user overrides. */
export const createStaticPolicySource = (
  policies: Policies = DEFAULT_POLICIES,
  perUser: ReadonlyMap<UserId, Policies> = new Map(),
): PolicySource => ({
  forUser: (user) => TE.right(perUser.get(user.id) ?? policies),
})
