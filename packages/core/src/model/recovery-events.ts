import * as t from 'io-ts'
import { TokenHash } from './ids.js'
import { PasswordCandidateCodec } from './events.js'
import { SentCode } from './sent-code.js'

const Now = t.type({ now: t.number })
const ev = <T extends string, P extends t.Props>(type: T, props: P) => t.intersection([t.type({ type: t.literal(type) }), Now, t.type(props)], type)

/** How the shell found an answer (a code, a recovery question's answer). */
const Outcome = t.keyof({ accepted: null, rejected: null }, 'RecoveryOutcome')

/**
 * Every event of the recovery machine (docs/adr/0012-recovery.md). As for authentication, events
 * carry checked outcomes, the time and fresh token hashes; never a plaintext secret.
 */
export const RecoveryEvent = t.union(
  [
    /** A code was made for the SMS or call channel: the first (`resend: false`) or a resend. */
    ev('recovery.challenge', { sent: SentCode, resend: t.boolean }),
    /** The transaction began with a recovery token the shell found valid and used up (email link, trusted caller). */
    ev('recovery.token', {}),
    /** The sent code was entered: the shell checked it against the open code of this transaction. */
    ev('recovery.verify', { outcome: Outcome }),
    /** The recovery question's answer, checked by the shell against the stored hash. */
    ev('recovery.answer', { outcome: Outcome, sessionTokenHash: TokenHash }),
    ev('password.reset', {
      candidate: PasswordCandidateCodec,
      newPasswordHash: t.union([t.string, t.null]),
      revokeSessions: t.boolean,
      sessionTokenHash: TokenHash,
    }),
    ev('transaction.read', {}),
    ev('transaction.cancel', {}),
  ],
  'RecoveryEvent',
)
export type RecoveryEvent = t.TypeOf<typeof RecoveryEvent>
export type RecoveryEventType = RecoveryEvent['type']
