import { test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { FACTOR_AMR, asTransactionId, asVersion, initialContext, replayAuthn, sessionFactsOf, type AuthnEvent, type LogEntry } from '../src/index.js'
import { arbRun } from './arbitraries.js'

/** A transaction's log as a store keeps it: the start context in the first entry, the state each event left. */
const logOf = (input: Parameters<typeof initialContext>[0], events: ReadonlyArray<AuthnEvent>): ReadonlyArray<LogEntry> => {
  const decisions = replayAuthn(initialContext(input), events)
  return events.map((event, i) => ({
    transactionId: asTransactionId('txnsessionfacts'),
    version: asVersion(i + 1),
    event,
    start: i === 0 ? initialContext(input) : null,
    state: decisions[i]?.state ?? 'FAILED',
  }))
}

describe('sessionFactsOf: how a session says its user authenticated (Sessions API amr, mfaActive)', () => {
  test.prop([arbRun], { numRuns: 500 })(
    'mfa and a factor time iff the core accepted a factor answer; pwd and a password time iff it accepted a password (never an activation token or a session)',
    ({ input, events }) => {
      const decisions = replayAuthn(initialContext(input), events)
      const accepted = events.filter((_, i) => decisions[i]?.failure === null)
      const factorAnswered = accepted.filter(
        (e) => ((e.type === 'factor.verify' || e.type === 'factor.activate') && e.outcome === 'accepted') || (e.type === 'factor.enroll' && e.activation === 'none'),
      )
      const password = accepted.filter((e) => (e.type === 'primary.verified' && input.flow === 'PASSWORD') || e.type === 'password.change' || e.type === 'password.reset')
      const facts = sessionFactsOf(logOf(input, events))
      expect(facts.amr.includes('mfa')).toBe(factorAnswered.length > 0)
      expect(facts.factorVerifiedAt).toBe(factorAnswered.at(-1)?.now ?? null)
      expect(facts.amr.includes('pwd')).toBe(password.length > 0)
      expect(facts.passwordVerifiedAt).toBe(password.at(-1)?.now ?? null)
      // Each reference at most once, the password first and mfa next.
      expect(new Set(facts.amr).size).toBe(facts.amr.length)
      if (facts.amr.includes('pwd')) expect(facts.amr[0]).toBe('pwd')
      for (const m of facts.amr) expect(['pwd', 'mfa', ...Object.values(FACTOR_AMR).flat()]).toContain(m)
    },
  )

  it('an empty log reports nothing', () => {
    expect(sessionFactsOf([])).toEqual({ amr: [], passwordVerifiedAt: null, factorVerifiedAt: null })
  })
})
