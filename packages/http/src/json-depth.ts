/** Deepest nesting of objects and arrays a request body may have (`{"a":{}}` is depth 2). */
export const DEFAULT_MAX_JSON_DEPTH = 32

/**
 * The nesting depth of JSON text, counted in one pass without recursion and stopping as soon as it
 * passes `limit` (so the answer is at most `limit + 1`). Brackets inside strings do not count. The
 * text need not be valid JSON: this only bounds what `JSON.parse` and everything after it (which
 * do recurse) will be given.
 */
export const jsonDepth = (text: string, limit: number): number => {
  let depth = 0
  let deepest = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++ // backslash: skip the escaped character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x7b || c === 0x5b) {
      depth++
      if (depth > deepest) {
        deepest = depth
        if (deepest > limit) return deepest
      }
    } else if ((c === 0x7d || c === 0x5d) && depth > 0) depth--
  }
  return deepest
}
