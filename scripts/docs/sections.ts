/**
 * The sections of the spec digest the project's code and rules refer to: for each,
 * its subject in the project's own words and the page of Okta's public documentation that covers
 * it. `context` is set for a section no rule restates (a heading that only groups others, or
 * behaviour the project does not implement): a short summary, so that every section the code
 * cites is explained in docs/reference/rules.md.
 *
 * Numbering: 9.N and 11.N are item N of the numbered lists of sections 9 and 11.
 */

export const OKTA_AUTHN = 'https://developer.okta.com/docs/reference/api/authn/'
export const OKTA_CORE = 'https://developer.okta.com/docs/reference/core-okta-api/'
export const OKTA_ERRORS = 'https://developer.okta.com/docs/reference/error-codes/'
export const OKTA_RATE_LIMITS = 'https://developer.okta.com/docs/reference/rl2-limits/'
export const OKTA_FACTORS = 'https://developer.okta.com/docs/api/openapi/okta-management/management/tag/UserFactor/'

export const authn = (anchor: string): string => `${OKTA_AUTHN}#${anchor}`
export const core = (anchor: string): string => `${OKTA_CORE}#${anchor}`

export interface DigestSection {
  /** What the section is about, in a few words. */
  readonly subject: string
  readonly okta: string
  /** For a section that no rule restates: what it says, in one or two sentences. */
  readonly context?: string
}

