import { SignJWT, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose'
import { operationSpec } from '@authn-machine/core'
import { ENROLLMENT_SCHEME } from './push-factor.js'
import type { PushChallenge } from './gateway.js'

/**
 * The device side of push (docs/adr/0031-push.md): what an authenticator app does, for the
 * `authn-push-device` command and for tests. It reads an enrollment URI, makes a key pair,
 * activates with a proof of possession, fetches its challenges and answers them, each message a
 * short-lived JWS by its key.
 */

/** What an enrollment URI (the QR code, or the link sent by email or SMS) carries. */
export interface Enrollment {
  readonly login: string
  readonly token: string
  readonly factorId: string
  readonly origin: string
}

/** A device once activated: everything it needs later, its private key included (keep it private). */
export interface DeviceState {
  readonly origin: string
  readonly factorId: string
  readonly userId: string
  readonly login: string
  readonly alg: 'ES256' | 'RS256'
  readonly privateJwk: JWK
  readonly name: string
}

/** How a device reaches its server: POST a JSON body to a path of `origin`. */
export type Transport = (origin: string, path: string, body: unknown) => Promise<{ readonly status: number; readonly body: unknown }>

/** The default transport: `fetch`, JSON both ways, bounded by `timeoutMs`. */
export const fetchTransport =
  (timeoutMs = 10_000): Transport =>
  async (origin, path, body) => {
    const response = await fetch(new URL(path, origin), {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    })
    const text = await response.text()
    let parsed: unknown
    try {
      parsed = text === '' ? null : JSON.parse(text)
    } catch {
      parsed = text
    }
    return { status: response.status, body: parsed }
  }

/** The paths of the device's three requests, from the core's one table of operations. */
export const DEVICE_PATHS = {
  activatePushDevice: operationSpec('activatePushDevice').path,
  listPushChallenges: operationSpec('listPushChallenges').path,
  answerPushChallenge: operationSpec('answerPushChallenge').path,
} as const

/** What answers the device's requests in process: the engine's driver has these three methods. */
export type DeviceOperations = { readonly [K in keyof typeof DEVICE_PATHS]: (body: unknown) => Promise<{ readonly status: number; readonly body: unknown }> }

/**
 * A transport that calls `operations` in process, by path, as the server's routes would (for tests
 * and embedders without HTTP). A path that is not one of {@link DEVICE_PATHS}, or an origin other
 * than `origin` when given, is an error: the device went somewhere it was not sent.
 */
export const inProcessTransport = (operations: DeviceOperations, origin?: string): Transport => {
  const byPath = new Map<string, DeviceOperations[keyof DeviceOperations]>(Object.entries(DEVICE_PATHS).map(([name, path]) => [path, operations[name as keyof DeviceOperations]]))
  return async (to, path, body) => {
    if (origin !== undefined && to !== origin) throw new Error(`the device was sent to ${to}, not ${origin}`)
    const operation = byPath.get(path)
    if (operation === undefined) throw new Error(`no device operation at ${path}`)
    return operation(body)
  }
}

/** A refusal by the server: its HTTP status and Okta error (`errorCode`, `errorSummary`, `errorCauses`). */
export class DeviceRequestError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    const b = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {}
    const causes = Array.isArray(b['errorCauses']) ? (b['errorCauses'] as Array<Record<string, unknown>>).map((c) => String(c['errorSummary'])).join('; ') : ''
    super(`${status} ${String(b['errorCode'] ?? '')} ${String(b['errorSummary'] ?? '')}${causes === '' ? '' : ` (${causes})`}`.trim())
    this.name = 'DeviceRequestError'
  }
}

/** What a device request was answered: its result, or the server's refusal as `status errorCode` (`403 E0000068`). */
export const answerOf = async (request: Promise<string>): Promise<string> => {
  try {
    return await request
  } catch (e) {
    if (e instanceof DeviceRequestError) {
      const body = typeof e.body === 'object' && e.body !== null ? (e.body as Record<string, unknown>) : {}
      return `${e.status} ${String(body['errorCode'])}`
    }
    throw e
  }
}

