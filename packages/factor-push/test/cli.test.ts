import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { importJWK, jwtVerify, type JWK } from 'jose'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runCli } from '../src/cli.js'
import type { DeviceState, Transport } from '../src/device.js'
import type { PushChallenge } from '../src/gateway.js'

// `authn-push-device` in-process: runCli against a fake server that answers the three device
// endpoints as the real one does, and records what the device sent.
const ORIGIN = 'https://login.example.com'
const FACTOR_ID = 'opfpushfactor000001x'
const USER_ID = '00upushuser00000001'
const LOGIN = 'pat@example.com'
const URI = `oktaverify://${encodeURIComponent(LOGIN)}/?t=activation-token-1&f=${FACTOR_ID}&s=${encodeURIComponent(ORIGIN)}`
const NOW = Date.UTC(2026, 11, 1, 9)

type Json = Record<string, unknown>
interface Request {
  readonly origin: string
  readonly path: string
  readonly body: Json
}

const challenge = (id: string, choices: ReadonlyArray<number> | null, overrides: Partial<PushChallenge['context']> = {}): PushChallenge => ({
  challengeId: id,
  factorId: FACTOR_ID,
  userId: USER_ID,
  expiresAt: NOW + 300_000,
  choices,
  context: { login: LOGIN, transactionType: 'LOGIN', clientIp: '203.0.113.7', userAgent: 'Mozilla/5.0 (test)', ...overrides },
})

/** A fake server: the device endpoints, the challenges it holds, the right numbers, and a switch to refuse everything. */
const fakeServer = () => {
  const requests: Request[] = []
  const state = {
    challenges: [] as PushChallenge[],
    correct: new Map<string, number>(),
    refuse: null as null | { status: number; body: Json },
  }
  const transport: Transport = async (origin, path, body) => {
    const b = body as Json
    requests.push({ origin, path, body: b })
    if (state.refuse !== null) return state.refuse
    switch (path) {
      case '/api/v1/push/devices/activate':
        if (b['activationToken'] !== 'activation-token-1' || b['factorId'] !== FACTOR_ID) return { status: 401, body: { errorCode: 'E0000011', errorSummary: 'Invalid token provided', errorCauses: [] } }
        return { status: 200, body: { factorId: FACTOR_ID, userId: USER_ID } }
      case '/api/v1/push/challenges/pending':
        return { status: 200, body: { challenges: state.challenges } }
      case '/api/v1/push/challenges/answer': {
        const id = b['challengeId'] as string
        const c = state.challenges.find((x) => x.challengeId === id)
        if (c === undefined) return { status: 401, body: { errorCode: 'E0000011', errorSummary: 'Invalid token provided', errorCauses: [] } }
        state.challenges = state.challenges.filter((x) => x !== c)
        const claims = JSON.parse(Buffer.from((b['challengeResponse'] as string).split('.')[1] ?? '', 'base64url').toString()) as Json
        const approved = claims['consent'] === 'APPROVED' && (c.choices === null || claims['selectedAnswer'] === state.correct.get(id))
        return { status: 200, body: { result: approved ? 'APPROVED' : 'DENIED' } }
      }
      default:
        return { status: 404, body: { errorCode: 'E0000022', errorSummary: 'The endpoint does not support the provided HTTP method' } }
    }
  }
  return { requests, state, transport, answers: () => requests.filter((r) => r.path === '/api/v1/push/challenges/answer') }
}

let dir = ''
let server = fakeServer()
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'authn-push-device-'))
  server = fakeServer()
})
afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
})

/** runCli in the temp dir with the fake server: exit code and both outputs. */
const cli = (...argv: string[]) => cliUntil(undefined, ...argv)
const cliUntil = async (signal: AbortSignal | undefined, ...argv: string[]) => {
  let stdout = ''
  let stderr = ''
  const code = await runCli(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), transport: server.transport, now: () => NOW, cwd: dir, ...(signal === undefined ? {} : { signal }) })
  return { code, stdout, stderr }
}
const stateFile = () => join(dir, 'authn-push-device.json')
const savedState = () => JSON.parse(readFileSync(stateFile(), 'utf8')) as DeviceState

