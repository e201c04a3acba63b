export { createSmsFactor, phoneNumberOf, PhoneEnrollProfile, SmsEnrollRequest, SmsProfile } from './sms-factor.js'
export { parsePhone, E164, MAX_PHONE_DIGITS, MAX_PHONE_INPUT_LENGTH, DEFAULT_PHONE_COUNTRY } from './phone-number.js'
export { PassCodeAnswer, codeSentence, nullable, readProfile, refusal, sentCodeEnrollRequest, sentCodeFactor } from './sent-code.js'
export type { ProfileReader, ProfileSource, SentCodeFamily } from './sent-code.js'
