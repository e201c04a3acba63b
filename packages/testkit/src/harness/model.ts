/**
 * The reference model: a deliberately plain, independent restatement of the spec (Okta's classic
 * authn API, spec §3, §4.1, §4.4–4.11, §4.18–4.21, §9, §10) over an org seed. It never calls the
 * xstate machine or the engine; it predicts what any conforming implementation must answer.
 */
import { resolveRelativeDate, type OrgSeed } from '@authn-machine/core'
import type { HarnessPushDevice } from './push-device.js'
import type { HarnessAuthenticator } from './webauthn-authenticator.js'

const MINUTE = 60_000
const DAY = 86_400_000

export interface ModelPolicies {
  readonly minLength: number
  readonly minLowerCase: number
  readonly minUpperCase: number
  readonly minNumber: number
  readonly minSymbol: number
  readonly excludeUsername: boolean
  readonly excludeFirstName: boolean
  readonly excludeLastName: boolean
  readonly maxAgeDays: number
  readonly expireWarnDays: number
  readonly minAgeMinutes: number
  readonly historyCount: number
  readonly maxAttempts: number
  readonly autoUnlockMinutes: number
  readonly showLockoutFailures: boolean
  readonly requireFactor: boolean
  readonly signOnDenied: boolean
  readonly requiredEnrollments: ReadonlyArray<string>
  readonly optionalEnrollments: ReadonlyArray<string>
  readonly notAllowedEnrollments: ReadonlyArray<string>
  /** How long a sent code is accepted, and the wrong answers it allows (`policies.sentCode`). */
  readonly sentCodeLifetimeMs: number
  readonly sentCodeMaxAttempts: number
  /** Self-service recovery (`policies.recovery`; spec §4.12–4.18, docs/adr/0012-recovery.md). */
  readonly recovery: ModelRecoveryPolicy
}

/** The recovery policy, with the defaults Okta ships (email on, SMS and call off, unlock off). */
export interface ModelRecoveryPolicy {
  readonly email: boolean
  readonly sms: boolean
  readonly call: boolean
  readonly tokenLifetimeMs: number
  readonly passwordReset: boolean
  readonly unlock: boolean
  readonly questionRequired: boolean
  readonly maxAnswerAttempts: number
}

export type RecoveryType = 'PASSWORD' | 'UNLOCK'

/** A recovery transaction (spec §4.12–4.18). `login` null: a decoy, for a user who is unknown or may not recover. */
export interface ModelRecovery {
  readonly stateToken: string
  readonly login: string | null
  readonly recoveryType: RecoveryType
  /** The channel of its codes (null when opened by a recovery token). */
  readonly channel: 'SMS' | 'CALL' | null
  status: 'RECOVERY_CHALLENGE' | 'RECOVERY' | 'PASSWORD_RESET'
  expiresAt: number
  readonly absoluteExpiresAt: number
  dead: boolean
  /** The user's credential epoch it lives under (a decoy's never moves). */
  epoch: number
  wrongAnswers: number
  /** Codes sent in it, oldest first (a decoy's are never seen: their value is unknown). */
  readonly codes: ModelSentCode[]
  /** When the last code was made (a decoy's too): the resend throttle runs from it. */
  lastSentAt: number
}

/** A recovery token read from a recovery email: single use, expiring. */
export interface ModelRecoveryToken {
  readonly token: string
  readonly login: string
  readonly recoveryType: RecoveryType
  readonly expiresAt: number
  used: boolean
}

/** A family that sends a one-time code (spec §4.6–4.11; docs/adr/0010-sent-codes.md). */
export interface SendingFamily {
  readonly channel: 'sms' | 'call' | 'email'
  readonly codeLength: number
  /** No new code of the family in a transaction before this long after the last one. */
  readonly resendAfterMs: number
  /** The 429 of a send inside that interval. */
  readonly throttledCode: string
}

/** The families that send codes, by `factorType/provider`. */
const SENDING_FAMILIES: Readonly<Record<string, SendingFamily>> = {
  'sms/OKTA': { channel: 'sms', codeLength: 6, resendAfterMs: 30_000, throttledCode: 'E0000109' },
  'call/OKTA': { channel: 'call', codeLength: 5, resendAfterMs: 30_000, throttledCode: 'E0000133' },
  'email/OKTA': { channel: 'email', codeLength: 6, resendAfterMs: 5_000, throttledCode: 'E0000118' },
}

