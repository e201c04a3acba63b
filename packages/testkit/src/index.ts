export { describeTransactionStore, makeRecord, uniqueHash, START as conformanceStartContext } from './transaction-store-suite.js'
export type { TransactionStoreSuiteOptions } from './transaction-store-suite.js'
export { describeUserStore } from './user-store-suite.js'
export type { UserStoreSuiteOptions } from './user-store-suite.js'
export { describeFactorStore } from './factor-store-suite.js'
export type { FactorStoreSuiteOptions, FactorStores } from './factor-store-suite.js'
export { describeAppSource } from './app-source-suite.js'
export type { AppSourceSuiteOptions } from './app-source-suite.js'
export { describeStepStore } from './step-store-suite.js'
export { describeRateLimiter } from './rate-limiter-suite.js'
export type { RateLimiterSuiteOptions } from './rate-limiter-suite.js'
export type { StepStoreSuiteOptions, StepStores } from './step-store-suite.js'
export { CREDENTIAL_PASSWORD, describeCredentialState } from './credential-suite.js'
export type { CredentialSuiteOptions, CredentialSystem } from './credential-suite.js'
export { run, expectLeft, expectRight } from './run.js'
export type { Driver, LifecycleOp, OutboxMessage, WireResponse } from './harness/driver.js'
export { runConformance, checkDeterminism, formatCounterexample, formatReport, neverReached, policyDraws, withPolicy, SPEC_PAIRS } from './harness/harness.js'
export type { Counterexample, CounterexampleStep, HarnessOptions, HarnessReport, PolicyDraw, System } from './harness/harness.js'
export { harnessSeeds } from './harness/seeds.js'
export { Model } from './harness/model.js'
export type { Exchange, Real } from './harness/commands.js'
export { ConformanceError } from './harness/commands.js'
export { createHttpDriver, postJson, readDevOutbox } from './harness/http-driver.js'
export type { HttpDriverOptions } from './harness/http-driver.js'
export { describeFactor, type FactorSuiteOptions, type FactorVector } from './factor-suite.js'
export { compareSamples, compareTimings, formatTimingComparison, mannWhitney, measureTimings, quantile, roundsOf, seededUniform, DEFAULT_TIMING_BOUNDS } from './timing.js'
export type { PracticalBound, TimedRequest, TimingBounds, TimingComparison, TimingDifference, TimingPlan, TimingSummary } from './timing.js'
export {
  describeUserExistenceTiming,
  expectAnswer,
  EXISTENCE_PASSWORD,
  EXISTENCE_PHONE,
  PRIMARY_AUTHENTICATION_CASES,
  RECOVERY_CASES,
  USER_EXISTENCE_CASES,
  USER_EXISTENCE_SEED,
} from './user-existence-suite.js'
export type { DriverRequest, PreparedUserExistenceCase, UserExistenceCase, UserExistenceSuiteOptions } from './user-existence-suite.js'
