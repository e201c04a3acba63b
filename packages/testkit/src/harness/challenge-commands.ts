/**
 * Commands for a factor whose authenticator signs a nonce the server issued (WebAuthn, spec §4.6,
 * §4.7, §4.10; docs/adr/0029-challenge-factors.md), with a software authenticator: enroll,
 * activate with an attestation over the enrollment's nonce, ask for a nonce, and answer it with an
 * assertion. Invariants: no SUCCESS without a signature over the nonce this transaction issued; a
 * nonce answers once; a signature counter never goes back (403 E0000082). Generated only when the
 * org's enrollment policy names `webauthn/FIDO`.
 */
import fc from 'fast-check'
import { ConformanceError, LATEST, LATEST_MFA, SignIn, TransactionCommand, advance, cover, enrollPending, expectAnswer, keepSession, member, originOf, send, str, type Real } from './commands.js'
import { err, type Model, type ModelFactor, type ModelTransaction, type ModelUser, type Prediction } from './model.js'
import { createHarnessAuthenticator } from './webauthn-authenticator.js'

const KEY = 'webauthn/FIDO'
/** How long the server lets a nonce be answered (the reference server's default). */
const NONCE_MS = 60_000
/** A nonce no transaction issued. */
const STALE_NONCE = 'AAAAAAAAAAAAAAAAAAAA'

/** The user's WebAuthn factor, enrolled here with its authenticator. */
const webauthnOf = (u: ModelUser, status: ModelFactor['status']): ModelFactor | undefined => u.factors.find((f) => f.key === KEY && f.status === status && f.webauthn !== undefined)

/** `POST /api/v1/authn/factors` for `webauthn/FIDO` in MFA_ENROLL: the creation options, with a nonce. */
export class EnrollWebauthn extends TransactionCommand {
  constructor(readonly txIndex: number) {
    super()
  }
  protected async step(model: Model, real: Real, tx: ModelTransaction, u: ModelUser, state: string): Promise<void> {
    cover(real, state, 'enrollFactor(webauthn/FIDO)')
    await enrollPending(model, real, this.toString(), tx, u, KEY, (r, issuedAt) => {
      const id = str(member(r.body, '_embedded', 'factor', 'id'))
      const nonce = str(member(r.body, '_embedded', 'factor', '_embedded', 'activation', 'challenge'))
      if (id === undefined || nonce === undefined) throw new ConformanceError('MFA_ENROLL_ACTIVATE shows the creation options with a challenge', JSON.stringify(r.body))
      const origin = originOf(r)
      return { id, webauthn: { authenticator: createHarnessAuthenticator(new URL(origin).hostname, id), origin, counter: 0, pending: { nonce, expiresAt: issuedAt + NONCE_MS } } }
    })
  }
  toString = () => `enrollWebauthn(tx#${this.txIndex})`
}

/** `POST …/lifecycle/activate` with an attestation over the enrollment's nonce, from the API's origin or another. */
export class ActivateWebauthn extends TransactionCommand {
  constructor(
    readonly txIndex: number,
    readonly right: boolean,
  ) {
    super()
  }
  protected async step(model: Model, real: Real, tx: ModelTransaction, u: ModelUser, state: string): Promise<void> {
    const pending = tx.pending
    const w = pending?.webauthn
    if (pending === null || w === undefined) return
    cover(real, state, `activateFactor(webauthn, ${this.right ? 'right' : 'another origin'})`)
    const answer = w.authenticator.create(w.pending.nonce, this.right ? w.origin : 'https://elsewhere.example')
    const row = u.factors.find((f) => f.id === pending.id)
    let p: Prediction
    if (!model.live(tx)) p = err(401, 'E0000011')
    else if (tx.status !== 'MFA_ENROLL_ACTIVATE') p = err(403, 'E0000079')
    else if (row === undefined) p = err(404, 'E0000007')
    else if (!this.right || model.now >= w.pending.expiresAt) {
      model.touch(tx)
      p = err(403, 'E0000068')
    } else {
      model.touch(tx)
      row.status = 'ACTIVE'
      tx.factors = [...tx.factors.filter((f) => f.id !== row.id), { ...row }]
      tx.pending = null
      tx.enrolledHere = true
      p = advance(model, tx, u)
    }
    const r = await send(real, 'activateFactor', { stateToken: tx.stateToken, factorId: pending.id, ...answer })
    expectAnswer(model, real, this.toString(), p, r)
    keepSession(model, u, p, r)
  }
  toString = () => `activateWebauthn(tx#${this.txIndex}, ${this.right ? 'right' : 'another origin'})`
}

type VerifyChoice = 'nonce' | 'right' | 'stale' | 'cloned'

/**
 * `POST …/verify` for the user's WebAuthn factor: without an answer (a nonce: MFA_CHALLENGE), or an
 * assertion over the transaction's nonce (`right`), over a nonce nobody issued (`stale`), or from
 * a clone whose counter went back (`cloned`).
 */
