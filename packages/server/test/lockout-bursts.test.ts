import { describeLockoutBursts } from './lockout-bursts.js'

describeLockoutBursts('memory', { fresh: () => ({ args: ['--store', 'memory'] }) })
