import * as E from 'fp-ts/lib/Either.js'
import {
  failure,
  type AuthnRecord,
  type DelegatingFactor,
  type FactorRecord,
  type IssuedNonce,
  type TokenHash,
} from '@authn-machine/core'
import type { Call } from '../api.js'
import { failed, type Pipeline, type StepFacts } from '../pipeline.js'

/**
 * How a verification a third party or a device carries out stands (Duo, push; docs/adr/0030,
 * 0031): `open` while it may still be answered, `confirmed` once its response was checked,
 * `denied` once the device refused it, `expired` once over unanswered. `reported`: a poll has
 * shown its end (REJECTED, TIMEOUT) already.
 */
export interface Started {
  readonly state: 'open' | 'confirmed' | 'denied' | 'expired'
  readonly nonce: IssuedNonce
  readonly reported: boolean
}

type AnyDelegating = DelegatingFactor<unknown, unknown, unknown>

export const delegationKit = (p: Pipeline) => {
  const { deps, registry, sealHandle, audit } = p
  const factorContext = (now: number) => ({ random: deps.random, hasher: deps.hasher, now })

  /**
   * The verification a transaction started for `f`, or null when it started none for it. A family
   * that restarts on timeout (Duo) has none once it is over.
   */
  const startedFor = (record: AuthnRecord, f: FactorRecord, plugin: AnyDelegating, now: number): Started | null => {
    const held = record.context.nonce ?? null
    if (held === null || held.factorId !== f.id) return null
    const nonce = { nonce: held.nonce, expiresAt: held.expiresAt }
    const reported = held.reported === true
    if (held.confirmed === true) return { state: 'confirmed', nonce, reported }
    if (held.denied === true) return { state: 'denied', nonce, reported }
    if (now < held.expiresAt) return { state: 'open', nonce, reported }
    return plugin.delegation.timeout === 'restart' ? null : { state: 'expired', nonce, reported }
  }

  /** A new verification by the third party or device for `f` (an activation, or a verification): its nonce and how long it waits. */
  const startDelegation = (plugin: AnyDelegating, now: number, phase: 'activation' | 'verification'): IssuedNonce => ({
    nonce: plugin.delegation.nonce(factorContext(now)),
    expiresAt: now + (phase === 'activation' ? (plugin.delegation.activationLifetimeMs ?? plugin.delegation.lifetimeMs) : plugin.delegation.lifetimeMs),
  })

  /**
   * What tells the user's device of a verification just started (push), run once its step is
   * saved; undefined for a family without a device. A device that cannot be reached makes the
   * step's answer the family's failure (the verification stays started: a resend tries again).
   */
  const notifying = (
    plugin: AnyDelegating,
    f: FactorRecord,
    record: AuthnRecord,
    started: IssuedNonce,
    stateTokenHash: TokenHash,
    call: Call,
    now: number,
  ): StepFacts['afterCommit'] => {
    const device = plugin.delegation.device
    if (device === undefined) return undefined
    return async () => {
      const profile = plugin.profileCodec.decode(f.profile)
      const secret = registry.open(plugin, f)
      if (E.isLeft(profile) || E.isLeft(secret)) return E.left(failed(failure('E0000009', ['The factor cannot be read.'])))
      const notice = {
        handle: sealHandle(stateTokenHash, f.id, started),
        started,
        userId: f.userId,
        factorId: f.id,
        login: record.context.user.login,
        clientIp: call.context.ip,
        userAgent: call.context.userAgent,
      }
      let refused
      try {
        refused = await device.notify(profile.right, secret.right, notice, factorContext(now))
      } catch {
        refused = failure('E0000009', ['The device could not be notified.'])
      }
      if (refused !== null) {
        await audit(`delivery.failed.push.${refused.code}`, record.id, f.userId, now)()
        return E.left(failed(refused))
      }
      await audit('delivery.sent.push', record.id, f.userId, now)()
      return E.right(undefined)
    }
  }

  return { startedFor, startDelegation, notifying }
}
