/**
 * Generates docs/machines/authentication.md and docs/machines/recovery.md from the machines
 * themselves: for each, a Mermaid `stateDiagram-v2` and a transition table. Run with `pnpm run docs` (`pnpm docs` alone is pnpm's
 * built-in command that opens a package's homepage); CI runs `pnpm docs:check`
 * (`pnpm docs && git diff --exit-code -- docs/machines`), so the output must be deterministic.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { EFFECT_TYPES, RECOVERY_EFFECT_TYPES, authnMachine, recoveryMachine } from '@authn-machine/core'


/** The parts of an xstate transition definition that the documentation shows. */
interface TransitionView {
  readonly eventType: string
  readonly guard?: unknown
  readonly target?: ReadonlyArray<{ readonly key: string }> | undefined
  readonly actions: ReadonlyArray<unknown>
}

interface Row {
  readonly from: string
  readonly event: string
  readonly guard: string
  readonly shortGuard: string
  readonly target: string
  readonly self: boolean
  readonly actions: string
}

const isRecord = (v: unknown): v is Readonly<Record<string, unknown>> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** A compact, stable rendering of parameter values: `{passwordChanged:true}`, `E0000079`. */
const show = (v: unknown): string => {
  if (Array.isArray(v)) return `[${v.map(show).join(', ')}]`
  if (isRecord(v)) return `{${Object.keys(v).map((k) => `${k}:${show(v[k])}`).join(', ')}}`
  if (typeof v === 'string') return v
  return String(v)
}

const guardText = (g: unknown): { readonly full: string; readonly short: string } => {
  if (g === undefined) return { full: '', short: '' }
  if (typeof g === 'string') return { full: g, short: g }
  if (isRecord(g) && typeof g['type'] === 'string') {
    const params = g['params']
    if (!isRecord(params)) return { full: g['type'], short: g['type'] }
    const full = `${g['type']}(${Object.keys(params).map((k) => `${k}=${show(params[k])}`).join(', ')})`
    // Mermaid labels: no braces; keep the values only.
    const short = `${g['type']}(${Object.keys(params)
      .map((k) => {
        const p = params[k]
        return isRecord(p) ? Object.keys(p).map((q) => `${q}=${show(p[q])}`).join(' ') : show(p)
      })
      .filter((s) => s !== '')
      .join(', ')})`
    return { full, short }
  }
  return { full: 'inline guard', short: 'inline guard' }
}


const actionText = (effects: ReadonlyArray<string>) => (a: unknown): string => {
  const name = typeof a === 'string' ? a : isRecord(a) && typeof a['type'] === 'string' ? a['type'] : 'inline action'
  const params = isRecord(a) ? a['params'] : undefined
  const withParams =
    name === 'fail' && isRecord(params)
      ? `fail(${show(params['code'])})`
      : isRecord(params) && Object.keys(params).length > 0
        ? `${name}(${show(params)})`
        : name
  return effects.includes(name) ? `**${withParams}**` : withParams
}

/** The parts of a machine the documentation reads. */
interface MachineView {
  readonly root: {
    readonly transitions: ReadonlyMap<string, ReadonlyArray<unknown>>
    readonly states: Readonly<Record<string, { readonly key: string; readonly type: string; readonly transitions: ReadonlyMap<string, ReadonlyArray<unknown>> }>>
    readonly initial: { readonly target: ReadonlyArray<{ readonly key: string }> }
  }
}

interface Page {
  readonly file: string
  readonly machine: MachineView
  readonly effects: ReadonlyArray<string>
  readonly title: string
  readonly source: string
  readonly intro: ReadonlyArray<string>
  readonly legend: ReadonlyArray<string>
}