/** The sending family of a factor key, if it sends codes. */
export const sendingFamily = (key: string): SendingFamily | undefined => SENDING_FAMILIES[key]

/** A factor of a user as the model knows it: its secret (TOTP) or answer (question) in clear. */
export interface ModelFactor {
  /** Empty until learnt (a question's id is first shown in MFA_REQUIRED). */
  id: string
  /** `factorType/provider`. */
  readonly key: string
  readonly secret: string | null
  readonly answer: string | null
  /** Where a sending factor's codes go: its phone number (E.164) or email address. */
  readonly destination: string | null
  status: 'ACTIVE' | 'PENDING_ACTIVATION'
  /** The last TOTP time step accepted (a WebAuthn factor: its last signature counter). */
  lastStep: number | null
  /** A WebAuthn factor: its authenticator, the origin it answers for, its counter, the enrollment's nonce while pending. */
  webauthn?: {
    readonly authenticator: HarnessAuthenticator
    readonly origin: string
    counter: number
    readonly pending: { readonly nonce: string; readonly expiresAt: number }
  }
  /**
   * A push factor (docs/adr/0031-push.md): its device, and the activation its enrollment waits
   * with: until when, whether a device answered it, which start of it (`round`: a link sent or an
   * `activate` after it ended starts it anew), and the enrollment link last read (its token, of a round).
   */
  push?: {
    readonly device: HarnessPushDevice
    readonly pending: { round: number; expiresAt: number; activated: boolean; link: { readonly token: string; readonly round: number } | null }
  }
}

/** A push sent in a transaction (docs/adr/0031-push.md): its challenge, the number shown, how it stands. */
export interface ModelPush {
  readonly factorId: string
  /** Learnt from the device's list of pending challenges right after the push started. */
  challengeId: string
  readonly expiresAt: number
  /** The number the sign-in page shows (number matching), as the first answer showed it. */
  readonly correct: number
  state: 'waiting' | 'approved' | 'denied'
  /** A poll has shown its end (REJECTED, TIMEOUT) already: the next verification starts a new push. */
  reported: boolean
}

export interface ModelUser {
  readonly login: string
  readonly firstName: string
  readonly lastName: string
  /** The primary email (an email factor's address by default): the seed's `email`, else the login. */
  readonly email: string
  status: 'ACTIVE' | 'PASSWORD_EXPIRED' | 'STAGED' | 'SUSPENDED' | 'DEPROVISIONED'
  /** Plaintext of the current password, or null. */
  password: string | null
  /** Earlier passwords, newest first. */
  history: string[]
  passwordChangedAt: number | null
  failedAttempts: number
  lockedAt: number | null
  activationToken: string | null
  /** The live activation transaction that holds the token (a token opens one at a time). */
  activationHolder: ModelTransaction | null
  /** The user's factor rows (shared by every transaction of the user). */
  factors: ModelFactor[]
  /** The recovery question and its answer, as seeded. */
  readonly recoveryQuestion: { readonly question: string; readonly answer: string } | null
  /**
   * Moves on every credential change (lock, unlock, suspend, deactivate, a new password, an
   * activation): transactions started under another value are dead.
   */
  epoch: number
}

export type ModelStatus =
  | 'PASSWORD_WARN'
  | 'PASSWORD_EXPIRED'
  | 'PASSWORD_RESET'
  | 'MFA_ENROLL'
  | 'MFA_ENROLL_ACTIVATE'
  | 'MFA_REQUIRED'
  | 'MFA_CHALLENGE'
  | 'SUCCESS'

/** A code sent in a transaction: its value as read from the outbox, and what limits it. */
export interface ModelSentCode {
  readonly factorId: string
  /** `factorType/provider` of the factor it was sent for. */
  readonly key: string
  readonly code: string
  readonly sentAt: number
  readonly expiresAt: number
  attemptsLeft: number
  /** Accepted once already (the invariant "a code is accepted at most once"). */
  accepted: boolean
}

