import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import * as t from 'io-ts'
import { describeDecodeErrors, failure, type AuthnFailure, type Enrollment, type EnrollRequest, type VerifyingFactor, type FactorContext, type HasherError } from '@authn-machine/core'
import { UNKNOWN_QUESTION, answerProblems, normaliseAnswer } from './answers.js'
import { QUESTIONS, QuestionKey, isQuestionKey, questionText } from './questions.js'

/** The stored profile: the catalogue key (the text is looked up when rendered). */
export const QuestionProfile = t.exact(t.type({ question: QuestionKey }), 'QuestionProfile')
export type QuestionProfile = t.TypeOf<typeof QuestionProfile>

/** The stored secret: the hash (PHC string) of the normalised answer. */
export const AnswerHash = t.refinement(t.string, (s) => s.length > 0, 'AnswerHash')
export type AnswerHash = t.TypeOf<typeof AnswerHash>

/** A verification body: `answer`, a string. */
export const QuestionAnswer = t.exact(t.type({ answer: t.string }), 'answerRequest')
export type QuestionAnswer = t.TypeOf<typeof QuestionAnswer>

const EnrollProfile = t.type({ question: t.string, answer: t.string })
const EnrollBody = t.type({ profile: EnrollProfile })

/**
 * An enroll request: `profile.question` and `profile.answer`, both strings (shape only: `enroll`
 * checks the catalogue and the answer, with Okta's causes).
 */
export const QuestionEnrollRequest = new t.Type<EnrollRequest, unknown, unknown>(
  'factorEnrollRequest',
  (u): u is EnrollRequest => EnrollBody.is(u),
  (u, c) =>
    pipe(
      EnrollBody.validate(u, c),
      E.map((b): EnrollRequest => ({ profile: { question: b.profile.question, answer: b.profile.answer } })),
    ),
  (a) => a,
)

const invalid = (causes: ReadonlyArray<string>): AuthnFailure => failure('E0000001', causes, 'factorEnrollRequest')
const hashFailed = (): AuthnFailure => failure('E0000009', ['Answer hashing failed.'])

/** A Hasher call as a TaskEither that cannot throw or reject, whatever the implementation does. */
const safely = <A>(te: () => TE.TaskEither<HasherError, A>): TE.TaskEither<AuthnFailure, A> =>
  pipe(
    TE.tryCatch(() => te()(), hashFailed),
    TE.chainEitherK(E.mapLeft(hashFailed)),
  )

/** An enrollment from `profile` (`{ question, answer }`): the question must be Okta's, the answer acceptable; it is hashed. */
const enrollWith = (profile: Readonly<Record<string, unknown>>, ctx: FactorContext): TE.TaskEither<AuthnFailure, Enrollment<QuestionProfile, AnswerHash>> => {
  const decoded = EnrollProfile.decode(profile)
  if (E.isLeft(decoded)) return TE.left(invalid(describeDecodeErrors(decoded.left).map((c) => `profile.${c}`)))
  const { question, answer } = decoded.right
  const known = isQuestionKey(question)
  const causes = [...(known ? [] : [UNKNOWN_QUESTION]), ...answerProblems(answer, known ? questionText(question) : null)]
  if (!known || causes.length > 0) return TE.left(invalid(causes))
  return pipe(
    safely(() => ctx.hasher.hash(normaliseAnswer(answer))),
    TE.map((hash) => ({ profile: { question }, secret: hash, activation: 'none' as const })),
  )
}

/**
 * The security question (`question`, provider `OKTA`, ids `ufs…`): enrolled with a catalogue key
 * and an answer of at least 4 characters that is not part of the question; ACTIVE at once. The
 * answer is normalised (`normaliseAnswer`) and hashed with `ctx.hasher`; `verify` checks a
 * normalised answer with `hasher.verify` (no counter: a question has no one-time positions).
 */
export function createQuestionFactor(): VerifyingFactor<QuestionProfile, AnswerHash, QuestionAnswer> {
  return {
    factorType: 'question',
    provider: 'OKTA',
    idPrefix: 'ufs',
    profileCodec: QuestionProfile,
    secretCodec: AnswerHash,
    enrollRequestCodec: QuestionEnrollRequest,
    answerCodec: QuestionAnswer,
    enroll: (request, _subject, ctx) => enrollWith(request.profile, ctx),
    // A seed gives the question in the profile and the answer in clear: the same rules as an enrollment.
    seed: (seeded, _subject, ctx) => enrollWith({ ...seeded.profile, answer: seeded.answer }, ctx),
    verify: (secret, answer, _lastCounter, ctx) =>
      pipe(
        safely(() => ctx.hasher.verify(secret, normaliseAnswer(answer.answer))),
        TE.map((ok) => (ok ? { _tag: 'Accepted' as const, counter: null } : { _tag: 'Rejected' as const })),
      ),
    profileView: (profile) => ({ question: profile.question, questionText: questionText(profile.question) }),
    activationView: () => null,
    catalogue: QUESTIONS,
  }
}
