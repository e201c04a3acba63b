/**
 * The form in which answers are hashed and compared: Unicode NFKC, lower case, runs of white
 * space collapsed to one space, trimmed. So `  Brussels\u00a0SPROUTS ` and `brussels sprouts` match.
 */
export const normaliseAnswer = (s: string): string => s.normalize('NFKC').toLowerCase().replace(/\s+/gu, ' ').trim()

/** Okta's default minimum answer length, counted in characters (code points) after normalisation. */
export const MIN_ANSWER_LENGTH = 4

/** Okta's cause texts, verbatim. */
export const ANSWER_TOO_SHORT = `The security question answer must be at least ${MIN_ANSWER_LENGTH} characters in length`
export const ANSWER_PART_OF_QUESTION = 'The security question answer is too weak, answer must not be part of the question'
/** Not an Okta text (Okta's is not published). */
export const UNKNOWN_QUESTION = 'profile.question: The security question is not one of the supported questions.'

/** Okta's causes for an answer to `questionText` (normalised comparison): too short, or contained in the question. */
export const answerProblems = (answer: string, questionText: string | null): ReadonlyArray<string> => {
  const a = normaliseAnswer(answer)
  if ([...a].length < MIN_ANSWER_LENGTH) return [ANSWER_TOO_SHORT]
  if (questionText !== null && normaliseAnswer(questionText).includes(a)) return [ANSWER_PART_OF_QUESTION]
  return []
}
