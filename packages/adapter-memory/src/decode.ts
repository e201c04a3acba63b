export { decodeStored } from '@authn-machine/core'
