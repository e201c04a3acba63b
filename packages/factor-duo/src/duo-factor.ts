import { createHmac } from 'node:crypto'
import * as TE from 'fp-ts/lib/TaskEither.js'
import * as t from 'io-ts'
import { failure, type DelegatingFactor, type EnrollRequest, type Enrollment, type FactorSubject, type SeededFactor } from '@authn-machine/core'
import { makeNonce } from './nonce.js'
import { IKEY_LENGTH, MIN_AKEY_LENGTH, SKEY_LENGTH, isDuoUsername, signRequest, verifyResponse, type DuoKeys } from './protocol.js'

/** A Duo username: a non-empty string without `|`. */
export const DuoUsername = new t.Type<string, string, unknown>(
  'DuoUsername',
  (u): u is string => typeof u === 'string' && isDuoUsername(u),
  (u, c) => (typeof u === 'string' && isDuoUsername(u) ? t.success(u) : t.failure(u, c)),
  t.identity,
)

/** The stored profile: the user's Duo username (Okta's `credentialId`). */
export const DuoProfile = t.exact(t.type({ credentialId: DuoUsername }), 'DuoProfile')
export type DuoProfile = t.TypeOf<typeof DuoProfile>

/** No secret: Duo holds the user's devices; the integration's keys are configuration. */
export const DuoSecret = t.null
export type DuoSecret = t.TypeOf<typeof DuoSecret>

/**
 * The fields Duo's frame form-posts to the `complete` link: its `sig_response`. Other fields (the
 * frame's `id`, the state token) may come along and are ignored.
 */
export const DuoAnswer = t.type({ sig_response: t.string }, 'duoCallbackAnswer')
export type DuoAnswer = t.TypeOf<typeof DuoAnswer>

/**
 * The enroll request: an optional `profile` object (its members unused: the username comes from
 * the login), and no field of the wrong type. Nothing is asked of the user at enrollment.
 */
const DuoEnrollBody = t.partial({ profile: t.UnknownRecord, passCode: t.string, nextPassCode: t.string })
export const DuoEnrollRequest = new t.Type<EnrollRequest, unknown, unknown>(
  'factorEnrollRequest',
  (u): u is EnrollRequest => DuoEnrollBody.is(u),
  (u, c) => {
    const body = DuoEnrollBody.validate(u, c)
    return body._tag === 'Left' ? body : t.success({ profile: body.right.profile ?? {} })
  },
  (a) => a,
)

/** Which Duo username a login enrolls: the login itself, or its part before the last `@`. */
export type DuoUsernameFormat = 'login' | 'localPart'

export interface DuoConfig {
  /** The integration key (`ikey`): 20 characters. */
  readonly integrationKey: string
  /** The secret key (`skey`): 40 characters, shared with Duo. */
  readonly secretKey: string
  /** The application key (`akey`): at least 40 characters, the application's own secret; never sent. */
  readonly applicationKey: string
  /** Duo's API host the frame talks to (`api-xxxxxxxx.duosecurity.com`, or `host:port`). */
  readonly apiHost: string
  /** Default `login`. */
  readonly usernameFormat?: DuoUsernameFormat
}

/** The configuration as the server's options name it. */
export type DuoOptions = DuoConfig

/** How long a started verification waits for Duo's response: 5 minutes, the `TX` half's lifetime. */
export const DUO_LIFETIME_MS = 300_000

const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/

/** Throws an `Error` naming the first bad field of a Duo configuration. */
const checkConfig = (c: DuoConfig): void => {
  const bad = (field: keyof DuoConfig, rule: string): never => {
    throw new Error(`createDuoFactor: ${field} ${rule}`)
  }
  if (typeof c.integrationKey !== 'string' || c.integrationKey.length !== IKEY_LENGTH || c.integrationKey.includes('|'))
    bad('integrationKey', `must be the ${IKEY_LENGTH}-character integration key, without "|"`)
  if (typeof c.secretKey !== 'string' || c.secretKey.length !== SKEY_LENGTH) bad('secretKey', `must be the ${SKEY_LENGTH}-character secret key`)
  if (typeof c.applicationKey !== 'string' || c.applicationKey.length < MIN_AKEY_LENGTH) bad('applicationKey', `must be at least ${MIN_AKEY_LENGTH} characters`)
  if (typeof c.apiHost !== 'string' || !HOST.test(c.apiHost)) bad('apiHost', 'must be a host name, optionally with a port (api-xxxxxxxx.duosecurity.com)')
  if (c.usernameFormat !== undefined && c.usernameFormat !== 'login' && c.usernameFormat !== 'localPart') bad('usernameFormat', "must be 'login' or 'localPart'")
}

