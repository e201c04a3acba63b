/**
 * `pnpm bench`: every benchmark module, each printing its figures and ratios against a baseline
 * measured in the same run. Select modules by name: `pnpm bench core engine`.
 */
import type { BenchLine } from './types.js'

const MODULES: Record<string, () => Promise<{ run: () => Promise<ReadonlyArray<BenchLine>> }>> = {
  core: () => import('./core.js'),
  engine: () => import('./engine.js'),
  http: () => import('./http.js'),
  'http-mfa': () => import('./http-mfa.js'),
  postgres: () => import('./postgres.js'),
  'rate-limits': () => import('./rate-limits.js'),
  'signin-postgres': () => import('./signin-postgres.js'),
}

const format = (l: BenchLine) => {
  const v = l.unit === 'ratio' ? l.value.toFixed(3) : l.value >= 100 ? Math.round(l.value).toLocaleString('en-US') : l.value.toFixed(2)
  return `  ${l.name.padEnd(68)} ${v.padStart(12)} ${l.unit}${l.note === undefined ? '' : `   (${l.note})`}`
}

const wanted = process.argv.slice(2)
const names = wanted.length === 0 ? Object.keys(MODULES) : wanted
console.log(`node ${process.version}, ${new Date().toISOString()}`)
for (const name of names) {
  const load = MODULES[name]
  if (load === undefined) {
    console.error(`unknown benchmark ${name}; known: ${Object.keys(MODULES).join(', ')}`)
    process.exitCode = 2
    continue
  }
  let mod: { run: () => Promise<ReadonlyArray<BenchLine>> }
  try {
    mod = await load()
  } catch (e) {
    console.log(`\n${name}: not available (${e instanceof Error ? e.message : String(e)})`)
    continue
  }
  console.log(`\n${name}:`)
  for (const line of await mod.run()) console.log(format(line))
}
