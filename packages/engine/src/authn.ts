import type { Authn, AuthnDeps } from './api.js'
import { deviceOperations } from './operations/devices.js'
import { factorOperations } from './operations/factors.js'
import { lifecycleOperations } from './operations/lifecycle.js'
import { passwordOperations } from './operations/password.js'
import { primaryOperations } from './operations/primary.js'
import { recoveryOperations } from './operations/recovery.js'
import { transactionOperations } from './operations/transaction.js'
import { createStepUp, stepUpOperations } from './operations/step-up.js'
import { createPipeline } from './pipeline.js'

export * from './api.js'

/**
 * The engine: one method per operation of the table (core `OPERATIONS`), each taking the raw JSON
 * body and never throwing. The operations are grouped by concern under `operations/`; all of them
 * run through the one pipeline of `pipeline.ts`.
 */
export const createAuthn = (deps: AuthnDeps): Authn => {
  const p = createPipeline(deps)
  const stepUp = createStepUp(p)
  return {
    ...primaryOperations(p, stepUp),
    ...stepUpOperations(p, stepUp),
    ...passwordOperations(p),
    ...transactionOperations(p),
    ...lifecycleOperations(p),
    ...factorOperations(p),
    ...deviceOperations(p),
    ...recoveryOperations(p),
    factorQrCode: p.factorQrCode,
    factorQuestions: () => (deps.factorPlugins ?? []).find((f) => f.factorType === 'question')?.catalogue ?? [],
    previous: p.simpleStep('previous', 'transaction.previous'),
  }
}
