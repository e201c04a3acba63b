import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'

/** Fresh schema names on the server at `url`, each dropped by `dropAll` (a test file's teardown). */
export const freshSchemas = (url: string, prefix: string) => {
  const schemas: string[] = []
  return {
    next: (): string => {
      const schema = `${prefix}_${process.pid}_${Date.now().toString(36)}_${schemas.length}`
      schemas.push(schema)
      return schema
    },
    dropAll: async (): Promise<void> => {
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      for (const schema of schemas.splice(0)) await client.query(`drop schema if exists ${schema} cascade`)
      await client.end()
    },
  }
}

/** Fresh data folders for the embedded store, each removed by `removeAll`. */
export const freshDataDirs = (prefix: string) => {
  const dirs: string[] = []
  return {
    next: (): string => {
      const dir = mkdtempSync(join(tmpdir(), prefix))
      dirs.push(dir)
      return dir
    },
    removeAll: (): Promise<void> => {
      for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
      return Promise.resolve()
    },
  }
}
