/**
 * docs/machines/authentication.md and docs/machines/recovery.md, from the machines themselves:
 * an overview diagram of the states, one diagram per group of states with every transition
 * labelled, and the full transition table with the error each failing row answers.
 *
 * Every diagram must stay readable once Mermaid lays it out: at most `MAX_DIAGRAM_EDGES` edges and
 * labels of at most `MAX_LABEL_LENGTH` characters (docs/adr/0018-auditors-reference.md says why
 * these numbers). A machine that outgrows them fails `pnpm run docs`; split a group then.
 */
import { ERROR_CATALOGUE, RUNTIME_FAILURES, type ErrorCode } from '@authn-machine/core'
import { DocProblems, cell, generatedHeader } from './files.js'

/** The most edges one diagram may have. */
export const MAX_DIAGRAM_EDGES = 24
/** The longest edge label one diagram may have, in characters. */
export const MAX_LABEL_LENGTH = 48

/** The parts of an xstate transition definition that the documentation shows. */
interface TransitionView {
  readonly eventType: string
  readonly guard?: unknown
  readonly target?: ReadonlyArray<{ readonly key: string }> | undefined
  readonly actions: ReadonlyArray<unknown>
}

/** The parts of a machine the documentation reads. */
export interface MachineView {
  readonly root: {
    readonly transitions: ReadonlyMap<string, ReadonlyArray<unknown>>
    readonly states: Readonly<Record<string, { readonly key: string; readonly type: string; readonly transitions: ReadonlyMap<string, ReadonlyArray<unknown>> }>>
    readonly initial: { readonly target: ReadonlyArray<{ readonly key: string }> }
  }
}

/** An error a row answers, and, for a code decided at run time, the action that decides it. */
interface Answered {
  readonly code: ErrorCode
  readonly decidedBy: keyof typeof RUNTIME_FAILURES | null
}

export interface Row {
  readonly from: string
  readonly event: string
  readonly guard: string
  /** The guard as a diagram shows it: `nextIs(U)`, the step being the edge's target. */
  readonly label: string
  readonly target: string
  readonly self: boolean
  /** The transition is one of the evaluation order's (`nextIs`). */
  readonly routed: boolean
  readonly actions: string
  readonly answers: ReadonlyArray<Answered>
}

const isRecord = (v: unknown): v is Readonly<Record<string, unknown>> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** A compact, stable rendering of parameter values: `{passwordChanged:true}`, `E0000079`. */
const show = (v: unknown): string => {
  if (Array.isArray(v)) return `[${v.map(show).join(', ')}]`
  if (isRecord(v)) return `{${Object.keys(v).map((k) => `${k}:${show(v[k])}`).join(', ')}}`
  if (typeof v === 'string') return v
  return String(v)
}

const guardText = (g: unknown, target: string): { readonly full: string; readonly label: string } => {
  if (g === undefined) return { full: '', label: '' }
  if (typeof g === 'string') return { full: g, label: g }
  if (isRecord(g) && typeof g['type'] === 'string') {
    const params = g['params']
    if (!isRecord(params)) return { full: g['type'], label: g['type'] }
    const full = `${g['type']}(${Object.keys(params).map((k) => `${k}=${show(params[k])}`).join(', ')})`
    // In a diagram, the step a `nextIs` guard names is the edge's target: only the progress update is shown.
    const values = Object.keys(params)
      .filter((k) => !(g['type'] === 'nextIs' && k === 'step' && params[k] === target))
      .map((k) => {
        const p = params[k]
        return isRecord(p) ? Object.keys(p).map((q) => (p[q] === true ? q : `${q}=${show(p[q])}`)).join(' ') : show(p)
      })
      .filter((s) => s !== '')
    // Mermaid labels: no braces.
    return { full, label: values.length === 0 ? g['type'] : `${g['type']}(${values.join(', ')})` }
  }
  return { full: 'inline guard', label: 'inline guard' }
}

const actionName = (a: unknown): string => (typeof a === 'string' ? a : isRecord(a) && typeof a['type'] === 'string' ? a['type'] : 'inline action')

const actionText = (effects: ReadonlyArray<string>) => (a: unknown): string => {
  const name = actionName(a)
  const params = isRecord(a) ? a['params'] : undefined
  const withParams =
    name === 'fail' && isRecord(params)
      ? `fail(${show(params['code'])})`
      : isRecord(params) && Object.keys(params).length > 0
        ? `${name}(${show(params)})`
        : name
  return effects.includes(name) ? `**${withParams}**` : withParams
}

/** The overview's node for the evaluation order's choice. */
const EVALUATION_NODE = 'evaluation_order'

const isRuntimeFailure = (name: string): name is keyof typeof RUNTIME_FAILURES => Object.hasOwn(RUNTIME_FAILURES, name)

/**
 * The errors a transition answers: `fail` with its literal code, or every code of an action whose
 * code is decided at run time (core `RUNTIME_FAILURES`). A failure whose code the documentation
 * cannot see is a problem: the table must show every failing row's code.
 */