export interface ModelTransaction {
  readonly stateToken: string
  readonly login: string
  status: ModelStatus
  expiresAt: number
  /** Sliding never takes the state token past this. */
  readonly absoluteExpiresAt: number
  /** Facts copied when the transaction began (the spec's transaction is a snapshot). */
  changedAtAtStart: number | null
  adminExpiredAtStart: boolean
  readonly warnOption: boolean
  passwordChanged: boolean
  warnHandled: boolean
  dead: boolean
  /** The user's credential epoch this transaction lives under. */
  epoch: number
  /** The factors as this transaction saw them when it began, plus what it enrolled (a snapshot, spec §3). */
  factors: ModelFactor[]
  readonly multiOptional: boolean
  mfaVerified: boolean
  enrolledHere: boolean
  enrollHandled: boolean
  /** The enrollment waiting in MFA_ENROLL_ACTIVATE. */
  pending: ModelFactor | null
  /** The factor challenged in MFA_CHALLENGE. */
  challenge: string | null
  /** The nonce issued for a factor that signs one (WebAuthn), until answered, replaced or left by `previous`. */
  nonce: { readonly factorId: string; readonly value: string; readonly expiresAt: number } | null
  /** Every code sent in this transaction, oldest first; the last is the open one (one at a time). */
  readonly codes: ModelSentCode[]
  /**
   * Every push sent in this transaction, oldest first; the last is the one in progress while
   * MFA_CHALLENGE challenges its factor (`challenge`), and no push is once the transaction left it.
   */
  readonly pushes: ModelPush[]
  /** The app of a step-up (its SUCCESS leads there), or null. */
  readonly app: ModelApp | null
}

/**
 * An app a step-up can target (the seed's `apps`; spec §4.2, §4.3): whether it may be signed in to,
 * whether it asks for a factor, and where its `original` link leads.
 */
export interface ModelApp {
  readonly id: string
  readonly active: boolean
  readonly deny: boolean
  readonly requireFactor: boolean
  readonly returnUrl: string
}

/** A step-up waiting for its user (UNAUTHENTICATED): a state token for an app, until it expires. */
export interface ModelTicket {
  readonly stateToken: string
  readonly app: ModelApp
  readonly expiresAt: number
}

/** The one-time token of a step-up SUCCESS's `original` link. */
export interface ModelRedirect {
  readonly token: string
  readonly app: ModelApp
  /** The user who signed in (a lock or suspension since then closes the link). */
  readonly login: string
  readonly expiresAt: number
  used: boolean
}

export interface ModelSession {
  readonly login: string
  readonly token: string
  readonly expiresAt: number
  consumed: boolean
}

/** What the model predicts for one request. */
export type Prediction =
  | { readonly kind: 'error'; readonly status: number; readonly errorCode: string }
  | {
      readonly kind: 'transaction'
      readonly status: ModelStatus | 'LOCKED_OUT'
      readonly expiresAt: number | null
      /** A step-up's answer: typed SESSION_STEP_UP; its SUCCESS carries the `original` link instead of a session token. */
      readonly app?: ModelApp | null
    }
  | { readonly kind: 'cancelled' }
  | { readonly kind: 'session' }

export const err = (status: number, errorCode: string): Prediction => ({ kind: 'error', status, errorCode })

export interface ModelOptions {
  readonly stateTokenLifetimeMs: number
  readonly stateTokenMaxLifetimeMs: number
  readonly sessionTokenLifetimeMs: number
}

export class Model {
  now: number
  readonly users: ModelUser[]
  readonly transactions: ModelTransaction[] = []
  readonly sessions: ModelSession[] = []
  readonly recoveries: ModelRecovery[] = []
  readonly recoveryTokens: ModelRecoveryToken[] = []
  readonly apps: ReadonlyArray<ModelApp>
  readonly tickets: ModelTicket[] = []
  readonly redirects: ModelRedirect[] = []
  readonly policy: ModelPolicies
  passwordCounter = 0