const enroll = async () => {
  const r = await cli('enroll', URI, '--name', 'Pat’s terminal', '--platform', 'ios')
  expect(r.code, r.stderr).toBe(0)
  return savedState()
}

/** The claims of a JWS the device sent, verified with the public half of its saved key. */
const verified = async (jws: string, device: DeviceState) => {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = device.privateJwk as JWK
  const key = await importJWK(publicJwk, device.alg)
  const { payload } = await jwtVerify(jws, key, { audience: ORIGIN, currentDate: new Date(NOW) })
  return payload
}

describe('authn-push-device: usage', () => {
  it('--help prints the usage (exit 0); no command, an unknown command or option, extra arguments are usage errors (exit 2) with one line on stderr', async () => {
    const help = await cli('--help')
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/^Usage: authn-push-device <command>/)
    for (const command of ['enroll <enrollment-uri>', 'pending', 'approve [N|CHALLENGE_ID]', 'deny [N|CHALLENGE_ID]', '--number NN', '--state FILE', '--force']) expect(help.stdout).toContain(command)
    expect((await cli('approve', '-h')).stdout).toContain('Usage:')
    for (const argv of [[], ['frobnicate'], ['pending', '--bogus'], ['pending', 'extra'], ['deny', '--number', '12'], ['enroll', URI, 'extra'], ['enroll']]) {
      const r = await cli(...argv)
      expect(r.code, argv.join(' ')).toBe(2)
      expect(r.stdout).toBe('')
      expect(r.stderr).toMatch(/^authn-push-device: .+\n$/)
      expect(r.stderr).not.toMatch(/\n\s+at /)
    }
    expect((await cli('frobnicate')).stderr).toContain("unknown command 'frobnicate'")
    expect(server.requests).toEqual([])
  })

  it('without a state file, pending, approve and deny fail (exit 1) naming the file and enroll; a file that is not a device is refused', async () => {
    for (const command of ['pending', 'approve', 'deny']) {
      const r = await cli(command)
      expect(r.code).toBe(1)
      expect(r.stderr).toBe(`authn-push-device: no device at ${stateFile()}: run \`authn-push-device enroll <enrollment-uri>\` first (or pass --state FILE)\n`)
    }
    writeFileSync(join(dir, 'garbage.json'), '{"origin": 1}')
    const r = await cli('pending', '--state', 'garbage.json')
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('is not a device state file')
    expect(server.requests).toEqual([])
  })
})

