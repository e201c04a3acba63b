import type { ChallengeContext, DelegationLinks, IssuedNonce } from '@authn-machine/core'
import { createSeededRandom, createTrivialHasher } from '@authn-machine/testkit/fixtures'
import type { createDuoFactor, DuoProfile } from '../src/index.js'

/** The links a server gives a Duo view, as the reference server makes them for one factor. */
export const LINKS: DelegationLinks = {
  complete: 'https://acme.example/api/v1/authn/factors/dsf1abc/lifecycle/duoCallback',
  script: 'https://acme.example/js/sections/duo/Duo-Web-v2.js',
  qrcode: 'https://acme.example/api/v1/authn/factors/dsf1abc/qr/none',
  send: { email: 'https://acme.example/api/v1/authn/factors/dsf1abc/lifecycle/activate/email', sms: 'https://acme.example/api/v1/authn/factors/dsf1abc/lifecycle/activate/sms' },
}

/** The request a started verification shows in MFA_CHALLENGE (`factor._embedded.verification`). */
export const viewOf = (factor: ReturnType<typeof createDuoFactor>, profile: DuoProfile, s: IssuedNonce): Record<string, unknown> =>
  (factor.delegation.view(profile, { ...s, phase: 'verification', factorResult: 'WAITING' }, LINKS) ?? {})['verification'] as Record<string, unknown>

/** A factor call's context at `now`, served at `https://acme.example`, its randomness seeded. */
export const ctxAt = (now: number, seed: number | string = 'duo'): ChallengeContext => ({ random: createSeededRandom(seed), hasher: createTrivialHasher(), now, origin: 'https://acme.example' })
