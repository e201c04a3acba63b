import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'

/** The demo org committed with the package (`seeds/demo.json`). */
export const DEMO_SEED_PATH = fileURLToPath(new URL('../seeds/demo.json', import.meta.url))

/** The relative dates of a seed (`now-85d`): resolved by core, the one function the harness's model uses too. */
export { resolveRelativeDate, resolveRelativeDates } from '@authn-machine/core'

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
