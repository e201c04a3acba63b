/** The part of the `radius` codec (1.1.x, CommonJS, no types of its own) this package uses. */
declare module 'radius' {
  type AttributeValue = string | number | Buffer
  interface EncodeArgs {
    readonly code: string
    readonly secret: string
    readonly identifier: number
    readonly authenticator?: Buffer
    readonly attributes: Array<[string, AttributeValue]>
    readonly add_message_authenticator?: boolean
  }
  interface DecodedPacket {
    readonly code: string
    readonly identifier: number
    readonly length: number
    readonly authenticator: Buffer
    readonly attributes: Record<string, unknown>
    readonly raw_attributes: ReadonlyArray<[number, Buffer]>
  }
  interface Radius {
    encode(args: EncodeArgs): Buffer
    decode_without_secret(args: { readonly packet: Buffer }): DecodedPacket
    /** Decodes a packet; for a request, checks its Message-Authenticator and reveals the User-Password. Throws on a bad packet. */
    decode(args: { readonly packet: Buffer; readonly secret: string }): DecodedPacket
    /** A reply to `packet`, signed with `secret` (a Message-Authenticator when the request had one). */
    encode_response(args: { readonly packet: DecodedPacket; readonly code: string; readonly secret: string; readonly attributes?: Array<[string, AttributeValue]> }): Buffer
  }
  const radius: Radius
  export = radius
}