  constructor(
    seed: OrgSeed,
    start: number,
    readonly options: ModelOptions,
  ) {
    this.now = start
    const p = seed.policies
    this.policy = {
      minLength: p?.password?.complexity?.minLength ?? 8,
      minLowerCase: p?.password?.complexity?.minLowerCase ?? 1,
      minUpperCase: p?.password?.complexity?.minUpperCase ?? 1,
      minNumber: p?.password?.complexity?.minNumber ?? 1,
      minSymbol: p?.password?.complexity?.minSymbol ?? 0,
      excludeUsername: p?.password?.complexity?.excludeUsername ?? true,
      excludeFirstName: (p?.password?.complexity?.excludeAttributes ?? []).includes('firstName'),
      excludeLastName: (p?.password?.complexity?.excludeAttributes ?? []).includes('lastName'),
      maxAgeDays: p?.password?.age?.maxAgeDays ?? 0,
      expireWarnDays: p?.password?.age?.expireWarnDays ?? 0,
      minAgeMinutes: p?.password?.age?.minAgeMinutes ?? 0,
      historyCount: p?.password?.age?.historyCount ?? 4,
      maxAttempts: p?.password?.lockout?.maxAttempts ?? 10,
      autoUnlockMinutes: p?.password?.lockout?.autoUnlockMinutes ?? 0,
      showLockoutFailures: p?.password?.lockout?.showLockoutFailures ?? false,
      requireFactor: p?.signOn?.requireFactor ?? false,
      signOnDenied: p?.signOn?.access === 'DENY',
      requiredEnrollments: (p?.enrollment?.factors ?? []).filter((f) => f.enroll === 'REQUIRED').map((f) => `${f.factorType}/${f.provider}`),
      optionalEnrollments: (p?.enrollment?.factors ?? []).filter((f) => f.enroll === 'OPTIONAL').map((f) => `${f.factorType}/${f.provider}`),
      notAllowedEnrollments: (p?.enrollment?.factors ?? []).filter((f) => f.enroll === 'NOT_ALLOWED').map((f) => `${f.factorType}/${f.provider}`),
      sentCodeLifetimeMs: (p?.sentCode?.lifetimeMinutes ?? 5) * MINUTE,
      sentCodeMaxAttempts: p?.sentCode?.maxAttempts ?? 5,
      recovery: {
        email: p?.recovery?.channels?.email ?? true,
        sms: p?.recovery?.channels?.sms ?? false,
        call: p?.recovery?.channels?.call ?? false,
        tokenLifetimeMs: (p?.recovery?.recoveryTokenLifetimeMinutes ?? 60) * MINUTE,
        passwordReset: p?.recovery?.selfServicePasswordReset ?? true,
        unlock: p?.recovery?.selfServiceUnlock ?? false,
        questionRequired: p?.recovery?.questionRequired ?? true,
        maxAnswerAttempts: p?.recovery?.maxAnswerAttempts ?? 5,
      },
    }
    this.apps = (seed.apps ?? []).map((a) => ({
      id: a.id,
      active: a.status !== 'INACTIVE',
      deny: a.signOn?.access === 'DENY',
      requireFactor: a.signOn?.requireFactor ?? false,
      returnUrl: a.returnUrl,
    }))
    this.users = seed.users.map((u) => ({
      login: u.login,
      firstName: u.firstName,
      lastName: u.lastName,
      email: u.email ?? u.login,
      status: u.status === 'LOCKED_OUT' || u.status === undefined ? 'ACTIVE' : u.status,
      password: u.password ?? null,
      history: [],
      // Relative dates (`now-85d`) against the run's start, by the function the reference server loads seeds with.
      passwordChangedAt: u.password === undefined ? null : u.passwordChanged === undefined ? start : Date.parse(resolveRelativeDate(u.passwordChanged, start)),
      failedAttempts: 0,
      lockedAt: u.status === 'LOCKED_OUT' ? start : null,
      activationToken: u.activationToken ?? null,
      activationHolder: null,
      epoch: 0,
      recoveryQuestion: u.recoveryQuestion ?? null,
      factors: (u.factors ?? []).map((f, i) => ({
        // Seeded factors carry their id in the harness seeds; the model names the others as the seed loader does not.
        id: f.id ?? `${u.login}#${i}`,
        key: `${f.factorType}/${f.provider}`,
        secret: f.secret ?? null,
        answer: f.answer ?? null,
        destination: f.phoneNumber ?? (f.factorType === 'email' ? (f.email ?? u.email ?? u.login) : null),
        status: f.status ?? 'ACTIVE',
        lastStep: null,
      })),
    }))
  }

