/**
 * Generates the documentation that is derived from the code; run with `pnpm run docs` (`pnpm docs`
 * alone is pnpm's built-in command that opens a package's homepage). CI runs `pnpm docs:check`,
 * which regenerates and fails on any difference, so the output must be deterministic.
 *
 * - docs/machines/authentication.md and recovery.md: each machine's diagrams and transition table
 *   (scripts/docs/machines.ts);
 * - docs/reference/rules.md: the rules the project implements, traced to code and tests
 *   (scripts/docs/rules.ts, scripts/docs/reference.ts);
 * - docs/reference/status.md: which statuses, operations and factor families are implemented
 *   (scripts/docs/status.ts).
 *
 * Every check runs before anything is written: a problem (a reference that does not resolve, a
 * cited section nothing explains, a diagram past its size bound, a failure without a visible code)
 * is reported and the command exits with status 1, leaving the committed documents as they were.
 */
import { EFFECT_TYPES, RECOVERY_EFFECT_TYPES, authnMachine, recoveryMachine } from '@authn-machine/core'
import { DocProblems, writeDoc } from './docs/files.js'
import { enteredStates, renderMachinePage, type MachineView, type Page } from './docs/machines.js'
import { RULES_DOC, checkCitations, checkRules, findCitations, renderRules } from './docs/reference.js'
import { RULES } from './docs/rules.js'
import { STATUS_DOC, renderStatus } from './docs/status.js'

const rule = (id: string): string => `[${id}](../reference/rules.md#${id.toLowerCase()})`

const LEGEND_HEAD = [
  'Effects the shell performs after saving are in **bold**; `fail(code)` is the answered error; the',
  'other actions update the context (`touch` extends the state token: `expiresAt = now + lifetimeMs`).',
  'The last column is the error a row answers, with its HTTP status; a row without one answers the',
  'transaction in its new state (LOCKED_OUT included).',
]

const AUTHENTICATION: Page = {
  file: 'docs/machines/authentication.md',
  machine: authnMachine as unknown as MachineView,
  effects: EFFECT_TYPES,
  title: 'Authentication machine (`authnMachine`)',
  source: '`authnMachine` in\n> `packages/core/src/machines/authn-machine.ts`',
  intro: [
    'Within one state, guarded transitions for the same event are tried top to bottom; the first whose',
    `guard holds is taken. \`nextIs(step=S, update=U)\` holds when the evaluation order (${rule('AUTHN-START-2')}) picks`,
    '`S` once the progress update `U` is applied. Every event carries `now`; a finished or expired',
    `transaction (\`now >= expiresAt\`) accepts nothing (401 E0000011, ${rule('AUTHN-TOKEN-3')}) before the machine is consulted.`,
  ],
  groups: [
    {
      title: 'Primary authentication',
      states: ['UNAUTHENTICATED'],
      text: [
        `The first event of every transaction: the checks before the evaluation order (${rule('AUTHN-START-4')}), the`,
        `lockout (${rule('AUTHN-LOCK-3')}), then the order itself. \`FAILED\` transactions are answered and never stored.`,
      ],
    },
    {
      title: 'Password states',
      states: ['PASSWORD_WARN', 'PASSWORD_EXPIRED', 'PASSWORD_RESET'],
      text: [`Changing, resetting or skipping a password (${rule('AUTHN-PWD-1')} to ${rule('AUTHN-PWD-8')}); refusals stay.`],
    },
    {
      title: 'MFA enrollment',
      states: ['MFA_ENROLL'],
      text: [`Enrolling factors and skip (${rule('AUTHN-MFA-3')}, ${rule('AUTHN-MFA-5')}, ${rule('AUTHN-SENT-1')}).`],
    },
    {
      title: 'MFA activation',
      states: ['MFA_ENROLL_ACTIVATE'],
      text: [`Activating the enrolled factor, resends, and a Duo activation's poll and callback (${rule('AUTHN-MFA-4')}, ${rule('AUTHN-SENT-1')}, ${rule('AUTHN-MFA-13')}).`],
    },
    {
      title: 'MFA verification',
      states: ['MFA_REQUIRED'],
      text: [`Verifying an enrolled factor, or asking for its challenge (${rule('AUTHN-MFA-6')}, ${rule('AUTHN-SENT-2')}).`],
    },
    {
      title: 'MFA challenge',
      states: ['MFA_CHALLENGE'],
      text: [
        `Answering the challenge, resends, and the verifications a third party or a device carries out: Duo's and the push device's`,
        `answers confirm or deny them, the next poll finishes them (${rule('AUTHN-MFA-6')}, ${rule('AUTHN-SENT-2')}, ${rule('AUTHN-MFA-13')}, ${rule('AUTHN-MFA-16')}).`,
      ],
    },
  ],
  legend: [
    ...LEGEND_HEAD,
    '`activateIfToken` enqueues **activateUser** for activation-token transactions; `revokeIfAsked` enqueues',
    '**revokeOtherSessions** when the request set `revokeSessions`.',
  ],
}

