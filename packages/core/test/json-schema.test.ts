import { fc, test } from '@fast-check/vitest'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import * as t from 'io-ts'
import { describe, expect, it } from 'vitest'
import {
  annotate,
  describeDecodeErrors,
  ErrorObject,
  failure,
  LifecycleObject,
  OPERATION_CODECS,
  OPERATIONS,
  renderError,
  renderRecovery,
  renderTransaction,
  toJsonSchema,
  TransactionObject,
  type JsonSchema,
  type MachineState,
  type RecoveryContext,
} from '../src/index.js'
import { T0, arbContext } from './arbitraries.js'

const ajv = new Ajv2020({ strict: true, allErrors: true })
addFormats.default(ajv)
/** A validator of `schema` (self-contained: no `$ref`). */
const validatorOf = (schema: JsonSchema) => ajv.compile(schema as object)

describe('toJsonSchema: each io-ts kind', () => {
  it('primitives, literals, keyof, arrays, records, null and unknown', () => {
    expect(toJsonSchema(t.string)).toEqual({ type: 'string' })
    expect(toJsonSchema(t.number)).toEqual({ type: 'number' })
    expect(toJsonSchema(t.boolean)).toEqual({ type: 'boolean' })
    expect(toJsonSchema(t.null)).toEqual({ type: 'null' })
    expect(toJsonSchema(t.unknown)).toEqual({})
    expect(toJsonSchema(t.Int)).toEqual({ type: 'integer' })
    expect(toJsonSchema(t.literal('ACTIVE'))).toEqual({ type: 'string', const: 'ACTIVE' })
    expect(toJsonSchema(t.literal(3))).toEqual({ type: 'number', const: 3 })
    expect(toJsonSchema(t.keyof({ a: null, b: null }))).toEqual({ type: 'string', enum: ['a', 'b'] })
    expect(toJsonSchema(t.array(t.string))).toEqual({ type: 'array', items: { type: 'string' } })
    expect(toJsonSchema(t.readonlyArray(t.number))).toEqual({ type: 'array', items: { type: 'number' } })
    expect(toJsonSchema(t.readonly(t.type({ a: t.string })))).toEqual({ type: 'object', properties: { a: { type: 'string' } }, required: ['a'] })
    expect(toJsonSchema(t.record(t.string, t.boolean))).toEqual({ type: 'object', additionalProperties: { type: 'boolean' } })
    expect(toJsonSchema(t.UnknownRecord)).toEqual({ type: 'object' })
    expect(toJsonSchema(t.UnknownArray)).toEqual({ type: 'array' })
  })

  it('objects: t.type members are required, t.partial ones and `X | undefined` ones are not; intersections flatten', () => {
    const codec = t.intersection([t.type({ a: t.string, b: t.union([t.number, t.undefined]) }), t.partial({ c: t.boolean })])
    expect(toJsonSchema(codec)).toEqual({
      type: 'object',
      properties: { a: { type: 'string' }, b: { type: 'number' }, c: { type: 'boolean' } },
      required: ['a'],
    })
  })

  it('an intersection whose parts share a member, or are not plain objects, stays an allOf', () => {
    expect(toJsonSchema(t.intersection([t.type({ a: t.string }), t.partial({ a: t.string })]))).toEqual({
      allOf: [
        { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] },
        { type: 'object', properties: { a: { type: 'string' } } },
      ],
    })
  })

  it('t.exact and t.strict close the object', () => {
    expect(toJsonSchema(t.exact(t.type({ a: t.string })))).toEqual({ type: 'object', properties: { a: { type: 'string' } }, required: ['a'], additionalProperties: false })
    expect(toJsonSchema(t.strict({ a: t.string }))).toMatchObject({ additionalProperties: false })
  })

  it('unions: one enum of string literals, else anyOf', () => {
    expect(toJsonSchema(t.union([t.literal('a'), t.keyof({ b: null, c: null })]))).toEqual({ type: 'string', enum: ['a', 'b', 'c'] })
    expect(toJsonSchema(t.union([t.boolean, t.keyof({ true: null, false: null })]))).toEqual({
      anyOf: [{ type: 'boolean' }, { type: 'string', enum: ['true', 'false'] }],
    })
  })

  it('an annotated refinement or brand is its base type plus the annotation; annotations of annotations merge', () => {
    const bounded = annotate(
      t.refinement(t.string, (s) => s.length <= 8, 'short'),
      { maxLength: 8 },
    )
    const nonEmpty = annotate(
      t.refinement(bounded, (s) => s.length > 0, 'nonEmpty'),
      { minLength: 1, description: 'text' },
    )
    expect(toJsonSchema(nonEmpty)).toEqual({ type: 'string', maxLength: 8, minLength: 1, description: 'text' })
    interface PositiveBrand {
      readonly Positive: unique symbol
    }
    const Positive = annotate(
      t.brand(t.number, (n): n is t.Branded<number, PositiveBrand> => n > 0, 'Positive'),
      { exclusiveMinimum: 0 } as JsonSchema,
    )
    expect(toJsonSchema(Positive)).toEqual({ type: 'number', exclusiveMinimum: 0 })
  })

  it('an annotated codec decodes, checks and encodes exactly as the codec it wraps, under its name', () => {
    const inner = t.refinement(t.string, (s) => s.startsWith('x'), 'startsWithX')
    const annotated = annotate(inner, { pattern: '^x' })
    expect(annotated.name).toBe('startsWithX')
    expect(annotated.is('xy')).toBe(true)
    expect(annotated.is('y')).toBe(false)
    expect(annotated.decode('xy')).toEqual(inner.decode('xy'))
    const causes = (r: t.Validation<unknown>) => (r._tag === 'Left' ? describeDecodeErrors(r.left) : [])
    expect(causes(t.type({ a: annotated }).decode({ a: 'y' }))).toEqual(['a: Expected startsWithX'])
    expect(causes(t.type({ a: annotated }).decode({}))).toEqual(causes(t.type({ a: inner }).decode({})))
  })

  it('references a codec that has a schema of its own, except at the root', () => {
    const Leaf = t.type({ x: t.string }, 'Leaf')
    const Tree = t.type({ leaf: Leaf, leaves: t.array(Leaf) }, 'Tree')
    const refOf = (c: t.Any) => (c === Leaf ? '#/$defs/Leaf' : undefined)
    expect(toJsonSchema(Tree, { refOf })).toEqual({
      type: 'object',
      properties: { leaf: { $ref: '#/$defs/Leaf' }, leaves: { type: 'array', items: { $ref: '#/$defs/Leaf' } } },
      required: ['leaf', 'leaves'],
    })
    expect(toJsonSchema(Leaf, { refOf })).toEqual({ type: 'object', properties: { x: { type: 'string' } }, required: ['x'] })
  })
})

