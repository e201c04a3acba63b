/**
 * The rules of Okta's classic Authentication API that the project implements, stated in the
 * project's own words: for each, the section of the spec digest it restates, Okta's public page
 * on it, the code that implements it and the tests that check it. `pnpm run docs` renders this
 * table as docs/reference/rules.md and fails when a file, a symbol or a test named here does not
 * exist (scripts/docs/reference.ts).
 *
 * - `implementedBy.symbol`: a name declared in the file (`const`, `function`, `interface`, …), or
 *   `outer.inner`: `inner` declared or used as an object key after the declaration of `outer`
 *   (a machine's guard or action, a function inside a factory).
 * - `testedBy.test`: text that occurs literally in the file: a test's title, or the name of an
 *   invariant the model-based harness reports.
 */
import { OKTA_ERRORS, OKTA_RATE_LIMITS, authn, core } from './sections.js'

export const FAMILIES = {
  START: 'Primary authentication and the evaluation order',
  TOKEN: 'Tokens and lifetimes',
  TX: 'Transaction operations and state enforcement',
  PWD: 'Passwords',
  LOCK: 'Lockout',
  MFA: 'Multifactor enrollment and verification',
  SENT: 'Codes sent by SMS, voice call and email',
  REC: 'Recovery: forgot password and unlock account',
  ERR: 'Errors',
  WIRE: 'Wire format',
  SEC: 'User existence and hostile input',
  RATE: 'Rate limits',
  STEP: 'Step-up to applications',
} as const

export type Family = keyof typeof FAMILIES

export interface Implementation {
  readonly file: string
  readonly symbol: string
}

export interface TestReference {
  readonly file: string
  readonly test: string
}

export interface Rule {
  readonly id: `AUTHN-${Family}-${number}`
  readonly title: string
  /** One to three sentences, in the project's words. */
  readonly statement: string
  /** Sections of the spec digest this rule restates, e.g. `10.1`, `9.3` (item 3 of §9). */
  readonly sections: ReadonlyArray<string>
  readonly okta: string
  readonly implementedBy: ReadonlyArray<Implementation>
  readonly testedBy: ReadonlyArray<TestReference>
}

// Files, named once.
const AUTHN_MACHINE = 'packages/core/src/machines/authn-machine.ts'
const RECOVERY_MACHINE = 'packages/core/src/machines/recovery-machine.ts'
const FACTS = 'packages/core/src/machines/authn-facts.ts'
const DECIDER = 'packages/core/src/machines/decider.ts'
const EVALUATION = 'packages/core/src/policy/evaluation.ts'
const LOCKOUT = 'packages/core/src/policy/lockout.ts'
const PASSWORD_RULES = 'packages/core/src/policy/password-rules.ts'
const CREDENTIAL = 'packages/core/src/policy/credential.ts'
const CATALOGUE = 'packages/core/src/errors/catalogue.ts'
const REQUESTS = 'packages/core/src/codecs/requests.ts'
const RENDER = 'packages/core/src/view/render.ts'
const RENDER_RECOVERY = 'packages/core/src/view/render-recovery.ts'
const OPERATIONS = 'packages/core/src/operations.ts'
const RATE_LIMIT_MODEL = 'packages/core/src/model/rate-limit.ts'
const STEP_STORE_PORT = 'packages/core/src/ports/step-store.ts'
const TRANSACTION_STORE_PORT = 'packages/core/src/ports/transaction-store.ts'
const FACTOR_PORT = 'packages/core/src/ports/factor.ts'
const ENGINE_API = 'packages/engine/src/api.ts'
const DEFAULTS = 'packages/engine/src/defaults.ts'
const PIPELINE = 'packages/engine/src/pipeline.ts'
const HASH_QUEUE = 'packages/engine/src/hash-queue.ts'
const SENT_CODES = 'packages/engine/src/sent-codes.ts'
const PRIMARY = 'packages/engine/src/operations/primary.ts'
const PASSWORD_OPS = 'packages/engine/src/operations/password.ts'
const FACTOR_OPS = 'packages/engine/src/operations/factors.ts'
const RECOVERY_OPS = 'packages/engine/src/operations/recovery.ts'
const TRANSACTION_OPS = 'packages/engine/src/operations/transaction.ts'
const HANDLER = 'packages/http/src/handler.ts'
const ROUTES = 'packages/http/src/routes.ts'
const CORS = 'packages/http/src/cors.ts'
const TRUST = 'packages/http/src/trust.ts'
const JSON_DEPTH = 'packages/http/src/json-depth.ts'
const READ_BODY = 'packages/http/src/read-body.ts'
const MEMORY_RATE_LIMITER = 'packages/adapter-memory/src/rate-limiter.ts'
const TOTP = 'packages/factor-totp/src/totp-factor.ts'
const HOTP = 'packages/factor-hotp/src/hotp-factor.ts'
const QUESTION = 'packages/factor-question/src/question-factor.ts'
const QUESTIONS = 'packages/factor-question/src/questions.ts'
const SMS = 'packages/factor-sms/src/sms-factor.ts'
const PHONE = 'packages/factor-sms/src/phone-number.ts'
const CALL = 'packages/factor-call/src/call-factor.ts'
const EMAIL = 'packages/factor-email/src/email-factor.ts'
const APP_MODEL = 'packages/core/src/model/app.ts'
const APP_SOURCE = 'packages/core/src/ports/app-source.ts'
const STEP_UP = 'packages/core/src/machines/step-up.ts'
const STEP_UP_OPS = 'packages/engine/src/operations/step-up.ts'
const STEP_UP_TICKET = 'packages/engine/src/step-up-ticket.ts'
const SEED = 'packages/core/src/codecs/org-seed.ts'
const WEBAUTHN = 'packages/factor-webauthn/src/webauthn-factor.ts'
const U2F = 'packages/factor-u2f/src/u2f-factor.ts'
const DUO = 'packages/factor-duo/src/duo-factor.ts'
const PUSH = 'packages/factor-push/src/push-factor.ts'
const DEVICE_OPS = 'packages/engine/src/operations/devices.ts'
const RSA = 'packages/factor-rsa/src/rsa-factor.ts'

// Tests, by file.
const T_DECIDE = 'packages/core/test/decide.test.ts'
const T_EVALUATION = 'packages/core/test/evaluation.test.ts'
const T_TRANSITIONS = 'packages/core/test/transitions.test.ts'
const T_GRAPH = 'packages/core/test/graph.test.ts'
const T_INVARIANTS = 'packages/core/test/invariants.test.ts'
const T_LOCKOUT = 'packages/core/test/lockout.test.ts'
const T_PASSWORD = 'packages/core/test/password-rules.test.ts'
const T_RENDER = 'packages/core/test/render.test.ts'
const T_CORE_RECOVERY = 'packages/core/test/recovery.test.ts'
const T_CODECS = 'packages/core/test/codecs.test.ts'
const T_ENGINE = 'packages/engine/test/engine.test.ts'
const T_MFA = 'packages/engine/test/mfa.test.ts'
const T_SENT = 'packages/engine/test/sent-codes.test.ts'
const T_RECOVERY = 'packages/engine/test/recovery.test.ts'
const T_LOCKOUT_RACES = 'packages/engine/test/lockout-races.test.ts'
const T_HASH_QUEUE = 'packages/engine/test/hash-queue.test.ts'
const T_TIMING = 'packages/engine/test/indistinguishable-users.test.ts'
const T_HANDLER = 'packages/http/test/handler.test.ts'
const T_HOSTILE = 'packages/http/test/hostile-input.test.ts'
const T_RATE = 'packages/http/test/rate-limits.test.ts'
const T_TRUSTED = 'packages/http/test/trusted-context.test.ts'
const T_LIFECYCLE = 'packages/http/test/lifecycle.test.ts'
const T_FUZZ = 'packages/http/test/fuzz.test.ts'
const T_OKTA_AUTH_JS = 'packages/server/test/okta-auth-js.e2e.test.ts'
const T_MFA_AUTH_JS = 'packages/server/test/mfa-okta-auth-js.e2e.test.ts'
const T_SENT_AUTH_JS = 'packages/server/test/sent-codes-okta-auth-js.e2e.test.ts'
const T_RECOVERY_AUTH_JS = 'packages/server/test/recovery-okta-auth-js.e2e.test.ts'
const T_SDK = 'packages/server/test/sdk-requests.e2e.test.ts'
const T_MFA_SDK = 'packages/server/test/mfa-sdk-requests.e2e.test.ts'
const T_MFA_ERRORS = 'packages/server/test/mfa-errors.ts'
const T_TWO_SERVERS = 'packages/server/test/two-servers.int.test.ts'
const T_CREDENTIAL_SUITE = 'packages/testkit/src/credential-suite.ts'
const T_STEP_SUITE = 'packages/testkit/src/step-store-suite.ts'
const T_TRANSACTION_SUITE = 'packages/testkit/src/transaction-store-suite.ts'
const T_RATE_SUITE = 'packages/testkit/src/rate-limiter-suite.ts'
const T_EXISTENCE_SUITE = 'packages/testkit/src/user-existence-suite.ts'
const T_HARNESS = 'packages/testkit/src/harness/commands.ts'
const T_HARNESS_SENT = 'packages/testkit/src/harness/sent-code-commands.ts'
const T_TOTP = 'packages/factor-totp/test/totp.test.ts'
const T_HOTP = 'packages/factor-hotp/test/hotp.test.ts'
const T_QUESTION = 'packages/factor-question/test/question.test.ts'
const T_SMS = 'packages/factor-sms/test/sms.test.ts'
const T_CALL = 'packages/factor-call/test/call.test.ts'
const T_EMAIL = 'packages/factor-email/test/email.test.ts'
const T_STEP_UP = 'packages/engine/test/step-up.test.ts'
const T_WEBAUTHN_FLOW = 'packages/server/test/webauthn-flow.test.ts'
const T_U2F_FLOW = 'packages/server/test/u2f-flow.test.ts'
const T_DUO_FLOW = 'packages/server/test/duo-flow.test.ts'
const T_PUSH_FLOW = 'packages/server/test/push-flow.test.ts'
const T_PUSH_MODEL = 'packages/server/test/push-model.test.ts'
const T_PUSH_FACTOR = 'packages/factor-push/test/push-factor.test.ts'
const T_PUSH_PG = 'packages/adapter-postgres/test/push.int.test.ts'
const T_PUSH_AUTH_JS = 'packages/server/test/push-okta-auth-js.e2e.test.ts'
const T_PUSH_RACES = 'packages/server/test/push-races.test.ts'
const T_PUSH_APNS = 'packages/server/test/push-apns.e2e.test.ts'
const T_RSA_E2E = 'packages/server/test/rsa.e2e.test.ts'
const T_RSA = 'packages/factor-rsa/test/rsa.test.ts'
const T_DUO_AUTH_JS = 'packages/server/test/duo-okta-auth-js.e2e.test.ts'
const T_APP_SUITE = 'packages/testkit/src/app-source-suite.ts'
const T_HARNESS_STEP_UP = 'packages/testkit/src/harness/step-up-commands.ts'

const impl = (file: string, ...symbols: ReadonlyArray<string>): ReadonlyArray<Implementation> => symbols.map((symbol) => ({ file, symbol }))
const tests = (file: string, ...titles: ReadonlyArray<string>): ReadonlyArray<TestReference> => titles.map((test) => ({ file, test }))

