import type { IncomingMessage } from 'node:http'
import { BODY_TOO_LARGE, type BodyTooLarge } from './types.js'

/**
 * How many bytes of an oversize body are still read (and dropped) so that the client has finished
 * sending when the 413 arrives and can read it: 4× the limit or 1 MiB, whichever is larger.
 */
export const bodyReadCap = (limit: number): number => Math.max(4 * limit, 1024 * 1024)

/**
 * Reads a request body of at most `limit` bytes. A body over the limit but within
 * {@link bodyReadCap} is read to its end and dropped, so the client sees the 413; one declared
 * (`Content-Length`) or streamed beyond the cap is not read further: the 413 goes out with
 * `Connection: close` while the client may still be writing.
 */
export const readBody = (req: IncomingMessage, limit: number): Promise<Buffer | BodyTooLarge | null> =>
  new Promise((resolve, reject) => {
    const cap = bodyReadCap(limit)
    const declared = Number(req.headers['content-length'] ?? Number.NaN)
    if (Number.isFinite(declared) && declared > cap) {
      // Not read at all: the 413 goes out with `Connection: close`.
      resolve(BODY_TOO_LARGE)
      return
    }
    const chunks: Buffer[] = []
    let size = 0
    let settled = false
    const settle = (value: Buffer | BodyTooLarge | null) => {
      if (settled) return
      settled = true
      resolve(value)
    }
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size <= limit) chunks.push(chunk)
      else if (size > cap) {
        req.pause()
        settle(BODY_TOO_LARGE)
      }
    })
    req.on('end', () => settle(size > limit ? BODY_TOO_LARGE : size === 0 ? null : Buffer.concat(chunks, size)))
    req.on('error', (e) => {
      if (!settled) {
        settled = true
        reject(e)
      }
    })
  })
