import * as TE from 'fp-ts/lib/TaskEither.js'
import { pino, type DestinationStream, type Logger } from 'pino'
import type { AuditSink } from '@authn-machine/core'

/** pino's levels, plus `silent` (no log at all). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

export const isLogLevel = (s: string): s is LogLevel => (LOG_LEVELS as ReadonlyArray<string>).includes(s)

export type { Logger as ServerLogger }

/**
 * Members that must never reach a log line, at the top and one level down. Nothing the server logs
 * holds them (it picks its fields one by one); this is the net under that rule.
 */
const SECRET_KEYS = [
  'password',
  'newPassword',
  'oldPassword',
  'passCode',
  'answer',
  'stateToken',
  'sessionToken',
  'recoveryToken',
  'activationToken',
  'token',
  'authorization',
  'cookie',
  'phoneNumber',
  'email',
  'username',
  'login',
]

export const REDACTED_PATHS: ReadonlyArray<string> = SECRET_KEYS.flatMap((k) => [k, `*.${k}`])

export interface LoggerOptions {
  /** Default `info`. */
  readonly level?: LogLevel
  /** Where the JSON lines go. Default: standard output, written synchronously (see below). */
  readonly destination?: DestinationStream
}

/**
 * The server's structured logger: one JSON object per line (pino), with `time` in epoch
 * milliseconds, `level` as pino's number and `msg`. Written synchronously to standard output by
 * default, so lines keep their order with the start-up banner and the dev outbox's lines (written
 * to the same stream) and none is lost when the process exits right after one.
 */
export const createLogger = (options: LoggerOptions = {}): Logger =>
  pino(
    {
      level: options.level ?? 'info',
      base: { service: 'authn-machine' },
      redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  )

/**
 * An error as log fields: its type, message, code and stack, and the same for its `cause`. Other
 * members are left out on purpose: a driver's error can carry the values of a failed statement
 * (node-postgres' `detail`, `parameters`), which may be personal data.
 */
export const errorFields = (error: unknown, depth = 0): Record<string, unknown> => {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code
    return {
      type: error.name,
      message: error.message,
      ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
      ...(error.stack === undefined ? {} : { stack: error.stack }),
      ...(error.cause !== undefined && depth < 3 ? { cause: errorFields(error.cause, depth + 1) } : {}),
    }
  }
  if (typeof error === 'object' && error !== null && '_tag' in error) {
    // A port's tagged error (`Unavailable` with its cause, `Corrupt` with what failed to decode).
    const tagged = error as { _tag: unknown; cause?: unknown }
    return {
      type: String(tagged._tag),
      ...(tagged.cause !== undefined && depth < 3 ? { cause: errorFields(tagged.cause, depth + 1) } : {}),
    }
  }
  return { type: typeof error, message: String(error) }
}

/**
 * An audit sink writing each entry as a log line (`msg: "audit"`): when, the transaction and user
 * ids, what happened, and the id of the request it happened in. Only these fields: an entry names
 * ids, never a login, a token or a password.
 */
export const createLogAuditSink = (logger: Logger, requestId: () => string | undefined): AuditSink => ({
  record: (entry) =>
    TE.fromIO(() => {
      const id = requestId()
      logger.info(
        {
          audit: {
            what: entry.what,
            at: new Date(entry.at).toISOString(),
            transactionId: entry.transactionId,
            userId: entry.userId,
          },
          ...(id === undefined ? {} : { requestId: id }),
        },
        'audit',
      )
    }),
})
