import { failure, type AuthnFailure } from '../errors/catalogue.js'
import type { SentCode } from '../model/sent-code.js'

/** The code a throttled send answers when the event carries no sent code (it always does today). */
const THROTTLE_FALLBACK = 'E0000047'

/** What a throttled send can answer: every code a sent code can carry, and the fallback (`failureOf` checks the converse). */
const THROTTLE_CODES = ['E0000109', 'E0000133', 'E0000118', THROTTLE_FALLBACK] as const satisfies ReadonlyArray<SentCode['throttledCode'] | typeof THROTTLE_FALLBACK>

/**
 * The failures of the machines whose error code is decided when the transition is taken (read
 * from the event or the context), by the name of the action that answers them: every code each
 * can answer, and where the code comes from. Every other failure of both machines is `fail` with
 * a literal code in the machine definition.
 *
 * The machines build these failures through `failureOf`, which accepts only a code listed here,
 * so the list cannot fall behind the implementation. The generated transition tables
 * (docs/machines, `pnpm run docs`) show these codes on the rows whose action is listed here.
 */
export const RUNTIME_FAILURES = {
  failThrottled: {
    codes: THROTTLE_CODES,
    source:
      'the family of the code the event would send (`SentCode.throttledCode`, set by the factor plug-in: SMS E0000109, voice call E0000133, email E0000118); E0000047 if the event carries no code',
  },
  failFactor: {
    codes: ['E0000068', 'E0000069', 'E0000082'],
    source:
      "the outcome of the factor answer carried by the event: a replayed one-time position E0000082; a wrong verification that locked the account E0000069 (an activation never locks); a server asking for the next code (RSA) E0000068 asking for it; any other wrong answer E0000068 (the answer or the passcode wording)",
  },
  failMinimumAge: {
    codes: ['E0000080'],
    source: "the password policy's minimum age (`minimumAgeCause` names it in the cause)",
  },
  failPasswordPolicy: {
    codes: ['E0000080'],
    source: "the password policy's complexity and history (`describeComplexity` lists the rules in the cause)",
  },
} as const satisfies Readonly<Record<string, { readonly codes: ReadonlyArray<AuthnFailure['code']>; readonly source: string }>>

export type RuntimeFailureAction = keyof typeof RUNTIME_FAILURES
export type RuntimeFailureCode<A extends RuntimeFailureAction> = (typeof RUNTIME_FAILURES)[A]['codes'][number]

/** The failure `action` answers with `code`, which must be one of the codes listed for it. */
export const failureOf = <A extends RuntimeFailureAction>(_action: A, code: RuntimeFailureCode<A>, causes: ReadonlyArray<string> = []): AuthnFailure =>
  failure(code, causes)

/** The code a throttled send answers: its family's, carried by the sent code. */
export const throttledFailure = (sent: SentCode | null | undefined): AuthnFailure => failureOf('failThrottled', sent?.throttledCode ?? THROTTLE_FALLBACK)
