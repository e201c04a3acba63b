/**
 * The one table of operations (spec §4.0): name, path, spec section, which flows accept it, who
 * may call it and how. The HTTP binding's routes, the engine's API and the harness drivers are
 * derived from it; nothing else lists operations.
 */

/** The kind of transaction an operation works on; `null`: none (it starts one, or needs none). */
export type FlowKind = 'authn' | 'recovery'

export interface OperationSpec<N extends string = string> {
  readonly name: N
  /**
   * Path template. `{name}` matches one path segment; `{name:a|b}` one of the listed values,
   * case-insensitively (passed on lower-cased). Path parameters reach the engine as body fields.
   */
  readonly path: string
  /** The section of the spec digest (§4.x) or of Okta's Users API. */
  readonly section: string
  /** The flows whose transactions accept it; empty: it takes no state token. */
  readonly flows: ReadonlyArray<FlowKind>
  /** `trusted`: API-token callers only (Okta's Users API). */
  readonly caller: 'any' | 'trusted'
  /**
   * `none`: the operation reads no body (an empty one is `{}`); `form`: a JSON body, or the fields
   * of an HTML form post (`application/x-www-form-urlencoded`), as a third party's script sends them.
   */
  readonly body: 'required' | 'none' | 'form'
  /** How the answer is presented: a transaction (or error) as is, or a Sessions API session. */
  readonly present: 'json' | 'session'
}

type Options = Partial<Pick<OperationSpec, 'caller' | 'body' | 'present'>>

const op = <N extends string>(name: N, section: string, path: string, flows: ReadonlyArray<FlowKind>, more: Options = {}): OperationSpec<N> => ({
  name,
  path,
  section,
  flows,
  caller: more.caller ?? 'any',
  body: more.body ?? 'required',
  present: more.present ?? 'json',
})

const AUTHN: ReadonlyArray<FlowKind> = ['authn']
const RECOVERY: ReadonlyArray<FlowKind> = ['recovery']
const ANY: ReadonlyArray<FlowKind> = ['authn', 'recovery']
const NONE: ReadonlyArray<FlowKind> = []

/** Okta's Users API lifecycle operations served for administrators, by path segment. */
export const LIFECYCLE_PATH_SEGMENTS = {
  unlock: 'unlock',
  suspend: 'suspend',
  unsuspend: 'unsuspend',
  deactivate: 'deactivate',
  expire_password: 'expirePassword',
} as const

export const OPERATIONS = [
  op('authenticate', '4.1', '/api/v1/authn', NONE),
  // Undocumented, used by okta-auth-js `tx.introspect()`: the same as get-state (§4.0, last row).
  op('getState', '4.4', '/api/v1/authn/introspect', ANY),
  op('changePassword', '4.5', '/api/v1/authn/credentials/change_password', AUTHN),
  op('enrollFactor', '4.6', '/api/v1/authn/factors', AUTHN),
  op('activateFactor', '4.7', '/api/v1/authn/factors/{factorId}/lifecycle/activate', AUTHN),
  op('pollFactorActivation', '4.7.5', '/api/v1/authn/factors/{factorId}/lifecycle/activate/poll', AUTHN),
  op('sendActivationLink', '4.7.6', '/api/v1/authn/factors/{factorId}/lifecycle/activate/{channel:email|sms}', AUTHN),
  op('resendActivation', '4.8', '/api/v1/authn/factors/{factorId}/lifecycle/resend', AUTHN),
  // Duo's frame form-posts here (docs/adr/0030-delegated-factors.md): a form body is read too.
  op('duoCallback', '4.9', '/api/v1/authn/factors/{factorId}/lifecycle/duoCallback', AUTHN, { body: 'form' }),
  op('verifyFactor', '4.10', '/api/v1/authn/factors/{factorId}/verify', AUTHN),
  op('resendChallenge', '4.11', '/api/v1/authn/factors/{factorId}/verify/resend', AUTHN),
  op('forgotPassword', '4.12', '/api/v1/authn/recovery/password', NONE),
  op('unlockAccount', '4.13', '/api/v1/authn/recovery/unlock', NONE),
  op('verifyRecoveryFactor', '4.14', '/api/v1/authn/recovery/factors/{factorType:sms|call}/verify', RECOVERY),
  op('resendRecoveryChallenge', '4.15', '/api/v1/authn/recovery/factors/{factorType:sms|call}/resend', RECOVERY),
  op('verifyRecoveryToken', '4.16', '/api/v1/authn/recovery/token', NONE),
  op('answerRecoveryQuestion', '4.17', '/api/v1/authn/recovery/answer', RECOVERY),
  op('resetPassword', '4.18', '/api/v1/authn/credentials/reset_password', ANY),
  op('previous', '4.19', '/api/v1/authn/previous', AUTHN),
  op('skip', '4.20', '/api/v1/authn/skip', AUTHN),
  op('cancel', '4.21', '/api/v1/authn/cancel', ANY),
  op('redeemSessionToken', '3.1', '/api/v1/sessions', NONE, { present: 'session' }),
  // Not Okta endpoints: where the user's push device activates and answers (Okta's own device
  // protocol is not public; docs/adr/0031-push.md).
  op('activatePushDevice', 'push', '/api/v1/push/devices/activate', NONE),
  op('listPushChallenges', 'push', '/api/v1/push/challenges/pending', NONE),
  op('answerPushChallenge', 'push', '/api/v1/push/challenges/answer', NONE),
  // Not an Okta endpoint: where a trusted caller opens an SP-initiated step-up (spec §4.2 step 1,
  // which Okta does inside its own SAML flow; docs/adr/0028-step-up.md).
  op('openStepUp', '4.2', '/api/v1/apps/{appId}/step-up', NONE, { caller: 'trusted' }),
  op('lifecycle', 'Users API', `/api/v1/users/{userId}/lifecycle/{operation:${Object.keys(LIFECYCLE_PATH_SEGMENTS).join('|')}}`, NONE, {
    caller: 'trusted',
    body: 'none',
  }),
] as const

export type OperationName = (typeof OPERATIONS)[number]['name']

/** The operation of `name` (every name in the table has one). */
export const operationSpec = (name: OperationName): OperationSpec<OperationName> =>
  OPERATIONS.find((o) => o.name === name) as OperationSpec<OperationName>
