import { XMLParser } from 'fast-xml-parser'

/** The namespace of the VIP web services' credential API (validation and management). */
export const VIP_NAMESPACE = 'https://schemas.vip.symantec.com/2006/08/vipservice'
/** The protocol version sent in every request's `Version` attribute. */
export const VIP_PROTOCOL_VERSION = '2.0'

/** Text escaped for an XML element or a double-quoted attribute. */
export const escapeXml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&apos;'))

/** A request id: 1 to 40 of `[A-Za-z0-9_]` (what the services accept as an `Id`). */
export const isRequestId = (s: string): boolean => /^[A-Za-z0-9_]{1,40}$/.test(s)

/** A SOAP 1.1 envelope around one request element of the VIP namespace, whose children are text fields. */
const envelope = (operation: string, requestId: string, fields: ReadonlyArray<readonly [string, string]>): string => {
  if (!isRequestId(requestId)) throw new RangeError('A VIP request id is 1 to 40 of [A-Za-z0-9_]')
  const body = fields.map(([name, value]) => `<vip:${name}>${escapeXml(value)}</vip:${name}>`).join('')
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ' +
    `xmlns:vip="${VIP_NAMESPACE}">` +
    '<soapenv:Header/><soapenv:Body>' +
    `<vip:${operation} Version="${VIP_PROTOCOL_VERSION}" Id="${escapeXml(requestId)}">${body}</vip:${operation}>` +
    '</soapenv:Body></soapenv:Envelope>'
  )
}

/** `Validate`: is `otp` a right code of credential `tokenId` now. */
export const validateEnvelope = (requestId: string, tokenId: string, otp: string): string =>
  envelope('Validate', requestId, [
    ['TokenId', tokenId],
    ['OTP', otp],
  ])

/** `Synchronize`: are `otp1` and `otp2` two consecutive codes of credential `tokenId` (and resynchronise it). */
export const synchronizeEnvelope = (requestId: string, tokenId: string, otp1: string, otp2: string): string =>
  envelope('Synchronize', requestId, [
    ['TokenId', tokenId],
    ['OTP1', otp1],
    ['OTP2', otp2],
  ])

/** The `Status` of a VIP response: its reason code (`0000` is success) and message. */
export interface VipStatus {
  readonly reasonCode: string
  readonly statusMessage: string
}

/** What a SOAP request to VIP carries, as a stub service reads it. */
export interface VipRequest {
  readonly operation: string
  readonly requestId: string
  readonly fields: Readonly<Record<string, string>>
}

const parser = new XMLParser({
  removeNSPrefix: true,
  // Keep every value a string: `0000` must not become the number 0.
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  trimValues: true,
  processEntities: true,
})

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u)

/** The one element of the SOAP body, by name (namespace prefixes removed), or null. */
const bodyElement = (xml: string): { readonly name: string; readonly element: Record<string, unknown> } | null => {
  // No document type: nothing to expand (entity tricks), and a VIP message never has one.
  if (/<!DOCTYPE/i.test(xml)) return null
  let doc: unknown
  try {
    doc = parser.parse(xml, true)
  } catch {
    return null
  }
  const envelopeEl = isRecord(doc) ? doc['Envelope'] : undefined
  const body = isRecord(envelopeEl) ? envelopeEl['Body'] : undefined
  if (!isRecord(body)) return null
  const names = Object.keys(body).filter((k) => !k.startsWith('@'))
  const name = names[0]
  if (names.length !== 1 || name === undefined) return null
  const element = body[name]
  return isRecord(element) ? { name, element } : name === 'Fault' ? { name, element: {} } : null
}

const textOf = (u: unknown): string | null => (typeof u === 'string' ? u : isRecord(u) && typeof u['#text'] === 'string' ? u['#text'] : null)

/**
 * The `Status` of a VIP response envelope (`<…Response><Status><ReasonCode>…`), or null when the
 * text is not a SOAP envelope whose body holds one response with a reason code of 4 hex digits
 * (a SOAP fault included).
 */
export const parseVipStatus = (xml: string): VipStatus | null => {
  const found = bodyElement(xml)
  if (found === null || !found.name.endsWith('Response')) return null
  const status = found.element['Status']
  if (!isRecord(status)) return null
  const reasonCode = textOf(status['ReasonCode'])
  if (reasonCode === null || !/^[0-9A-Fa-f]{4}$/.test(reasonCode)) return null
  return { reasonCode: reasonCode.toUpperCase(), statusMessage: textOf(status['StatusMessage']) ?? '' }
}

/** A VIP request envelope as a service reads it (for stubs and tests), or null. */
export const parseVipRequest = (xml: string): VipRequest | null => {
  const found = bodyElement(xml)
  if (found === null) return null
  const fields: Record<string, string> = {}
  for (const [k, v] of Object.entries(found.element)) {
    if (k.startsWith('@')) continue
    const text = textOf(v)
    if (text === null) return null
    fields[k] = text
  }
  const id = found.element['@Id']
  return { operation: found.name, requestId: typeof id === 'string' ? id : '', fields }
}

/** A response envelope for `operation` (`Validate` answers `ValidateResponse`), for stubs and tests. */
export const responseEnvelope = (operation: string, requestId: string, status: VipStatus): string =>
  '<?xml version="1.0" encoding="UTF-8"?>' +
  '<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body>' +
  `<${operation}Response xmlns="${VIP_NAMESPACE}" Version="${VIP_PROTOCOL_VERSION}" RequestId="${escapeXml(requestId)}">` +
  `<Status><ReasonCode>${escapeXml(status.reasonCode)}</ReasonCode><StatusMessage>${escapeXml(status.statusMessage)}</StatusMessage></Status>` +
  `</${operation}Response></S:Body></S:Envelope>`
