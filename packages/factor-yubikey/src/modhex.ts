/**
 * Yubico's modhex alphabet: the hex digits 0 to f, written with sixteen letters that most keyboard
 * layouts put at the same place (`c` is 0, `v` is 15), so a YubiKey typing as a keyboard gives
 * the same characters everywhere.
 */
export const MODHEX_ALPHABET = 'cbdefghijklnrtuv'

const DIGIT: ReadonlyMap<string, number> = new Map(Array.from(MODHEX_ALPHABET, (c, i) => [c, i] as const))

/** Whether `s` is made of modhex characters only (lower case; the empty string is). */
export const isModhex = (s: string): boolean => /^[cbdefghijklnrtuv]*$/.test(s)

/** The bytes a modhex string encodes (two characters a byte), or null for an odd length or a character outside the alphabet. */
export const modhexToBytes = (s: string): Uint8Array | null => {
  if (s.length % 2 !== 0) return null
  const out = new Uint8Array(s.length / 2)
  for (let i = 0; i < out.length; i++) {
    const high = DIGIT.get(s.charAt(2 * i))
    const low = DIGIT.get(s.charAt(2 * i + 1))
    if (high === undefined || low === undefined) return null
    out[i] = high * 16 + low
  }
  return out
}

/** Modhex of `bytes`, the high half of each byte first. */
export const bytesToModhex = (bytes: Uint8Array): string =>
  Array.from(bytes, (b) => MODHEX_ALPHABET.charAt(b >> 4) + MODHEX_ALPHABET.charAt(b & 0x0f)).join('')