export const RULES: ReadonlyArray<Rule> = [
  // ------------------------------------------------------------------------------------- START
  {
    id: 'AUTHN-START-1',
    title: 'Primary authentication takes a password or an activation token',
    statement:
      'A new authentication transaction starts from a username and password, or from an activation token instead. A request with neither is refused as invalid (400 E0000001) with one cause per missing field; a state token alone reads the transaction instead (AUTHN-TX-2).',
    sections: ['4.1'],
    okta: authn('request-parameters-for-primary-authentication'),
    implementedBy: [...impl(PRIMARY, 'primaryOperations.authenticate', 'primaryOperations.byPassword'), ...impl(REQUESTS, 'PrimaryAuthRequest')],
    testedBy: [...tests(T_HANDLER, 'primary authentication answers SUCCESS with a session token'), ...tests(T_OKTA_AUTH_JS, 'signs in to SUCCESS; the session token is redeemed once at /api/v1/sessions')],
  },
  {
    id: 'AUTHN-START-2',
    title: 'One evaluation order after every step',
    statement:
      'Once the primary credential is settled, the next status is the first that applies of: MFA required, password expired, enrollment required, password warning, SUCCESS. Every completed step (password verified, changed or reset, warning skipped, factor verified or enrolled, enrollment skipped) runs the same order again with its progress applied.',
    sections: ['10.1', '4.1', '11.3'],
    okta: authn('primary-authentication'),
    implementedBy: [...impl(EVALUATION, 'nextStep', 'EVALUATION_ORDER'), ...impl(FACTS, 'evaluationFacts'), ...impl(AUTHN_MACHINE, 'route', 'authnMachine.nextIs')],
    testedBy: [
      ...tests(T_EVALUATION, 'is MFA required → password expired → enrollment required → password warn → SUCCESS', 'a fact later in the order never overrides an earlier one', 'after primary.verified, password.change, password.reset and transaction.skip'),
      ...tests(T_TRANSITIONS, 'decide does what the model says for any state, context and event'),
    ],
  },
  {
    id: 'AUTHN-START-3',
    title: 'MFA comes before the expired password',
    statement:
      'A user whose sign-on policy asks for a factor and who has an active one is asked for it (MFA_REQUIRED) before being told that the password has expired; the password change follows the verification.',
    sections: ['9.14', '4.1', '10.1'],
    okta: authn('primary-authentication-with-public-applications'),
    implementedBy: [...impl(EVALUATION, 'EVALUATION_ORDER'), ...impl(FACTS, 'evaluationFacts')],
    testedBy: [
      ...tests(
        T_INVARIANTS,
        'no SUCCESS without every required factor: with MFA required and an ACTIVE factor, SUCCESS only after one was verified or enrolled here (or from a remembered device); MFA_REQUIRED comes first',
      ),
      ...tests(T_TWO_SERVERS, 'password expired → change password → SMS enroll and activate, each step on the other process; the new password then works on both'),
    ],
  },
  {
    id: 'AUTHN-START-4',
    title: 'Checks before the evaluation order',
    statement:
      'Before the order runs, primary authentication refuses a locked account (AUTHN-LOCK-3) and a sign-on policy that denies access (401 E0000004, like a wrong password), and sends a user who activates without a password to PASSWORD_RESET.',
    sections: ['10.1', '4.1'],
    okta: authn('primary-authentication'),
    implementedBy: impl(AUTHN_MACHINE, 'authnMachine.isSignOnDenied', 'authnMachine.needsPasswordToActivate', 'authnMachine.isLockedOut'),
    testedBy: [
      ...tests(T_TRANSITIONS, 'decide does what the model says for any state, context and event'),
      ...tests(T_GRAPH, 'reaches every state the machine can reach, over representative orgs'),
    ],
  },
  {
    id: 'AUTHN-START-5',
    title: 'Activation tokens',
    statement:
      'An activation token from the Users API opens one transaction for a STAGED or PROVISIONED user: to PASSWORD_RESET (recoveryType ACCOUNT_ACTIVATION) when the user has no password, else through the evaluation order; the user is activated when the credential is settled. An unknown or used token is 401 E0000004, and of two parallel redemptions only one opens a transaction.',
    sections: ['4.1', '10.1', '3.1'],
    okta: authn('primary-authentication-with-activation-tokens'),
    implementedBy: [...impl(PRIMARY, 'primaryOperations.byActivationToken'), ...impl(AUTHN_MACHINE, 'authnMachine.markActivation', 'authnMachine.activateIfToken')],
    testedBy: [
      ...tests(T_HANDLER, 'activation token → PASSWORD_RESET → reset_password → SUCCESS'),
      ...tests(T_OKTA_AUTH_JS, 'activation token of a STAGED user → PASSWORD_RESET → resetPassword → SUCCESS'),
      ...tests(T_CREDENTIAL_SUITE, 'an activation token opens one transaction: of two parallel redemptions one wins; after activation the token is dead'),
    ],
  },
  // ------------------------------------------------------------------------------------- TOKEN
  {
    id: 'AUTHN-TOKEN-1',
    title: 'Tokens are random bearer secrets, stored only as hashes',
    statement:
      'State, session and recovery tokens are drawn from a strong random source (at least 128 bits) in the shapes of Okta’s examples. Only their SHA-256 hashes reach the core and the stores, so a copy of the database holds no live token.',
    sections: ['3.1'],
    okta: authn('tokens'),
    implementedBy: impl(DEFAULTS, 'tokens', 'hashToken'),
    testedBy: tests(T_ENGINE, 'tokens are random, at least 128 bits, in Okta shapes', 'never stores a token or password in clear'),
  },
  {
    id: 'AUTHN-TOKEN-2',
    title: 'The state token slides, up to an absolute cap',
    statement:
      'Every request that the state accepts moves expiresAt to now plus the state token lifetime (5 minutes by default), but never past an absolute cap from the start of the transaction (60 minutes by default). A refused operation or a dead token moves nothing.',
    sections: ['3.1', '9.5', '11.1'],
    okta: authn('state-token'),
    implementedBy: [...impl(AUTHN_MACHINE, 'authnMachine.touch'), ...impl(RECOVERY_MACHINE, 'recoveryMachine.touch'), ...impl(ENGINE_API, 'DEFAULT_SETTINGS')],
    testedBy: [
      ...tests(T_DECIDE, 'every accepted event that leaves the transaction live sets expiresAt = min(now + lifetimeMs, absoluteExpiresAt)'),
      ...tests(T_ENGINE, 'state tokens slide: every accepted request extends expiresAt by the configured lifetime', 'sliding stops at the absolute cap: the state token dies then, however busy'),
    ],
  },
  {
    id: 'AUTHN-TOKEN-3',
    title: 'A dead state token is 401 E0000011 everywhere',
    statement:
      'A state token that is unknown, expired, cancelled or belongs to a finished transaction is answered 401 E0000011 by every operation, before the machine looks at the request.',
    sections: ['3.1', '9.4', '9.5'],
    okta: authn('state-token'),
    implementedBy: impl(DECIDER, 'createDecider.decide', 'createDecider.precheck'),
    testedBy: [
      ...tests(T_DECIDE, 'finished states answer E0000011, changed: false', 'now >= expiresAt answers E0000011, changed: false, in every state'),
      ...tests(T_HANDLER, 'get state, change password, cancel and a later use of the cancelled token'),
    ],
  },
  {
    id: 'AUTHN-TOKEN-4',
    title: 'One session token per SUCCESS, used once, for five minutes',
    statement:
      'Every transition into SUCCESS issues exactly one session token, which the SUCCESS response carries instead of a state token. It can be exchanged once, within 5 minutes, for a session; an unknown, used or expired one is 401 E0000004.',
    sections: ['3.1', '9.6', '11.24', '11.2'],
    okta: authn('session-token'),
    implementedBy: [...impl(AUTHN_MACHINE, 'route', 'authnMachine.rememberSessionToken'), ...impl(TRANSACTION_OPS, 'transactionOperations.redeemSessionToken')],
    testedBy: [
      ...tests(T_INVARIANTS, 'every transition into SUCCESS emits exactly one issueSessionToken, for the event’s token; no other does'),
      ...tests(T_ENGINE, 'a session token is one-time and expires after 5 minutes'),
      ...tests(T_HANDLER, 'redeems a session token once into an Okta session object'),
      ...tests(T_HARNESS, 'SUCCESS carries a one-time session token'),
    ],
  },
  {
    id: 'AUTHN-TOKEN-5',
    title: 'A credential change ends the other transactions',
    statement:
      'A lock, an unlock, a suspension, a deactivation, a new password or an activation moves the user’s credential epoch, which ends every other live transaction of the user. A password change or reset with revokeSessions revokes the user’s unredeemed session tokens.',
    sections: ['4.5', '4.18', '9.5'],
    okta: authn('change-password'),
    implementedBy: [...impl(CREDENTIAL, 'changeMovesEpoch', 'changeRevokesSessions'), ...impl(AUTHN_MACHINE, 'authnMachine.revokeIfAsked'), ...impl(STEP_STORE_PORT, 'StepStore')],
    testedBy: [
      ...tests(T_CREDENTIAL_SUITE, 'every credential change ends the other live transactions of the user; the one that made it goes on', 'a lockout ends the live transactions of the user: skip after the lock answers 401 E0000011 and hands out no session token'),
      ...tests(T_STEP_SUITE, "revokeSessionTokens revokes the user's unredeemed session tokens; the token issued by the same write survives"),
    ],
  },
  {
    id: 'AUTHN-TOKEN-6',
    title: 'A session says how its user authenticated',
    statement:
      'The session a session token is exchanged for reports the password (`pwd`, lastPasswordVerification) only when the transaction verified or set one, and `mfa`, one reference per kind of factor (`otp`, `sms`, `tel`, `email`, `kba`, `hwk`, `swk`), lastFactorVerification and mfaActive only when a factor answer was accepted. The transaction\'s log is replayed through the core, so refused answers never count.',
    sections: ['3.1'],
    okta: authn('session-token'),
    implementedBy: [...impl('packages/core/src/machines/session-facts.ts', 'sessionFactsOf', 'FACTOR_AMR'), ...impl(TRANSACTION_OPS, 'transactionOperations.redeemSessionToken')],
    testedBy: [
      ...tests('packages/core/test/session-facts.test.ts', 'mfa and a factor time iff the core accepted a factor answer'),
      ...tests('packages/server/test/duo-flow.test.ts', 'response, once; the poll → SUCCESS'),
      ...tests('packages/server/test/token-factors-okta-auth-js.e2e.test.ts', 'and the session token is redeemed'),
    ],
  },
  // ------------------------------------------------------------------------------------- TX
  {
    id: 'AUTHN-TX-1',
    title: 'Strict state enforcement',
    statement:
      'Each state accepts only the operations of its row in the transition table; any other operation is 403 E0000079 with the cause “This operation is not allowed in the current authentication state.” and changes nothing. Authentication and recovery transactions do not accept each other’s operations.',
    sections: ['3', '9.4', '10', '10.2', '10.3'],
    okta: authn('transaction-state'),
    implementedBy: [...impl(AUTHN_MACHINE, 'authnMachine'), ...impl(DECIDER, 'createDecider.precheck'), ...impl(PIPELINE, 'createPipeline.flowStep')],
    testedBy: [
      ...tests(T_DECIDE, 'an event the state does not handle answers E0000079, changed: false', 'an event the state handles never answers E0000079 or E0000011'),
      ...tests(T_HANDLER, 'skip and previous where not allowed answer the engine’s 403 E0000079'),
      ...tests(T_RECOVERY, 'a recovery state token is refused by authentication operations, and an authentication one by recovery operations'),
    ],
  },
  {
    id: 'AUTHN-TX-2',
    title: 'Get the transaction state',
    statement:
      'POST /api/v1/authn with only a state token answers the current transaction, authentication or recovery, and extends its state token like any accepted request. The undocumented introspect path that okta-auth-js calls does the same.',
    sections: ['4.4'],
    okta: authn('get-transaction-state'),
    implementedBy: [...impl(PRIMARY, 'primaryOperations.authenticate'), ...impl(PIPELINE, 'createPipeline.getState'), ...impl(OPERATIONS, 'OPERATIONS')],
    testedBy: tests(T_OKTA_AUTH_JS, 'resumes a transaction by state token (saved, passed explicitly, or introspected) and finishes it'),
  },
  {
    id: 'AUTHN-TX-3',
    title: 'Cancel',
    statement:
      'Cancel ends any live transaction and revokes its state token, so that a later request with it is 401 E0000011. The answer is 200 with the relayState the transaction started with (empty when there was none).',
    sections: ['4.21'],
    okta: authn('cancel-transaction'),
    implementedBy: [...impl(TRANSACTION_OPS, 'transactionOperations.cancel'), ...impl(AUTHN_MACHINE, 'live'), ...impl(RECOVERY_MACHINE, 'live')],
    testedBy: [
      ...tests(T_ENGINE, 'answers the relayState the transaction started with'),
      ...tests(T_OKTA_AUTH_JS, 'cancel revokes the transaction: resuming it is E0000011'),
      ...tests(T_RECOVERY_AUTH_JS, 'cancel() ends the recovery transaction: resuming it is AuthApiError 401 E0000011'),
    ],
  },
  {
    id: 'AUTHN-TX-4',
    title: 'Previous',
    statement:
      'Previous goes back from MFA_ENROLL_ACTIVATE to MFA_ENROLL (the pending enrollment is abandoned) and from MFA_CHALLENGE to MFA_REQUIRED; both states publish a prev link. Elsewhere it is 403 E0000079.',
    sections: ['4.19', '6.9'],
    okta: authn('previous-transaction-state'),
    implementedBy: [...impl(AUTHN_MACHINE, 'authnMachine.clearActivating', 'authnMachine.clearChallenge'), ...impl(RENDER, 'renderTransaction')],
    testedBy: [
      ...tests(T_MFA_AUTH_JS, 'prev() from MFA_ENROLL_ACTIVATE goes back to MFA_ENROLL; the abandoned secret no longer activates, a new enrollment does'),
      ...tests(T_RENDER, 'MFA_CHALLENGE and MFA_ENROLL_ACTIVATE publish prev and cancel'),
      ...tests(T_MFA_SDK, 'previous {stateToken} from MFA_ENROLL_ACTIVATE → MFA_ENROLL; skip {stateToken} once only optional factors remain'),
    ],
  },
  {
    id: 'AUTHN-TX-5',
    title: 'relayState is kept and echoed',
    statement:
      'A relayState of up to 2048 characters given when a transaction starts is kept for its lifetime, shown in its responses and answered by cancel; it is never interpreted.',
    sections: ['5.1', '9.12', '4.21'],
    okta: authn('authentication-transaction-object'),
    implementedBy: [...impl(REQUESTS, 'PrimaryAuthRequest', 'RecoveryStartRequest'), ...impl(RENDER, 'renderTransaction')],
    testedBy: [
      ...tests(T_SDK, 'relayState is kept for the transaction; changePassword {oldPassword,newPassword,stateToken} → SUCCESS', 'cancel {stateToken} answers {relayState} and revokes the token'),
      ...tests(T_CODECS, 'PrimaryAuthRequest limits relayState to 2048 and context.deviceToken to 32'),
    ],
  },
  // ------------------------------------------------------------------------------------- PWD
  {
    id: 'AUTHN-PWD-1',
    title: 'Expired passwords',
    statement:
      'A password expired by an administrator, or older than the policy’s maximum age, leads to PASSWORD_EXPIRED, which accepts only a password change (besides reading the state and cancel). SUCCESS is never reached while the password is expired and unchanged.',
    sections: ['3.2', '4.5', '10.1', '10.2'],
    okta: authn('change-password'),
    implementedBy: [...impl(FACTS, 'evaluationFacts'), ...impl(PASSWORD_RULES, 'passwordExpiresAt')],
    testedBy: [
      ...tests(T_INVARIANTS, 'SUCCESS is never reached while the password is expired and unchanged'),
      ...tests(T_OKTA_AUTH_JS, 'PASSWORD_EXPIRED: wrong old password E0000014, weak new password E0000080, then SUCCESS'),
      ...tests(T_LIFECYCLE, 'expire_password answers the user, and the next sign-in is PASSWORD_EXPIRED'),
    ],
  },
  {
    id: 'AUTHN-PWD-2',
    title: 'Password warning only when asked for',
    statement:
      'PASSWORD_WARN appears only when the request set options.warnBeforePasswordExpired and the password expires within the policy’s warning days. It offers a change or a skip; passwordExpireDays counts whole days left.',
    sections: ['3.2', '4.1', '4.20', '6.5'],
    okta: authn('primary-authentication-with-password-expiration-warning'),
    implementedBy: [...impl(FACTS, 'evaluationFacts'), ...impl(PASSWORD_RULES, 'daysUntil'), ...impl(RENDER, 'renderPasswordPolicy')],
    testedBy: [
      ...tests(T_OKTA_AUTH_JS, 'PASSWORD_WARN, then skip → SUCCESS; without the option there is no warning', 'PASSWORD_WARN, then change the password → SUCCESS; the new password works'),
      ...tests(T_RENDER, 'passwordExpireDays counts whole days left, never negative'),
      ...tests(T_SDK, 'options.warnBeforePasswordExpired → PASSWORD_WARN; skip {stateToken} → SUCCESS'),
    ],
  },
  {
    id: 'AUTHN-PWD-3',
    title: 'A wrong old password',
    statement:
      'A password change whose old password is wrong is 403 E0000014 with the cause “oldPassword: The credentials provided were incorrect.”; the transaction stays where it was.',
    sections: ['4.5', '10.2'],
    okta: authn('change-password'),
    implementedBy: [...impl(AUTHN_MACHINE, 'refusals', 'authnMachine.isOldPasswordWrong'), ...impl(PASSWORD_OPS, 'passwordOperations.changePassword')],
    testedBy: tests(T_PASSWORD, 'a wrong old password is E0000014 "oldPassword: The credentials provided were incorrect."'),
  },
  {
    id: 'AUTHN-PWD-4',
    title: 'Complexity',
    statement:
      'A new password must meet every complexity rule of the password policy (length, character classes, no part of the username, no first or last name). A refusal is 403 E0000080 with one cause that lists the rules in force, and Okta’s summary text kept as it is.',
    sections: ['4.5', '4.18', '6.5', '11.10'],
    okta: authn('password-complexity-object'),
    implementedBy: [...impl(PASSWORD_RULES, 'meetsPasswordPolicy', 'describeComplexity', 'passwordFeatures'), ...impl(AUTHN_MACHINE, 'authnMachine.failPasswordPolicy')],
    testedBy: [
      ...tests(T_PASSWORD, 'a policy violation is E0000080 with the rules as the cause', 'is every rule at once', 'is one sentence listing exactly the rules in force'),
    ],
  },
  {
    id: 'AUTHN-PWD-5',
    title: 'History',
    statement:
      'With a history count N, the new password may not be the current one or one of the N − 1 before it; such a password is refused like a complexity failure (403 E0000080). A stored change moves the old hash into the history.',
    sections: ['6.5', '4.5', '4.18'],
    okta: authn('password-age-object'),
    implementedBy: [...impl(PASSWORD_OPS, 'passwordOperations.reusesHistory'), ...impl(PASSWORD_RULES, 'meetsPasswordPolicy')],
    testedBy: [
      ...tests(T_PASSWORD, 'a policy violation is E0000080 with the rules as the cause'),
      ...tests(T_STEP_SUITE, 'setPassword moves the old hash into the history, trimmed to historyCount - 1 (PASSWORD_EXPIRED becomes ACTIVE)'),
    ],
  },
  {
    id: 'AUTHN-PWD-6',
    title: 'Minimum age',
    statement:
      'A password younger than the policy’s minimum age cannot be changed from PASSWORD_WARN, nor reset by a recovery: 403 E0000080 with a cause naming the minimum age. An expired password can always be changed.',
    sections: ['6.5', '4.5', '4.18'],
    okta: authn('password-age-object'),
    implementedBy: [...impl(PASSWORD_RULES, 'isWithinMinimumAge', 'minimumAgeCause'), ...impl(AUTHN_MACHINE, 'authnMachine.failMinimumAge'), ...impl(RECOVERY_MACHINE, 'recoveryMachine.failMinimumAge')],
    testedBy: tests(T_PASSWORD, 'minimum age: E0000080 with the minimum-age cause in PASSWORD_WARN'),
  },
  {
    id: 'AUTHN-PWD-7',
    title: 'The password policy in password states',
    statement:
      'PASSWORD_WARN, PASSWORD_EXPIRED and PASSWORD_RESET embed the user and the password policy object: expiration, complexity and age, as the policy sets them.',
    sections: ['6.5', '3.2'],
    okta: authn('password-policy-object'),
    implementedBy: impl(RENDER, 'renderPasswordPolicy'),
    testedBy: tests(T_RENDER, 'password states embed the password policy object (§6.5)'),
  },
  {
    id: 'AUTHN-PWD-8',
    title: 'Reset password after an activation token',
    statement:
      'In the PASSWORD_RESET of an activation, reset_password sets the first password (complexity and history apply), activates the user and continues through the evaluation order (MFA_ENROLL or SUCCESS).',
    sections: ['4.18', '10.2'],
    okta: authn('reset-password'),
    implementedBy: [...impl(PASSWORD_OPS, 'passwordOperations.resetPassword'), ...impl(AUTHN_MACHINE, 'authnMachine.applyNewPassword')],
    testedBy: [
      ...tests(T_HANDLER, 'activation token → PASSWORD_RESET → reset_password → SUCCESS'),
      ...tests(T_SDK, 'resetPassword sends a ChangePasswordRequest {stateToken,newPassword} after an activation token'),
    ],
  },
  // ------------------------------------------------------------------------------------- LOCK
  {
    id: 'AUTHN-LOCK-1',
    title: 'Consecutive failures lock at maxAttempts',
    statement:
      'Each failed primary authentication of a known user counts; the failure that reaches the policy’s maxAttempts locks the account, and a success resets the count, so only consecutive failures lock. maxAttempts 0 never locks, and a locked account counts no further failures.',
    sections: ['9.3', '10.1'],
    okta: authn('primary-authentication-with-public-applications'),
    implementedBy: impl(LOCKOUT, 'nextLockoutState', 'failureLocks'),
    testedBy: [
      ...tests(T_INVARIANTS, 'with maxAttempts = N > 0 the Nth consecutive failure locks and earlier ones do not', 'a success resets the count (resetFailedAttempts), so failures must be consecutive'),
      ...tests(T_LOCKOUT, 'maxAttempts = 0 never locks', 'a locked account does not count further'),
    ],
  },
  {
    id: 'AUTHN-LOCK-2',
    title: 'Automatic unlock',
    statement:
      'A lock older than the policy’s autoUnlockMinutes (when it is above 0) no longer holds, and the next failure counts from one again; with 0 the lock lasts until an unlock.',
    sections: ['9.3'],
    okta: authn('primary-authentication-with-public-applications'),
    implementedBy: impl(LOCKOUT, 'isLockedAt', 'effectiveLockout'),
    testedBy: tests(T_LOCKOUT, 'auto-unlocks after autoUnlockMinutes (and 0 = never)', 'an expired lock starts over at one failure'),
  },
  {
    id: 'AUTHN-LOCK-3',
    title: 'How a lockout is reported',
    statement:
      'When the policy shows lockout failures, a locked account, and the failure that locks it, answer LOCKED_OUT: no state token, no expiry, only a link to unlock. When it hides them (the default), the answer is the same 401 E0000004 as a wrong password.',
    sections: ['3.2', '4.1', '9.1', '10.1'],
    okta: authn('primary-authentication-with-public-applications'),
    implementedBy: [...impl(AUTHN_MACHINE, 'authnMachine.isLockedOutShown', 'authnMachine.failureLockedShown'), ...impl(RENDER, 'renderTransaction')],
    testedBy: [
      ...tests(T_OKTA_AUTH_JS, 'lockout shown by policy: LOCKED_OUT for the locked user and after too many failures', 'lockout hidden by policy: the same 401 E0000004 as a wrong password'),
      ...tests(T_RENDER, 'LOCKED_OUT: no stateToken, no expiresAt, only the unlock link'),
    ],
  },
  {
    id: 'AUTHN-LOCK-4',
    title: 'No SUCCESS while locked',
    statement:
      'A locked account never reaches SUCCESS, even with the right password, and its password hash is not verified (a dummy hash is, so that the work matches an unknown user’s).',
    sections: ['9.3', '9.1'],
    okta: authn('primary-authentication-with-public-applications'),
    implementedBy: [...impl(AUTHN_MACHINE, 'authnMachine.isLockedOut'), ...impl(PRIMARY, 'primaryOperations.verifyDummy')],
    testedBy: [
      ...tests(T_INVARIANTS, 'SUCCESS is never reached while locked out'),
      ...tests(T_ENGINE, "unknown user, wrong password and hidden lockout give the same answer and cost one verification; a locked account's hash is not verified"),
    ],
  },
  {
    id: 'AUTHN-LOCK-5',
    title: 'Lockout holds under concurrency',
    statement:
      'Parallel attempts on one account are counted one by one: no failure is lost, no SUCCESS is granted past a lock, and at most maxAttempts password verifications are ever in flight.',
    sections: ['9.3'],
    okta: authn('primary-authentication-with-public-applications'),
    implementedBy: [...impl(PIPELINE, 'createPipeline.admit'), ...impl(CREDENTIAL, 'settleAttempt'), ...impl(STEP_STORE_PORT, 'StepStore')],
    testedBy: [
      ...tests(T_LOCKOUT_RACES, 'N wrong and M right guesses: no lost increment, no SUCCESS past a lock, a lock holds, at most maxAttempts verifications in flight'),
      ...tests(T_CREDENTIAL_SUITE, 'lockout shown: of 20 parallel wrong passwords (maxAttempts 5) exactly 4 are plain 401s and 16 LOCKED_OUT; then the right one is LOCKED_OUT'),
    ],
  },
  {
    id: 'AUTHN-LOCK-6',
    title: 'Wrong factor answers count toward the lockout',
    statement:
      'A wrong factor answer counts toward the same lockout as a wrong password; the answer that locks the account is 403 E0000069 and ends the transaction. A replayed code does not count.',
    sections: ['9.3', '8.2', '4.10'],
    okta: authn('verify-factor'),
    implementedBy: [...impl(FACTOR_OPS, 'factorOperations.verifyFactor'), ...impl(AUTHN_MACHINE, 'factorFailure')],
    testedBy: [
      ...tests(T_MFA, 'wrong factor answers count toward lockout: the failure that locks answers E0000069 and ends the transaction'),
      ...tests(T_SENT, 'wrong codes lock the account at maxAttempts (E0000069)'),
    ],
  },
  // ------------------------------------------------------------------------------------- MFA
  {
    id: 'AUTHN-MFA-1',
    title: 'MFA_REQUIRED',
    statement:
      'When the sign-on policy requires a factor and the user has an active one (and the device is not remembered), the transaction goes to MFA_REQUIRED, which lists the active factors with their verify links and the remember-device policy. SUCCESS needs one of them verified.',
    sections: ['3.2', '10.1', '6.2', '6.6'],
    okta: authn('verify-factor'),
    implementedBy: [...impl(FACTS, 'evaluationFacts'), ...impl(RENDER, 'renderTransaction')],
    testedBy: [
      ...tests(T_RENDER, 'MFA_REQUIRED: active factors with verify links, masked profiles, remember-device policy (§6.2, §6.6)'),
      ...tests(T_MFA_AUTH_JS, 'MFA_REQUIRED lists every active factor with its profile; each verifies through its own verify()'),
      ...tests(T_HARNESS, 'no SUCCESS without every required factor'),
    ],
  },
  {
    id: 'AUTHN-MFA-2',
    title: 'MFA_ENROLL and its catalogue',
    statement:
      'When the enrollment policy has a REQUIRED factor the user has not enrolled (or MFA is required and the user has no active factor), the transaction goes to MFA_ENROLL. Its catalogue lists every factor the policy allows, NOT_SETUP or ACTIVE, with its enrollment requirement and enroll link, and no factor id.',
    sections: ['3.2', '6.3', '10.1'],
    okta: authn('enroll-factor'),
    implementedBy: [...impl(FACTS, 'evaluationFacts', 'requiredEnrollmentMissing'), ...impl(RENDER, 'renderEnrollCatalog')],
    testedBy: [
      ...tests(T_RENDER, 'MFA_ENROLL: the enrollable catalog (§6.3), NOT_ALLOWED left out, no id'),
      ...tests(T_INVARIANTS, 'SUCCESS needs every REQUIRED factor of the enrollment policy ACTIVE'),
    ],
  },
  {
    id: 'AUTHN-MFA-3',
    title: 'Enroll a factor',
    statement:
      'In MFA_ENROLL, a factor type the policy allows and the server serves can be enrolled once. A security question is active at once and the evaluation order continues; a TOTP, SMS, voice call or email factor waits in MFA_ENROLL_ACTIVATE. A type the policy does not allow, one already enrolled or a malformed profile is 400 E0000001.',
    sections: ['4.6', '10.2', '7.1'],
    okta: authn('enroll-factor'),
    implementedBy: [...impl(FACTOR_OPS, 'factorOperations.enrollFactor'), ...impl(AUTHN_MACHINE, 'authnMachine.needsActivation', 'authnMachine.enrollEventFactor')],
    testedBy: [
      ...tests(T_MFA, 'enrolling a type the policy does not allow, or one already enrolled, is refused with E0000001; nothing required left: skip', 'security question: enroll (ACTIVE at once), then verify by answer; wrong answers get the answer wording'),
      ...tests(T_MFA_ERRORS, 'a malformed enroll profile is 400 E0000001 with causes, and leaves the transaction in MFA_ENROLL'),
    ],
  },
  {
    id: 'AUTHN-MFA-4',
    title: 'Activate a factor',
    statement:
      'In MFA_ENROLL_ACTIVATE, the first right code makes the pending factor ACTIVE and the evaluation order continues; a wrong one is 403 E0000068 and the enrollment keeps waiting. A TOTP enrollment shows its activation object (time step, shared secret, encoding, key length, QR code link).',
    sections: ['4.7', '7.3', '10.2'],
    okta: authn('activate-factor'),
    implementedBy: [...impl(FACTOR_OPS, 'factorOperations.activateFactor'), ...impl(AUTHN_MACHINE, 'authnMachine.applyFactors', 'authnMachine.factorAccepted'), ...impl(TOTP, 'createTotpFactor')],
    testedBy: [
      ...tests(T_MFA, 'MFA_ENROLL → enroll TOTP → MFA_ENROLL_ACTIVATE (shared secret, QR link) → activate → SUCCESS; the QR code is a PNG'),
      ...tests(T_MFA_AUTH_JS, 'TOTP (Okta): a wrong activation code is AuthApiError 403 E0000068 and the enrollment waits; the right code → SUCCESS'),
      ...tests(T_TOTP, 'is { timeStep, sharedSecret, encoding, keyLength, _links.qrcode } exactly'),
    ],
  },
  {
    id: 'AUTHN-MFA-5',
    title: 'Optional factors and skip',
    statement:
      'With options.multiOptionalFactorEnroll, an enrollment returns to MFA_ENROLL while optional factors remain; skip is offered, and accepted, only when no required factor is left (else 403 E0000079). Without the option, the transaction goes on once the required factors are active.',
    sections: ['4.1', '4.20', '3.2', '11.4'],
    okta: authn('options-object'),
    implementedBy: [...impl(AUTHN_MACHINE, 'authnMachine.enrollmentRequiredLeft'), ...impl(FACTS, 'evaluationFacts'), ...impl(TRANSACTION_OPS, 'transactionOperations.skip')],
    testedBy: tests(
      T_MFA_AUTH_JS,
      'skip() in MFA_ENROLL once only optional factors remain (options.multiOptionalFactorEnroll) → SUCCESS',
      'without multiOptionalFactorEnroll, activating the required factor ends the transaction: SUCCESS',
    ),
  },
  {
    id: 'AUTHN-MFA-6',
    title: 'Verify a factor',
    statement:
      'In MFA_REQUIRED and MFA_CHALLENGE, the right answer to an active factor continues the evaluation order; a wrong one is 403 E0000068, worded for a passcode or for an answer, and the transaction stays. An answer for another factor than the challenged one is 403 E0000079; an unknown factor id is 404 E0000007.',
    sections: ['4.10', '10.2'],
    okta: authn('verify-factor'),
    implementedBy: [...impl(FACTOR_OPS, 'factorOperations.verifyFactor'), ...impl(AUTHN_MACHINE, 'verifyTransitions', 'factorFailure')],
    testedBy: [
      ...tests(T_MFA, 'MFA_REQUIRED: a seeded TOTP factor verifies once per time step; a wrong code is E0000068 and counts; a replay is E0000082'),
      ...tests(T_MFA_AUTH_JS, 'a wrong passCode surfaces as AuthApiError 403 E0000068; the transaction stays in MFA_REQUIRED and the right code then succeeds'),
      ...tests(T_MFA_ERRORS, "verify with another user's factor id or an unknown one: the same 404 E0000007; neither counts toward lockout"),
    ],
  },
  {
    id: 'AUTHN-MFA-7',
    title: 'TOTP',
    statement:
      'TOTP follows RFC 6238 with 30-second steps and 6 digits, accepting the previous, current and next step. A code of a step already used, or of an earlier one, is a replay: 403 E0000082.',
    sections: ['9.8', '4.10', '7.1', '11.13'],
    okta: authn('verify-totp-factor'),
    implementedBy: impl(TOTP, 'createTotpFactor', 'matchStep', 'candidateSteps'),
    testedBy: [
      ...tests(T_TOTP, 'by default accepts the previous, current and next steps, reporting the matched step', 'the code of a used step is a replay (E0000082); so are codes of earlier steps in the window'),
      ...tests(T_MFA_AUTH_JS, 'the same TOTP code twice: the second transaction gets AuthApiError 403 E0000082'),
    ],
  },
  {
    id: 'AUTHN-MFA-8',
    title: 'A one-time code is accepted once',
    statement:
      'The one-time position an accepted code used (a TOTP step, an HOTP counter) is written in the same atomic step as the transition, and only if it is above the last one used: of parallel verifications of one code, exactly one succeeds.',
    sections: ['9.8'],
    okta: authn('verify-totp-factor'),
    implementedBy: [...impl(AUTHN_MACHINE, 'authnMachine.factorAccepted'), ...impl(STEP_STORE_PORT, 'FactorChange'), ...impl(FACTOR_PORT, 'Verification')],
    testedBy: [
      ...tests(T_MFA, 'parallel verifications of one code: exactly one SUCCESS'),
      ...tests(T_STEP_SUITE, 'use is accepted only above lastCounter, which it then becomes (any counter when there is none yet)'),
    ],
  },
  {
    id: 'AUTHN-MFA-9',
    title: 'Custom HOTP: verified, not enrolled, through authn',
    statement:
      'A custom HOTP factor (token:hotp, CUSTOM) is verified with a look-ahead window that resynchronises the counter, but enrolling one through authn is refused with 400 E0000001, as Okta enrolls it through the Factors API only.',
    sections: ['4.6', '7.1', '4.10'],
    okta: authn('enroll-custom-hotp-factor'),
    implementedBy: impl(HOTP, 'createHotpFactor', 'matchCounter', 'HOTP_ENROLL_REFUSAL'),
    testedBy: tests(T_HOTP, 'enroll through authn is refused: 400 E0000001 "Api validation failed: factorEnrollRequest", with a cause', 'after counter c, accepts c+1 to c+11; the codes of c and before are replays'),
  },
  {
    id: 'AUTHN-MFA-10',
    title: 'Security question',
    statement:
      'A security question is enrolled with one of the 20 built-in question keys and an answer of at least 4 characters that is not part of the question; the catalogue is served at the questions link. Answers are compared after Unicode normalisation, case folding and white-space collapsing, and the profile never shows the answer.',
    sections: ['7.2', '4.6', '4.10'],
    okta: authn('enroll-okta-security-question-factor'),
    implementedBy: [...impl(QUESTION, 'createQuestionFactor'), ...impl(QUESTIONS, 'QUESTIONS')],
    testedBy: tests(
      T_QUESTION,
      'has the 20 built-in keys of §7.2, each once, with a question text',
      'accepts exactly 4 characters, counted as code points',
      'answers are compared after NFKC, case folding and white-space collapsing; no counter',
      'is { question, questionText } and never the answer',
    ),
  },
  {
    id: 'AUTHN-MFA-11',
    title: 'Remember device',
    statement:
      'When the sign-on policy allows it, a trusted caller that sent a device token and verifies a factor with rememberDevice has that device remembered for the policy’s lifetime; the next sign-in from it skips MFA_REQUIRED. rememberDevice is read from the query or the body.',
    sections: ['6.6', '4.10', '9.11'],
    okta: authn('remember-device-policy-object'),
    implementedBy: [...impl(AUTHN_MACHINE, 'authnMachine.factorAccepted'), ...impl(PRIMARY, 'primaryOperations.inputFor')],
    testedBy: [
      ...tests(T_MFA_AUTH_JS, 'remember device is not granted to an untrusted caller, nor without rememberDevice, nor when the policy does not allow it'),
      ...tests(T_HANDLER, 'are taken from the body (.NET) and from the query (okta-auth-js), the query winning'),
      ...tests(T_MFA_SDK, 'rememberDevice in the JSON body (the .NET form) is honoured as the query flag is: true remembers the device, false and null do not'),
    ],
  },
  {
    id: 'AUTHN-MFA-12',
    title: 'WebAuthn and U2F sign a nonce this server issued, once',
    statement:
      'Enrolling WebAuthn or U2F shows creation options or a registration request with a fresh nonce; activation checks the registration (attestation, client data type, nonce, the origin the server is served at and its host as RP ID) and keeps the credential. Verifying without an answer issues a nonce into the transaction (MFA_CHALLENGE with `_embedded.challenge`); an assertion is checked against that nonce, unexpired and for that factor, which it then uses up. A signature counter that does not grow is a replay (403 E0000082), anything else refused 403 E0000068, and WebAuthn also verifies by factor type (one nonce for all of the user\'s WebAuthn factors, the one whose key signed answering).',
    sections: ['4.6', '4.7', '4.10', '7.3'],
    okta: authn('enroll-webauthn-factor'),
    implementedBy: [
      ...impl(FACTOR_PORT, 'ChallengingFactor', 'isChallenging'),
      ...impl(FACTOR_OPS, 'factorOperations.checkSigned', 'factorOperations.nonceFor', 'factorOperations.registerOf'),
      ...impl(AUTHN_MACHINE, 'authnMachine.setNonce', 'authnMachine.clearNonce'),
      ...impl(WEBAUTHN, 'createWebauthnFactor'),
      ...impl(U2F, 'createU2fFactor'),
    ],
    testedBy: [
      ...tests(T_WEBAUTHN_FLOW, 'enroll → activate → MFA_REQUIRED → nonce → assertion → SUCCESS', 'an assertion from another origin, over an answered nonce, or with a counter that went back', 'by factor type (/factors/webauthn/verify)'),
      ...tests(T_U2F_FLOW, 'the same signature again, a stale nonce, or a counter that went back are refused', 'a nonce expires'),
      ...tests('packages/testkit/src/harness/challenge-commands.ts', 'no SUCCESS without a signature over the nonce this transaction issued'),
      ...tests(T_TRANSITIONS, 'decide does what the model says for any state, context and event'),
    ],
  },
  {
    id: 'AUTHN-MFA-13',
    title: 'Duo verifies; its signed response is taken once, for the verification this transaction started',
    statement:
      'Enrolling Duo waits in MFA_ENROLL_ACTIVATE and verifying it in MFA_CHALLENGE, both with `factorResult: WAITING`, Duo\'s request and a `poll` link; a poll keeps waiting, or starts a new verification once the old one timed out. Duo\'s response posted to `duoCallback` (a form post or JSON) is checked against the verification this transaction started: signed by Duo for the enrolled user, unexpired, its application half issued for that very verification, and not used yet; anything else is 403 E0000068, not counted toward lockout. After it, the next poll activates or verifies the factor and the transaction goes on as for any factor.',
    sections: ['4.6', '4.7', '4.9', '4.10'],
    okta: authn('enroll-duo-factor'),
    implementedBy: [
      ...impl(FACTOR_PORT, 'DelegatingFactor', 'isDelegating'),
      ...impl(FACTOR_OPS, 'factorOperations.duoCallback', 'factorOperations.pollFactorActivation', 'factorOperations.startedFor'),
      ...impl(AUTHN_MACHINE, 'authnMachine.confirmNonce', 'authnMachine.setEnrollNonce'),
      ...impl(DUO, 'createDuoFactor'),
    ],
    testedBy: [
      ...tests(T_DUO_FLOW, 'response is posted, then the poll activates', 'response, once; the poll → SUCCESS', 'none counts toward lockout', 'a verification that timed out takes no response'),
      ...tests(T_DUO_AUTH_JS, 'response is form-posted to complete → SUCCESS'),
      ...tests(T_TRANSITIONS, 'decide does what the model says for any state, context and event'),
    ],
  },
  {
    id: 'AUTHN-MFA-14',
    title: 'RSA next tokencode: the server asks, the transaction keeps its State for the next code',
    statement:
      'When the RADIUS server answers a verification with an Access-Challenge (next-tokencode mode), the answer is 403 E0000068 asking for the next tokencode, not counted toward lockout. The transaction keeps the server\'s State for three minutes and sends it with that factor\'s next code, which the server can then accept; another transaction keeps none.',
    sections: ['4.10'],
    okta: authn('verify-token-factor'),
    implementedBy: [...impl(RSA, 'radiusFactorWith'), ...impl(FACTOR_OPS, 'factorOperations.checkSecret'), ...impl(AUTHN_MACHINE, 'authnMachine.keepServerChallenge')],
    testedBy: [
      ...tests(T_RSA_E2E, 'next-tokencode mode: an Access-Challenge is 403 E0000068 asking for the next code, not counted'),
      ...tests(T_RSA, 'an Access-Challenge is Challenged with its State; the next code sent with that State is Accepted'),
      ...tests(T_TRANSITIONS, 'decide does what the model says for any state, context and event'),
    ],
  },
  {
    id: 'AUTHN-MFA-15',
    title: 'Push enrollment waits for a device that proves its key, once',
    statement:
      'Enrolling push waits in MFA_ENROLL_ACTIVATE with `factorResult: WAITING`, a QR code and links to send the enrollment link by email or SMS; its activation token works once, for ten minutes. A device activates only with a proof signed by the key it registers, for this origin and factor; a used, expired or foreign token is 401 E0000011 and a proof that does not hold 403 E0000068. The next poll activates the factor; after ten minutes polls show TIMEOUT and `activate` starts anew.',
    sections: ['4.6', '4.7', '4.7.5', '4.7.6'],
    okta: authn('enroll-okta-verify-push-factor'),
    implementedBy: [...impl(DEVICE_OPS, 'deviceOperations.activatePushDevice', 'deviceOperations.sendActivationLink'), ...impl(PUSH, 'createPushFactor'), ...impl(FACTOR_OPS, 'factorOperations.pollFactorActivation')],
    testedBy: [
      ...tests(T_PUSH_FLOW, 'the link sent by email activates a device once', 'a device answers nothing it does not prove', 'an activation times out after 10 minutes'),
      ...tests(T_PUSH_FACTOR, 'a proof that does not hold is Rejected (never a throw)'),
      ...tests(T_PUSH_PG, 'activations with one token at once: exactly one device is registered'),
      ...tests(T_PUSH_AUTH_JS, 'the device activates with the e-mailed URI while poll() waits → SUCCESS'),
    ],
  },
  {
    id: 'AUTHN-MFA-16',
    title: 'Push: only the device, approving with the number shown, succeeds; REJECTED and TIMEOUT are shown once',
    statement:
      'Verifying push waits in MFA_CHALLENGE with `factorResult: WAITING` and, under number matching, the number the user must pick among three on the device. Only an answer signed by the enrolled device for that very push, in its five minutes, is taken, once: approved with that number, the next poll succeeds; denied or with another number, the next poll shows REJECTED; unanswered, TIMEOUT. After REJECTED or TIMEOUT the next verification, or a resend, sends a new push, and an old one is refused with 403 E0000068.',
    sections: ['4.10', '4.11'],
    okta: authn('verify-push-factor'),
    implementedBy: [
      ...impl(DEVICE_OPS, 'deviceOperations.answerPushChallenge', 'deviceOperations.listPushChallenges'),
      ...impl(FACTOR_OPS, 'factorOperations.verifyFactor', 'factorOperations.newDelegation'),
      ...impl(AUTHN_MACHINE, 'authnMachine.denyNonce'),
      ...impl(PUSH, 'createPushFactor'),
    ],
    testedBy: [
      ...tests(T_PUSH_MODEL, 'any sequence of polls, answers, resends and waits is answered as the model says'),
      ...tests(T_PUSH_FLOW, 'approving with that number → the poll succeeds', 'one poll shows REJECTED', 'one poll shows TIMEOUT', 'answers and requests the device did not sign are refused'),
      ...tests(T_PUSH_FACTOR, 'for any number picked, confirmed exactly when it is the one shown'),
      ...tests(T_PUSH_PG, 'answers to one challenge at once (approvals and denials): exactly one is taken'),
      ...tests(T_PUSH_AUTH_JS, 'poll() ends MFA_CHALLENGE REJECTED with verify() and resend()'),
      ...tests(T_PUSH_RACES, 'approvals, denials and polls at once: one answer taken'),
      ...tests('packages/testkit/src/harness/push-commands.ts', "no SUCCESS without the device's approval"),
      ...tests(T_PUSH_APNS, 'verify sends the push to APNs for the device'),
      ...tests(T_TRANSITIONS, 'decide does what the model says for any state, context and event'),
    ],
  },
  // ------------------------------------------------------------------------------------- SENT
  {
    id: 'AUTHN-SENT-1',
    title: 'Enrolling SMS, voice call or email sends the activation code',
    statement:
      'Enrolling a factor that sends codes sends the first code with the enrollment and waits in MFA_ENROLL_ACTIVATE with the masked destination and a resend link; the right code activates it, a wrong one is 403 E0000068.',
    sections: ['4.6', '4.7'],
    okta: authn('enroll-okta-sms-factor'),
    implementedBy: [...impl(FACTOR_OPS, 'factorOperations.enrollFactor'), ...impl(AUTHN_MACHINE, 'authnMachine.sendEventCode'), ...impl(SENT_CODES, 'createSentCodes')],
    testedBy: [
      ...tests(T_SENT, 'SMS enrollment: the code goes to the normalised number, the response masks it and links resend; a wrong code is E0000068, the right one activates'),
      ...tests(T_HARNESS, 'MFA_ENROLL_ACTIVATE shows the factor'),
    ],
  },
  {
    id: 'AUTHN-SENT-2',
    title: 'Verify without a code sends one',
    statement:
      'In MFA_REQUIRED, verifying a factor that sends codes without a passCode sends a code and moves to MFA_CHALLENGE with verify and resend links; a passCode then completes it. The code works only in the transaction that sent it.',
    sections: ['4.10', '10.2'],
    okta: authn('verify-sms-factor'),
    implementedBy: [...impl(FACTOR_OPS, 'factorOperations.challengeOf', 'factorOperations.verifyFactor'), ...impl(AUTHN_MACHINE, 'challengeTransitions')],
    testedBy: tests(T_SENT, 'MFA_REQUIRED: verify without a code sends one (MFA_CHALLENGE with verify/resend); the code works once, only in its transaction'),
  },
  {
    id: 'AUTHN-SENT-3',
    title: 'Resend throttles',
    statement:
      'A new code of a family is sent at most once per throttle: 30 seconds for SMS (else 429 E0000109) and voice calls (429 E0000133), 5 seconds for email (429 E0000118). A throttled send sends nothing, and each family keeps its own throttle.',
    sections: ['4.8', '4.11', '9.9'],
    okta: `${OKTA_RATE_LIMITS}#email-sms-and-call-rate-limits`,
    implementedBy: [...impl(AUTHN_MACHINE, 'authnMachine.sendThrottled', 'authnMachine.failThrottled'), ...impl(RECOVERY_MACHINE, 'recoveryMachine.sendThrottled'), ...impl(FACTOR_PORT, 'Delivery')],
    testedBy: [
      ...tests(T_SENT, 'resend inside the throttle is 429 with the family code and sends nothing; after it a new code replaces the old one', 'each type keeps its own throttle (SMS, email, SMS at once: the second SMS is 429); another factor than the challenged one is E0000079 and not counted'),
      ...tests(T_SMS, 'sends 6-digit codes by SMS, at most one every 30 s (429 E0000109); ids mbl…'),
      ...tests(T_CALL, 'calls with 5-digit codes, at most one call every 30 s (429 E0000133); ids clf…'),
      ...tests(T_EMAIL, 'emails 6-digit codes, at most one every 5 s (429 E0000118); ids emf…'),
    ],
  },
  {
    id: 'AUTHN-SENT-4',
    title: 'A sent code expires, has few attempts and works once',
    statement:
      'A sent code is random, kept only as a keyed MAC bound to its transaction and factor, refused after the policy’s lifetime and after its allowed wrong answers, and used up once accepted. Wrong codes count toward the lockout.',
    sections: ['9.8', '4.10'],
    okta: authn('verify-sms-factor'),
    implementedBy: [...impl(SENT_CODES, 'createSentCodes', 'randomDigits'), ...impl(AUTHN_MACHINE, 'authnMachine.spendSentAttempt', 'authnMachine.useSentCode')],
    testedBy: [
      ...tests(T_SENT, 'a code expires (policy lifetime) and is used up after its attempts; wrong codes count toward lockout', 'parallel verifications of one code: exactly one SUCCESS, the others refused'),
      ...tests(T_HARNESS_SENT, 'a sent code is accepted at most once'),
    ],
  },
  {
    id: 'AUTHN-SENT-5',
    title: 'Resend endpoints and links',
    statement:
      'lifecycle/resend renews the activation code in MFA_ENROLL_ACTIVATE and verify/resend the challenge in MFA_CHALLENGE; elsewhere they are 403 E0000079. In MFA states the resend link is an array naming the family (sms, call, email).',
    sections: ['4.8', '4.11', '6.9', '11.8'],
    okta: authn('resend-sms-challenge'),
    implementedBy: [...impl(FACTOR_OPS, 'factorOperations.resend'), ...impl(RENDER, 'resendLink'), ...impl(AUTHN_MACHINE, 'authnMachine.resendOfOtherActivation', 'authnMachine.resendOfNoChallenge')],
    testedBy: [
      ...tests(T_RENDER, 'resend (§4.8, §4.11, §6.9): an array naming the family, for sms, call and email: lifecycle/resend while activating, verify/resend in a challenge; for push, verify/resend only'),
      ...tests(T_SENT, 'bad input: malformed phone numbers are 400 E0000001 with causes; a resend outside its state is E0000079; another number needs updatePhone'),
    ],
  },
  {
    id: 'AUTHN-SENT-6',
    title: 'Code length and wording by family',
    statement:
      'SMS and email codes have 6 digits, voice-call codes 5, read digit by digit twice. Email codes go to the user’s primary address unless the enrollment names another.',
    sections: ['4.6', '4.7', '7.2'],
    okta: authn('enroll-okta-call-factor'),
    implementedBy: [...impl(SMS, 'createSmsFactor'), ...impl(CALL, 'createCallFactor', 'spokenDigits'), ...impl(EMAIL, 'createEmailFactor')],
    testedBy: [
      ...tests(T_CALL, 'the voice reads the digits one by one, twice, worded for the purpose'),
      ...tests(T_SENT, 'voice call (5 digits, E0000133) and email (the primary address, masked, E0000118 within 5 s)'),
      ...tests(T_EMAIL, 'is not used when the request names an address'),
    ],
  },
  {
    id: 'AUTHN-SENT-7',
    title: 'Phone numbers',
    statement:
      'Phone numbers are normalised to E.164 (at most 15 digits); a malformed one is 400 E0000001 with a cause. Enrolling a different number while an unverified one exists needs updatePhone, sent in the query or the profile.',
    sections: ['4.6', '7.2'],
    okta: authn('enroll-okta-sms-factor'),
    implementedBy: [...impl(PHONE, 'parsePhone', 'E164'), ...impl(SMS, 'phoneNumberOf'), ...impl(FACTOR_OPS, 'phoneReplaced')],
    testedBy: [
      ...tests(T_SENT_AUTH_JS, 'a malformed phone number is AuthApiError 400 E0000001 with causes; the enrollment is not made', 'updatePhone: okta-auth-js sends profile.updatePhone as a query parameter, which replaces the unverified number'),
      ...tests(T_SMS, 'enroll refuses with E0000001 "factorEnrollRequest" and the cause; a non-string number is refused by the request codec'),
    ],
  },
  {
    id: 'AUTHN-SENT-8',
    title: 'A failed delivery',
    statement:
      'A message provider that refuses or does not answer within the delivery timeout gives 400 E0000074; the transaction keeps waiting and a resend is the retry. Without a configured sender, a family that sends codes answers E0000074 and writes nothing.',
    sections: ['8.2'],
    okta: OKTA_ERRORS,
    implementedBy: [...impl(SENT_CODES, 'createSentCodes.deliver', 'createSentCodes.noSender'), ...impl(PIPELINE, 'createPipeline.deliverAfterCommit')],
    testedBy: tests(
      T_SENT,
      'a provider that refuses or hangs: 400 E0000074 (bounded by the delivery timeout); the transaction waits and resend is the retry',
      'without a message sender, a sending factor answers E0000074 and writes nothing',
    ),
  },
  {
    id: 'AUTHN-SENT-9',
    title: 'Masked destinations',
    statement:
      'Every response that shows a factor masks its phone number (at most the country code and the last four digits) and its email address (the first and last letter of the local part and the domain).',
    sections: ['9.15', '6.2'],
    okta: authn('enroll-okta-sms-factor'),
    implementedBy: impl(RENDER, 'maskPhone', 'maskEmail', 'publicProfile'),
    testedBy: [
      ...tests(T_RENDER, 'a masked phone shows at most the country code and the last four digits', 'a masked email keeps the domain, first and last letter only'),
      ...tests(T_HARNESS, 'responses mask phone numbers and email addresses'),
    ],
  },
  // ------------------------------------------------------------------------------------- REC
  {
    id: 'AUTHN-REC-1',
    title: 'Public recovery by email: one bare answer for everyone',
    statement:
      'A public forgot-password or unlock request by EMAIL answers the same bare RECOVERY_CHALLENGE (factorResult WAITING, no state token, no links) whoever is named. The email, with a recovery-token link, goes only to a real user the policy lets recover (an unlock only to a locked account).',
    sections: ['4.12', '4.13', '9.2', '10.3'],
    okta: authn('forgot-password-with-email-factor'),
    implementedBy: [...impl(RECOVERY_OPS, 'recoveryOperations.byEmail'), ...impl(RENDER_RECOVERY, 'renderEmailChallenge')],
    testedBy: [
      ...tests(T_RECOVERY, 'the email carries a link whose token opens RECOVERY once; unknown users get the same bare answer and no email'),
      ...tests(T_CORE_RECOVERY, 'a public email recovery is the bare body of the spec, whoever asked'),
      ...tests(T_RECOVERY_AUTH_JS, 'unlockAccount EMAIL for an account that is not locked answers the same and mails nothing'),
    ],
  },
  {
    id: 'AUTHN-REC-2',
    title: 'Public recovery by SMS or voice call',
    statement:
      'By SMS or CALL, recovery answers RECOVERY_CHALLENGE with a state token and verify, resend and cancel links, and sends a code to the enrolled phone. An unknown user, a user without that phone or one the policy does not let recover gets a decoy that looks the same and can prove nothing.',
    sections: ['4.12', '4.13', '9.2', '10.3'],
    okta: authn('forgot-password-with-sms-factor'),
    implementedBy: [...impl(RECOVERY_OPS, 'recoveryOperations.byPhone'), ...impl(RECOVERY_MACHINE, 'recoveryMachine.isDecoy'), ...impl(CREDENTIAL, 'decoyOf')],
    testedBy: tests(
      T_RECOVERY,
      'forgot password by SMS: code, question, new password, SUCCESS with a session token; the old password is gone',
      'an unknown user gets the same answer, shape and links, and no message; every code is wrong; nothing is ever proven',
      'a user without the enrolled phone, or whose policy turns the channel off, gets a decoy too',
    ),
  },
  {
    id: 'AUTHN-REC-3',
    title: 'Trusted callers receive the recovery token',
    statement:
      'A trusted caller (API token) that names no factorType receives RECOVERY with the recovery token itself; for an unknown user the answer is 403 E0000095. A recovery the policy does not allow is 403 E0000034 (password) or E0000032 (unlock of an account that is not locked).',
    sections: ['4.12', '4.13', '2', '9.7'],
    okta: authn('forgot-password-with-trusted-application'),
    implementedBy: [...impl(RECOVERY_OPS, 'recoveryOperations.byTrustedCaller', 'recoveryOperations.allowed'), ...impl(RENDER_RECOVERY, 'renderRecoveryTokenIssued')],
    testedBy: tests(
      T_RECOVERY,
      'without factorType: RECOVERY with the recovery token, which works once; unknown users are 403 E0000095',
      'a recovery the policy does not allow is 403: E0000034 for a password, E0000032 for an unlock of an account that is not locked',
    ),
  },
  {
    id: 'AUTHN-REC-4',
    title: 'Verify the recovery code',
    statement:
      'In RECOVERY_CHALLENGE, the code sent by SMS or voice call proves the channel; the path names the channel in any case and must be the transaction’s. A wrong code is 403 E0000068 with the “token” wording and uses one of the code’s attempts; a resend follows the channel’s throttle.',
    sections: ['4.14', '4.15', '10.3'],
    okta: authn('verify-recovery-factor'),
    implementedBy: [...impl(RECOVERY_OPS, 'recoveryOperations.verifyRecoveryFactor', 'recoveryOperations.channelMatches', 'recoveryOperations.resendRecoveryChallenge'), ...impl(RECOVERY_MACHINE, 'recoveryMachine.notAccepted')],
    testedBy: [
      ...tests(T_RECOVERY, 'the path segment names the channel in any case and must be the transaction’s; resend sends a new code once the throttle allows'),
      ...tests(T_RECOVERY_AUTH_JS, 'a wrong SMS code is AuthApiError 403 E0000068 and a wrong answer 403 E0000087; the transaction goes on with the right ones'),
    ],
  },
  {
    id: 'AUTHN-REC-5',
    title: 'The recovery token',
    statement:
      'A recovery token is redeemed once (of parallel redemptions one wins) within the lifetime the recovery policy sets, and opens a recovery transaction with a new state token. An unknown, used or expired token is 401 E0000011.',
    sections: ['4.16', '9.7', '3.1', '11.17'],
    okta: authn('verify-recovery-token'),
    implementedBy: [...impl(RECOVERY_OPS, 'recoveryOperations.verifyRecoveryToken', 'recoveryOperations.issueToken'), ...impl(TRANSACTION_STORE_PORT, 'TransactionStore')],
    testedBy: [
      ...tests(T_RECOVERY, 'parallel redemptions of one token: exactly one opens a transaction', 'a token expires per the recovery policy'),
      ...tests(T_RECOVERY_AUTH_JS, 'a recovery token works once: the second verifyRecoveryToken is AuthApiError 401 E0000011, as is an unknown one'),
      ...tests(T_TRANSACTION_SUITE, 'consumeToken redeems an issued token once; the second is AlreadyConsumed'),
    ],
  },
  {
    id: 'AUTHN-REC-6',
    title: 'The recovery question',
    statement:
      'Once the channel is proven, RECOVERY shows the user and the recovery question when the policy asks for it and the user has one; otherwise the transaction goes straight on. A wrong answer is 403 E0000087, and the last wrong answer the policy allows ends the transaction.',
    sections: ['4.17', '10.3', '11.15', '6.1'],
    okta: authn('answer-recovery-question'),
    implementedBy: [...impl(RECOVERY_MACHINE, 'afterProof', 'recoveryMachine.lastWrongAnswer', 'recoveryMachine.countWrongAnswer'), ...impl(RECOVERY_OPS, 'recoveryOperations.answerRecoveryQuestion')],
    testedBy: [
      ...tests(T_CORE_RECOVERY, 'RECOVERY shows the user and the recovery question, with the answer link; SUCCESS of an unlock has recoveryType UNLOCK and no session token'),
      ...tests(T_RECOVERY, 'without a recovery question (or when the policy does not ask), a token leads straight to PASSWORD_RESET, an unlock straight to SUCCESS'),
    ],
  },
  {
    id: 'AUTHN-REC-7',
    title: 'How a recovery ends',
    statement:
      'A password recovery ends in PASSWORD_RESET, where a policy-compliant new password gives SUCCESS with a session token, unlocks the account and retires the old password. An unlock ends in SUCCESS with recoveryType UNLOCK and no session token, after which the password works again.',
    sections: ['4.17', '4.18', '10.3', '11.16'],
    okta: authn('reset-password'),
    implementedBy: impl(RECOVERY_MACHINE, 'recoveryMachine.setNewPassword', 'recoveryMachine.unlock', 'recoveryMachine.issueSession'),
    testedBy: [
      ...tests(T_CORE_RECOVERY, 'SUCCESS: a password recovery sets the password, unlocks and issues one session token; an unlock only unlocks'),
      ...tests(T_RECOVERY, 'unlock by email: only a locked account gets a link; the answer unlocks (SUCCESS UNLOCK, no session token) and the password works again'),
    ],
  },
  {
    id: 'AUTHN-REC-8',
    title: 'Nothing without proof',
    statement:
      'No password is set and no account unlocked without the proven channel, and the answer when the policy asks. A decoy never proves anything, never writes and never sends; nothing about the user is shown before the channel is proven.',
    sections: ['9.2', '9.7', '4.12', '2'],
    okta: authn('recovery-operations'),
    implementedBy: [...impl(RECOVERY_MACHINE, 'recoveryMachine', 'decoyEnds'), ...impl(STEP_STORE_PORT, 'StepStore')],
    testedBy: [
      ...tests(T_CORE_RECOVERY, 'no password change and no unlock without the proven channel, and the answer when the policy asks', 'a decoy (unknown user) never proves anything, never writes, never sends'),
      ...tests(T_CORE_RECOVERY, 'RECOVERY_CHALLENGE: factorType as on the wire, verify / resend (one object) links by channel, no user data'),
    ],
  },
  // ------------------------------------------------------------------------------------- ERR
  {
    id: 'AUTHN-ERR-1',
    title: 'The error object',
    statement:
      'Every failure is Okta’s error object: errorCode, errorSummary (Okta’s text), errorLink equal to the code, a fresh errorId and errorCauses, always present and possibly empty.',
    sections: ['8.1'],
    okta: OKTA_ERRORS,
    implementedBy: impl(CATALOGUE, 'renderError', 'errorSummary'),
    testedBy: [
      ...tests(T_FUZZ, 'never answer 5xx, never reach onError, and always fail as Okta errors'),
      ...tests(T_HARNESS, 'Okta error shape'),
    ],
  },
  {
    id: 'AUTHN-ERR-2',
    title: 'One status per code',
    statement:
      'Each error code has one HTTP status, taken from the catalogue: 400 for invalid requests, 401 for failed credentials and dead tokens, 403 for refused operations and wrong factor input, 404 for unknown resources, 429 for throttles and rate limits, 500 for faults.',
    sections: ['8.2', '8.3'],
    okta: core('errors'),
    implementedBy: impl(CATALOGUE, 'ERROR_CATALOGUE', 'httpStatusOf'),
    testedBy: [
      ...tests(T_HANDLER, 'a wrong password is 401 E0000004 with empty causes'),
      ...tests(T_FUZZ, 'never answer 5xx, never reach onError, and always fail as Okta errors'),
    ],
  },
  {
    id: 'AUTHN-ERR-3',
    title: 'Invalid requests',
    statement:
      'Malformed JSON, invalid UTF-8 and an empty body are 400 E0000003; fields of the wrong type or size are 400 E0000001 with one `field: …` cause each; null members (as the Java and .NET SDKs send them) are taken as absent.',
    sections: ['8.2', '8.3', '1'],
    okta: core('errors'),
    implementedBy: [...impl(REQUESTS, 'describeDecodeErrors'), ...impl(HANDLER, 'withoutNulls'), ...impl(PIPELINE, 'createPipeline.decodeBody')],
    testedBy: [
      ...tests(T_HANDLER, 'malformed JSON, invalid UTF-8 and an empty body are 400 E0000003; a non-object is the engine’s E0000003', 'invalid fields are 400 E0000001 from the engine’s codecs', 'are dropped before the engine sees the body'),
      ...tests(T_CODECS, 'describeDecodeErrors always gives `field: …` causes'),
    ],
  },
  {
    id: 'AUTHN-ERR-4',
    title: 'Never a 5xx for client input',
    statement:
      'No client input produces a 5xx: an unexpected exception is answered 500 E0000009 without details, a stored record that does not decode is a clean 500 E0000009, and a failing hasher is a clean 500 too.',
    sections: ['8.2'],
    okta: OKTA_ERRORS,
    implementedBy: [...impl(HANDLER, 'createAuthnHandler'), ...impl(PIPELINE, 'createPipeline.finish')],
    testedBy: [
      ...tests(T_HANDLER, 'an unexpected exception is 500 E0000009 without details', 'never answers 500 for odd client input'),
      ...tests(T_ENGINE, 'a stored record that does not decode is a clear 500 E0000009, not a crash', 'a hasher that fails is a clean 500, never a throw'),
      ...tests(T_HARNESS, 'never a 5xx for client input'),
    ],
  },
  {
    id: 'AUTHN-ERR-5',
    title: 'Paths, methods and media types',
    statement:
      'Every operation is a POST: an unknown path is 404 E0000008, another method on a known path 405 E0000022 with Allow: POST, and a body that is not JSON 415 E0000012.',
    sections: ['1', '8.2'],
    okta: core('http-verbs'),
    implementedBy: [...impl(HANDLER, 'createAuthnHandler.handle', 'isJsonMediaType'), ...impl(ROUTES, 'createRouter')],
    testedBy: tests(
      T_HANDLER,
      'unknown paths are 404 E0000008, for any method',
      'another method on a known path is 405 E0000022 with Allow: POST',
      'a non-JSON content type is 415 E0000012; JSON with parameters or a +json type is fine',
    ),
  },
  // ------------------------------------------------------------------------------------- WIRE
  {
    id: 'AUTHN-WIRE-1',
    title: 'Okta’s statuses and transaction shape',
    statement:
      'Responses use Okta’s twelve status strings verbatim, the top-level keys in Okta’s order, dates in ISO 8601 with milliseconds, and `_embedded.user` with the user’s id, passwordChanged and profile in live states.',
    sections: ['3.2', '5.1', '6.1', '1'],
    okta: authn('authentication-transaction-object'),
    implementedBy: impl(RENDER, 'renderTransaction', 'renderUser', 'iso'),
    testedBy: tests(T_RENDER, 'top-level keys come in Okta order', 'live states: stateToken, expiresAt ISO with milliseconds, status, _embedded.user'),
  },
  {
    id: 'AUTHN-WIRE-2',
    title: 'Absolute links from a trusted origin',
    statement:
      'Every `_links` href is absolute, under the configured public base URL or a Host the server trusts (loopback or allowed); any other Host is 400 E0000001, so that no request can put another origin into links. Links carry Okta’s names and POST hints.',
    sections: ['1', '6.9'],
    okta: authn('links-object'),
    implementedBy: [...impl(RENDER, 'post'), ...impl(TRUST, 'createHostCheck'), ...impl(HANDLER, 'createAuthnHandler.baseUrlOf')],
    testedBy: [
      ...tests(T_RENDER, 'exact _links: names, absolute hrefs under the base URL, hints POST'),
      ...tests(T_TRUSTED, 'without a public base URL, links follow a loopback Host or an allowed one; any other Host is 400 E0000001'),
      ...tests(T_HANDLER, 'builds hrefs from the Host header, https for TLS, or from the configured public base URL'),
    ],
  },
  {
    id: 'AUTHN-WIRE-3',
    title: 'One table of operations',
    statement:
      'Every path of the endpoint index is routed from one table of operations, all POST; choice segments (sms or call) match in any case and one trailing slash is ignored. A route whose operation the engine does not have yet answers as a state that refuses it (403 E0000079, after the state token, if it takes one, is checked).',
    sections: ['4.0', '4'],
    okta: authn('authentication-operations'),
    implementedBy: [...impl(OPERATIONS, 'OPERATIONS'), ...impl(ROUTES, 'AUTHN_ROUTES', 'createRouter')],
    testedBy: tests(T_HANDLER, 'ignores one trailing slash', 'calls a planned operation as soon as the engine has it, with path parameters and query flags in the body', 'an unknown recovery factor segment is 404'),
  },
  {
    id: 'AUTHN-WIRE-4',
    title: 'Trusted callers and client context',
    statement:
      'A caller with a valid `Authorization: SSWS` API token is trusted: its context.deviceToken, X-Device-Fingerprint and (through a configured gateway) X-Forwarded-For are honoured. For public callers they are ignored; an invalid token is 401 E0000011.',
    sections: ['1.1', '2', '9.11'],
    okta: authn('trusted-application'),
    implementedBy: [...impl(TRUST, 'createTokenCheck', 'createClientAddress'), ...impl(HANDLER, 'createAuthnHandler.contextOf')],
    testedBy: [
      ...tests(T_HANDLER, 'honours X-Forwarded-For, context.deviceToken and X-Device-Fingerprint with a valid token', 'ignores them for public callers (no Authorization, or another scheme)', 'an invalid SSWS token is 401 E0000011 "Invalid token provided"'),
      ...tests(T_TRUSTED, 'is read only for a trusted caller coming through a configured gateway, from the right, skipping gateways'),
    ],
  },
  {
    id: 'AUTHN-WIRE-5',
    title: 'Recovery transactions on the wire',
    statement:
      'Recovery responses name the channel as Okta’s examples do (SMS and EMAIL in capitals, call in lower case) and give the resend link as a single object; RECOVERY_CHALLENGE shows nothing about the user.',
    sections: ['3.3', '5.2', '11.7', '11.8', '6.9'],
    okta: authn('recovery-transaction-object'),
    implementedBy: impl(RENDER_RECOVERY, 'renderRecovery', 'wireFactorType'),
    testedBy: tests(T_CORE_RECOVERY, 'RECOVERY_CHALLENGE: factorType as on the wire, verify / resend (one object) links by channel, no user data'),
  },
  {
    id: 'AUTHN-WIRE-6',
    title: 'Character set and field sizes',
    statement:
      'Request strings are limited to characters of at most three UTF-8 bytes and refuse NUL; usernames and tokens have size limits, relayState at most 2048 characters and context.deviceToken at most 32. Passwords count code points and may use any Unicode up to 256 characters.',
    sections: ['1', '4.1', '3.1'],
    okta: core('character-sets'),
    implementedBy: impl(REQUESTS, 'PrimaryAuthRequest', 'isWellFormed', 'bounded'),
    testedBy: tests(
      T_CODECS,
      'PrimaryAuthRequest refuses wrong types, oversize strings and 4-byte characters (except in passwords)',
      'request strings refuse NUL, which no JSON store keeps',
      'passwords count code points: any Unicode up to 256 characters is accepted (an emoji is one character)',
    ),
  },
  {
    id: 'AUTHN-WIRE-7',
    title: 'CORS for trusted origins',
    statement:
      'Browsers may call cross-origin only from configured trusted origins: a preflight from one is answered 204 with the CORS headers, actual answers (errors included) echo the origin, and untrusted origins get no CORS headers at all.',
    sections: ['1'],
    okta: core('cross-origin-resource-sharing-cors'),
    implementedBy: impl(CORS, 'createCors'),
    testedBy: tests(
      T_HANDLER,
      'answers a preflight from a trusted origin with 204 and the CORS headers',
      'echoes a trusted origin on actual requests, errors included',
      'gives untrusted origins no CORS headers at all',
    ),
  },
  // ------------------------------------------------------------------------------------- SEC
  {
    id: 'AUTHN-SEC-1',
    title: 'Unknown users look like wrong passwords',
    statement:
      'An unknown user, a wrong password, a hidden lockout and a user who may not sign in all get the same 401 E0000004 with empty causes, and cost the same work: one password-hash verification, against a dummy hash when there is no real one.',
    sections: ['9.1', '4.1'],
    okta: authn('primary-authentication-with-public-applications'),
    implementedBy: [...impl(PRIMARY, 'primaryOperations.byPassword', 'primaryOperations.verifyDummy'), ...impl(PIPELINE, 'createPipeline.dummyHash')],
    testedBy: [
      ...tests(T_ENGINE, "unknown user, wrong password and hidden lockout give the same answer and cost one verification; a locked account's hash is not verified"),
      ...tests(T_OKTA_AUTH_JS, 'an unknown user looks exactly like a wrong password'),
      ...tests(T_HARNESS, 'no user enumeration'),
    ],
  },
  {
    id: 'AUTHN-SEC-2',
    title: 'Unknown users cannot be told apart by timing',
    statement:
      'A public caller cannot tell a known user from an unknown one by how long primary authentication or a recovery start takes: decoys do the same work, and recovery messages are sent after the answer.',
    sections: ['9.1', '9.2'],
    okta: authn('public-application'),
    implementedBy: [...impl(PRIMARY, 'primaryOperations.verifyDummy'), ...impl(PIPELINE, 'createPipeline.deliverAfterCommit'), ...impl(CREDENTIAL, 'decoyOf')],
    testedBy: [...tests(T_TIMING, 'engine + memory adapter, argon2id'), ...tests(T_EXISTENCE_SUITE, 'user existence by timing')],
  },
  {
    id: 'AUTHN-SEC-3',
    title: 'Hostile bodies',
    statement:
      'A body nested deeper than 32 objects or arrays is 400 E0000003 before anything parses it; a body over the limit (64 KiB by default) is 413 with E0000003; a body without a JSON Content-Type is 415 E0000012, so no page can post cross-origin without a preflight.',
    sections: ['1', '8.2'],
    okta: core('media-types'),
    implementedBy: [...impl(JSON_DEPTH, 'jsonDepth', 'DEFAULT_MAX_JSON_DEPTH'), ...impl(READ_BODY, 'readBody', 'bodyReadCap'), ...impl(HANDLER, 'DEFAULT_BODY_LIMIT')],
    testedBy: [
      ...tests(T_HOSTILE, 'the limit is inclusive and configurable', 'counts nesting of objects and arrays, not brackets inside strings'),
      ...tests(T_HANDLER, 'a body over the limit is 413 with Okta’s E0000003 (default 64 KiB, configurable), also when the glue stopped reading', 'a body without Content-Type is 415 E0000012 (no cross-origin post without a preflight)'),
    ],
  },
  // ------------------------------------------------------------------------------------- RATE
  {
    id: 'AUTHN-RATE-1',
    title: 'Per-username limits',
    statement:
      'Primary authentication and each recovery start count in a bucket of their username, across client addresses (10 in 10 seconds by default); past it the answer is 429 E0000047.',
    sections: ['9.13', '4.1'],
    okta: `${OKTA_RATE_LIMITS}#non-authenticated-users`,
    implementedBy: [...impl(HANDLER, 'PER_USERNAME'), ...impl(RATE_LIMIT_MODEL, 'DEFAULT_RATE_LIMIT_POLICY')],
    testedBy: [
      ...tests(T_RATE, 'a username has its own bucket across client addresses, on primary authentication and on each recovery start'),
      ...tests(T_TWO_SERVERS, 'another username is not limited'),
    ],
  },
  {
    id: 'AUTHN-RATE-2',
    title: 'Per-client and per-transaction limits, with Okta’s headers',
    statement:
      'Every request also counts per client address and endpoint (600 a minute) and per state token (60 a minute). Counted responses carry X-Rate-Limit-Limit, -Remaining and -Reset; past a limit the answer is 429 E0000047 with Retry-After, and concurrent requests never get past a limit.',
    sections: ['9.13', '8.2'],
    okta: 'https://developer.okta.com/docs/reference/rate-limits/',
    implementedBy: [...impl(HANDLER, 'rateHeaders', 'createAuthnHandler.count'), ...impl(MEMORY_RATE_LIMITER, 'createMemoryRateLimiter')],
    testedBy: [
      ...tests(T_RATE, 'every counted response carries X-Rate-Limit-Limit, -Remaining and -Reset; past the limit, 429 E0000047 with Retry-After', 'a state token has its own bucket', 'concurrent requests: exactly `limit` of them get through, whatever the interleaving; the others are 429'),
      ...tests(T_RATE_SUITE, 'a bucket lets `limit` requests through, then refuses with remaining 0; the window end is about windowSeconds away'),
    ],
  },
  {
    id: 'AUTHN-RATE-3',
    title: 'Bounded password hashing',
    statement:
      'Password hashing runs in one bounded queue: sign-ins past a full queue, or waiting too long behind other attempts on the same account, are answered 429 E0000047 at once instead of piling up.',
    sections: ['9.13'],
    okta: 'https://developer.okta.com/docs/reference/rate-limits/',
    implementedBy: [...impl(HASH_QUEUE, 'createQueuedHasher'), ...impl(PIPELINE, 'createPipeline.hasherFailed', 'createPipeline.admit')],
    testedBy: tests(T_HASH_QUEUE, 'over the engine: sign-ins past a full queue are answered 429 E0000047 at once, the others as usual'),
  },
  // --------------------------------------------------------------------------------- step-up
  {
    id: 'AUTHN-STEP-1',
    title: 'Apps are data',
    statement:
      'A step-up targets an app: its id, name, label and logo (what `_embedded.target` shows), its protocol and issuer (`_embedded.authentication`), the return URL its `original` link leads to, and its own sign-on policy. Apps come from the seed and from the embedding server through the AppSource port; every adapter passes the same suite.',
    sections: ['6.7', '6.8'],
    okta: authn('target-object'),
    implementedBy: [...impl(APP_MODEL, 'App', 'AppSignOnPolicy'), ...impl(APP_SOURCE, 'AppSource'), ...impl(SEED, 'SeedApp', 'appFromSeed'), ...impl(STEP_UP_OPS, 'stepUpOperations.putApp')],
    testedBy: [
      ...tests(T_APP_SUITE, 'any sequence of put, find, list and remove answers as a map from id to app would'),
      ...tests(T_STEP_UP, 'administration: put checks the app, remove of an unknown app is 404, list is by id'),
    ],
  },
  {
    id: 'AUTHN-STEP-2',
    title: 'IdP-initiated step-up: an audience names the app',
    statement:
      'Primary authentication with `audience` signs in to that app: an unknown app is 400 E0000001 ("Invalid or unknown audience"), an inactive one 400 E0000001 ("Sign in not allowed for app"), both before any password is checked; an app whose policy denies is 401 E0000004, as the org\'s sign-on policy.',
    sections: ['4.3', '4.1'],
    okta: authn('idp-initiated-step-up-authentication'),
    implementedBy: [...impl(PRIMARY, 'primaryOperations.authenticate', 'primaryOperations.stepUpByPassword'), ...impl(STEP_UP_OPS, 'createStepUp.audienceApp'), ...impl(AUTHN_MACHINE, 'authnMachine.isSignOnDenied')],
    testedBy: [
      ...tests(T_STEP_UP, 'audience: unknown → 400 E0000001 "Invalid or unknown audience", inactive → "Sign in not allowed for app", a denying app → 401 E0000004'),
      ...tests(T_HARNESS_STEP_UP, 'Refused before any password is checked'),
    ],
  },
  {
    id: 'AUTHN-STEP-3',
    title: 'The app\'s sign-on policy joins the org\'s after the password',
    statement:
      'After primary authentication, an app that asks for a factor is answered as the org\'s factor requirement is (MFA_REQUIRED, or MFA_ENROLL without an active factor), unless the session the embedding server vouches for verified one within the app\'s factor lifetime; a remembered device does not answer it. Every state of a step-up is typed SESSION_STEP_UP and shows the app.',
    sections: ['4.2', '4.3', '6.7', '6.8'],
    okta: authn('sp-initiated-step-up-authentication'),
    implementedBy: [...impl(FACTS, 'evaluationFacts', 'requiredEnrollmentMissing'), ...impl(STEP_UP, 'stepUpOf', 'appRequiresFactor'), ...impl(RENDER, 'renderTransaction')],
    testedBy: [
      ...tests(T_INVARIANTS, 'step-up (spec §4.2, §4.3): an app that denies is never reached; one that asks for a factor is reached only after a factor, unless one was verified recently'),
      ...tests(T_STEP_UP, 'an app that asks for a factor: MFA_REQUIRED typed SESSION_STEP_UP with target and authentication'),
      ...tests(T_RENDER, 'every live state is typed SESSION_STEP_UP and embeds target and authentication after its own members'),
    ],
  },
  {
    id: 'AUTHN-STEP-4',
    title: 'SP-initiated step-up waits for its user in UNAUTHENTICATED',
    statement:
      'A trusted caller opens a step-up for an app: UNAUTHENTICATED, with a state token for the sign-in page, the app, and only the `authenticate` link. Get-state shows it again; primary authentication with it continues as an IdP-initiated step-up to the same app (a wrong password leaves it usable); any other operation is 403 E0000079; a tampered or expired one, or one whose app is gone, 401 E0000011. For a user whose session the caller knows, it starts after primary authentication instead.',
    sections: ['4.2', '3.2'],
    okta: authn('sp-initiated-step-up-authentication'),
    implementedBy: [...impl(PRIMARY, 'primaryOperations.openStepUp', 'primaryOperations.getStateOf', 'primaryOperations.bySession'), ...impl(STEP_UP_TICKET, 'sealTicket', 'openTicket'), ...impl(RENDER, 'renderStepUpStart')],
    testedBy: [
      ...tests(T_STEP_UP, 'SP-initiated: UNAUTHENTICATED (no user, no cancel)', 'ticket is 401 E0000011', 'a factor verified within the app'),
      ...tests(T_RENDER, 'UNAUTHENTICATED: the state token, typed SESSION_STEP_UP, target and authentication, the authenticate link only'),
    ],
  },
  {
    id: 'AUTHN-STEP-5',
    title: 'A step-up SUCCESS leads to its app once',
    statement:
      'A step-up SUCCESS carries no session token: a one-time token stands as its state token and in its `original` link (GET). Following the link redirects to the return URL configured for the app (never one from a request) once; a second use, an expired token, or a user locked or suspended since is 401 E0000011.',
    sections: ['4.2', '3.1', '6.9'],
    okta: authn('sp-initiated-step-up-authentication'),
    implementedBy: [...impl(AUTHN_MACHINE, 'route'), ...impl(STEP_UP_OPS, 'stepUpOperations.redeemStepUp'), ...impl(HANDLER, 'createAuthnHandler.getResource')],
    testedBy: [
      ...tests(T_STEP_UP, 'IdP-initiated: audience of an allowing app → SUCCESS typed SESSION_STEP_UP with the `original` link and no session token; the link works once', 'a user locked or suspended after the SUCCESS cannot follow it'),
      ...tests(T_INVARIANTS, 'every transition into SUCCESS emits exactly one issueSessionToken'),
      ...tests(T_HARNESS_STEP_UP, 'configured return URL, once'),
    ],
  },
]