/**
 * The application key of one started verification: `hex(HMAC-SHA256(applicationKey, 'duo app key ' + nonce))`,
 * 64 characters. The `APP` half of its request is signed with it and Duo's frame echoes that half
 * back, so a response only holds for the verification whose request it answers.
 */
export const applicationKeyFor = (applicationKey: string, nonce: string): string =>
  createHmac('sha256', applicationKey).update(`duo app key ${nonce}`).digest('hex')

/** The Duo username of a login: the login, or its part before the last `@`. */
export const duoUsernameOf = (login: string, format: DuoUsernameFormat): string => {
  if (format === 'login') return login
  const at = login.lastIndexOf('@')
  return at < 0 ? login : login.slice(0, at)
}

/**
 * The Duo factor (`web`/`DUO`, docs/adr/0030-delegated-factors.md): Duo Web v2 (the iframe SDK).
 * Enrollment keeps the user's Duo username and starts a verification (PENDING_ACTIVATION); a
 * started verification shows a signed request (`signature`) for Duo's frame; the frame's signed
 * response, posted to the `complete` link, is checked against the verification it answers
 * (`confirm`). Duo itself enrolls the user's devices, inside its frame.
 */
export const createDuoFactor = (config: DuoConfig): DelegatingFactor<DuoProfile, DuoSecret, DuoAnswer> => {
  checkConfig(config)
  const format = config.usernameFormat ?? 'login'
  const keysFor = (nonce: string): DuoKeys => ({ ikey: config.integrationKey, skey: config.secretKey, akey: applicationKeyFor(config.applicationKey, nonce) })
  const lifetimeMs = DUO_LIFETIME_MS

  const enroll = (_request: EnrollRequest, subject: FactorSubject) => {
    const credentialId = duoUsernameOf(subject.login, format)
    if (!isDuoUsername(credentialId))
      return TE.left(failure('E0000001', [`profile.credentialId: The Duo username taken from the login (${format}) must be non-empty and must not contain "|".`]))
    return TE.right<never, Enrollment<DuoProfile, DuoSecret>>({ profile: { credentialId }, secret: null, activation: 'required' })
  }

  return {
    factorType: 'web',
    provider: 'DUO',
    idPrefix: 'dsf',
    profileCodec: DuoProfile,
    secretCodec: DuoSecret,
    enrollRequestCodec: DuoEnrollRequest,
    answerCodec: DuoAnswer,
    enroll,
    // An enrolled Duo user as a seed gives it: the username in profile.credentialId.
    seed: (seeded: SeededFactor) => {
      const credentialId = seeded.profile['credentialId']
      if (typeof credentialId !== 'string' || !isDuoUsername(credentialId))
        return TE.left(failure('E0000001', ['A seeded Duo factor needs profile.credentialId: the Duo username, non-empty and without "|".']))
      return TE.right<never, Enrollment<DuoProfile, DuoSecret>>({ profile: { credentialId }, secret: null, activation: 'none' })
    },
    profileView: (p) => ({ credentialId: p.credentialId }),
    // The engine shows the started verification (`delegation.view`) instead.
    activationView: () => null,
    delegation: {
      lifetimeMs,
      // Duo's frame is asked again: a poll after the request expired starts a new one.
      timeout: 'restart',
      nonce: (ctx) => makeNonce(ctx.random.bytes),
      view: (profile, started, links) => {
        const request = {
          host: config.apiHost,
          // Signed as of the verification's start: every poll shows the same request.
          signature: signRequest(keysFor(started.nonce), profile.credentialId, started.expiresAt - lifetimeMs),
          factorResult: 'WAITING',
          _links: {
            complete: { href: links.complete, hints: { allow: ['POST'] } },
            script: { href: links.script, type: 'text/javascript; charset=utf-8' },
          },
        }
        return started.phase === 'activation' ? { activation: request } : { verification: request }
      },
      confirm: (profile, response, started, ctx) => {
        let confirmed = false
        try {
          if (ctx.now < started.expiresAt && typeof started.nonce === 'string' && typeof response.sig_response === 'string') {
            const r = verifyResponse(keysFor(started.nonce), response.sig_response, ctx.now)
            confirmed = r.ok && r.user === profile.credentialId
          }
        } catch {
          confirmed = false
        }
        return TE.right(confirmed ? 'confirmed' : 'rejected')
      },
    },
  }
}
