/**
 * docs/reference/rules.md: the rules of scripts/docs/rules.ts in the project's words, a
 * traceability table (rule → code → tests), and every section of the spec digest the code cites,
 * with the rules that restate it. Every reference is checked: a missing file, a symbol not
 * declared in its file, a test text not in its file, or a cited section that nothing explains is
 * a problem, and `pnpm run docs` fails.
 */
import { cell, generatedHeader, listFiles, readRepoFile, repoFileExists, type DocProblems } from './files.js'
import { FAMILIES, type Family, type Rule } from './rules.js'
import { SECTIONS } from './sections.js'

export const RULES_DOC = 'docs/reference/rules.md'

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** Where `name` is declared in `text` (`const`, `function`, `interface`, …), or -1. */
const declarationIndex = (text: string, name: string, from = 0): number => {
  const re = new RegExp(`(?<![\\w$.])(?:const|let|var|function\\*?|class|interface|type|enum)\\s+${escapeRegExp(name)}(?![\\w$])`, 'g')
  re.lastIndex = from
  return re.exec(text)?.index ?? -1
}

/** Where `name` is declared, or used as an object key or a method, at or after `from`; or -1. */
const memberIndex = (text: string, name: string, from: number): number => {
  const declared = declarationIndex(text, name, from)
  if (declared >= 0) return declared
  const re = new RegExp(`(?<![\\w$.'"\`])${escapeRegExp(name)}\\s*(?::(?!:)|\\()`, 'g')
  re.lastIndex = from
  return re.exec(text)?.index ?? -1
}

/** Why `symbol` (`name` or `outer.inner`) is not found in `text`, or null when it is. */
export const symbolProblem = (text: string, symbol: string): string | null => {
  const [outer, ...inner] = symbol.split('.')
  if (outer === undefined || outer === '') return 'an empty symbol'
  let at = declarationIndex(text, outer)
  if (at < 0) return `no declaration of \`${outer}\``
  for (const name of inner) {
    const next = memberIndex(text, name, at)
    if (next < 0) return `no \`${name}\` after the declaration of \`${outer}\``
    at = next
  }
  return null
}

