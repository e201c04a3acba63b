// Shared by the recovery end-to-end files: an org whose user can recover by email, SMS and voice
// call, a quiet server on a manual clock, and readers for the codes and links the dev outbox
// receives (in the background: they are waited for).
import type { OutboundMessage } from '@authn-machine/core'
import { createManualClock, createTrivialHasher, type ManualClock } from '@authn-machine/testkit/fixtures'
import { expect } from 'vitest'
import type { RunningServer, StartOptions } from '../src/index.js'
import { demoSeed } from './support.js'

/** The phone number of {@link ROBIN}'s SMS and call factors. */
export const PHONE = '+14155552671'

/** The user of {@link phoneSeed}: an email address, a recovery question, SMS and voice call factors. */
export const ROBIN = {
  id: '00urecoverrobin0001',
  username: 'robin.recover@example.com',
  email: 'robin.mailbox@example.com',
  password: 'Right-Passw0rd-1',
  question: 'Who is your favourite author?',
  answer: 'Le Guin',
} as const

/** Dade's recovery question and answer in the demo seed. */
export const DADE_QUESTION = 'What was the name of your first computer?'
export const DADE_ANSWER = 'commodore'

/** The API token of trusted callers of {@link startRecoveryServer} (`Authorization: SSWS …`). */
export const RECOVERY_API_TOKEN = '00recovery-e2e-trusted-api-token-01234'
export const RECOVERY_TRUSTED = { authorization: `SSWS ${RECOVERY_API_TOKEN}` } as const

/** {@link ROBIN} as a seed user (with `id`, `factors` as given): an email address and a recovery question. */
export const robinSeedUser = (id: string, factors: ReadonlyArray<Record<string, unknown>>) => ({
  id,
  login: ROBIN.username,
  email: ROBIN.email,
  firstName: 'Robin',
  lastName: 'Recover',
  password: ROBIN.password,
  recoveryQuestion: { question: ROBIN.question, answer: ROBIN.answer },
  factors,
})

/** An org with {@link ROBIN}: recovery by every channel, self-service unlock, lockout after 3 failures (shown). */
export const phoneSeed = () => ({
  users: [
    robinSeedUser(ROBIN.id, [
      { factorType: 'sms', provider: 'OKTA', phoneNumber: PHONE, id: 'mblrobinrecover0001' },
      { factorType: 'call', provider: 'OKTA', phoneNumber: PHONE, id: 'clfrobinrecover0001' },
    ]),
  ],
  policies: {
    password: { lockout: { maxAttempts: 3, autoUnlockMinutes: 0, showLockoutFailures: true } },
    recovery: { channels: { email: true, sms: true, call: true }, selfServicePasswordReset: true, selfServiceUnlock: true, questionRequired: true },
  },
})

export interface RecoveryServer {
  readonly server: RunningServer
  readonly clock: ManualClock
}

/**
 * Starts a server for `seed` (default: the demo org) on a manual clock, with a trivial hasher,
 * {@link RECOVERY_API_TOKEN}, and a dev outbox that keeps its messages but prints nothing.
 */
export const startRecoveryServer = async (start: (options: Partial<StartOptions>) => Promise<RunningServer>, seed: unknown = demoSeed()): Promise<RecoveryServer> => {
  const clock = createManualClock()
  const server = await start({ seed, clock, hasher: createTrivialHasher(), apiTokens: [RECOVERY_API_TOKEN], log: () => undefined })
  return { server, clock }
}

/** Lets deliveries already under way finish (a message that was going to arrive has by then). */
export const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 50))

/** Waits until `count` messages to `to` have been delivered; answers them newest first. */
export const delivered = async (server: RunningServer, to: string, count = 1): Promise<ReadonlyArray<OutboundMessage>> => {
  for (let waited = 0; waited < 5_000; waited += 10) {
    const messages = server.outbox.messages({ to })
    if (messages.length >= count) return messages
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error(`${count} message(s) to ${to} did not arrive; ${server.outbox.messages({ to }).length} did`)
}

/** The code in the newest of `count` messages to `to` (a call says its five digits twice). */
export const latestCode = async (server: RunningServer, to: string, count = 1): Promise<string> => {
  const m = (await delivered(server, to, count))[0]
  const digits = m?.text.replace(/\D/g, '') ?? ''
  return m?.channel === 'call' ? digits.slice(0, 5) : digits
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/**
 * The recovery token of the newest of `count` recovery emails to `to`, whose link must be the
 * server's `/signin/reset-password/<token>` or `/signin/unlock/<token>`.
 */
export const mailedToken = async (server: RunningServer, to: string, kind: 'reset-password' | 'unlock', count = 1): Promise<string> => {
  const m = (await delivered(server, to, count))[0]
  expect(m).toMatchObject({ channel: 'email', purpose: 'recovery-link' })
  const link = new RegExp(`${escapeRegExp(server.url)}/signin/${kind}/(\\S+)`).exec(m?.text ?? '')
  if (link?.[1] === undefined) throw new Error(`no ${kind} link in ${JSON.stringify(m?.text)}`)
  return decodeURIComponent(link[1])
}

/** A code of the same length as `code` that is surely not it. */
export const otherThan = (code: string): string => (code === '0'.repeat(code.length) ? '1' : '0').repeat(code.length)
