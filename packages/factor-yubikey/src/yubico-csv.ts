import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { YubikeyKey } from './key.js'
import { keySourceOf, type YubikeyKeySource } from './key-source.js'
import { decodeErrorMessages } from './messages.js'

/** A field without the double quotes a spreadsheet may have put around it. */
const unquote = (field: string): string => {
  const f = field.trim()
  return f.length >= 2 && f.startsWith('"') && f.endsWith('"') ? f.slice(1, -1).replace(/""/g, '"').trim() : f
}

/** A line without its comment (from `#` on) and surrounding blanks. */
const content = (line: string): string => {
  const hash = line.indexOf('#')
  return (hash === -1 ? line : line.slice(0, hash)).trim()
}

/** Whether a line carries no key: blank, a comment, or the tool's `LOGGING START,<date>` line. */
const isSkipped = (line: string): boolean => line === '' || /^"?logging start"?\s*(,|$)/i.test(line)

/**
 * One row of the Yubico format: `serial,publicId,privateId,aesKey` and optional further fields
 * (access code, creation and access times, programming flags), which are ignored. A `#` starts
 * a comment.
 */
export const parseYubicoCsvRow = (row: string): E.Either<ReadonlyArray<string>, YubikeyKey> => {
  const fields = content(row).split(',').map(unquote)
  const [serial, publicId, privateId, aesKey] = fields
  if (fields.length < 4 || serial === undefined || publicId === undefined || privateId === undefined || aesKey === undefined)
    return E.left([`expected at least 4 comma-separated fields (serial, public id, private id, AES key), got ${fields.length}`])
  if (!/^[0-9]{1,12}$/.test(serial)) return E.left([`serial: expected a decimal serial number of 1 to 12 digits, got "${serial.slice(0, 20)}" (is this the Traditional format? Log in Yubico format)`])
  return pipe(YubikeyKey.decode({ serial: Number(serial), publicId, privateId, aesKey }), E.mapLeft(decodeErrorMessages))
}

/**
 * The keys of a YubiKey Personalization Tool log in **Yubico format** (the CSV an admin uploads
 * to Okta): one key a line, `serial,publicId,privateId,aesKey[,accessCode,created,accessed,flags]`.
 * CRLF and LF line ends; blank lines, `#` comments and `LOGGING START` lines are skipped. Every
 * problem is reported with its line number (`line 3: privateId: …`); two rows with one public id
 * are a problem too.
 */
export const parseYubicoCsv = (text: string): E.Either<ReadonlyArray<string>, ReadonlyArray<YubikeyKey>> => {
  const keys: YubikeyKey[] = []
  const problems: string[] = []
  const seen = new Map<string, number>()
  text.split(/\r?\n/).forEach((line, i) => {
    const n = i + 1
    if (isSkipped(content(line))) return
    const parsed = parseYubicoCsvRow(line)
    if (parsed._tag === 'Left') {
      problems.push(...parsed.left.map((p) => `line ${n}: ${p}`))
      return
    }
    const first = seen.get(parsed.right.publicId)
    if (first !== undefined) {
      problems.push(`line ${n}: publicId: ${parsed.right.publicId} is already on line ${first}`)
      return
    }
    seen.set(parsed.right.publicId, n)
    keys.push(parsed.right)
  })
  return problems.length > 0 ? E.left(problems) : E.right(keys)
}

/** A key source over the keys of a Yubico-format CSV (see `parseYubicoCsv`), or its problems. */
export const keySourceFromYubicoCsv = (text: string): E.Either<ReadonlyArray<string>, YubikeyKeySource> => pipe(parseYubicoCsv(text), E.map(keySourceOf))
