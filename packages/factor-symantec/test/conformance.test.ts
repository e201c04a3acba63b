import { afterAll, describe } from 'vitest'
import { describeFactor } from '@authn-machine/testkit'
import { createSymantecFactor } from '../src/index.js'
import { makeTestPki } from './pki.js'
import { startVipStub } from './vip-stub.js'

const CREDENTIAL = 'VSMT14393584'
const pki = makeTestPki()
// A service that keeps no memory of used codes: the suite enrolls and verifies with the same codes many times.
const stub = await startVipStub(pki, { [CREDENTIAL]: { codes: ['123456', '234567', '345678'] } }, undefined, false)
const factor = createSymantecFactor({ endpoint: stub.endpoint, clientCert: pki.client.cert, clientKey: pki.client.key, passphrase: pki.passphrase, ca: pki.ca.cert, timeoutMs: 2_000 })
afterAll(async () => {
  factor.close()
  await stub.close()
  pki.dispose()
})

// The credential id is both what `verify` needs (the VIP service knows the credential by it) and
// the public `credentialId` Okta shows in the profile: the suite is told so, and checks that
// nothing else of the secret reaches the profile view.
describe('conformance', () => {
  describeFactor('symantec', {
    factor,
    publicSecretStrings: (secret) => [secret.tokenId],
    enrollRequest: { profile: { credentialId: CREDENTIAL }, passCode: '123456', nextPassCode: '234567' },
    validAnswer: () => ({ passCode: '345678' }),
    invalidAnswers: () => [{ passCode: '000000' }, { passCode: '123457' }, { passCode: '34567' }, { passCode: 'abcdef' }],
    malformedEnrollRequests: [
      { profile: { credentialId: CREDENTIAL }, passCode: '123456' },
      { profile: { credentialId: CREDENTIAL }, passCode: '123456', nextPassCode: '' },
      { profile: { credentialId: 'VS-1' }, passCode: '123456', nextPassCode: '234567' },
      { profile: {}, passCode: '123456', nextPassCode: '234567' },
    ],
  })
})
