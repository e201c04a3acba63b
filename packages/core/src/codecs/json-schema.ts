import * as t from 'io-ts'

/** The JSON types of JSON Schema's `type` keyword. */
export type JsonType = 'null' | 'boolean' | 'object' | 'array' | 'number' | 'integer' | 'string'

/**
 * A JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1), with the keywords this project
 * writes. Plain data: it serialises with `JSON.stringify` as it is.
 */
export interface JsonSchema {
  readonly $ref?: string
  readonly title?: string
  readonly description?: string
  readonly type?: JsonType | ReadonlyArray<JsonType>
  readonly const?: string | number | boolean
  readonly enum?: ReadonlyArray<string | number | boolean>
  readonly properties?: Readonly<Record<string, JsonSchema>>
  readonly required?: ReadonlyArray<string>
  readonly additionalProperties?: JsonSchema | boolean
  readonly unevaluatedProperties?: boolean
  readonly items?: JsonSchema
  readonly allOf?: ReadonlyArray<JsonSchema>
  readonly anyOf?: ReadonlyArray<JsonSchema>
  readonly minLength?: number
  readonly maxLength?: number
  readonly pattern?: string
  readonly format?: string
  readonly minimum?: number
  readonly maximum?: number
  readonly examples?: ReadonlyArray<unknown>
}

/**
 * A codec carrying the JSON Schema keywords of a constraint its runtime check makes (a
 * refinement's `maxLength`, a format) and text for readers (`description`). It decodes, checks
 * and encodes exactly as the codec it wraps, under the same name.
 */
export class AnnotatedType<C extends t.Any> extends t.Type<t.TypeOf<C>, t.OutputOf<C>, t.InputOf<C>> {
  readonly _tag = 'AnnotatedType' as const
  constructor(
    readonly type: C,
    readonly schema: JsonSchema,
  ) {
    super(
      type.name,
      (u): u is t.TypeOf<C> => type.is(u),
      (u, c) => type.validate(u, c),
      (a) => type.encode(a) as t.OutputOf<C>,
    )
  }
}

/**
 * `codec` with the JSON Schema keywords of what it checks (and a description). A refinement or
 * brand must be annotated to have a JSON Schema: its predicate is code, which no converter can read.
 */
export const annotate = <C extends t.Any>(codec: C, schema: JsonSchema): AnnotatedType<C> => new AnnotatedType(codec, schema)

export interface JsonSchemaOptions {
  /**
   * Where a codec has a schema of its own (e.g. `#/components/schemas/Transaction`): the codec is
   * then referenced there instead of inlined. Not asked for the root codec.
   */
  readonly refOf?: (codec: t.Any) => string | undefined
}

/** What a codec's runtime structure looks like, by io-ts kind (`_tag`), as far as the converter reads it. */
interface Tagged {
  readonly _tag?: unknown
  readonly name: string
}
interface WithType {
  readonly type: t.Any
}
interface WithTypes {
  readonly types: ReadonlyArray<t.Any>
}
interface WithProps {
  readonly props: Readonly<Record<string, t.Any>>
}

/** An object shape that intersections of `t.type`/`t.partial` flatten into. */
interface Shape {
  readonly properties: Record<string, JsonSchema>
  readonly required: Array<string>
}

const tagOf = (codec: t.Any): string => {
  const tag = (codec as unknown as Tagged)._tag
  return typeof tag === 'string' ? tag : '(no _tag)'
}

const fail = (path: string, codec: t.Any, why: string): never => {
  throw new Error(`toJsonSchema: ${path === '' ? 'the root codec' : path} (${codec.name}, io-ts ${tagOf(codec)}): ${why}`)
}

const typeOfLiteral = (v: unknown): JsonType => (typeof v === 'string' ? 'string' : typeof v === 'number' ? 'number' : 'boolean')

/** A member codec that may be absent: `t.union([X, t.undefined])` in a `t.type`; gives `X`. */
const withoutUndefined = (codec: t.Any): { readonly codec: t.Any; readonly optional: boolean } => {
  if (tagOf(codec) !== 'UnionType') return { codec, optional: false }
  const members = (codec as unknown as WithTypes).types
  const defined = members.filter((m) => tagOf(m) !== 'UndefinedType')
  if (defined.length === members.length) return { codec, optional: false }
  const only = defined[0]
  if (defined.length === 1 && only !== undefined) return { codec: only, optional: true }
  return { codec: t.union(defined as unknown as [t.Mixed, t.Mixed, ...t.Mixed[]], codec.name), optional: true }
}

/**
 * Converts an io-ts codec to the JSON Schema (2020-12) of the JSON values it accepts, by walking
 * its runtime structure: `t.type`, `t.partial`, `t.intersection` (flattened into one object when
 * its members are plain objects, else `allOf`), `t.union` (`anyOf`, or one `enum` of literals),
 * `t.literal`, `t.keyof`, `t.array`, `t.readonlyArray`, `t.record` over strings, `t.readonly`,
 * `t.exact`/`t.strict` (no other members), `t.string`, `t.number`, `t.boolean`, `t.null`,
 * `t.unknown`, `t.UnknownRecord`, `t.UnknownArray`, `t.Int`, and refinements or brands wrapped by
 * {@link annotate}. Anything else throws (a recursive type, a tuple, a function, an unannotated
 * refinement, a hand-made `t.Type`): a schema is never silently looser than its codec says.
 */
