import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'

/** The demo org committed with the package (`seeds/demo.json`). */
export const DEMO_SEED_PATH = fileURLToPath(new URL('../seeds/demo.json', import.meta.url))

const UNIT_MS: Readonly<Record<string, number>> = { d: 86_400_000, h: 3_600_000, m: 60_000 }
const RELATIVE = /^now(?:([+-])(\d{1,6})([dhm]))?$/

/**
 * A `passwordChanged` of `now`, `now-85d`, `now-12h` or `now+5m`, resolved against `now` into an
 * ISO date, so that a committed seed keeps a user inside the password warn window forever. Pure;
 * other values are left for the seed decoder to judge.
 */
export const resolveRelativeDate = (value: string, now: number): string => {
  const m = RELATIVE.exec(value.trim())
  if (m === null) return value
  const offset = m[1] === undefined ? 0 : (m[1] === '-' ? -1 : 1) * Number(m[2]) * (UNIT_MS[m[3] ?? 'd'] ?? 0)
  return new Date(now + offset).toISOString()
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Pure: the seed with every user's relative `passwordChanged` resolved. Anything else is unchanged. */
export const resolveRelativeDates = (raw: unknown, now: number): unknown => {
  if (!isRecord(raw) || !Array.isArray(raw['users'])) return raw
  return {
    ...raw,
    users: raw['users'].map((u: unknown) =>
      isRecord(u) && typeof u['passwordChanged'] === 'string' ? { ...u, passwordChanged: resolveRelativeDate(u['passwordChanged'], now) } : u,
    ),
  }
}

export class SeedFileError extends Error {
  override readonly name = 'SeedFileError'
}

/** Reads and parses a seed file (JSON). The org itself is checked when it is loaded. */
export const readSeedFile = async (path: string): Promise<unknown> => {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (e) {
    throw new SeedFileError(`cannot read seed file ${path}: ${e instanceof Error ? e.message : String(e)}`)
  }
  try {
    return JSON.parse(text) as unknown
  } catch (e) {
    throw new SeedFileError(`seed file ${path} is not JSON: ${e instanceof Error ? e.message : String(e)}`)
  }
}
