import type { DeliveryError, MessageSender, OutboundMessage } from '@authn-machine/core'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { refused } from './delivery-error.js'

export type ChannelSenders = { readonly [C in OutboundMessage['channel']]?: MessageSender }

/** Sends each message through the sender of its channel; a channel without one is `Refused`. */
export function routeByChannel(senders: ChannelSenders): MessageSender {
  return {
    send: (m: OutboundMessage): TE.TaskEither<DeliveryError, void> => {
      const sender = senders[m.channel]
      return sender === undefined
        ? TE.left(refused(`no sender is configured for the '${m.channel}' channel`))
        : sender.send(m)
    },
  }
}
