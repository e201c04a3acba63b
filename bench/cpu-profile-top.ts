/**
 * The top self-time functions (and files) of a V8 `.cpuprofile`, as written by `node --cpu-prof`:
 *   npx tsx bench/cpu-profile-top.ts /tmp/authn-prof/<file>.cpuprofile [count]
 * Shares are of busy time: every sample except `(idle)`. Self time comes from the sample time
 * deltas, summed per function, so inlined or recompiled copies add up; inclusive time per source
 * file counts a sample once when the file is anywhere on its stack.
 *
 * tsx runs TypeScript as whitespace-minified JavaScript (one line per file), so a profile of it
 * points at columns of line 1. Positions in our own `.ts` files are mapped back to source lines
 * through the source maps tsx keeps in its cache (`$TMPDIR/tsx-<uid>`), taking the newest cached
 * transform not younger than the profile; `?` marks a position that could not be mapped.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

interface ProfileNode {
  readonly id: number
  readonly children?: ReadonlyArray<number>
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number; readonly columnNumber: number }
}
interface Profile {
  readonly nodes: ReadonlyArray<ProfileNode>
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}
interface CachedTransform {
  readonly map?: { readonly mappings?: string; readonly sources?: ReadonlyArray<string> }
}

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'

/** Source map v3 `mappings`: per generated line, the segments [generated column, source line] (0-based). */
const decodeMappings = (mappings: string): ReadonlyArray<ReadonlyArray<readonly [number, number]>> => {
  const lines: Array<Array<readonly [number, number]>> = []
  let sourceLine = 0
  for (const line of mappings.split(';')) {
    const segments: Array<readonly [number, number]> = []
    let column = 0
    for (const segment of line.split(',')) {
      if (segment === '') continue
      const fields: number[] = []
      let value = 0
      let shift = 0
      for (const ch of segment) {
        const digit = B64.indexOf(ch)
        value += (digit & 31) << shift
        if (digit & 32) shift += 5
        else {
          fields.push(value & 1 ? -(value >>> 1) : value >>> 1)
          value = 0
          shift = 0
        }
      }
      column += fields[0] ?? 0
      if (fields.length >= 4) {
        sourceLine += fields[2] ?? 0
        segments.push([column, sourceLine])
      }
    }
    lines.push(segments)
  }
  return lines
}

/** For each source path, the decoded map of its newest tsx transform written no later than `notAfterMs`. */
const tsxSourceMaps = (notAfterMs: number) => {
  const dir = join(tmpdir(), `tsx-${process.getuid?.() ?? 0}`)
  const newest = new Map<string, { readonly mtime: number; readonly mappings: string }>()
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return new Map<string, ReadonlyArray<ReadonlyArray<readonly [number, number]>>>()
  }
  for (const name of names) {
    const file = join(dir, name)
    try {
      const mtime = statSync(file).mtimeMs
      if (mtime > notAfterMs) continue
      const cached = JSON.parse(readFileSync(file, 'utf8')) as CachedTransform
      const source = cached.map?.sources?.[0]
      const mappings = cached.map?.mappings
      if (source === undefined || mappings === undefined) continue
      const seen = newest.get(source)
      if (seen === undefined || seen.mtime < mtime) newest.set(source, { mtime, mappings })
    } catch {
      // Not a cached transform: skipped.
    }
  }
  return new Map([...newest.entries()].map(([source, { mappings }]) => [source, decodeMappings(mappings)]))
}