const write = (page: Page): void => {
const { machine } = page
const rows: Row[] = []
const nodes = [machine.root, ...Object.values(machine.root.states)]
for (const node of nodes) {
  for (const [event, list] of node.transitions) {
    for (const t of list as ReadonlyArray<TransitionView>) {
      const g = guardText(t.guard)
      const targets = (t.target ?? []).map((n) => n.key)
      const from = node === machine.root ? '(any)' : (node as { key: string }).key
      rows.push({
        from,
        event,
        guard: g.full,
        shortGuard: g.short,
        target: targets.length === 0 ? (from === '(any)' ? 'same state' : from) : targets.join(', '),
        self: targets.length === 0,
        actions: t.actions.map(actionText(page.effects)).join(', '),
      })
    }
  }
}

const states = Object.values(machine.root.states)
const initial = machine.root.initial.target.map((n) => n.key).join(', ')
const finals = states.filter((s) => s.type === 'final').map((s) => s.key)

const mermaid = [
  'stateDiagram-v2',
  `  [*] --> ${initial}`,
  ...rows
    .filter((r) => r.from !== '(any)')
    .map((r) => `  ${r.from} --> ${r.target} : ${r.event}${r.shortGuard === '' ? '' : ` [${r.shortGuard}]`}`),
  ...finals.map((s) => `  ${s} --> [*]`),
]

const cell = (s: string) => (s === '' ? '—' : s.replace(/\|/g, '\\|'))
const table = [
  '| from state | event | guard | target | actions / effects |',
  '|---|---|---|---|---|',
  ...rows.map(
    (r) => `| ${cell(r.from)} | \`${r.event}\` | ${r.guard === '' ? '—' : `\`${cell(r.guard)}\``} | ${r.self ? `${cell(r.target)} (stays)` : cell(r.target)} | ${cell(r.actions)} |`,
  ),
]

const doc = [
  `# ${page.title}`,
  '',
  '<!-- GENERATED FILE: do not edit. -->',
  `> Generated by \`pnpm run docs\` (\`scripts/gen-docs.ts\`) from ${page.source}. CI runs`,
  '> `pnpm docs:check` and fails when this file is out of date; change the machine, then run',
  "> `pnpm run docs` (plain `pnpm docs` is pnpm's own command).",
  '',
  `States: ${states.length} (${states.map((s) => `\`${s.key}\``).join(', ')}); final: ${finals.map((s) => `\`${s}\``).join(', ')}.`,
  ...page.intro,
  '',
  '## Diagram',
  '',
  '```mermaid',
  ...mermaid,
  '```',
  '',
  '## Transitions',
  '',
  ...page.legend,
  '',
  ...table,
  '',
].join('\n')

const out = fileURLToPath(new URL(`../docs/machines/${page.file}`, import.meta.url))
mkdirSync(dirname(out), { recursive: true })
writeFileSync(out, doc)
console.log(`wrote ${out} (${rows.length} transitions, ${states.length} states)`)
}

const LEGEND_HEAD = [
  'Effects the shell performs after saving are in **bold**; `fail(code)` is the answered error; the',
  'other actions update the context (`touch` extends the state token: `expiresAt = now + lifetimeMs`).',
]

write({
  file: 'authentication.md',
  machine: authnMachine as unknown as MachineView,
  effects: EFFECT_TYPES,
  title: 'Authentication machine (`authnMachine`)',
  source: '`authnMachine` in\n> `packages/core/src/machines/authn-machine.ts`',
  intro: [
    'Within one state, guarded transitions for the same event are tried top to bottom; the first whose',
    'guard holds is taken. `nextIs(step=S, update=U)` holds when the evaluation order (spec §10.1) picks',
    '`S` once the progress update `U` is applied. Every event carries `now`; a finished or expired',
    'transaction (`now >= expiresAt`) accepts nothing (401 E0000011) before the machine is consulted.',
  ],
  legend: [
    ...LEGEND_HEAD,
    '`activateIfToken` enqueues **activateUser** for activation-token transactions; `revokeIfAsked` enqueues',
    '**revokeOtherSessions** when the request set `revokeSessions`.',
  ],
})

write({
  file: 'recovery.md',
  machine: recoveryMachine as unknown as MachineView,
  effects: RECOVERY_EFFECT_TYPES,
  title: 'Recovery machine (`recoveryMachine`)',
  source: '`recoveryMachine` in\n> `packages/core/src/machines/recovery-machine.ts`',
  intro: [
    'Forgot password and unlock account (spec §4.12–4.18, §10.3; docs/adr/0012-recovery.md). Within one',
    'state, guarded transitions for the same event are tried top to bottom. `UNAUTHENTICATED` is the',
    'initial state before the first event and is never rendered. A decoy (`isDecoy`: an unknown user, or',
    'one whose recovery the policy does not allow) looks like a real transaction but can prove nothing.',
    'A finished or expired transaction accepts nothing (401 E0000011) before the machine is consulted.',
  ],
  legend: [
    ...LEGEND_HEAD,
    '`sendEventCode` enqueues **sendCode** for a real user; `unlock` enqueues **unlockUser**;',
    '`setNewPassword` enqueues **setPassword** (and **revokeOtherSessions** when asked); `issueSession`',
    'enqueues **issueSessionToken**.',
  ],
})
