import * as t from 'io-ts'
import { TokenHash } from './ids.js'

const Now = t.type({ now: t.number })

export const PasswordCandidateCodec = t.type(
  {
    length: t.number,
    lowerCase: t.number,
    upperCase: t.number,
    numbers: t.number,
    symbols: t.number,
    containsUsernamePart: t.boolean,
    containsFirstName: t.boolean,
    containsLastName: t.boolean,
    reusesHistory: t.boolean,
  },
  'PasswordCandidate',
)

const ev = <T extends string, P extends t.Props>(type: T, props: P) =>
  t.intersection([t.type({ type: t.literal(type) }), Now, t.type(props)], type)

/**
 * Every event of the authentication machine. Events are the operations together with their
 * already-checked outcomes; time (`now`) and fresh token hashes arrive inside them. They are what the
 * per-transaction log stores, so they never hold a plaintext secret.
 */
export const AuthnEvent = t.union(
  [
    /** The primary credential (password or activation token) was verified by the shell. */
    ev('primary.verified', { sessionTokenHash: TokenHash }),
    /**
     * The password did not match (or the user is unknown: then no machine runs at all). The
     * failure was recorded before deciding: `lockedAfter` is whether that left the account locked.
     */
    ev('primary.rejected', { lockedAfter: t.boolean }),
    /** Get the current state; extends the sliding expiry. */
    ev('transaction.read', {}),
    ev('transaction.cancel', {}),
    ev('transaction.previous', {}),
    ev('transaction.skip', { sessionTokenHash: TokenHash }),
    ev('password.change', {
      oldPasswordValid: t.boolean,
      candidate: PasswordCandidateCodec,
      /** PHC hash of the new password; null when the candidate was refused before hashing. */
      newPasswordHash: t.union([t.string, t.null]),
      revokeSessions: t.boolean,
      sessionTokenHash: TokenHash,
    }),
    ev('password.reset', {
      candidate: PasswordCandidateCodec,
      newPasswordHash: t.union([t.string, t.null]),
      revokeSessions: t.boolean,
      sessionTokenHash: TokenHash,
    }),
  ],
  'AuthnEvent',
)
export type AuthnEvent = t.TypeOf<typeof AuthnEvent>
export type AuthnEventType = AuthnEvent['type']