describe('toJsonSchema: what it cannot say, it refuses at generation time', () => {
  interface Node {
    readonly next: Node | null
  }
  const cases: ReadonlyArray<readonly [string, t.Any, RegExp]> = [
    ['an unannotated refinement', t.refinement(t.string, (s) => s.length > 0, 'NonEmpty'), /NonEmpty.*RefinementType.*annotate/],
    ['an unannotated brand, deep inside', t.type({ a: t.partial({ id: t.brand(t.string, (s): s is t.Branded<string, { readonly Id: unique symbol }> => s !== '', 'Id') }) }), /\.a\.id \(Id, io-ts RefinementType\)/],
    ['a recursive type', t.recursion<Node>('Node', (self) => t.type({ next: t.union([self, t.null]) })), /RecursiveType/],
    ['a tuple', t.tuple([t.string, t.number]), /TupleType/],
    ['a record over literal keys', t.record(t.keyof({ a: null }), t.string), /record over keys/],
    ['t.any', t.any, /AnyType/],
    ['t.never', t.never as unknown as t.Any, /NeverType/],
    ['a hand-made t.Type', new t.Type<string>('Custom', (u): u is string => typeof u === 'string', (u, c) => (typeof u === 'string' ? t.success(u) : t.failure(u, c)), (a) => a), /Custom.*no _tag/],
    ['undefined outside an object member', t.undefined, /UndefinedType/],
  ]
  it.each(cases)('%s throws', (_, codec, message) => {
    expect(() => toJsonSchema(codec)).toThrow(message)
  })
})

/** A body made of the members the request codecs know, with values of every JSON kind, often close to the limits. */
const MEMBERS = [...new Set(Object.values(OPERATION_CODECS).flatMap((c) => Object.keys(toJsonSchema(c.request).properties ?? {})))]
const arbText = fc.oneof(
  fc.constantFrom('', 'a', 'x'.repeat(32), 'x'.repeat(33), 'x'.repeat(64), 'x'.repeat(65), 'x'.repeat(256), 'x'.repeat(257), 'true', 'false'),
  fc.string({ maxLength: 40 }),
)
const arbValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: arbText },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom('deviceToken', 'multiOptionalFactorEnroll', 'phoneNumber'), fc.oneof(arbText, fc.boolean())) },
  { weight: 1, arbitrary: fc.array(arbText, { maxLength: 2 }) },
)
const arbBody = fc.dictionary(fc.constantFrom(...MEMBERS, 'extra'), arbValue, { maxKeys: 6 })