/** The sentences of a statement (a full stop, question or exclamation mark followed by a space or the end). */
const sentences = (s: string): number => s.split(/[.!?]["”’)]*(?:\s+|$)/).filter((x) => x.trim() !== '').length

const ID = /^AUTHN-([A-Z]+)-([1-9][0-9]*)$/

/** Checks every rule: its id, its text, its sections and every reference. */
export const checkRules = (rules: ReadonlyArray<Rule>, problems: DocProblems): void => {
  const seen = new Set<string>()
  const lastNumber = new Map<string, number>()
  const texts = new Map<string, string | null>()
  const textOf = (file: string): string | null => {
    if (!texts.has(file)) texts.set(file, repoFileExists(file) ? readRepoFile(file) : null)
    return texts.get(file) ?? null
  }
  for (const r of rules) {
    const where = `rule ${r.id}`
    const m = ID.exec(r.id)
    if (m === null || !(m[1] !== undefined && m[1] in FAMILIES)) problems.add(`${where}: the id must be AUTHN-<family>-<n> with a family of FAMILIES`)
    else {
      const n = Number(m[2])
      if (n !== (lastNumber.get(m[1]) ?? 0) + 1) problems.add(`${where}: ids of a family are numbered 1, 2, 3, … in order`)
      lastNumber.set(m[1], n)
    }
    if (seen.has(r.id)) problems.add(`${where}: the id is used twice`)
    seen.add(r.id)
    const count = sentences(r.statement)
    if (count < 1 || count > 3) problems.add(`${where}: the statement has ${count} sentences (one to three)`)
    if (r.sections.length === 0) problems.add(`${where}: names no section of the spec digest`)
    for (const s of r.sections) if (SECTIONS[s] === undefined) problems.add(`${where}: section §${s} is not in scripts/docs/sections.ts`)
    if (!/^https:\/\/developer\.okta\.com\//.test(r.okta)) problems.add(`${where}: the Okta link must be a developer.okta.com page`)
    if (r.implementedBy.length === 0) problems.add(`${where}: names no implementing code`)
    if (r.testedBy.length === 0) problems.add(`${where}: names no test`)
    for (const i of r.implementedBy) {
      const text = textOf(i.file)
      if (text === null) problems.add(`${where}: implementedBy ${i.file} does not exist`)
      else {
        const why = symbolProblem(text, i.symbol)
        if (why !== null) problems.add(`${where}: implementedBy ${i.file}#${i.symbol}: ${why}`)
      }
    }
    for (const t of r.testedBy) {
      const text = textOf(t.file)
      if (text === null) problems.add(`${where}: testedBy ${t.file} does not exist`)
      else if (!text.includes(t.test)) problems.add(`${where}: testedBy ${t.file} does not contain the text ${JSON.stringify(t.test)}`)
    }
  }
}

// ------------------------------------------------------------------------------------------------
// Sections the code cites

export interface Citation {
  readonly section: string
  readonly file: string
}

/** The directories whose sources are scanned for citations of the spec digest. */
export const CITING_SOURCES = ['packages/*/src', 'scripts'] as const

/** The registry itself, which names sections as data, is not scanned. */
const REGISTRY = ['scripts/docs/rules.ts', 'scripts/docs/sections.ts']

const sourceFiles = (): ReadonlyArray<string> => {
  const packages = listFiles('packages', ['.ts']).filter((f) => /^packages\/[^/]+\/src\//.test(f))
  return [...packages, ...listFiles('scripts', ['.ts']).filter((f) => !REGISTRY.includes(f))]
}

const CITATION = /§\s?(\d+(?:\.\d+)*)(?:\s?[–-]\s?(\d+(?:\.\d+)*))?/g

/** The sections a range such as 4.12–4.18 or 10.1–10.2 spans (same parent; otherwise its two ends). */
const expandRange = (from: string, to: string | undefined): ReadonlyArray<string> => {
  if (to === undefined) return [from]
  const a = from.split('.')
  const b = to.includes('.') ? to.split('.') : [...a.slice(0, -1), to]
  const first = Number(a[a.length - 1])
  const last = Number(b[b.length - 1])
  const sameParent = a.length === b.length && a.slice(0, -1).join('.') === b.slice(0, -1).join('.')
  if (!sameParent || !(last >= first) || last - first > 30) return [from, b.join('.')]
  const parent = a.slice(0, -1)
  return Array.from({ length: last - first + 1 }, (_, i) => [...parent, String(first + i)].join('.'))
}

/** Every citation of the spec digest (a section sign and a number, or a range of two) in the sources; citations of an RFC are not the digest's. */
export const findCitations = (): ReadonlyArray<Citation> => {
  const out: Citation[] = []
  for (const file of sourceFiles()) {
    const text = readRepoFile(file)
    for (const m of text.matchAll(CITATION)) {
      const before = text.slice(Math.max(0, m.index - 16), m.index)
      if (/RFC\s*\d+\s*$/.test(before)) continue
      for (const section of expandRange(m[1] ?? '', m[2])) out.push({ section, file })
    }
  }
  return out
}

const bySection = (a: string, b: string): number => {
  const x = a.split('.').map(Number)
  const y = b.split('.').map(Number)
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? -1) - (y[i] ?? -1)
    if (d !== 0) return d
  }
  return 0
}

const rulesRestating = (rules: ReadonlyArray<Rule>, section: string): ReadonlyArray<Rule> => rules.filter((r) => r.sections.includes(section))

/** Every cited section must be in the section table, and be restated by a rule or explained as context. */
export const checkCitations = (citations: ReadonlyArray<Citation>, rules: ReadonlyArray<Rule>, problems: DocProblems): void => {
  const cited = new Map<string, Set<string>>()
  for (const c of citations) cited.set(c.section, (cited.get(c.section) ?? new Set()).add(c.file))
  for (const [section, files] of cited) {
    const where = `§${section} (cited in ${[...files].join(', ')})`
    const entry = SECTIONS[section]
    if (entry === undefined) problems.add(`${where}: not in scripts/docs/sections.ts; add it, with the rules that restate it or a context summary`)
    else if (rulesRestating(rules, section).length === 0 && entry.context === undefined)
      problems.add(`${where}: no rule restates it; add a rule, or a context summary in scripts/docs/sections.ts`)
  }
}

// ------------------------------------------------------------------------------------------------
// The document

const anchorOf = (id: string): string => id.toLowerCase()
const ruleLink = (id: string): string => `[${id}](#${anchorOf(id)})`
const fileLink = (file: string, label: string = file): string => `[${label}](../../${file})`
const sectionText = (s: string): string => `§${s} (${SECTIONS[s]?.subject ?? '?'})`

const familyOf = (r: Rule): Family => r.id.split('-')[1] as Family

export const renderRules = (rules: ReadonlyArray<Rule>, citations: ReadonlyArray<Citation>): string => {
  const families = Object.keys(FAMILIES) as ReadonlyArray<Family>
  const out: string[] = [
    ...generatedHeader("Rules of the Authentication API (auditor's reference)", '`scripts/docs/rules.ts` and `scripts/docs/sections.ts`, checked against the code'),
    `The ${rules.length} rules of Okta's classic Authentication API (\`/api/v1/authn\`) that this project implements, stated`,
    "in the project's own words. Each names the section of the spec digest it restates (the digest is the",
    "team's offline summary of Okta's documentation; 9.N and 11.N are item N of its sections 9 and 11)",
    "and Okta's public page on the subject. Which states and operations exist at all: [status.md](status.md).",
    '',
    'How to trace a rule: its row in the [traceability table](#traceability) names the code that implements it',
    '(file and declared symbol; `outer.inner` is a guard, action or function inside `outer`) and the tests that',
    'check it (file and test title, or the name of an invariant the model-based harness reports). The generator',
    "fails when a file is missing, a symbol is not declared in its file or a test's text is not in its file, so",
    'every reference below resolves.',
    '',
    '## Families',
    '',
    '| family | subject | rules |',
    '|---|---|---|',
    ...families.map((f) => `| [${f}](#${f.toLowerCase()}) | ${FAMILIES[f]} | ${rules.filter((r) => familyOf(r) === f).length} |`),
    '',
  ]
  for (const f of families) {
    out.push(`## ${f}`, '', `${FAMILIES[f]}.`, '')
    for (const r of rules.filter((x) => familyOf(x) === f)) {
      out.push(
        `<a id="${anchorOf(r.id)}"></a>`,
        `### ${r.id}: ${r.title}`,
        '',
        r.statement,
        '',
        `Restates ${r.sections.map(sectionText).join(', ')}. Okta: <${r.okta}>`,
        '',
      )
    }
  }
  out.push(
    '## Traceability',
    '',
    '| rule | implemented by | tested by |',
    '|---|---|---|',
    ...rules.map((r) => {
      const code = r.implementedBy.map((i) => `${fileLink(i.file, i.file.replace(/^packages\//, ''))} \`${i.symbol}\``).join('<br>')
      const checks = r.testedBy.map((t) => `${fileLink(t.file, t.file.replace(/^packages\//, ''))}: “${t.test}”`).join('<br>')
      return `| ${ruleLink(r.id)} | ${cell(code)} | ${cell(checks)} |`
    }),
    '',
  )

  const cited = new Map<string, Set<string>>()
  for (const c of citations) cited.set(c.section, (cited.get(c.section) ?? new Set()).add(c.file))
  const sections = [...cited.keys()].sort(bySection)
  out.push(
    '## Sections of the spec digest cited in the code',
    '',
    `Every section sign followed by a number in ${CITING_SOURCES.map((d) => `\`${d}\``).join(' and ')} (a range such as 4.12–4.18 counts`,
    "for each section it spans; RFC sections are not the digest's; the rule registry itself is not scanned), with",
    'the rules that restate it, or what it says when no rule does (a heading, or behaviour not implemented), and',
    'the Okta page on it.',
    '',
    '| section | subject | restated by | cited in | Okta |',
    '|---|---|---|---|---|',
    ...sections.map((s) => {
      const entry = SECTIONS[s]
      const restating = rulesRestating(rules, s)
      const by = restating.length > 0 ? restating.map((r) => ruleLink(r.id)).join(', ') : `context: ${entry?.context ?? ''}`
      const files = [...(cited.get(s) ?? [])].sort().map((f) => fileLink(f, f.replace(/^packages\//, '')))
      return `| §${s} | ${cell(entry?.subject ?? '')} | ${cell(by)} | ${cell(files.join('<br>'))} | <${entry?.okta ?? ''}> |`
    }),
    '',
  )
  return out.join('\n')
}
