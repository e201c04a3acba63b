export {
  createEmailFactor,
  isEmailAddress,
  EmailAddress,
  EmailEnrollProfile,
  EmailEnrollRequest,
  EmailProfile,
  EMAIL_SUBJECT,
  MAX_EMAIL_LENGTH,
  NO_EMAIL,
} from './email-factor.js'
export { PassCodeAnswer } from '@authn-machine/factor-sms/sent-code'
