/** Okta's error codes used by the authn API, with their HTTP status and verbatim summary. */
export const ERROR_CATALOGUE = {
  E0000001: { status: 400, summary: 'Api validation failed: {0}' },
  E0000003: { status: 400, summary: 'The request body was not well-formed.' },
  E0000004: { status: 401, summary: 'Authentication failed' },
  E0000006: { status: 403, summary: 'You do not have permission to perform the requested action' },
  E0000007: { status: 404, summary: 'Not found: Resource not found: {0}' },
  E0000008: { status: 404, summary: 'The requested path was not found' },
  E0000009: { status: 500, summary: 'Internal Server Error' },
  E0000010: { status: 503, summary: 'Service is in read only mode' },
  E0000011: { status: 401, summary: 'Invalid token provided' },
  E0000012: { status: 415, summary: 'Unsupported media type' },
  E0000014: { status: 403, summary: 'Update of credentials failed' },
  E0000022: { status: 405, summary: 'The endpoint does not support the provided HTTP method' },
  E0000032: { status: 403, summary: 'Unlock is not allowed for this user.' },
  E0000034: { status: 403, summary: 'Forgot password not allowed on specified user.' },
  E0000047: { status: 429, summary: 'API call exceeded rate limit due to too many requests.' },
  E0000068: { status: 403, summary: 'Invalid Passcode/Answer' },
  E0000069: { status: 403, summary: 'User Locked' },
  E0000074: { status: 400, summary: 'Factor Service Error' },
  E0000082: { status: 403, summary: 'Each code can only be used once. Please wait for a new code and try again.' },
  E0000079: { status: 403, summary: 'This operation is not allowed in the current authentication state.' },
  E0000080: {
    status: 403,
    summary: 'The password does meet the complexity requirements of the current password policy.',
  },
  E0000085: { status: 403, summary: 'You do not have permission to access your account at this time.' },
  E0000087: { status: 403, summary: 'The recovery question answer did not match our records.' },
  E0000095: { status: 403, summary: 'Recovery not allowed for unknown user.' },
  E0000109: { status: 429, summary: 'An SMS message was recently sent. Please wait 30 seconds before trying again.' },
  E0000118: { status: 429, summary: 'An email was recently sent. Please wait 5 seconds before trying again.' },
  E0000133: { status: 429, summary: 'A phone call was recently made. Please wait 30 seconds before trying again.' },
} as const satisfies Record<string, { readonly status: number; readonly summary: string }>

export type ErrorCode = keyof typeof ERROR_CATALOGUE

/** A decided failure, before rendering: the code plus the `errorCauses` summaries. */
export interface AuthnFailure {
  readonly code: ErrorCode
  /** Replaces `{0}` in the summary (E0000001). */
  readonly argument?: string
  readonly causes: ReadonlyArray<string>
}

export const failure = (code: ErrorCode, causes: ReadonlyArray<string> = [], argument?: string): AuthnFailure =>
  argument === undefined ? { code, causes } : { code, causes, argument }

/** The Okta error object on the wire. `errorId` is supplied by the caller (it is random). */
export interface OktaErrorBody {
  readonly errorCode: ErrorCode
  readonly errorSummary: string
  readonly errorLink: ErrorCode
  readonly errorId: string
  readonly errorCauses: ReadonlyArray<{ readonly errorSummary: string }>
}

export const errorSummary = (f: AuthnFailure): string => {
  const s: string = ERROR_CATALOGUE[f.code].summary
  return f.argument === undefined ? s : s.replace('{0}', f.argument)
}

export const httpStatusOf = (f: AuthnFailure): number => ERROR_CATALOGUE[f.code].status

/** Renders a failure as Okta's error JSON. */
export const renderError = (f: AuthnFailure, errorId: string): OktaErrorBody => ({
  errorCode: f.code,
  errorSummary: errorSummary(f),
  errorLink: f.code,
  errorId,
  errorCauses: f.causes.map((c) => ({ errorSummary: c })),
})

/** The cause texts Okta uses, verbatim. */
export const CAUSES = {
  notAllowedInState: 'This operation is not allowed in the current authentication state.',
  oldPasswordIncorrect: 'oldPassword: The credentials provided were incorrect.',
  passcodeMismatch: "Your passcode doesn't match our records. Please try again.",
  nextCode: 'Your token requires the next tokencode. Wait for the code to change, then enter the new one.',
  answerMismatch: "Your answer doesn't match our records. Please try again.",
  /** A wrong recovery code (spec §4.14). */
  tokenMismatch: "Your token doesn't match our records. Please try again.",
} as const
