// The packages as a user outside this repository gets them: built, packed to tarballs
// (`pnpm -r pack`), installed into a scratch app with no workspace, whose TypeScript checks against
// the packed declarations (libraries' too), which runs the README's embedding example, and whose
// installed commands work.
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { createProcesses } from './process.js'

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
const rootManifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { readonly packageManager: string }
const processes = createProcesses()
afterAll(() => processes.killAll())

/** Runs a command to completion; its exit code and output. */
const run = (command: string, args: ReadonlyArray<string>, cwd: string, env: Record<string, string> = {}) => {
  const r = spawnSync(command, args, { cwd, env: { ...process.env, COREPACK_ENABLE_DOWNLOAD_PROMPT: '0', ...env }, encoding: 'utf8', timeout: 240_000 })
  return { code: r.status, out: `${r.stdout}${r.stderr}` }
}

/** The catalog's version of a dependency (pnpm-workspace.yaml), as the repository pins it. */
const catalogVersion = (name: string): string => {
  const line = readFileSync(join(ROOT, 'pnpm-workspace.yaml'), 'utf8')
    .split('\n')
    .find((l) => l.trim().startsWith(`'${name}':`) || l.trim().startsWith(`"${name}":`) || l.trim().startsWith(`${name}:`))
  const version = line?.split(':').slice(1).join(':').trim().replace(/['"]/g, '')
  if (version === undefined || version === '') throw new Error(`${name} is not in the catalog`)
  return version
}

/** The README's "Embedding the engine" example, as a user would paste it. */
const readmeExample = (): string => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const section = readme.slice(readme.indexOf('## Embedding the engine'))
  const m = /```ts\n([\s\S]*?)```/.exec(section)
  if (m?.[1] === undefined) throw new Error('README: no ts block under "Embedding the engine"')
  return m[1]
}

describe('the packages outside the repository', () => {
  it('pack, install into a scratch app without warnings, typecheck against the packed types, run the README example and the commands', { timeout: 600_000 }, async () => {
    const build = run('pnpm', ['build'], ROOT)
    expect(build.code, build.out).toBe(0)
    const dir = mkdtempSync(join(tmpdir(), 'authn-packages-'))
    const packs = join(dir, 'packs')
    const packed = run('pnpm', ['-r', 'pack', '--pack-destination', packs], ROOT)
    expect(packed.code, packed.out).toBe(0)

    // Every package packs, with declarations, source maps and a README, and no build state.
    const tarballs = Object.fromEntries(
      readdirSync(packs).map((f) => {
        const m = /^authn-machine-(.+)-\d+\.\d+\.\d+\.tgz$/.exec(f)
        if (m?.[1] === undefined) throw new Error(`unexpected tarball ${f}`)
        return [`@authn-machine/${m[1]}`, join(packs, f)]
      }),
    )
    const workspace = readdirSync(join(ROOT, 'packages'))
    expect(Object.keys(tarballs).sort()).toEqual(workspace.map((p) => `@authn-machine/${p}`).sort())
    for (const [name, file] of Object.entries(tarballs)) {
      const listing = run('tar', ['tzf', file], dir).out.split('\n')
      expect(listing, name).toContain('package/dist/index.d.ts')
      expect(listing, name).toContain('package/dist/index.js.map')
      expect(listing, name).toContain('package/README.md')
      expect(listing.filter((l) => l.endsWith('.tsbuildinfo')), name).toEqual([])
    }

    // A scratch app that knows nothing of the workspace: the tarballs for every @authn-machine package.
    const app = join(dir, 'app')
    mkdirSync(app)
    const wanted = ['core', 'engine', 'adapter-memory', 'factor-totp', 'http', 'server', 'testkit'].map((p) => `@authn-machine/${p}`)
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({
        name: 'scratch-app',
        private: true,
        type: 'module',
        packageManager: rootManifest.packageManager,
        dependencies: Object.fromEntries(wanted.map((n) => [n, `file:${tarballs[n] ?? ''}`])),
        devDependencies: { '@types/node': catalogVersion('@types/node') },
        pnpm: { overrides: Object.fromEntries(Object.entries(tarballs).map(([n, f]) => [n, `file:${f}`])) },
      }),
    )
    const install = run('pnpm', ['install', '--prefer-offline'], app)
    expect(install.code, install.out).toBe(0)
    expect(install.out, 'no warnings on install').not.toMatch(/WARN/)

    // The README example, checked by TypeScript against the packed declarations, then run.
    writeFileSync(
      join(app, 'index.ts'),
      `${readmeExample()}\nif (reply.status !== 200) throw new Error(\`the README's sign-in failed: \${JSON.stringify(reply.body)}\`)\nconsole.log(JSON.stringify(reply.body))\n`,
    )
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, outDir: 'out', skipLibCheck: false, types: ['node'] },
        files: ['index.ts'],
      }),
    )
    const tsc = run(process.execPath, [TSC, '-p', '.'], app)
    expect(tsc.code, tsc.out).toBe(0)
    const example = run(process.execPath, ['out/index.js'], app)
    expect(example.code, example.out).toBe(0)
    expect(JSON.parse(example.out) as unknown).toMatchObject({ status: 'SUCCESS', sessionToken: expect.any(String) as unknown })

    // The installed commands.
    await expectServes(join(app, 'node_modules', '.bin', 'authn-machine-server'), [], app)
    const help = run(join(app, 'node_modules', '.bin', 'authn-conformance'), ['--help'], app)
    expect(help.code, help.out).toBe(0)
    expect(help.out).toContain('The reset contract')
  })

  it("the container recipe's steps: pnpm deploy of the server, then node dist/main.js from the deployed folder", { timeout: 300_000 }, async () => {
    const build = run('pnpm', ['build'], ROOT)
    expect(build.code, build.out).toBe(0)
    const out = join(mkdtempSync(join(tmpdir(), 'authn-deploy-')), 'app')
    const deploy = run('pnpm', ['--filter', '@authn-machine/server', 'deploy', '--legacy', '--prod', out], ROOT)
    expect(deploy.code, deploy.out).toBe(0)
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')
    expect(dockerfile).toContain('pnpm --filter @authn-machine/server deploy --legacy --prod /app')
    expect(dockerfile).toContain('ENTRYPOINT ["node", "dist/main.js"]')
    await expectServes(process.execPath, ['dist/main.js'], out)
  })
})

/** Starts a server command on a free port with the memory store, checks it serves, stops it with SIGTERM: exit 0. */
const expectServes = async (command: string, args: ReadonlyArray<string>, cwd: string): Promise<void> => {
  const server = processes.track(
    spawn(command, [...args, '--port', '0', '--store', 'memory'], { cwd, env: { ...process.env, DATABASE_URL: '' }, stdio: ['ignore', 'pipe', 'pipe'] }),
  )
  let out = ''
  server.stdout.setEncoding('utf8').on('data', (d: string) => (out += d))
  server.stderr.setEncoding('utf8').on('data', (d: string) => (out += d))
  const url = await new Promise<string>((resolve, reject) => {
    server.stdout.on('data', () => {
      const m = /listening on (http:\/\/[^\s,]+)/.exec(out)
      if (m?.[1] !== undefined) resolve(m[1])
    })
    server.once('exit', (code) => reject(new Error(`${command} exited (${code}) before listening:\n${out}`)))
  })
  expect((await fetch(`${url}/health`)).status).toBe(200)
  const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)))
  server.kill('SIGTERM')
  expect(await exited, out).toBe(0)
}
