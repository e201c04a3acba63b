import { describe, expect, it } from 'vitest'
import type { Driver, OutboxMessage, WireResponse } from '../src/harness/driver.js'
import { RECOVERY_CASES, sameAnswers } from '../src/user-existence-suite.js'

// The checks the recovery cases of the user-existence timing suite make besides the timing: the
// same answer for both sides, and a known side that really takes the known user's path. Without
// them a case could time two requests that differ in what they do, or compare a decoy with a decoy.

const challenge = (stateToken: unknown, extra: Readonly<Record<string, unknown>> = {}): WireResponse => ({
  status: 200,
  body: { stateToken, expiresAt: '2026-01-01T00:05:00.000Z', status: 'RECOVERY_CHALLENGE', factorType: 'SMS', _links: { next: { href: 'https://x/verify' } }, ...extra },
})

describe('sameAnswers', () => {
  it('accepts answers that differ only in per-request values (state token, expiry, error id)', () => {
    const check = sameAnswers(() => undefined)
    check(challenge('00a'))
    expect(() => check(challenge('00b', { expiresAt: '2026-01-01T00:06:00.000Z' }))).not.toThrow()
    const error = sameAnswers(() => undefined)
    error({ status: 403, body: { errorCode: 'E0000068', errorId: 'oae1', errorCauses: [{ errorSummary: 'x' }] } })
    expect(() => error({ status: 403, body: { errorCode: 'E0000068', errorId: 'oae2', errorCauses: [{ errorSummary: 'x' }] } })).not.toThrow()
  })

  it('refuses another status, another value, another field, another type of a per-request value, or what `expected` refuses', () => {
    const check = sameAnswers(() => undefined)
    check(challenge('00a'))
    expect(() => check({ ...challenge('00b'), status: 201 })).toThrow(/answers differ/)
    expect(() => check(challenge('00b', { factorType: 'CALL' }))).toThrow(/answers differ/)
    expect(() => check(challenge('00b', { _embedded: {} }))).toThrow(/answers differ/)
    expect(() => check(challenge(null))).toThrow(/answers differ/)
    const strict = sameAnswers((r) => {
      if (r.status !== 200) throw new Error('not 200')
    })
    expect(() => strict({ status: 403, body: {} })).toThrow('not 200')
  })
})

/** A driver whose recovery starts answer as for anyone, and whose outbox holds `sent`. */
const fakeDriver = (sent: ReadonlyArray<OutboxMessage> | null | undefined): Driver => {
  const answer = (body: unknown) =>
    Promise.resolve({ status: 200, body: { status: 'RECOVERY_CHALLENGE', factorResult: 'WAITING', factorType: (body as { factorType: string }).factorType, recoveryType: 'PASSWORD' } })
  return { forgotPassword: answer, advanceClock: () => false, ...(sent === undefined ? {} : { readOutbox: () => Promise.resolve(sent) }) } as unknown as Driver
}

describe('recovery cases', () => {
  const byEmail = RECOVERY_CASES.find((c) => c.name.startsWith('forgot password by EMAIL'))
  if (byEmail === undefined) throw new Error('no forgot-password-by-email case')

  it('need a driver that reads an outbox', async () => {
    await expect(byEmail.prepare(fakeDriver(undefined), 2)).rejects.toThrow(/dev outbox/)
    await expect(byEmail.prepare(fakeDriver(null), 2)).rejects.toThrow(/dev outbox/)
  })

  it('refuse to run when the known user is sent nothing: the known side would not be a known user', async () => {
    await expect(byEmail.prepare(fakeDriver([]), 2)).rejects.toThrow(/does not take the known user's path/)
  })
})
