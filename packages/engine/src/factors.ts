import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import {
  factorKey,
  failure,
  type AuthnFailure,
  type EnrolledFactor,
  type Factor,
  type FactorKey,
  type FactorRecord,
  type SecretBox,
} from '@authn-machine/core'

/**
 * The factor plug-ins the engine serves, by `factorType/provider`, and what the engine does with
 * their secrets: seal them (bound to `userId/factorId`) before any store sees them, open them to
 * verify. A factor whose family has no plug-in is shown as stored and cannot be verified.
 */
export interface FactorRegistry {
  readonly plugin: (f: { readonly factorType: FactorRecord['factorType']; readonly provider: FactorRecord['provider'] }) => Factor | null
  /** The factor as clients see it (the plug-in's profile view; masked where Okta masks). */
  readonly view: (f: FactorRecord) => EnrolledFactor
  /** The stored form of a plug-in's secret. */
  readonly seal: (plugin: Factor, secret: unknown, userId: string, factorId: string) => string
  /** The plug-in's secret of a stored factor, or why not (E0000009: a secret that cannot be read). */
  readonly open: (plugin: Factor, f: FactorRecord) => E.Either<AuthnFailure, unknown>
}

const unreadable = (): AuthnFailure => failure('E0000009', ['The factor secret could not be read.'])

export const createFactorRegistry = (plugins: ReadonlyArray<Factor>, secrets: SecretBox): FactorRegistry => {
  const byKey = new Map<FactorKey, Factor>(plugins.map((p) => [factorKey(p.factorType, p.provider), p]))
  const plugin: FactorRegistry['plugin'] = (f) => byKey.get(factorKey(f.factorType, f.provider)) ?? null
  const aad = (userId: string, factorId: string) => `${userId}/${factorId}`
  return {
    plugin,
    view: (f) => {
      const p = plugin(f)
      const profile = p === null ? E.left(null) : p.profileCodec.decode(f.profile)
      return {
        id: f.id,
        factorType: f.factorType,
        provider: f.provider,
        status: f.status,
        profile: p !== null && E.isRight(profile) ? { ...p.profileView(profile.right) } : f.profile,
      }
    },
    seal: (p, secret, userId, factorId) => secrets.encryptSecret(JSON.stringify(p.secretCodec.encode(secret)), aad(userId, factorId)),
    open: (p, f) => {
      if (f.secret === null) return E.left(unreadable())
      return pipe(
        secrets.decryptSecret(f.secret, aad(f.userId, f.id)),
        E.mapLeft(unreadable),
        E.chain((bytes) => E.tryCatch(() => JSON.parse(new TextDecoder().decode(bytes)) as unknown, unreadable)),
        E.chain((json) => pipe(p.secretCodec.decode(json), E.mapLeft(unreadable))),
      )
    },
  }
}
