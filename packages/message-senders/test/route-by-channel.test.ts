import type { MessageSender, OutboundMessage } from '@authn-machine/core'
import * as E from 'fp-ts/lib/Either.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { describe, expect, it } from 'vitest'
import { routeByChannel } from '../src/index.js'
import { message } from './fixtures.js'

const recording = (): MessageSender & { readonly sent: OutboundMessage[] } => {
  const sent: OutboundMessage[] = []
  return {
    sent,
    send: (m) => {
      sent.push(m)
      return TE.right(undefined)
    },
  }
}

describe('routeByChannel', () => {
  it('sends each channel through its own sender', async () => {
    const sms = recording()
    const call = recording()
    const email = recording()
    const router = routeByChannel({ sms, call, email })
    const s = message({ channel: 'sms' })
    const c = message({ channel: 'call' })
    const e = message({ channel: 'email', to: 'ada@example.com' })
    for (const m of [s, c, e]) expect(await router.send(m)()).toEqual(E.right(undefined))
    expect(sms.sent).toEqual([s])
    expect(call.sent).toEqual([c])
    expect(email.sent).toEqual([e])
  })

  it('a channel without a sender is Refused with a detail naming the channel', async () => {
    const sms = recording()
    const result = await routeByChannel({ sms }).send(message({ channel: 'call' }))()
    expect(result).toEqual(E.left({ _tag: 'Refused', detail: expect.stringContaining("'call'") }))
    expect(sms.sent).toEqual([])
  })

  it("passes the channel sender's failure through", async () => {
    const failing: MessageSender = { send: () => TE.left({ _tag: 'Unreachable', detail: 'down' }) }
    expect(await routeByChannel({ email: failing }).send(message({ channel: 'email' }))()).toEqual(
      E.left({ _tag: 'Unreachable', detail: 'down' }),
    )
  })
})
