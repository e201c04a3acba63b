// MFA bad input over HTTP against a server on the in-memory stores.
import { describeMfaErrors } from './mfa-errors.js'

describeMfaErrors('memory', { fresh: () => ({ store: { kind: 'memory' } }) })
