import { createHash } from 'node:crypto'

/** Number matching (spec §4.10): the number the sign-in page shows, and the three the device offers. */
export interface NumberChallenge {
  readonly correctAnswer: number
  /** Three distinct numbers from 10 to 99, the correct one among them at a position the nonce picks. */
  readonly choices: readonly [number, number, number]
}

/**
 * The numbers of the verification `nonce` names, derived from it (SHA-256): every poll shows the same
 * number and the device's answer is checked against it, with nothing more kept in the transaction.
 * The nonce is never shown to the client or the device, so neither can derive the number from it.
 */
export const numberChallengeOf = (nonce: string): NumberChallenge => {
  const bytes = createHash('sha256').update(`push number challenge ${nonce}`).digest()
  const picked: number[] = []
  for (let i = 0; picked.length < 3; i += 2) {
    // 32 bytes give 16 draws; three distinct numbers out of 90 need at most a few.
    const n = 10 + (((bytes[i % 32] ?? 0) * 256 + (bytes[(i + 1) % 32] ?? 0) + Math.floor(i / 32)) % 90)
    if (!picked.includes(n)) picked.push(n)
  }
  const [a, b, c] = picked as [number, number, number]
  const correctAnswer = a
  const at = (bytes[31] ?? 0) % 3
  const choices: [number, number, number] = at === 0 ? [a, b, c] : at === 1 ? [b, a, c] : [b, c, a]
  return { correctAnswer, choices }
}
