import type { Authn, Call, Reply, Result } from './authn.js'

/** A response as on the wire: status and JSON body (through JSON, so nothing but JSON survives). */
export interface InProcessResponse {
  readonly status: number
  readonly body: unknown
}

/**
 * The engine as the testkit's `Driver` (one method per operation, raw JSON body in, wire response
 * out), for running the model-based harness in process. `advanceClock` moves the caller's clock.
 */
export const createInProcessDriver = (authn: Authn, call: Call, advanceClock: (ms: number) => boolean) => {
  const wire = async <B>(r: Result<B>): Promise<InProcessResponse> => {
    const e = await r()
    const reply: Reply<unknown> = e._tag === 'Left' ? e.left : e.right
    return { status: reply.status, body: JSON.parse(JSON.stringify(reply.body)) as unknown }
  }
  return {
    authenticate: (b: unknown) => wire(authn.authenticate(b, call)),
    changePassword: (b: unknown) => wire(authn.changePassword(b, call)),
    resetPassword: (b: unknown) => wire(authn.resetPassword(b, call)),
    skip: (b: unknown) => wire(authn.skip(b, call)),
    previous: (b: unknown) => wire(authn.previous(b, call)),
    cancel: (b: unknown) => wire(authn.cancel(b, call)),
    redeemSessionToken: (b: unknown) => wire(authn.redeemSessionToken(b, call)),
    advanceClock,
  }
}
