import { describe, expect, it } from 'vitest'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { describeFactor, expectLeft, expectRight, run } from '@authn-machine/testkit'
import { createSeededRandom, createTrivialHasher } from '@authn-machine/testkit/fixtures'
import type { FactorContext, Hasher } from '@authn-machine/core'
import {
  ANSWER_PART_OF_QUESTION,
  ANSWER_TOO_SHORT,
  QUESTIONS,
  UNKNOWN_QUESTION,
  createQuestionFactor,
  normaliseAnswer,
  questionText,
  type AnswerHash,
} from '../src/index.js'

const ANSWER = 'Brussels sprouts'
const ENROLL = { profile: { question: 'disliked_food', answer: ANSWER } }

describeFactor('question', {
  factor: createQuestionFactor(),
  enrollRequest: ENROLL,
  validAnswer: () => ({ answer: '  BRUSSELS\u00a0\tsprouts ' }),
  invalidAnswers: () => [{ answer: 'brussels sprout' }, { answer: 'brussels-sprouts' }, { answer: 'sprouts brussels' }, { answer: '' }, { answer: 'Brussels sprouts!' }],
  malformedEnrollRequests: [
    { profile: { question: 'not_a_question', answer: 'long enough answer' } },
    { profile: { question: 'disliked_food', answer: 'abc' } },
    { profile: { question: 'disliked_food', answer: '   a   b  ' } },
    { profile: { question: 'disliked_food' } },
    { profile: { answer: 'long enough answer' } },
    { profile: { question: 42, answer: 'long enough answer' } },
    { profile: { question: 'favorite_movie_quote', answer: 'Movie  QUOTE' } },
    {},
  ],
})

const hasher = createTrivialHasher()
const ctx: FactorContext = { random: createSeededRandom('question'), hasher, now: Date.UTC(2026, 0, 1) }
const subject = { login: 'dade@example.com', email: 'dade@example.com' }
const f = createQuestionFactor()
const enroll = async (profile: unknown) => run(f.enroll(expectRight(f.enrollRequestCodec.decode({ profile })), subject, ctx))

describe('catalogue', () => {
  it('has the 20 built-in keys of §7.2, each once, with a question text', () => {
    expect(QUESTIONS.map((q) => q.question)).toEqual([
      'disliked_food',
      'name_of_first_plush_toy',
      'first_award',
      'favorite_security_question',
      'favorite_toy',
      'first_computer_game',
      'favorite_movie_quote',
      'first_sports_team_mascot',
      'first_music_purchase',
      'favorite_art_piece',
      'grandmother_favorite_desert',
      'first_thing_cooked',
      'childhood_dream_job',
      'first_kiss_location',
      'place_where_significant_other_was_met',
      'favorite_vacation_location',
      'new_years_two_thousand',
      'favorite_speaker_actor',
      'favorite_book_movie_character',
      'favorite_sports_player',
    ])
    for (const q of QUESTIONS) expect(q.questionText).toMatch(/^(What|Where|Who) .+\?$/)
    expect(QUESTIONS.every((q) => Object.keys(q).sort().join() === 'question,questionText')).toBe(true)
  })
  it('is JSON-serialisable in the shape of GET /api/v1/users/{id}/factors/questions', () => {
    const json = JSON.parse(JSON.stringify(QUESTIONS)) as unknown
    expect(json).toContainEqual({ question: 'disliked_food', questionText: 'What is the food you least liked as a child?' })
    expect(json).toHaveLength(20)
  })
})