export const toJsonSchema = (codec: t.Any, options: JsonSchemaOptions = {}): JsonSchema => {
  const refOf = options.refOf ?? (() => undefined)

  const shapeOf = (c: t.Any, path: string): Shape | null => {
    switch (tagOf(c)) {
      case 'InterfaceType':
      case 'PartialType': {
        const partial = tagOf(c) === 'PartialType'
        const shape: Shape = { properties: {}, required: [] }
        for (const [key, member] of Object.entries((c as unknown as WithProps).props)) {
          const { codec: inner, optional } = withoutUndefined(member)
          shape.properties[key] = convert(inner, `${path}.${key}`)
          if (!partial && !optional) shape.required.push(key)
        }
        return shape
      }
      case 'IntersectionType': {
        const parts = (c as unknown as WithTypes).types.map((m) => (refOf(m) === undefined ? shapeOf(m, path) : null))
        if (parts.some((p) => p === null)) return null
        const shape: Shape = { properties: {}, required: [] }
        for (const p of parts as ReadonlyArray<Shape>) {
          for (const [key, s] of Object.entries(p.properties)) {
            // The same member in two parts must satisfy both: keep them apart.
            if (key in shape.properties) return null
            shape.properties[key] = s
          }
          shape.required.push(...p.required)
        }
        return shape
      }
      case 'ReadonlyType':
        return shapeOf((c as unknown as WithType).type, path)
      default:
        return null
    }
  }

  const objectOf = (shape: Shape, closed: boolean): JsonSchema => ({
    type: 'object',
    properties: shape.properties,
    ...(shape.required.length === 0 ? {} : { required: shape.required }),
    ...(closed ? { additionalProperties: false } : {}),
  })

  const convert = (c: t.Any, path: string, root = false): JsonSchema => {
    const ref = root ? undefined : refOf(c)
    if (ref !== undefined) return { $ref: ref }
    const tag = tagOf(c)
    switch (tag) {
      case 'StringType':
        return { type: 'string' }
      case 'NumberType':
        return { type: 'number' }
      case 'BooleanType':
        return { type: 'boolean' }
      case 'NullType':
        return { type: 'null' }
      case 'UnknownType':
        // `t.unknown` accepts any JSON value: the empty schema says exactly that.
        return {}
      case 'AnyDictionaryType':
        return { type: 'object' }
      case 'AnyArrayType':
        return { type: 'array' }
      case 'LiteralType': {
        const value = (c as unknown as { readonly value: string | number | boolean }).value
        return { type: typeOfLiteral(value), const: value }
      }
      case 'KeyofType':
        return { type: 'string', enum: Object.keys((c as unknown as { readonly keys: object }).keys) }
      case 'ArrayType':
      case 'ReadonlyArrayType':
        return { type: 'array', items: convert((c as unknown as WithType).type, `${path}[]`) }
      case 'ReadonlyType':
        return convert((c as unknown as WithType).type, path)
      case 'DictionaryType': {
        const { domain, codomain } = c as unknown as { readonly domain: t.Any; readonly codomain: t.Any }
        if (tagOf(domain) !== 'StringType') return fail(path, c, 'a record over keys other than `t.string` has no JSON Schema here')
        return { type: 'object', additionalProperties: convert(codomain, `${path}.*`) }
      }
      case 'InterfaceType':
      case 'PartialType':
      case 'IntersectionType': {
        const shape = shapeOf(c, path)
        if (shape !== null) return objectOf(shape, false)
        return { allOf: (c as unknown as WithTypes).types.map((m, i) => convert(m, `${path}&${i}`)) }
      }
      case 'ExactType':
      case 'StrictType': {
        const inner = tag === 'StrictType' ? t.type((c as unknown as WithProps).props) : (c as unknown as WithType).type
        const shape = shapeOf(inner, path)
        if (shape !== null) return objectOf(shape, true)
        return { allOf: [convert(inner, path)], unevaluatedProperties: false }
      }
      case 'UnionType': {
        const members = (c as unknown as WithTypes).types
        const schemas = members.map((m, i) => convert(m, `${path}|${i}`))
        // A union of string literals (or keyofs) is one enum.
        if (schemas.every((s) => s.type === 'string' && (s.const !== undefined || s.enum !== undefined) && Object.keys(s).length === 2))
          return { type: 'string', enum: schemas.flatMap((s) => (s.const !== undefined ? [s.const] : (s.enum ?? []))) }
        return { anyOf: schemas }
      }
      case 'RefinementType':
        // The one refinement io-ts ships whose predicate JSON Schema says by itself.
        if (c === t.Int) return { type: 'integer' }
        return fail(path, c, 'a refinement or brand needs `annotate(codec, { … })` with the JSON Schema keywords of its predicate')
      case 'AnnotatedType': {
        const a = c as unknown as AnnotatedType<t.Any>
        // An annotation describes the refinement it wraps: convert what the refinement refines.
        const base = tagOf(a.type) === 'RefinementType' && a.type !== t.Int ? (a.type as unknown as WithType).type : a.type
        return { ...convert(base, path), ...a.schema }
      }
      default:
        return fail(path, c, 'this kind of codec has no JSON Schema')
    }
  }

  return convert(codec, '', true)
}
