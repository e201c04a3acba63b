import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { REASON, VIP_NAMESPACE, classify, escapeXml, parseVipRequest, parseVipStatus, responseEnvelope, synchronizeEnvelope, validateEnvelope } from '../src/index.js'

describe('SOAP envelopes', () => {
  it('Validate: a SOAP 1.1 envelope with the VIP namespace, Version and Id, TokenId and OTP', () => {
    const xml = validateEnvelope('REQ1', 'VSMT14393584', '123456')
    expect(xml).toContain('xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"')
    expect(xml).toContain(`xmlns:vip="${VIP_NAMESPACE}"`)
    expect(xml).toContain('<vip:Validate Version="2.0" Id="REQ1"><vip:TokenId>VSMT14393584</vip:TokenId><vip:OTP>123456</vip:OTP></vip:Validate>')
    expect(parseVipRequest(xml)).toEqual({ operation: 'Validate', requestId: 'REQ1', fields: { TokenId: 'VSMT14393584', OTP: '123456' } })
  })

  it('Synchronize carries OTP1 and OTP2', () => {
    expect(parseVipRequest(synchronizeEnvelope('R_2', 'VSST26461832', '111111', '222222'))).toEqual({
      operation: 'Synchronize',
      requestId: 'R_2',
      fields: { TokenId: 'VSST26461832', OTP1: '111111', OTP2: '222222' },
    })
  })

  it('refuses a request id outside [A-Za-z0-9_]{1,40}', () => {
    for (const id of ['', 'a"b', 'x'.repeat(41), 'a b']) expect(() => validateEnvelope(id, 'VSMT14393584', '123456'), id).toThrow(RangeError)
  })

  test.prop([fc.string({ maxLength: 60 }), fc.string({ maxLength: 60 })])('any text is escaped: the service reads back exactly what was sent', (tokenId, otp) => {
    const parsed = parseVipRequest(validateEnvelope('R', tokenId, otp))
    expect(parsed?.operation).toBe('Validate')
    // Surrounding blanks are trimmed by the reader; what is inside is kept, markup included.
    expect(parsed?.fields['TokenId'] ?? '').toBe(tokenId.trim())
    expect(parsed?.fields['OTP'] ?? '').toBe(otp.trim())
  })

  it('escapes the five XML specials', () => {
    expect(escapeXml(`<a href="x">&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;')
  })
})

describe('response parsing', () => {
  it('reads the reason code as text (0000 stays 0000) and the message', () => {
    expect(parseVipStatus(responseEnvelope('Validate', 'R', { reasonCode: '0000', statusMessage: 'Success' }))).toEqual({ reasonCode: '0000', statusMessage: 'Success' })
    expect(parseVipStatus(responseEnvelope('Validate', 'R', { reasonCode: '49b5', statusMessage: 'Failed with an invalid OTP' }))?.reasonCode).toBe('49B5')
  })

  it('reads any namespace prefix', () => {
    const xml =
      '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><v:ValidateResponse xmlns:v="' +
      VIP_NAMESPACE +
      '" RequestId="R" Version="2.0"><v:Status><v:ReasonCode>4993</v:ReasonCode><v:StatusMessage>Operation not allowed on a disabled token</v:StatusMessage></v:Status></v:ValidateResponse></soap:Body></soap:Envelope>'
    expect(parseVipStatus(xml)).toEqual({ reasonCode: '4993', statusMessage: 'Operation not allowed on a disabled token' })
  })

  it('refuses what is not one response with a 4-hex-digit reason code, and any document type', () => {
    const ok = responseEnvelope('Validate', 'R', { reasonCode: '0000', statusMessage: 'Success' })
    for (const xml of [
      '',
      'not xml',
      ok.slice(0, -20),
      ok.replace('0000', '00000'),
      ok.replace('0000', ''),
      ok.replace('ValidateResponse', 'Validate').replace('ValidateResponse', 'Validate'),
      '<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body><S:Fault><faultcode>S:Server</faultcode></S:Fault></S:Body></S:Envelope>',
      `<!DOCTYPE x [<!ENTITY c "0000">]>${ok.replace(/^<\?xml[^>]*\?>/, '').replace('0000', '&c;')}`,
      `<!DOCTYPE x>${ok.replace(/^<\?xml[^>]*\?>/, '')}`,
    ])
      expect(parseVipStatus(xml), xml).toBeNull()
  })

  test.prop([fc.string({ maxLength: 300 })])('never throws on any text', (xml) => {
    const s = parseVipStatus(xml)
    if (s !== null) expect(s.reasonCode).toMatch(/^[0-9A-F]{4}$/)
  })
})

describe('reason codes', () => {
  it('0000 success, 49B5 invalid, 4923 sync required, 4993 and 4990 disabled, a configured replay code, anything else unexpected', () => {
    const replay = new Set(['49F0'])
    expect(classify(REASON.success, replay)).toBe('success')
    expect(classify('49b5', replay)).toBe('invalid')
    expect(classify('4923', replay)).toBe('syncRequired')
    expect(classify('4993', replay)).toBe('disabled')
    expect(classify('4990', replay)).toBe('disabled')
    expect(classify('49f0', replay)).toBe('replayed')
    expect(classify('49F0', new Set())).toBe('unexpected')
    expect(classify('6009', replay)).toBe('unexpected')
  })
})