  user(login: string): ModelUser | undefined {
    return this.users.find((u) => u.login.toLowerCase() === login.toLowerCase())
  }

  // ------------------------------------------------------------------ rules, restated from the spec

  isLocked(u: ModelUser): boolean {
    if (u.lockedAt === null) return false
    return this.policy.autoUnlockMinutes === 0 || this.now < u.lockedAt + this.policy.autoUnlockMinutes * MINUTE
  }

  expiryOf(changedAt: number | null): number | null {
    return this.policy.maxAgeDays > 0 && changedAt !== null ? changedAt + this.policy.maxAgeDays * DAY : null
  }

  /** Spec §10.1 rows 6–10, after the primary credential (and any progress) is settled. */
  /** Whether the transaction still has to enroll a REQUIRED factor (or any, when sign-on requires one). */
  /** Whether a factor is asked for: by the org's sign-on policy, or by a step-up's app. */
  factorAsked(tx: { readonly app?: ModelApp | null }): boolean {
    return this.policy.requireFactor || (tx.app?.requireFactor ?? false)
  }

  requiredLeft(tx: Pick<ModelTransaction, 'factors'> & { readonly app?: ModelApp | null }): boolean {
    const active = tx.factors.filter((f) => f.status === 'ACTIVE').map((f) => f.key)
    return this.policy.requiredEnrollments.some((k) => !active.includes(k)) || (this.factorAsked(tx) && active.length === 0)
  }

  route(
    tx: Pick<ModelTransaction, 'changedAtAtStart' | 'adminExpiredAtStart' | 'warnOption' | 'passwordChanged' | 'warnHandled' | 'factors' | 'mfaVerified' | 'enrolledHere' | 'enrollHandled' | 'multiOptional'> & {
      readonly app?: ModelApp | null
    },
  ): ModelStatus {
    const active = tx.factors.filter((f) => f.status === 'ACTIVE').map((f) => f.key)
    // A factor verified or enrolled in this transaction is not asked for again.
    if (this.factorAsked(tx) && active.length > 0 && !tx.mfaVerified && !tx.enrolledHere) return 'MFA_REQUIRED'
    const expiry = this.expiryOf(tx.changedAtAtStart)
    if (!tx.passwordChanged && (tx.adminExpiredAtStart || (expiry !== null && this.now >= expiry))) return 'PASSWORD_EXPIRED'
    const optionalOffered = tx.multiOptional && tx.enrolledHere && !tx.enrollHandled && this.policy.optionalEnrollments.some((k) => !active.includes(k))
    if (this.requiredLeft(tx) || optionalOffered) return 'MFA_ENROLL'
    if (
      tx.warnOption &&
      !tx.passwordChanged &&
      !tx.warnHandled &&
      expiry !== null &&
      this.policy.expireWarnDays > 0 &&
      this.now >= expiry - this.policy.expireWarnDays * DAY &&
      this.now < expiry
    )
      return 'PASSWORD_WARN'
    return 'SUCCESS'
  }

