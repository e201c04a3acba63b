import type { PushChallenge, PushDeliveryError, PushGateway, PushTarget } from './gateway.js'

/** Challenges kept per device at most: older ones are dropped first. */
export const MAILBOX_DEPTH = 16

/**
 * A gateway that keeps each device's challenges in this process, for the device to fetch
 * (`POST /api/v1/push/challenges/pending`): the delivery of a device without a platform push token
 * (the `authn-push-device` command), and a copy of every other delivery. Challenges leave once
 * answered or expired. It is per process: servers behind a load balancer need the device to reach
 * the one that started its verification, or a platform gateway (APNs).
 */
export interface PushMailbox extends PushGateway {
  /** The unexpired, unanswered challenges of a device, oldest first. */
  readonly pending: (factorId: string, now: number) => ReadonlyArray<PushChallenge>
  /** Drops an answered challenge. */
  readonly settle: (challengeId: string) => void
}

export const createPushMailbox = (): PushMailbox => {
  const boxes = new Map<string, PushChallenge[]>()
  const prune = (factorId: string, now: number): PushChallenge[] => {
    const kept = (boxes.get(factorId) ?? []).filter((c) => c.expiresAt > now)
    if (kept.length === 0) boxes.delete(factorId)
    else boxes.set(factorId, kept)
    return kept
  }
  return {
    deliver: (target: PushTarget, challenge: PushChallenge): Promise<PushDeliveryError | null> => {
      // Expired ones leave when the device fetches (by the server's clock); the depth bounds the rest.
      const box = (boxes.get(target.factorId) ?? []).filter((c) => c.challengeId !== challenge.challengeId)
      box.push(challenge)
      boxes.set(target.factorId, box.slice(-MAILBOX_DEPTH))
      return Promise.resolve(null)
    },
    pending: (factorId, now) => prune(factorId, now),
    settle: (challengeId) => {
      for (const [factorId, box] of boxes) {
        const kept = box.filter((c) => c.challengeId !== challengeId)
        if (kept.length === 0) boxes.delete(factorId)
        else if (kept.length !== box.length) boxes.set(factorId, kept)
      }
    },
  }
}
