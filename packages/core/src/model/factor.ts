import * as t from 'io-ts'
import { FactorId, UserId } from './ids.js'
import { FactorProvider, FactorType } from './status.js'

const nullable = <C extends t.Mixed>(c: C) => t.union([c, t.null])

/**
 * An enrolled factor as stored, in its own row (a FactorStore's). The profile is the factor
 * family's stored profile (its plug-in's codec reads it); the secret is sealed by the SecretBox
 * before it reaches any store, so no adapter ever holds it in clear.
 */
export const FactorRecord = t.exact(
  t.type({
    schemaVersion: t.literal(1),
    id: FactorId,
    userId: UserId,
    factorType: FactorType,
    provider: FactorProvider,
    status: t.keyof({ PENDING_ACTIVATION: null, ACTIVE: null }),
    profile: t.record(t.string, t.unknown),
    /** The sealed secret (SecretBox output), or null for a factor without one. */
    secret: nullable(t.string),
    /** The last one-time position accepted (TOTP time step, HOTP counter): a later one must exceed it. */
    lastCounter: nullable(t.number),
    createdAt: t.number,
  }),
  'FactorRecord',
)
export type FactorRecord = t.TypeOf<typeof FactorRecord>