/** Reads an enrollment URI: `oktaverify://{login}/?t={token}&f={factorId}&s={origin}`; throws on anything else. */
export const parseEnrollmentUri = (uri: string): Enrollment => {
  let url: URL
  try {
    url = new URL(uri.trim())
  } catch {
    throw new Error('not an enrollment URI: it does not parse as a URI')
  }
  if (url.protocol !== `${ENROLLMENT_SCHEME}:`) throw new Error(`not an enrollment URI: the scheme must be ${ENROLLMENT_SCHEME}:`)
  const token = url.searchParams.get('t')
  const factorId = url.searchParams.get('f')
  const origin = url.searchParams.get('s')
  if (token === null || token === '' || factorId === null || factorId === '' || origin === null || origin === '') throw new Error('not an enrollment URI: t, f and s are required')
  let server: URL
  try {
    server = new URL(origin)
  } catch {
    throw new Error('not an enrollment URI: s must be an http(s) origin')
  }
  if (server.protocol !== 'https:' && server.protocol !== 'http:') throw new Error('not an enrollment URI: s must be an http(s) origin')
  return { login: decodeURIComponent(url.hostname === '' ? url.pathname.replace(/^\/+|\/+$/g, '') : url.host), token, factorId, origin: server.origin }
}

const seconds = (ms: number): number => Math.floor(ms / 1000)

/** A compact JWS by the device's key: `claims` plus `aud` (the origin), `iat` and `exp` (60 s). */
const sign = async (state: Pick<DeviceState, 'alg' | 'privateJwk' | 'origin'>, claims: Record<string, unknown>, now: number, subject?: string): Promise<string> => {
  const key = await importJWK(state.privateJwk, state.alg)
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: state.alg, typ: 'JWT' }).setAudience(state.origin).setIssuedAt(seconds(now)).setExpirationTime(seconds(now) + 60)
  return (subject === undefined ? jwt : jwt.setSubject(subject)).sign(key)
}

const expectOk = async <T>(request: Promise<{ readonly status: number; readonly body: unknown }>): Promise<T> => {
  const r = await request
  if (r.status !== 200) throw new DeviceRequestError(r.status, r.body)
  return r.body as T
}

export interface DeviceOptions {
  readonly transport?: Transport
  /** The clock the device signs with (epoch ms); default `Date.now`. */
  readonly now?: () => number
}

/**
 * Activates a device for the enrollment: a new key pair (ES256 by default), the device's
 * description, and a proof of possession signed for this origin and factor.
 */
export const activateDevice = async (
  enrollment: Enrollment,
  device: { readonly name: string; readonly platform?: 'IOS' | 'ANDROID' | 'OTHER'; readonly version?: string; readonly pushToken?: string | null; readonly alg?: 'ES256' | 'RS256' },
  options: DeviceOptions = {},
): Promise<DeviceState> => {
  const transport = options.transport ?? fetchTransport()
  const now = options.now ?? Date.now
  const alg = device.alg ?? 'ES256'
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'RS256' ? { modulusLength: 2048 } : {}) })
  const privateJwk = await exportJWK(privateKey)
  const publicJwk = await exportJWK(publicKey)
  const proof = await sign({ alg, privateJwk, origin: enrollment.origin }, {}, now(), enrollment.factorId)
  const answer = await expectOk<{ factorId: string; userId: string }>(
    transport(enrollment.origin, DEVICE_PATHS.activatePushDevice, {
      activationToken: enrollment.token,
      factorId: enrollment.factorId,
      device: { name: device.name, platform: device.platform ?? 'OTHER', ...(device.version === undefined ? {} : { version: device.version }), pushToken: device.pushToken ?? null },
      key: publicJwk,
      proof,
    }),
  )
  return { origin: enrollment.origin, factorId: answer.factorId, userId: answer.userId, login: enrollment.login, alg, privateJwk, name: device.name }
}

/** The challenges waiting for the device, oldest first. */
export const pendingChallenges = async (state: DeviceState, options: DeviceOptions = {}): Promise<ReadonlyArray<PushChallenge>> => {
  const transport = options.transport ?? fetchTransport()
  const assertion = await sign(state, {}, (options.now ?? Date.now)(), state.factorId)
  const r = await expectOk<{ challenges: ReadonlyArray<PushChallenge> }>(transport(state.origin, DEVICE_PATHS.listPushChallenges, { factorId: state.factorId, userId: state.userId, assertion }))
  return r.challenges
}

/** Approves (with the number picked, under number matching) or denies a challenge. */
export const answerChallenge = async (
  state: DeviceState,
  challengeId: string,
  answer: { readonly consent: 'APPROVED' | 'DENIED'; readonly selectedAnswer?: number },
  options: DeviceOptions = {},
): Promise<'APPROVED' | 'DENIED'> => {
  const transport = options.transport ?? fetchTransport()
  const claims = { challengeId, consent: answer.consent, ...(answer.selectedAnswer === undefined ? {} : { selectedAnswer: answer.selectedAnswer }) }
  const challengeResponse = await sign(state, claims, (options.now ?? Date.now)())
  const r = await expectOk<{ result: 'APPROVED' | 'DENIED' }>(transport(state.origin, DEVICE_PATHS.answerPushChallenge, { challengeId, challengeResponse }))
  return r.result
}