const answersOf = (actions: ReadonlyArray<unknown>, where: string, problems: DocProblems): ReadonlyArray<Answered> =>
  actions.flatMap((a): ReadonlyArray<Answered> => {
    const name = actionName(a)
    if (name === 'fail') {
      const params = isRecord(a) ? a['params'] : undefined
      if (isRecord(params) && typeof params['code'] === 'string' && Object.hasOwn(ERROR_CATALOGUE, params['code'])) return [{ code: params['code'] as ErrorCode, decidedBy: null }]
      problems.add(`${where}: a \`fail\` whose code is computed; name it as an action of RUNTIME_FAILURES (packages/core/src/machines/failure-codes.ts) so that its codes are listed`)
      return []
    }
    if (isRuntimeFailure(name)) return RUNTIME_FAILURES[name].codes.map((code) => ({ code, decidedBy: name }))
    if (/^fail[A-Z]/.test(name)) problems.add(`${where}: \`${name}\` looks like a failure but is not in RUNTIME_FAILURES`)
    return []
  })

const rowsOf = (machine: MachineView, effects: ReadonlyArray<string>, problems: DocProblems): ReadonlyArray<Row> => {
  const rows: Row[] = []
  const nodes = [machine.root, ...Object.values(machine.root.states)]
  for (const node of nodes) {
    for (const [event, list] of node.transitions) {
      for (const t of list as ReadonlyArray<TransitionView>) {
        const targets = (t.target ?? []).map((n) => n.key)
        const from = node === machine.root ? '(any)' : (node as { key: string }).key
        const target = targets.length === 0 ? (from === '(any)' ? 'same state' : from) : targets.join(', ')
        const g = guardText(t.guard, target)
        rows.push({
          from,
          event,
          guard: g.full,
          label: `${event}${g.label === '' ? '' : ` [${g.label}]`}`,
          target,
          self: targets.length === 0,
          routed: isRecord(t.guard) && t.guard['type'] === 'nextIs',
          actions: t.actions.map(actionText(effects)).join(', '),
          answers: answersOf(t.actions, `${from} on ${event}${g.full === '' ? '' : ` [${g.full}]`}`, problems),
        })
      }
    }
  }
  return rows
}

/** The two transitions every live state has: read (extends the token) and cancel. Diagrams leave them out. */
const isCommon = (r: Row): boolean =>
  (r.event === 'transaction.read' && r.self && r.guard === '' && r.actions === 'touch') ||
  (r.event === 'transaction.cancel' && r.target === 'CANCELLED' && r.guard === '' && r.actions === '')

interface Diagram {
  readonly title: string
  readonly text: ReadonlyArray<string>
  readonly lines: ReadonlyArray<string>
}

/** Counts every arrow of a diagram as Mermaid draws it (start and end markers included) and measures every label. */
const checkBounds = (page: string, d: Diagram, problems: DocProblems): void => {
  const arrows = d.lines.filter((l) => l.includes('-->'))
  if (arrows.length > MAX_DIAGRAM_EDGES)
    problems.add(`${page}, diagram "${d.title}": ${arrows.length} edges, more than ${MAX_DIAGRAM_EDGES}; split its group (the pages in scripts/gen-docs.ts)`)
  for (const a of arrows) {
    const label = a.includes(' : ') ? a.slice(a.indexOf(' : ') + 3) : ''
    if (label.length > MAX_LABEL_LENGTH) problems.add(`${page}, diagram "${d.title}": the label "${label}" has ${label.length} characters, more than ${MAX_LABEL_LENGTH}`)
  }
}

export interface StateGroup {
  readonly title: string
  readonly states: ReadonlyArray<string>
  readonly text: ReadonlyArray<string>
}

export interface Page {
  readonly file: string
  readonly machine: MachineView
  readonly effects: ReadonlyArray<string>
  readonly title: string
  readonly source: string
  readonly intro: ReadonlyArray<string>
  readonly groups: ReadonlyArray<StateGroup>
  readonly legend: ReadonlyArray<string>
}

const anchor = (s: string): string => s.toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-')

