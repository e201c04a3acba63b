export { createAuthn, DEFAULT_SETTINGS, LIFECYCLE_OPERATIONS } from './authn.js'
export type {
  Authn,
  AuthnDeps,
  AuthnReply,
  AuthnSettings,
  Call,
  ErrorReply,
  LifecycleJson,
  LifecycleOperation,
  RedeemedSession,
  Reply,
  Result,
} from './authn.js'
export {
  ARGON2ID_OWASP,
  createArgon2Hasher,
  createMemoryAuditSink,
  createCryptoRandom,
  cryptoRandom,
  hashToken,
  systemClock,
  tokens,
} from './defaults.js'
export { seedOrg } from './seed.js'
export type { LoadedOrg, SeedError, SeedOptions } from './seed.js'
export { createInProcessDriver, createInProcessSystem } from './in-process-driver.js'
export type { InProcessResponse } from './in-process-driver.js'
export { checkKeyring, createSecretBox, parseKeyring, ephemeralKeyring } from './secrets.js'
export type { SecretKey, SecretKeyring } from './secrets.js'
export { createFactorRegistry } from './factors.js'
export type { FactorRegistry } from './factors.js'
export type { SeedDeps } from './seed.js'
export { createQueuedHasher } from './hash-queue.js'
export { argon2NeedsRehash, argon2ParamsOf, parseArgon2Hash, sameArgon2Params } from './argon2-params.js'
export type { Argon2Params } from './argon2-params.js'
export type { HashQueueOptions } from './hash-queue.js'
