// Regression suite, run per store: bursts of concurrent sign-ins that used to get around the lockout
// (each request was checked against the counter before any of them had been counted), and the
// Users API lifecycle operations, all over HTTP against a server started as its own process.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { createProcesses } from './process.js'
import { DEMO, demoSeed, postJson } from './support.js'

export interface StoreUnderTest {
  /** Command-line options (and environment) of a fresh, empty store, one per server. */
  readonly fresh: () => { readonly args: ReadonlyArray<string>; readonly env?: Record<string, string> }
  /** Called once after the suite (drops what `fresh` made). */
  readonly teardown?: () => Promise<void>
}

const API_TOKEN = 'lockout-burst-api-token-0123456789'
const TRUSTED = { authorization: `SSWS ${API_TOKEN}` }
/** Explicit ids in the seed, so that admin calls need no lookup. */
const RAMON_ID = '00uburstramonsanchez'
const PAUL_ID = '00uburstpaulcook0001'
const MAX_ATTEMPTS = 5

type Answer = Awaited<ReturnType<typeof postJson>>

/** What a caller was answered, in one word: the transaction status, or the HTTP status and error code. */
const answerOf = (r: Answer): string => (r.status === 200 ? String(r.body['status']) : `${r.status} ${String(r.body['errorCode'])}`)

const tally = (answers: ReadonlyArray<Answer>): Record<string, number> => {
  const counts: Record<string, number> = {}
  for (const a of answers) counts[answerOf(a)] = (counts[answerOf(a)] ?? 0) + 1
  return counts
}

/** The demo seed with a lockout after {@link MAX_ATTEMPTS} failures, shown or hidden, and fixed ids. */
const burstSeed = (showLockoutFailures: boolean): Record<string, unknown> => {
  const seed = demoSeed()
  const policies = seed['policies'] as { password: { lockout: Record<string, unknown> } }
  policies.password.lockout = { ...policies.password.lockout, maxAttempts: MAX_ATTEMPTS, autoUnlockMinutes: 0, showLockoutFailures }
  // The bursts are about lockout under concurrency: the per-username rate limit (10 in 10 s) would
  // answer most of them 429 before any password is checked (ADR 0014); that bucket is tested on its own.
  ;(seed['policies'] as Record<string, unknown>)['rateLimits'] = { perUsername: { limit: 1000, windowSeconds: 10 } }
  const ids: Readonly<Record<string, string>> = { [DEMO.lockable.username]: RAMON_ID, [DEMO.expired.username]: PAUL_ID }
  seed['users'] = (seed['users'] as ReadonlyArray<Record<string, unknown>>).map((u) => {
    const id = ids[String(u['login'])]
    return id === undefined ? u : { ...u, id }
  })
  return seed
}