describe('request codecs and their schemas agree', () => {
  const operations = OPERATIONS.map((o) => o.name)
  // Text here has no NUL and no character outside the Basic Multilingual Plane, the two rules
  // JSON Schema does not state (they are in the description): on the rest, codec and schema agree.
  test.prop([fc.constantFrom(...operations), arbBody], { numRuns: 2000 })('a body decodes exactly when it matches the schema', (name, body) => {
    const codec = OPERATION_CODECS[name].request
    const valid = validatorOf(toJsonSchema(codec))
    expect(valid(body), JSON.stringify(valid.errors)).toBe(codec.decode(body)._tag === 'Right')
  })

  test.prop([fc.constantFrom(...operations), fc.string({ unit: 'binary', maxLength: 300 })])('a string member the codec accepts, the schema accepts (any Unicode)', (name, s) => {
    const codec = OPERATION_CODECS[name].request
    const schema = toJsonSchema(codec)
    const valid = validatorOf(schema)
    for (const member of Object.keys(schema.properties ?? {})) {
      const body = Object.fromEntries((schema.required ?? []).map((k) => [k, 'x']))
      const withMember = { ...body, [member]: s }
      if (codec.decode(withMember)._tag === 'Right') expect(valid(withMember), `${member}: ${JSON.stringify(valid.errors)}`).toBe(true)
    }
  })
})

/** The response codecs, with every other component inlined: a self-contained schema per codec. */
const selfContained = (codec: t.Any) => validatorOf(toJsonSchema(codec))

describe('response codecs describe what the renderers produce', () => {
  const transaction = selfContained(TransactionObject)
  const RENDERED: ReadonlyArray<MachineState> = ['UNAUTHENTICATED', 'PASSWORD_WARN', 'PASSWORD_EXPIRED', 'PASSWORD_RESET', 'MFA_ENROLL', 'MFA_ENROLL_ACTIVATE', 'MFA_REQUIRED', 'MFA_CHALLENGE', 'LOCKED_OUT', 'SUCCESS']
  const arbSecrets = fc.record({ stateToken: fc.option(fc.constant('00stateToken')), sessionToken: fc.option(fc.constant('20111sessionToken')) })

  test.prop([fc.constantFrom(...RENDERED), arbContext, arbSecrets])('renderTransaction: decodes with TransactionObject and matches its schema', (state, c, secrets) => {
    const json = renderTransaction(state, c, secrets, 'https://login.example.test', T0)
    expect(TransactionObject.decode(json)._tag, JSON.stringify(json)).toBe('Right')
    expect(transaction(json), JSON.stringify(transaction.errors)).toBe(true)
  })

  test.prop([fc.constantFrom<MachineState>('RECOVERY', 'RECOVERY_CHALLENGE', 'PASSWORD_RESET', 'SUCCESS'), arbContext, fc.constantFrom('PASSWORD', 'UNLOCK'), fc.constantFrom('SMS', 'CALL', null)])(
    'renderRecovery: decodes with TransactionObject and matches its schema',
    (state, c, recoveryType, factorType) => {
      const context = { ...c, recoveryType, factorType, question: 'What is the food you least liked as a child?' } as unknown as RecoveryContext
      const json = renderRecovery(state, context, { stateToken: '00recoveryStateToken', sessionToken: null }, 'https://login.example.test', T0)
      expect(TransactionObject.decode(json)._tag, JSON.stringify(json)).toBe('Right')
      expect(transaction(json), JSON.stringify(transaction.errors)).toBe(true)
    },
  )

  it('renderError: every catalogued failure is an ErrorObject', () => {
    const error = selfContained(ErrorObject)
    for (const code of ['E0000001', 'E0000004', 'E0000047', 'E0000079'] as const) {
      const json = renderError(failure(code, ['a cause']), 'oaeErrorId')
      expect(ErrorObject.decode(json)._tag).toBe('Right')
      expect(error(json)).toBe(true)
    }
    expect(error({ ...renderError(failure('E0000004'), 'x'), extra: 1 })).toBe(false)
  })

  it('the lifecycle answer is `{}` or the user', () => {
    const lifecycle = selfContained(LifecycleObject)
    expect(lifecycle({})).toBe(true)
    expect(lifecycle({ id: '00u1', status: 'PASSWORD_EXPIRED', passwordChanged: null, profile: { login: 'a@example.com', firstName: 'A', lastName: 'B' } })).toBe(true)
    expect(lifecycle({ id: '00u1' })).toBe(false)
  })
})
