import { registered } from '@authn-machine/core'
import { createHotpFactor } from '@authn-machine/factor-hotp'
import { createQuestionFactor } from '@authn-machine/factor-question'
import { createTotpFactor } from '@authn-machine/factor-totp'

/** The factor families the engine tests on PostgreSQL run with. */
export const FACTOR_PLUGINS = [registered(createTotpFactor('OKTA')), registered(createTotpFactor('GOOGLE')), registered(createHotpFactor()), registered(createQuestionFactor())]
