import type { DeliveryError } from '@authn-machine/core'

export const refused = (detail: string): DeliveryError => ({ _tag: 'Refused', detail })
export const unreachable = (detail: string): DeliveryError => ({ _tag: 'Unreachable', detail })

/** A short, single-line excerpt of text from a remote party, for a `detail`. */
export const excerpt = (text: string, max = 200): string => {
  const line = text.replace(/\s+/g, ' ').trim()
  return line.length > max ? `${line.slice(0, max)}…` : line
}