describe('authn-push-device: enroll', () => {
  it('activates with the token, factor and a proof of possession; writes the device (private key included) with mode 0600; prints the factor, login and origin', async () => {
    const r = await cli('enroll', URI, '--name', 'Pat’s terminal', '--platform', 'ANDROID')
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout.split('\n')[0]).toBe(`activated factor ${FACTOR_ID} for ${LOGIN} at ${ORIGIN}`)
    expect(statSync(stateFile()).mode & 0o777).toBe(0o600)
    const state = savedState()
    expect(state).toMatchObject({ origin: ORIGIN, factorId: FACTOR_ID, userId: USER_ID, login: LOGIN, alg: 'ES256', name: 'Pat’s terminal' })
    expect(state.privateJwk).toMatchObject({ kty: 'EC', crv: 'P-256', d: expect.any(String) })
    expect(server.requests).toHaveLength(1)
    const [activation] = server.requests
    expect(activation).toMatchObject({ origin: ORIGIN, path: '/api/v1/push/devices/activate', body: { activationToken: 'activation-token-1', factorId: FACTOR_ID, device: { name: 'Pat’s terminal', platform: 'ANDROID', pushToken: null } } })
    // The key sent is the public half of the one saved; the proof is by it, for this origin and factor.
    expect(activation?.body['key']).not.toHaveProperty('d')
    const proof = await verified(activation?.body['proof'] as string, state)
    expect(proof.sub).toBe(FACTOR_ID)
    // No temporary file is left behind by the atomic write.
    expect(readdirSync(dir)).toEqual(['authn-push-device.json'])
  })

  it('refuses to replace a saved device without --force (nothing sent, the file unchanged); with --force it replaces it', async () => {
    const first = await enroll()
    const again = await cli('enroll', URI)
    expect(again.code).toBe(1)
    expect(again.stderr).toBe(`authn-push-device: ${stateFile()} already holds a device: pass --force to replace it (or --state FILE for another)\n`)
    expect(server.requests).toHaveLength(1)
    expect(savedState()).toEqual(first)
    const forced = await cli('enroll', URI, '--force', '--name', 'new')
    expect(forced.code, forced.stderr).toBe(0)
    expect(savedState().name).toBe('new')
    expect(savedState().privateJwk).not.toEqual(first.privateJwk)
    expect(statSync(stateFile()).mode & 0o777).toBe(0o600)
    // --state picks another file, relative to the working directory.
    expect((await cli('enroll', URI, '--state', 'second.json')).code).toBe(0)
    expect(existsSync(join(dir, 'second.json'))).toBe(true)
  })

  it('a URI that is not an enrollment URI, or a bad --platform, is a usage error (exit 2): nothing sent, nothing written', async () => {
    for (const uri of ['https://login.example.com/', 'oktaverify://pat/?t=x&f=y', 'not a uri', `oktaverify://pat/?t=x&f=y&s=${encodeURIComponent('ftp://x')}`]) {
      const r = await cli('enroll', uri)
      expect(r.code, uri).toBe(2)
      expect(r.stderr).toMatch(/^authn-push-device: not an enrollment URI: .+\n$/)
    }
    expect((await cli('enroll', URI, '--platform', 'WINDOWS')).code).toBe(2)
    expect(server.requests).toEqual([])
    expect(existsSync(stateFile())).toBe(false)
  })

  it('a refused activation (a spent token) exits 1 with the Okta error code and summary; no file is written', async () => {
    const r = await cli('enroll', URI.replace('activation-token-1', 'spent'))
    expect(r.code).toBe(1)
    expect(r.stderr).toBe('authn-push-device: the server refused: 401 E0000011 Invalid token provided\n')
    expect(existsSync(stateFile())).toBe(false)
  })
})

describe('authn-push-device: pending', () => {
  it('one line per waiting challenge, oldest first: number, login, IP and user agent, seconds left, the three choices or no number matching', async () => {
    await enroll()
    expect((await cli('pending')).stdout).toBe(`no challenge is waiting for ${LOGIN} at ${ORIGIN}\n`)
    server.state.challenges = [challenge('chal-1', [12, 47, 83]), { ...challenge('chal-2', null, { clientIp: null, userAgent: null }), expiresAt: NOW + 42_400 }]
    const r = await cli('pending')
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout.split('\n')).toEqual([
      `1. ${LOGIN} from 203.0.113.7 (Mozilla/5.0 (test)), expires in 300 s, choices: 12 47 83 [chal-1]`,
      `2. ${LOGIN} from unknown IP, expires in 42 s, no number matching [chal-2]`,
      '',
    ])
    // The request is signed by the device for its factor.
    const request = server.requests.at(-1)
    expect(request).toMatchObject({ origin: ORIGIN, path: '/api/v1/push/challenges/pending', body: { factorId: FACTOR_ID, userId: USER_ID } })
    expect((await verified(request?.body['assertion'] as string, savedState())).sub).toBe(FACTOR_ID)
  })

  it('a refused request exits 1 with the error code on stderr, no stack trace', async () => {
    await enroll()
    server.state.refuse = { status: 401, body: { errorCode: 'E0000011', errorSummary: 'Invalid token provided', errorCauses: [] } }
    const r = await cli('pending')
    expect(r.code).toBe(1)
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe('authn-push-device: the server refused: 401 E0000011 Invalid token provided\n')
  })
})

