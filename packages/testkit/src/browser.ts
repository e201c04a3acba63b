import { existsSync } from 'node:fs'

// For browser tests (Chromium driven by playwright-core) in any package of the repository: where
// Chromium is, the flags it needs here, whether a suite runs, and a bound on each browser step.
// Nothing here starts a browser, so the testkit takes no dependency on playwright.

/** Debian's Chromium, or the one `CHROMIUM_PATH` names. */
export const chromiumPath = (): string => process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium'

/** The flags Chromium needs here: no sandbox (root), no GPU, and nothing that reaches the network by itself. */
export const CHROMIUM_ARGS: ReadonlyArray<string> = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/**
 * Whether browser suites run: in CI always (`.ci/run` installs Chromium, and a missing one fails
 * them), elsewhere when Chromium is installed; otherwise `label`'s suites are skipped, saying how to
 * install it, so that `pnpm test` on a fresh machine still passes.
 */
export const browserSuitesRun = (label: string): boolean => {
  if (existsSync(chromiumPath()) || process.env['CI'] === 'true') return true
  console.log(`${label} skipped: no Chromium at ${chromiumPath()} (apt-get install -y --no-install-recommends chromium, or set CHROMIUM_PATH); CI installs it and runs them`)
  return false
}

/**
 * `p`, or a rejection naming `what` when it has not settled within `ms`: a browser step that would
 * wait forever (a page without its virtual authenticator) fails the test instead.
 */
export const withTimeout = <A>(what: string, p: Promise<A>, ms: number): Promise<A> =>
  new Promise<A>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms)
    p.then(
      (a) => {
        clearTimeout(timer)
        resolve(a)
      },
      (e: unknown) => {
        clearTimeout(timer)
        reject(e instanceof Error ? e : new Error(String(e)))
      },
    )
  })
