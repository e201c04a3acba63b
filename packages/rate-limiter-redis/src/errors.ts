/** Why Redis could not be used: `connect` (never became ready), `command` (a count or a clear failed: down, refused, timed out). */
export type RedisFailureKind = 'connect' | 'command'

/**
 * Redis could not take a count, a clear or the first connection. A limiter with insurance counts in
 * memory instead (the caller never sees this); without insurance, a count answers `Unavailable` with
 * this error as its `cause`. Its message never holds a password.
 */
export class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError'
  readonly kind: RedisFailureKind
  /** The client's status when it failed (`ready`, `reconnecting`, `end`…). */
  readonly status: string

  constructor(kind: RedisFailureKind, status: string, message: string, options?: { readonly cause?: unknown }) {
    super(message, options)
    this.kind = kind
    this.status = status
  }
}

/** The text with the password of any `scheme://user:password@` replaced by `***`. */
export const redactUrl = (text: string): string => text.replace(/(\/\/[^/\s:@]*):[^\s/@]*@/g, '$1:***@')

export const messageOf = (e: unknown): string => redactUrl(e instanceof Error ? e.message : String(e))