describe('enrollment', () => {
  it('stores the key and the hash of the normalised answer; ACTIVE at once (no activation)', async () => {
    const e = expectRight(await enroll({ question: 'disliked_food', answer: ANSWER }))
    expect(e.profile).toEqual({ question: 'disliked_food' })
    expect(e.activation).toBe('none')
    expect(expectRight(await run(hasher.verify(e.secret, 'brussels sprouts')))).toBe(true)
    expect(e.secret).not.toContain('russels')
    expect(f.activationView(e.profile, e.secret, { qrcode: 'https://x.example/qr' })).toBeNull()
  })
  it('refuses with Okta causes: too short (after normalisation), part of the question, unknown key', async () => {
    expect(expectLeft(await enroll({ question: 'disliked_food', answer: ' a  b ' }))).toEqual({
      code: 'E0000001',
      argument: 'factorEnrollRequest',
      causes: [ANSWER_TOO_SHORT],
    })
    expect(expectLeft(await enroll({ question: 'favorite_sports_player', answer: 'SPORTS player' })).causes).toEqual([ANSWER_PART_OF_QUESTION])
    expect(expectLeft(await enroll({ question: 'favorite_sports_player', answer: 'who is' })).causes).toEqual([ANSWER_PART_OF_QUESTION])
    expect(expectLeft(await enroll({ question: 'nope', answer: 'abc' })).causes).toEqual([UNKNOWN_QUESTION, ANSWER_TOO_SHORT])
    expect(ANSWER_TOO_SHORT).toBe('The security question answer must be at least 4 characters in length')
  })
  it('accepts exactly 4 characters, counted as code points', async () => {
    expect((await enroll({ question: 'first_award', answer: 'abcd' }))._tag).toBe('Right')
    expect((await enroll({ question: 'first_award', answer: '😀😀😀😀' }))._tag).toBe('Right')
    expect((await enroll({ question: 'first_award', answer: '😀😀😀' }))._tag).toBe('Left')
  })
  it('the request codec refuses a missing or non-string question or answer (causes name the field)', () => {
    const refused = f.enrollRequestCodec.decode({ profile: { question: 'disliked_food' } })
    expect(refused._tag).toBe('Left')
  })
  it('a hasher failure or throw is an E0000009 failure, never a throw', async () => {
    const failing: Hasher = { hash: () => TE.left({ _tag: 'HasherFailed', cause: 'x' }), verify: () => TE.left({ _tag: 'HasherFailed', cause: 'x' }) }
    const throwing: Hasher = {
      hash: () => () => Promise.reject(new Error('boom')),
      verify: () => {
        throw new Error('boom')
      },
    }
    for (const h of [failing, throwing]) {
      const c = { ...ctx, hasher: h }
      expect(expectLeft(await run(f.enroll(ENROLL, subject, c))).code).toBe('E0000009')
      expect(expectLeft(await run(f.verify('$x' as AnswerHash, { answer: ANSWER }, null, c))).code).toBe('E0000009')
    }
  })
})

describe('verification', () => {
  it('answers are compared after NFKC, case folding and white-space collapsing; no counter', async () => {
    const e = expectRight(await enroll({ question: 'first_thing_cooked', answer: 'Ｓｃｒａｍｂｌｅｄ   Eggs' }))
    for (const answer of ['scrambled eggs', ' SCRAMBLED EGGS ', 'Scrambled\n\teggs']) {
      expect(expectRight(await run(f.verify(e.secret, { answer }, null, ctx)))).toEqual({ _tag: 'Accepted', counter: null })
    }
    expect(expectRight(await run(f.verify(e.secret, { answer: 'scrambledeggs' }, null, ctx)))).toEqual({ _tag: 'Rejected' })
  })
  it('normaliseAnswer', () => {
    expect(normaliseAnswer('  Ａ\u00a0B\u3000c  ')).toBe('a b c')
    expect(normaliseAnswer('ﬁsh')).toBe('fish')
  })
})

describe('profile view', () => {
  it('is { question, questionText } and never the answer', async () => {
    const e = expectRight(await enroll({ question: 'disliked_food', answer: ANSWER }))
    const view = f.profileView(e.profile)
    expect(view).toEqual({ question: 'disliked_food', questionText: questionText('disliked_food') })
    expect(JSON.stringify(view).toLowerCase()).not.toContain('sprouts')
  })
})