export const SECTIONS: Readonly<Record<string, DigestSection>> = {
  '1': { subject: 'HTTP conventions: methods, media type, dates, character set, links, CORS', okta: core('design-principles') },
  '1.1': { subject: 'request headers that change behaviour (API token, forwarded address, device fingerprint)', okta: core('client-request-context') },
  '2': { subject: 'public and trusted callers', okta: authn('application-types') },
  '3': {
    subject: 'the transaction model',
    okta: authn('transaction-object'),
    context:
      'An authentication or a recovery is a state machine kept by the server and addressed by an opaque state token; each operation is accepted only in the states that allow it. The rules of the TX, TOKEN and START families restate the parts the project implements.',
  },
  '3.1': { subject: 'tokens: state, session, recovery and activation tokens', okta: authn('tokens') },
  '3.2': { subject: 'the twelve transaction statuses and what each carries', okta: authn('transaction-state') },
  '3.3': { subject: 'other top-level values: recoveryType, factorType, factorResult', okta: authn('recovery-transaction-object') },
  '4': {
    subject: 'the endpoints',
    okta: OKTA_AUTHN,
    context: 'Every operation is a POST under /api/v1/authn; sections 4.1 to 4.21 describe them one by one. docs/reference/status.md lists which of them the project implements.',
  },
  '4.0': { subject: 'the endpoint index', okta: authn('authentication-operations') },
  '4.1': { subject: 'primary authentication', okta: authn('primary-authentication') },
  '4.2': { subject: 'SP-initiated step-up authentication', okta: authn('sp-initiated-step-up-authentication') },
  '4.3': { subject: 'IdP-initiated step-up authentication', okta: authn('idp-initiated-step-up-authentication') },
  '4.4': { subject: 'get the transaction state', okta: authn('get-transaction-state') },
  '4.5': { subject: 'change an expired or expiring password', okta: authn('change-password') },
  '4.6': { subject: 'enroll a factor', okta: authn('enroll-factor') },
  '4.7': { subject: 'activate a factor', okta: authn('activate-factor') },
  '4.7.5': {
    subject: 'poll a push or Duo activation',
    okta: authn('poll-for-push-factor-activation'),
    context: 'Push and Duo activations are polled until the device answers. Not implemented: the project serves neither family, and the route answers 403 E0000079.',
  },
  '4.7.6': {
    subject: 'send a push activation link by email or SMS',
    okta: authn('activate-push-factor'),
    context: 'For a push enrollment, the activation link can be sent to the phone. Not implemented, like push itself; the route answers 403 E0000079.',
  },
  '4.8': { subject: 'resend an enrollment code (SMS, voice call, email)', okta: authn('resend-sms-as-part-of-enrollment') },
  '4.9': {
    subject: 'Duo callback',
    okta: authn('enroll-duo-factor'),
    context: "The target of Duo's signed form post during enrollment and verification. Not implemented: Duo is not served and the path is not routed (404 E0000008).",
  },
  '4.10': { subject: 'verify a factor (answer, or ask for a challenge)', okta: authn('verify-factor') },
  '4.11': { subject: 'resend a verification challenge', okta: authn('resend-sms-challenge') },
  '4.12': { subject: 'forgot password', okta: authn('forgot-password') },
  '4.13': { subject: 'unlock account', okta: authn('unlock-account') },
  '4.14': { subject: 'verify a recovery code (SMS, voice call)', okta: authn('verify-recovery-factor') },
  '4.15': { subject: 'resend a recovery code', okta: authn('resend-sms-recovery-challenge') },
  '4.16': { subject: 'redeem a recovery token', okta: authn('verify-recovery-token') },
  '4.17': { subject: 'answer the recovery question', okta: authn('answer-recovery-question') },
  '4.18': { subject: 'reset the password', okta: authn('reset-password') },
  '4.19': { subject: 'go back one state (previous)', okta: authn('previous-transaction-state') },
  '4.20': { subject: 'skip the current state', okta: authn('skip-transaction-state') },
  '4.21': { subject: 'cancel the transaction', okta: authn('cancel-transaction') },
  '5.1': { subject: 'the authentication transaction object', okta: authn('authentication-transaction-object') },
  '5.2': { subject: 'the recovery transaction object', okta: authn('recovery-transaction-object') },
  '6.1': { subject: 'the embedded user', okta: authn('user-object') },
  '6.2': { subject: 'an enrolled factor as responses show it', okta: authn('factor-object') },
  '6.3': { subject: 'an enrollable factor (the MFA_ENROLL catalogue)', okta: authn('factor-object') },
  '6.5': { subject: 'the password policy object', okta: authn('password-policy-object') },
  '6.6': { subject: 'the remember-device policy object', okta: authn('remember-device-policy-object') },
  '6.7': { subject: 'the target object of a step-up (the app)', okta: authn('target-object') },
  '6.8': { subject: 'the authentication object of a step-up (protocol and issuer)', okta: authn('authentication-object') },
  '6.9': { subject: 'links (`_links`)', okta: authn('links-object') },
  '7.1': { subject: 'factor types and providers', okta: authn('enroll-factor') },
  '7.2': { subject: 'factor profiles', okta: OKTA_FACTORS },
  '7.3': { subject: 'activation objects', okta: authn('activate-totp-factor') },
  '8.1': { subject: 'the error object', okta: OKTA_ERRORS },
  '8.2': { subject: 'the error codes of authn', okta: OKTA_ERRORS },
  '8.3': { subject: 'which HTTP status for which failure', okta: core('errors') },
  '9': {
    subject: 'security behaviours',
    okta: authn('application-types'),
    context: 'The behaviours a faithful implementation must reproduce, one numbered item each (items 1 to 15); the rules cite the items they restate as 9.1 to 9.15.',
  },
  '9.1': { subject: 'no user enumeration on primary authentication', okta: authn('primary-authentication-with-public-applications') },
  '9.2': { subject: 'no user enumeration on public recovery', okta: authn('forgot-password') },
  '9.3': { subject: 'lockout counting', okta: authn('primary-authentication-with-public-applications') },
  '9.4': { subject: 'strict state enforcement', okta: authn('transaction-state') },
  '9.5': { subject: 'state token: sliding expiry, revoked by cancel and completion', okta: authn('state-token') },
  '9.6': { subject: 'session token: one-time, five minutes', okta: authn('session-token') },
  '9.7': { subject: 'recovery token: one-time, lifetime from policy, trusted issuance only', okta: authn('recovery-token') },
  '9.8': { subject: 'one-time passcodes: single use per window', okta: authn('verify-totp-factor') },
  '9.9': { subject: 'resend throttles of sent codes', okta: `${OKTA_RATE_LIMITS}#email-sms-and-call-rate-limits` },
  '9.11': { subject: 'context overrides for trusted callers only', okta: authn('context-object') },
  '9.12': { subject: 'relayState is only echoed', okta: authn('authentication-transaction-object') },
  '9.13': { subject: 'rate limits', okta: `${OKTA_RATE_LIMITS}#non-authenticated-users` },
  '9.14': { subject: 'MFA before the expired-password change', okta: authn('primary-authentication-with-public-applications') },
  '9.15': { subject: 'masked phone numbers and email addresses', okta: authn('enroll-okta-sms-factor') },
  '10': {
    subject: 'the state transition table',
    okta: authn('transaction-state'),
    context:
      'Which operation each state accepts and where it leads; anything else is 403 E0000079. The generated transition tables in docs/machines are the project’s version of it.',
  },
  '10.1': { subject: 'start of authentication and the evaluation order', okta: authn('primary-authentication') },
  '10.2': { subject: 'the authentication states', okta: authn('transaction-state') },
  '10.3': { subject: 'the recovery states', okta: authn('recovery-operations') },
  '11.1': { subject: 'open point: the state token lifetime', okta: authn('state-token') },
  '11.2': { subject: 'open point: expiresAt on SUCCESS', okta: authn('session-token') },
  '11.3': { subject: 'open point: the evaluation order', okta: authn('primary-authentication') },
  '11.4': { subject: 'open point: the skip link in MFA_ENROLL', okta: authn('options-object') },
  '11.7': { subject: 'open point: the casing of the recovery factorType', okta: authn('forgot-password-with-sms-factor') },
  '11.8': { subject: 'open point: the shape of resend links', okta: authn('links-object') },
  '11.10': { subject: 'open point: E0000014 or E0000080 for a weak password', okta: authn('change-password') },
  '11.13': { subject: 'open point: passcode replay as an error or a factorResult', okta: authn('factor-result') },
  '11.15': { subject: 'open point: recovery without a recovery question', okta: authn('answer-recovery-question') },
  '11.16': { subject: 'open point: the end of an unlock', okta: authn('unlock-account') },
  '11.17': { subject: 'open point: the error for a used recovery token', okta: authn('verify-recovery-token') },
  '11.24': { subject: 'open point: the session token lifetime', okta: authn('session-token') },
}
