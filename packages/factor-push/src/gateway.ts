/** The `PushGateway` port, declared in the core with the other ports (docs/adr/0031-push.md). */
export type { PushChallenge, PushDeliveryError, PushGateway, PushTarget } from '@authn-machine/core'