export class VerifyWebauthn extends TransactionCommand {
  constructor(
    readonly txIndex: number,
    readonly choice: VerifyChoice,
  ) {
    super()
  }
  protected async step(model: Model, real: Real, tx: ModelTransaction, u: ModelUser, state: string): Promise<void> {
    const f = webauthnOf(u, 'ACTIVE')
    const w = f?.webauthn
    // Only a factor the transaction lists (its snapshot): one enrolled since by another transaction is not shown in it.
    if (f === undefined || w === undefined || !tx.factors.some((x) => x.id === f.id)) return
    cover(real, state, `verifyFactor(webauthn, ${this.choice})`)
    const mfa = tx.status === 'MFA_REQUIRED' || tx.status === 'MFA_CHALLENGE'
    if (this.choice === 'nonce') {
      let p: Prediction
      if (!model.live(tx)) p = err(401, 'E0000011')
      else if (!mfa) p = err(403, 'E0000079')
      else {
        model.touch(tx)
        tx.status = 'MFA_CHALLENGE'
        tx.challenge = f.id
        p = { kind: 'transaction', status: 'MFA_CHALLENGE', expiresAt: tx.expiresAt, app: tx.app }
      }
      const issuedAt = model.now
      const r = await send(real, 'verifyFactor', { stateToken: tx.stateToken, factorId: f.id })
      expectAnswer(model, real, this.toString(), p, r)
      if (p.kind === 'transaction') {
        const nonce = str(member(r.body, '_embedded', 'factor', '_embedded', 'challenge', 'challenge'))
        if (nonce === undefined) throw new ConformanceError('MFA_CHALLENGE of WebAuthn shows the nonce to sign', JSON.stringify(r.body))
        tx.nonce = { factorId: f.id, value: nonce, expiresAt: issuedAt + NONCE_MS }
      }
      return
    }
    const open = tx.nonce !== null && tx.nonce.factorId === f.id && model.now < tx.nonce.expiresAt ? tx.nonce : null
    if (this.choice === 'cloned') {
      w.authenticator.setCounter(0)
      w.counter = 0
    }
    const answer = w.authenticator.get(this.choice === 'stale' || open === null ? STALE_NONCE : open.value, w.origin)
    w.counter += 1
    let p: Prediction
    if (!model.live(tx)) p = err(401, 'E0000011')
    else if (!mfa) p = err(403, 'E0000079')
    // Another factor's challenge in progress: refused before anything is counted.
    else if (tx.status === 'MFA_CHALLENGE' && tx.challenge !== f.id) p = err(403, 'E0000079')
    else if (open === null || this.choice === 'stale') {
      // Not over the nonce this transaction issued: a wrong answer, counted toward lockout.
      const locks = model.recordFailure(u)
      if (!locks) model.touch(tx)
      p = err(403, locks ? 'E0000069' : 'E0000068')
    } else if (f.lastStep !== null && w.counter <= f.lastStep) {
      // A genuine signature whose counter did not grow: a replay, not counted.
      model.touch(tx)
      p = err(403, 'E0000082')
    } else {
      model.touch(tx)
      f.lastStep = w.counter
      u.failedAttempts = 0
      u.lockedAt = null
      tx.mfaVerified = true
      tx.challenge = null
      tx.nonce = null
      p = advance(model, tx, u)
    }
    const r = await send(real, 'verifyFactor', { stateToken: tx.stateToken, factorId: f.id, ...answer })
    expectAnswer(model, real, this.toString(), p, r)
    if (p.kind === 'transaction' && p.status === 'SUCCESS' && this.choice !== 'right' && this.choice !== 'cloned')
      throw new ConformanceError('no SUCCESS without a signature over the nonce this transaction issued', this.toString())
    keepSession(model, u, p, r)
  }
  toString = () => `verifyWebauthn(tx#${this.txIndex}, ${this.choice})`
}

/** A WebAuthn flow on the newest MFA transaction: enroll and activate, or ask for a nonce and answer it. */
export class WebauthnRun implements fc.AsyncCommand<Model, Real> {
  constructor(readonly kind: 'enroll' | 'verify' | 'full') {}
  check = (model: Readonly<Model>) => model.transactions.length > 0
  async run(model: Model, real: Real): Promise<void> {
    if (this.kind !== 'verify') {
      await new EnrollWebauthn(LATEST_MFA).run(model, real)
      await new ActivateWebauthn(LATEST_MFA, true).run(model, real)
    }
    if (this.kind === 'full') {
      // The same user signs in again: the new transaction lists the factor; a nonce, then its answer.
      const enrolled = model.users.findIndex((u) => u.factors.some((f) => f.key === 'webauthn/FIDO' && f.status === 'ACTIVE'))
      if (enrolled < 0) return
      await new SignIn(enrolled, 'correct', false, false).run(model, real)
    }
    if (this.kind !== 'enroll') {
      await new VerifyWebauthn(LATEST_MFA, 'nonce').run(model, real)
      await new VerifyWebauthn(LATEST_MFA, 'right').run(model, real)
    }
  }
  toString = () => `WebauthnRun(newest MFA tx, ${this.kind})`
}

/** The WebAuthn commands of a run. */
export const challengeArbitraries = (): ReadonlyArray<fc.Arbitrary<fc.AsyncCommand<Model, Real>>> => {
  const txIndex = fc.oneof(fc.constant(LATEST), fc.constant(LATEST_MFA), fc.nat({ max: 50 }))
  return [
    txIndex.map((i) => new EnrollWebauthn(i)),
    // Activation right after an enrollment, mostly right.
    fc.constantFrom(true, true, true, false).map((right) => new ActivateWebauthn(LATEST_MFA, right)),
    fc.tuple(txIndex, fc.constantFrom<VerifyChoice>('nonce', 'nonce', 'right', 'right', 'stale', 'cloned')).map(([i, c]) => new VerifyWebauthn(i, c)),
    // A nonce, then its answer, on the newest MFA transaction: flows reach SUCCESS.
    fc.constantFrom<VerifyChoice>('nonce', 'right').map((c) => new VerifyWebauthn(LATEST_MFA, c)),
    fc.constantFrom<'enroll' | 'verify' | 'full'>('enroll', 'verify', 'full', 'full').map((k) => new WebauthnRun(k)),
  ]
}
