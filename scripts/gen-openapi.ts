/**
 * Writes docs/openapi.json, the OpenAPI 3.1 document generated from the operation table and the
 * io-ts codecs (`openApiDocument` of @authn-machine/http). `pnpm run docs` runs it after the other
 * generators, and `pnpm docs:check` fails when the committed file differs from a fresh one.
 * The version is the http package's, the package that exports the generator.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { openApiDocument } from '@authn-machine/http'

const FILE = 'docs/openapi.json'
const version = (JSON.parse(readFileSync('packages/http/package.json', 'utf8')) as { readonly version: string }).version
const text = `${JSON.stringify(openApiDocument({ version }), null, 2)}\n`
const before = (() => {
  try {
    return readFileSync(FILE, 'utf8')
  } catch {
    return null
  }
})()
if (before !== text) writeFileSync(FILE, text)
console.log(`${FILE}: ${before === text ? 'unchanged' : 'written'}`)
