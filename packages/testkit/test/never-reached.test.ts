import { describe, expect, it } from 'vitest'
import { SPEC_PAIRS, formatReport, neverReached } from '../src/index.js'

const all = (): Map<string, number> => new Map(Object.entries(SPEC_PAIRS).flatMap(([state, ops]) => ops.map((op) => [`${state} × ${op}(some detail)`, 1] as const)))

describe('the report of (state, operation) pairs never reached', () => {
  it('is empty when every pair the spec accepts was reached, whatever the details of the labels', () => {
    expect(neverReached(all())).toEqual([])
  })

  it('lists exactly the pairs not reached, in the table’s order; pairs outside the table do not count', () => {
    const coverage = all()
    coverage.delete('MFA_CHALLENGE × resendChallenge(some detail)')
    coverage.delete('R:RECOVERY × answerRecoveryQuestion(some detail)')
    coverage.set('DEAD × verifyFactor(right)', 3)
    coverage.set('MFA_REQUIRED × changePassword', 1)
    expect(neverReached(coverage)).toEqual(['MFA_CHALLENGE × resendChallenge', 'R:RECOVERY × answerRecoveryQuestion'])
    expect(neverReached(new Map())).toHaveLength(Object.values(SPEC_PAIRS).flat().length)
  })

  it('is printed with the report', () => {
    const text = formatReport({ ok: true, runs: 1, commands: 1, coverage: new Map([['NEW × authenticate(correct)', 1]]), neverReached: ['NEW × forgotPassword'], failure: null, exchanges: [], counterexample: null })
    expect(text).toContain('never reached')
    expect(text).toContain('  NEW × forgotPassword')
  })
})
