import * as E from 'fp-ts/lib/Either.js'
import { StepUpTicket, type EpochMs, type SecretBox } from '@authn-machine/core'

/**
 * The state token of a step-up that waits for its user (UNAUTHENTICATED, docs/adr/0028-step-up.md):
 * the app and an expiry sealed by the SecretBox, stored nowhere. It starts `01` (a stored
 * transaction's starts `00`).
 */
const TICKET_PREFIX = '01'
/** Binds a sealed ticket to its purpose: no other sealed value of the engine opens as one. */
const TICKET_AAD = 'authn-machine/step-up-ticket'

/** Whether a state token is shaped as a step-up ticket rather than a stored transaction's. */
export const isStepUpTicket = (stateToken: string): boolean => stateToken.startsWith(TICKET_PREFIX)

/** The state token that carries `ticket`. */
export const sealTicket = (secrets: SecretBox, ticket: StepUpTicket): string =>
  `${TICKET_PREFIX}${secrets.encryptSecret(JSON.stringify(StepUpTicket.encode(ticket)), TICKET_AAD)}`

/** The ticket a state token seals, if it is one and is unexpired at `now`; null otherwise. */
export const openTicket = (secrets: SecretBox, stateToken: string, now: EpochMs): StepUpTicket | null => {
  if (!isStepUpTicket(stateToken)) return null
  const plain = secrets.decryptSecret(stateToken.slice(TICKET_PREFIX.length), TICKET_AAD)
  if (E.isLeft(plain)) return null
  let raw: unknown
  try {
    raw = JSON.parse(Buffer.from(plain.right).toString('utf8'))
  } catch {
    return null
  }
  const ticket = StepUpTicket.decode(raw)
  return E.isRight(ticket) && now < ticket.right.expiresAt ? ticket.right : null
}
