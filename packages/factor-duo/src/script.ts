import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

/**
 * The absolute path of Duo's frame script, `Duo-Web-v2.js`, as `@duosecurity/duo_web` ships it.
 * The binding serves it at Okta's path for it (`DUO_SCRIPT_PATH` of `@authn-machine/core`), the
 * `script` link of a started verification. Throws when the package is not installed.
 */
export const duoWebScriptPath = (): string =>
  join(dirname(createRequire(import.meta.url).resolve('@duosecurity/duo_web/package.json')), 'js', 'Duo-Web-v2.js')
