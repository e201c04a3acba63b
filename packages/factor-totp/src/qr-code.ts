import QRCode from 'qrcode'

/** A PNG (bytes) of a QR code holding `text`. Rejects only when `text` does not fit in a QR code. */
export const qrPng = async (text: string): Promise<Uint8Array> => {
  const png = await QRCode.toBuffer(text, { type: 'png', errorCorrectionLevel: 'M', margin: 4, scale: 4 })
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength)
}