const answersText = (answers: ReadonlyArray<Answered>): string => {
  if (answers.length === 0) return '—'
  const decided = [...new Set(answers.map((a) => a.decidedBy).filter((x) => x !== null))]
  const codes = answers.map((a) => `${ERROR_CATALOGUE[a.code].status} ${a.code}`).join(', ')
  return decided.length === 0 ? codes : `${codes} (by ${decided.map((x) => `[\`${x}\`](#${anchor(x)})`).join(', ')})`
}

/** The document of one machine, and what it checked. */
export const renderMachinePage = (page: Page, problems: DocProblems): { readonly text: string; readonly summary: string } => {
  const { machine } = page
  const rows = rowsOf(machine, page.effects, problems)
  const states = Object.values(machine.root.states)
  const initial = machine.root.initial.target.map((n) => n.key).join(', ')
  const finals = states.filter((s) => s.type === 'final').map((s) => s.key)
  const live = states.filter((s) => s.type !== 'final').map((s) => s.key)

  // Every state with transitions of its own is in exactly one group.
  for (const s of live) {
    const inGroups = page.groups.filter((g) => g.states.includes(s)).length
    if (rows.some((r) => r.from === s) && inGroups !== 1) problems.add(`${page.file}: state ${s} is in ${inGroups} diagram groups (one expected)`)
  }
  for (const g of page.groups) for (const s of g.states) if (!live.includes(s)) problems.add(`${page.file}: group "${g.title}" names ${s}, which is not a live state`)

  // The overview: one unlabelled edge per pair of states, whatever the event, without read and
  // cancel; the transitions of the evaluation order go through one choice node.
  const moves = rows.filter((r) => r.from !== '(any)' && !r.self && !isCommon(r))
  const routed = moves.filter((r) => r.routed)
  const pairs = [
    ...new Set([
      ...moves.filter((r) => !r.routed && r.target !== r.from).map((r) => `${r.from} --> ${r.target}`),
      ...routed.map((r) => `${r.from} --> ${EVALUATION_NODE}`),
      ...routed.map((r) => `${EVALUATION_NODE} --> ${r.target}`),
    ]),
  ]
  const overview: Diagram = {
    title: 'Overview',
    text: [
      'Every state and where it can lead, one arrow per pair of states, whatever the event. Every live state',
      'also accepts `transaction.read` (stays) and `transaction.cancel` (to `CANCELLED`), which the diagrams',
      'leave out; the table lists them.',
      ...(routed.length === 0
        ? []
        : [
            `The diamond (\`${EVALUATION_NODE}\`) is the evaluation order: a state with an arrow into it continues with`,
            'whichever of the states it points to the order picks (the group diagrams below show which, exactly).',
          ]),
    ],
    lines: [
      'stateDiagram-v2',
      ...(routed.length === 0 ? [] : [`  state ${EVALUATION_NODE} <<choice>>`]),
      `  [*] --> ${initial}`,
      ...pairs.map((p) => `  ${p}`),
    ],
  }
  checkBounds(page.file, overview, problems)

  const groupDiagrams = page.groups.map((g): Diagram => {
    const edges = rows.filter((r) => g.states.includes(r.from) && !isCommon(r))
    const d: Diagram = {
      title: g.title,
      text: g.text,
      lines: [
        'stateDiagram-v2',
        ...(g.states.includes(initial) ? [`  [*] --> ${initial}`] : []),
        ...edges.map((r) => `  ${r.from} --> ${r.target} : ${r.label}`),
      ],
    }
    checkBounds(page.file, d, problems)
    return d
  })

  const runtime = [...new Set(rows.flatMap((r) => r.answers.map((a) => a.decidedBy)).filter((x) => x !== null))]
  const table = [
    '| from state | event | guard | target | actions / effects | error answered |',
    '|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${cell(r.from)} | \`${r.event}\` | ${r.guard === '' ? '—' : `\`${cell(r.guard)}\``} | ${r.self ? `${cell(r.target)} (stays)` : cell(r.target)} | ${cell(r.actions)} | ${cell(answersText(r.answers))} |`,
    ),
  ]
  const failing = rows.filter((r) => r.answers.length > 0).length

  const doc = [
    ...generatedHeader(page.title, page.source),
    `States: ${states.length} (${states.map((s) => `\`${s.key}\``).join(', ')}); final: ${finals.map((s) => `\`${s}\``).join(', ')}.`,
    ...page.intro,
    '',
    '## Diagrams',
    '',
    `Each diagram has at most ${MAX_DIAGRAM_EDGES} edges and labels of at most ${MAX_LABEL_LENGTH} characters (\`pnpm run docs\` fails`,
    'otherwise; docs/adr/0018-auditors-reference.md). In the group diagrams, `nextIs(U)` on an edge means that the',
    'evaluation order picks the edge\'s target once the progress update `U` is applied.',
    '',
    ...[overview, ...groupDiagrams].flatMap((d) => [`### ${d.title}`, '', ...d.text, '', '```mermaid', ...d.lines, '```', '']),
    '## Transitions',
    '',
    ...page.legend,
    '',
    ...table,
    '',
    ...(runtime.length === 0
      ? []
      : [
          '## Codes decided at run time',
          '',
          'These actions answer an error whose code the transition takes from the event or the context. The codes',
          'listed are every code each can answer (`RUNTIME_FAILURES` in `packages/core/src/machines/failure-codes.ts`,',
          'through which the machines build these failures, so a code not listed there does not type-check).',
          '',
          ...runtime.flatMap((name) => [
            `### \`${name}\``,
            '',
            `${RUNTIME_FAILURES[name].codes.map((c) => `${ERROR_CATALOGUE[c].status} ${c}`).join(', ')}: from ${RUNTIME_FAILURES[name].source}.`,
            '',
          ]),
        ]),
  ].join('\n')
  return { text: doc, summary: `${rows.length} transitions, ${failing} failing, ${states.length} states, ${1 + groupDiagrams.length} diagrams` }
}

/** The states some transition of `machine` enters (its initial state only when a transition leads back to it). */
export const enteredStates = (machine: MachineView): ReadonlySet<string> =>
  new Set(rowsOf(machine, [], new DocProblems()).filter((r) => !r.self && r.from !== '(any)').flatMap((r) => r.target.split(', ')))
