export { createQuestionFactor, AnswerHash, QuestionAnswer, QuestionEnrollRequest, QuestionProfile } from './question-factor.js'
export { QUESTIONS, QuestionKey, isQuestionKey, questionText } from './questions.js'
export { normaliseAnswer, answerProblems, MIN_ANSWER_LENGTH, ANSWER_TOO_SHORT, ANSWER_PART_OF_QUESTION, UNKNOWN_QUESTION } from './answers.js'
