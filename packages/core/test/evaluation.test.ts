import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import {
  EVALUATION_ORDER,
  decide,
  evaluationFacts,
  nextStep,
  type EvaluationFacts,
  type NextStep,
} from '../src/index.js'
import { DAY, T0, arbContext, arbProgress, arbStateOf } from './arbitraries.js'
import { snapshotOf } from './helpers.js'
import { modelFacts, modelNextStep } from './model.js'

const FACTS = ['mfaRequired', 'passwordExpired', 'enrollmentRequired', 'passwordWarn'] as const

/** All 16 combinations of the four facts. */
const ALL_FACTS: ReadonlyArray<EvaluationFacts> = Array.from({ length: 16 }, (_, n) => ({
  mfaRequired: (n & 8) !== 0,
  passwordExpired: (n & 4) !== 0,
  enrollmentRequired: (n & 2) !== 0,
  passwordWarn: (n & 1) !== 0,
}))

describe('evaluation order (spec §10.1 rows 6–10)', () => {
  it('is MFA required → password expired → enrollment required → password warn → SUCCESS', () => {
    expect(EVALUATION_ORDER).toEqual([
      ['MFA_REQUIRED', 'mfaRequired'],
      ['PASSWORD_EXPIRED', 'passwordExpired'],
      ['MFA_ENROLL', 'enrollmentRequired'],
      ['PASSWORD_WARN', 'passwordWarn'],
      ['SUCCESS', null],
    ])
  })

  it.each(ALL_FACTS.map((f) => [JSON.stringify(f), f] as const))('nextStep(%s)', (_, facts) => {
    const expected: NextStep = facts.mfaRequired
      ? 'MFA_REQUIRED'
      : facts.passwordExpired
        ? 'PASSWORD_EXPIRED'
        : facts.enrollmentRequired
          ? 'MFA_ENROLL'
          : facts.passwordWarn
            ? 'PASSWORD_WARN'
            : 'SUCCESS'
    expect(nextStep(facts)).toBe(expected)
  })

  it('covers the 16 combinations with 5 distinct answers, 8 of them MFA_REQUIRED and 1 SUCCESS', () => {
    const answers = ALL_FACTS.map(nextStep)
    expect(answers.filter((a) => a === 'MFA_REQUIRED')).toHaveLength(8)
    expect(answers.filter((a) => a === 'PASSWORD_EXPIRED')).toHaveLength(4)
    expect(answers.filter((a) => a === 'MFA_ENROLL')).toHaveLength(2)
    expect(answers.filter((a) => a === 'PASSWORD_WARN')).toHaveLength(1)
    expect(answers.filter((a) => a === 'SUCCESS')).toHaveLength(1)
  })

  test.prop([fc.record({ mfaRequired: fc.boolean(), passwordExpired: fc.boolean(), enrollmentRequired: fc.boolean(), passwordWarn: fc.boolean() }), fc.constantFrom(...FACTS)])(
    'a fact later in the order never overrides an earlier one',
    (facts, fact) => {
      const i = FACTS.indexOf(fact)
      const step = nextStep(facts)
      if (facts[fact]) expect(EVALUATION_ORDER.findIndex(([s]) => s === step)).toBeLessThanOrEqual(i)
      else expect(nextStep({ ...facts, [fact]: true })).toBe(EVALUATION_ORDER.findIndex(([s]) => s === step) < i ? step : EVALUATION_ORDER[i]?.[0])
    },
  )

  test.prop([arbContext, arbProgress, fc.integer({ min: T0 - 200 * DAY, max: T0 + 200 * DAY })])(
    'evaluationFacts matches the facts of the spec',
    (context, progress, now) => {
      expect(evaluationFacts(context, progress, now)).toEqual(modelFacts(context, progress, now))
      expect(nextStep(evaluationFacts(context, progress, now))).toBe(modelNextStep(modelFacts(context, progress, now)))
    },
  )
})

const ROUTED = {
  'primary.verified': {},
  'password.change': { passwordChanged: true },
  'password.reset': { passwordChanged: true },
  'transaction.skip': { warnHandled: true },
} as const

describe("the machine's route follows nextStep(evaluationFacts(...))", () => {
  test.prop([arbStateOf(['UNAUTHENTICATED', 'PASSWORD_WARN', 'PASSWORD_EXPIRED', 'PASSWORD_RESET'])], { numRuns: 2000 })(
    'after primary.verified, password.change, password.reset and transaction.skip',
    ({ state, context, event }) => {
      const d = decide(snapshotOf(state, context), event)
      const routed = Object.keys(ROUTED).includes(event.type)
      const moved = d.failure === null && d.state !== state && d.state !== 'CANCELLED'
      const special = d.state === 'LOCKED_OUT' || (state === 'UNAUTHENTICATED' && d.state === 'PASSWORD_RESET')
      fc.pre(routed && moved && !special)
      const update = ROUTED[event.type as keyof typeof ROUTED]
      expect(d.state).toBe(nextStep(evaluationFacts(context, { ...context.progress, ...update }, event.now)))
      expect(d.snapshot.context.progress).toEqual({ ...context.progress, ...update })
    },
  )
})
