import type { IncomingMessage, ServerResponse } from 'node:http'

/**
 * The pages a recovery email links to (`/signin/reset-password/{recoveryToken}`,
 * `/signin/unlock/{recoveryToken}`: the Sign-In Widget's routes, docs/adr/0012-recovery.md), so
 * that a mailed link works on the reference server. One small page and one script of its own
 * (no framework, no third-party asset, `script-src 'self'`): it redeems the token from the path
 * (`POST /api/v1/authn/recovery/token`), asks the recovery question when the transaction does,
 * then the new password, and shows the outcome or Okta's error summary. The token never leaves the
 * page except to this server's API.
 */
export const RECOVERY_PAGE = /^\/signin\/(reset-password|unlock)\/([^/?#]+)$/
export const RECOVERY_SCRIPT_PATH = '/signin/recovery.js'

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Account recovery</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 26rem; margin: 4rem auto; padding: 0 1rem; color: #1d1d21; }
  form { display: grid; gap: .75rem; }
  input, button { font: inherit; padding: .5rem .75rem; }
  button { cursor: pointer; }
  .error { color: #b3261e; }
  [hidden] { display: none; }
</style>
</head>
<body>
<h1 id="title">Account recovery</h1>
<p id="status">Checking your link…</p>
<p id="error" class="error" role="alert" hidden></p>
<form id="answer" hidden>
  <label for="answer-input" id="question"></label>
  <input id="answer-input" name="answer" autocomplete="off" required>
  <button type="submit">Continue</button>
</form>
<form id="password" hidden>
  <label for="password-input">New password</label>
  <input id="password-input" name="newPassword" type="password" autocomplete="new-password" required>
  <p id="rules"></p>
  <button type="submit">Set password</button>
</form>
<script src="${RECOVERY_SCRIPT_PATH}"></script>
</body>
</html>
`

const SCRIPT = `'use strict'
;(() => {
  const $ = (id) => document.getElementById(id)
  const match = /^\\/signin\\/(reset-password|unlock)\\/([^/?#]+)$/.exec(location.pathname)
  let stateToken = null
  const show = (id, on) => { $(id).hidden = !on }
  const fail = (body) => {
    $('error').textContent = (body && body.errorSummary) || 'Something went wrong. Ask for a new link.'
    show('error', true)
  }
  const post = async (path, body) => {
    const r = await fetch('/api/v1/authn' + path, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body) })
    const json = await r.json().catch(() => ({}))
    if (!r.ok) throw json
    return json
  }
  const rules = (policy) => {
    const c = policy && policy.complexity
    if (!c) return ''
    const parts = ['at least ' + c.minLength + ' characters']
    if (c.minLowerCase) parts.push('a lower-case letter')
    if (c.minUpperCase) parts.push('an upper-case letter')
    if (c.minNumber) parts.push('a number')
    if (c.minSymbol) parts.push('a symbol')
    return 'Use ' + parts.join(', ') + '.'
  }
  const render = (t) => {
    show('error', false)
    stateToken = t.stateToken || null
    show('answer', t.status === 'RECOVERY')
    show('password', t.status === 'PASSWORD_RESET')
    if (t.status === 'RECOVERY') {
      const q = t._embedded && t._embedded.user && t._embedded.user.recovery_question
      $('question').textContent = (q && q.question) || 'Answer your recovery question'
      $('status').textContent = 'Answer your recovery question.'
    } else if (t.status === 'PASSWORD_RESET') {
      $('rules').textContent = rules(t._embedded && t._embedded.policy)
      $('status').textContent = 'Choose a new password.'
    } else if (t.status === 'SUCCESS') {
      $('status').textContent = t.recoveryType === 'UNLOCK' ? 'Your account is unlocked. You can sign in again.' : 'Your password is changed. You can sign in with it now.'
    } else {
      $('status').textContent = ''
      fail(null)
    }
  }
  $('answer').addEventListener('submit', (e) => {
    e.preventDefault()
    post('/recovery/answer', { stateToken, answer: $('answer-input').value }).then(render, fail)
  })
  $('password').addEventListener('submit', (e) => {
    e.preventDefault()
    post('/credentials/reset_password', { stateToken, newPassword: $('password-input').value }).then(render, fail)
  })
  if (match === null) {
    $('status').textContent = ''
    fail(null)
    return
  }
  $('title').textContent = match[1] === 'unlock' ? 'Unlock your account' : 'Reset your password'
  post('/recovery/token', { recoveryToken: decodeURIComponent(match[2]) }).then(render, (e) => {
    $('status').textContent = ''
    fail(e)
  })
})()
`

const HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
} as const

/** Answers a recovery page or its script (GET or HEAD); anything else on these paths is left to the caller. */
export const answerRecoveryPage = (req: IncomingMessage, res: ServerResponse, path: string): boolean => {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false
  const script = path === RECOVERY_SCRIPT_PATH
  if (!script && !RECOVERY_PAGE.test(path)) return false
  const body = script ? SCRIPT : PAGE
  res.writeHead(200, {
    ...HEADERS,
    'content-type': script ? 'text/javascript; charset=utf-8' : 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    ...(script ? {} : { 'content-security-policy': "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'" }),
  })
  res.end(req.method === 'HEAD' ? undefined : body)
  return true
}
