import type * as t from 'io-ts'

/** Readable decode errors: `field: what was expected`, each once. */
export const decodeErrorMessages = (errors: t.Errors): ReadonlyArray<string> => {
  const out = new Set<string>()
  for (const e of errors) {
    const path = e.context
      .map((c) => c.key)
      .filter((k) => k !== '')
      .join('.')
    const expected = e.message ?? `expected ${e.context[e.context.length - 1]?.type.name ?? 'a value'}`
    out.add(`${path === '' ? 'value' : path}: ${expected}`)
  }
  return [...out]
}