const main = () => {
  const [file, countArg] = process.argv.slice(2)
  if (file === undefined) {
    console.error('usage: tsx bench/cpu-profile-top.ts FILE.cpuprofile [count]')
    process.exitCode = 2
    return
  }
  const count = Number(countArg ?? 10)
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
  const maps = tsxSourceMaps(statSync(file).mtimeMs)

  /** A readable location: repo-relative `.ts` line (mapped), or the package of a dependency. */
  const where = (url: string, line: number, column: number): string => {
    if (url === '') return ''
    const path = url.startsWith('file://') ? fileURLToPath(url) : url
    if (!path.startsWith('/')) return `${path}:${line + 1}`
    const shown = relative(ROOT, path).replace(/^node_modules\/\.pnpm\/[^/]+\/node_modules\//, '~')
    if (!path.endsWith('.ts')) return `${shown}:${line + 1}`
    const segments = maps.get(path)?.[line]
    if (segments === undefined) return `${shown}:?`
    let mapped: number | null = null
    for (const [c, l] of segments) if (c <= column) mapped = l
    return `${shown}:${mapped === null ? '?' : mapped + 1}`
  }

  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const selfUs = new Map<string, number>()
  const fileUs = new Map<string, number>()
  /** Time of the samples whose stack passes through one of our own source files (each file once per sample). */
  const inclusiveUs = new Map<string, number>()
  /** The same per function of our own source files. */
  const inclusiveFnUs = new Map<string, number>()
  const keyOf = (cf: ProfileNode['callFrame']) => `${cf.functionName === '' ? '(anonymous)' : cf.functionName}  ${where(cf.url, cf.lineNumber, cf.columnNumber)}`
  let busy = 0
  let idle = 0
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0
    const node = byId.get(id)
    if (node === undefined) return
    const { functionName, url } = node.callFrame
    if (functionName === '(idle)') {
      idle += dt
      return
    }
    busy += dt
    const key = keyOf(node.callFrame)
    selfUs.set(key, (selfUs.get(key) ?? 0) + dt)
    const f = url === '' ? functionName : where(url, 0, 0).replace(/:[\d?]+$/, '')
    fileUs.set(f, (fileUs.get(f) ?? 0) + dt)
    const files = new Set<string>()
    const fns = new Set<string>()
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const cf = byId.get(at)?.callFrame
      if (cf === undefined || !cf.url.startsWith('file://') || !cf.url.endsWith('.ts') || cf.url.includes('/node_modules/')) continue
      files.add(relative(ROOT, fileURLToPath(cf.url)))
      fns.add(keyOf(cf))
    }
    for (const name of files) inclusiveUs.set(name, (inclusiveUs.get(name) ?? 0) + dt)
    for (const name of fns) inclusiveFnUs.set(name, (inclusiveFnUs.get(name) ?? 0) + dt)
  })
  const pct = (us: number) => `${((100 * us) / busy).toFixed(1).padStart(5)} %`
  const ms = (us: number) => `${(us / 1000).toFixed(0).padStart(7)} ms`
  console.log(`${file}\nbusy ${ms(busy).trim()}, idle ${ms(idle).trim()} (${profile.samples.length} samples)\n\ntop ${count} functions by self time (share of busy time):`)
  const top = [...selfUs.entries()].sort((a, b) => b[1] - a[1]).slice(0, count)
  top.forEach(([k, us], i) => console.log(`${String(i + 1).padStart(3)}. ${pct(us)} ${ms(us)}  ${k}`))
  console.log(`\ntop ${count} files by self time:`)
  for (const [k, us] of [...fileUs.entries()].sort((a, b) => b[1] - a[1]).slice(0, count)) console.log(`     ${pct(us)} ${ms(us)}  ${k}`)
  console.log(`\ntop ${count} of our source files by inclusive time (on the stack):`)
  for (const [k, us] of [...inclusiveUs.entries()].sort((a, b) => b[1] - a[1]).slice(0, count)) console.log(`     ${pct(us)} ${ms(us)}  ${k}`)
  console.log(`\ntop ${2 * count} functions of our source files by inclusive time:`)
  for (const [k, us] of [...inclusiveFnUs.entries()].sort((a, b) => b[1] - a[1]).slice(0, 2 * count)) console.log(`     ${pct(us)} ${ms(us)}  ${k}`)
}

main()
