import type { TaskEither } from 'fp-ts/lib/TaskEither.js'
import type { Policies } from '../model/policy.js'
import type { UserRecord } from '../model/user.js'
import type { StoreError } from './errors.js'

/** Facts about the request that policies may depend on. */
export interface RequestContext {
  readonly ip: string | null
  readonly userAgent: string | null
  /**
   * The device the binding vouches for: a trusted caller's (API token) `context.deviceToken`, or the
   * device cookie the binding set itself for a browser; null otherwise.
   */
  readonly deviceToken: string | null
  readonly trusted: boolean
}

/** The policies that apply to a user in a request context. */
export interface PolicySource {
  readonly forUser: (user: UserRecord, context: RequestContext) => TaskEither<StoreError, Policies>
}
