/**
 * How a started push verification reaches its device (docs/adr/0031-push.md): the `PushGateway`
 * port. The push factor hands every gateway the same challenge; a gateway delivers it, or says why not.
 */

/** What a device is told about one started verification; never which number is the right one. */
export interface PushChallenge {
  /** Opaque, sealed by the server: the device sends it back, signed, with its answer. */
  readonly challengeId: string
  readonly factorId: string
  readonly userId: string
  /** When the verification stops waiting (epoch milliseconds). */
  readonly expiresAt: number
  /** Number matching: three distinct numbers (10–99) the user picks from; null without it. */
  readonly choices: ReadonlyArray<number> | null
  /** What the device shows: who signs in, from where. */
  readonly context: {
    readonly login: string
    readonly transactionType: 'LOGIN'
    readonly clientIp: string | null
    readonly userAgent: string | null
  }
}

/** The device a challenge is for, as its activation registered it. */
export interface PushTarget {
  readonly factorId: string
  readonly platform: string
  /** The platform's push token (APNs device token, hex), when the device gave one. */
  readonly pushToken: string | null
}

/** Why a delivery failed: `unavailable` (down, slow, 5xx, 429), `rejected` (the platform refused this device or payload). */
export type PushDeliveryError = { readonly _tag: 'unavailable' | 'rejected'; readonly reason: string }

export interface PushGateway {
  /** Delivers a challenge; resolves (never rejects) with null on success, or why it failed. */
  readonly deliver: (target: PushTarget, challenge: PushChallenge) => Promise<PushDeliveryError | null>
}
