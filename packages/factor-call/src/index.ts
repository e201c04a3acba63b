export { createCallFactor, spokenDigits, CallEnrollProfile, CallEnrollRequest, CallProfile, PhoneExtension, MAX_EXTENSION_DIGITS } from './call-factor.js'