  meetsComplexity(password: string, u: ModelUser): boolean {
    const chars = [...password]
    const count = (re: RegExp) => chars.filter((c) => re.test(c)).length
    const folded = password.toLowerCase()
    const contains = (s: string) => s.length >= 3 && folded.includes(s.toLowerCase())
    const parts = [u.login, ...u.login.split(/[.,\-_#@+]/)]
    const p = this.policy
    return (
      chars.length >= p.minLength &&
      count(/\p{Ll}/u) >= p.minLowerCase &&
      count(/\p{Lu}/u) >= p.minUpperCase &&
      count(/\p{Nd}/u) >= p.minNumber &&
      count(/[\p{P}\p{S}]/u) >= p.minSymbol &&
      !(p.excludeUsername && parts.some(contains)) &&
      !(p.excludeFirstName && contains(u.firstName)) &&
      !(p.excludeLastName && contains(u.lastName))
    )
  }

  reuses(password: string, u: ModelUser): boolean {
    if (this.policy.historyCount <= 0) return false
    const recent = [u.password, ...u.history.slice(0, this.policy.historyCount - 1)]
    return recent.includes(password)
  }

  /** A password that meets the policy, is new, and avoids the user's names. */
  freshPassword(): string {
    this.passwordCounter += 1
    const p = this.policy
    const blocks = Math.max(1, Math.ceil(p.minLength / 4), p.minLowerCase, p.minUpperCase, p.minNumber, p.minSymbol)
    return `${'zQ7!'.repeat(blocks)}${this.passwordCounter}`
  }

  setPassword(u: ModelUser, password: string): void {
    if (u.password !== null) u.history = [u.password, ...u.history].slice(0, Math.max(0, this.policy.historyCount - 1))
    u.password = password
    u.passwordChangedAt = this.now
    if (u.status === 'PASSWORD_EXPIRED') u.status = 'ACTIVE'
    u.epoch += 1
  }

  /** Every unredeemed session token of the user is revoked (lock, suspend, deactivate, revokeSessions). */
  revokeSessions(u: ModelUser): void {
    for (const s of this.sessions) if (s.login === u.login) s.consumed = true
  }

  /** One more failed password at `now`: the counters as spec §9 says; true when it locks. */
  recordFailure(u: ModelUser): boolean {
    if (this.isLocked(u)) return false
    if (u.lockedAt !== null) {
      u.lockedAt = null
      u.failedAttempts = 0
    }
    u.failedAttempts += 1
    const locks = this.policy.maxAttempts > 0 && u.failedAttempts >= this.policy.maxAttempts
    if (locks) {
      // A lock ends everything live: transactions (epoch) and unredeemed session tokens.
      u.lockedAt = this.now
      u.epoch += 1
      this.revokeSessions(u)
    }
    return locks
  }

  // ------------------------------------------------------------------ transactions

  live(tx: ModelTransaction | undefined): tx is ModelTransaction {
    return tx !== undefined && !tx.dead && this.now < tx.expiresAt && tx.epoch === this.user(tx.login)?.epoch
  }

  touch(tx: ModelTransaction): void {
    tx.expiresAt = Math.min(this.now + this.options.stateTokenLifetimeMs, tx.absoluteExpiresAt)
  }

  /** Records a transaction that reached `status` (SUCCESS transactions are finished at once). */
  open(
    stateToken: string,
    u: ModelUser,
    status: ModelStatus,
    warnOption: boolean,
    changedAt: number | null,
    adminExpired: boolean,
    multiOptional = false,
    app: ModelApp | null = null,
  ): ModelTransaction {
    const tx: ModelTransaction = {
      stateToken,
      login: u.login,
      status,
      expiresAt: Math.min(this.now + this.options.stateTokenLifetimeMs, this.now + this.options.stateTokenMaxLifetimeMs),
      absoluteExpiresAt: this.now + this.options.stateTokenMaxLifetimeMs,
      changedAtAtStart: changedAt,
      adminExpiredAtStart: adminExpired,
      warnOption,
      passwordChanged: false,
      warnHandled: false,
      dead: status === 'SUCCESS',
      epoch: u.epoch,
      factors: u.factors.map((f) => ({ ...f })),
      multiOptional,
      mfaVerified: false,
      enrolledHere: false,
      enrollHandled: false,
      pending: null,
      challenge: null,
      nonce: null,
      codes: [],
      pushes: [],
      app,
    }
    this.transactions.push(tx)
    return tx
  }

  // ------------------------------------------------------------------ codes sent (spec §4.6–4.11)

  /** The open code of `tx`: the last one sent (a new one replaces it). */
  openCode(tx: ModelTransaction): ModelSentCode | undefined {
    return tx.codes[tx.codes.length - 1]
  }

  /**
   * Until when a new code for a factor of `key` is refused: the throttle of the transaction's last
   * code of the same factor type (ADR 0010), whatever was sent for other types in between.
   */
  throttleEnds(tx: ModelTransaction, key: string): number | null {
    const typeOf = (k: string) => k.split('/')[0]
    const last = [...tx.codes].reverse().find((c) => typeOf(c.key) === typeOf(key))
    const family = sendingFamily(last?.key ?? '')
    return last === undefined || family === undefined ? null : last.sentAt + family.resendAfterMs
  }

  /**
   * The open code of `tx` when `passCode` is it, for `factorId`, with attempts left (not used up,
   * not accepted before). It is accepted while it has not expired.
   */
  matchingCode(tx: ModelTransaction, factorId: string, passCode: string): ModelSentCode | undefined {
    const open = this.openCode(tx)
    return open !== undefined && open.factorId === factorId && open.code === passCode && open.attemptsLeft > 0 ? open : undefined
  }

  /** Records a code sent at `at` for `f` (its value read from the outbox): it becomes the open one. */
  recordCode(tx: ModelTransaction, f: ModelFactor, code: string, at: number): void {
    tx.codes.push({
      factorId: f.id,
      key: f.key,
      code,
      sentAt: at,
      expiresAt: at + this.policy.sentCodeLifetimeMs,
      attemptsLeft: this.policy.sentCodeMaxAttempts,
      accepted: false,
    })
  }

  /** Phone numbers and email addresses that no response may show unmasked (a login is shown as such). */
  destinations(): ReadonlyArray<string> {
    const logins = new Set(this.users.map((u) => u.login.toLowerCase()))
    const all = this.users.flatMap((u) => u.factors.flatMap((f) => (f.destination === null ? [] : [f.destination])))
    return [...new Set(all)].filter((d) => !logins.has(d.toLowerCase()))
  }

  // ------------------------------------------------------------------ recovery (spec §4.12–4.18)

  /** Whether `u` may recover this way now: a status that recovers, self-service on, and for an unlock a lock to undo. */
  mayRecover(u: ModelUser, kind: RecoveryType): boolean {
    if (u.status !== 'ACTIVE' && u.status !== 'PASSWORD_EXPIRED') return false
    return kind === 'PASSWORD' ? this.policy.recovery.passwordReset : this.policy.recovery.unlock && this.isLocked(u)
  }

  liveRecovery(r: ModelRecovery | undefined): r is ModelRecovery {
    if (r === undefined || r.dead || this.now >= r.expiresAt) return false
    return r.login === null || r.epoch === this.user(r.login)?.epoch
  }

  touchRecovery(r: ModelRecovery): void {
    r.expiresAt = Math.min(this.now + this.options.stateTokenLifetimeMs, r.absoluteExpiresAt)
  }

  openRecovery(stateToken: string, u: ModelUser | null, recoveryType: RecoveryType, channel: ModelRecovery['channel'], status: ModelRecovery['status']): ModelRecovery {
    const r: ModelRecovery = {
      stateToken,
      login: u?.login ?? null,
      recoveryType,
      channel,
      status,
      expiresAt: Math.min(this.now + this.options.stateTokenLifetimeMs, this.now + this.options.stateTokenMaxLifetimeMs),
      absoluteExpiresAt: this.now + this.options.stateTokenMaxLifetimeMs,
      dead: false,
      epoch: u?.epoch ?? 0,
      wrongAnswers: 0,
      codes: [],
      lastSentAt: this.now,
    }
    this.recoveries.push(r)
    return r
  }

  /**
   * Where a proven channel leads (spec §10.3): the question when the policy asks and the user has
   * one; else a new password, or for an unlock the unlock itself (null: finished, SUCCESS UNLOCK).
   */
  afterProof(u: ModelUser, kind: RecoveryType): 'RECOVERY' | 'PASSWORD_RESET' | null {
    if (this.policy.recovery.questionRequired && u.recoveryQuestion !== null) return 'RECOVERY'
    if (kind === 'PASSWORD') return 'PASSWORD_RESET'
    this.unlock(u)
    return null
  }

  /** A self-service unlock: the lock and the counter cleared, a credential change. */
  unlock(u: ModelUser): void {
    u.lockedAt = null
    u.failedAttempts = 0
    u.epoch += 1
  }

  /** A step-up SUCCESS's `original` link token, usable once for as long as a session token lives. */
  issueRedirect(u: ModelUser, app: ModelApp, token: string): void {
    this.redirects.push({ token, app, login: u.login, expiresAt: this.now + this.options.sessionTokenLifetimeMs, used: false })
  }

  issueSession(u: ModelUser, token: string): void {
    this.sessions.push({ login: u.login, token, expiresAt: this.now + this.options.sessionTokenLifetimeMs, consumed: false })
  }
}
