import { readFileSync } from 'node:fs'
import type { OutboundMessage } from '@authn-machine/core'
import { AuthApiError, OktaAuth, type SimpleStorage, type StorageUtil } from '@okta/okta-auth-js/authn'
import { DEMO_SEED_PATH, startServer, type RunningServer, type StartOptions } from '../src/index.js'

/** The committed demo org, parsed afresh (tests may change their copy). */
export const demoSeed = (): Record<string, unknown> => JSON.parse(readFileSync(DEMO_SEED_PATH, 'utf8')) as Record<string, unknown>

/** Demo users, as printed by the server at start-up. */
export const DEMO = {
  active: { username: 'dade.murphy@example.com', password: 'Zero-Cool-1988' },
  lockable: { username: 'ramon.sanchez@example.com', password: 'Phantom-Phreak-95' },
  locked: { username: 'kate.libby@example.com', password: 'Acid-Burn-1995' },
  expired: { username: 'paul.cook@example.com', password: 'Lord-Nikon-1995' },
  warned: { username: 'emmanuel.goldstein@example.com', password: 'Cereal-Killer-95' },
  staged: { username: 'joey.pardella@example.com', activationToken: 'demo-activation-token-joey-0001' },
} as const

/** The demo seed with the password policy's `showLockoutFailures` set. */
export const seedWithLockoutShown = (shown: boolean): Record<string, unknown> => {
  const seed = demoSeed()
  const policies = seed['policies'] as { password: { lockout: Record<string, unknown> } }
  policies.password.lockout['showLockoutFailures'] = shown
  return seed
}

/** Starts reference servers on free ports and closes them all afterwards. */
export const createServers = () => {
  const running: RunningServer[] = []
  return {
    start: async (options: Partial<StartOptions> = {}): Promise<RunningServer> => {
      const server = await startServer({ seed: demoSeed(), port: 0, onError: () => undefined, ...options })
      running.push(server)
      return server
    },
    closeAll: async () => {
      await Promise.all(running.splice(0).map((s) => s.close()))
    },
  }
}

/**
 * A per-client in-memory storage for okta-auth-js. Its Node default is one module-wide cache
 * shared by every client, which would let one test resume another's transaction.
 */
export const createMemoryStorageUtil = (): StorageUtil => {
  const tx = new Map<string, string>()
  const byType = new Map<string, unknown>()
  const simple: SimpleStorage = {
    getItem: (key: string) => byType.get(key),
    setItem: (key: string, value: unknown) => {
      byType.set(key, value)
    },
    removeItem: (key: string) => {
      byType.delete(key)
    },
  }
  return {
    storage: {
      get: (name) => tx.get(name) ?? '',
      set: (name, value) => {
        tx.set(name, value)
        return value
      },
      delete: (name) => {
        const had = tx.get(name) ?? ''
        tx.delete(name)
        return had
      },
    },
    testStorageType: (type) => type === 'memory',
    getStorageByType: () => simple,
    findStorageType: () => 'memory',
  }
}

/** An unmodified okta-auth-js client for a reference server. */
export const oktaClient = (server: RunningServer): OktaAuth =>
  new OktaAuth({ issuer: `${server.url}/oauth2/default`, storageUtil: createMemoryStorageUtil() })

/** POST JSON with plain fetch; answers status and parsed body. */
export const postJson = async (
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ readonly status: number; readonly body: Record<string, unknown>; readonly headers: Headers }> => {
  const r = await fetch(url, {
    method: 'POST',
    headers: { accept: 'application/json', 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await r.text()
  return { status: r.status, body: (text === '' ? {} : JSON.parse(text)) as Record<string, unknown>, headers: r.headers }
}

/** The headers the Java and .NET authentication SDKs send (recorded from their clients). */
export const JAVA_HEADERS = {
  'user-agent': 'okta-auth-java/2.0.0 okta-sdk-java/8.2.2 java/11.0.19 Linux/5.15.0',
  accept: 'application/json',
  'content-type': 'application/json',
}
export const DOTNET_HEADERS = {
  'user-agent': 'okta-auth-dotnet/2.0.3 okta-sdk-abstractions-dotnet/2.0.0 runtime/.NET-6.0.16 os/Linux',
  accept: 'application/json',
  'content-type': 'application/json; charset=utf-8',
}

/** The error a rejected okta-auth-js call ends with; anything else (or no failure) fails the test. */
export const rejection = async (p: Promise<unknown>): Promise<AuthApiError> => {
  try {
    await p
  } catch (e) {
    if (e instanceof AuthApiError) return e
    throw e
  }
  throw new Error('expected the call to fail')
}

let messageSeq = 0
/** A fresh message to `to` through `channel`: a unique id, a six-digit code in its text, a later `createdAt` each time. */
export const outboundMessage = (channel: OutboundMessage['channel'], to: string): OutboundMessage => {
  messageSeq += 1
  return {
    id: `msg-${messageSeq}`,
    channel,
    to,
    subject: 'Your verification code',
    text: `Your verification code is ${String(200000 + messageSeq)}.`,
    purpose: 'mfa-challenge',
    createdAt: (Date.UTC(2026, 0, 2, 3, 4, 5) + messageSeq) as OutboundMessage['createdAt'],
  }
}