const RECOVERY: Page = {
  file: 'docs/machines/recovery.md',
  machine: recoveryMachine as unknown as MachineView,
  effects: RECOVERY_EFFECT_TYPES,
  title: 'Recovery machine (`recoveryMachine`)',
  source: '`recoveryMachine` in\n> `packages/core/src/machines/recovery-machine.ts`',
  intro: [
    `Forgot password and unlock account (${rule('AUTHN-REC-1')} to ${rule('AUTHN-REC-8')}; docs/adr/0012-recovery.md). Within one`,
    'state, guarded transitions for the same event are tried top to bottom. `UNAUTHENTICATED` is the',
    'initial state before the first event and is never rendered. A decoy (`isDecoy`: an unknown user, or',
    'one whose recovery the policy does not allow) looks like a real transaction but can prove nothing.',
    'A finished or expired transaction accepts nothing (401 E0000011) before the machine is consulted.',
  ],
  groups: [
    {
      title: 'Start and proof of the channel',
      states: ['UNAUTHENTICATED', 'RECOVERY_CHALLENGE'],
      text: [`A code sent by SMS or voice call, or a recovery token, proves the channel (${rule('AUTHN-REC-2')}, ${rule('AUTHN-REC-4')}, ${rule('AUTHN-REC-5')}).`],
    },
    {
      title: 'Recovery question and new password',
      states: ['RECOVERY', 'PASSWORD_RESET'],
      text: [`The recovery question when the policy asks, then the new password or the unlock (${rule('AUTHN-REC-6')}, ${rule('AUTHN-REC-7')}).`],
    },
  ],
  legend: [
    ...LEGEND_HEAD,
    '`sendEventCode` enqueues **sendCode** for a real user; `unlock` enqueues **unlockUser**;',
    '`setNewPassword` enqueues **setPassword** (and **revokeOtherSessions** when asked); `issueSession`',
    'enqueues **issueSessionToken**.',
  ],
}

const problems = new DocProblems()
const outputs: Array<{ readonly path: string; readonly text: string; readonly summary: string }> = []

for (const page of [AUTHENTICATION, RECOVERY]) outputs.push({ path: page.file, ...renderMachinePage(page, problems) })

checkRules(RULES, problems)
const citations = findCitations()
checkCitations(citations, RULES, problems)
outputs.push({ path: RULES_DOC, text: renderRules(RULES, citations), summary: `${RULES.length} rules, ${new Set(citations.map((c) => c.section)).size} cited sections` })

const status = await renderStatus(
  [
    { name: 'authentication machine', machine: AUTHENTICATION.machine, targets: enteredStates(AUTHENTICATION.machine) },
    { name: 'recovery machine', machine: RECOVERY.machine, targets: enteredStates(RECOVERY.machine) },
  ],
  problems,
)
outputs.push({ path: STATUS_DOC, ...status })

if (problems.all.length > 0) {
  console.error(`pnpm run docs: ${problems.all.length} problem(s); nothing was written:`)
  for (const p of problems.all) console.error(`  - ${p}`)
  process.exit(1)
}
for (const o of outputs) writeDoc(o.path, o.text, o.summary)