export const describeLockoutBursts = (name: string, store: StoreUnderTest): void => {
  describe(`lockout bursts and lifecycle over HTTP, against the server process (${name})`, { timeout: 120_000 }, () => {
    const processes = createProcesses()
    const dir = mkdtempSync(join(tmpdir(), 'authn-bursts-'))
    let servers = 0

    afterEach(() => processes.stopAll())
    afterAll(async () => {
      await store.teardown?.()
      rmSync(dir, { recursive: true, force: true })
    })

    /** A server process on a fresh store with the API token; resolves with its URL. */
    const start = (seed: unknown): Promise<string> => {
      const seedFile = join(dir, `seed-${++servers}.json`)
      writeFileSync(seedFile, JSON.stringify(seed))
      const { args, env } = store.fresh()
      return processes.launch(['--port', '0', '--host', '127.0.0.1', '--seed', seedFile, ...args], { AUTHN_API_TOKENS: API_TOKEN, ...env }).ready
    }

    const signIn = (base: string, password: string) => postJson(`${base}/api/v1/authn`, { username: DEMO.lockable.username, password })
    const lifecycle = (base: string, userId: string, operation: string, headers: Record<string, string> = TRUSTED) =>
      postJson(`${base}/api/v1/users/${userId}/lifecycle/${operation}`, '', headers)

    /**
     * `wrong` concurrent wrong passwords, then the correct one, all in flight at once over loopback.
     * Each wrong password differs, as in a guessing attack.
     */
    const burst = async (base: string, wrong: number, withCorrect: boolean) => {
      const wrongs = Array.from({ length: wrong }, (_, i) => signIn(base, `Wrong-Guess-${i}-1995`))
      const correct = withCorrect ? signIn(base, DEMO.lockable.password) : null
      return { wrong: await Promise.all(wrongs), correct: correct === null ? null : await correct }
    }

    /** A session token won in the burst must have been revoked by the lock that followed it. */
    const expectRevoked = async (base: string, won: Answer) => {
      const sessionToken = won.body['sessionToken']
      expect(typeof sessionToken).toBe('string')
      expect(answerOf(await postJson(`${base}/api/v1/sessions`, { sessionToken }))).toBe('401 E0000004')
    }

    it('lockout hidden: 29 concurrent wrong passwords and the correct one last: every wrong one 401, the account ends locked until an admin unlocks it', async ({ annotate }) => {
      const base = await start(burstSeed(false))
      const { wrong, correct } = await burst(base, 29, true)
      if (correct === null) throw new Error('no correct attempt')
      await annotate(`wrong: ${JSON.stringify(tally(wrong))}; correct: ${answerOf(correct)}`)
      // Hidden lockout: a counted failure and a locked account answer alike.
      expect(tally(wrong)).toEqual({ '401 E0000004': 29 })
      expect(['SUCCESS', '401 E0000004']).toContain(answerOf(correct))
      // A success resets the counter, so at least 25 counted failures followed it and locked again.
      if (answerOf(correct) === 'SUCCESS') await expectRevoked(base, correct)

      expect(answerOf(await signIn(base, DEMO.lockable.password))).toBe('401 E0000004')
      // Without the API token the unlock is refused and the account stays locked.
      const refused = await lifecycle(base, RAMON_ID, 'unlock', {})
      expect(refused.status).toBe(401)
      expect(refused.body).toMatchObject({ errorCode: 'E0000011', errorSummary: 'Invalid token provided', errorCauses: [] })
      expect(answerOf(await signIn(base, DEMO.lockable.password))).toBe('401 E0000004')

      const unlocked = await lifecycle(base, RAMON_ID, 'unlock')
      expect(unlocked.status).toBe(200)
      expect(unlocked.body).toEqual({})
      expect(answerOf(await signIn(base, DEMO.lockable.password))).toBe('SUCCESS')
    })

    it('lockout shown: 20 concurrent wrong passwords are exactly 4 plain 401 E0000004 and 16 LOCKED_OUT; then the correct one is LOCKED_OUT', async ({ annotate }) => {
      const base = await start(burstSeed(true))
      const { wrong } = await burst(base, 20, false)
      await annotate(`wrong: ${JSON.stringify(tally(wrong))}`)
      // The 5th failure locks, and every later attempt is answered as locked.
      expect(tally(wrong)).toEqual({ '401 E0000004': MAX_ATTEMPTS - 1, LOCKED_OUT: 20 - (MAX_ATTEMPTS - 1) })
      for (const r of wrong.filter((a) => answerOf(a) === 'LOCKED_OUT')) {
        expect(r.body).not.toHaveProperty('stateToken')
        expect(r.body).not.toHaveProperty('sessionToken')
      }
      expect(answerOf(await signIn(base, DEMO.lockable.password))).toBe('LOCKED_OUT')
      expect((await lifecycle(base, RAMON_ID, 'unlock')).status).toBe(200)
      expect(answerOf(await signIn(base, DEMO.lockable.password))).toBe('SUCCESS')
    })

    it('lockout shown: 29 concurrent wrong passwords and the correct one last: a SUCCESS comes after at most 4 counted failures, and the account ends locked', async ({ annotate }) => {
      const base = await start(burstSeed(true))
      const { wrong, correct } = await burst(base, 29, true)
      if (correct === null) throw new Error('no correct attempt')
      const counts = tally(wrong)
      await annotate(`wrong: ${JSON.stringify(counts)}; correct: ${answerOf(correct)}`)
      const plain = counts['401 E0000004'] ?? 0
      expect(plain + (counts['LOCKED_OUT'] ?? 0)).toBe(29)
      if (answerOf(correct) === 'SUCCESS') {
        // The success reset the counter: 4 plain failures and a lock followed it, so the plain
        // failures counted before it are the others, and there were at most 4 of them.
        const before = plain - (MAX_ATTEMPTS - 1)
        expect(before).toBeGreaterThanOrEqual(0)
        expect(before).toBeLessThanOrEqual(MAX_ATTEMPTS - 1)
        await expectRevoked(base, correct)
      } else {
        expect(answerOf(correct)).toBe('LOCKED_OUT')
        expect(counts).toEqual({ '401 E0000004': MAX_ATTEMPTS - 1, LOCKED_OUT: 29 - (MAX_ATTEMPTS - 1) })
      }
      expect(answerOf(await signIn(base, DEMO.lockable.password))).toBe('LOCKED_OUT')
    })

    it('suspend ends a live transaction (401 E0000011) and sign-in (401); unsuspend lets the password in; without the API token nothing changes', async () => {
      const base = await start(burstSeed(true))
      const paul = (password = DEMO.expired.password) => postJson(`${base}/api/v1/authn`, { username: DEMO.expired.username, password })
      const started = await paul()
      expect(answerOf(started)).toBe('PASSWORD_EXPIRED')
      const stateToken = started.body['stateToken']
      const getState = () => postJson(`${base}/api/v1/authn`, { stateToken })

      for (const headers of [{}, { authorization: 'SSWS not-the-api-token-0123456789' }, { authorization: 'Bearer x' }]) {
        const r = await lifecycle(base, PAUL_ID, 'suspend', headers)
        expect(r.status).toBe(401)
        expect(r.body).toMatchObject({ errorCode: 'E0000011', errorSummary: 'Invalid token provided', errorCauses: [] })
      }
      expect(answerOf(await getState())).toBe('PASSWORD_EXPIRED')
      expect(answerOf(await paul())).toBe('PASSWORD_EXPIRED')

      const suspended = await lifecycle(base, PAUL_ID, 'suspend')
      expect(suspended.status).toBe(200)
      expect(suspended.body).toEqual({})
      expect(answerOf(await getState())).toBe('401 E0000011')
      expect(answerOf(await paul())).toBe('401 E0000004')
      expect(answerOf(await lifecycle(base, PAUL_ID, 'suspend'))).toBe('400 E0000001')

      const unsuspended = await lifecycle(base, PAUL_ID, 'UNSUSPEND')
      expect(unsuspended.status).toBe(200)
      expect(unsuspended.body).toEqual({})
      // Unsuspended users are ACTIVE (Okta's rule), so the password that was expired now signs in.
      expect(answerOf(await paul())).toBe('SUCCESS')
    })

    it('answers 404 for unknown users and paths, never 500 for odd ids', async () => {
      const base = await start(burstSeed(true))
      for (const id of ['00unknownuser000001', '%00', '00u%00x', 'x'.repeat(65), '%E2%82%AC', "'%3B%20drop%20table%20users--"])
        expect(answerOf(await lifecycle(base, id, 'suspend')), id).toBe('404 E0000007')
      for (const path of [`${RAMON_ID}/lifecycle/lock`, `${RAMON_ID}/lifecycle`, RAMON_ID, '%ED%A0%80/lifecycle/suspend'])
        expect(answerOf(await postJson(`${base}/api/v1/users/${path}`, '', TRUSTED)), path).toBe('404 E0000008')
      expect(answerOf(await signIn(base, DEMO.lockable.password))).toBe('SUCCESS')
    })
  })
}