describe('authn-push-device: approve and deny', () => {
  it('under number matching, approve needs --number, one of the choices: otherwise exit 2 and no answer is sent', async () => {
    await enroll()
    server.state.challenges = [challenge('chal-1', [12, 47, 83])]
    const missing = await cli('approve')
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('pass --number')
    expect(missing.stderr).toContain('12, 47, 83')
    const wrong = await cli('approve', '--number', '50')
    expect(wrong.code).toBe(2)
    expect(wrong.stderr).toContain('50 is not one of this challenge')
    expect((await cli('approve', '--number', 'forty')).code).toBe(2)
    expect(server.answers()).toEqual([])
    expect(server.state.challenges).toHaveLength(1)
  })

  it('approve (the oldest by default) sends the challenge id, APPROVED and the number, signed by the device for its origin', async () => {
    const device = await enroll()
    server.state.challenges = [challenge('chal-1', [12, 47, 83]), challenge('chal-2', [20, 30, 40])]
    server.state.correct.set('chal-1', 47)
    const r = await cli('approve', '--number', '47')
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toBe(`approved: ${LOGIN} [chal-1]\n`)
    const [answer] = server.answers()
    expect(answer).toMatchObject({ origin: ORIGIN, body: { challengeId: 'chal-1' } })
    const claims = await verified(answer?.body['challengeResponse'] as string, device)
    expect(claims).toMatchObject({ challengeId: 'chal-1', consent: 'APPROVED', selectedAnswer: 47, aud: ORIGIN, iat: NOW / 1000, exp: NOW / 1000 + 60 })
  })

  it('approve picks a challenge by its number in pending or by its id; without number matching no number is sent', async () => {
    const device = await enroll()
    server.state.challenges = [challenge('chal-1', null), challenge('chal-2', null), challenge('chal-3', [11, 22, 33])]
    server.state.correct.set('chal-3', 33)
    expect((await cli('approve', '2')).code).toBe(0)
    expect((await cli('approve', 'chal-3', '--number', '33')).code).toBe(0)
    const [second, third] = server.answers()
    const claims = await verified(second?.body['challengeResponse'] as string, device)
    expect(claims).toMatchObject({ challengeId: 'chal-2', consent: 'APPROVED', aud: ORIGIN })
    expect(claims).not.toHaveProperty('selectedAnswer')
    expect(await verified(third?.body['challengeResponse'] as string, device)).toMatchObject({ challengeId: 'chal-3', selectedAnswer: 33 })
    // What is not there: exit 1, nothing sent.
    for (const ref of ['5', '0', 'chal-9']) {
      const r = await cli('approve', ref)
      expect(r.code, ref).toBe(1)
      expect(r.stderr).toMatch(/^authn-push-device: no challenge .+\n$/)
    }
    server.state.challenges = []
    expect(await cli('deny')).toMatchObject({ code: 1, stderr: 'authn-push-device: no challenge is waiting for this device\n' })
    expect(server.answers()).toHaveLength(2)
  })

  it('deny sends DENIED with no number, signed by the device', async () => {
    const device = await enroll()
    server.state.challenges = [challenge('chal-1', [12, 47, 83]), challenge('chal-2', [20, 30, 40])]
    const r = await cli('deny', '2')
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toBe(`denied: ${LOGIN} [chal-2]\n`)
    const [answer] = server.answers()
    const claims = await verified(answer?.body['challengeResponse'] as string, device)
    expect(claims).toMatchObject({ challengeId: 'chal-2', consent: 'DENIED', aud: ORIGIN })
    expect(claims).not.toHaveProperty('selectedAnswer')
  })

  it('a choice that is not the number shown: the server records a denial, exit 1 with a message', async () => {
    await enroll()
    server.state.challenges = [challenge('chal-1', [12, 47, 83])]
    server.state.correct.set('chal-1', 47)
    const r = await cli('approve', '--number', '12')
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('recorded the answer as DENIED')
  })

  it('a refused answer (a spent or expired challenge) exits 1 with the error code and summary', async () => {
    await enroll()
    server.state.challenges = [challenge('chal-1', [12, 47, 83])]
    const transport = server.transport
    server.transport = async (origin, path, body) =>
      path === '/api/v1/push/challenges/answer' ? { status: 403, body: { errorCode: 'E0000068', errorSummary: 'Invalid Passcode/Answer', errorCauses: [{ errorSummary: 'The push was answered or expired' }] } } : transport(origin, path, body)
    const r = await cli('approve', '--number', '47')
    expect(r.code).toBe(1)
    expect(r.stderr).toBe('authn-push-device: the server refused: 403 E0000068 Invalid Passcode/Answer (The push was answered or expired)\n')
  })

  it('an unreachable server: exit 1 with the reason, no stack trace', async () => {
    await enroll()
    server.transport = () => Promise.reject(new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:9') }))
    const r = await cli('pending')
    expect(r.code).toBe(1)
    expect(r.stderr).toBe('authn-push-device: fetch failed: connect ECONNREFUSED 127.0.0.1:9\n')
  })
})

describe('authn-push-device: watch', () => {
  /** Lets the fake server stop the watch after `polls` requests for pending challenges. */
  const stopAfterPolls = (polls: number): AbortSignal => {
    const stop = new AbortController()
    const transport = server.transport
    let seen = 0
    server.transport = async (origin, path, body) => {
      const r = await transport(origin, path, body)
      if (path === '/api/v1/push/challenges/pending' && (seen += 1) >= polls) stop.abort()
      return r
    }
    return stop.signal
  }

  it('prints each new challenge once, answers nothing without --approve-with or --deny, and ends (exit 0) when stopped', async () => {
    await enroll()
    server.state.challenges = [challenge('chal-1', [12, 47, 83])]
    const r = await cliUntil(stopAfterPolls(3), 'watch', '--interval', '0.1')
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout.split('\n')).toEqual([
      `watching for challenges to ${LOGIN} at ${ORIGIN} (every 0.1 s; Ctrl-C to stop)`,
      `1. ${LOGIN} from 203.0.113.7 (Mozilla/5.0 (test)), expires in 300 s, choices: 12 47 83 [chal-1]`,
      '',
    ])
    expect(server.requests.filter((q) => q.path === '/api/v1/push/challenges/pending')).toHaveLength(3)
    expect(server.answers()).toEqual([])
  })

  it('--approve-with NN approves the challenges offering NN (signed, with NN) and leaves the others alone; --deny denies each', async () => {
    const device = await enroll()
    server.state.challenges = [challenge('chal-1', [12, 47, 83]), challenge('chal-2', [20, 30, 40])]
    server.state.correct.set('chal-1', 47)
    const r = await cliUntil(stopAfterPolls(2), 'watch', '--interval', '0.1', '--approve-with', '47')
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('[chal-1]\n  approved\n')
    expect(r.stdout).toContain('[chal-2]\n  left alone: 47 is not among its choices\n')
    expect(server.answers()).toHaveLength(1)
    expect(await verified(server.answers()[0]?.body['challengeResponse'] as string, device)).toMatchObject({ challengeId: 'chal-1', consent: 'APPROVED', selectedAnswer: 47 })

    const denied = await cliUntil(stopAfterPolls(1), 'watch', '--interval', '0.1', '--deny')
    expect(denied.stdout).toContain('[chal-2]\n  denied\n')
    expect(await verified(server.answers()[1]?.body['challengeResponse'] as string, device)).toMatchObject({ challengeId: 'chal-2', consent: 'DENIED' })
  })

  it('bad options are usage errors; a refused poll ends the watch with exit 1', async () => {
    await enroll()
    for (const argv of [['--interval', '0'], ['--interval', 'soon'], ['--approve-with', '47', '--deny'], ['--approve-with', 'x'], ['--number', '47']]) {
      expect((await cli('watch', ...argv)).code, argv.join(' ')).toBe(2)
    }
    server.state.refuse = { status: 401, body: { errorCode: 'E0000011', errorSummary: 'Invalid token provided', errorCauses: [] } }
    const r = await cli('watch', '--interval', '0.1')
    expect(r.code).toBe(1)
    expect(r.stderr).toBe('authn-push-device: the server refused: 401 E0000011 Invalid token provided\n')
  })
})
